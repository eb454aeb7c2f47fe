from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate, validates, validates_schema

from ..common.schemas import Code, DocumentSchema, IsoDate, Money, SearchArgs, SignedMoney, StrictSchema, Text
from ..vocabulary import INDUSTRIES, STAGES, TIERS


class FinancialYearSchema(StrictSchema):
    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=1949, max=2100))
    revenue = Money(allow_none=True)
    net_profit = SignedMoney(allow_none=True)
    net_profit_deducted = SignedMoney(
        allow_none=True, metadata={"description": "net profit after non-recurring items (扣除非经常性损益后)"}
    )
    operating_cash_flow = SignedMoney(allow_none=True)
    net_assets = SignedMoney(allow_none=True)
    intangible_assets = Money(allow_none=True)
    share_capital = Money(allow_none=True)


class EnterpriseSchema(DocumentSchema):
    name = Text(200, required=True)
    name_en = Text(200)
    industry = Code(INDUSTRIES, required=True)
    stage = Code(STAGES, required=True)
    founded = IsoDate(required=True)
    registered_capital = Money(load_default=0)
    employees = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000_000), load_default=0)
    description = Text(5000)
    high_tech_certified = fields.Boolean(load_default=False)
    little_giant = fields.Boolean(load_default=False)
    invention_patents = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000), load_default=0)
    joint_stock = fields.Boolean(load_default=False, metadata={"description": "shareholding reform (股份制改造) done"})
    sponsor_engaged = fields.Boolean(load_default=False, metadata={"description": "sponsor (保荐机构) engaged"})
    tutoring_filed = fields.Boolean(load_default=False, metadata={"description": "tutoring (辅导备案) filed"})
    application_filed = fields.Boolean(load_default=False, metadata={"description": "listing application (申报) filed"})
    approved = fields.Boolean(load_default=False, metadata={"description": "approved by the issuance committee (过会)"})
    listed = fields.Boolean(load_default=False)
    has_collateral = fields.Boolean(load_default=False)
    financials = fields.List(fields.Nested(FinancialYearSchema), load_default=list, validate=validate.Length(max=50))
    tier = Code(TIERS, dump_only=True, metadata={"description": "derived from the latest year's revenue"})
    latest_year = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null until a year of financials is given"})
    latest_revenue = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null until a year of financials is given"})

    @validates("founded")
    def founded_not_in_future(self, value: date, **kwargs):
        if value > date.today():
            raise ma.ValidationError("must not be in the future")
        if value.year < 1949:
            raise ma.ValidationError("must be 1949 or later")

    @validates_schema
    def one_entry_per_year(self, data, **kwargs):
        years = [f["year"] for f in data.get("financials") or []]
        repeated = sorted({y for y in years if years.count(y) > 1})
        if repeated:
            raise ma.ValidationError(f"each year once; repeated: {', '.join(map(str, repeated))}", "financials")
        founded = data.get("founded")
        if founded and any(y < founded.year for y in years):
            raise ma.ValidationError("a financial year before the founding year", "financials")

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        """Documents keep ISO dates, as the search engines store them."""
        if isinstance(data.get("founded"), date):
            data["founded"] = data["founded"].isoformat()
        if data.get("financials"):
            data["financials"] = sorted(data["financials"], key=lambda f: f["year"])
        return data


class EnterpriseUpdateSchema(EnterpriseSchema):
    """Loaded with ``partial=True`` (common.api): a PATCH names only what it changes."""

    version = fields.String(load_only=True)


class EnterpriseSearchSchema(SearchArgs):
    industry = fields.List(Code(INDUSTRIES))
    stage = fields.List(Code(STAGES))
    tier = fields.List(Code(TIERS))
    little_giant = fields.Boolean()
    high_tech_certified = fields.Boolean()
    sort = Code(("relevance", "-created_at", "created_at", "-latest_revenue", "latest_revenue", "founded", "-founded"))
