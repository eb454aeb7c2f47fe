"""Special-fund and reserve-pool pages, on the services of ``matchmaker.fund``: staff
manage the programmes, work the grant queue (approve, reject with a reason, mark paid)
and run the listing reserve pool; an enterprise sees its own grants and applies."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..core.access import can_read_enterprise, require_staff
from ..core.schemas import validate_with
from ..errors import BoardNotInForce, Conflict, MatchmakerError, NoSuchDocument, NotFound, ValidationError
from ..fund.grants import GrantService
from ..fund.pool import ROLES, PoolService, stages_reached
from ..fund.programmes import ProgrammeService
from ..fund.rules import AWARD_STAGES, KINDS, POOL_STAGES
from ..fund.schemas import EntryCreateSchema, EntrySearchSchema, EntryUpdateSchema, GrantCreateSchema, GrantSearchSchema
from ..fund.summary import fund_totals
from ..meetings.service import MeetingService
from ..scoring.settings import get_settings
from . import forms
from .base import backend, for_request, observers, query_args, user
from .i18n import bilingual, language
from .sessions import safe_next

bp = Blueprint("fund", __name__)

PROGRAMME = [
    forms.Field("name"), forms.Field("name_en"), forms.Field("kind", "code"), forms.Field("year", "int"),
    forms.Field("budget", "money"), forms.Field("description"),
    forms.Field("rules.rate", "float", nullable=True), forms.Field("rules.cap_per_enterprise", "money", nullable=True),
    forms.Field("rules.instruments", "codes"), forms.Field("rules.institution_types", "codes"),
    *(forms.Field(f"rules.amounts_by_stage.{stage}", "money", nullable=True) for stage in AWARD_STAGES),
]


def programmes_service() -> ProgrammeService:
    return ProgrammeService(backend(), observers())


def grants_service() -> GrantService:
    return for_request(GrantService)


def pool_service() -> PoolService:
    return PoolService(backend(), get_settings(), observers())


def _messages(exc: MatchmakerError) -> dict:
    return exc.fields or {"_schema": [exc.message]}


def programme_data(form) -> dict:
    """The posted programme; award amounts left empty are no award for that stage."""
    data = forms.data_from(PROGRAMME, form)
    rules = data.setdefault("rules", {})
    awards = {k: v for k, v in (rules.pop("amounts_by_stage", None) or {}).items() if v is not None}
    if awards:
        rules["amounts_by_stage"] = awards
    return data


# -- programmes -------------------------------------------------------------------------------
@bp.route("/staff/programmes")
def programmes():
    require_staff(user(), "manage the special fund")
    year = request.args.get("year", clock.today().year, type=int)
    if not 2000 <= year <= 2100:
        year = clock.today().year
    totals = fund_totals(backend(), year)
    found = programmes_service().search(user(), {"year": year, "per_page": 100})
    return render_template("fund/programmes.html", year=year, totals=totals, programmes=found["items"],
                           years=range(clock.today().year + 1, clock.today().year - 5, -1))


@bp.route("/staff/programmes/new", methods=["GET", "POST"])
@bp.route("/staff/programmes/<programme_id>/edit", methods=["GET", "POST"])
def programme_edit(programme_id: str | None = None):
    require_staff(user(), "manage the special fund")
    svc = programmes_service()
    current = svc.get(user(), programme_id) if programme_id else None
    errors: dict = {}
    if request.method == "POST":
        data = programme_data(request.form)
        try:
            if current:
                saved = svc.update(user(), programme_id, {**data, "version": request.form.get("version")})
            else:
                saved = svc.create(user(), data)
        except (ValidationError, Conflict) as exc:
            errors = _messages(exc)
        else:
            flash(_("The programme has been saved."), "success")
            return redirect(url_for(".programmes", year=saved["year"]))
    values = request.form if request.method == "POST" else forms.values_from(
        PROGRAMME, current or {"year": clock.today().year, "kind": "interest_subsidy"})
    return render_template("fund/programme_edit.html", programme=current, values=values, errors=errors,
                           kinds=KINDS, award_stages=AWARD_STAGES), (422 if errors else 200)


# -- grants -----------------------------------------------------------------------------------
@bp.route("/staff/grants")
def grant_queue():
    require_staff(user(), "work the grant queue")
    args, errors = query_args(GrantSearchSchema(), {"per_page": 50})
    result = grants_service().search(user(), args)
    return render_template("fund/grant_queue.html", result=result, args=args, errors=errors)


@bp.route("/grants/<grant_id>/status", methods=["POST"])
def grant_status(grant_id):
    data = {"status": request.form.get("status", ""), "version": request.form.get("version") or None}
    if request.form.get("reason", "").strip():
        data["reason"] = request.form["reason"].strip()
    try:
        grants_service().change(user(), grant_id, {k: v for k, v in data.items() if v is not None})
    except ValidationError:
        flash(_("Not changed: a rejection needs its reason."), "error")
    except Conflict as exc:
        flash(_("Not changed: %(why)s", why=exc.message), "error")
    else:
        flash(_("The grant has been updated."), "success")
    return redirect(safe_next(request.form.get("next"), url_for(".grant_queue")))


@bp.route("/enterprises/<enterprise_id>/grants", methods=["GET", "POST"])
def enterprise_grants(enterprise_id):
    """An enterprise's grants and the form to apply (the enterprise itself, or staff for it)."""
    me = user()
    if not can_read_enterprise(me, enterprise_id) or backend().get("enterprises", enterprise_id) is None:
        raise NoSuchDocument(kind="enterprise", id=enterprise_id)
    errors: dict = {}
    if request.method == "POST":
        data = {"enterprise_id": enterprise_id}
        for key in ("programme_id", "meeting_id", "stage", "note"):
            if request.form.get(key, "").strip():
                data[key] = request.form[key].strip()
        amount = forms.convert(forms.Field("amount", "money"), request.form)
        if amount is not ...:
            data["amount"] = amount
        try:
            grant = grants_service().apply(me, validate_with(GrantCreateSchema(), data))
        except (ValidationError, Conflict) as exc:
            errors = _messages(exc)
        else:
            flash(_("The application has been sent: %(amount)s.", amount=f"{grant['amount']:,}"), "success")
            return redirect(url_for(".enterprise_grants", enterprise_id=enterprise_id))
    grants = grants_service().search(me, {"enterprise_id": [enterprise_id], "per_page": 100})
    deals = for_request(MeetingService).search(me, {"enterprise_id": [enterprise_id], "outcome": ["funded"], "per_page": 100})
    year_programmes = programmes_service().all_of_year(clock.today().year)
    return render_template("fund/enterprise_grants.html", enterprise=backend().get("enterprises", enterprise_id),
                           grants=grants, deals=deals["items"], programmes=year_programmes,
                           reached=stages_reached(backend(), enterprise_id), award_stages=AWARD_STAGES,
                           values=request.form if request.method == "POST" else {}, errors=errors), (422 if errors else 200)


# -- the reserve pool -------------------------------------------------------------------------
def boards() -> dict:
    """The boards a firm can aim for on the zone's today (the SME board in 2012, STAR only from 2019)."""
    settings, today = get_settings(), clock.today()
    in_force = {}
    for code in settings.known_boards:
        try:
            in_force[code] = bilingual(settings.board_on(code, today).name)
        except BoardNotInForce:
            continue
    return in_force


def pool_page():
    """/staff/reserve-pool: the entries, furthest stage first, and the suggestions."""
    require_staff(user(), "run the listing reserve pool")
    args, errors = query_args(EntrySearchSchema(), {"per_page": 25})
    svc = pool_service()
    result = svc.search(user(), args, language())
    suggestions = svc.suggestions(user(), {"min_score": 70, "limit": 10})
    return render_template("fund/pool.html", result=result, args=args, errors=errors, suggestions=suggestions,
                           boards=boards(), stages=POOL_STAGES)


@bp.route("/staff/reserve-pool/enter", methods=["POST"])
def pool_enter():
    data = {k: request.form.get(k, "").strip() for k in ("enterprise_id", "target_board", "reason", "entered_on")}
    data = {k: v for k, v in data.items() if v}
    try:
        entry = pool_service().enter(user(), validate_with(EntryCreateSchema(), data))
    except (ValidationError, Conflict) as exc:
        flash(_("Not entered: %(why)s", why="; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in _messages(exc).items()
                                                     if isinstance(v, list))), "error")
        return redirect(url_for("web.staff.reserve_pool"))
    flash(_("The enterprise has entered the reserve pool."), "success")
    return redirect(url_for(".pool_entry", entry_id=entry["id"]))


@bp.route("/staff/reserve-pool/suggestions/<enterprise_id>/dismiss", methods=["POST"])
def pool_dismiss(enterprise_id):
    try:
        pool_service().dismiss(user(), enterprise_id, request.form.get("reason", "").strip() or None)
    except Conflict:
        flash(_("The enterprise is already known to the pool."), "error")
    else:
        flash(_("The suggestion has been dismissed."), "success")
    return redirect(url_for("web.staff.reserve_pool"))


@bp.route("/staff/reserve-pool/<entry_id>", methods=["GET", "POST"])
def pool_entry(entry_id):
    require_staff(user(), "run the listing reserve pool")
    svc = pool_service()
    errors: dict = {}
    if request.method == "POST":
        try:
            svc.change(user(), entry_id, validate_with(EntryUpdateSchema(), entry_change(request.form)))
        except (ValidationError, Conflict) as exc:
            errors = _messages(exc)
        else:
            flash(_("The entry has been updated."), "success")
            return redirect(url_for(".pool_entry", entry_id=entry_id))
    entry = svc.get(user(), entry_id, language())
    return render_template("fund/pool_entry.html", entry=entry, errors=errors, values=request.form if errors else {},
                           stages=POOL_STAGES, roles=ROLES, boards=boards(), today=clock.today().isoformat()), (422 if errors else 200)


@bp.route("/enterprises/<enterprise_id>/reserve-pool")
def enterprise_pool(enterprise_id):
    """The enterprise's own pool entry, read only: target board, dated stages, intermediaries,
    readiness on the target board.  The enterprise itself and staff; anyone else 404."""
    me = user()
    if not can_read_enterprise(me, enterprise_id) or backend().get("enterprises", enterprise_id) is None:
        raise NoSuchDocument(kind="enterprise", id=enterprise_id)
    try:
        entry = pool_service().get(me, enterprise_id, language())
    except NotFound:
        entry = None  # not in the pool (or a dismissed suggestion, which is staff's business)
    return render_template("fund/enterprise_pool.html", enterprise=backend().get("enterprises", enterprise_id),
                           entry=entry, boards=boards(), roles=ROLES)


def entry_change(form) -> dict:
    """The change one of the entry page's forms posts (``action``: stage, intermediaries, board or exit)."""
    action = form.get("action")
    data: dict = {"version": form.get("version")} if form.get("version") else {}
    text = lambda key: form.get(key, "").strip()
    if action == "stage":
        data.update({k: text(k) for k in ("stage", "stage_on") if text(k)})
    elif action == "intermediaries":
        engaged = {}
        for role in ROLES:
            if text(f"{role}.name") or text(f"{role}.engaged_on"):
                engaged[role] = {"name": text(f"{role}.name"), "engaged_on": text(f"{role}.engaged_on")}
        data["intermediaries"] = engaged
    elif action == "board":
        data["target_board"] = text("target_board")
    elif action == "exit":
        data.update({"status": "exited", **{k: text(k) for k in ("reason", "exited_on") if text(k)}})
    return data


@bp.app_context_processor
def fund_helpers():
    """``fund_at_a_glance(year, target)`` for the dashboard's include (``staff/_fund.html``)."""
    def fund_at_a_glance(year: int, target=None) -> dict:
        return {**fund_totals(backend(), int(year)), "target": target}

    return {"fund_at_a_glance": fund_at_a_glance}
