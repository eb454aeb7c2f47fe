"""Claim and report, as on the provincial platforms (揭榜): an institution claims an open
need and so commits to report its progress every ``CLAIM_REPORT_WORKING_DAYS`` working days;
a claim whose report is overdue lapses and the need is free to claim again.

One live claim per need.  Each report moves the deadline on; ``matchmaker notify-deadlines``
lapses overdue claims and tells the institution, the enterprise and staff.  Reports are
kept in the audit log (action ``report``); the claim keeps the latest and the count.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from .. import clock
from ..core.access import require_user
from ..core.users import User
from ..core.service import Service
from ..errors import ClaimNotActive, Conflict, Forbidden, Label, NeedNotOpenForClaims, NoSuchDocument, NoSuchReference, ValidationError
from ..labels import codes
from ..search import Query, Range, SearchBackend, Sort, Terms
from ..core.calendar import ZONE_TIME, add_working_days, utc_iso

CLAIMS, NEEDS, INSTITUTIONS = "claims", "needs", "institutions"
STATUSES = codes("claim_status")


def report_due(at: datetime, working_days: int) -> str:
    """The end of the ``working_days``-th working day after ``at`` (zone time), stored form."""
    day = add_working_days(at.astimezone(ZONE_TIME).date(), working_days)
    return utc_iso(clock.start_of_day(day + timedelta(days=1)))


def report_day(stamp: str) -> str:
    return (datetime.fromisoformat(stamp).astimezone(ZONE_TIME) - timedelta(seconds=1)).date().isoformat()


class ClaimService(Service):
    """Read by the claiming institution, the enterprise whose need it is, and staff."""

    index, label, parties = CLAIMS, "claim", ("enterprise_id", "institution_id")

    def __init__(self, backend: SearchBackend, observers=(), working_days: int = 5):
        super().__init__(backend, observers)
        self.working_days = working_days

    def _claimant(self, user: User, institution_id: str | None) -> str:
        if user.role == "institution":
            if institution_id not in (None, user.institution_id):
                raise Forbidden("an institution claims needs for itself only")
            return user.institution_id
        if user.is_staff and institution_id:
            return institution_id
        if user.is_staff:
            raise ValidationError("say which institution claims the need", fields={"institution_id": ["required for staff"]})
        raise Forbidden("only institutions claim needs")

    def claim(self, user: User, need_id: str, institution_id: str | None = None) -> dict:
        user = require_user(user)
        institution_id = self._claimant(user, institution_id)
        need = self.backend.get(NEEDS, need_id)
        if need is None:
            raise NoSuchDocument(kind="need", id=need_id)
        institution = self.backend.get(INSTITUTIONS, institution_id)
        if institution is None:
            raise NoSuchReference(kind=Label("object_kind", "institution"), id=institution_id, fields={"institution_id": ["no such institution"]})
        if need["status"] != "open":
            raise NeedNotOpenForClaims(status=Label("need_status", need['status']), need_id=need['id'], fields={"need_id": ["not open"]})
        now = clock.now()
        stamp = utc_iso(now)
        doc = {"need_id": need_id, "need_title": need["title"], "enterprise_id": need["enterprise_id"],
               "institution_id": institution_id, "institution_name": institution["name"], "status": "active",
               "claimed_at": stamp, "claimed_by": user.id, "report_due": report_due(now, self.working_days), "reports": 0,
               "created_at": stamp, "updated_at": stamp}
        with self.backend.transaction():
            live = self.backend.search(CLAIMS, Query(filters=[Terms("need_id", [need_id]), Terms("status", ["active"])], per_page=1))
            if live.total:
                raise Conflict("another institution has claimed this need", fields={"need_id": ["already claimed"]})
            stored = self.backend.create(CLAIMS, doc)
        self.emit("create", stored["id"], None, stored)
        self._tell(stored, ["enterprise", "staff"], user,
                   f"{institution['name']} claimed the need \"{need['title']}\" and reports its progress by the end of {report_day(stored['report_due'])} (UTC+8).",
                   f"{institution['name']}已揭榜融资需求“{need['title']}”，将于{report_day(stored['report_due'])}（北京时间）前报告进展。")
        return stored

    def report(self, user: User, claim_id: str, progress: str) -> dict:
        claim = self.get(user, claim_id)
        if not (user.is_staff or (user.role == "institution" and user.institution_id == claim["institution_id"])):
            raise Forbidden("the claiming institution reports its progress")
        if claim["status"] != "active":
            raise ClaimNotActive(status=Label("claim_status", claim["status"]), fields={"status": [claim["status"]]})
        now = clock.now()
        stamp = utc_iso(now)
        doc = {**claim, "reports": claim.get("reports", 0) + 1, "last_report_at": stamp, "last_report": progress,
               "report_due": report_due(now, self.working_days), "updated_at": stamp}
        stored = self.backend.replace(CLAIMS, claim_id, doc, expected_version=claim["version"])
        self.emit("report", claim_id, claim, stored)
        self._tell(stored, ["enterprise", "staff"], user, f"Progress on \"{claim['need_title']}\" from {claim['institution_name']}: {progress}",
                   f"{claim['institution_name']}报告“{claim['need_title']}”的进展：{progress}")
        return stored

    def search(self, user: User, args: dict) -> dict:
        filters = self.visibility_filters(require_user(user))
        for param in ("need_id", "institution_id", "status"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        query = Query(filters=filters, sort=[Sort("report_due")], facets=["status"], page=args.get("page", 1),
                      per_page=args.get("per_page", 20))
        return self.page(query)

    def _tell(self, claim: dict, to: list[str], user: User | None, message: str, message_zh: str, doc_id: str | None = None) -> None:
        from ..notifications.service import Notifications

        recipients = [{"enterprise": f"enterprise:{claim['enterprise_id']}", "institution": f"institution:{claim['institution_id']}",
                       "staff": "staff"}[who] for who in to]
        Notifications(self.backend).send(recipients, "claim_changed", subject_kind="claim", subject_id=claim["id"],
                                         need_id=claim["need_id"], actor=user, message=message, message_zh=message_zh,
                                         doc_id=doc_id, data={"status": claim["status"], "report_due": claim["report_due"]})


def lapse(backend: SearchBackend, now: datetime | None = None, observers=()) -> int:
    """Lapse every active claim whose report is overdue; tell all three; how many."""
    now = now or clock.now()
    service = ClaimService(backend, observers)
    overdue = Query(filters=[Terms("status", ["active"]), Range("report_due", lte=utc_iso(now))], sort=[Sort("report_due")], per_page=500)
    count = 0
    for claim in backend.search(CLAIMS, overdue).items:
        stored = backend.replace(CLAIMS, claim["id"], {**claim, "status": "lapsed", "lapsed_at": utc_iso(now), "updated_at": utc_iso(now)},
                                 expected_version=claim["version"])
        service.emit("lapse", claim["id"], claim, stored)
        service._tell(stored, ["institution", "enterprise", "staff"], None,
                      f"The claim of {claim['institution_name']} on \"{claim['need_title']}\" lapsed: no progress was reported by the end of {report_day(claim['report_due'])} (UTC+8). The need can be claimed again.",
                      f"{claim['institution_name']}对“{claim['need_title']}”的揭榜已失效：未在{report_day(claim['report_due'])}（北京时间）前报告进展。该需求可重新揭榜。",
                      doc_id=f"lapse-{claim['id']}")
        count += 1
    return count
