"""Requests per minute, per signed-in user and per client address, counted in the
counters all worker processes share (:mod:`matchmaker.records.counters`); past a limit,
429 with ``Retry-After`` (the seconds left in the minute).

Two budgets: every request, and, tighter, the costly ones (a full-text ``q``, a need's
matches, an institution's deal flow), which rank many documents.  Each ``RATE_LIMIT_*``
setting is a number per minute (0: no limit).  ``RATE_LIMIT_ENABLED`` unset means on,
except in an app made for tests (``TESTING``), which sets it when it tests the limits.
"""
from __future__ import annotations


from flask import Flask, current_app, request
from flask_login import current_user

from ..errors import MatchmakerError
from ..records.counters import STORE_ERRORS

WINDOW = 60
COSTLY_PATHS = ("/matches", "/dealflow")


class RateLimited(MatchmakerError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def enabled(app: Flask) -> bool:
    setting = app.config.get("RATE_LIMIT_ENABLED")
    return (not app.testing) if setting is None else bool(setting)


def costly() -> bool:
    return bool(request.args.get("q")) or request.path.endswith(COSTLY_PATHS)


def budgets(user_id: str | None, address: str | None, config) -> list[tuple[str, int]]:
    """(counter key, limit per minute) of every budget this request counts against."""
    found = []
    if user_id:
        found.append((f"rate/user/{user_id}", int(config.get("RATE_LIMIT_PER_MINUTE") or 0)))
    if address:
        found.append((f"rate/address/{address}", int(config.get("RATE_LIMIT_PER_ADDRESS_PER_MINUTE") or 0)))
    if costly():
        if user_id:
            found.append((f"rate/search-user/{user_id}", int(config.get("RATE_LIMIT_SEARCHES_PER_MINUTE") or 0)))
        if address:
            found.append((f"rate/search-address/{address}",
                          int(config.get("RATE_LIMIT_SEARCHES_PER_ADDRESS_PER_MINUTE") or 0)))
    return [(key, limit) for key, limit in found if limit > 0]


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    from ..records.counters import counters

    store = counters(app)

    @app.before_request
    def within_budget():
        if request.endpoint == "static":
            return None
        user = current_user._get_current_object()
        user_id = user.id if getattr(user, "is_authenticated", False) else None
        for key, limit in budgets(user_id, request.remote_addr, current_app.config):
            try:
                count, retry_after = store.hit(key, WINDOW)
            except STORE_ERRORS as exc:  # a full or broken disk must not stop reads too
                current_app.logger.warning("rate limits not counted: %s", exc)
                return None
            if count > limit:
                what = "searches" if "/search-" in key else "requests"
                raise RateLimited(f"too many {what} ({limit} a minute); try again in {retry_after} seconds",
                                  retry_after=retry_after)
        return None
