"""How flask-login finds the user: a session cookie or a bearer token."""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from ..errors import NotAuthenticated
from ..extensions import login_manager
from ..storage import get_backend
from ..core.users import User
from .service import USERS, user_for_token


#: API calls open to anonymous callers: signing in, signing up and confirming a sign-up,
#: and the health probe's one word.
PUBLIC_API = frozenset({("POST", "/api/v1/auth/token"), ("POST", "/api/v1/registrations"),
                        ("POST", "/api/v1/registrations/confirm"), ("GET", "/api/v1/health")})


def init_app(app: Flask) -> None:
    """How flask-login (bound in the factory) loads users, and what it does without one."""
    # "basic", not "strong": strong drops the session whenever the address changes, which
    # signs out every phone that moves between networks.  Stolen cookies are dealt with by
    # the idle timeout and by sign-out ending every copy (session_generation).
    login_manager.session_protection = "basic"
    login_manager.login_view = "web.sign_in"

    @login_manager.user_loader
    def load_session_user(session_id: str) -> User | None:
        user_id, _, generation = session_id.rpartition(":")
        doc = get_backend().get(USERS, user_id)
        if doc is None or not doc.get("active", True):
            return None
        if str(doc.get("session_generation", 0)) != generation:
            return None  # signed out everywhere, password or role changed since
        return User(doc)

    @login_manager.request_loader
    def load_token_user(req) -> User | None:
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return user_for_token(get_backend(), token.strip())

    @app.before_request
    def api_requires_sign_in():
        """Deny by default: every API call needs a signed-in user, except signing in and
        the OpenAPI document.  Checked before the body is parsed or anything is looked
        up, so an anonymous caller learns neither the schemas nor which ids exist."""
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return None
        openapi = "/".join((app.config["OPENAPI_URL_PREFIX"].rstrip("/"), app.config["OPENAPI_JSON_PATH"]))
        if (request.method, request.path) in PUBLIC_API | {("GET", openapi), ("HEAD", openapi)}:
            return None
        user = current_user._get_current_object()
        if not getattr(user, "is_authenticated", False):
            raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
        from flask import redirect, url_for

        return redirect(url_for(login_manager.login_view, next=request.full_path))
