"""/api/v1/programmes, /api/v1/grants and /api/v1/reserve-pool."""
from __future__ import annotations

from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend, for_request, if_match, observers, page_schema, register_crud, with_etag
from ..core.language import request_language
from ..scoring.settings import get_settings
from .grants import GrantService
from .pool import PoolService
from .programmes import ProgrammeService
from .schemas import (DismissSchema, EntryCreateSchema, EntrySchema, EntrySearchSchema, EntryUpdateSchema, GrantCreateSchema,
                      GrantSchema, GrantSearchSchema, GrantUpdateSchema, ProgrammeSchema, ProgrammeSearchSchema, ProgrammeUpdateSchema,
                      SuggestionArgsSchema, SuggestionSchema)

programmes_blp = Blueprint("programmes", __name__, url_prefix="/api/v1/programmes",
                           description="Programmes of the zone's special fund (专项资金) and their rules")
register_crud(programmes_blp, lambda: for_request(ProgrammeService), ProgrammeSchema, ProgrammeUpdateSchema,
              ProgrammeSearchSchema, noun="special-fund programme")

grants_blp = Blueprint("grants", __name__, url_prefix="/api/v1/grants",
                       description="Grants of the special fund: applied, approved, paid or rejected")


def grants() -> GrantService:
    return for_request(GrantService)


@grants_blp.route("")
class Grants(MethodView):
    @grants_blp.arguments(GrantSearchSchema, location="query")
    @grants_blp.response(200, page_schema(GrantSchema, "GrantPage"))
    def get(self, args):
        """Grants: an enterprise its own, staff all, institutions none"""
        return grants().search(actor(), args)

    @grants_blp.arguments(GrantCreateSchema)
    @grants_blp.response(201, GrantSchema)
    def post(self, data):
        """Apply for a grant against a programme, for a funded deal (`meeting_id`) or a reserve-pool `stage`

        The amount is what the programme's rules allow, with the calculation; `amount` may ask for less.
        """
        grant = grants().apply(actor(), data)
        return grant, 201, {"ETag": f'"{grant["version"]}"'}


@grants_blp.route("/<grant_id>")
class Grant(MethodView):
    @grants_blp.response(200, GrantSchema)
    def get(self, grant_id):
        """One grant (the enterprise's own, or staff)"""
        return with_etag(grants().get(actor(), grant_id))

    @grants_blp.arguments(GrantUpdateSchema)
    @grants_blp.response(200, GrantSchema)
    def patch(self, data, grant_id):
        """Staff: approve (409 past the budget or the enterprise's cap), mark paid, or reject with a reason"""
        return with_etag(grants().change(actor(), grant_id, data, if_match()))


pool_blp = Blueprint("reserve_pool", __name__, url_prefix="/api/v1/reserve-pool",
                     description="The listing reserve pool (上市后备企业库), curated by zone staff")


def pool() -> PoolService:
    return PoolService(backend(), get_settings(), observers())


@pool_blp.route("")
class Pool(MethodView):
    @pool_blp.arguments(EntrySearchSchema, location="query")
    @pool_blp.response(200, page_schema(EntrySchema, "PoolEntryPage"))
    def get(self, args):
        """The pool's entries, furthest stage first, each with its stage history and readiness on the target board

        Staff and admins; an enterprise sees its own entry.
        """
        return pool().search(actor(), args, request_language())

    @pool_blp.arguments(EntryCreateSchema)
    @pool_blp.response(201, EntrySchema)
    def post(self, data):
        """Staff: enter an enterprise (入库) with a target board and a reason, at stage cultivation"""
        entry = pool().enter(actor(), data)
        return entry, 201, {"ETag": f'"{entry["version"]}"'}


@pool_blp.route("/suggestions")
class Suggestions(MethodView):
    @pool_blp.arguments(SuggestionArgsSchema, location="query")
    @pool_blp.response(200, page_schema(SuggestionSchema, "PoolSuggestions", with_facets=False))
    def get(self, args):
        """Staff: firms not in the pool that are ready or nearly ready on some board"""
        found = pool().suggestions(actor(), args)
        return {**found, "page": 1, "per_page": args["limit"]}


@pool_blp.route("/suggestions/<enterprise_id>/dismiss")
class Dismiss(MethodView):
    @pool_blp.arguments(DismissSchema, required=False)
    @pool_blp.response(204)
    def post(self, data, enterprise_id):
        """Staff: dismiss a suggestion (the firm is not suggested again)"""
        pool().dismiss(actor(), enterprise_id, (data or {}).get("reason"))


@pool_blp.route("/<entry_id>")
class Entry(MethodView):
    @pool_blp.response(200, EntrySchema)
    def get(self, entry_id):
        """One entry with the full readiness on its target board"""
        return with_etag(pool().get(actor(), entry_id, request_language()))

    @pool_blp.arguments(EntryUpdateSchema)
    @pool_blp.response(200, EntrySchema)
    def patch(self, data, entry_id):
        """Staff: record a stage with its date, intermediaries with their dates, a new target board, or the exit with a reason"""
        return with_etag(pool().change(actor(), entry_id, data, if_match()))
