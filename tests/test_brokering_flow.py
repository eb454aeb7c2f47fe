"""The brokering path over HTTP: a need is posted, an institution shows interest,
staff propose a meeting, both parties confirm, it is held, the outcome ``funded`` moves the
need to funded, and the statistics count it once."""
from __future__ import annotations

from matchmaker.core.calendar import ZONE_TIME, now_utc
from tests.brokering_helpers import API, hold, ok, propose
from tests.conftest import need_doc


def kinds(client, headers) -> list[str]:
    return [n["kind"] for n in ok(client.get(f"{API}/notifications", headers=headers))["items"]]


def test_the_whole_path_from_need_to_funding(client, actors, world):
    staff, inst = world["staff"], world["inst_a"]
    enterprise = actors.as_enterprise(world["ent_a"]["id"])
    institution = actors.as_institution(inst["id"])
    year = now_utc().astimezone(ZONE_TIME).year
    before = ok(client.get(f"{API}/statistics", query_string={"year": year}, headers=staff))

    # the institution watches the deal flow for battery companies
    saved = ok(client.post(f"{API}/saved-searches", json={"name": "电池 batteries", "q": "电池", "industry": ["new_energy"]},
                           headers=institution), 201)

    # 1. the enterprise posts a need; it is published, and the saved search tells the institution
    need = ok(client.post(f"{API}/needs", json=need_doc(world["ent_a"]["id"], title="电池产线扩产 battery line"),
                          headers=enterprise), 201)
    assert need["status"] == "open" and need["published_at"] and need["published_month"].startswith(str(year))
    assert "saved_search_match" in kinds(client, institution)
    results = ok(client.get(f"{API}/saved-searches/{saved['id']}/results", headers=institution))
    assert need["id"] in [n["id"] for n in results["items"]]

    # 2. the institution is interested; the enterprise sees the answer and is told
    interest = ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested",
                                                         "note": "请提供近三年财务报表"}, headers=institution), 201)
    # other institutions do not learn of it through the need (its brokering history is not theirs)
    rival = actors.as_institution(world["inst_b"]["id"])
    assert "brokering" not in ok(client.get(f"{API}/needs/{need['id']}", headers=rival))
    assert all("brokering" not in n for n in ok(client.get(f"{API}/needs", headers=rival))["items"])
    assert "brokering" in ok(client.get(f"{API}/needs/{need['id']}", headers=enterprise))
    assert interest["in_time"] is True and interest["institution_id"] == inst["id"]
    mine = ok(client.get(f"{API}/interests", query_string={"need_id": need["id"]}, headers=enterprise))
    assert [i["id"] for i in mine["items"]] == [interest["id"]]
    assert "interest" in kinds(client, enterprise)

    # 3. staff propose a meeting; both parties are told
    meeting = propose(client, staff, need["id"], inst["id"], day="2030-03-04", hour=10)
    assert meeting["status"] == "proposed"
    assert meeting["enterprise_answer"] == meeting["institution_answer"] == "pending"
    assert "meeting_proposed" in kinds(client, enterprise) and "meeting_proposed" in kinds(client, institution)

    # 4. both confirm
    after_one = ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=enterprise))
    assert after_one["status"] == "proposed" and after_one["enterprise_answer"] == "confirmed"
    confirmed = ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", json={"note": "准时到"}, headers=institution))
    assert confirmed["status"] == "confirmed" and confirmed["institution_answer"] == "confirmed"

    # 5. it is held; 6. the outcome funded moves the need to funded
    assert hold(client, staff, meeting)["status"] == "held"
    outcome = ok(client.post(f"{API}/meetings/{meeting['id']}/outcome",
                             json={"outcome": "funded", "amount": 9_000_000, "instrument": "equity"}, headers=staff))
    assert (outcome["outcome"], outcome["amount"], outcome["instrument"]) == ("funded", 9_000_000, "equity")
    funded = ok(client.get(f"{API}/needs/{need['id']}", headers=enterprise))
    assert funded["status"] == "funded"
    assert funded["brokering"]["funded_amount"] == 9_000_000
    assert {"first_response_at", "interested_at", "meeting_held_at", "funded_at"} <= set(funded["brokering"])

    # the need's move was made through the need service: its audit entry names staff
    audit = ok(client.get(f"{API}/audit", query_string={"object_id": need["id"]}, headers=staff))
    status_changes = [e for e in audit["items"] if "status" in e["fields"]]
    assert status_changes and status_changes[0]["changes"]["status"] == {"from": "open", "to": "funded"}
    assert status_changes[0]["actor_role"] == "staff"

    # 7. the statistics count it once: in the funnel and in each breakdown
    after = ok(client.get(f"{API}/statistics", query_string={"year": year}, headers=staff))
    gained = {m: after["needs"]["totals"][m] - before["needs"]["totals"][m] for m in after["needs"]["totals"]}
    assert gained == {"posted": 1, "answered": 1, "answered_in_time": 1, "interested": 1, "met": 1, "funded": 1,
                      "amount_funded": 9_000_000}
    funnel = {s["stage"]: s["count"] for s in after["funnel"]}
    assert funnel["funded"] == before["funnel"][3]["count"] + 1
    month = need["published_month"]
    assert after["needs"]["by_month"][month]["funded"] - before["needs"]["by_month"][month]["funded"] == 1
    assert after["needs"]["by_industry"]["new_energy"]["amount_funded"] - before["needs"]["by_industry"]["new_energy"]["amount_funded"] == 9_000_000
    assert after["by_institution_type"]["rows"]["venture_capital"]["funded"] == 1

    # a funded need is not brokered again, and a funded outcome is final
    second = propose(client, staff, need["id"], world["inst_b"]["id"], status=409)
    assert "funded" in second["message"]
    again = client.post(f"{API}/meetings/{meeting['id']}/outcome", json={"outcome": "follow_up"}, headers=staff)
    assert again.status_code == 409  # a funded outcome is final
    final = ok(client.get(f"{API}/statistics", query_string={"year": year}, headers=staff))
    assert final["needs"]["totals"]["funded"] == after["needs"]["totals"]["funded"]


def test_two_meetings_funding_one_need_count_it_once(client, actors, world):
    staff = world["staff"]
    need = world["needs"][world["ent_a"]["id"]]["open"]
    meetings = []
    for position, inst in enumerate((world["inst_a"], world["inst_b"])):
        meeting = propose(client, staff, need["id"], inst["id"], day="2030-05-06", hour=9 + 2 * position)
        for side in ("enterprise", "institution"):
            ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", json={"side": side}, headers=staff))
        hold(client, staff, meeting)
        meetings.append(meeting)
    ok(client.post(f"{API}/meetings/{meetings[0]['id']}/outcome", json={"outcome": "funded", "amount": 6_000_000, "instrument": "equity"}, headers=staff))
    ok(client.post(f"{API}/meetings/{meetings[1]['id']}/outcome", json={"outcome": "funded", "amount": 4_000_000, "instrument": "guarantee"}, headers=staff))
    stored = ok(client.get(f"{API}/needs/{need['id']}", headers=staff))
    assert stored["status"] == "funded" and stored["brokering"]["funded_amount"] == 10_000_000
    stats = ok(client.get(f"{API}/statistics", headers=staff))
    assert stats["needs"]["totals"]["funded"] == 1 and stats["needs"]["totals"]["amount_funded"] == 10_000_000
    assert stats["by_institution_type"]["totals"]["funded"] == 2  # two institutions funded: pairs count twice
    # staff answered for the parties: the institution side counts as its interest
    assert stats["needs"]["totals"]["interested"] == 1


def test_declined_interest_and_changing_the_answer(client, actors, world):
    institution = world["as_inst_a"]
    need = world["needs"][world["ent_b"]["id"]]["open"]
    refused = client.post(f"{API}/interests", json={"need_id": need["id"], "response": "declined"}, headers=institution)
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]["json"]
    declined = ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "declined", "reason": "industry_not_fit",
                                                         "reason_text": "不投生物医药"}, headers=institution), 201)
    assert declined["response"] == "declined" and declined["reason"] == "industry_not_fit"
    changed = ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested"}, headers=institution), 200)
    assert changed["id"] == declined["id"] and changed["response"] == "interested" and "reason" not in changed
    assert changed["created_at"] == declined["created_at"]  # the first answer is kept for the in-time record
    # only open needs take answers
    draft = world["needs"][world["ent_b"]["id"]]["draft"]
    assert client.post(f"{API}/interests", json={"need_id": draft["id"], "response": "interested"}, headers=institution).status_code == 404
    staff_answer = client.post(f"{API}/interests", json={"need_id": draft["id"], "response": "interested",
                                                          "institution_id": world["inst_a"]["id"]}, headers=world["staff"])
    assert staff_answer.status_code == 409
    ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested", "reason": "other"}, headers=institution), 422)


def test_introduction_requested_by_the_enterprise_and_arranged_by_a_meeting(client, actors, world):
    staff, enterprise = world["staff"], world["as_ent_a"]
    need = world["needs"][world["ent_a"]["id"]]["open"]
    intro = ok(client.post(f"{API}/introductions", json={"need_id": need["id"], "institution_id": world["inst_b"]["id"],
                                                          "note": "希望对接担保"}, headers=enterprise), 201)
    assert intro["status"] == "requested"
    assert client.post(f"{API}/introductions", json={"need_id": need["id"], "institution_id": world["inst_b"]["id"]},
                       headers=enterprise).status_code == 409
    assert "introduction_requested" in kinds(client, staff)
    meeting = propose(client, staff, need["id"], world["inst_b"]["id"], introduction_id=intro["id"])
    arranged = ok(client.get(f"{API}/introductions/{intro['id']}", headers=enterprise))
    assert arranged["status"] == "arranged" and arranged["meeting_id"] == meeting["id"]
    # another enterprise's need: as if it did not exist
    other_need = world["needs"][world["ent_b"]["id"]]["open"]
    assert client.post(f"{API}/introductions", json={"need_id": other_need["id"], "institution_id": world["inst_a"]["id"]},
                       headers=enterprise).status_code == 404
