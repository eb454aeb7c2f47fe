"""Calendar arithmetic the scoring rules share ("N years since founding")."""
from __future__ import annotations

from datetime import date


def as_date(value) -> date:
    """A date from a date or an ISO string; today when None."""
    if value is None:
        from ..clock import today

        return today()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st becomes the month's last day where needed."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def add_years(day: date, years: float) -> date:
    """``day`` plus ``years`` (fractions count in whole months)."""
    return shift_months(day, round(years * 12))


def founded_cutoff(as_of: date, min_years: float) -> date:
    """The latest founding date that is at least ``min_years`` before ``as_of``."""
    return add_years(as_of, -min_years)


def years_between(start: date, end: date) -> float:
    return (end - start).days / 365.25
