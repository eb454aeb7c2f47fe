"""The ``web`` blueprint every page hangs from, and what the page views share.

Deny by default: every page needs a signed-in user except the few in ``PUBLIC``; an
anonymous visitor is sent to the sign-in page with the page it asked for in ``next``.
What a signed-in user may see is decided by the services, never here.
"""
from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma
from flask import Blueprint, request, url_for
from flask_login import current_user

from ..core.api import backend, for_request, observers  # noqa: F401 - the pages build services as the API does
from ..core.users import User
from ..extensions import login_manager

bp = Blueprint("web", __name__)

#: Endpoints open to anonymous visitors.
PUBLIC = frozenset({"web.sign_in", "web.set_language", "web.register", "web.confirm_registration"})


@bp.before_request
def sign_in_first():
    if request.endpoint in PUBLIC or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def user() -> User:
    """The signed-in user (the pages are only reached signed in)."""
    return current_user._get_current_object()


def home_url(for_user: User | None = None) -> str:
    """Where each role starts."""
    who = for_user or user()
    if who.role == "enterprise":
        return url_for("web.enterprises.profile", enterprise_id=who.enterprise_id)
    if who.role == "institution":
        return url_for("web.institutions.dealflow", institution_id=who.institution_id)
    if who.role == "admin":
        return url_for("web.admin.users")
    return url_for("web.staff.dashboard")


def query_args(schema: ma.Schema, defaults: dict | None = None) -> tuple[dict, dict]:
    """The query string read with the API's own schema: (arguments, errors by field).

    Empty values are dropped (an empty search box is no search); a parameter the schema
    declares as a list may repeat.  On errors the arguments fall back to the schema's
    defaults, with the bad fields left out, so the page still shows something."""
    raw: dict = {}
    for name, field in schema.fields.items():
        if isinstance(field, ma.fields.List):
            values = [v for v in request.args.getlist(name) if v.strip()]
            if values:
                raw[name] = values
        else:
            value = request.args.get(name, "").strip()
            if value:
                raw[name] = value
    raw = {**(defaults or {}), **raw}
    try:
        return schema.load(raw), {}
    except ma.ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        kept = {k: v for k, v in raw.items() if k not in errors}
        try:
            return schema.load(kept), errors
        except ma.ValidationError:
            return schema.load({}), errors


def page_url(page: int, **changes) -> str:
    """This page's URL with ``page`` (and any ``changes``) replaced, every other parameter kept."""
    args = request.args.copy()
    args.setlist("page", [str(page)])
    for key, value in changes.items():
        if value is None:
            args.poplist(key)
        else:
            args.setlist(key, [str(value)])
    query = urlencode(list(args.items(multi=True)))
    return f"{request.path}?{query}" if query else request.path


def pages(total: int, page: int, per_page: int) -> dict:
    """What the pagination bar needs."""
    last = max(1, -(-int(total) // int(per_page)))
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    return {"page": page, "last": last, "shown": shown, "total": total, "per_page": per_page}
