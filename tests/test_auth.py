"""Signing in, API tokens and passwords (/api/v1/auth, accounts.service, accounts.passwords).

Argon2id is slow on purpose (~0.15 s of CPU a hash at its default cost): the tests run
at the test cost (conftest sets ``MATCHMAKER_PASSWORD_HASH_COST=test``), users are stored
with conftest's once-per-run hash, and the default's strength has its own test.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from matchmaker.core.users import User
from matchmaker.accounts.passwords import hasher_for, needs_rehash, verify_password
from matchmaker.accounts.service import create_user, issue_token
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(actors):
    return actors.user("alice", "staff")


def sign_in(client, username, password):
    return client.post(TOKEN, json={"username": username, "password": password})


# -- signing in ----------------------------------------------------------------------------
def test_right_password_gives_a_working_token(client, backend, alice):
    r = sign_in(client, "alice", PASSWORD)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires > datetime.now(timezone.utc) + timedelta(days=1)

    r = client.get(ME, headers=bearer(body["token"]))
    assert r.status_code == 200
    assert (r.get_json()["username"], r.get_json()["role"]) == ("alice", "staff")
    assert "password_hash" not in r.get_json()

    # the token is stored only as its SHA-256: the database holds no usable token
    records = list(backend.scan("tokens"))
    assert [t["id"] for t in records] == [hashlib.sha256(body["token"].encode()).hexdigest()]
    assert body["token"] not in json.dumps(records)


def test_wrong_password_and_unknown_user_look_the_same(client, alice):
    wrong = sign_in(client, "alice", PASSWORD + "!")
    unknown = sign_in(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert "token" not in wrong.get_json()


def test_usernames_are_case_insensitive_passwords_are_not(client, alice):
    assert sign_in(client, "ALICE", PASSWORD).status_code == 200
    assert sign_in(client, "alice", PASSWORD.upper()).status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "alice"}, {"password": PASSWORD}, {"username": "alice", "password": ""},
     {"username": "alice", "password": PASSWORD, "remember": True}, {"username": 1, "password": 2}],
)
def test_malformed_sign_in_is_422(client, alice, body):
    r = client.post(TOKEN, json=body)
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]


def test_a_deactivated_user_cannot_sign_in(client, backend, alice):
    backend.replace("users", "alice", {**alice, "active": False})
    assert sign_in(client, "alice", PASSWORD).status_code == 401


# -- tokens ------------------------------------------------------------------------------------
def test_delete_revokes_only_that_token(client, actors, alice):
    first, second = actors.token(alice), actors.token(alice)
    assert client.get(ME, headers=bearer(first)).status_code == 200
    assert client.delete(TOKEN, headers=bearer(first)).status_code == 204
    assert client.get(ME, headers=bearer(first)).status_code == 401
    assert client.delete(TOKEN, headers=bearer(first)).status_code == 401
    assert client.get(ME, headers=bearer(second)).status_code == 200


def test_expired_token_is_refused(client, backend, actors, alice):
    expired = issue_token(backend, User(alice), ttl_hours=-1)["token"]
    assert client.get(ME, headers=bearer(expired)).status_code == 401

    token = actors.token(alice)
    assert client.get(ME, headers=bearer(token)).status_code == 200
    key = hashlib.sha256(token.encode()).hexdigest()
    record = backend.get("tokens", key)
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="seconds")
    backend.replace("tokens", key, {**record, "expires_at": past})
    assert client.get(ME, headers=bearer(token)).status_code == 401


def test_tokens_of_deactivated_or_deleted_users_stop_working(client, backend, actors, alice):
    token = actors.token(alice)
    backend.replace("users", "alice", {**backend.get("users", "alice"), "active": False})
    assert client.get(ME, headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/institutions", headers=bearer(token)).status_code == 401

    bob = actors.user("bob", "staff")
    token = actors.token(bob)
    backend.delete("users", "bob")
    assert client.get(ME, headers=bearer(token)).status_code == 401


def test_admin_deactivation_ends_the_users_tokens(client, backend, actors, alice):
    token = actors.token(alice)
    admin = actors.as_admin()
    r = client.patch("/api/v1/users/alice", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert client.get(ME, headers=bearer(token)).status_code == 401
    # reactivating does not bring the old token back
    assert client.patch("/api/v1/users/alice", json={"active": True}, headers=admin).status_code == 200
    assert client.get(ME, headers=bearer(token)).status_code == 401


# -- passwords -------------------------------------------------------------------------------
NEW_PASSWORD = "a brand new passphrase"


def test_password_change_revokes_other_tokens(client, backend, actors, alice):
    mine, other = actors.token(alice), actors.token(alice)
    r = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                    headers=bearer(mine))
    assert r.status_code == 204, r.get_json()
    assert client.get(ME, headers=bearer(other)).status_code == 401
    stored = backend.get("users", "alice")
    assert verify_password(stored["password_hash"], NEW_PASSWORD)
    assert not verify_password(stored["password_hash"], PASSWORD)
    assert stored["session_generation"] > alice["session_generation"]
    assert sign_in(client, "alice", PASSWORD).status_code == 401
    assert sign_in(client, "alice", NEW_PASSWORD).status_code == 200


def test_password_change_needs_the_current_password(client, backend, actors, alice):
    token = actors.token(alice)
    r = client.post("/api/v1/auth/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
                    headers=bearer(token))
    assert r.status_code == 422
    assert "current_password" in r.get_json()["errors"]["json"]
    assert backend.get("users", "alice")["password_hash"] == alice["password_hash"]
    assert client.get(ME, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "password",
    ["short", "123456789", "", " leading space is here", "trailing space here ", " " * 12, "x" * 257],
)
def test_password_rules(client, backend, actors, alice, password):
    token = actors.token(alice)
    r = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": password},
                    headers=bearer(token))
    assert r.status_code == 422
    assert "new_password" in r.get_json()["errors"]["json"]
    assert backend.get("users", "alice")["password_hash"] == alice["password_hash"]

    r = client.post("/api/v1/users", json={"username": "carol", "role": "staff", "password": password},
                    headers=actors.as_admin())
    assert r.status_code == 422
    assert "password" in r.get_json()["errors"]["json"]
    assert backend.get("users", "carol") is None


def test_admin_password_reset_revokes_tokens(client, backend, actors, alice):
    token = actors.token(alice)
    r = client.patch("/api/v1/users/alice", json={"password": NEW_PASSWORD}, headers=actors.as_admin())
    assert r.status_code == 200, r.get_json()
    assert "password" not in r.get_json() and "password_hash" not in r.get_json()
    assert client.get(ME, headers=bearer(token)).status_code == 401
    assert verify_password(backend.get("users", "alice")["password_hash"], NEW_PASSWORD)


def test_only_an_argon2id_hash_is_stored(client, backend, actors):
    r = client.post("/api/v1/users", json={"username": "dora", "role": "staff", "password": NEW_PASSWORD},
                    headers=actors.as_admin())
    assert r.status_code == 201, r.get_json()
    assert "password" not in r.get_json() and "password_hash" not in r.get_json()
    stored = backend.get("users", "dora")
    assert stored["password_hash"].startswith("$argon2id$")
    assert NEW_PASSWORD not in json.dumps(stored, ensure_ascii=False)
    assert "password" not in stored
    assert verify_password(stored["password_hash"], NEW_PASSWORD)
    assert not needs_rehash(stored["password_hash"])


def test_passwords_are_hashed_at_argon2_cffis_default_cost_unless_the_test_cost_is_asked_for():
    assert hasher_for(None).hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher_for("strong").hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher_for("test").hash(PASSWORD).startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_weak_hash_is_upgraded_at_sign_in(client, backend, actors):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8).hash(PASSWORD)
    assert needs_rehash(weak)
    doc = actors.user("erin", "staff")
    backend.replace("users", "erin", {**doc, "password_hash": weak})

    r = sign_in(client, "erin", PASSWORD)
    assert r.status_code == 200
    upgraded = backend.get("users", "erin")["password_hash"]
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$")
    assert not needs_rehash(upgraded)
    assert verify_password(upgraded, PASSWORD)
    # the new hash is not re-done at every sign-in
    assert sign_in(client, "erin", PASSWORD).status_code == 200
    assert backend.get("users", "erin")["password_hash"] == upgraded


def test_wrong_password_does_not_upgrade_a_weak_hash(client, backend, actors):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    doc = actors.user("fred", "staff")
    backend.replace("users", "fred", {**doc, "password_hash": weak})
    assert sign_in(client, "fred", "not the password").status_code == 401
    assert backend.get("users", "fred")["password_hash"] == weak


def test_create_user_service_refuses_duplicates_and_unbound_roles(backend):
    from matchmaker.errors import Conflict, ValidationError

    with pytest.raises(ValidationError) as exc:
        create_user(backend, {"username": "gina", "role": "enterprise", "password": NEW_PASSWORD})
    assert "enterprise_id" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        create_user(backend, {"username": "gina", "role": "enterprise", "enterprise_id": "nope",
                              "password": NEW_PASSWORD})
    assert "enterprise_id" in exc.value.fields
    create_user(backend, {"username": "gina", "role": "staff", "password": NEW_PASSWORD})
    with pytest.raises(Conflict):
        create_user(backend, {"username": "GINA", "role": "staff", "password": NEW_PASSWORD})
