"""Meeting slots: staff offer two or three times, each party picks those that suit it, and
the earliest time both picked confirms the meeting; with none in common staff are told."""
from __future__ import annotations

from tests.brokering_helpers import API, at, ok


def offer(client, world, *times, status=201):
    slots = [dict(zip(("starts_at", "ends_at"), at(day, hour))) for day, hour in times]
    body = {"need_id": world["needs"][world["ent_a"]["id"]]["open"]["id"], "institution_id": world["inst_a"]["id"], "slots": slots}
    r = client.post(f"{API}/meetings", json=body, headers=world["staff"])
    assert r.status_code == status, r.get_json()
    return r.get_json()


def pick(client, headers, meeting, picks, status=200, **extra):
    r = client.post(f"{API}/meetings/{meeting['id']}/pick", json={"slots": picks, **extra}, headers=headers)
    assert r.status_code == status, r.get_json()
    return r.get_json()


def test_the_earliest_common_pick_confirms_the_meeting(client, world):
    meeting = offer(client, world, ("2030-03-06", 14), ("2030-03-04", 10), ("2030-03-05", 9))
    assert [s["starts_at"] for s in meeting["slots"]] == ["2030-03-04T02:00:00+00:00", "2030-03-05T01:00:00+00:00",
                                                          "2030-03-06T06:00:00+00:00"]  # earliest first
    assert meeting["status"] == "proposed"
    # a plain confirmation is not enough when times are offered
    assert client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=world["as_ent_a"]).status_code == 409
    after_one = pick(client, world["as_ent_a"], meeting, [2, 1])
    assert after_one["status"] == "proposed" and after_one["enterprise_picks"] == [1, 2]
    institution_told = ok(client.get(f"{API}/notifications", headers=world["as_inst_a"]))["items"][0]
    assert "已选择合适的会面时间" in institution_told["message_zh"]
    done = pick(client, world["as_inst_a"], meeting, [0, 1, 2])
    assert done["status"] == "confirmed" and done["chosen_slot"] == 1
    assert (done["starts_at"], done["ends_at"]) == ("2030-03-05T01:00:00+00:00", "2030-03-05T02:00:00+00:00")
    assert done["enterprise_answer"] == done["institution_answer"] == "confirmed" and done["month"] == "2030-03"
    for party in ("as_ent_a", "as_inst_a"):
        note = ok(client.get(f"{API}/notifications", headers=world[party]))["items"][0]
        assert "2030-03-05 09:00" in note["message_zh"] and "会面已确认" in note["message_zh"]
    # picks end with the confirmation
    assert pick(client, world["as_ent_a"], meeting, [0], status=409)


def test_no_time_in_common_tells_staff(client, world):
    meeting = offer(client, world, ("2030-03-04", 10), ("2030-03-05", 10))
    pick(client, world["staff"], meeting, [0], side="enterprise")  # staff pick for a party that phoned in
    stuck = pick(client, world["as_inst_a"], meeting, [1])
    assert stuck["status"] == "proposed" and stuck["slots_unmatched"] is True
    staff_feed = ok(client.get(f"{API}/notifications", headers=world["staff"]))["items"]
    assert "请另提供时间" in staff_feed[0]["message_zh"]
    # the enterprise changes its mind: the second time suits it after all
    assert pick(client, world["as_ent_a"], meeting, [0, 1])["status"] == "confirmed"


def test_offered_times_are_checked(client, world):
    for times in ((("2030-03-04", 10),), (("2030-03-04", 10), ("2030-03-04", 10))):
        problem = offer(client, world, *times, status=422)
        assert "slots" in problem["errors"]["json"]
    problem = offer(client, world, ("2020-02-20", 10), ("2030-03-04", 10), status=422)  # one is in the past
    assert problem["errors"]["json"] == {"starts_at": ["must not be in the past"]}
    meeting = offer(client, world, ("2030-03-04", 10), ("2030-03-05", 10))
    assert pick(client, world["as_ent_a"], meeting, [2], status=422)["errors"]["json"] == {"slots": ["positions 0 to 1"]}
    # a third party cannot pick; a party picks for itself only
    assert client.post(f"{API}/meetings/{meeting['id']}/pick", json={"slots": [0], "side": "institution"},
                       headers=world["as_ent_a"]).status_code == 403
    # each offered time is checked against the parties' other meetings
    clash = offer(client, world, ("2030-03-06", 10), ("2030-03-04", 10), status=409)
    assert "starts_at" in clash["errors"]["json"]
