"""Configuration: defaults, then ``MATCHMAKER_*`` environment variables, then test overrides."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import platformdirs

DEFAULTS = {
    "SEARCH_BACKEND": "sqlite",
    "ES_URL": None,
    "INDEX_PREFIX": "matchmaker",
    "MAX_PER_PAGE": 100,
    "TOKEN_TTL_HOURS": 24 * 30,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "API_TITLE": "Matchmaker",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
    # brokering (issue 4)
    "RESPONSE_DEADLINE_WORKING_DAYS": 3,  # institutions answer an open need within this many working days (China's calendar)
    "DEADLINE_SWEEP_LIMIT": 200,  # late needs read per batch of the deadline sweep
    "DEADLINE_SWEEP_SECONDS": 300,  # `serve` notifies late needs this often (0: only `matchmaker notify-deadlines`)
    "TARGETS_FILE": None,  # the zone's yearly targets; default: <data dir>/targets.json if present, else the 2012 plan
    "ICS_ATTENDEE_DOMAIN": "matchmaker.invalid",  # calendar addresses of the parties (never delivered to)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    # browser sessions and sign-in (issue 5; matchmaker.web.sessions, matchmaker.accounts.throttle)
    # SESSION_COOKIE_SECURE False: Secure whenever the request came over HTTPS; True: always
    # (set it behind a proxy that terminates TLS, where the app sees plain HTTP)
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": 30 * 60,  # idle timeout, seconds; every request starts it again
    "SIGNIN_MAX_FAILURES": 5,  # failed sign-ins of one account within the window before it is locked
    "SIGNIN_MAX_FAILURES_PER_ADDRESS": 20,  # the same for one client address
    "SIGNIN_WINDOW_SECONDS": 15 * 60,
    "SIGNIN_LOCKOUT_SECONDS": 15 * 60,
    "BABEL_DEFAULT_LOCALE": "zh",  # the pages' language until the user picks English
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    # requests per minute, shared by all workers (matchmaker.common.rate_limits); 0: no limit
    "RATE_LIMIT_ENABLED": None,  # unset: on, except in apps made for tests
    "RATE_LIMIT_PER_MINUTE": 600,  # one signed-in user
    "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": 1200,  # one client address
    "RATE_LIMIT_SEARCHES_PER_MINUTE": 60,  # full-text searches, matches and deal flow, one user
    "RATE_LIMIT_SEARCHES_PER_ADDRESS_PER_MINUTE": 240,
    "TODAY": None,  # MATCHMAKER_TODAY: the date taken as today (matchmaker.clock); unset, the real date
}


def default_data_dir() -> str:
    return platformdirs.user_data_dir("matchmaker", appauthor=False)


def load_secret_key(data_dir: str | Path) -> str:
    """The session signing key kept in the data folder, made on first use (mode 0600).

    Processes that start together on a new folder (``serve --workers``, a CLI command beside
    the server) must agree on one key: each writes a whole key to a file of its own and
    links it into place, which fails for all but the first; then everyone reads that one.
    """
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: its key stands
        finally:
            os.unlink(draft)
    return path.read_text().strip()
