"""/api/v1/statistics: the zone's numbers for a year, its targets, institutions' answer records."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from ..core.arguments import Blueprint

from .. import clock
from ..core.access import require_staff, require_user
from ..core import settings
from ..brokering.interests import InterestService
from ..brokering.schemas import ResponsivenessListSchema
from ..core.api import actor, backend
from .schemas import MemberArgsSchema, MemberListSchema, StatisticsSchema, TargetsSchema, YearArgsSchema
from .plans import PlanService
from .service import StatisticsService
from .targets import TARGETS, targets_from

blp = Blueprint("statistics", __name__, url_prefix="/api/v1/statistics",
                description="The zone's yearly numbers against its targets (staff and admins)")


def this_year() -> int:
    return clock.today().year


def statistics_for(year: int | None) -> dict:
    service = StatisticsService(backend(), targets_from(current_app.config))
    return service.compute(require_user(actor()), year or this_year())


@blp.route("")
class Statistics(MethodView):
    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, StatisticsSchema)
    def get(self, args):
        """Needs (posted, answered in time, met, funded, amount) by month, industry and instrument; the
        funnel; answers, meetings and funding by institution type; institutions, enterprises and
        listings against the year's targets"""
        return statistics_for(args.get("year"))


@blp.route("/targets")
class Targets(MethodView):
    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, TargetsSchema)
    def get(self, args):
        """The targets that apply to a year"""
        require_staff(actor(), "see the zone's targets")
        year = args.get("year") or this_year()
        plan = PlanService(backend(), targets_from(current_app.config)).for_year(year)
        return {"year": year, "targets_year": plan["from_year"], "targets": plan["targets"], "descriptions": TARGETS}


@blp.route("/progress/<target>")
class ProgressMembers(MethodView):
    @blp.arguments(MemberArgsSchema, location="query")
    @blp.response(200, MemberListSchema)
    def get(self, args, target):
        """The firms (or institutions) behind one figure of the year's progress, by date"""
        year = args.get("year") or this_year()
        service = StatisticsService(backend(), targets_from(current_app.config))
        items = service.members(require_user(actor()), target, year)
        start = (args["page"] - 1) * args["per_page"]
        return {"id": target, "year": year, "items": items[start:start + args["per_page"]], "total": len(items),
                "page": args["page"], "per_page": args["per_page"]}


@blp.route("/responsiveness")
class Responsiveness(MethodView):
    @blp.response(200, ResponsivenessListSchema)
    def get(self):
        """Every institution's answer record: how often it answered needs by their deadline"""
        service = InterestService(backend(), working_days=settings.working_days(current_app.config))
        return {"items": service.responsiveness_all(require_user(actor()))}
