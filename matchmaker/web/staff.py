"""Zone staff pages: the year's dashboard, the recruitment pipeline, the listing reserve
pool, exports and the audit log."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audit.schemas import AuditSearchSchema
from ..audit.service import AuditLog
from ..brokering import settings
from ..statistics.service import StatisticsService
from .charts import bar_chart, funnel
from .i18n import label

from ..access import require_staff
from ..errors import Conflict, ValidationError
from ..institutions.service import InstitutionService
from ..vocabulary import INSTITUTION_STATUSES
from .base import backend, observers, query_args, user

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
def dashboard():
    """The year's numbers against the zone's targets, and the funnel, drawn as SVG."""
    from ..statistics.routes import this_year

    current = this_year()
    year = request.args.get("year", current, type=int)
    if not 2000 <= year <= 2100:
        year = current
    stats = StatisticsService(backend(), settings.targets(current_app.config)).compute(user(), year)
    return render_template("staff/dashboard.html", stats=stats, year=year, years=range(current, current - 6, -1),
                           charts_for=dashboard_charts(stats))


def dashboard_charts(stats: dict) -> dict:
    """The dashboard's SVG charts, labelled in the page's language."""
    targets = stats["targets"]
    ent, inst, lists = stats["enterprises"], stats["institutions"], stats["listings"]
    progress = [
        (_("Institutions entered"), inst["entered"], inst["target"]),
        (_("Tech SMEs"), ent["total"], ent["target"]),
        (_("With 20 million+ capital"), ent["big_capital"]["count"], ent["big_capital"]["target"]),
        (_("Tech little giants"), ent["little_giants"]["count"], ent["little_giants"]["target"]),
        (_("High-tech enterprises"), ent["high_tech"]["count"], ent["high_tech"]["target"]),
        (_("Listed enterprises"), lists["listed"], lists["target"]),
    ]
    # each row on its own scale: drawn as the share of its target (100 = reached), with the figures
    share_rows = [(name, min(round(100 * value / target), 150) if target else 0, 100, f"{value:,} / {target:,}")
                  for name, value, target in progress]
    names = {"suggested": _("Published"), "interested": _("Interest"), "meeting_held": _("Meeting held"), "funded": _("Funded")}
    months = stats["needs"]["by_month"]
    return {
        "targets": bar_chart(share_rows, _("Progress towards the year's targets")),
        "funnel": funnel([(names.get(s["stage"], s["stage"]), s["count"]) for s in stats["funnel"]], _("Funnel")),
        "months": bar_chart([(month[5:], row["posted"], None) for month, row in months.items()],
                            _("Needs published by month")),
        "pipeline": bar_chart([(label("institution_status", k), v, None) for k, v in inst["by_status"].items()],
                              _("Institutions by recruitment status")),
        "pool": bar_chart([(label("pipeline_stage", k), v, None) for k, v in lists["reserve_pool"].items()],
                          _("Listing reserve pool by stage")),
        "special_fund": targets.get("special_fund"),
    }


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


@bp.route("/reserve-pool")
def reserve_pool():
    """The listing reserve pool staff run (``web.fund``)."""
    from .fund import pool_page

    return pool_page()


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
