"""/api/v1/auth (tokens) and /api/v1/users (accounts, admins only)."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from ..core.arguments import Blueprint
from marshmallow import fields, validate

from ..core.access import require_admin, require_user
from ..core.api import actor, backend, if_match, observers, page_schema, with_etag
from ..core.schemas import StrictSchema
from ..errors import NotAuthenticated, SignInLockedOut
from .schemas import (ApproveSchema, ConfirmSchema, RefuseSchema, RegistrationCreateSchema, RegistrationListArgs,
                      RegistrationSchema)
from .schemas import PasswordChangeSchema, TokenRequestSchema, TokenSchema, UserCreateSchema, UserSchema, UserUpdateSchema
from . import registration, service
from .throttle import sign_up_guard, throttle

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="API tokens")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts and roles (admins)")


@auth_blp.route("/token")
class Token(MethodView):
    @auth_blp.arguments(TokenRequestSchema)
    @auth_blp.response(200, TokenSchema)
    def post(self, credentials):
        """Exchange a username and password for a bearer token.

        Failed attempts count against the account and the address (5 and 20 in 15
        minutes by default, shared with the sign-in page); past that, 429 with Retry-After."""
        limiter, address = throttle(), request.remote_addr
        wait = limiter.locked_for(credentials["username"], address)
        if wait:
            raise SignInLockedOut(retry_after=wait)
        user = service.authenticate(backend(), credentials["username"], credentials["password"])
        if user is None:
            limiter.failed(credentials["username"], address)
            raise NotAuthenticated("wrong username or password")
        limiter.succeeded(credentials["username"], address)
        return service.issue_token(backend(), user, current_app.config["TOKEN_TTL_HOURS"])

    @auth_blp.response(204)
    def delete(self):
        """Revoke the token this request is signed with."""
        user = require_user(actor())
        if user.token_id:
            service.revoke_token(backend(), user.token_id)


@auth_blp.route("/me")
class Me(MethodView):
    @auth_blp.response(200, UserSchema)
    def get(self):
        """The signed-in user."""
        return require_user(actor()).doc


@auth_blp.route("/password")
class Password(MethodView):
    @auth_blp.arguments(PasswordChangeSchema)
    @auth_blp.response(204)
    def post(self, data):
        """Change your password; every other session and token of yours ends."""
        user = require_user(actor())
        service.change_password(backend(), user, data["current_password"], data["new_password"], observers=observers())
        service.revoke_all_tokens(backend(), user.id)


class UserSearchSchema(StrictSchema):
    role = fields.List(fields.String(validate=validate.OneOf(("enterprise", "institution", "staff", "admin"))))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


@users_blp.route("")
class Users(MethodView):
    @users_blp.arguments(UserSearchSchema, location="query")
    @users_blp.response(200, page_schema(UserSchema, "UserPage"))
    def get(self, args):
        require_admin(actor(), "list accounts")
        return service.list_users(backend(), args)

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    def post(self, data):
        require_admin(actor(), "create accounts")
        return service.create_user(backend(), data, observers()), 201


@users_blp.route("/<user_id>")
class UserItem(MethodView):
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        require_admin(actor(), "read accounts")
        return with_etag(service.get_user(backend(), user_id))

    @users_blp.arguments(UserUpdateSchema(partial=True))
    @users_blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        require_admin(actor(), "change accounts")
        doc = service.update_user(backend(), user_id, changes, if_match(), observers=observers())
        if "password" in changes or changes.get("active") is False:
            service.revoke_all_tokens(backend(), user_id)
        return with_etag(doc)


registrations_blp = Blueprint("registrations", __name__, url_prefix="/api/v1/registrations",
                              description="Self-registration of enterprises and institutions, confirmed by email, approved by staff")


@registrations_blp.route("")
class Registrations(MethodView):
    @registrations_blp.arguments(RegistrationListArgs, location="query")
    @registrations_blp.response(200, page_schema(RegistrationSchema, "RegistrationPage"))
    def get(self, args):
        """Sign-ups, newest first (staff)"""
        return registration.list_registrations(backend(), require_user(actor()), args)

    @registrations_blp.arguments(RegistrationCreateSchema)
    @registrations_blp.response(201, RegistrationSchema)
    def post(self, data):
        """Sign up (no sign-in needed): a confirmation link is emailed; then staff review it"""
        sign_up_guard(request.remote_addr)
        base = current_app.config.get("PUBLIC_URL") or request.host_url
        return registration.register(backend(), data, current_app.config, base), 201


@registrations_blp.route("/confirm")
class Confirm(MethodView):
    @registrations_blp.arguments(ConfirmSchema)
    @registrations_blp.response(200, RegistrationSchema)
    def post(self, data):
        """Confirm the email address with the emailed token (no sign-in needed)"""
        return registration.confirm(backend(), data["token"], current_app.config)


@registrations_blp.route("/<registration_id>")
class RegistrationItem(MethodView):
    @registrations_blp.response(200, RegistrationSchema)
    def get(self, registration_id):
        """One sign-up (staff)"""
        return registration.public(registration.get_registration(backend(), require_user(actor()), registration_id))


@registrations_blp.route("/<registration_id>/approve")
class Approve(MethodView):
    @registrations_blp.arguments(ApproveSchema)
    @registrations_blp.response(200, RegistrationSchema)
    def post(self, data, registration_id):
        """Approve a confirmed sign-up: the account is created, bound to its enterprise or institution"""
        return registration.approve(backend(), require_user(actor()), registration_id, data, observers())


@registrations_blp.route("/<registration_id>/refuse")
class Refuse(MethodView):
    @registrations_blp.arguments(RefuseSchema)
    @registrations_blp.response(200, RegistrationSchema)
    def post(self, data, registration_id):
        """Refuse a confirmed sign-up, saying why (the applicant is emailed)"""
        return registration.refuse(backend(), require_user(actor()), registration_id, data)
