"""Requests per minute, per signed-in user and per client address, counted by
Flask-Limiter in the counters all worker processes share (its ``limits`` storage
:class:`~matchmaker.records.counters.CountersStorage`, over the data folder's counters
file); past a limit, 429 with ``Retry-After`` (the seconds left in the window).

Two budgets: every request, and, tighter, the costly ones (a full-text ``q``, a need's
matches, an institution's deal flow), which rank many documents.  Each ``RATE_LIMIT_*``
setting is a number per minute (0: no limit).  ``RATE_LIMIT_ENABLED`` unset means on,
except in an app made for tests (``TESTING``), which sets it when it tests the limits.
A full or broken disk must not stop reads too: when the counters cannot be written, the
request is let through uncounted (Flask-Limiter's ``swallow_errors``) and a warning logged.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..errors import MatchmakerError

COSTLY_PATHS = ("/matches", "/dealflow")
_KEY = "matchmaker.rate_limiter"

#: scope -> (setting, what is counted, whom it is counted for)
BUDGETS = {
    "user": ("RATE_LIMIT_PER_MINUTE", "requests", "user"),
    "address": ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "requests", "address"),
    "search-user": ("RATE_LIMIT_SEARCHES_PER_MINUTE", "searches", "user"),
    "search-address": ("RATE_LIMIT_SEARCHES_PER_ADDRESS_PER_MINUTE", "searches", "address"),
}


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


def _user_id() -> str | None:
    user = current_user._get_current_object()
    return user.id if getattr(user, "is_authenticated", False) else None


def _per_minute(setting: str):
    def provider() -> str:
        limit = int(current_app.config.get(setting) or 0)
        return f"{limit}/minute" if limit > 0 else ""  # "": no limit
    return provider


def _budget(scope: str) -> ApplicationLimit:
    setting, what, whom = BUDGETS[scope]
    searches = what == "searches"
    if whom == "user":
        key, skip = (lambda: f"user/{_user_id()}"), (lambda: _user_id() is None or (searches and not costly()))
    else:
        key, skip = get_remote_address, (lambda: searches and not costly())
    return ApplicationLimit(_per_minute(setting), key_function=key, scope=scope, exempt_when=skip)


def refusal(exc: RateLimitExceeded) -> RateLimited:
    """The 429 to answer for a limit Flask-Limiter found exceeded: which budget, and when to come back."""
    limiter = current_app.extensions.get(_KEY)
    reached = limiter.current_limit if limiter is not None else None
    retry_after = max(1, math.ceil(reached.window.reset_time - time.time())) if reached is not None else 60
    _, what, _ = BUDGETS.get(exc.limit.scope, ("", "requests", ""))
    return RateLimited(f"too many {what} ({exc.limit.limit.amount} a minute); try again in {retry_after} seconds",
                       retry_after=retry_after)


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    from ..records.counters import counters

    limiter = Limiter(
        get_remote_address,
        application_limits=[_budget(scope) for scope in BUDGETS],
        storage_uri="matchmaker-counters://",
        storage_options={"counters": counters(app)},
        strategy="fixed-window",
        key_prefix="rate",
        swallow_errors=True,  # counters out of reach (a full disk): let the request through, logged
        headers_enabled=False,  # Retry-After on a 429 only (http_errors, from refusal())
    )
    limiter.request_filter(lambda: request.endpoint == "static")
    limiter.init_app(app)
    app.extensions[_KEY] = limiter
