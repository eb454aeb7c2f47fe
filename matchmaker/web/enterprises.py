"""Enterprise pages: the company profile with its yearly financials, its needs, its
listing readiness; and, for staff, the list of enterprises."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.access import can_read_enterprise
from ..enterprises.claims import STAFF_MILESTONES
from ..enterprises.facts import TIER_SERVICES, counter_guarantees_offered
from ..enterprises.schemas import EnterpriseSearchSchema
from ..enterprises.service import EnterpriseService
from ..errors import ValidationError
from ..needs.schemas import NeedSearchSchema
from ..needs.service import NeedService
from ..readiness.service import ReadinessService
from ..clock import today
from ..scoring.settings import BoardNotInForce, get_settings
from ..vocabulary import CERTIFICATION_KINDS
from . import forms
from .base import backend, observers, query_args, user
from .charts import line_chart
from .i18n import bilingual, format_when, language

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")


def service() -> EnterpriseService:
    return EnterpriseService(backend(), observers())


@bp.route("")
def index():
    """Staff: every enterprise, searchable (the service refuses institutions)."""
    args, errors = query_args(EnterpriseSearchSchema(), {"per_page": 20})
    result = service().search(user(), args)
    return render_template("enterprises/index.html", result=result, args=args, errors=errors)


@bp.route("/<enterprise_id>")
def profile(enterprise_id):
    enterprise = service().get(user(), enterprise_id)
    needs = None
    if can_read_enterprise(user(), enterprise_id):  # the owner or staff: the full profile, the needs in every status
        needs = NeedService(backend(), observers()).search(user(), {"enterprise_id": [enterprise_id], "per_page": 5, "sort": "-created_at"})
    return render_template("enterprises/profile.html", enterprise=enterprise, needs=needs,
                           services=TIER_SERVICES.get(enterprise.get("tier"), ()), kinds=CERTIFICATION_KINDS,
                           can_edit=can_read_enterprise(user(), enterprise_id))


@bp.route("/<enterprise_id>/certifications", methods=["POST"])
def certifications(enterprise_id):
    """An enterprise claims a designation; staff verify or remove one (the service checks who may)."""
    svc = service()
    enterprise = svc.get(user(), enterprise_id)
    if not can_read_enterprise(user(), enterprise_id):
        abort(403)
    held = [dict(c) for c in enterprise.get("certifications") or []]
    action, form = request.form.get("action"), request.form
    position = form.get("position", type=int)
    if action in ("verify", "remove") and (position is None or not 0 <= position < len(held)):
        abort(404)
    if action == "claim":
        held.append({k: v for k, v in (("kind", form.get("kind")), ("granted_on", form.get("granted_on")),
                                       ("expires_on", form.get("expires_on") or None)) if v is not None})
    elif action == "verify":
        held[position]["verified"] = True
    elif action == "remove":
        held.pop(position)
    else:
        abort(400)
    try:
        svc.update(user(), enterprise_id, {"certifications": held, "version": form.get("version")})
    except ValidationError as exc:
        flash(_("The designation was not saved: %(reason)s", reason=_designation_problem(exc)), "error")
    else:
        flash(_("The designation has been saved."), "success")
    return redirect(url_for(".profile", enterprise_id=enterprise_id))


def _designation_problem(exc: ValidationError) -> str:
    """The first message of a refused designation, in the page's language."""
    from .messages import translate_message

    found = (exc.fields or {}).get("certifications", exc.fields)
    while isinstance(found, dict) and found:
        found = next(iter(found.values()))
    text = found[0] if isinstance(found, list) and found else exc.message
    return translate_message(str(text))


@bp.route("/<enterprise_id>/edit", methods=["GET", "POST"])
def edit(enterprise_id):
    svc = service()
    enterprise = svc.get(user(), enterprise_id)
    if not can_read_enterprise(user(), enterprise_id):  # an institution reads a part of it, edits none
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        data = forms.empty_objects_as_none(forms.data_from(forms.ENTERPRISE + forms.READINESS, request.form))
        data["financials"], rows = forms.financials_from(request.form)
        data["equity_financings"], financing_rows = forms.rows_from(request.form, "equity_financings", forms.EQUITY_FINANCING)
        data["version"] = request.form.get("version")
        if not user().is_staff:  # shown read only: an unchecked box that was not there changes nothing
            for field in STAFF_MILESTONES:
                data.pop(field, None)
        try:
            svc.update(user(), enterprise_id, data)
        except ValidationError as exc:
            errors = forms.errors_by_row(forms.errors_by_row(exc.fields, rows), financing_rows, "equity_financings")
        else:
            flash(_("The company profile has been saved."), "success")
            return redirect(url_for(".profile", enterprise_id=enterprise_id))
        values = request.form
    else:
        values = forms.values_from(forms.ENTERPRISE + forms.READINESS, enterprise)
        # a profile that never said what security it offers shows what it evidently has
        values.setlist("counter_guarantees_offered", counter_guarantees_offered(enterprise))
        values.update(forms.financial_values(enterprise))
        values.update(forms.row_values("equity_financings", forms.EQUITY_FINANCING, enterprise.get("equity_financings") or []))
        values["version"] = enterprise["version"]
    rows = sorted(set(forms.financial_rows(values)))
    spare = (max(rows) + 1) if rows else 0
    rows += list(range(spare, spare + forms.SPARE_ROWS))
    return render_template("enterprises/edit.html", enterprise=enterprise, values=values, errors=errors, rows=rows,
                           columns=forms.FINANCIAL_COLUMNS, financing_rows=forms.row_numbers(values, "equity_financings"), read_only=() if user().is_staff else STAFF_MILESTONES), \
        (422 if errors else 200)


@bp.route("/<enterprise_id>/needs")
def needs(enterprise_id):
    enterprise = service().get(user(), enterprise_id)
    args, errors = query_args(NeedSearchSchema(), {"per_page": 20, "sort": "-created_at"})
    args["enterprise_id"] = [enterprise_id]
    result = NeedService(backend(), observers()).search(user(), args)
    return render_template("needs/list.html", enterprise=enterprise, result=result, args=args, errors=errors)


@bp.route("/<enterprise_id>/readiness")
def readiness(enterprise_id):
    """One board's readiness; staff may pick the date (the rule set in force then and the
    fiscal years closed by then), and a board not in force that day says why."""
    settings = get_settings()
    boards = settings.known_boards
    board = request.args.get("board") or ("chinext" if "chinext" in settings.boards else next(iter(settings.boards), boards[0]))
    if board not in boards:
        abort(404)
    enterprise = service().get(user(), enterprise_id)
    as_of, problem = None, None
    if user().is_staff and request.args.get("as_of"):
        try:
            as_of = date.fromisoformat(request.args["as_of"])
        except ValueError:
            problem = _("Not a date: %(value)s (use YYYY-MM-DD)", value=request.args["as_of"])
    answer, chart = None, None
    if problem is None:
        try:
            answer = ReadinessService(backend(), settings).readiness(user(), enterprise_id, board, language(), as_of=as_of)
        except BoardNotInForce as exc:
            problem = str(exc)
    if answer is not None:
        points = [(format_when(s["at"], with_time=False), s["score"]) for s in answer["history"]]
        chart = line_chart(points, _("Readiness score over time, %(board)s", board=bilingual(answer["board_name"])), threshold=100)
    names = {code: bilingual(settings.rule_sets[code][-1].name if settings.rule_sets else settings.boards[code].name) for code in boards}
    return render_template("enterprises/readiness.html", enterprise=enterprise, answer=answer, board=board,
                           boards=names, chart=chart, problem=problem, as_of=(as_of or today()).isoformat(),
                           can_pick_date=user().is_staff), (422 if problem else 200)
