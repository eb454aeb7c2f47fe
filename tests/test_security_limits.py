"""Security headers on the API's answers, the request size limit, token lifetimes.

tests/web/test_web_security.py covers the pages, the API's openapi.json and a 401; this
file covers the other kinds of API answer (JSON 200/201/204, 4xx, 413, 503, files), HSTS on
the API over HTTPS, and a body over MAX_CONTENT_LENGTH answered 413 as JSON.
tests/test_auth.py covers expired tokens (issued expired, expiring later) and DELETE
/auth/token; here: the configured lifetime is the one a token gets, and a revoked token is
refused on writes as on reads.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from matchmaker.errors import SearchUnavailable
from tests.conftest import PASSWORD, institution_doc, need_doc

API = "/api/v1"


def assert_security_headers(response, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    script = next((d for d in csp.split(";") if d.strip().startswith(("script-src", "default-src"))), "")
    assert "'unsafe-inline'" not in script, f"{where}: inline scripts allowed"
    assert "frame-ancestors 'none'" in csp or h.get("X-Frame-Options") == "DENY", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy"), where


def test_security_headers_on_every_kind_of_api_answer(app, client, actors, world, monkeypatch):
    staff = world["staff"]
    ent_a = world["ent_a"]["id"]
    draft = world["needs"][ent_a]["draft"]["id"]
    responses = {
        "200 json": client.get(f"{API}/needs", headers=staff),
        "201 json": client.post(f"{API}/institutions", json=institution_doc(name="头部机构"), headers=staff),
        "204": client.delete(f"{API}/needs/{draft}", headers=staff),
        "403": client.get(f"{API}/users", headers=staff),
        "404": client.get(f"{API}/needs/no-such-need", headers=staff),
        "405": client.put(f"{API}/needs", headers=staff),
        "422": client.post(f"{API}/needs", json={"title": 1}, headers=staff),
        "413": client.post(f"{API}/needs", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                           content_type="application/json", headers=staff),
        "openapi.json": client.get(f"{API}/openapi.json"),
        "csv": client.get(f"{API}/exports/needs.csv", headers=staff),
        "unknown api path": client.get(f"{API}/no-such-thing", headers=staff),
    }
    from matchmaker.needs.service import NeedService

    def away(*args, **kwargs):
        raise SearchUnavailable("the search engine cannot be reached; try again shortly")

    monkeypatch.setattr(NeedService, "search", away)
    responses["503"] = client.get(f"{API}/needs", headers=staff)
    for where, response in responses.items():
        response.get_data()
        assert_security_headers(response, where)
        assert "Strict-Transport-Security" not in response.headers, f"{where}: HSTS over plain HTTP"
        response.close()
    assert responses["503"].status_code == 503 and responses["503"].headers["Retry-After"]
    for where in ("403", "404", "405", "422", "413", "503", "unknown api path"):
        assert responses[where].is_json, f"{where}: an API error is JSON"


def test_hsts_on_the_api_over_https(client, world):
    for response in (client.get(f"{API}/needs", headers=world["staff"], base_url="https://localhost"),
                     client.get(f"{API}/needs", base_url="https://localhost"),
                     client.get(f"{API}/openapi.json", base_url="https://localhost")):
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert_security_headers(response, "https")


# -- the size limit ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", [f"{API}/needs", f"{API}/institutions", f"{API}/auth/token", f"{API}/saved-searches"])
def test_a_body_over_the_limit_is_413_json(app, client, world, path):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 0 < limit <= 16 * 1024 * 1024
    body = b'{"title": "' + b"x" * limit + b'"}'
    for headers in (world["staff"], {}):
        r = client.post(path, data=body, content_type="application/json", headers=headers)
        # anonymous on a signed-in endpoint: refused (401) before the body is read
        expected = 413 if headers or path.endswith("/auth/token") else 401
        assert r.status_code == expected, (path, r.status_code, r.get_data(as_text=True)[:200])
        assert r.is_json and r.get_json()["code"] == expected, r.get_data(as_text=True)[:200]
        assert "<html" not in r.get_data(as_text=True).lower()


def test_a_body_over_the_limit_changes_nothing(app, client, world, backend):
    ent_a = world["ent_a"]["id"]
    before = backend.count("needs")
    doc = need_doc(ent_a, description="长" * app.config["MAX_CONTENT_LENGTH"])
    r = client.post(f"{API}/needs", json=doc, headers=world["staff"])
    assert r.status_code == 413 and r.is_json
    assert backend.count("needs") == before


def test_a_body_just_under_the_limit_is_read(app, client, world):
    """The limit refuses what is over it, not big but allowed bodies: the service answers
    (here 422, since the description is longer than a need's may be), not 413."""
    ent_a = world["ent_a"]["id"]
    doc = need_doc(ent_a, description="x" * (app.config["MAX_CONTENT_LENGTH"] // 2))
    r = client.post(f"{API}/needs", json=doc, headers=world["staff"])
    assert r.status_code in (201, 422), r.status_code
    assert r.is_json


def test_a_page_form_over_the_limit_is_413_not_500(app, client):
    r = client.post("/sign-in", data={"username": "x", "password": "y" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert r.status_code in (400, 413), r.status_code  # 400: the CSRF check may refuse it first
    assert r.status_code != 500


# -- tokens -----------------------------------------------------------------------------------
def test_a_token_lives_as_long_as_configured(app, client, actors):
    app.config["TOKEN_TTL_HOURS"] = 2
    actors.user("ttl-user", "staff")
    r = client.post(f"{API}/auth/token", json={"username": "ttl-user", "password": PASSWORD})
    assert r.status_code == 200
    expires = datetime.fromisoformat(r.get_json()["expires_at"])
    now = datetime.now(timezone.utc)
    assert now + timedelta(hours=2) - timedelta(minutes=1) <= expires <= now + timedelta(hours=2, seconds=5)


def test_a_revoked_token_is_refused_for_reads_and_writes(client, backend, actors, world):
    doc = actors.user("revoked-user", "staff")
    token = actors.token(doc)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/needs", headers=bearer).status_code == 200
    key = hashlib.sha256(token.encode()).hexdigest()
    backend.replace("tokens", key, {**backend.get("tokens", key), "revoked": True})
    before = backend.count("institutions")
    for method, path, body in (("GET", f"{API}/needs", None), ("GET", f"{API}/auth/me", None),
                               ("POST", f"{API}/institutions", institution_doc(name="不该存在")),
                               ("DELETE", f"{API}/auth/token", None)):
        r = client.open(path, method=method, json=body, headers=bearer)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.is_json and r.get_json()["code"] == 401
    assert backend.count("institutions") == before


def test_an_expired_token_is_refused_for_writes_too(client, backend, actors, world):
    from matchmaker.core.users import User
    from matchmaker.accounts.service import issue_token

    doc = actors.user("expired-user", "staff")
    token = issue_token(backend, User(doc), ttl_hours=-1)["token"]
    before = backend.count("institutions")
    r = client.post(f"{API}/institutions", json=institution_doc(name="不该存在"), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.is_json
    assert backend.count("institutions") == before
