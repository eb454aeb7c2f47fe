"""Configuration: defaults, then ``MATCHMAKER_*`` environment variables, then test overrides."""
from __future__ import annotations

import os
import secrets
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
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
}


def default_data_dir() -> str:
    return platformdirs.user_data_dir("matchmaker", appauthor=False)


def load_secret_key(data_dir: str | Path) -> str:
    """The session signing key kept in the data folder, made on first use (mode 0600)."""
    path = Path(data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
