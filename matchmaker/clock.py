"""The service's "today": ``MATCHMAKER_TODAY`` when set (a demo of 2012 sets 2012-06-30),
else the real date in Asia/Shanghai, the zone's time zone.

Every date-dependent answer (dashboards, deadlines, readiness, years in operation, rule
sets in force) asks here, never ``date.today()``, so one setting moves them all.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
SETTING = "TODAY"  # app.config key; the environment variable is MATCHMAKER_TODAY


def parse_today(value) -> date | None:
    """The configured date, None when unset; ValueError names the setting when malformed."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"MATCHMAKER_TODAY must be a date such as 2012-06-30, not {value!r}") from None


def _configured() -> date | None:
    try:
        from flask import current_app

        if current_app:
            return parse_today(current_app.config.get(SETTING))
    except RuntimeError:  # outside an app context: the CLI's helpers, plain services
        pass
    return parse_today(os.environ.get("MATCHMAKER_TODAY"))


def today() -> date:
    """The date the service takes as today."""
    return _configured() or datetime.now(ZONE).date()


def now() -> datetime:
    """The current moment (UTC), moved to the configured day when ``MATCHMAKER_TODAY`` is set:
    the time of day stays real, so ordering of events within a day still holds."""
    real = datetime.now(timezone.utc)
    configured = _configured()
    if configured is None:
        return real
    local = real.astimezone(ZONE)
    return datetime.combine(configured, local.timetz()).astimezone(timezone.utc)


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the zone's time zone, as UTC."""
    return datetime.combine(day, time(0), ZONE).astimezone(timezone.utc)
