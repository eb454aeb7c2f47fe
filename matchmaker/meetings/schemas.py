from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..brokering.schemas import PagedSchema
from ..core.schemas import Code, Moment, Money, StrictSchema, Text
from ..vocabulary import INSTRUMENTS
from .service import ANSWERS, OUTCOMES, SIDES, STATUSES

ID = validate.Length(min=1, max=200)


class SlotOutSchema(ma.Schema):
    starts_at = fields.String()
    ends_at = fields.String()


class MeetingSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    need_id = fields.String()
    institution_id = fields.String()
    enterprise_id = fields.String()
    introduction_id = fields.String()
    starts_at = fields.String(metadata={"description": "UTC, ISO 8601"})
    ends_at = fields.String()
    month = fields.String(metadata={"description": "YYYY-MM of starts_at in zone time"})
    location = fields.String()
    notes = fields.String()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    enterprise_answer = fields.String(metadata={"description": " | ".join(ANSWERS)})
    enterprise_answered_at = fields.String()
    enterprise_answered_by = fields.String()
    enterprise_answer_note = fields.String()
    institution_answer = fields.String(metadata={"description": " | ".join(ANSWERS)})
    institution_answered_at = fields.String()
    institution_answered_by = fields.String()
    institution_answer_note = fields.String()
    slots = fields.List(fields.Nested(SlotOutSchema), metadata={"description": "times offered (earliest first); "
                                                                               "starts_at/ends_at are the first until one is chosen"})
    enterprise_picks = fields.List(fields.Integer(), metadata={"description": "positions in slots the enterprise can do"})
    institution_picks = fields.List(fields.Integer())
    chosen_slot = fields.Integer(metadata={"description": "the slot both picked, which confirmed the meeting"})
    slots_unmatched = fields.Boolean(metadata={"description": "both picked and no time is common: staff offer others"})
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES)})
    amount = fields.Integer(metadata={"description": "funded amount, yuan (outcome funded)"})
    instrument = fields.String(metadata={"description": "how it was funded (outcome funded)"})
    outcome_notes = fields.String()
    outcome_at = fields.String()
    outcome_by = fields.String()
    corrected_at = fields.String(metadata={"description": "when staff last corrected a funded outcome"})
    corrected_by = fields.String()
    correction_reason = fields.String()
    corrected_from = fields.String(metadata={"description": "the outcome before the correction"})
    corrected_from_amount = fields.Integer()
    proposed_by = fields.String()
    held_at = fields.String()
    held_by = fields.String()
    cancelled_at = fields.String()
    cancelled_by = fields.String()
    cancel_reason = fields.String()
    need_title = fields.String()
    need_amount = fields.Integer()
    need_instrument = fields.String()
    need_month = fields.String()
    enterprise_name = fields.String()
    institution_name = fields.String()
    institution_type = fields.String()
    industry = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class SlotSchema(StrictSchema):
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)


class MeetingCreateSchema(StrictSchema):
    need_id = fields.String(required=True, validate=ID)
    institution_id = fields.String(required=True, validate=ID)
    starts_at = Moment(metadata={"description": "ISO 8601 with an offset, e.g. 2012-06-01T09:30:00+08:00; "
                                                "required unless slots are offered"})
    ends_at = Moment()
    slots = fields.List(fields.Nested(SlotSchema), validate=validate.Length(min=2, max=3),
                        metadata={"description": "2–3 times to choose from instead of starts_at/ends_at: each party "
                                                 "picks, the earliest time both picked confirms the meeting"})
    location = Text(500)
    notes = Text(2000)
    introduction_id = fields.String(validate=ID, metadata={"description": "the introduction request this answers (marked arranged)"})


class MeetingUpdateSchema(StrictSchema):
    starts_at = Moment(metadata={"description": "moving the time asks both parties again"})
    ends_at = Moment()
    location = Text(500, allow_none=True)
    notes = Text(2000, allow_none=True)
    status = Code(STATUSES, metadata={"description": "staff may set cancelled or held (the same checks as the steps)"})
    cancel_reason = Text(500)
    version = fields.String(load_only=True)


class AnswerSchema(StrictSchema):
    note = Text(2000)
    side = Code(SIDES, metadata={"description": "staff answering for a party say which"})


class PickSchema(StrictSchema):
    slots = fields.List(fields.Integer(validate=validate.Range(min=0, max=2)), required=True,
                        validate=validate.Length(min=1, max=3), metadata={"description": "positions in the meeting's slots"})
    side = Code(SIDES, metadata={"description": "staff picking for a party say which"})


class CancelSchema(StrictSchema):
    reason = Text(500)


class OutcomeSchema(StrictSchema):
    outcome = Code(OUTCOMES, required=True)
    amount = Money(validate_also=validate.Range(min=1, error="must be at least 1 yuan"), metadata={"description": "required for funded"})
    instrument = Code(INSTRUMENTS, metadata={"description": "required for funded"})
    notes = Text(2000)
    correction_reason = Text(500, metadata={"description": "required to correct a funded outcome"})


class MeetingSearchSchema(PagedSchema):
    status = fields.List(Code(STATUSES))
    outcome = fields.List(Code(OUTCOMES))
    need_id = fields.List(fields.String(validate=ID))
    institution_id = fields.List(fields.String(validate=ID))
    enterprise_id = fields.List(fields.String(validate=ID))
    starts_from = Moment()
    starts_until = Moment()
    sort = Code(("starts_at", "-starts_at"))
