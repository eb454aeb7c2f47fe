"""Deadlines count China's working days (the State Council's schedule, from the
``chinesecalendar`` package): public holidays are skipped, make-up working days count."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from matchmaker.core.users import User
from matchmaker.core.calendar import add_working_days, is_working_day, response_deadline
from matchmaker.brokering.interests import waiting_list
from tests.brokering_helpers import ok


@pytest.mark.parametrize("start, days, expected", [
    ("2026-09-30", 3, "2026-10-10"),  # National Day 1-7 Oct; Thu 8, Fri 9, and Sat 10 (a make-up working day)
    ("2026-09-18", 1, "2026-09-20"),  # Sunday 20 Sep is worked in exchange for the holiday
    ("2026-02-13", 1, "2026-02-14"),  # Saturday 14 Feb is worked before the Spring Festival
    ("2026-02-14", 1, "2026-02-24"),  # Spring Festival: 15-23 Feb off
])
def test_the_official_schedule_decides(start, days, expected):
    assert add_working_days(date.fromisoformat(start), days) == date.fromisoformat(expected)


def test_a_need_published_on_30_september_is_not_due_in_the_holiday():
    deadline = response_deadline("2026-09-30T02:00:00+00:00", 3)
    assert deadline == "2026-10-10T16:00:00+00:00"  # the end of Saturday 10 October, zone time
    assert not is_working_day(date(2026, 10, 5))


def test_the_waiting_list_waits_for_the_holiday_to_end(client, world, backend):
    need_id = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    need = backend.get("needs", need_id)
    backend.replace("needs", need_id, {**need, "published_at": "2026-09-30T02:00:00+00:00", "published_month": "2026-09"})
    staff = ok(client.get("/api/v1/auth/me", headers=world["staff"]))
    user = User(backend.get("users", staff["id"]))
    on_6_october = waiting_list(backend, user, {}, 3, now=datetime(2026, 10, 6, 12, tzinfo=timezone.utc))
    assert need_id not in [item["need"]["id"] for item in on_6_october["items"]]  # weekends-only would say late
    on_11_october = waiting_list(backend, user, {}, 3, now=datetime(2026, 10, 11, 1, tzinfo=timezone.utc))
    assert need_id in [item["need"]["id"] for item in on_11_october["items"]]


def test_a_year_without_a_schedule_falls_back_to_monday_to_friday():
    assert is_working_day(date(2099, 6, 1)) and not is_working_day(date(2099, 6, 6))  # a Monday; a Saturday
