from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates

from .. import clock
from ..core.schemas import IsoDate, StrictSchema

Counts = lambda: fields.Dict(keys=fields.String(), values=fields.Integer())  # noqa: E731
Figure = lambda **kw: fields.Raw(metadata={"type": "number", **kw.pop("metadata", {})}, **kw)  # noqa: E731  whole numbers stay whole
Figures = lambda: fields.Dict(keys=fields.String(), values=Figure())  # noqa: E731
Rows = lambda: fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))  # noqa: E731


class YearArgsSchema(StrictSchema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={"description": "default: this year (zone time)"})


class NeedsStatisticsSchema(ma.Schema):
    cohort = fields.String()
    totals = Counts()
    by_month = Rows()
    by_industry = Rows()
    by_instrument = Rows()


class FunnelStageSchema(ma.Schema):
    stage = fields.String(metadata={"description": "suggested, interested, meeting_held, funded"})
    count = fields.Integer()
    share_of_previous = fields.Float(allow_none=True)


class PairStatisticsSchema(ma.Schema):
    unit = fields.String()
    totals = Counts()
    rows = Rows()


class CountSchema(ma.Schema):
    count = fields.Integer()
    threshold = fields.Integer()
    note = fields.String()


class InstitutionStatisticsSchema(ma.Schema):
    scope = fields.String()
    total = fields.Integer()
    by_status = Counts()
    by_type = Counts()
    entered = fields.Integer()


class EnterpriseStatisticsSchema(ma.Schema):
    scope = fields.String()
    total = fields.Integer()
    by_tier = Counts()
    big_capital = fields.Nested(CountSchema)
    little_giants = fields.Nested(CountSchema)
    high_tech = fields.Nested(CountSchema)
    invention_patents = fields.Nested(CountSchema)


class ListingStatisticsSchema(ma.Schema):
    listed = fields.Integer()
    reserve_pool = Counts()
    reserve_pool_total = fields.Integer()
    ready_by_board = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 metadata={"description": "enterprises whose latest readiness on a board is ready"})


class MeetingStatisticsSchema(ma.Schema):
    scope = fields.String()
    total = fields.Integer()
    by_status = Counts()
    by_outcome = Counts()


class ProgressSchema(ma.Schema):
    id = fields.String()
    target = Figure()
    actual = Figure(metadata={"description": "the events dated in the year (verified designations only)"})
    description = fields.String()
    list = fields.String(metadata={"description": "where the firms behind the figure are listed"})
    aim = Figure()
    last_reported = fields.Dict(metadata={"description": "for figures from a year's accounts while the year runs: {year, actual} of the year before"})
    previous_year = fields.Dict(metadata={"description": "{year, actual}: the same figure for the year before, the whole year"})


class IndustryShareSchema(ma.Schema):
    count = fields.Integer()
    share = fields.Float(allow_none=True)


class IndustriesOfNewSmesSchema(ma.Schema):
    by_industry = fields.Dict(keys=fields.String(), values=fields.Nested(IndustryShareSchema))
    leading_five = fields.Integer()
    leading_five_share = fields.Float(allow_none=True)


class TierMovementsSchema(ma.Schema):
    financial_year = fields.Integer(metadata={"description": "the accounts that show the moves (the year once closed, else the last closed one)"})
    counts = Counts()
    up_to_excel = fields.Integer()
    up = fields.Integer()
    down = fields.Integer()


class FundProgrammeSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    kind = fields.String()
    budget = fields.Integer()
    committed = fields.Integer()
    paid = fields.Integer()


class SpecialFundSchema(ma.Schema):
    source = fields.String(metadata={"description": "`fund` (the fund's grants) or `plan` (no fund records: budget only)"})
    budget = fields.Integer()
    committed = fields.Integer()
    paid = fields.Integer()
    by_programme = fields.List(fields.Nested(FundProgrammeSchema))


class StatisticsSchema(ma.Schema):
    year = fields.Integer()
    as_of = fields.String(metadata={"description": "the service's today (MATCHMAKER_TODAY)"})
    targets_year = fields.Integer(metadata={"description": "the year whose plan applies (the latest set up to `year`)"})
    plan_source = fields.String(metadata={"description": "`plan` (set for the year), `inherited`, `defaults`"})
    targets = Figures()
    progress = fields.List(fields.Nested(ProgressSchema))
    progress_by_month = Rows()
    industries_of_new_smes = fields.Nested(IndustriesOfNewSmesSchema)
    tier_movements = fields.Nested(TierMovementsSchema)
    special_fund = fields.Nested(SpecialFundSchema)
    needs = fields.Nested(NeedsStatisticsSchema)
    funnel = fields.List(fields.Nested(FunnelStageSchema))
    by_institution_type = fields.Nested(PairStatisticsSchema)
    institutions = fields.Nested(InstitutionStatisticsSchema)
    enterprises = fields.Nested(EnterpriseStatisticsSchema)
    listings = fields.Nested(ListingStatisticsSchema)
    meetings = fields.Nested(MeetingStatisticsSchema)


class TargetsSchema(ma.Schema):
    year = fields.Integer()
    targets_year = fields.Integer()
    targets = Figures()
    descriptions = fields.Dict(keys=fields.String(), values=fields.String())


class MemberSchema(ma.Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "`enterprise` or `institution`"})
    on = fields.String(allow_none=True, metadata={"description": "the date of the event"})
    industry = fields.String(allow_none=True)
    type = fields.String(allow_none=True)
    amount = Figure(allow_none=True)


class MemberListSchema(ma.Schema):
    id = fields.String()
    year = fields.Integer()
    items = fields.List(fields.Nested(MemberSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class MemberArgsSchema(YearArgsSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PlanSchema(ma.Schema):
    year = fields.Integer(dump_only=True)
    targets = Figures()
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    from_year = fields.Integer(dump_only=True, metadata={"description": "the year whose plan this is (an earlier one when inherited)"})
    source = fields.String(dump_only=True, metadata={"description": "`plan`, `inherited` or `defaults`"})
    updated_by = fields.String(dump_only=True, allow_none=True)
    updated_at = fields.String(dump_only=True, allow_none=True)


class PlanInputSchema(StrictSchema):
    targets = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class IndicatorSchema(StrictSchema):
    id = fields.String(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(("incubator_m2", "alliances", "rd_institutions")))
    value = fields.Float(required=True, validate=validate.Range(min=0, max=10**9))
    on = IsoDate(required=True)
    notes = fields.String(validate=validate.Length(max=2000), load_default="")

    @validates("on")
    def not_in_future(self, value, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")
    year = fields.Integer(dump_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)


class IndicatorListSchema(ma.Schema):
    items = fields.List(fields.Nested(IndicatorSchema))
    totals = Figures()
