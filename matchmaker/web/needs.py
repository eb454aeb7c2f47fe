"""Funding needs: create, edit, publish, withdraw; the ranked matches of a need."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.access import can_edit_need, can_read_enterprise
from ..enterprises.service import EnterpriseService
from ..errors import Conflict, ValidationError
from ..matches.schemas import MatchArgsSchema
from ..matches.service import MatchService
from ..needs.schemas import NeedSearchSchema
from ..scoring.settings import get_settings
from . import forms
from .base import backend, for_request, query_args, user
from .panels import introductions_asked, need_service, render_need
from .i18n import language

bp = Blueprint("needs", __name__)

@bp.route("/needs")
def index():
    """Every need the user may see, searchable (staff: all; institutions: the open ones)."""
    args, errors = query_args(NeedSearchSchema(), {"per_page": 20, "sort": "-created_at"})
    result = need_service().search(user(), args)
    return render_template("needs/list.html", enterprise=None, result=result, args=args, errors=errors)


@bp.route("/enterprises/<enterprise_id>/needs/new", methods=["GET", "POST"])
def create(enterprise_id):
    enterprise = for_request(EnterpriseService).get(user(), enterprise_id)
    if not can_read_enterprise(user(), enterprise_id):  # only the enterprise itself and staff post its needs
        abort(403)
    errors: dict = {}
    values = request.form if request.method == "POST" else forms.values_from(forms.NEED, {"instrument": "equity"})
    if request.method == "POST":
        data = forms.data_from(forms.NEED, request.form)
        data["enterprise_id"] = enterprise_id
        data["status"] = "open" if request.form.get("publish") else "draft"
        try:
            need = need_service().create(user(), data)
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash(_("The need has been published.") if need["status"] == "open" else _("The need has been saved as a draft."), "success")
            return redirect(url_for(".detail", need_id=need["id"]))
    return render_template("needs/edit.html", enterprise=enterprise, need=None, values=values, errors=errors), (422 if errors else 200)


@bp.route("/needs/<need_id>")
def detail(need_id):
    return render_need(need_id)


@bp.route("/needs/<need_id>/edit", methods=["GET", "POST"])
def edit(need_id):
    svc = need_service()
    need = svc.get(user(), need_id)
    if not can_edit_need(user(), need):
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        data = forms.data_from(forms.NEED, request.form)
        data["version"] = request.form.get("version")
        try:
            svc.update(user(), need_id, data)
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash(_("The need has been saved."), "success")
            return redirect(url_for(".detail", need_id=need_id))
        values = request.form
    else:
        values = forms.values_from(forms.NEED, need)
        values["version"] = need["version"]
    return render_template("needs/edit.html", enterprise=None, need=need, values=values, errors=errors), (422 if errors else 200)


@bp.route("/needs/<need_id>/status", methods=["POST"])
def change_status(need_id):
    status = request.form.get("status", "")
    try:
        need_service().update(user(), need_id, {"status": status, "version": request.form.get("version")})
    except ValidationError:
        flash(_("The status was not changed: this change is not allowed."), "error")
    except Conflict:
        flash(_("The need was changed by someone else in the meantime; look at it again and retry."), "error")
    else:
        messages = {"open": _("The need is published: institutions can see it now."),
                    "withdrawn": _("The need has been withdrawn."), "draft": _("The need is a draft again."),
                    "closed": _("The need has been closed.")}
        flash(messages.get(status, _("The status has been changed.")), "success")
    return redirect(url_for(".detail", need_id=need_id))


@bp.route("/needs/<need_id>/matches")
def matches(need_id):
    need = need_service().get(user(), need_id)
    args, errors = query_args(MatchArgsSchema(), {"per_page": 10})
    result = MatchService(backend(), get_settings()).matches(user(), need_id, args, language())
    return render_template("needs/matches.html", need=need, result=result, args=args, errors=errors,
                           asked=introductions_asked(need))
