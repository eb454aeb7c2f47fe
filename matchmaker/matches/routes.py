"""/api/v1/needs/<id>/matches and /api/v1/institutions/<id>/dealflow."""
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend
from ..core.language import request_language
from ..scoring.settings import get_settings
from .schemas import DealflowArgsSchema, DealflowPageSchema, InstitutionMatchPageSchema, MatchArgsSchema
from .service import MatchService

blp = Blueprint("matches", __name__, url_prefix="/api/v1", description="Matches between funding needs and institutions, both ways")


def service() -> MatchService:
    return MatchService(backend(), get_settings())


@blp.route("/needs/<need_id>/matches")
class NeedMatches(MethodView):
    @blp.arguments(MatchArgsSchema, location="query")
    @blp.response(200, InstitutionMatchPageSchema)
    def get(self, args, need_id):
        """Every institution for a need: eligible first, best first, each with its reasons

        For the enterprise that owns the need and for zone staff.  `message` is in the
        language of `Accept-Language` (Chinese for `zh`), `message_zh` always Chinese.
        """
        return service().matches(actor(), need_id, args, request_language())


@blp.route("/institutions/<institution_id>/dealflow")
class Dealflow(MethodView):
    @blp.arguments(DealflowArgsSchema, location="query")
    @blp.response(200, DealflowPageSchema)
    def get(self, args, institution_id):
        """Open needs for an institution: eligible first, best fit first, with the needs search's filters

        For the institution itself and zone staff.  Eligible needs (every hard rule of the
        institution holds) come first, then the other open needs; `eligible_only=true`
        leaves those out.  Facets count every open need the filters keep (with
        `eligible_only`, the eligible ones).
        """
        return service().dealflow(actor(), institution_id, args, request_language())
