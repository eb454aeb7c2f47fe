"""Signing up (enterprises and institutions), confirming the emailed link, and the staff
page where sign-ups are approved or refused.  The same service as the API decides."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts import registration
from ..accounts.schemas import RegistrationListArgs
from ..accounts.throttle import sign_up_guard
from ..errors import Conflict, Forbidden, TooManyAttempts, ValidationError
from .base import backend, bp, observers, query_args, user
from .i18n import language

FIELDS = ("username", "email", "role", "organisation", "display_name")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if not registration.is_open(current_app.config):
        return render_template("auth/register.html", closed=True, values={}, errors={}), 404
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in FIELDS}
        data = {k: v for k, v in values.items() if v}
        data["password"] = request.form.get("password", "")
        data["language"] = language()
        try:
            if data["password"] != request.form.get("confirm_password", ""):
                raise ValidationError("the passwords differ", fields={"confirm_password": ["does not match the new password"]})
            sign_up_guard(request.remote_addr)
            base = current_app.config.get("PUBLIC_URL") or request.host_url
            done = registration.register(backend(), data, current_app.config, base)
        except TooManyAttempts:
            errors, status = {"_schema": [_("Too many sign-ups or failed sign-ins from your network. Try again later.")]}, 429
        except (ValidationError, Conflict) as exc:
            errors, status = exc.fields or {"_schema": [exc.message]}, 422
        else:
            return render_template("auth/register_sent.html", email=done["email"])
    return render_template("auth/register.html", closed=False, values=values, errors=errors), status


@bp.route("/register/confirm", methods=["GET", "POST"])
def confirm_registration():
    """GET shows a button (a GET changes nothing, and mail scanners open links); POST confirms."""
    token = request.values.get("token", "")[:1000]
    if request.method == "GET":
        return render_template("auth/register_confirm.html", token=token, done=None, error=None)
    try:
        done = registration.confirm(backend(), token, current_app.config)
    except ValidationError as exc:
        expired = "expired" in (exc.fields or {}).get("token", [])
        error = _("This link has expired. Please sign up again.") if expired else _("This link is not valid.")
        return render_template("auth/register_confirm.html", token=token, done=None, error=error), 422
    return render_template("auth/register_confirm.html", token=token, done=done, error=None)


@bp.route("/staff/registrations")
def registrations():
    args, query_errors = query_args(RegistrationListArgs(), {"status": ["pending"]})
    try:
        result = registration.list_registrations(backend(), user(), args)
    except Forbidden:
        abort(404)
    return render_template("staff/registrations.html", result=result, args=args, query_errors=query_errors,
                           parties=_parties(), errors={}, failed=None)


def _parties() -> dict:
    """The enterprises and institutions staff may bind an approved account to, by name."""
    found = {}
    for index in ("enterprises", "institutions"):
        found[index] = sorted(((doc["id"], doc.get("name") or doc["id"]) for doc in backend().scan(index)), key=lambda pair: pair[1])
    return found


@bp.route("/staff/registrations/<registration_id>", methods=["POST"])
def decide_registration(registration_id):
    me = user()
    if not me.is_staff:
        abort(404)
    decision = request.form.get("decision")
    try:
        if decision == "approve":
            field = "enterprise_id" if request.form.get("role") == "enterprise" else "institution_id"
            chosen = request.form.get(field, "").strip()
            registration.approve(backend(), me, registration_id, {field: chosen} if chosen else {}, observers())
            flash(_("The sign-up was approved; the account can sign in now."), "success")
        elif decision == "refuse":
            registration.refuse(backend(), me, registration_id, {"reason": request.form.get("reason", "").strip()})
            flash(_("The sign-up was refused; the applicant is told by email."), "info")
        else:
            abort(400)
    except (ValidationError, Conflict) as exc:
        args, _errors = query_args(RegistrationListArgs(), {"status": ["pending"]})
        result = registration.list_registrations(backend(), me, args)
        return render_template("staff/registrations.html", result=result, args=args, query_errors={}, parties=_parties(),
                               errors=exc.fields or {"_schema": [exc.message]}, failed=registration_id), 422
    return redirect(url_for("web.registrations"))
