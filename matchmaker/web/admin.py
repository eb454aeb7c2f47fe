"""Admin pages: accounts and roles, and binding users to their enterprise or institution."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import fields, validate

from ..core.access import require_admin
from ..accounts import service as accounts
from ..core.users import ROLES
from ..core.schemas import StrictSchema
from ..errors import Conflict, ValidationError
from . import forms
from .base import backend, observers, query_args, user

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserListSchema(StrictSchema):
    role = fields.List(fields.String(validate=validate.OneOf(ROLES)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


def _account_data(form) -> dict:
    data = forms.data_from(forms.USER, form)
    for key in ("enterprise_id", "institution_id"):
        if data.get(key) is None:
            data.pop(key, None)
    if data.get("role") != "enterprise":
        data["enterprise_id"] = None
    if data.get("role") != "institution":
        data["institution_id"] = None
    return data


@bp.route("/users")
def users():
    require_admin(user(), "list accounts")
    args, errors = query_args(UserListSchema())
    result = accounts.list_users(backend(), args)
    return render_template("admin/users.html", result=result, args=args, errors=errors)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    require_admin(user(), "create accounts")
    errors: dict = {}
    values = request.form if request.method == "POST" else forms.values_from(forms.USER, {"role": "enterprise", "active": True})
    if request.method == "POST":
        data = {k: v for k, v in _account_data(request.form).items() if v is not None}
        data["username"] = request.form.get("username", "").strip()
        data["password"] = request.form.get("password", "")
        try:
            created = accounts.create_user(backend(), data, observers())
        except (ValidationError, Conflict) as exc:
            errors = exc.fields or {"_schema": [exc.message]}
        else:
            flash(_("The account %(name)s has been created.", name=created["username"]), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_edit.html", account=None, values=values, errors=errors), (422 if errors else 200)


@bp.route("/users/<user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    require_admin(user(), "change accounts")
    account = accounts.get_user(backend(), user_id)
    errors: dict = {}
    if request.method == "POST":
        data = _account_data(request.form)
        data["version"] = request.form.get("version")
        if request.form.get("password"):
            data["password"] = request.form["password"]
        try:
            updated = accounts.update_user(backend(), user_id, data, observers=observers())
        except (ValidationError, Conflict) as exc:
            errors = exc.fields or {"_schema": [exc.message]}
        else:
            if "password" in data or not updated.get("active", True):
                accounts.revoke_all_tokens(backend(), user_id)
            flash(_("The account %(name)s has been saved.", name=updated["username"]), "success")
            return redirect(url_for(".users"))
        values = request.form
    else:
        values = forms.values_from(forms.USER, account)
        values["version"] = account["version"]
    bound = None
    if account.get("enterprise_id"):
        bound = backend().get("enterprises", account["enterprise_id"])
    elif account.get("institution_id"):
        bound = backend().get("institutions", account["institution_id"])
    return render_template("admin/user_edit.html", account=account, values=values, errors=errors, bound=bound), (422 if errors else 200)

