from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..common.schemas import StrictSchema

Counts = lambda: fields.Dict(keys=fields.String(), values=fields.Integer())  # noqa: E731
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


class CountTargetSchema(ma.Schema):
    count = fields.Integer()
    target = fields.Integer()
    threshold = fields.Integer()
    target_patent_applications = fields.Integer()
    note = fields.String()


class InstitutionStatisticsSchema(ma.Schema):
    total = fields.Integer()
    by_status = Counts()
    by_type = Counts()
    entered = fields.Integer()
    target = fields.Integer()


class EnterpriseStatisticsSchema(ma.Schema):
    total = fields.Integer()
    target = fields.Integer()
    by_tier = Counts()
    big_capital = fields.Nested(CountTargetSchema)
    little_giants = fields.Nested(CountTargetSchema)
    high_tech = fields.Nested(CountTargetSchema)
    invention_patents = fields.Nested(CountTargetSchema)


class ListingStatisticsSchema(ma.Schema):
    listed = fields.Integer()
    target = fields.Integer()
    aim = fields.Integer()
    reserve_pool = Counts()
    reserve_pool_total = fields.Integer()
    ready_by_board = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 metadata={"description": "enterprises whose latest readiness on a board is ready"})


class MeetingStatisticsSchema(ma.Schema):
    scope = fields.String()
    total = fields.Integer()
    by_status = Counts()
    by_outcome = Counts()


class StatisticsSchema(ma.Schema):
    year = fields.Integer()
    targets_year = fields.Integer(metadata={"description": "the year whose targets apply (the latest configured up to `year`)"})
    targets = Counts()
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
    targets = Counts()
    descriptions = fields.Dict(keys=fields.String(), values=fields.String())
