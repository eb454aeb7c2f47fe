"""Configuration: defaults, then ``MATCHMAKER_*`` environment variables, then test overrides."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import platformdirs

DEFAULTS = {
    "SEARCH_BACKEND": "embedded",  # embedded (the records' database + tantivy; tantivy and sqlite name it too), elasticsearch or opensearch
    "SEARCH_URL": None,  # the cluster; ES_URL is its old name
    "ES_URL": None,
    "SEARCH_API_KEY": None,  # Elasticsearch only
    "SEARCH_USERNAME": None,
    "SEARCH_PASSWORD": None,
    "SEARCH_CA_CERTS": None,  # a PEM file of the CA that signed the cluster's certificate
    "SEARCH_VERIFY_CERTS": True,
    "SEARCH_CLOUD_ID": None,  # Elastic Cloud's deployment id, instead of SEARCH_URL
    "DATABASE_URL": None,  # records of the tantivy, elasticsearch and opensearch backends: sqlite:///PATH or postgresql://...; default <data dir>/records.sqlite3
    "INDEX_PREFIX": "matchmaker",
    "MAX_PER_PAGE": 100,
    "TOKEN_TTL_HOURS": 24 * 30,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,  # the largest document (PDF, image, XLSX) an enterprise may upload
    "API_TITLE": "Matchmaker",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
    # brokering
    "RESPONSE_DEADLINE_WORKING_DAYS": 3,  # institutions answer an open need within this many working days (China's calendar)
    "DEADLINE_SWEEP_LIMIT": 200,  # late needs read per batch of the deadline sweep
    "DEADLINE_SWEEP_SECONDS": 300,  # `serve` notifies late needs this often (0: only `matchmaker notify-deadlines`)
    "TARGETS_FILE": None,  # the zone's yearly targets; default: <data dir>/targets.json if present, else the 2012 plan
    "ICS_ATTENDEE_DOMAIN": "matchmaker.invalid",  # calendar addresses of the parties (never delivered to)
    "ESCALATE_AFTER_WORKING_DAYS": 2,  # a late need still unanswered this long after its deadline goes to the lead
    "BROKERING_LEAD": None,
    "CLAIM_REPORT_WORKING_DAYS": 5,  # an institution that claimed a need reports progress this often, or the claim lapses  # username of the brokering lead told of escalations; default: every admin
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    # browser sessions and sign-in (matchmaker.web.sessions, matchmaker.accounts.throttle)
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
    # requests per minute, shared by all workers (matchmaker.core.rate_limits); 0: no limit
    "RATE_LIMIT_ENABLED": None,  # unset: on, except in apps made for tests
    "RATE_LIMIT_PER_MINUTE": 600,  # one signed-in user
    "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": 1200,  # one client address
    "RATE_LIMIT_SEARCHES_PER_MINUTE": 60,  # full-text searches, matches and deal flow, one user
    "RATE_LIMIT_SEARCHES_PER_ADDRESS_PER_MINUTE": 240,
    "WTF_CSRF_CHECK_DEFAULT": False,  # CSRF is checked by web.security.needs_csrf_check, not on every POST
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session (idle timeout)
    # notifications out (matchmaker.delivery): email over SMTP, group robots, webhooks
    "SMTP_HOST": None,  # unset: no email (users cannot choose it)
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",  # starttls, ssl (implicit TLS, port 465) or none (a relay on the same host)
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": None,  # the sender address; required with SMTP_HOST
    "SMTP_TIMEOUT": 10,
    "DELIVERY_SWEEP_SECONDS": 15,  # `serve` sends what is due this often (0: only `matchmaker deliver`)
    "DELIVERY_MAX_ATTEMPTS": 8,  # tries before a delivery is given up
    "DELIVERY_BACKOFF_SECONDS": 30,  # the wait after the first failure; doubled after each, with jitter
    "DELIVERY_BACKOFF_MAX_SECONDS": 6 * 3600,
    "DELIVERY_TIMEOUT_SECONDS": 10,  # one HTTP request to a robot or webhook
    "DELIVERY_ALLOW_PRIVATE_ADDRESSES": False,  # True: robots and webhooks may reach private/loopback hosts (tests, an intranet)
    # self-registration (matchmaker.accounts.registration)
    "REGISTRATION_OPEN": True,  # enterprises and institutions may sign up, for staff to approve
    "REGISTRATION_CONFIRM_HOURS": 48,  # how long the emailed confirmation link works
    "REGISTRATIONS_PER_ADDRESS_PER_HOUR": 10,  # sign-ups from one client address
    "PUBLIC_URL": None,  # the service's address in emailed links; unset: the address the request came to
    # a search that would run longer stops and answers 503 with Retry-After (0: no limit)
    "SEARCH_TIME_BUDGET_SECONDS": 10,
    # PostgreSQL ends any statement of the records that runs longer (0: no limit); migrations have none
    "DATABASE_STATEMENT_TIMEOUT_SECONDS": 30,
    "TODAY": None,  # MATCHMAKER_TODAY: the date taken as today (matchmaker.clock); unset, the real date
}


#: settings checked when the service or a command starts: name -> (kind, smallest value)
CHECKED = {
    "MAX_PER_PAGE": ("whole", 1),
    "TOKEN_TTL_HOURS": ("number", 0.01),
    "MAX_CONTENT_LENGTH": ("whole", 1024),
    "DOCUMENT_MAX_BYTES": ("whole", 1024),
    "RESPONSE_DEADLINE_WORKING_DAYS": ("whole", 1),
    "DEADLINE_SWEEP_LIMIT": ("whole", 0),
    "ESCALATE_AFTER_WORKING_DAYS": ("whole", 0),
    "CLAIM_REPORT_WORKING_DAYS": ("whole", 1),
    "PERMANENT_SESSION_LIFETIME": ("number", 1),
    "SIGNIN_MAX_FAILURES": ("whole", 1),
    "SIGNIN_MAX_FAILURES_PER_ADDRESS": ("whole", 1),
    "SIGNIN_WINDOW_SECONDS": ("number", 1),
    "SIGNIN_LOCKOUT_SECONDS": ("number", 1),
    "SEARCH_TIME_BUDGET_SECONDS": ("number", 0),
    "DATABASE_STATEMENT_TIMEOUT_SECONDS": ("number", 0),
    "SESSION_COOKIE_SECURE": ("boolean", None),
    "SMTP_PORT": ("whole", 1),
    "SMTP_TIMEOUT": ("number", 0.1),
    "DELIVERY_SWEEP_SECONDS": ("number", 0),
    "DELIVERY_MAX_ATTEMPTS": ("whole", 1),
    "DELIVERY_BACKOFF_SECONDS": ("number", 0),
    "DELIVERY_BACKOFF_MAX_SECONDS": ("number", 0),
    "DELIVERY_TIMEOUT_SECONDS": ("number", 0.1),
    "DELIVERY_ALLOW_PRIVATE_ADDRESSES": ("boolean", None),
    "REGISTRATION_OPEN": ("boolean", None),
    "REGISTRATION_CONFIRM_HOURS": ("number", 0.01),
    "REGISTRATIONS_PER_ADDRESS_PER_HOUR": ("whole", 0),
}
SMTP_SECURITY = ("starttls", "ssl", "none")
LOCALES = ("zh", "en")


def check_settings(config) -> list[str]:
    """What is wrong with the configuration, one sentence a setting, each naming its
    ``MATCHMAKER_*`` variable; also turns numbers given as strings into numbers."""
    problems = []
    for key, (kind, minimum) in CHECKED.items():
        value = config.get(key)
        if kind == "boolean":
            if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
                value = config[key] = value.strip().lower() in ("true", "1")
            if not isinstance(value, bool):
                problems.append(f"MATCHMAKER_{key} must be true or false, not {value!r}")
            continue
        if isinstance(value, str):
            try:
                value = config[key] = int(value) if kind == "whole" else float(value)
            except ValueError:
                pass
        numeric = (int,) if kind == "whole" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric) or value < minimum:
            word = "a whole number" if kind == "whole" else "a number"
            problems.append(f"MATCHMAKER_{key} must be {word} >= {minimum}, not {value!r}")
    if config.get("BABEL_DEFAULT_LOCALE") not in LOCALES:
        problems.append(f"MATCHMAKER_BABEL_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}, not {config.get('BABEL_DEFAULT_LOCALE')!r}")
    problems += smtp_problems(config)
    from .clock import parse_today

    try:
        parse_today(config.get("TODAY"))
    except ValueError as exc:
        problems.append(str(exc))
    for key in ("TARGETS_FILE", "SCORING_FILE"):
        if config.get(key) and not Path(config[key]).is_file():
            problems.append(f"MATCHMAKER_{key}: {config[key]}: file not found")
    if config.get("BOARD_RULES_DIR") and not Path(config["BOARD_RULES_DIR"]).is_dir():
        problems.append(f"MATCHMAKER_BOARD_RULES_DIR: {config['BOARD_RULES_DIR']}: folder not found")
    return problems


def smtp_problems(config) -> list[str]:
    """The ``SMTP_*`` settings: checked at start-up, so a typo is not found by the first email."""
    problems = []
    if config.get("SMTP_SECURITY") not in SMTP_SECURITY:
        problems.append(f"MATCHMAKER_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, not {config.get('SMTP_SECURITY')!r}")
    if isinstance(config.get("SMTP_PORT"), int) and config["SMTP_PORT"] > 65535:
        problems.append(f"MATCHMAKER_SMTP_PORT must be a port number (1 to 65535), not {config['SMTP_PORT']!r}")
    if config.get("SMTP_HOST"):
        sender = config.get("SMTP_FROM") or ""
        local, at, domain = sender.rpartition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in sender):
            problems.append(f"MATCHMAKER_SMTP_FROM must be the sender's email address when MATCHMAKER_SMTP_HOST is set, not {sender!r}")
    if bool(config.get("SMTP_USERNAME")) != bool(config.get("SMTP_PASSWORD")):
        problems.append("MATCHMAKER_SMTP_USERNAME and MATCHMAKER_SMTP_PASSWORD go together: set both or neither")
    return problems


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
