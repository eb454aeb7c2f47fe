"""Query parameters and answers of the match endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validates_schema

from ..core.api import page_schema
from ..core.schemas import Code, Money, PageArgs, ProjectedList, QueryText
from ..institutions.schemas import InstitutionSchema
from ..needs.schemas import NeedSchema
from ..vocabulary import INDUSTRIES, INSTRUMENTS, STAGES


class MatchArgsSchema(PageArgs):
    eligible_only = fields.Boolean(load_default=False, metadata={"description": "leave out the ineligible items"})


class DealflowArgsSchema(MatchArgsSchema):
    q = QueryText()
    industry = fields.List(Code(INDUSTRIES))
    instrument = fields.List(Code(INSTRUMENTS))
    stage = fields.List(Code(STAGES))
    min_amount = Money(strict=False)
    max_amount = Money(strict=False)

    @validates_schema
    def amounts_ordered(self, data, **kwargs):
        if data.get("min_amount") is not None and data.get("max_amount") is not None and data["min_amount"] > data["max_amount"]:
            raise ma.ValidationError("must not be above max_amount", "min_amount")


class ReasonSchema(ma.Schema):
    factor = fields.String(metadata={"description": "a factor (industry, stage, ticket, text, ...) or the hard rule broken"})
    score = fields.Float(metadata={"description": "points this factor adds; 0 for a broken rule"})
    message = fields.String(metadata={"description": "in the language of the request (Accept-Language)"})
    message_zh = fields.String()


class _MatchFields(ma.Schema):
    score = fields.Integer(metadata={"description": "0-100"})
    eligible = fields.Boolean()
    reasons = ProjectedList(ReasonSchema)
    broken_rules = fields.List(fields.String(), metadata={"description": "the hard rules broken, if any"})


class RefSchema(ma.Schema):
    """What an answer names of a product or an institution."""

    id = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class InstitutionRefSchema(RefSchema):
    type = fields.String()


class InstitutionMatchSchema(_MatchFields):
    institution = fields.Nested(InstitutionSchema)
    product = fields.Nested(RefSchema, metadata={"description": "the institution's product that fits best, when it has products"})
    partner_banks = fields.List(fields.Nested(RefSchema), metadata={"description": "a guarantee company's cooperating banks"})


class AlternativeSchema(ma.Schema):
    id = fields.String(metadata={"description": "which kind of alternative (lease_for_equipment, guarantee_with_bank, ...)"})
    instrument = fields.String()
    institution = fields.Nested(InstitutionRefSchema)
    product = fields.Nested(RefSchema)
    partner_banks = fields.List(fields.Nested(RefSchema))
    score = fields.Integer(metadata={"description": "the institution's score for the need asked as this instrument"})
    message = fields.String(metadata={"description": "why an expert would add it, in the language of the request"})
    message_zh = fields.String()


class NeedMatchSchema(_MatchFields):
    need = fields.Nested(NeedSchema)
    product = fields.Nested(RefSchema, metadata={"description": "the institution's product that fits this need best"})


def _eligible_total() -> dict:
    return {"eligible_total": fields.Integer(metadata={"description": "how many of the items are eligible (they come first)"})}


InstitutionMatchPageSchema = page_schema(
    InstitutionMatchSchema, "InstitutionMatchPage", with_facets=False,
    extra={**_eligible_total(), "alternatives": fields.List(fields.Nested(AlternativeSchema), metadata={
        "description": "other ways to fund the same need, apart from the eligibility of the instrument asked for"})},
)
DealflowPageSchema = page_schema(NeedMatchSchema, "DealflowPage", extra=_eligible_total())
