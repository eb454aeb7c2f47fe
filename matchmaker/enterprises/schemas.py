from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate, validates, validates_schema

from .. import clock
from ..core.schemas import Code, Codes, DocumentSchema, IsoDate, Money, SearchArgs, SignedMoney, StrictSchema, Text
from ..vocabulary import CERTIFICATION_KINDS, COUNTER_GUARANTEES, INDUSTRIES, LISTING_MARKETS, STAGES, TIERS


class FinancialYearSchema(StrictSchema):
    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=1949, max=2100))
    revenue = Money(allow_none=True)
    net_profit = SignedMoney(allow_none=True)
    net_profit_deducted = SignedMoney(
        allow_none=True, metadata={"description": "net profit after non-recurring items (扣除非经常性损益后)"}
    )
    operating_cash_flow = SignedMoney(allow_none=True)
    net_assets = SignedMoney(allow_none=True)
    total_liabilities = Money(allow_none=True, metadata={"description": "total liabilities at the year end (leverage)"})
    intangible_assets = Money(allow_none=True)
    share_capital = Money(allow_none=True)
    total_liabilities = Money(allow_none=True)
    retained_earnings = SignedMoney(allow_none=True, metadata={"description": "未分配利润 at the year end; negative: uncovered losses"})
    land_use_rights = Money(allow_none=True, metadata={"description": "land-use rights among the intangible assets (the listing rules leave them out)"})
    rd_expenses = Money(allow_none=True, metadata={"description": "R&D spend (研发投入) in the year"})
    employees = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000))
    rd_staff = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000),
                              metadata={"description": "R&D staff (研发人员) at the year end"})
    patent_applications = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                                         metadata={"description": "patent applications filed in the year (专利申请)"})
    invention_patents_granted = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                                               metadata={"description": "invention patents granted in the year"})

    @validates("year")
    def not_after_this_year(self, value: int, **kwargs):
        if value > clock.today().year:
            raise ma.ValidationError(f"a financial year after the current one ({clock.today().year})")

    @validates_schema
    def parts_within_wholes(self, data, **kwargs):
        if (data.get("land_use_rights") or 0) > (data.get("intangible_assets") or 0) and data.get("intangible_assets") is not None:
            raise ma.ValidationError("must not exceed intangible_assets", "land_use_rights")
        if data.get("rd_staff") is not None and data.get("employees") is not None and data["rd_staff"] > data["employees"]:
            raise ma.ValidationError("must not exceed employees", "rd_staff")


class _DatedSchema(StrictSchema):
    """A nested object whose dates (``DATES``) are kept as ISO text, as the engines store them."""

    DATES: tuple[str, ...] = ()

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        for key in self.DATES:
            if isinstance(data.get(key), date):
                data[key] = data[key].isoformat()
        return data


class ValuationSchema(_DatedSchema):
    """An expected market value needs a basis and a date (DOMAIN.md)."""

    amount = Money(required=True)
    as_of = IsoDate(required=True)
    basis = Code(("last_round", "staff_estimate"), required=True,
                 metadata={"description": "last_round: the last round's post-money valuation; staff_estimate"})

    DATES = ("as_of",)


class GovernanceSchema(_DatedSchema):
    controller_changed_on = IsoDate(allow_none=True, metadata={"description": "last change of the actual controller (实际控制人)"})
    management_changed_on = IsoDate(allow_none=True, metadata={"description": "last material change of directors and senior management"})
    main_business_changed_on = IsoDate(allow_none=True, metadata={"description": "last material change of the main business"})
    converted_at_book_value = fields.Boolean(allow_none=True, metadata={
        "description": "the LLC became a joint-stock company at book value (按原账面净资产值折股): the operating clock runs from the LLC's founding"})
    converted_on = IsoDate(allow_none=True, metadata={"description": "the date of the conversion to a joint-stock company"})

    DATES = ("controller_changed_on", "management_changed_on", "main_business_changed_on", "converted_on")


class ListingSchema(_DatedSchema):
    """Shares listed on an exchange (or quoted on the NEEQ) from a date; set by zone staff."""

    market = Code(LISTING_MARKETS, required=True)
    on = IsoDate(required=True)
    code = Text(20, metadata={"description": "the security code, 300123"})

    DATES = ("on",)

    @validates("on")
    def not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")


class CertificationSchema(_DatedSchema):
    """A designation: an enterprise may claim one; it counts once zone staff verified it."""

    kind = Code(CERTIFICATION_KINDS, required=True)
    granted_on = IsoDate(required=True)
    expires_on = IsoDate(allow_none=True, metadata={"description": "default: three years after granted_on for high_tech"})
    verified = fields.Boolean(load_default=False, metadata={"description": "set by zone staff and admins only"})
    verified_by = fields.String(allow_none=True, metadata={"description": "set by the server"})
    verified_at = fields.String(allow_none=True, metadata={"description": "set by the server"})

    DATES = ("granted_on", "expires_on")

    @validates("granted_on")
    def granted_not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")

    @validates_schema
    def expires_after_granted(self, data, **kwargs):
        if data.get("expires_on") and data.get("granted_on") and data["expires_on"] <= data["granted_on"]:
            raise ma.ValidationError("must be after granted_on", "expires_on")


class NeeqTierSchema(_DatedSchema):
    tier = Code(("basic", "innovation"), required=True, metadata={"description": "NEEQ tier: basic 基础层, innovation 创新层"})
    since = IsoDate(allow_none=True)

    DATES = ("since",)


class OfferingSchema(StrictSchema):
    shares = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0), metadata={"description": "shares to be offered"})
    investors = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0), metadata={"description": "investors to be offered to"})



class EquityFinancingSchema(_DatedSchema):
    """Equity raised: a round (before or at the NEEQ quotation) or a private placement (定向发行)
    while quoted.  NEEQ's 2023 quotation standard (4) counts the 24 months' rounds and one to be
    completed at quotation (``planned``); its innovation tier counts cash placements, each priced
    at a market value of 300 M or more (``post_money``)."""

    kind = Code(("round", "placement"), required=True, metadata={"description": "round: a financing round; placement: 定向发行 while quoted"})
    amount = Money(required=True)
    closed_on = IsoDate(allow_none=True, metadata={"description": "when it completed; empty for a round still to complete"})
    planned = fields.Boolean(load_default=False, metadata={"description": "to be completed at the quotation (挂牌时即将完成)"})
    cash = fields.Boolean(load_default=True, metadata={"description": "subscribed in cash (false: non-cash assets)"})
    post_money = Money(allow_none=True, metadata={"description": "the market value at the round's price (post-money)"})

    DATES = ("closed_on",)

    @validates("closed_on")
    def closed_not_in_future(self, value: date, **kwargs):
        if value > clock.today():
            raise ma.ValidationError("must not be in the future")

    @validates_schema
    def planned_or_closed(self, data, **kwargs):
        if data.get("planned") and data.get("closed_on"):
            raise ma.ValidationError("a planned round has no closing date yet", "closed_on")
        if not data.get("planned") and not data.get("closed_on"):
            raise ma.ValidationError("give the closing date, or mark the round planned", "closed_on")

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
    listings = fields.List(fields.Nested(ListingSchema), load_default=list, validate=validate.Length(max=20),
                           metadata={"description": "listings and NEEQ quotations (market neeq: a quotation, not a listing); set by zone staff"})
    high_tech_certified = fields.Boolean(dump_only=True, metadata={"description": "derived: a verified high_tech certification in force today"})
    little_giant = fields.Boolean(dump_only=True, metadata={"description": "derived: a verified little_giant designation in force today"})
    invention_patents = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000), load_default=0)
    joint_stock = fields.Boolean(load_default=False, metadata={"description": "shareholding reform (股份制改造) done"})
    sponsor_engaged = fields.Boolean(load_default=False, metadata={"description": "sponsor (保荐机构) engaged"})
    tutoring_filed = fields.Boolean(load_default=False, metadata={"description": "tutoring (辅导备案) filed"})
    application_filed = fields.Boolean(load_default=False, metadata={"description": "listing application (申报) filed"})
    approved = fields.Boolean(load_default=False, metadata={"description": "approved by the issuance committee (过会)"})
    # under registration (注册制): 受理 → 问询 → 上市委审议 → 注册生效, instead of 过会
    application_accepted = fields.Boolean(load_default=False, metadata={"description": "application accepted by the exchange (受理)"})
    inquiry_answered = fields.Boolean(load_default=False, metadata={"description": "the exchange's enquiries answered (问询)"})
    committee_approved = fields.Boolean(load_default=False, metadata={"description": "passed the listing committee (上市委审议)"})
    registered = fields.Boolean(load_default=False, metadata={"description": "CSRC registration in effect (注册生效)"})
    # NEEQ quotation (挂牌) is not a listing: its own broker and steps
    neeq_broker_engaged = fields.Boolean(load_default=False, metadata={"description": "NEEQ sponsoring broker (主办券商) engaged"})
    neeq_application_filed = fields.Boolean(load_default=False, metadata={"description": "NEEQ quotation application filed"})
    neeq_approved = fields.Boolean(load_default=False, metadata={"description": "NEEQ quotation approved (同意挂牌)"})
    valuation = fields.Nested(ValuationSchema, allow_none=True, metadata={"description": "expected market value: amount, as_of, basis"})
    governance = fields.Nested(GovernanceSchema, allow_none=True)
    neeq_tier = fields.Nested(NeeqTierSchema, allow_none=True, metadata={"description": "NEEQ tier while quoted"})
    shareholders = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100_000_000))
    offering = fields.Nested(OfferingSchema, allow_none=True, metadata={"description": "the planned public offering"})
    equity_financings = fields.List(fields.Nested(EquityFinancingSchema), load_default=list, validate=validate.Length(max=100),
                                    metadata={"description": "equity raised: rounds and NEEQ placements, with dates and prices"})
    invention_patents_main_business = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                                                     metadata={"description": "invention patents forming the main business (科创属性)"})
    software_firm = fields.Boolean(load_default=False, metadata={
        "description": "a software firm (软件行业) in the sense of 科创属性评价指引: R&D of 10% of revenue, no patent count"})
    major_product_milestone = fields.Boolean(load_default=False, metadata={
        "description": "a major product has reached the stage STAR standard (5) asks (a drug: phase II trials)"})
    listed = fields.Boolean(dump_only=True, metadata={"description": "derived: a listing on an exchange (not the NEEQ) exists"})
    neeq_quoted = fields.Boolean(dump_only=True, metadata={"description": "derived: quoted on the NEEQ (新三板)"})
    has_collateral = fields.Boolean(load_default=False)
    counter_guarantees_offered = Codes(
        COUNTER_GUARANTEES, metadata={"description": "security the enterprise can offer (unset: a mortgage when has_collateral)"}
    )
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
