"""Claim and report (揭榜) in the pages: institutions claim an open need from its page, see
their claims with the day each report is due, report progress; enterprises see the claims on
their needs, staff every claim, lapsed ones marked.  ``brokering.claims`` decides who may."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..core import settings
from ..brokering.claims import ClaimService, report_day
from ..brokering.schemas import ClaimReportSchema, ClaimSearchSchema
from ..errors import Conflict, ValidationError
from .base import for_request, query_args, user
from .sessions import safe_next

bp = Blueprint("claims", __name__)
SOON_DAYS = 1  # a report due within this many days is flagged


def service() -> ClaimService:
    return for_request(ClaimService, working_days=settings.claim_report_days(current_app.config))


def with_days(claims: list[dict]) -> list[dict]:
    """Each claim with ``due_day`` (the zone's date its report is due) and ``due_in`` days from today."""
    today = clock.today()
    return [{**c, "due_day": report_day(c["report_due"]), "due_in": (date.fromisoformat(report_day(c["report_due"])) - today).days}
            for c in claims]


def claims_of_need(need_id: str) -> list[dict]:
    """The claims on a need the user may see, the live one first (for the need's page)."""
    found = service().search(user(), {"need_id": [need_id], "per_page": 20})["items"]
    return with_days(sorted(found, key=lambda c: (c["status"] != "active", c["claimed_at"]), reverse=False))


@bp.route("/claims")
def index():
    args, errors = query_args(ClaimSearchSchema(), {"per_page": 20})
    result = service().search(user(), args)
    result["items"] = with_days(result["items"])
    return render_template("brokering/claims.html", result=result, args=args, errors=errors,
                           working_days=settings.claim_report_days(current_app.config), soon=SOON_DAYS)


@bp.route("/needs/<need_id>/claim", methods=["POST"])
def claim(need_id):
    try:
        stored = service().claim(user(), need_id, request.form.get("institution_id") or None)
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
        stored = service().report(user(), claim_id, progress)
    except Conflict:
        flash(_("The claim has lapsed: claim the need again to report."), "error")
    else:
        flash(_("Progress reported. The next report is due by %(day)s.", day=report_day(stored["report_due"])), "success")
    return redirect(back)
