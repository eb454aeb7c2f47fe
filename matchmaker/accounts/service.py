"""Accounts: creating users, signing in, API tokens.  Plain functions over a backend."""
from __future__ import annotations

import hashlib
from functools import lru_cache
import secrets
from datetime import datetime, timedelta, timezone
from typing import Iterable

from ..core.schemas import now_iso, validate_with
from ..core.service import Change, Observer
from ..core.service import envelope
from ..errors import Conflict, NotFound, ValidationError
from ..search import Query, SearchBackend, Terms
from ..core.users import User
from .passwords import hash_password, needs_rehash, verify_password
from .schemas import UserCreateSchema, UserUpdateSchema

USERS, TOKENS = "users", "tokens"


def user_id_for(username: str) -> str:
    """Users are stored under their lower-cased name, which makes names unique."""
    return username.strip().lower()


def _check_binding(backend: SearchBackend, data: dict) -> None:
    for field, index in (("enterprise_id", "enterprises"), ("institution_id", "institutions")):
        if data.get(field) and backend.get(index, data[field]) is None:
            raise ValidationError(f"{index[:-1]} {data[field]} does not exist", fields={field: ["no such " + index[:-1]]})


def _tell(observers, action: str, user_id: str, before: dict | None, after: dict | None) -> None:
    """Observers (the audit log) see account writes as ``account`` changes."""
    for observer in observers:
        observer(Change("account", action, user_id, before, after))


def create_user(backend: SearchBackend, data: dict, observers: Iterable[Observer] = ()) -> dict:
    """Validate and store a new user; the password is kept only as an Argon2id hash."""
    data = validate_with(UserCreateSchema(), data)
    _check_binding(backend, data)
    password = data.pop("password")
    stamp = now_iso()
    doc = {
        **data,
        "display_name": data.get("display_name") or data["username"],
        "password_hash": hash_password(password),
        "session_generation": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }
    try:
        stored = backend.create(USERS, doc, doc_id=user_id_for(data["username"]))
    except Conflict:
        raise Conflict(f"user {data['username']} already exists", fields={"username": ["already taken"]}) from None
    _tell(observers, "create", stored["id"], None, stored)
    return stored


def get_user(backend: SearchBackend, user_id: str) -> dict:
    doc = backend.get(USERS, user_id)
    if doc is None:
        raise NotFound(f"user {user_id} not found")
    return doc


def update_user(backend: SearchBackend, user_id: str, changes: dict, expected_version: str | None = None,
                observers: Iterable[Observer] = ()) -> dict:
    current = get_user(backend, user_id)
    changes = dict(changes)
    expected_version = changes.pop("version", None) or expected_version
    if "username" in changes and user_id_for(changes["username"]) != user_id:
        raise ValidationError("a username cannot be changed", fields={"username": ["cannot be changed"]})
    merged = {k: v for k, v in current.items() if k in UserUpdateSchema().fields and k not in ("id", "version", "created_at", "updated_at")}
    merged.update(changes)
    data = validate_with(UserUpdateSchema(), merged)
    _check_binding(backend, data)
    doc = {**current, **data, "updated_at": now_iso()}
    if "password" in data:
        doc["password_hash"] = hash_password(doc.pop("password"))
        doc["session_generation"] = current.get("session_generation", 0) + 1
    for key in ("enterprise_id", "institution_id"):
        if not data.get(key):
            doc.pop(key, None)
    if not data.get("active", True) or data.get("role") != current.get("role"):
        doc["session_generation"] = current.get("session_generation", 0) + 1
    stored = backend.replace(USERS, user_id, doc, expected_version=expected_version)
    _tell(observers, "update", user_id, current, stored)
    return stored


def list_users(backend: SearchBackend, args: dict) -> dict:
    """A page of accounts (optionally of some roles), with counts per role: for admins."""
    filters = [Terms("role", args["role"])] if args.get("role") else []
    query = Query(filters=filters, page=args.get("page", 1), per_page=args.get("per_page", 20), facets=["role"])
    return envelope(backend.search(USERS, query), query)


def authenticate(backend: SearchBackend, username: str, password: str) -> User | None:
    """The user with this name and password, if active; upgrades an old hash on the way."""
    doc = backend.get(USERS, user_id_for(username or ""))
    if doc is None or not doc.get("active", True):
        # Spend the same time as a real check, so timing does not tell which names exist.
        verify_password(_dummy_hash(), password or "")
        return None
    if not verify_password(doc["password_hash"], password or ""):
        return None
    if needs_rehash(doc["password_hash"]):
        doc = backend.replace(USERS, doc["id"], {**doc, "password_hash": hash_password(password)})
    return User(doc)


def change_password(backend: SearchBackend, user: User, current_password: str, new_password: str,
                    observers: Iterable[Observer] = ()) -> dict:
    if not verify_password(user.doc["password_hash"], current_password):
        raise ValidationError("the current password is wrong", fields={"current_password": ["is wrong"]})
    return update_user(backend, user.id, {"password": new_password}, observers=observers)



@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist (made on first need)."""
    return hash_password("not-a-real-password-for-timing")


# -- API tokens ---------------------------------------------------------------------------
def _token_key(token: str) -> str:
    """Tokens are stored by their SHA-256 only: a leaked database reveals no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(backend: SearchBackend, user: User, ttl_hours: int, name: str = "api") -> dict:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=ttl_hours)
    stamp = now_iso()
    backend.create(
        TOKENS,
        {"user_id": user.id, "name": name, "expires_at": expires.isoformat(timespec="seconds"),
         "revoked": False, "created_at": stamp, "updated_at": stamp},
        doc_id=_token_key(token),
    )
    return {"token": token, "expires_at": expires.isoformat(timespec="seconds")}


def user_for_token(backend: SearchBackend, token: str) -> User | None:
    record = backend.get(TOKENS, _token_key(token))
    if record is None or record.get("revoked"):
        return None
    if datetime.fromisoformat(record["expires_at"]) <= datetime.now(timezone.utc):
        return None
    doc = backend.get(USERS, record["user_id"])
    if doc is None or not doc.get("active", True):
        return None
    return User(doc, token_id=record["id"])


def revoke_token(backend: SearchBackend, token_id: str) -> None:
    record = backend.get(TOKENS, token_id)
    if record is not None and not record.get("revoked"):
        backend.replace(TOKENS, token_id, {**record, "revoked": True, "updated_at": now_iso()})


def revoke_all_tokens(backend: SearchBackend, user_id: str) -> int:
    count = 0
    for record in backend.scan(TOKENS, Query(filters=[Terms("user_id", [user_id]), Terms("revoked", [False])])):
        backend.replace(TOKENS, record["id"], {**record, "revoked": True, "updated_at": now_iso()})
        count += 1
    return count
