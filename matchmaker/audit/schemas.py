from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..core.schemas import Moment, StrictSchema
from .service import FACETS


class AuditEntrySchema(ma.Schema):
    id = fields.String()
    at = fields.String(metadata={"description": "when, UTC with microseconds"})
    actor_id = fields.String(allow_none=True, metadata={"description": "user id; empty for the command line"})
    actor_role = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    via = fields.String(metadata={"description": "api or cli"})
    action = fields.String(metadata={"description": "create, update, delete, or a named step (confirm, held, outcome ...)"})
    object_kind = fields.String(metadata={"description": "need, meeting, institution, enterprise, account, interest ..."})
    object_id = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", metadata={"description": "the fields that changed"})
    changes = fields.Dict(metadata={"description": "{field: {from, to}}; secrets are named, never shown"})


class AuditSearchSchema(StrictSchema):
    object_kind = fields.List(fields.String(validate=validate.Length(max=40)))
    object_id = fields.List(fields.String(validate=validate.Length(max=200)))
    actor = fields.List(fields.String(validate=validate.Length(max=64)), metadata={"description": "user id"})
    action = fields.List(fields.String(validate=validate.Length(max=40)))
    since = Moment(default_timezone=None, metadata={"description": "ISO 8601 time with offset"})
    until = Moment(default_timezone=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


AUDIT_FACETS = FACETS
