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
from ..core.service import Service, compact
from ..core.users import User
from ..errors import Label, NoSuchReference, ValidationError
from ..search import Not, Query, Range, SearchBackend, Sort, Terms
from ..core.calendar import utc_iso

DEALS, NEEDS = "deals", "needs"
STAGES = ("screening", "due_diligence", "term_sheet", "funded", "passed")


class PipelineService(Service):
    index, label, noun = DEALS, "deal", "pipeline"

    def _check(self, user: User, institution_id: str) -> None:
        user = require_user(user)
        if not (user.is_staff or (user.role == "institution" and user.institution_id == institution_id)):
            raise self.not_found(institution_id)

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
            raise NoSuchReference(kind=Label("object_kind", "need"), id=need_id, fields={"need_id": ["no such need"]})
        deal_id = f"{institution_id}--{need_id}"  # one deal per institution and need; seen by that institution only
        before = self.backend.get(DEALS, deal_id)
        stamp = utc_iso(clock.now())
        doc = {"institution_id": institution_id, "need_id": need_id, "need_title": need["title"],
               "enterprise_name": need.get("enterprise_name"), "amount": need["amount"], "stage": stage,
               "notes": notes if notes is not None else (before or {}).get("notes"), "moved_at": stamp, "moved_by": user.id,
               "created_at": (before or {}).get("created_at", stamp), "updated_at": stamp}
        self.backend.bulk_upsert(DEALS, [{**compact(doc), "id": deal_id}])
        stored = self.backend.get(DEALS, deal_id)
        self.emit("stage", deal_id, {"stage": (before or {}).get("stage")}, {"stage": stage})
        return stored


def stage_counts(backend: SearchBackend) -> dict[str, int]:
    """Deals at each stage, over every institution (for staff and the funnel)."""
    found = backend.search(DEALS, Query(per_page=0, facets=["stage"])).facets.get("stage", {})
    return {stage: found.get(stage, 0) for stage in STAGES}


#: the stages a deal goes through on its way to funding, in order ("passed" leaves the way)
FUNNEL_STAGES = ("screening", "due_diligence", "term_sheet", "funded")


def pipeline_funnel(backend: SearchBackend, year: int) -> dict:
    """The institutions' pipelines as a funnel, for deals put in a pipeline in ``year`` (zone
    time): a deal at a stage has been through the stages before it, so each stage counts the
    deals that reached it; ``passed`` those an institution let go, apart."""
    from datetime import date

    since, until = (utc_iso(clock.start_of_day(date(y, 1, 1))) for y in (year, year + 1))
    query = Query(filters=[Range("created_at", gte=since, lte=until), Not(Terms("created_at", [until]))], per_page=0, facets=["stage"])
    counts = backend.search(DEALS, query).facets.get("stage", {})
    stages, previous = [], None
    for position, stage in enumerate(FUNNEL_STAGES):
        reached = sum(counts.get(later, 0) for later in FUNNEL_STAGES[position:])
        share = round(reached / previous, 4) if previous else None
        stages.append({"stage": stage, "count": reached, "share_of_previous": share})
        previous = reached
    return {"deals": sum(counts.values()), "stages": stages, "passed": counts.get("passed", 0)}
