"""Query parameters and answers of the match endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validates_schema

from ..common.api import page_schema
from ..common.schemas import Code, Money, PageArgs, ProjectedList, QueryText
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


class InstitutionMatchSchema(_MatchFields):
    institution = fields.Nested(InstitutionSchema)


class NeedMatchSchema(_MatchFields):
    need = fields.Nested(NeedSchema)


def _eligible_total() -> dict:
    return {"eligible_total": fields.Integer(metadata={"description": "how many of the items are eligible (they come first)"})}


InstitutionMatchPageSchema = page_schema(InstitutionMatchSchema, "InstitutionMatchPage", with_facets=False, extra=_eligible_total())
DealflowPageSchema = page_schema(NeedMatchSchema, "DealflowPage", extra=_eligible_total())
