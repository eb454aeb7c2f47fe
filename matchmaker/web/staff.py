"""Zone staff pages: the year's dashboard, the recruitment pipeline, the listing reserve
pool, exports and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import require_staff
from ..errors import Conflict, ValidationError
from ..institutions.service import InstitutionService
from ..readiness.schemas import ReservePoolArgsSchema
from ..readiness.service import ReadinessService
from ..scoring.settings import get_settings
from ..vocabulary import INSTITUTION_STATUSES
from .base import backend, query_args, user
from .i18n import bilingual

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
def dashboard():
    require_staff(user(), "see the dashboard")
    return render_template("staff/dashboard.html", stats=None)


@bp.route("/pipeline")
def pipeline():
    """Institutions by recruitment status: target → negotiating → entered."""
    require_staff(user(), "see the recruitment pipeline")
    service = InstitutionService(backend())
    columns = {status: service.search(user(), {"status": [status], "per_page": 100, "sort": "-created_at"})
               for status in INSTITUTION_STATUSES}
    return render_template("staff/pipeline.html", columns=columns, statuses=INSTITUTION_STATUSES)


@bp.route("/pipeline/<institution_id>", methods=["POST"])
def move(institution_id):
    require_staff(user(), "move institutions through the recruitment pipeline")
    try:
        InstitutionService(backend()).update(user(), institution_id, {"status": request.form.get("status"),
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
    args, errors = query_args(ReservePoolArgsSchema(), {"per_page": 25})
    result = ReadinessService(backend(), get_settings()).reserve_pool(user(), args)
    boards = {code: bilingual(rules.name) for code, rules in get_settings().boards.items()}
    return render_template("staff/reserve_pool.html", result=result, args=args, errors=errors, boards=boards)


@bp.route("/exports")
def exports():
    require_staff(user(), "export reports")
    return render_template("staff/exports.html")


@bp.route("/audit")
def audit():
    require_staff(user(), "read the audit log")
    return render_template("staff/audit.html", result=None)
