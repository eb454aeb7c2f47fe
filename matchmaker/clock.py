"""The service's "today": ``MATCHMAKER_TODAY`` when set (a demo of 2012 sets 2012-06-30),
else the real date in Asia/Shanghai, the zone's time zone.

Every date-dependent answer (dashboards, deadlines, readiness, years in operation, rule
sets in force) asks here, never ``date.today()``, so one setting moves them all.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator
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


#: A date set for a piece of work (``as_of``): seeding the demo runs on the demo's date.
_FIXED: ContextVar[date | None] = ContextVar("matchmaker_today", default=None)


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Take ``day`` as today inside the block, whatever the configuration says."""
    token = _FIXED.set(day)
    try:
        yield
    finally:
        _FIXED.reset(token)


def _configured() -> date | None:
    fixed = _FIXED.get()
    if fixed is not None:
        return fixed
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


#: A date kept in the data folder (``matchmaker seed --demo`` writes the demo's 2012-06-30),
#: read at start-up when ``MATCHMAKER_TODAY`` is unset: a demo deployment reads its own date.
TODAY_FILE = "today"


def stored_today(data_dir) -> date | None:
    """The date kept in ``<data_dir>/today``, None when there is none."""
    path = Path(data_dir) / TODAY_FILE
    if not path.is_file():
        return None
    try:
        return parse_today(path.read_text(encoding="utf-8").strip())
    except ValueError:
        raise ValueError(f"{path}: must hold a date such as 2012-06-30") from None


def store_today(data_dir, day: date) -> Path:
    """Keep ``day`` as the data folder's today (the demo's reference date)."""
    path = Path(data_dir) / TODAY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(day.isoformat() + "\n", encoding="utf-8")
    return path


def configure(config: dict) -> None:
    """At start-up: check ``TODAY`` (a mistake names the setting) or take the data folder's date."""
    configured = parse_today(config.get(SETTING))
    if configured is None and config.get("DATA_DIR"):
        configured = stored_today(config["DATA_DIR"])
    config[SETTING] = configured.isoformat() if configured else None
