"""Browser sessions: what the cookie is, how long it lives, how it starts and ends.

- The session is Flask's signed cookie, ``HttpOnly`` and ``SameSite=Lax``.  It is marked
  ``Secure`` when ``MATCHMAKER_SESSION_COOKIE_SECURE=true`` or, if that is not set, when
  the request itself came over HTTPS (behind a proxy that terminates TLS, set the
  variable: the app then sees plain HTTP).
- **Idle timeout**: a signed-in session is "permanent" with a lifetime of
  ``PERMANENT_SESSION_LIFETIME`` (30 minutes by default); every request re-signs the
  cookie with a fresh timestamp, and a cookie whose signature is older than the lifetime
  is refused by the server (not only forgotten by the browser), so a session left alone
  for 30 minutes is over even if someone kept a copy of the cookie.
- **Sign-in starts a new session**: whatever the session held before (an old user, an old
  CSRF token) is dropped.
- **Sign-out ends every session of the user**: the user's ``session_generation`` moves on
  (``accounts.service.end_sessions``); the cookie carries the generation it was made
  with, so any copy of it, on this browser or another, no longer signs anyone in.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user

from ..core.users import User
from ..accounts.sessions import end_sessions
from ..storage import get_backend


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, ``Secure`` also whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (bool(request) and request.is_secure)


def start(user: User) -> None:
    """A new session for ``user``: the old one's contents are dropped."""
    session.clear()
    login_user(user)
    session.permanent = True  # the idle timeout applies


def end(user: User) -> None:
    """Sign out here and everywhere: copies of the session cookie stop working."""
    end_sessions(get_backend(), user.id)
    logout_user()
    session.clear()


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site (no scheme, no host, no ``//``, no control
    characters: CR/LF would split the Location header), else ``default``."""
    target = (target or "").rstrip("?")
    if not target or any(ch < " " or ch == "\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
