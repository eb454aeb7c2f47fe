"""Times as the zone counts them: China Standard Time, and China's working days.

Working days follow the State Council's yearly holiday schedule (国务院办公厅关于节假日安排的通知):
public holidays are not working days, and the make-up working days (调休, a Saturday or
Sunday worked in exchange) are.  The schedule comes from the maintained ``chinesecalendar``
package (``chinese_calendar.is_workday``), updated each year when the State Council
publishes the next one; for a year it does not cover yet, Monday to Friday stands in.

Stored times are UTC ISO 8601 text with whole seconds (``2012-06-01T01:30:00+00:00``), so
both backends compare them as they sort.  Months (``2012-06``) and working days are taken
in the zone's local time (UTC+8, no daylight saving), where the plan's year and months are.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from .. import clock
from ..errors import ValidationError

#: China Standard Time: the zone's calendar (months of the statistics, working days).
ZONE_TIME = timezone(timedelta(hours=8), "CST")
WORKING_WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday


def parse_time(value: str | datetime, field: str = "time") -> datetime:
    """An aware datetime from ISO text; a time without an offset is taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{field} is not an ISO 8601 time", fields={field: ["not an ISO 8601 time"]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def utc_iso(value: str | datetime, field: str = "time") -> str:
    """The stored form of a time: UTC, whole seconds."""
    return parse_time(value, field).astimezone(timezone.utc).replace(microsecond=0).isoformat()


def now_utc() -> datetime:
    """Now, on the service's today (``matchmaker.clock``), in whole seconds."""
    return clock.now().replace(microsecond=0)


def local_month(value: str | datetime) -> str:
    """``YYYY-MM`` of a time, in the zone's local time."""
    return parse_time(value).astimezone(ZONE_TIME).strftime("%Y-%m")


def year_months(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """A working day in mainland China: the official schedule, else Monday to Friday."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no schedule for (before 2004, or not yet published)
        return day.weekday() in WORKING_WEEKDAYS


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself does not count)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE_TIME)


def deadline_for_day(day: date, working_days: int) -> datetime:
    """When the answer to something published on local date ``day`` is late: the end of the
    ``working_days``-th working day after that day (published on a Friday or a Saturday with
    3 days: the end of Wednesday)."""
    return _local_midnight(add_working_days(day, working_days) + timedelta(days=1))


def response_deadline(published_at: str | datetime, working_days: int) -> str:
    """The response deadline of a need published at ``published_at``, as stored text."""
    local_day = parse_time(published_at).astimezone(ZONE_TIME).date()
    return utc_iso(deadline_for_day(local_day, working_days))


def overdue_cutoff(now: datetime, working_days: int) -> str:
    """The latest publication time whose deadline has passed at ``now``: a need published
    at or before it and still unanswered is late.  (Deadlines grow with the publication
    day, so one bound on ``published_at`` selects exactly the late ones in the engine.)"""
    day = now.astimezone(ZONE_TIME).date()
    while deadline_for_day(day, working_days) > now:
        day -= timedelta(days=1)
    return utc_iso(_local_midnight(day + timedelta(days=1)) - timedelta(seconds=1))


def answered_in_time(published_at: str, answered_at: str, working_days: int) -> bool:
    return parse_time(answered_at) < parse_time(response_deadline(published_at, working_days))
