from __future__ import annotations

from marshmallow import fields, validate, validates_schema
import marshmallow as ma

from ..core.schemas import DocumentSchema, StrictSchema
from ..core.users import ROLES
from .passwords import password_problems

USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$", error="3 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")


def _password_ok(value: str):
    problems = password_problems(value)
    if problems:
        raise ma.ValidationError(problems)


class UserSchema(DocumentSchema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    enterprise_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    institution_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = fields.Boolean(load_default=True)
    password = fields.String(load_only=True, validate=_password_ok)

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
            raise ma.ValidationError(f"a {role} user is not bound to an enterprise", "enterprise_id")
        if role != "institution" and data.get("institution_id"):
            raise ma.ValidationError(f"a {role} user is not bound to an institution", "institution_id")


class UserCreateSchema(UserSchema):
    password = fields.String(load_only=True, required=True, validate=_password_ok)


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
    new_password = fields.String(required=True, validate=_password_ok)
