"""Input and answers of the special fund's and the reserve pool's endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..core.schemas import Code, Codes, DocumentSchema, Money, PageArgs, StrictSchema, Text
from ..vocabulary import INSTITUTION_TYPES, INSTRUMENTS
from .rules import AWARD_STAGES, KINDS, POOL_STAGES

ID = validate.Length(min=1, max=200)
GRANT_STATUSES = ("applied", "approved", "paid", "rejected")
ENTRY_STATUSES = ("active", "exited")
INTERMEDIARIES = ("sponsor", "accountant", "lawyer")
YEAR = validate.Range(min=2000, max=2100)


class RulesSchema(StrictSchema):
    rate = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1), metadata={
        "description": "interest subsidy: share of the benchmark interest (0.5 = 50%); fee subsidy: percentage points of the guaranteed amount a year, as a fraction (0.02 = 2 points)"})
    cap_per_enterprise = Money(allow_none=True, metadata={"description": "the most one enterprise is granted in this programme, yuan"})
    instruments = Codes(INSTRUMENTS, metadata={"description": "the deals' instruments it covers; empty: any"})
    institution_types = Codes(INSTITUTION_TYPES, metadata={"description": "the lenders' types it covers; empty: any"})
    amounts_by_stage = fields.Dict(keys=fields.String(validate=validate.OneOf(AWARD_STAGES)), values=Money(),
                                   metadata={"description": "listing awards: yuan per reserve-pool stage reached"})


class ProgrammeSchema(DocumentSchema):
    name = Text(200, required=True)
    name_en = Text(200)
    kind = Code(KINDS, required=True)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    budget = Money(required=True)
    rules = fields.Nested(RulesSchema, load_default=dict)
    description = Text(2000)
    committed = fields.Integer(dump_only=True, metadata={"description": "approved and paid grants, yuan"})
    paid = fields.Integer(dump_only=True, metadata={"description": "paid grants, yuan"})

    @validates_schema
    def rules_fit_kind(self, data, **kwargs):
        rules = data.get("rules") or {}
        kind = data.get("kind")
        if kind in ("interest_subsidy", "fee_subsidy") and rules.get("rate") is None:
            raise ma.ValidationError({"rules": {"rate": ["required for this kind of programme"]}})
        if kind == "listing_award" and not rules.get("amounts_by_stage"):
            raise ma.ValidationError({"rules": {"amounts_by_stage": ["a listing award pays an amount per stage"]}})


class ProgrammeUpdateSchema(ProgrammeSchema):
    version = fields.String(load_only=True)


class ProgrammeSearchSchema(PageArgs):
    year = fields.Integer(validate=YEAR)
    kind = fields.List(Code(KINDS))


class CalculationSchema(ma.Schema):
    allowed = fields.Integer(metadata={"description": "the most the rules allow this grant to be"})
    computed = fields.Integer(metadata={"description": "what the rules compute before the cap"})
    steps = fields.List(fields.Dict(), metadata={"description": "[{text, text_zh, value}]"})
    benchmark = fields.Dict(metadata={"description": "interest subsidy: {rate, band, effective_on, source}"})


class GrantSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    programme_id = fields.String()
    programme_name = fields.String()
    programme_name_en = fields.String()
    programme_kind = fields.String()
    year = fields.Integer()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    meeting_id = fields.String()
    need_id = fields.String()
    institution_id = fields.String()
    institution_name = fields.String()
    stage = fields.String()
    amount = fields.Integer()
    requested = fields.Integer(metadata={"description": "what the applicant asked for (when given)"})
    calculation = fields.Nested(CalculationSchema)
    status = fields.String(metadata={"description": " | ".join(GRANT_STATUSES)})
    reason = fields.String(metadata={"description": "why it was rejected"})
    note = fields.String()
    history = fields.List(fields.Dict(), metadata={"description": "[{status, at, by}]"})
    applied_at = fields.String()
    approved_at = fields.String()
    paid_at = fields.String()
    rejected_at = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class GrantCreateSchema(StrictSchema):
    programme_id = fields.String(required=True, validate=ID)
    enterprise_id = fields.String(validate=ID, metadata={"description": "defaults to the signed-in enterprise"})
    amount = Money(validate_also=validate.Range(min=1, error="must be at least 1 yuan"),
                   metadata={"description": "yuan; may be left out where the rules compute it"})
    meeting_id = fields.String(validate=ID, metadata={"description": "the funded deal: a held meeting with outcome funded"})
    stage = Code(AWARD_STAGES, metadata={"description": "listing awards: the reserve-pool stage it rewards"})
    note = Text(2000)


class GrantUpdateSchema(StrictSchema):
    status = Code(GRANT_STATUSES[1:], required=True, metadata={"description": "approved | paid (after approved) | rejected (with reason)"})
    reason = Text(500)
    version = fields.String(load_only=True)


class GrantSearchSchema(PageArgs):
    status = fields.List(Code(GRANT_STATUSES))
    programme_id = fields.List(fields.String(validate=ID))
    enterprise_id = fields.List(fields.String(validate=ID))
    year = fields.Integer(validate=YEAR)


# -- the reserve pool ---------------------------------------------------------------------
class IntermediarySchema(StrictSchema):
    name = Text(200, required=True)
    engaged_on = fields.Date(required=True)


class IntermediariesSchema(StrictSchema):
    sponsor = fields.Nested(IntermediarySchema, allow_none=True, metadata={"description": "sponsoring broker 保荐券商"})
    accountant = fields.Nested(IntermediarySchema, allow_none=True, metadata={"description": "accounting firm 会计师事务所"})
    lawyer = fields.Nested(IntermediarySchema, allow_none=True, metadata={"description": "law firm 律师事务所"})


class EntryCreateSchema(StrictSchema):
    enterprise_id = fields.String(required=True, validate=ID)
    target_board = fields.String(required=True, validate=ID)
    reason = Text(1000, required=True)
    entered_on = fields.Date(metadata={"description": "default today"})


class EntryUpdateSchema(StrictSchema):
    stage = Code(POOL_STAGES)
    stage_on = fields.Date(metadata={"description": "the date the stage was reached (required with stage)"})
    target_board = fields.String(validate=ID)
    intermediaries = fields.Nested(IntermediariesSchema)
    status = Code(("exited",), metadata={"description": "exited (出库), with reason"})
    reason = Text(1000)
    exited_on = fields.Date(metadata={"description": "default today"})
    version = fields.String(load_only=True)


class EntrySearchSchema(PageArgs):
    status = fields.List(Code(ENTRY_STATUSES), metadata={"description": "default active"})
    stage = fields.List(Code(POOL_STAGES))
    target_board = fields.List(fields.String(validate=ID))
    enterprise_id = fields.List(fields.String(validate=ID))


class EntrySchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    industry = fields.String()
    target_board = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"description": " | ".join(ENTRY_STATUSES)})
    stage = fields.String(metadata={"description": " | ".join(POOL_STAGES)})
    stage_on = fields.String()
    stage_label = fields.Dict(metadata={"description": "{en, zh}: the stage's name on the target board (registration-era names where it uses them)"})
    stages = fields.List(fields.Dict(), metadata={"description": "stage history [{stage, on, by, at}]"})
    intermediaries = fields.Dict()
    entered_on = fields.String()
    entered_by = fields.String()
    exited_on = fields.String()
    exit_reason = fields.String()
    previous = fields.List(fields.Dict(), metadata={"description": "earlier spells in the pool [{target_board, entered_on, exited_on, exit_reason, stage, stages}]"})
    readiness = fields.Dict(metadata={"description": "the enterprise on its target board today: {board, score, ready, criteria[...]} (null with `error` when it cannot be assessed)"})
    created_at = fields.String()
    updated_at = fields.String()


class DismissSchema(StrictSchema):
    reason = Text(500)


class SuggestionSchema(ma.Schema):
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    industry = fields.String()
    board = fields.String()
    score = fields.Integer()
    ready = fields.Boolean()


class SuggestionArgsSchema(StrictSchema):
    min_score = fields.Integer(load_default=70, validate=validate.Range(min=0, max=100))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
