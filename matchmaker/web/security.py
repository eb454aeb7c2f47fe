"""Security headers on every response, and where CSRF tokens are checked.

Headers (one ``after_request``, for pages, the API, static files and error pages alike):

- ``Content-Security-Policy``: everything from this origin only, no inline scripts and
  no inline styles (the pages' JavaScript and CSS are files under ``/static``; charts are
  inline SVG drawn with presentation attributes), no plugins, no framing, forms post only
  here;
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: same-origin``, a ``Permissions-Policy`` that turns off what the pages
  never use;
- ``Strict-Transport-Security`` when the request came over HTTPS;
- ``Cache-Control: no-store`` on pages, so the back button after signing out shows
  nothing of the session.

CSRF (Flask-WTF's ``CSRFProtect``, with its automatic check switched off and made here):

- every POST/PUT/PATCH/DELETE to a page must carry the form's ``csrf_token`` (the
  sign-in form and the language switch included);
- under ``/api/`` a call that carries a valid bearer token is exempt (also when the
  browser sends the session cookie along): a page on another site cannot make a browser
  add an ``Authorization`` header (that needs CORS, which this app never grants);
- an API call authenticated by the **session cookie** is checked like a form: it must
  send the page's token in an ``X-CSRFToken`` header (the token is in the pages'
  ``<meta name="csrf-token">``), otherwise it is refused with 400 — a page on another
  site can make the browser send the cookie, never the token;
- anonymous API calls are left to the API's own rule (401, except asking for a token).
"""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from ..extensions import csrf

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_HEADERS_BY_LOWER = tuple((name.lower(), name, value) for name, value in HEADERS.items())


def needs_csrf_check() -> bool:
    if request.method not in UNSAFE:
        return False
    if not request.path.startswith("/api/"):
        return True
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False):
        return False  # anonymous: the API answers 401 (or issues a token) without trusting a cookie
    if getattr(user, "token_id", None) is not None:
        return False  # signed in by a bearer token
    # signed in by the session cookie; a valid bearer token sent along still vouches for the call
    # (flask-login reads the cookie first), since no other site can make a browser send one
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        from ..accounts.service import user_for_token
        from ..storage import get_backend

        return user_for_token(get_backend(), token.strip()) is None
    return True


def init_app(app: Flask) -> None:
    @app.before_request
    def check_csrf():
        if app.config.get("WTF_CSRF_ENABLED", True) and needs_csrf_check():
            csrf.protect()

    @app.after_request
    def security_headers(response):
        # a view's own value wins, as setdefault would have it; setdefault asks the headers
        # once a name, and each name they lack raises and catches a KeyError
        present = {name.lower() for name in response.headers.keys()}
        for lowered, name, value in _HEADERS_BY_LOWER:
            if lowered not in present:
                response.headers.add(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
