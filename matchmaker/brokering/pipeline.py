"""Each institution's own deal pipeline: the needs it works on, by stage (screening →
due_diligence → term_sheet → funded / passed), with private notes only its team reads.

A deal is one need in one institution's pipeline (id ``<institution>--<need>``).  Only the
institution's users write and read their deals and notes (staff too, to help, but never
the enterprise or another institution: 404).  Staff see the counts by stage across all
institutions (:func:`stage_counts`), which the dashboard's funnel shows.
"""
from __future__ import annotations

from .. import clock
from ..core.access import require_user
from ..core.users import User
from ..errors import NotFound, ValidationError
from ..search import Query, SearchBackend, Sort, Terms
from ..core.calendar import utc_iso
from .interests import emit

DEALS, NEEDS = "deals", "needs"
STAGES = ("screening", "due_diligence", "term_sheet", "funded", "passed")


class PipelineService:
    def __init__(self, backend: SearchBackend, observers=()):
        self.backend = backend
        self.observers = list(observers)

    @staticmethod
    def _check(user: User, institution_id: str) -> None:
        user = require_user(user)
        if not (user.is_staff or (user.role == "institution" and user.institution_id == institution_id)):
            raise NotFound(f"pipeline {institution_id} not found")

    def board(self, user: User, institution_id: str) -> dict[str, list[dict]]:
        """The institution's deals by stage, most recently moved first."""
        self._check(user, institution_id)
        query = Query(filters=[Terms("institution_id", [institution_id])], sort=[Sort("updated_at", descending=True)], per_page=500)
        columns: dict[str, list[dict]] = {stage: [] for stage in STAGES}
        for deal in self.backend.search(DEALS, query).items:
            columns[deal["stage"]].append(deal)
        return columns

    def move(self, user: User, institution_id: str, need_id: str, stage: str, notes: str | None = None) -> dict:
        """Put a need in the pipeline, or move it to another stage; ``notes`` replace the private notes."""
        self._check(user, institution_id)
        if stage not in STAGES:
            raise ValidationError("unknown stage", fields={"stage": [f"one of {', '.join(STAGES)}"]})
        need = self.backend.get(NEEDS, need_id)
        if need is None:
            raise ValidationError(f"need {need_id} does not exist", fields={"need_id": ["no such need"]})
        deal_id = f"{institution_id}--{need_id}"  # one deal per institution and need; seen by that institution only
        before = self.backend.get(DEALS, deal_id)
        stamp = utc_iso(clock.now())
        doc = {"institution_id": institution_id, "need_id": need_id, "need_title": need["title"],
               "enterprise_name": need.get("enterprise_name"), "amount": need["amount"], "stage": stage,
               "notes": notes if notes is not None else (before or {}).get("notes"), "moved_at": stamp, "moved_by": user.id,
               "created_at": (before or {}).get("created_at", stamp), "updated_at": stamp}
        self.backend.bulk_upsert(DEALS, [{**{k: v for k, v in doc.items() if v is not None}, "id": deal_id}])
        stored = self.backend.get(DEALS, deal_id)
        emit(self.observers, "deal", "stage", deal_id, {"stage": (before or {}).get("stage")}, {"stage": stage})
        return stored


def stage_counts(backend: SearchBackend) -> dict[str, int]:
    """Deals at each stage, over every institution (for staff and the funnel)."""
    found = backend.search(DEALS, Query(per_page=0, facets=["stage"])).facets.get("stage", {})
    return {stage: found.get(stage, 0) for stage in STAGES}
