from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate, validates, validates_schema

from .. import clock
from ..common.schemas import Code, DocumentSchema, IsoDate, Money, SearchArgs, SignedMoney, StrictSchema, Text
from ..vocabulary import CERTIFICATION_KINDS, INDUSTRIES, LISTING_MARKETS, STAGES, TIERS


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
    employees = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000),
                               metadata={"description": "head count at the year's end"})
    patent_applications = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                                         metadata={"description": "patent applications filed in the year (专利申请)"})
    invention_patents_granted = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                                               metadata={"description": "invention patents granted in the year"})

    @validates("year")
    def not_after_this_year(self, value: int, **kwargs):
        if value > clock.today().year:
            raise ma.ValidationError(f"a financial year after the current one ({clock.today().year})")


class CertificationSchema(StrictSchema):
    """A designation: an enterprise may claim one; it counts once zone staff verified it."""

    kind = Code(CERTIFICATION_KINDS, required=True)
    granted_on = IsoDate(required=True)
    expires_on = IsoDate(allow_none=True, metadata={"description": "default: three years after granted_on for high_tech"})
    verified = fields.Boolean(load_default=False, metadata={"description": "set by zone staff and admins only"})
    verified_by = fields.String(allow_none=True, metadata={"description": "set by the server"})
    verified_at = fields.String(allow_none=True, metadata={"description": "set by the server"})

    @validates("granted_on")
    def granted_not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")

    @validates_schema
    def expires_after_granted(self, data, **kwargs):
        if data.get("expires_on") and data.get("granted_on") and data["expires_on"] <= data["granted_on"]:
            raise ma.ValidationError("must be after granted_on", "expires_on")

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        return _dates_as_text(data, ("granted_on", "expires_on"))


class ListingSchema(StrictSchema):
    """Shares listed on an exchange (or quoted on the NEEQ) from a date; set by zone staff."""

    market = Code(LISTING_MARKETS, required=True)
    on = IsoDate(required=True)
    code = Text(20, metadata={"description": "the security code, 300123"})

    @validates("on")
    def not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        return _dates_as_text(data, ("on",))


def _dates_as_text(data: dict, keys) -> dict:
    """Documents keep ISO dates, as the search engines store them."""
    for key in keys:
        if isinstance(data.get(key), date):
            data[key] = data[key].isoformat()
    return data


class EnterpriseSchema(DocumentSchema):
    name = Text(200, required=True)
    name_en = Text(200)
    industry = Code(INDUSTRIES, required=True)
    stage = Code(STAGES, required=True)
    founded = IsoDate(required=True)
    registered_capital = Money(load_default=0)
    employees = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000_000), load_default=0)
    description = Text(5000)
    zone_registered_on = IsoDate(allow_none=True, metadata={"description": "the date it registered in the zone"})
    certifications = fields.List(fields.Nested(CertificationSchema), load_default=list, validate=validate.Length(max=50))
    listings = fields.List(fields.Nested(ListingSchema), load_default=list, validate=validate.Length(max=20))
    high_tech_certified = fields.Boolean(dump_only=True, metadata={"description": "derived: a verified high_tech certification in force today"})
    little_giant = fields.Boolean(dump_only=True, metadata={"description": "derived: a verified little_giant designation in force today"})
    invention_patents = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000), load_default=0)
    joint_stock = fields.Boolean(load_default=False, metadata={"description": "shareholding reform (股份制改造) done"})
    sponsor_engaged = fields.Boolean(load_default=False, metadata={"description": "sponsor (保荐机构) engaged"})
    tutoring_filed = fields.Boolean(load_default=False, metadata={"description": "tutoring (辅导备案) filed"})
    application_filed = fields.Boolean(load_default=False, metadata={"description": "listing application (申报) filed"})
    approved = fields.Boolean(load_default=False, metadata={"description": "approved by the issuance committee (过会)"})
    listed = fields.Boolean(dump_only=True, metadata={"description": "derived: a listing on an exchange (not the NEEQ) exists"})
    neeq_quoted = fields.Boolean(dump_only=True, metadata={"description": "derived: quoted on the NEEQ (新三板)"})
    has_collateral = fields.Boolean(load_default=False)
    financials = fields.List(fields.Nested(FinancialYearSchema), load_default=list, validate=validate.Length(max=50))
    tier = Code(TIERS, dump_only=True, metadata={"description": "derived from the latest year's revenue"})
    latest_year = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null until a year of financials is given"})
    latest_revenue = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null until a year of financials is given"})
    tier_history = fields.List(fields.Dict(), dump_only=True, metadata={"description": "[{year, tier}] per financial year"})
    event_years = fields.List(fields.Integer(), dump_only=True, metadata={"description": "years with a dated event"})

    @validates("founded")
    def founded_not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")
        if value.year < 1949:
            raise ma.ValidationError("must be 1949 or later")

    @validates("zone_registered_on")
    def registered_not_in_future(self, value: date | None, **kwargs):
        if value and value > clock.today():
            raise ma.ValidationError("must not be in the future")

    @validates_schema
    def one_entry_per_year(self, data, **kwargs):
        years = [f["year"] for f in data.get("financials") or []]
        repeated = sorted({y for y in years if years.count(y) > 1})
        if repeated:
            raise ma.ValidationError(f"each year once; repeated: {', '.join(map(str, repeated))}", "financials")
        founded = data.get("founded")
        if founded and any(y < founded.year for y in years):
            raise ma.ValidationError("a financial year before the founding year", "financials")
        registered = data.get("zone_registered_on")
        if registered and founded and registered < founded:
            raise ma.ValidationError("must not be before the founding date", "zone_registered_on")

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        """Documents keep ISO dates, as the search engines store them."""
        _dates_as_text(data, ("founded", "zone_registered_on"))
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
    listed = fields.Boolean()
    sort = Code(("relevance", "-created_at", "created_at", "-latest_revenue", "latest_revenue", "founded", "-founded"))
