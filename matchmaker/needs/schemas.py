from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..core.schemas import Code, DocumentSchema, Money, SearchArgs, Text
from ..vocabulary import INDUSTRIES, INSTRUMENTS, NEED_STATUSES, STAGES

EQUITY_LIKE = ("equity", "convertible")
TERMED = ("debt", "guarantee", "leasing", "convertible")


class EnterpriseSummarySchema(ma.Schema):
    founded = fields.String()
    latest_revenue = fields.Integer(allow_none=True)
    revenue_growth = fields.Float(allow_none=True)
    has_collateral = fields.Boolean()
    high_tech_certified = fields.Boolean()
    little_giant = fields.Boolean()
    invention_patents = fields.Integer()
    tier = fields.String()
    counter_guarantees_offered = fields.List(fields.String())
    latest_net_profit = fields.Integer(allow_none=True)
    latest_operating_cash_flow = fields.Integer(allow_none=True)
    equity_ratio = fields.Float(allow_none=True, metadata={"description": "net assets over total assets, latest year"})
    listing_readiness = fields.Integer(allow_none=True, metadata={"description": "best listing-readiness score (expansion and pre-IPO)"})


class DealFactsSchema(ma.Schema):
    revenue_cover = fields.Float(allow_none=True, metadata={"description": "last year's revenue over the amount"})
    earnings_yield = fields.Float(allow_none=True, metadata={"description": "net profit over the valuation the stake offered implies"})


class BrokeringFactsSchema(ma.Schema):
    """How far the need got through brokering; written by the server as it happens."""

    first_response_at = fields.String(metadata={"description": "first institution answer (interest, decline, meeting answer)"})
    answered_in_time = fields.Boolean(metadata={"description": "the first answer came before the response deadline"})
    interested_at = fields.String()
    meeting_held_at = fields.String()
    funded_at = fields.String()
    funded_amount = fields.Integer(metadata={"description": "sum of the funded outcomes of its meetings, yuan"})
    deadline_notified_at = fields.String()


class NeedSchema(DocumentSchema):
    enterprise_id = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "defaults to the signed-in enterprise"})
    title = Text(200, required=True)
    description = Text(5000)
    amount = Money(required=True, validate_also=validate.Range(min=1, error="must be at least 1 yuan"))
    instrument = Code(INSTRUMENTS, required=True)
    purpose = Text(200)
    term_months = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=600))
    equity_offered_pct = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=100, min_inclusive=False))
    status = Code(NEED_STATUSES, load_default="draft")
    # copies of the enterprise's facts, kept current by the server
    industry = Code(INDUSTRIES, dump_only=True)
    stage = Code(STAGES, dump_only=True)
    enterprise_name = fields.String(dump_only=True)
    enterprise = fields.Nested(EnterpriseSummarySchema, dump_only=True)
    deal = fields.Nested(DealFactsSchema, dump_only=True)
    # kept by the server: publication and brokering history
    published_at = fields.String(dump_only=True, metadata={"description": "when the need last became open; its response deadline runs from here"})
    published_month = fields.String(dump_only=True, metadata={"description": "month of publication in the zone's time (YYYY-MM)"})
    brokering = fields.Nested(BrokeringFactsSchema, dump_only=True)

    @validates_schema
    def terms_fit_instrument(self, data, **kwargs):
        instrument = data.get("instrument")
        if instrument and data.get("equity_offered_pct") is not None and instrument not in EQUITY_LIKE:
            raise ma.ValidationError("only for equity or convertible financing", "equity_offered_pct")
        if instrument and data.get("term_months") is not None and instrument not in TERMED:
            raise ma.ValidationError("equity has no term; leave it out", "term_months")


class NeedUpdateSchema(NeedSchema):
    """Loaded with ``partial=True`` (common.api): a PATCH names only what it changes."""

    version = fields.String(load_only=True)


class NeedSearchSchema(SearchArgs):
    industry = fields.List(Code(INDUSTRIES))
    instrument = fields.List(Code(INSTRUMENTS))
    stage = fields.List(Code(STAGES))
    status = fields.List(Code(NEED_STATUSES))
    enterprise_id = fields.List(fields.String(validate=validate.Length(max=64)))
    min_amount = Money(strict=False)
    max_amount = Money(strict=False)
    sort = Code(("relevance", "-created_at", "created_at", "amount", "-amount"))

    @validates_schema
    def amounts_ordered(self, data, **kwargs):
        if data.get("min_amount") is not None and data.get("max_amount") is not None and data["min_amount"] > data["max_amount"]:
            raise ma.ValidationError("must not be above max_amount", "min_amount")
