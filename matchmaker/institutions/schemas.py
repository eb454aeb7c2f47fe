from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..common.schemas import Code, Codes, DocumentSchema, Money, SearchArgs, StrictSchema, Text
from ..vocabulary import INDUSTRIES, INSTITUTION_STATUSES, INSTITUTION_TYPES, INSTRUMENTS, STAGES


class RequirementsSchema(StrictSchema):
    min_revenue = Money(allow_none=True, metadata={"description": "minimum revenue in the latest year, yuan"})
    min_years = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    collateral_required = fields.Boolean(load_default=False)
    high_tech_required = fields.Boolean(load_default=False)


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
    requirements = fields.Nested(RequirementsSchema, load_default=lambda: RequirementsSchema().load({}))

    @validates_schema
    def ticket_range_is_ordered(self, data, **kwargs):
        low, high = data.get("ticket_min"), data.get("ticket_max")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("must not be above ticket_max", "ticket_min")


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
