"""Each user's channels, institutions' webhook endpoints, and who sees which deliveries.
Plain functions over a backend and the configuration; the API and the pages call them."""
from __future__ import annotations

from ..core.users import User
from ..core.schemas import now_iso, validate_with
from ..core.service import envelope
from ..errors import Forbidden, NoSuchDocument, NoSuchReference, ValidationError
from ..search import AnyOf, Query, SearchBackend, Sort, Terms
from .addresses import checked_url
from .queue import DELIVERIES
from .schemas import ChannelSettingsSchema, EndpointCreateSchema
from .signing import new_secret

CHANNEL_SETTINGS, ENDPOINTS = "channel_settings", "webhook_endpoints"
ROBOT_URLS = ("wecom_url", "dingtalk_url", "feishu_url")


def allow_private(config) -> bool:
    return bool(config.get("DELIVERY_ALLOW_PRIVATE_ADDRESSES"))


# -- each user's channels ----------------------------------------------------------------
def channels_of(backend: SearchBackend, user_id: str) -> dict:
    return backend.get(CHANNEL_SETTINGS, user_id) or {}


def shown_channels(doc: dict, config) -> dict:
    """What the owner sees of their settings: secrets only as "kept"."""
    shown = {k: doc.get(k) for k in ("email", "email_on", *ROBOT_URLS, "updated_at") if doc.get(k) is not None}
    shown.setdefault("email_on", False)
    shown["dingtalk_signed"] = bool(doc.get("dingtalk_secret"))
    shown["feishu_signed"] = bool(doc.get("feishu_secret"))
    shown["email_available"] = bool(config.get("SMTP_HOST"))
    return shown


def save_channels(backend: SearchBackend, user: User, data: dict, config) -> dict:
    """Replace the user's channel choices (an empty value turns a channel off; a secret
    left out is kept).  Every robot address is checked like any outgoing address."""
    data = validate_with(ChannelSettingsSchema(), data)
    problems: dict = {}
    for field in ROBOT_URLS:
        if data.get(field):
            try:
                data[field] = checked_url(field, data[field], allow_private(config))
            except ValidationError as exc:
                problems.update(exc.fields)
    if data.get("email_on") and not data.get("email"):
        problems["email"] = ["required to receive email"]
    if data.get("email_on") and not config.get("SMTP_HOST"):
        problems["email_on"] = ["email is not set up on this service"]
    if problems:
        raise ValidationError("some channels cannot be used", fields=problems)
    current = channels_of(backend, user.id)
    doc = {"user_id": user.id, "created_at": current.get("created_at") or now_iso(), "updated_at": now_iso()}
    for key in ("email", *ROBOT_URLS):
        if data.get(key):
            doc[key] = data[key]
    doc["email_on"] = bool(data.get("email_on"))
    for robot in ("dingtalk", "feishu"):
        secret = data.get(f"{robot}_secret")
        secret = current.get(f"{robot}_secret") if secret is None else secret.strip()
        if secret and doc.get(f"{robot}_url"):
            doc[f"{robot}_secret"] = secret
    doc["active"] = bool(doc["email_on"] or any(doc.get(key) for key in ROBOT_URLS))
    if current:
        stored = backend.replace(CHANNEL_SETTINGS, user.id, doc)
    else:
        stored = backend.create(CHANNEL_SETTINGS, doc, doc_id=user.id)
    return shown_channels(stored, config)


# -- institutions' own systems -----------------------------------------------------------
def _institution_of(user: User, asked: str | None) -> str:
    if user.is_staff:
        if not asked:
            raise ValidationError("say which institution", fields={"institution_id": ["required"]})
        return asked
    if user.role != "institution":
        raise Forbidden("webhooks belong to institutions")
    if asked and asked != user.institution_id:
        raise Forbidden("you may manage only your own institution's webhooks")
    return user.institution_id


def create_endpoint(backend: SearchBackend, user: User, data: dict, config) -> dict:
    """A new endpoint with its own signing secret, returned this once."""
    data = validate_with(EndpointCreateSchema(), data)
    institution_id = _institution_of(user, data.get("institution_id"))
    if backend.get("institutions", institution_id) is None:
        raise NoSuchReference(kind="institution", id=institution_id, fields={"institution_id": ["no such institution"]})
    url = checked_url("url", data["url"], allow_private(config))
    stamp = now_iso()
    doc = backend.create(ENDPOINTS, {"institution_id": institution_id, "url": url, "description": data.get("description", ""),
                                     "secret": new_secret(), "active": True, "created_by": user.id,
                                     "created_at": stamp, "updated_at": stamp})
    return doc  # with the secret: the only time it is shown


def hide_secret(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "secret"}


def fetch_endpoint(backend: SearchBackend, user: User, endpoint_id: str) -> dict:
    """404 for an endpoint of another institution: its existence is not the caller's business."""
    doc = backend.get(ENDPOINTS, endpoint_id)
    if doc is None or not (user.is_staff or (user.role == "institution" and doc["institution_id"] == user.institution_id)):
        raise NoSuchDocument(kind="webhook endpoint", id=endpoint_id)
    return doc


def list_endpoints(backend: SearchBackend, user: User, args: dict) -> dict:
    if not user.is_staff and user.role != "institution":
        raise Forbidden("webhooks belong to institutions")
    filters = [] if user.is_staff else [Terms("institution_id", [user.institution_id])]
    query = Query(filters=filters, sort=[Sort("created_at", descending=True)], page=args.get("page", 1),
                  per_page=args.get("per_page", 20))
    page = envelope(backend.search(ENDPOINTS, query), query)
    page["items"] = [hide_secret(doc) for doc in page["items"]]
    return page


def delete_endpoint(backend: SearchBackend, user: User, endpoint_id: str) -> None:
    fetch_endpoint(backend, user, endpoint_id)
    backend.delete(ENDPOINTS, endpoint_id)


# -- what each role sees of the queue ----------------------------------------------------
def delivery_filters(user: User) -> list:
    if user.is_staff:
        return []
    mine = [Terms("user_id", [user.id])]
    if user.role == "institution" and user.institution_id:
        return [AnyOf((mine[0], Terms("institution_id", [user.institution_id])))]
    return mine


def list_deliveries(backend: SearchBackend, user: User, args: dict) -> dict:
    filters = delivery_filters(user)
    for field in ("status", "channel"):
        if args.get(field):
            filters.append(Terms(field, args[field]))
    query = Query(filters=filters, sort=[Sort("created_at", descending=True)], facets=["status", "channel"],
                  page=args.get("page", 1), per_page=args.get("per_page", 20))
    return envelope(backend.search(DELIVERIES, query), query)


def fetch_delivery(backend: SearchBackend, user: User, delivery_id: str) -> dict:
    doc = backend.get(DELIVERIES, delivery_id)
    visible = doc is not None and (user.is_staff or doc.get("user_id") == user.id or (
        user.role == "institution" and doc.get("institution_id") == user.institution_id and doc.get("endpoint_id")))
    if not visible:
        raise NoSuchDocument(kind="delivery", id=delivery_id)
    return doc
