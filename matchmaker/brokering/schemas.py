from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..core.schemas import Code, PageArgs, StrictSchema, Text
from ..needs.schemas import NeedSchema
from ..vocabulary import INDUSTRIES, INSTRUMENTS
from .interests import DECLINE_REASONS, INTRODUCTION_STATUSES, RESPONSES

ID = validate.Length(min=1, max=200)


#: The page arguments every brokering list takes.
PagedSchema = PageArgs


class InterestSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    need_id = fields.String()
    institution_id = fields.String()
    enterprise_id = fields.String()
    response = fields.String(metadata={"description": "interested or declined"})
    note = fields.String()
    reason = fields.String(metadata={"description": "why declined: " + ", ".join(DECLINE_REASONS)})
    reason_text = fields.String()
    responded_at = fields.String(metadata={"description": "the latest answer"})
    responded_by = fields.String()
    in_time = fields.Boolean(metadata={"description": "the first answer came before the need's response deadline"})
    deadline = fields.String()
    need_title = fields.String()
    need_published_at = fields.String()
    need_month = fields.String()
    industry = fields.String()
    instrument = fields.String()
    amount = fields.Integer()
    enterprise_name = fields.String()
    institution_name = fields.String()
    institution_type = fields.String()
    created_at = fields.String(metadata={"description": "the first answer"})
    updated_at = fields.String()


class InterestCreateSchema(StrictSchema):
    need_id = fields.String(required=True, validate=ID)
    response = Code(RESPONSES, required=True)
    note = Text(2000)
    reason = Code(DECLINE_REASONS, metadata={"description": "required when declining"})
    reason_text = Text(2000)
    institution_id = fields.String(validate=ID, metadata={"description": "staff answering for an institution; institutions answer for their own"})


class InterestSearchSchema(PagedSchema):
    need_id = fields.List(fields.String(validate=ID))
    institution_id = fields.List(fields.String(validate=ID))
    enterprise_id = fields.List(fields.String(validate=ID))
    response = fields.List(Code(RESPONSES))


class IntroductionSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    need_id = fields.String()
    enterprise_id = fields.String()
    institution_id = fields.String()
    status = fields.String(metadata={"description": "requested, arranged or declined"})
    note = fields.String()
    requested_by = fields.String()
    staff_note = fields.String()
    handled_by = fields.String()
    handled_at = fields.String()
    meeting_id = fields.String()
    need_title = fields.String()
    enterprise_name = fields.String()
    institution_name = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class IntroductionCreateSchema(StrictSchema):
    need_id = fields.String(required=True, validate=ID)
    institution_id = fields.String(required=True, validate=ID)
    note = Text(2000)


class IntroductionUpdateSchema(StrictSchema):
    status = Code(("arranged", "declined"), required=True)
    staff_note = Text(2000)


class IntroductionSearchSchema(PagedSchema):
    need_id = fields.List(fields.String(validate=ID))
    institution_id = fields.List(fields.String(validate=ID))
    status = fields.List(Code(INTRODUCTION_STATUSES))


class OwnerSchema(ma.Schema):
    need_id = fields.String()
    owner_id = fields.String(metadata={"description": "the staff account that owns the need"})
    owner_name = fields.String()
    assigned_at = fields.String()
    assigned_by = fields.String()


class OwnerAssignSchema(StrictSchema):
    owner_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WaitingItemSchema(ma.Schema):
    need = fields.Nested(NeedSchema)
    deadline = fields.String(metadata={"description": "when an answer was due"})
    owner = fields.Nested(OwnerSchema, allow_none=True, metadata={"description": "the staff member who owns it, or null"})


class WaitingSearchSchema(PagedSchema):
    industry = fields.List(Code(INDUSTRIES))
    instrument = fields.List(Code(INSTRUMENTS))


class ResponsivenessSchema(ma.Schema):
    institution_id = fields.String()
    institution_name = fields.String()
    answers = fields.Integer(metadata={"description": "needs it answered (interest or decline)"})
    in_time = fields.Integer(metadata={"description": "first answers given by the response deadline"})
    late = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "in_time / answers; null without answers"})
    interested = fields.Integer()
    declined = fields.Integer()


class ResponsivenessListSchema(ma.Schema):
    items = fields.List(fields.Nested(ResponsivenessSchema))


class ClaimSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    need_id = fields.String()
    need_title = fields.String()
    enterprise_id = fields.String()
    institution_id = fields.String()
    institution_name = fields.String()
    status = fields.String(metadata={"description": "active | lapsed | released"})
    claimed_at = fields.String()
    claimed_by = fields.String()
    report_due = fields.String(metadata={"description": "progress is reported before this (UTC), or the claim lapses"})
    reports = fields.Integer(metadata={"description": "progress reports made (each is in the audit log)"})
    last_report_at = fields.String()
    last_report = fields.String()
    lapsed_at = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class ClaimCreateSchema(StrictSchema):
    institution_id = fields.String(validate=ID, metadata={"description": "staff claiming for an institution say which"})


class ClaimReportSchema(StrictSchema):
    progress = Text(2000, required=True)


class ClaimSearchSchema(PagedSchema):
    need_id = fields.List(fields.String(validate=ID))
    institution_id = fields.List(fields.String(validate=ID))
    status = fields.List(Code(("active", "lapsed", "released")))


class DealSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    institution_id = fields.String()
    need_id = fields.String()
    need_title = fields.String()
    enterprise_name = fields.String()
    amount = fields.Integer()
    stage = fields.String(metadata={"description": "screening | due_diligence | term_sheet | funded | passed"})
    notes = fields.String(metadata={"description": "private: only the institution's team (and staff) read them"})
    moved_at = fields.String()
    moved_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class DealMoveSchema(StrictSchema):
    stage = Code(("screening", "due_diligence", "term_sheet", "funded", "passed"), required=True)
    notes = Text(4000)


class BoardSchema(ma.Schema):
    screening = fields.List(fields.Nested(DealSchema))
    due_diligence = fields.List(fields.Nested(DealSchema))
    term_sheet = fields.List(fields.Nested(DealSchema))
    funded = fields.List(fields.Nested(DealSchema))
    passed = fields.List(fields.Nested(DealSchema))


class StageCountsSchema(ma.Schema):
    screening = fields.Integer()
    due_diligence = fields.Integer()
    term_sheet = fields.Integer()
    funded = fields.Integer()
    passed = fields.Integer()
