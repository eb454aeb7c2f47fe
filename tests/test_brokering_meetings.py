"""Meetings: overlaps are 409, illegal state changes are 4xx, the .ics file
parses back with the icalendar library, moving the time asks both parties again."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from tests.brokering_helpers import API, at, hold, ok, on_day, propose
from tests.conftest import enterprise_doc, need_doc


@pytest.fixture
def cast(client, actors, world):
    """The world plus a third enterprise with an open need (a different enterprise at inst_a)."""
    staff = world["staff"]
    ent_c = ok(client.post(f"{API}/enterprises", json=enterprise_doc(), headers=staff), 201)
    need_c = ok(client.post(f"{API}/needs", json=need_doc(ent_c["id"]), headers=staff), 201)
    return {
        **world,
        "need_a": world["needs"][world["ent_a"]["id"]]["open"],
        "need_b": world["needs"][world["ent_b"]["id"]]["open"],
        "need_c": need_c,
        "as_ent_b": actors.as_enterprise(world["ent_b"]["id"]),
        "as_inst_b": actors.as_institution(world["inst_b"]["id"]),
    }


def confirm_both(client, cast, meeting_id, enterprise="as_ent_a", institution="as_inst_a"):
    ok(client.post(f"{API}/meetings/{meeting_id}/confirm", headers=cast[enterprise]))
    return ok(client.post(f"{API}/meetings/{meeting_id}/confirm", headers=cast[institution]))


# -- overlaps -------------------------------------------------------------------------------
def test_overlap_with_the_same_enterprise_or_institution_is_409(client, cast):
    staff = cast["staff"]
    first = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=10, hours=1.5)
    # same enterprise, another institution, overlapping by half an hour
    clash = propose(client, staff, cast["need_a"]["id"], cast["inst_b"]["id"], day="2030-03-04", hour=11, status=409)
    assert first["id"] in clash["message"] and "enterprise" in clash["message"]
    # same institution, another enterprise, inside the first one
    clash = propose(client, staff, cast["need_c"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=10, minute=15,
                    hours=0.5, status=409)
    assert "institution" in clash["message"] and clash["errors"]["json"]["starts_at"]
    # a meeting that holds the first one inside it
    propose(client, staff, cast["need_c"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=9, hours=4, status=409)
    # back to back is fine; other parties at the same time are fine
    propose(client, staff, cast["need_a"]["id"], cast["inst_b"]["id"], day="2030-03-04", hour=11, minute=30)
    propose(client, staff, cast["need_c"]["id"], cast["inst_b"]["id"], day="2030-03-04", hour=9, minute=0, hours=1)
    propose(client, staff, cast["need_b"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=8, hours=2)


def test_cancelled_meetings_free_their_time_and_moving_into_a_clash_is_409(client, cast):
    staff = cast["staff"]
    first = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"], day="2030-03-05", hour=14)
    ok(client.post(f"{API}/meetings/{first['id']}/cancel", json={"reason": "改期"}, headers=staff))
    second = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"], day="2030-03-05", hour=14)
    other = propose(client, staff, cast["need_c"]["id"], cast["inst_a"]["id"], day="2030-03-05", hour=16)
    starts, ends = at("2030-03-05", 14, 30)
    moved = client.patch(f"{API}/meetings/{other['id']}", json={"starts_at": starts, "ends_at": ends}, headers=staff)
    assert moved.status_code == 409 and second["id"] in moved.get_json()["message"]
    # a meeting does not clash with itself when moved by a few minutes
    starts, ends = at("2030-03-05", 14, 15)
    ok(client.patch(f"{API}/meetings/{second['id']}", json={"starts_at": starts, "ends_at": ends}, headers=staff))


def test_times_are_checked(client, cast):
    staff, need, inst = cast["staff"], cast["need_a"]["id"], cast["inst_a"]["id"]
    bad = [
        {"starts_at": "2030-03-04T10:00:00+08:00", "ends_at": "2030-03-04T09:00:00+08:00"},  # ends before it starts
        {"starts_at": "2030-03-04T10:00:00+08:00", "ends_at": "2030-03-05T10:00:00+08:00"},  # a day long
        {"starts_at": "2030-03-04T10:00:00", "ends_at": "2030-03-04T11:00:00"},  # no offset: ambiguous
        {"starts_at": "next tuesday", "ends_at": "2030-03-04T11:00:00+08:00"},
    ]
    for times in bad:
        r = client.post(f"{API}/meetings", json={"need_id": need, "institution_id": inst, **times}, headers=staff)
        assert r.status_code == 422, (times, r.get_json())
    unknown = client.post(f"{API}/meetings", json={"need_id": "nope", "institution_id": inst, "starts_at": at("2030-03-04", 10)[0],
                                                   "ends_at": at("2030-03-04", 10)[1]}, headers=staff)
    assert unknown.status_code == 422
    draft = cast["needs"][cast["ent_a"]["id"]]["draft"]
    propose(client, staff, draft["id"], inst, status=409)  # only open needs are brokered


# -- state changes -------------------------------------------------------------------------
def test_illegal_state_changes_are_refused(client, cast):
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"])
    mid = meeting["id"]
    assert client.post(f"{API}/meetings/{mid}/held", headers=staff).status_code == 409  # not confirmed yet
    assert client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "follow_up"}, headers=staff).status_code == 409
    confirm_both(client, cast, mid)
    assert client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "follow_up"}, headers=staff).status_code == 409
    ok(client.post(f"{API}/meetings/{mid}/cancel", headers=staff))
    refused = client.post(f"{API}/meetings/{mid}/held", headers=staff)
    assert refused.status_code == 409 and "cancelled meeting cannot be held" in refused.get_json()["message"]
    assert client.patch(f"{API}/meetings/{mid}", json={"status": "held"}, headers=staff).status_code == 409
    assert client.post(f"{API}/meetings/{mid}/cancel", headers=staff).status_code == 409
    assert client.post(f"{API}/meetings/{mid}/confirm", headers=cast["as_ent_a"]).status_code == 409
    assert client.patch(f"{API}/meetings/{mid}", json={"location": "别处"}, headers=staff).status_code == 409
    assert ok(client.get(f"{API}/meetings/{mid}", headers=staff))["status"] == "cancelled"


def test_outcomes(client, cast):
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"])
    mid = meeting["id"]
    confirm_both(client, cast, mid)
    with on_day(client.application, "2030-03-05"):  # the day after the meeting
        held = ok(client.patch(f"{API}/meetings/{mid}", json={"status": "held"}, headers=staff))  # PATCH status does the step
    assert held["status"] == "held"
    assert client.post(f"{API}/meetings/{mid}/held", headers=staff).status_code == 409  # only once
    assert client.post(f"{API}/meetings/{mid}/cancel", headers=staff).status_code == 409  # held is past cancelling
    for body, field in (({"outcome": "funded"}, "amount"), ({"outcome": "funded", "amount": 5}, "instrument"),
                        ({"outcome": "follow_up", "amount": 5}, "amount"), ({"outcome": "great"}, "outcome"),
                        ({"outcome": "funded", "amount": 0, "instrument": "equity"}, "amount")):
        r = client.post(f"{API}/meetings/{mid}/outcome", json=body, headers=staff)
        assert r.status_code == 422 and field in r.get_json()["errors"]["json"], (body, r.get_json())
    for outcome in ("follow_up", "term_sheet"):  # an outcome may move on while the talks go on
        assert ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": outcome}, headers=staff))["outcome"] == outcome
    assert ok(client.get(f"{API}/needs/{cast['need_a']['id']}", headers=staff))["status"] == "open"
    funded = ok(client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "funded", "amount": 8_000_000,
                                                                     "instrument": "convertible", "notes": "首期到位"}, headers=staff))
    assert funded["outcome_notes"] == "首期到位"
    refused = client.post(f"{API}/meetings/{mid}/outcome", json={"outcome": "declined"}, headers=staff)
    assert refused.status_code == 409 and "correction_reason" in refused.get_json()["errors"]["json"]  # corrected only with a reason
    assert ok(client.get(f"{API}/needs/{cast['need_a']['id']}", headers=staff))["status"] == "funded"


def test_a_funded_outcome_follows_the_need_rules(client, cast):
    """A need the enterprise closed meanwhile cannot become funded: 409, nothing changes."""
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"])
    confirm_both(client, cast, meeting["id"])
    hold(client, staff, meeting)
    ok(client.patch(f"{API}/needs/{cast['need_a']['id']}", json={"status": "closed"}, headers=cast["as_ent_a"]))
    r = client.post(f"{API}/meetings/{meeting['id']}/outcome", json={"outcome": "funded", "amount": 1_000_000, "instrument": "equity"}, headers=staff)
    assert r.status_code == 409
    assert "outcome" not in ok(client.get(f"{API}/meetings/{meeting['id']}", headers=staff))
    assert ok(client.get(f"{API}/needs/{cast['need_a']['id']}", headers=staff))["status"] == "closed"


def test_a_party_declining_cancels_and_answers_are_per_side(client, cast):
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"])
    mid = meeting["id"]
    # a party answers for its own side only; staff must say which side
    assert client.post(f"{API}/meetings/{mid}/confirm", json={"side": "institution"}, headers=cast["as_ent_a"]).status_code == 403
    assert client.post(f"{API}/meetings/{mid}/confirm", headers=staff).status_code == 422
    assert client.post(f"{API}/meetings/{mid}/confirm", headers=cast["as_ent_b"]).status_code == 404  # not theirs: hidden
    assert client.post(f"{API}/meetings/{mid}/confirm", headers=cast["as_inst_b"]).status_code == 404
    ok(client.post(f"{API}/meetings/{mid}/confirm", headers=cast["as_ent_a"]))
    again = ok(client.post(f"{API}/meetings/{mid}/confirm", headers=cast["as_ent_a"]))  # twice: no change
    assert again["status"] == "proposed"
    declined = ok(client.post(f"{API}/meetings/{mid}/decline", json={"note": "时间冲突"}, headers=cast["as_inst_a"]))
    assert declined["status"] == "cancelled" and declined["institution_answer"] == "declined"
    assert "declined by the institution" in declined["cancel_reason"]
    # the enterprise is told
    feed = ok(client.get(f"{API}/notifications", headers=cast["as_ent_a"]))
    assert any(n["meeting_id"] == mid and "declined" in n["message"] for n in feed["items"])


def test_moving_the_time_asks_both_parties_again(client, cast):
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"])
    confirmed = confirm_both(client, cast, meeting["id"])
    assert confirmed["status"] == "confirmed"
    noted = ok(client.patch(f"{API}/meetings/{meeting['id']}", json={"notes": "带上财务总监"}, headers=staff))
    assert noted["status"] == "confirmed"  # notes do not need new answers
    starts, ends = at("2030-03-07", 15)
    moved = ok(client.patch(f"{API}/meetings/{meeting['id']}", json={"starts_at": starts, "ends_at": ends},
                            headers={**staff, "If-Match": f'"{noted["version"]}"'}))
    assert moved["status"] == "proposed"
    assert moved["enterprise_answer"] == moved["institution_answer"] == "pending"
    assert moved["starts_at"] == "2030-03-07T07:00:00+00:00"  # stored in UTC
    stale = client.patch(f"{API}/meetings/{meeting['id']}", json={"location": "x"}, headers={**staff, "If-Match": f'"{noted["version"]}"'})
    assert stale.status_code == 409
    feed = ok(client.get(f"{API}/notifications", query_string={"kind": "meeting_changed"}, headers=cast["as_inst_a"]))
    assert any("moved" in n["message"] for n in feed["items"])
    # only staff change meetings
    assert client.patch(f"{API}/meetings/{meeting['id']}", json={"notes": "x"}, headers=cast["as_ent_a"]).status_code == 403
    assert client.post(f"{API}/meetings", json={}, headers=cast["as_inst_a"]).status_code in (403, 422)


# -- iCalendar ------------------------------------------------------------------------------
def test_ics_parses_back_with_both_parties_as_attendees(client, cast):
    staff = cast["staff"]
    meeting = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=9, minute=30, hours=1.5)
    ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=cast["as_ent_a"]))
    r = client.get(f"{API}/meetings/{meeting['id']}.ics", headers=cast["as_inst_a"])
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert "attachment" in r.headers["Content-Disposition"]
    calendar = Calendar.from_ical(r.data)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2030, 3, 4, 1, 30, tzinfo=timezone.utc)
    assert event.decoded("dtend") == datetime(2030, 3, 4, 3, 0, tzinfo=timezone.utc)
    assert str(event["location"]) == "滨海高新区管委会 301"
    assert str(event["status"]) == "TENTATIVE"
    attendees = {str(a.params["CN"]): str(a.params["PARTSTAT"]) for a in event["attendee"]}
    assert attendees == {cast["ent_a"]["name"]: "ACCEPTED", cast["inst_a"]["name"]: "NEEDS-ACTION"}
    assert cast["ent_a"]["name"] in str(event["summary"]) and cast["inst_a"]["name"] in str(event["summary"])
    assert str(event["uid"]).startswith(f"meeting-{meeting['id']}@")
    # the same access as the meeting: to other parties it is as missing as an id that does not exist
    assert client.get(f"{API}/meetings/{meeting['id']}.ics", headers=cast["as_ent_b"]).status_code == 404
    assert client.get(f"{API}/meetings/{meeting['id']}.ics", headers=cast["as_inst_b"]).status_code == 404
    assert client.get(f"{API}/meetings/nope.ics", headers=staff).status_code == 404
    assert client.get(f"{API}/meetings/{meeting['id']}.ics").status_code == 401
    ok(client.post(f"{API}/meetings/{meeting['id']}/cancel", headers=staff))
    cancelled = Calendar.from_ical(client.get(f"{API}/meetings/{meeting['id']}.ics", headers=staff).data)
    assert str(cancelled.walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_meeting_lists_filter_by_party_status_and_time(client, cast):
    staff = cast["staff"]
    m1 = propose(client, staff, cast["need_a"]["id"], cast["inst_a"]["id"], day="2030-03-04", hour=10)
    m2 = propose(client, staff, cast["need_b"]["id"], cast["inst_b"]["id"], day="2030-03-05", hour=10)
    m3 = propose(client, staff, cast["need_c"]["id"], cast["inst_a"]["id"], day="2030-03-06", hour=10)
    ok(client.post(f"{API}/meetings/{m3['id']}/cancel", headers=staff))
    ids = lambda body: [m["id"] for m in body["items"]]  # noqa: E731
    assert ids(ok(client.get(f"{API}/meetings", headers=staff))) == [m1["id"], m2["id"], m3["id"]]
    assert ids(ok(client.get(f"{API}/meetings", query_string={"sort": "-starts_at"}, headers=staff)))[0] == m3["id"]
    assert ids(ok(client.get(f"{API}/meetings", headers=cast["as_inst_a"]))) == [m1["id"], m3["id"]]
    assert ids(ok(client.get(f"{API}/meetings", headers=cast["as_ent_b"]))) == [m2["id"]]
    body = ok(client.get(f"{API}/meetings", query_string={"status": "cancelled"}, headers=staff))
    assert ids(body) == [m3["id"]] and body["facets"]["status"] == {"cancelled": 1}
    window = {"starts_from": "2030-03-05T00:00:00+08:00", "starts_until": "2030-03-05T23:59:59+08:00"}
    assert ids(ok(client.get(f"{API}/meetings", query_string=window, headers=staff))) == [m2["id"]]
    assert client.get(f"{API}/meetings", query_string={"status": "maybe"}, headers=staff).status_code == 422
