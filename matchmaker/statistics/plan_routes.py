"""/api/v1/plans/<year> (the zone's yearly plan) and /api/v1/indicators (programme
indicators staff enter)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.access import require_staff, require_user
from ..core.api import actor, backend, for_request
from ..errors import ValidationError
from .plans import IndicatorService, PlanService
from .targets import targets_from
from .schemas import IndicatorListSchema, IndicatorSchema, PlanInputSchema, PlanSchema, YearArgsSchema

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="The zone's yearly plans and programme indicators")


def plans() -> PlanService:
    return for_request(PlanService, targets_from(current_app.config))


def checked_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise ValidationError("no such year", fields={"year": ["must be between 2000 and 2100"]})
    return year


@blp.route("/plans/<int:year>")
class Plan(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, year):
        """The year's targets: its own plan, else the latest earlier one, else the configured defaults"""
        require_user(actor())
        return plans().for_year(checked_year(year))

    @blp.arguments(PlanInputSchema)
    @blp.response(200, PlanSchema)
    def put(self, body, year):
        """Set the year's targets (staff, admins); figures left out keep what the year would inherit"""
        return plans().set(actor(), checked_year(year), body["targets"], body.get("notes"))


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, IndicatorListSchema)
    def get(self, args):
        """The programme indicators entered for a year (staff, admins), with their sums"""
        from .routes import this_year

        year = args.get("year") or this_year()
        service = IndicatorService(backend())
        return {"items": service.list(actor(), year), "totals": service.totals(year)}

    @blp.arguments(IndicatorSchema)
    @blp.response(201, IndicatorSchema)
    def post(self, body):
        """Enter a programme indicator: incubator m² built, an alliance or an R&D institution, with its date"""
        return for_request(IndicatorService).add(actor(), body)


@blp.route("/indicators/<indicator_id>")
class Indicator(MethodView):
    @blp.response(204)
    def delete(self, indicator_id):
        """Remove an indicator entered by mistake (staff, admins)"""
        require_staff(actor(), "remove programme indicators")
        for_request(IndicatorService).delete(actor(), indicator_id)

