"""/api/v1/interests, /api/v1/introductions, /api/v1/waiting and each institution's answer record."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.access import require_user
from ..core.api import actor, backend, for_request, page_schema, with_etag
from ..core import settings
from .interests import InterestService, IntroductionService, waiting_list
from .schemas import (
    InterestCreateSchema, InterestSchema, InterestSearchSchema, IntroductionCreateSchema, IntroductionSchema,
    BoardSchema, ClaimCreateSchema, ClaimReportSchema, ClaimSchema, ClaimSearchSchema, DealMoveSchema, DealSchema,
    StageCountsSchema,
    IntroductionSearchSchema, IntroductionUpdateSchema, OwnerAssignSchema, OwnerSchema, ResponsivenessSchema, WaitingItemSchema,
    WaitingSearchSchema,
)

blp = Blueprint("brokering", __name__, url_prefix="/api/v1",
                description="Institutions' interest in needs, introductions, response deadlines")


def interests() -> InterestService:
    return for_request(InterestService, working_days=settings.working_days(current_app.config),
                       id_key=settings.id_key(current_app.config))


def introductions() -> IntroductionService:
    return for_request(IntroductionService, id_key=settings.id_key(current_app.config))


@blp.route("/interests")
class Interests(MethodView):
    @blp.arguments(InterestSearchSchema, location="query")
    @blp.response(200, page_schema(InterestSchema, "InterestPage"))
    def get(self, args):
        """Answers to needs: an institution sees its own, an enterprise those to its needs, staff all"""
        return interests().search(actor(), args)

    @blp.arguments(InterestCreateSchema)
    @blp.response(201, InterestSchema)
    @blp.alt_response(200, schema=InterestSchema, description="the institution had answered before: its answer changed")
    def post(self, data):
        """Answer an open need: `interested` (with a note) or `declined` (with a reason)"""
        interest, first = interests().respond(actor(), data)
        return interest, 201 if first else 200


@blp.route("/interests/<interest_id>")
class Interest(MethodView):
    @blp.response(200, InterestSchema)
    def get(self, interest_id):
        """One answer (the institution, the enterprise, staff)"""
        return with_etag(interests().get(actor(), interest_id))


@blp.route("/introductions")
class Introductions(MethodView):
    @blp.arguments(IntroductionSearchSchema, location="query")
    @blp.response(200, page_schema(IntroductionSchema, "IntroductionPage"))
    def get(self, args):
        """Requests for introductions: an enterprise sees its own, staff all"""
        return introductions().search(actor(), args)

    @blp.arguments(IntroductionCreateSchema)
    @blp.response(201, IntroductionSchema)
    def post(self, data):
        """Ask zone staff to introduce the enterprise to an institution (from its matches)"""
        return introductions().request(actor(), data), 201


@blp.route("/introductions/<intro_id>")
class Introduction(MethodView):
    @blp.response(200, IntroductionSchema)
    def get(self, intro_id):
        """One introduction request"""
        return with_etag(introductions().get(actor(), intro_id))

    @blp.arguments(IntroductionUpdateSchema)
    @blp.response(200, IntroductionSchema)
    def patch(self, changes, intro_id):
        """Staff: mark a request arranged or declined"""
        return with_etag(introductions().handle(actor(), intro_id, changes))


@blp.route("/waiting")
class Waiting(MethodView):
    @blp.arguments(WaitingSearchSchema, location="query")
    @blp.response(200, page_schema(WaitingItemSchema, "WaitingPage"))
    def get(self, args):
        """Staff: open needs no institution answered by their deadline, longest waiting first"""
        return waiting_list(backend(), require_user(actor()), args, settings.working_days(current_app.config))


@blp.route("/institutions/<institution_id>/responsiveness")
class Responsiveness(MethodView):
    @blp.response(200, ResponsivenessSchema)
    def get(self, institution_id):
        """How often the institution answered needs by their deadline (the institution, staff)"""
        return interests().responsiveness(actor(), institution_id)


@blp.route("/needs/<need_id>/owner")
class NeedOwner(MethodView):
    @blp.arguments(OwnerAssignSchema)
    @blp.response(200, OwnerSchema)
    def put(self, data, need_id):
        """Staff: make a staff member the need's owner (they are told; escalations name them)"""
        from .owners import OwnerService

        return for_request(OwnerService).assign(actor(), need_id, data["owner_id"])


def claims():
    from .claims import ClaimService

    return for_request(ClaimService, working_days=settings.claim_report_days(current_app.config))


@blp.route("/needs/<need_id>/claim")
class NeedClaim(MethodView):
    @blp.arguments(ClaimCreateSchema, required=False)
    @blp.response(201, ClaimSchema)
    def post(self, data, need_id):
        """An institution claims an open need and commits to report progress by the deadline (409: claimed already)"""
        return claims().claim(actor(), need_id, (data or {}).get("institution_id")), 201


@blp.route("/claims")
class Claims(MethodView):
    @blp.arguments(ClaimSearchSchema, location="query")
    @blp.response(200, page_schema(ClaimSchema, "ClaimPage"))
    def get(self, args):
        """Claims, soonest report due first: an institution its own, an enterprise those on its needs, staff all"""
        return claims().search(actor(), args)


@blp.route("/claims/<claim_id>/report")
class ClaimReport(MethodView):
    @blp.arguments(ClaimReportSchema)
    @blp.response(200, ClaimSchema)
    def post(self, data, claim_id):
        """The claiming institution reports progress; the next report is due a period later"""
        return with_etag(claims().report(actor(), claim_id, data["progress"]))


@blp.route("/institutions/<institution_id>/pipeline")
class Pipeline(MethodView):
    @blp.response(200, BoardSchema)
    def get(self, institution_id):
        """The institution's own deals by stage, with its private notes (its team and staff only)"""
        from .pipeline import PipelineService

        return for_request(PipelineService).board(actor(), institution_id)


@blp.route("/institutions/<institution_id>/pipeline/<need_id>")
class PipelineDeal(MethodView):
    @blp.arguments(DealMoveSchema)
    @blp.response(200, DealSchema)
    def put(self, data, institution_id, need_id):
        """Put a need in the institution's pipeline or move it to a stage; notes stay private to the team"""
        from .pipeline import PipelineService

        return for_request(PipelineService).move(actor(), institution_id, need_id, data["stage"], data.get("notes"))


@blp.route("/pipeline-stages")
class PipelineStages(MethodView):
    @blp.response(200, StageCountsSchema)
    def get(self):
        """Staff: deals at each stage over every institution's pipeline (no notes), for the funnel"""
        from ..core.access import require_staff
        from .pipeline import stage_counts

        require_staff(actor(), "see the pipelines' figures")
        return stage_counts(backend())
