"""Zone staff pages: the year's dashboard, the recruitment pipeline, the listing reserve
pool, exports and the audit log."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audit.schemas import AuditSearchSchema
from ..audit.service import AuditLog
from ..core import settings
from ..core.schemas import validate_with
from ..statistics.plans import INDICATOR_KINDS, IndicatorService, PlanService
from ..statistics.schemas import IndicatorSchema
from ..statistics.service import StatisticsService
from ..statistics.targets import TARGETS, targets_from
from .charts import bar_chart, funnel, line_chart
from .i18n import format_money, label

from ..core.access import require_staff
from ..errors import Conflict, ValidationError
from ..institutions.service import InstitutionService
from ..vocabulary import INSTITUTION_STATUSES
from .base import backend, for_request, observers, query_args, user

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
def dashboard():
    """The year's numbers against the zone's targets, and the funnel, drawn as SVG."""
    from ..statistics.routes import this_year

    current = this_year()
    year = _year_arg()
    stats = StatisticsService(backend(), targets_from(current_app.config)).compute(user(), year)
    return render_template("staff/dashboard.html", stats=stats, year=year, years=range(current, current - 6, -1),
                           charts_for=dashboard_charts(stats), can_plan=True, escalations=escalations())


#: escalated needs listed on the dashboard (the count covers them all)
ESCALATIONS_SHOWN = 8


def escalations() -> dict:
    """Late needs escalated to the lead (unanswered ``ESCALATE_AFTER_WORKING_DAYS`` past their
    deadline), as they stand today: how many, how many have no owner, the longest overdue."""
    from ..brokering.owners import escalated

    config = current_app.config
    found = escalated(backend(), settings.working_days(config), settings.escalate_after(config))
    return {"total": len(found), "unowned": sum(1 for item in found if not item["owner"]),
            "after": settings.escalate_after(config), "items": found[:ESCALATIONS_SHOWN]}


def dashboard_charts(stats: dict) -> dict:
    """The dashboard's SVG charts, labelled in the page's language."""
    inst, lists = stats["institutions"], stats["listings"]
    # each target on its own scale: drawn as the share of its target (100 = reached), with the figures
    share_rows = [(label("progress", row["id"]), min(round(100 * row["actual"] / row["target"]), 150), 100,
                   f"{_figure(row['actual'])} / {_figure(row['target'])}")
                  for row in stats["progress"] if row["target"]]
    names = {"suggested": _("Published"), "interested": _("Interest"), "meeting_held": _("Meeting held"), "funded": _("Funded")}
    months = stats["needs"]["by_month"]
    new_smes = stats["progress_by_month"]["new_smes"]
    target = next((row["target"] for row in stats["progress"] if row["id"] == "new_smes"), 0)
    industries = stats["industries_of_new_smes"]["by_industry"]
    fund = stats["special_fund"]
    return {
        "targets": bar_chart(share_rows, _("Progress towards the year's targets")),
        "new_smes_by_month": line_chart([(month[5:], value) for month, value in new_smes.items()],
                                        _("New tech SMEs through the year"), ymax=max([target, *new_smes.values(), 1]),
                                        threshold=target or None),
        "industries": bar_chart([(label("industry", code), row["count"], None) for code, row in industries.items()],
                                _("New tech SMEs by industry")),
        "fund": bar_chart([(_("Budget"), fund["budget"], None, format_money(fund["budget"])),
                           (_("Committed"), fund["committed"], fund["budget"] or None, format_money(fund["committed"])),
                           (_("Paid"), fund["paid"], fund["budget"] or None, format_money(fund["paid"]))], _("Special fund")),
        "funnel": funnel([(names.get(s["stage"], s["stage"]), s["count"]) for s in stats["funnel"]], _("Funnel")),
        "pipeline_funnel": funnel([(label("deal_stage", s["stage"]), s["count"]) for s in stats["pipeline_funnel"]["stages"]],
                                  _("Institutions' pipelines")),
        "months": bar_chart([(month[5:], row["posted"], None) for month, row in months.items()],
                            _("Needs published by month")),
        "pipeline": bar_chart([(label("institution_status", k), v, None) for k, v in inst["by_status"].items()],
                              _("Institutions by recruitment status")),
        "pool": bar_chart([(label("pool_stage", k), v, None) for k, v in lists["reserve_pool"].items()],
                          _("Listing reserve pool by stage")),
        "special_fund": stats["targets"].get("special_fund_budget"),  # the plan's fund, beside the programmes'
    }


def _figure(value) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _year_arg() -> int:
    from ..statistics.routes import this_year

    current = this_year()
    year = request.args.get("year", current, type=int)
    return year if 2000 <= year <= 2100 else current


@bp.route("/progress/<target>")
def progress_list(target):
    """The firms (or institutions) behind one figure of the dashboard, or the tier movers."""
    year = _year_arg()
    service = StatisticsService(backend(), targets_from(current_app.config))
    if target == "tier_movements":
        moves = service.tier_movers(user(), year)
        return render_template("staff/progress_list.html", target=target, year=year, items=moves["enterprises"],
                               financial_year=moves["financial_year"])
    items = service.members(user(), target, year)
    return render_template("staff/progress_list.html", target=target, year=year, items=items, financial_year=None)


@bp.route("/plans/<int:year>", methods=["GET", "POST"])
def plan(year):
    """The year's plan: staff set each target; programme indicators are entered with a date and a note."""
    require_staff(user(), "set the zone's plan")
    if not 2000 <= year <= 2100:
        abort(404)
    plans = for_request(PlanService, targets_from(current_app.config))
    indicators = for_request(IndicatorService)
    errors: dict = {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "indicator":
                data = validate_with(IndicatorSchema(), {k: request.form.get(k, "") for k in ("kind", "value", "on", "notes")})
                indicators.add(user(), data)
                flash(_("The indicator has been entered."), "success")
            elif action == "remove-indicator":
                indicators.delete(user(), request.form.get("indicator_id", ""))
                flash(_("The indicator has been removed."), "success")
            else:
                figures, errors = plan_figures(request.form)
                if not errors:
                    plans.set(user(), year, figures, request.form.get("notes") or None)
                    flash(_("The plan for %(year)s has been saved.", year=year), "success")
        except ValidationError as exc:
            errors = dict(exc.fields or {})
            if isinstance(errors.get("targets"), dict):  # the plan's figures, named as the form's inputs
                errors = {f"target-{name}": messages for name, messages in errors.pop("targets").items()}
        if not errors:
            return redirect(url_for(".plan", year=year))
    current = plans.for_year(year)
    return render_template("staff/plan.html", year=year, plan=current, targets=TARGETS, errors=errors,
                           indicators=indicators.list(user(), year), totals=indicators.totals(year),
                           kinds=INDICATOR_KINDS, form=request.form if errors else None), 422 if errors else 200


def plan_figures(form) -> tuple[dict, dict]:
    """The targets typed into the plan form (a field left empty keeps the inherited figure)."""
    figures, errors = {}, {}
    for name in TARGETS:
        text = (form.get(f"target-{name}") or "").replace(",", "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            errors[f"target-{name}"] = [_("Enter a number.")]
            continue
        figures[name] = int(value) if value.is_integer() else value
    return figures, errors


@bp.route("/pipeline")
def pipeline():
    """Institutions by recruitment status: target → negotiating → entered."""
    require_staff(user(), "see the recruitment pipeline")
    service = InstitutionService(backend(), observers())
    columns = {status: service.search(user(), {"status": [status], "per_page": 100, "sort": "-created_at"})
               for status in INSTITUTION_STATUSES}
    return render_template("staff/pipeline.html", columns=columns, statuses=INSTITUTION_STATUSES)


@bp.route("/pipeline/<institution_id>", methods=["POST"])
def move(institution_id):
    require_staff(user(), "move institutions through the recruitment pipeline")
    try:
        InstitutionService(backend(), observers()).update(user(), institution_id, {"status": request.form.get("status"),
                                                                      "version": request.form.get("version")})
    except ValidationError:
        flash(_("The status was not changed: it is not one of the pipeline's steps."), "error")
    except Conflict:
        flash(_("The institution was changed by someone else in the meantime; look at it again and retry."), "error")
    else:
        flash(_("The recruitment status has been changed."), "success")
    return redirect(url_for(".pipeline"))


@bp.route("/exports")
def exports():
    """Links to the export endpoints of the API (CSV and Excel, Chinese headings)."""
    require_staff(user(), "export reports")
    from ..statistics.routes import this_year

    return render_template("staff/exports.html", years=range(this_year(), this_year() - 6, -1))


@bp.route("/audit")
def audit():
    args, errors = query_args(AuditSearchSchema(), {"per_page": 50})
    for bound in ("since", "until"):
        if args.get(bound) is not None:
            args[bound] = args[bound].astimezone(timezone.utc).isoformat(timespec="microseconds")
    result = AuditLog(backend()).search(user(), args)
    return render_template("staff/audit.html", result=result, args=args, errors=errors)
