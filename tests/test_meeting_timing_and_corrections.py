"""Meetings follow the zone's clock (proposed only for times to come, held only once
started), and a funded outcome is corrected by staff with a reason: audited, told to both
parties as a correction, and the need's funding follows."""
from __future__ import annotations

from tests.brokering_helpers import API, at, hold, ok, on_day, propose


def confirmed_meeting(client, world, day="2030-03-04"):
    staff = world["staff"]
    meeting = propose(client, staff, world["needs"][world["ent_a"]["id"]]["open"]["id"], world["inst_a"]["id"], day=day)
    for side in ("enterprise", "institution"):
        meeting = ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", json={"side": side}, headers=staff))
    assert meeting["status"] == "confirmed"
    return meeting


def test_a_meeting_is_not_proposed_or_moved_into_the_past(client, world):
    staff, need = world["staff"], world["needs"][world["ent_a"]["id"]]["open"]
    starts, ends = at("2020-01-01", 10)
    r = client.post(f"{API}/meetings", json={"need_id": need["id"], "institution_id": world["inst_a"]["id"],
                                             "starts_at": starts, "ends_at": ends}, headers=staff)
    assert r.status_code == 422 and r.get_json()["errors"]["json"] == {"starts_at": ["must not be in the past"]}
    assert ok(client.get(f"{API}/meetings", headers=staff))["total"] == 0
    with on_day(client.application, "2030-03-01"):
        meeting = propose(client, staff, need["id"], world["inst_a"]["id"], day="2030-03-04")
        starts, ends = at("2030-02-27", 10)
        r = client.patch(f"{API}/meetings/{meeting['id']}", json={"starts_at": starts, "ends_at": ends}, headers=staff)
        assert r.status_code == 422 and "starts_at" in r.get_json()["errors"]["json"]
        assert ok(client.get(f"{API}/meetings/{meeting['id']}", headers=staff))["starts_at"] == "2030-03-04T02:00:00+00:00"


def test_a_meeting_is_held_only_once_it_has_started(client, world):
    staff = world["staff"]
    meeting = confirmed_meeting(client, world)
    with on_day(client.application, "2030-03-03"):
        r = client.post(f"{API}/meetings/{meeting['id']}/held", headers=staff)
        assert r.status_code == 409 and r.get_json()["errors"]["json"] == {"status": ["not started yet"]}
        assert client.patch(f"{API}/meetings/{meeting['id']}", json={"status": "held"}, headers=staff).status_code == 409
    need_id = meeting["need_id"]
    assert "meeting_held_at" not in ok(client.get(f"{API}/needs/{need_id}", headers=staff)).get("brokering", {})
    hold(client, staff, meeting)
    # the need's "met" time is the meeting's time, not when staff clicked
    assert ok(client.get(f"{API}/needs/{need_id}", headers=staff))["brokering"]["meeting_held_at"] == meeting["starts_at"]


def test_a_funded_outcome_is_corrected_with_a_reason(client, world):
    staff, enterprise = world["staff"], world["as_ent_a"]
    meeting = confirmed_meeting(client, world)
    hold(client, staff, meeting)
    mid, need_id = meeting["id"], meeting["need_id"]
    ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "funded", "amount": 5_000_000, "instrument": "equity"}, headers=staff))
    assert ok(client.get(f"{API}/needs/{need_id}", headers=staff))["brokering"]["funded_amount"] == 5_000_000

    # a correction of the amount: the facts follow, the parties are told it corrects
    fixed = ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "funded", "amount": 3_000_000, "instrument": "equity",
                                                                  "correction_reason": "录入错误 typo"}, headers=staff))
    assert (fixed["amount"], fixed["corrected_from"], fixed["corrected_from_amount"]) == (3_000_000, "funded", 5_000_000)
    assert ok(client.get(f"{API}/needs/{need_id}", headers=staff))["brokering"]["funded_amount"] == 3_000_000

    # the deal fell through after all: the need is back in talks and no longer counts as funded
    undone = ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "follow_up", "correction_reason": "资金未到位"}, headers=staff))
    assert undone["outcome"] == "follow_up" and "amount" not in undone
    need = ok(client.get(f"{API}/needs/{need_id}", headers=staff))
    assert need["status"] == "in_talks"
    assert "funded_at" not in need["brokering"] and "funded_amount" not in need["brokering"]
    # only a funded outcome needs a reason; a plain new outcome is recorded again as before
    assert ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "term_sheet"}, headers=staff))["outcome"] == "term_sheet"

    notes = ok(client.get(f"{API}/notifications", query_string={"per_page": 50}, headers=enterprise))["items"]
    corrections = [n for n in notes if n["message_zh"].startswith("更正")]
    assert len(corrections) == 2
    assert "5,000,000" in corrections[-1]["message_zh"] or "5,000,000" in corrections[0]["message_zh"]
    assert all("资金未到位" in n["message_zh"] or "录入错误" in n["message_zh"] for n in corrections)

    audit = ok(client.get(f"{API}/audit", query_string={"object_id": mid, "per_page": 50}, headers=staff))["items"]
    assert sum(1 for e in audit if e["action"] == "correct") == 2
    need_audit = ok(client.get(f"{API}/audit", query_string={"object_id": need_id, "per_page": 50}, headers=staff))["items"]
    assert any(e.get("changes", {}).get("status") == {"from": "funded", "to": "in_talks"} for e in need_audit)


def test_only_staff_correct_and_not_without_a_reason(client, world, actors):
    staff = world["staff"]
    meeting = confirmed_meeting(client, world)
    hold(client, staff, meeting)
    mid = meeting["id"]
    ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "funded", "amount": 5_000_000, "instrument": "equity"}, headers=staff))
    body = {"outcome": "declined", "correction_reason": "x"}
    for headers in (world["as_ent_a"], world["as_inst_a"]):
        assert client.post(f"{API}/meetings/{mid}/outcome", json=body, headers=headers).status_code == 403
    r = client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "declined", "correction_reason": "  "}, headers=staff)
    assert r.status_code == 409 and "correction_reason" in r.get_json()["errors"]["json"]
    assert ok(client.get(f"{API}/meetings/{mid}", headers=staff))["outcome"] == "funded"
