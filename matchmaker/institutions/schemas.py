from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from .. import clock
from ..core.schemas import Code, Codes, DocumentSchema, IsoDate, Money, SearchArgs, StrictSchema, Text
from ..vocabulary import COUNTER_GUARANTEES, INDUSTRIES, INSTITUTION_STATUSES, INSTITUTION_TYPES, INSTRUMENTS, STAGES


class RequirementsSchema(StrictSchema):
    min_revenue = Money(allow_none=True, metadata={"description": "minimum revenue in the latest year, yuan"})
    min_years = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    collateral_required = fields.Boolean(load_default=False)
    high_tech_required = fields.Boolean(load_default=False)
    profitable_required = fields.Boolean(
        allow_none=True, metadata={"description": "a loss in the latest year excludes the borrower (unset: the type's default)"}
    )


def _ticket_is_ordered(data: dict) -> None:
    low, high = data.get("ticket_min"), data.get("ticket_max")
    if low is not None and high is not None and low > high:
        raise ma.ValidationError("must not be above ticket_max", "ticket_min")


class ProductSchema(StrictSchema):
    """One product of an institution; a field left out takes the institution's value."""

    id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,60}$"))
    name = Text(200, required=True)
    name_en = Text(200)
    instrument = Code(INSTRUMENTS)
    ticket_min = Money(allow_none=True)
    ticket_max = Money(allow_none=True)
    term_months_max = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=600))
    industries = Codes(INDUSTRIES)
    stages = Codes(STAGES)
    requirements = fields.Nested(RequirementsSchema)
    counter_guarantees_accepted = Codes(COUNTER_GUARANTEES)
    programmes = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=20))
    description = Text(2000)

    @validates_schema
    def ticket_range_is_ordered(self, data, **kwargs):
        _ticket_is_ordered(data)


class InstitutionSchema(DocumentSchema):
    name = Text(200, required=True)
    name_en = Text(200)
    type = Code(INSTITUTION_TYPES, required=True)
    instruments = Codes(INSTRUMENTS, required=True, min_length=1)
    industries = Codes(INDUSTRIES, load_default=list)
    stages = Codes(STAGES, required=True, min_length=1)
    ticket_min = Money(required=True)
    ticket_max = Money(required=True)
    description = Text(5000)
    status = Code(INSTITUTION_STATUSES, load_default="target")
    entered_on = IsoDate(allow_none=True, metadata={"description": "the date it entered the zone"})
    requirements = fields.Nested(RequirementsSchema, load_default=lambda: RequirementsSchema().load({}))
    industry_mandate = fields.Boolean(
        allow_none=True, metadata={"description": "industries are a hard rule (unset: true for industry funds)"}
    )
    minority_only = fields.Boolean(
        allow_none=True, metadata={"description": "takes minority stakes only (government guide funds; unset: false)"}
    )
    small_micro_focus = fields.Boolean(
        allow_none=True, metadata={"description": "a guarantee company serving mainly small and micro firms (15x since 2017)"}
    )
    counter_guarantees_accepted = Codes(COUNTER_GUARANTEES, load_default=list)
    net_capital = Money(allow_none=True, metadata={"description": "microcredit 资本净额 / guarantee company net assets, yuan"})
    guarantee_outstanding = Money(allow_none=True, metadata={"description": "outstanding guarantees (融资担保责任余额), yuan"})
    partner_banks = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                                validate=validate.Length(max=50))
    products = fields.List(fields.Nested(ProductSchema), load_default=list, validate=validate.Length(max=30))

    @validates_schema
    def ticket_range_is_ordered(self, data, **kwargs):
        _ticket_is_ordered(data)

    @validates_schema
    def product_ids_are_unique(self, data, **kwargs):
        ids = [p.get("id") for p in data.get("products") or [] if p.get("id")]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError("each product id once", "products")

    @ma.post_load
    def number_products(self, data, **kwargs):
        """Every product has an id (``p1``, ``p2``, … when none was given), so a match can name it."""
        taken = {p.get("id") for p in data.get("products") or []}
        for position, product in enumerate(data.get("products") or [], start=1):
            if not product.get("id"):
                candidate, n = f"p{position}", position
                while candidate in taken:
                    n += 1
                    candidate = f"p{n}"
                product["id"] = candidate
                taken.add(candidate)
        return data

    @validates_schema
    def entered_on_is_past(self, data, **kwargs):
        entered = data.get("entered_on")
        if entered and entered > clock.today():
            raise ma.ValidationError("must not be in the future", "entered_on")

    @ma.post_load
    def dates_as_text(self, data, **kwargs):
        if isinstance(data.get("entered_on"), date):
            data["entered_on"] = data["entered_on"].isoformat()
        return data


class InstitutionUpdateSchema(InstitutionSchema):
    """Loaded with ``partial=True`` (common.api): a PATCH names only what it changes."""

    version = fields.String(load_only=True)


class InstitutionSearchSchema(SearchArgs):
    type = fields.List(Code(INSTITUTION_TYPES))
    industry = fields.List(Code(INDUSTRIES))
    instrument = fields.List(Code(INSTRUMENTS))
    stage = fields.List(Code(STAGES))
    status = fields.List(Code(INSTITUTION_STATUSES))
    amount = Money(strict=False, metadata={"description": "institutions whose ticket range holds this amount"})
    sort = Code(("relevance", "ticket_min", "-ticket_min", "ticket_max", "-ticket_max", "-created_at", "created_at"))
