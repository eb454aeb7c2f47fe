"""/api/v1/enterprises/<id>/readiness (the reserve pool staff run is in ``matchmaker.fund``)."""
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend
from ..core.language import request_language
from ..scoring.settings import get_settings
from .schemas import ReadinessArgsSchema, ReadinessSchema
from .service import ReadinessService

blp = Blueprint("readiness", __name__, url_prefix="/api/v1", description="Listing readiness and the listing reserve pool (上市后备企业库)")


def service() -> ReadinessService:
    return ReadinessService(backend(), get_settings())


@blp.route("/enterprises/<enterprise_id>/readiness")
class Readiness(MethodView):
    @blp.arguments(ReadinessArgsSchema, location="query")
    @blp.response(200, ReadinessSchema)
    def get(self, args, enterprise_id):
        """How ready an enterprise is to list on a board, criterion by criterion, with its history

        For the enterprise itself and zone staff.  `history` holds the snapshots recorded
        whenever the enterprise's financials or milestones moved its score; `projection`
        the first fiscal year it could meet the board at its recent growth.  `as_of` (default
        today) picks the rule set in force then and the fiscal years closed by then; a board
        not in force on that date answers 422 with the reason.
        """
        return service().readiness(actor(), enterprise_id, args["board"], request_language(), as_of=args.get("as_of"))

