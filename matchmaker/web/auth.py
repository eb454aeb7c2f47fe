"""Signing in and out, changing the password, choosing the language."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..accounts import service as accounts
from ..core.users import User
from ..accounts.schemas import PasswordChangeSchema
from ..accounts.throttle import throttle
from ..core.schemas import validate_with
from ..errors import ValidationError
from . import sessions
from .base import backend, bp, home_url, observers, user
from .i18n import COOKIE, LANGUAGES


@bp.route("/")
def home():
    return redirect(home_url())


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = sessions.safe_next(request.values.get("next"), "")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target or home_url())
        return render_template("auth/sign_in.html", username="", next=target)

    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    limiter, address = throttle(), request.remote_addr
    wait = limiter.locked_for(username, address)
    if wait:
        minutes = max(1, -(-wait // 60))
        error = _("Too many failed sign-ins. Try again in %(minutes)s minutes.", minutes=minutes)
        return render_template("auth/sign_in.html", username=username, next=target, error=error), 429
    found = accounts.authenticate(backend(), username, password) if username and password else None
    if found is None:
        limiter.failed(username, address)
        error = _("Wrong username or password.")
        return render_template("auth/sign_in.html", username=username, next=target, error=error), 401
    limiter.succeeded(username, address)
    sessions.start(found)
    return redirect(target or home_url(found))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    sessions.end(user())
    flash(_("You have signed out."), "info")
    return redirect(url_for("web.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    errors: dict = {}
    if request.method == "POST":
        data = {"current_password": request.form.get("current_password", ""),
                "new_password": request.form.get("new_password", "")}
        try:
            validate_with(PasswordChangeSchema(), data)  # the API's rules
            if data["new_password"] != request.form.get("confirm_password", ""):
                raise ValidationError("the passwords differ", fields={"confirm_password": ["does not match the new password"]})
            updated = accounts.change_password(backend(), user(), data["current_password"], data["new_password"],
                                               observers=observers())
        except ValidationError as exc:
            errors = {("new_password" if k == "password" else k): v for k, v in exc.fields.items()}
        else:
            accounts.revoke_all_tokens(backend(), updated["id"])
            # every other session ended with the old generation; this one goes on
            login_user(User(updated))
            flash(_("Your password has been changed. Your other sessions and API tokens have ended."), "success")
            return redirect(home_url())
    return render_template("auth/password.html", errors=errors), (422 if errors else 200)


@bp.route("/language", methods=["POST"])
def set_language():
    chosen = request.form.get("lang")
    response = make_response(redirect(sessions.safe_next(request.form.get("next"), url_for("web.home"))))
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response
