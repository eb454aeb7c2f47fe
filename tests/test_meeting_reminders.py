"""Reminders: both parties are told the day before a confirmed meeting (by the scheduled
command, once), and the .ics carries alarms the day and the hour before."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from matchmaker.meetings.reminders import remind
from tests.brokering_helpers import API, ok, propose


def confirmed(client, world, day, hour=10):
    staff = world["staff"]
    meeting = propose(client, staff, world["needs"][world["ent_a"]["id"]]["open"]["id"], world["inst_a"]["id"], day=day, hour=hour)
    for side in ("enterprise", "institution"):
        meeting = ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", json={"side": side}, headers=staff))
    return meeting


def reminders(client, headers):
    feed = ok(client.get(f"{API}/notifications", query_string={"kind": "meeting_reminder"}, headers=headers))
    return feed["items"]


def test_both_parties_are_reminded_the_day_before_and_once(client, backend, world):
    tomorrow = confirmed(client, world, "2030-03-05", hour=10)
    later = confirmed(client, world, "2030-03-07", hour=10)
    day_before = datetime(2030, 3, 4, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    with client.application.app_context():
        assert remind(backend, now=day_before) == 1
        assert remind(backend, now=day_before + timedelta(hours=3)) == 1  # counted again, told once
    for party in ("as_ent_a", "as_inst_a"):
        (note,) = reminders(client, world[party])
        assert note["meeting_id"] == tomorrow["id"] and note["meeting_id"] != later["id"]
        assert "2030-03-05 10:00" in note["message_zh"] and note["message_zh"].startswith("提醒")
    assert "+00:00" not in reminders(client, world["as_ent_a"])[0]["message"]
    # a meeting already begun, or cancelled, is not reminded
    with client.application.app_context():
        assert remind(backend, now=datetime(2030, 3, 5, 10, 30, tzinfo=timezone(timedelta(hours=8)))) == 0
    ok(client.post(f"{API}/meetings/{later['id']}/cancel", headers=world["staff"]))
    with client.application.app_context():
        assert remind(backend, now=datetime(2030, 3, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))) == 0


def test_the_calendar_file_has_alarms_before_the_meeting(client, world):
    meeting = confirmed(client, world, "2030-03-05")
    r = client.get(f"{API}/meetings/{meeting['id']}.ics", headers=world["as_ent_a"])
    (event,) = Calendar.from_ical(r.data).walk("VEVENT")
    alarms = event.walk("VALARM")
    assert sorted(a.decoded("trigger") for a in alarms) == [-timedelta(days=1), -timedelta(hours=1)]
    assert all(str(a["action"]) == "DISPLAY" and "融资对接会" in str(a["description"]) for a in alarms)
    ok(client.post(f"{API}/meetings/{meeting['id']}/cancel", headers=world["staff"]))
    (event,) = Calendar.from_ical(client.get(f"{API}/meetings/{meeting['id']}.ics", headers=world["as_ent_a"]).data).walk("VEVENT")
    assert event.walk("VALARM") == []
