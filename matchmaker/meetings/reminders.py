"""Reminders the day before a meeting, sent by ``matchmaker notify-deadlines`` (cron or the
scheduler), never by a page view.

Each run tells both parties of every confirmed meeting that starts before the end of the
zone's next day and has not started yet: run once a day, a meeting of tomorrow is reminded
today; one confirmed late (for later today or tomorrow) is reminded at the next run.  The
notification's key names the meeting and its start, so running again reminds no one twice,
while a meeting moved to another time is reminded again.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from .. import clock
from ..core.calendar import ZONE_TIME, utc_iso
from ..notifications.service import Notifications
from ..search import Query, Range, SearchBackend, Sort, Terms

MEETINGS = "meetings"
KIND = "meeting_reminder"


def due_query(now: datetime, page: int = 1, per_page: int = 200) -> Query:
    """Confirmed meetings from now to the end of the zone's next day."""
    tomorrow = now.astimezone(ZONE_TIME).date() + timedelta(days=1)
    until = clock.start_of_day(tomorrow + timedelta(days=1)) - timedelta(seconds=1)
    return Query(filters=[Terms("status", ["confirmed"]), Range("starts_at", gte=utc_iso(now), lte=utc_iso(until))],
                 sort=[Sort("starts_at")], page=page, per_page=per_page)


def remind(backend: SearchBackend, now: datetime | None = None) -> int:
    """Remind both parties of each meeting due (see the module); how many meetings."""
    from .service import _when

    now = now or clock.now()
    notifications = Notifications(backend)
    count, page = 0, 1
    while True:
        batch = backend.search(MEETINGS, due_query(now, page=page)).items
        for meeting in batch:
            when, place = _when(meeting), meeting.get("location")
            for side, other in (("enterprise", "institution"), ("institution", "enterprise")):
                with_whom = meeting.get(f"{other}_name") or other
                notifications.send(
                    [f"{side}:{meeting[f'{side}_id']}"], KIND, subject_kind="meeting", subject_id=meeting["id"],
                    need_id=meeting["need_id"], meeting_id=meeting["id"],
                    doc_id=f"reminder-{meeting['id']}-{meeting['starts_at'][:19].replace(':', '')}",
                    message=f"Reminder: your meeting with {with_whom} is on {when}" + (f", at {place}." if place else "."),
                    message_zh=f"提醒：您与{with_whom}的会面定于{when}" + (f"，地点：{place}。" if place else "。"),
                    data={"starts_at": meeting["starts_at"], "ends_at": meeting["ends_at"], "location": place},
                )
            count += 1
        if len(batch) < 200:
            return count
        page += 1
