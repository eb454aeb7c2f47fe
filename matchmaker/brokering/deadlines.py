"""Response deadlines: which open needs are late, and telling staff and the enterprise once.

A need is late when it is open, was published before the cutoff of
:func:`~matchmaker.core.calendar.overdue_cutoff`, and no institution has answered it
(``brokering.first_response_at`` is missing) — one query in the search engine.

"Deadline passed" notifications are made by :func:`sweep`, which ``matchmaker serve``
runs on a timer (:mod:`~matchmaker.brokering.scheduler`) and ``matchmaker notify-deadlines``
runs once (for cron); never by a read.  Each need is
notified once per publication: ``brokering.deadline_notified_at`` marks it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..search import Missing, Query, Range, SearchBackend, Sort, Terms
from . import facts
from ..core.calendar import ZONE_TIME, now_utc, overdue_cutoff, parse_time, response_deadline, utc_iso

NEEDS = "needs"


def late_filters(now: datetime, working_days: int) -> list:
    return [
        Terms("status", ["open"]),
        Range("published_at", lte=overdue_cutoff(now, working_days)),
        Missing("brokering.first_response_at"),
    ]


def waiting_query(now: datetime, working_days: int, page: int = 1, per_page: int = 20, filters=()) -> Query:
    """Late needs, longest waiting first."""
    return Query(filters=[*late_filters(now, working_days), *filters], sort=[Sort("published_at")],
                 page=page, per_page=per_page, facets=["industry", "instrument"])


def last_day(deadline: str) -> date:
    """The zone's last day to answer: a deadline is the midnight that ends it."""
    return (parse_time(deadline).astimezone(ZONE_TIME) - timedelta(seconds=1)).date()


def sweep(backend: SearchBackend, working_days: int, now: datetime | None = None, limit: int | None = None) -> int:
    """Notify staff and the enterprise of each late need not yet notified; how many."""
    from ..notifications.service import Notifications

    now = now or now_utc()
    query = Query(filters=[*late_filters(now, working_days), Missing("brokering.deadline_notified_at")],
                  sort=[Sort("published_at")], per_page=limit or 500)
    notifications = Notifications(backend)
    done = 0
    while True:
        batch = backend.search(NEEDS, query).items
        if not batch:
            return done
        for need in batch:
            deadline = response_deadline(need["published_at"], working_days)
            day = last_day(deadline).isoformat()
            notifications.send(
                ["staff", f"enterprise:{need['enterprise_id']}"], "deadline_passed",
                subject_kind="need", subject_id=need["id"], need_id=need["id"],
                doc_id=f"deadline-{need['id']}-{need['published_at'][:19].replace(':', '')}",
                message=f"No institution has answered \"{need['title']}\" by its deadline (the end of {day}, UTC+8).",
                message_zh=f"融资需求“{need['title']}”在回复期限（{day}，北京时间）内尚无机构回应。",
                data={"deadline": deadline, "published_at": need["published_at"]},
            )
            facts.mark(backend, need["id"], always={"deadline_notified_at": utc_iso(now)})
            done += 1
            if limit is not None and done >= limit:
                return done
