"""What one page shows of another concern, and the page two concerns share.

The page modules of ``web/`` (``needs``, ``brokering``, ``claims``, ``institutions``, ...)
import these and never each other (``tests/test_layers.py``), so a page can change
without the others: a need's page shows brokering's and the claims' panel from here, and
brokering's answer form comes back to the need's page rendered here.
"""
from __future__ import annotations

from datetime import date

from flask import current_app, render_template

from .. import clock
from ..brokering.claims import ClaimService, report_day
from ..brokering.interests import DECLINE_REASONS, InterestService, IntroductionService
from ..core import settings
from ..core.access import can_edit_need
from ..errors import Forbidden
from ..meetings.service import MeetingService
from ..needs.service import TRANSITIONS, NeedService
from .base import for_request, user

#: The status changes offered as buttons on a need's page, in this order (the service
#: decides if they are allowed).
ACTIONS = ("open", "withdrawn", "draft", "closed")
#: A claim whose report is due within this many days is flagged.
SOON_DAYS = 1


# -- the services the pages share, built for this request ----------------------------------
def need_service() -> NeedService:
    return for_request(NeedService)


def interest_service() -> InterestService:
    return for_request(InterestService, working_days=settings.working_days(current_app.config),
                       id_key=settings.id_key(current_app.config))


def intro_service() -> IntroductionService:
    return for_request(IntroductionService, id_key=settings.id_key(current_app.config))


def meeting_service() -> MeetingService:
    return for_request(MeetingService, working_days=settings.working_days(current_app.config))


def claim_service() -> ClaimService:
    return for_request(ClaimService, working_days=settings.claim_report_days(current_app.config))


# -- a need's page and its panels ----------------------------------------------------------
def render_need(need_id: str, interest_errors: dict | None = None, interest_values=None):
    """The need's page; an institution's answer form comes back here with its messages."""
    need = need_service().get(user(), need_id)
    allowed = [s for s in ACTIONS if s in TRANSITIONS.get(need["status"], ())]
    return render_template("needs/detail.html", need=need, actions=allowed, can_edit=can_edit_need(user(), need),
                           brokering=need_panel(need), interest_errors=interest_errors or {},
                           interest_values=interest_values or {})


def need_panel(need: dict) -> dict:
    """What a need's page shows of brokering and claims, for whoever looks (the services filter)."""
    me = user()
    panel: dict = {"reasons": DECLINE_REASONS}
    panel["interests"] = interest_service().search(me, {"need_id": [need["id"]], "per_page": 50})
    panel["meetings"] = meeting_service().search(me, {"need_id": [need["id"]], "per_page": 50, "sort": "-starts_at"})
    if me.role == "enterprise" or me.is_staff:
        panel["introductions"] = intro_service().search(me, {"need_id": [need["id"]], "per_page": 50})
    if me.role == "institution":
        own = [i for i in panel["interests"]["items"] if i["institution_id"] == me.institution_id]
        panel["mine"] = own[0] if own else None
    panel["claims"], panel["soon"] = claims_of_need(need["id"]), SOON_DAYS
    return panel


def with_days(claims: list[dict]) -> list[dict]:
    """Each claim with ``due_day`` (the zone's date its report is due) and ``due_in`` days from today."""
    today = clock.today()
    return [{**c, "due_day": report_day(c["report_due"]), "due_in": (date.fromisoformat(report_day(c["report_due"])) - today).days}
            for c in claims]


def claims_of_need(need_id: str) -> list[dict]:
    """The claims on a need the user may see, the live one first (for the need's page)."""
    found = claim_service().search(user(), {"need_id": [need_id], "per_page": 20})["items"]
    return with_days(sorted(found, key=lambda c: (c["status"] != "active", c["claimed_at"]), reverse=False))


def introductions_asked(need: dict) -> set[str] | None:
    """Institutions the enterprise already asked to meet for this need (None: not an enterprise page)."""
    if user().role != "enterprise":
        return None
    found = intro_service().search(user(), {"need_id": [need["id"]], "status": ["requested", "arranged"], "per_page": 100})
    return {i["institution_id"] for i in found["items"]}


# -- an institution's pages ----------------------------------------------------------------
def dealflow_marks(institution_id: str, need_ids: list[str]) -> dict[str, str]:
    """The institution's answers to the needs on the page: need id -> interested / declined."""
    if not need_ids:
        return {}
    found = interest_service().search(user(), {"institution_id": [institution_id], "need_id": need_ids, "per_page": 100})
    return {i["need_id"]: i["response"] for i in found["items"]}


def responsiveness(institution_id: str) -> dict | None:
    """How often the institution answered in time, for those who may see it."""
    try:
        return interest_service().responsiveness(user(), institution_id)
    except Forbidden:
        return None
