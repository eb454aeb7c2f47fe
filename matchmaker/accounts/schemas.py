from __future__ import annotations

from marshmallow import fields, validate, validates_schema
import marshmallow as ma

from ..core.schemas import DocumentSchema, PageArgs, StrictSchema
from ..core.users import ROLES
from .passwords import PASSWORD_RULES
from ..errors import Label, NOT_BOUND_TO_ENTERPRISE, NOT_BOUND_TO_INSTITUTION

USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$", error="3 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")


class UserSchema(DocumentSchema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    enterprise_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    institution_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = fields.Boolean(load_default=True)
    password = fields.String(load_only=True, validate=PASSWORD_RULES)

    @validates_schema
    def binding_fits_role(self, data, **kwargs):
        role = data.get("role")
        if role is None:  # a partial change; the whole account is checked once merged
            return
        if role == "enterprise" and not data.get("enterprise_id"):
            raise ma.ValidationError("an enterprise user must be bound to an enterprise", "enterprise_id")
        if role == "institution" and not data.get("institution_id"):
            raise ma.ValidationError("an institution user must be bound to an institution", "institution_id")
        if role != "enterprise" and data.get("enterprise_id"):
            raise ma.ValidationError(NOT_BOUND_TO_ENTERPRISE(role=Label("role", role)), "enterprise_id")
        if role != "institution" and data.get("institution_id"):
            raise ma.ValidationError(NOT_BOUND_TO_INSTITUTION(role=Label("role", role)), "institution_id")


class UserCreateSchema(UserSchema):
    password = fields.String(load_only=True, required=True, validate=PASSWORD_RULES)


class UserUpdateSchema(UserSchema):
    version = fields.String(load_only=True)


class TokenRequestSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenSchema(ma.Schema):
    token = fields.String()
    expires_at = fields.String()


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=PASSWORD_RULES)


# -- self-registration --------------------------------------------------------------------
SELF_ROLES = ("enterprise", "institution")


class RegistrationCreateSchema(StrictSchema):
    """What an enterprise or institution gives to sign up (staff approve it later)."""
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True, validate=PASSWORD_RULES)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(SELF_ROLES))
    organisation = fields.String(required=True, validate=validate.Length(min=2, max=200),
                                 metadata={"description": "the enterprise's or institution's registered name"})
    display_name = fields.String(validate=validate.Length(max=100))
    language = fields.String(load_default="zh", validate=validate.OneOf(("zh", "en")))


class RegistrationSchema(DocumentSchema):
    username = fields.String()
    display_name = fields.String()
    email = fields.String()
    role = fields.String()
    organisation = fields.String()
    status = fields.String(metadata={"description": "unconfirmed (email not confirmed), pending (awaiting staff), approved, refused"})
    confirmed_at = fields.String()
    decided_by = fields.String()
    decided_at = fields.String()
    reason = fields.String()
    user_id = fields.String()
    enterprise_id = fields.String()
    institution_id = fields.String()


class ConfirmSchema(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=1000))


class ApproveSchema(StrictSchema):
    enterprise_id = fields.String(validate=validate.Length(min=1, max=64))
    institution_id = fields.String(validate=validate.Length(min=1, max=64))


class RefuseSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class RegistrationListArgs(PageArgs):
    status = fields.List(fields.String(validate=validate.OneOf(("unconfirmed", "pending", "approved", "refused"))))
