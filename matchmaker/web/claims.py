"""Claim and report (揭榜) in the pages: institutions claim an open need from its page, see
their claims with the day each report is due, report progress; enterprises see the claims on
their needs, staff every claim, lapsed ones marked.  ``brokering.claims`` decides who may."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core import settings
from ..brokering.claims import report_day
from ..brokering.schemas import ClaimReportSchema, ClaimSearchSchema
from ..errors import Conflict, ValidationError
from .base import query_args, user
from .panels import SOON_DAYS, claim_service, with_days
from .sessions import safe_next

bp = Blueprint("claims", __name__)


@bp.route("/claims")
def index():
    args, errors = query_args(ClaimSearchSchema(), {"per_page": 20})
    result = claim_service().search(user(), args)
    result["items"] = with_days(result["items"])
    return render_template("brokering/claims.html", result=result, args=args, errors=errors,
                           working_days=settings.claim_report_days(current_app.config), soon=SOON_DAYS)


@bp.route("/needs/<need_id>/claim", methods=["POST"])
def claim(need_id):
    try:
        stored = claim_service().claim(user(), need_id, request.form.get("institution_id") or None)
    except Conflict as exc:
        flash(_("Another institution has claimed this need.") if "already claimed" in str(exc.fields) else _("This need is no longer open."), "error")
    except ValidationError:
        flash(_("Choose the institution that claims the need."), "error")
    else:
        flash(_("You have claimed the need. Report your progress by %(day)s.", day=report_day(stored["report_due"])), "success")
    return redirect(url_for("web.needs.detail", need_id=need_id))


@bp.route("/claims/<claim_id>/report", methods=["POST"])
def report(claim_id):
    back = safe_next(request.form.get("next"), url_for(".index"))
    progress = request.form.get("progress", "").strip()
    if not progress or ClaimReportSchema().validate({"progress": progress}):
        flash(_("Say what progress you made, in at most 2,000 characters."), "error")
        return redirect(back)
    try:
        stored = claim_service().report(user(), claim_id, progress)
    except Conflict:
        flash(_("The claim has lapsed: claim the need again to report."), "error")
    else:
        flash(_("Progress reported. The next report is due by %(day)s.", day=report_day(stored["report_due"])), "success")
    return redirect(back)
