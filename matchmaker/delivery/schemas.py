from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..core.schemas import DocumentSchema, PageArgs, StrictSchema
from .channels import CHANNELS
from .queue import STATUSES

URL = validate.Length(max=1000)
SECRET = validate.Length(max=200)


class ChannelSettingsSchema(StrictSchema):
    """What a user chooses: empty means that channel is off."""
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    email_on = fields.Boolean(load_default=False)
    wecom_url = fields.String(allow_none=True, validate=URL)
    dingtalk_url = fields.String(allow_none=True, validate=URL)
    dingtalk_secret = fields.String(allow_none=True, validate=SECRET, load_only=True)
    feishu_url = fields.String(allow_none=True, validate=URL)
    feishu_secret = fields.String(allow_none=True, validate=SECRET, load_only=True)


class ChannelSettingsOutSchema(ma.Schema):
    email = fields.String()
    email_on = fields.Boolean()
    wecom_url = fields.String()
    dingtalk_url = fields.String()
    dingtalk_signed = fields.Boolean(metadata={"description": "a signing secret is kept (never shown again)"})
    feishu_url = fields.String()
    feishu_signed = fields.Boolean()
    email_available = fields.Boolean(metadata={"description": "the zone has set up email (MATCHMAKER_SMTP_HOST)"})
    updated_at = fields.String()


class EndpointCreateSchema(StrictSchema):
    url = fields.String(required=True, validate=URL)
    description = fields.String(load_default="", validate=validate.Length(max=200))
    institution_id = fields.String(validate=validate.Length(max=64), metadata={"description": "staff only; an institution user's own otherwise"})


class EndpointSchema(DocumentSchema):
    institution_id = fields.String()
    url = fields.String()
    description = fields.String()
    active = fields.Boolean()
    created_by = fields.String()
    secret = fields.String(metadata={"description": "only in the answer that creates the endpoint"})


class EndpointListArgs(PageArgs):
    """A page of endpoints."""


class DeliveryListArgs(PageArgs):
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    channel = fields.List(fields.String(validate=validate.OneOf(CHANNELS)))


class DeliverySchema(DocumentSchema):
    channel = fields.String()
    status = fields.String()
    kind = fields.String()
    user_id = fields.String()
    endpoint_id = fields.String()
    institution_id = fields.String()
    notification_id = fields.String()
    registration_id = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.String()
    last_error = fields.String()
    sent_at = fields.String()
