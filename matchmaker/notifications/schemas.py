from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..brokering.schemas import PagedSchema
from ..core.api import page_schema
from ..core.schemas import Code, Money, QueryText, StrictSchema, Text
from ..vocabulary import INDUSTRIES, INSTRUMENTS, STAGES
from .service import KINDS

ID = validate.Length(min=1, max=200)


class NotificationSchema(ma.Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": " | ".join(KINDS)})
    recipient = fields.String(metadata={"description": "enterprise:<id>, institution:<id>, staff or user:<id>"})
    subject_kind = fields.String(metadata={"description": "need, interest, introduction or meeting"})
    subject_id = fields.String()
    need_id = fields.String()
    meeting_id = fields.String()
    saved_search_id = fields.String()
    message = fields.String()
    message_zh = fields.String()
    data = fields.Dict()
    actor_id = fields.String()
    read = fields.Boolean(metadata={"description": "read by you"})
    created_at = fields.String()


FeedSchema = page_schema(NotificationSchema, "Feed", extra={
    "unread": fields.Integer(metadata={"description": "your unread notifications, all pages"}),
})


class FeedArgsSchema(PagedSchema):
    unread = fields.Boolean(metadata={"description": "only those you have not read"})
    kind = fields.List(Code(KINDS))


class MarkedSchema(ma.Schema):
    marked = fields.Integer()


class SavedSearchSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    institution_id = fields.String()
    name = fields.String()
    q = fields.String()
    industry = fields.List(fields.String())
    instrument = fields.List(fields.String())
    stage = fields.List(fields.String())
    min_amount = fields.Integer()
    max_amount = fields.Integer()
    created_by = fields.String()
    last_seen_at = fields.String(metadata={"description": "when the institution last looked at its results"})
    new = fields.Integer(metadata={"description": "open needs it finds published since last_seen_at"})
    created_at = fields.String()
    updated_at = fields.String()


class SavedSearchCreateSchema(StrictSchema):
    name = Text(100, required=True)
    q = QueryText()
    industry = fields.List(Code(INDUSTRIES))
    instrument = fields.List(Code(INSTRUMENTS))
    stage = fields.List(Code(STAGES))
    min_amount = Money(allow_none=True)
    max_amount = Money(allow_none=True)
    institution_id = fields.String(validate=ID, metadata={"description": "staff saving a search for an institution"})

    @validates_schema
    def amounts_ordered(self, data, **kwargs):
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("must not be above max_amount", "min_amount")


class SavedSearchUpdateSchema(SavedSearchCreateSchema):
    name = Text(100)


class SavedSearchListArgs(PagedSchema):
    institution_id = fields.List(fields.String(validate=ID))


class ResultsArgsSchema(PagedSchema):
    only_new = fields.Boolean(load_default=False, metadata={"description": "only needs published since the last look"})
    mark_seen = fields.Boolean(load_default=False, metadata={
        "description": "ignored (kept for old clients): reading never moves the mark; POST /saved-searches/{id}/seen does"})
