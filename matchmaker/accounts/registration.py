"""Self-registration: an enterprise or institution signs up, confirms its email through a
signed link that expires (itsdangerous), then waits for zone staff, who approve it (binding
the account to its enterprise or institution record) or refuse it with a reason.

No account exists until staff approve, so nothing can be done with a registration but wait:
the password is kept as its Argon2id hash in the ``registrations`` record and moves to the
new account.  The emails go through the deliveries queue, never sent inside the request.
Sign-ups are limited per client address (``REGISTRATIONS_PER_ADDRESS_PER_HOUR``) in the
counters every worker shares, and an address locked out for failed sign-ins cannot sign up.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..core.schemas import now_iso, validate_with
from ..core.service import Observer, envelope
from ..errors import (AccountBindingMissing, AccountBindingWrong, Conflict, Forbidden, Label, NoSuchDocument,
                      RegistrationNotPending, SignUpsLimited, StaffOnly, ValidationError)
from ..search import Query, SearchBackend, Sort, Terms
from ..core.users import User
from .passwords import hash_password
from .schemas import ApproveSchema, RefuseSchema, RegistrationCreateSchema
from .service import USERS, create_user, user_id_for

REGISTRATIONS = "registrations"
SALT = "matchmaker-registration-confirm"
PUBLIC_FIELDS = ("id", "version", "username", "display_name", "email", "role", "organisation", "status", "confirmed_at",
                 "decided_by", "decided_at", "reason", "user_id", "enterprise_id", "institution_id", "created_at", "updated_at")

#: the emails, in both languages (Chinese first)
CONFIRM_TEXT = ("请打开以下链接确认您的邮箱,链接 {hours} 小时内有效:\n{link}\n确认后,园区工作人员会审核您的注册。\n\n"
                "Open this link to confirm your email address; it works for {hours} hours:\n{link}\n"
                "Once confirmed, zone staff will review your sign-up.")
APPROVED_TEXT = ("您在撮合平台的注册已获批准,现在可以用用户名 {username} 登录。\n\n"
                 "Your sign-up on the matchmaker was approved: sign in as {username}.")
REFUSED_TEXT = "您在撮合平台的注册未获批准。原因:{reason}\n\nYour sign-up on the matchmaker was refused. Reason: {reason}"
SUBJECTS = {"confirm": "请确认您的邮箱 / Confirm your email address", "approved": "注册已获批准 / Sign-up approved",
            "refused": "注册未获批准 / Sign-up refused"}


def public(doc: dict) -> dict:
    return {k: doc[k] for k in PUBLIC_FIELDS if doc.get(k) is not None}


def _serializer(config) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=SALT)


def confirm_token(config, registration: dict) -> str:
    """Signed with the service's secret key; carries the record and the address it was sent to."""
    return _serializer(config).dumps({"r": registration["id"], "e": registration["email"]})


def is_open(config) -> bool:
    """Sign-up needs the setting and working email (the confirmation is emailed)."""
    return bool(config.get("REGISTRATION_OPEN")) and bool(config.get("SMTP_HOST"))


def check_budget(counters, address: str | None, config) -> None:
    """Sign-ups per client address per hour, shared by every worker."""
    limit = int(config.get("REGISTRATIONS_PER_ADDRESS_PER_HOUR") or 0)
    if not address or limit <= 0:
        return
    key = f"register/address/{address}"
    count = counters.incr(key, 3600)
    if count > limit:
        retry_after = max(1, int(counters.count(key)[1] - counters.clock() + 0.999))
        raise SignUpsLimited(retry_after=retry_after)


def _email(backend: SearchBackend, registration: dict, what: str, text: str) -> None:
    from ..delivery.queue import enqueue

    enqueue(backend, "email", kind=f"registration_{what}", address=registration["email"], registration_id=registration["id"],
            payload={"subject": SUBJECTS[what], "text": text})


def _expired(doc: dict, config) -> bool:
    created = datetime.fromisoformat(doc["created_at"])
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) - created > timedelta(hours=float(config["REGISTRATION_CONFIRM_HOURS"]))


def register(backend: SearchBackend, data: dict, config, link_base: str) -> dict:
    """Record a sign-up and queue its confirmation email; the record as the applicant sees it."""
    if not is_open(config):
        raise Forbidden("self-registration is not open on this service; ask the zone's staff for an account")
    data = validate_with(RegistrationCreateSchema(), data)
    key = user_id_for(data["username"])
    taken = Conflict(f"user {data['username']} already exists", fields={"username": ["already taken"]})
    if backend.get(USERS, key) is not None:
        raise taken
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")  # real time: the link's age is real
    doc = {**{k: v for k, v in data.items() if k != "password"}, "display_name": data.get("display_name") or data["organisation"],
           "password_hash": hash_password(data["password"]), "status": "unconfirmed", "created_at": stamp, "updated_at": stamp}
    earlier = backend.get(REGISTRATIONS, key)
    if earlier is not None:
        if earlier["status"] != "unconfirmed" or not _expired(earlier, config):
            raise taken
        stored = backend.replace(REGISTRATIONS, key, doc, expected_version=earlier["version"])  # a lapsed sign-up
    else:
        try:
            stored = backend.create(REGISTRATIONS, doc, doc_id=key)
        except Conflict:
            raise taken from None
    hours = f"{float(config['REGISTRATION_CONFIRM_HOURS']):g}"
    link = f"{link_base.rstrip('/')}/register/confirm?token={confirm_token(config, stored)}"
    _email(backend, stored, "confirm", CONFIRM_TEXT.format(hours=hours, link=link))
    return public(stored)


def confirm(backend: SearchBackend, token: str, config) -> dict:
    """The emailed link was opened: the sign-up now waits for staff (who are told)."""
    max_age = float(config["REGISTRATION_CONFIRM_HOURS"]) * 3600
    try:
        claims = _serializer(config).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError("the confirmation link has expired; sign up again", fields={"token": ["expired"]}) from None
    except BadSignature:
        raise ValidationError("the confirmation link is not valid", fields={"token": ["not valid"]}) from None
    doc = backend.get(REGISTRATIONS, str(claims.get("r", "")))
    if doc is None or doc.get("email") != claims.get("e"):
        raise ValidationError("the confirmation link is not valid", fields={"token": ["not valid"]})
    if doc["status"] != "unconfirmed":
        return public(doc)  # opened twice: nothing more to do

    def confirmed(current: dict):
        if current["status"] != "unconfirmed":
            return None
        return {**current, "status": "pending", "confirmed_at": now_iso(), "updated_at": now_iso()}

    stored = backend.update(REGISTRATIONS, doc["id"], confirmed)
    from ..notifications.service import Notifications

    role_zh = {"enterprise": "企业", "institution": "机构"}[stored["role"]]
    Notifications(backend).send(
        ["staff"], "registration_pending", subject_kind="registration", subject_id=stored["id"],
        message=f"{stored['organisation']} ({stored['role']}) signed up as {stored['username']} and awaits approval",
        message_zh=f"{stored['organisation']}({role_zh})以用户名 {stored['username']} 注册,等待审核",
        doc_id=f"registration-{stored['id']}")
    return public(stored)


def _require_staff(user: User) -> None:
    if user is None or not user.is_staff:
        raise StaffOnly(action="review sign-ups")


def list_registrations(backend: SearchBackend, user: User, args: dict) -> dict:
    _require_staff(user)
    filters = [Terms("status", args["status"])] if args.get("status") else []
    query = Query(filters=filters, sort=[Sort("created_at", descending=True)], facets=["status", "role"],
                  page=args.get("page", 1), per_page=args.get("per_page", 20))
    page = envelope(backend.search(REGISTRATIONS, query), query)
    page["items"] = [public(doc) for doc in page["items"]]
    return page


def get_registration(backend: SearchBackend, user: User, registration_id: str) -> dict:
    _require_staff(user)
    doc = backend.get(REGISTRATIONS, registration_id)
    if doc is None:
        raise NoSuchDocument(kind="registration", id=registration_id)
    return doc


def _pending(doc: dict) -> None:
    if doc["status"] != "pending":
        raise RegistrationNotPending(status=Label("registration_status", doc["status"]), fields={"status": [doc["status"]]})


def approve(backend: SearchBackend, user: User, registration_id: str, data: dict, observers: Iterable[Observer] = ()) -> dict:
    """Create the account, bound to the enterprise or institution record staff chose."""
    doc = get_registration(backend, user, registration_id)
    data = validate_with(ApproveSchema(), data)
    _pending(doc)
    binding = f"{doc['role']}_id"
    other = "institution_id" if binding == "enterprise_id" else "enterprise_id"
    if data.get(other):
        raise AccountBindingWrong(role=Label("role", doc["role"]), binding=binding, fields={other: ["not for this kind of account"]})
    if not data.get(binding):
        raise AccountBindingMissing(role=Label("role", doc["role"]), fields={binding: ["required"]})
    with backend.transaction():  # the account and the decision together, or neither
        account = create_user(backend, {"username": doc["username"], "display_name": doc["display_name"], "role": doc["role"],
                                        binding: data[binding]}, observers=observers, password_hash=doc["password_hash"])
        stamp = now_iso()
        stored = backend.replace(REGISTRATIONS, doc["id"], {**doc, "status": "approved", "user_id": account["id"],
                                                             binding: data[binding], "decided_by": user.id, "decided_at": stamp,
                                                             "updated_at": stamp}, expected_version=doc["version"])
    _email(backend, stored, "approved", APPROVED_TEXT.format(username=doc["username"]))
    return public(stored)


def refuse(backend: SearchBackend, user: User, registration_id: str, data: dict) -> dict:
    doc = get_registration(backend, user, registration_id)
    data = validate_with(RefuseSchema(), data)
    _pending(doc)
    stamp = now_iso()
    stored = backend.replace(REGISTRATIONS, doc["id"], {**doc, "status": "refused", "reason": data["reason"].strip(),
                                                         "decided_by": user.id, "decided_at": stamp, "updated_at": stamp},
                             expected_version=doc["version"])
    _email(backend, stored, "refused", REFUSED_TEXT.format(reason=stored["reason"]))
    return public(stored)
