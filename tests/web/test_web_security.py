"""CSRF on every form and on cookie-authenticated API calls; security headers on every
response; pages that load nothing from elsewhere and run no inline script."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, need_doc
from tests.web.conftest import signed_in


def test_every_form_without_a_token_is_refused(world_app):
    w = world_app.world
    mine = signed_in(world_app, "ent_a")
    need = w["needs"]["a_open"]
    forms = [
        ("/sign-out", {}),
        ("/language", {"lang": "en"}),
        ("/account/password", {"current_password": PASSWORD, "new_password": "x" * 12, "confirm_password": "x" * 12}),
        (f"/enterprises/{w['ent_a']['id']}/needs/new", {"title": "x", "amount": "10", "instrument": "equity"}),
        (f"/needs/{need['id']}/edit", {"title": "changed", "amount": "10", "instrument": "equity"}),
        (f"/needs/{need['id']}/status", {"status": "withdrawn", "version": need["version"]}),
        (f"/enterprises/{w['ent_a']['id']}/edit", {"name": "changed"}),
    ]
    for path, data in forms:
        for token in (None, "forged-token"):
            body = dict(data, **({"csrf_token": token} if token else {}))
            r = mine.client.post(path, data=body)
            assert r.status_code == 400, (path, token, r.status_code)
            assert 'class="error-code">400<' in r.get_data(as_text=True)
    assert w["backend"].get("needs", need["id"])["status"] == "open"
    assert mine.get("/account/password").status_code == 200  # still signed in


def test_sign_in_form_needs_its_token_too(world_app):
    client = world_app.test_client()
    r = client.post("/sign-in", data={"username": "staff_user", "password": PASSWORD})
    assert r.status_code == 400


def test_a_token_from_another_session_is_refused(world_app):
    mine, theirs = signed_in(world_app, "ent_a"), signed_in(world_app, "ent_a")
    stolen = theirs.token("/account/password")
    r = mine.client.post("/sign-out", data={"csrf_token": stolen})
    assert r.status_code == 400


def test_api_calls_with_the_session_cookie_need_the_csrf_header(world_app):
    mine = signed_in(world_app, "ent_a")
    body = need_doc(world_app.world["ent_a"]["id"], status="draft")
    r = mine.client.post("/api/v1/needs", json=body)
    assert r.status_code == 400 and r.is_json
    r = mine.client.post("/api/v1/needs", json=body, headers={"X-CSRFToken": mine.token("/account/password")})
    assert r.status_code == 201, r.get_json()
    assert mine.client.get("/api/v1/auth/me").status_code == 200  # reading needs no token
    # a bearer token sent along with the cookie vouches for the call; a forged one does not
    token = mine.client.post("/api/v1/auth/token", json={"username": "ent_a_user", "password": PASSWORD},
                             headers={"X-CSRFToken": mine.token("/account/password")}).get_json()["token"]
    assert mine.client.post("/api/v1/needs", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201
    assert mine.client.post("/api/v1/needs", json=body, headers={"Authorization": "Bearer forged"}).status_code == 400


def test_api_calls_with_a_bearer_token_need_no_csrf_token(world_app, actors):
    headers = actors.headers("apiuser", "enterprise", enterprise_id=world_app.world["ent_a"]["id"])
    r = world_app.test_client().post("/api/v1/needs", json=need_doc(world_app.world["ent_a"]["id"]), headers=headers)
    assert r.status_code == 201
    r = world_app.test_client().post("/api/v1/auth/token", json={"username": "staff_user", "password": PASSWORD})
    assert r.status_code == 200


@pytest.fixture
def actors(world_app, password_hash):
    from tests.conftest import Actors

    return Actors(world_app, world_app.test_client(), password_hash)


def assert_security_headers(response, where):
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy"), where


def test_security_headers_on_every_kind_of_response(shared_app):
    staff = signed_in(shared_app, "staff")
    anonymous = shared_app.test_client()
    responses = {
        "page": staff.get("/staff/pipeline"),
        "sign-in": anonymous.get("/sign-in"),
        "redirect": anonymous.get("/staff/"),
        "static": anonymous.get("/static/app.css"),
        "api": anonymous.get("/api/v1/openapi.json"),
        "api 401": anonymous.get("/api/v1/needs"),
        "404": anonymous.get("/no/such/page"),
        "403": signed_in(shared_app, "ent_a").get("/staff/"),
    }
    for where, response in responses.items():
        assert_security_headers(response, where)
        response.close()
    assert "Strict-Transport-Security" not in responses["page"].headers  # plain HTTP
    assert responses["page"].headers["Cache-Control"] == "no-store"


def test_unexpected_errors_get_the_friendly_page_with_headers(world_app, monkeypatch):
    from matchmaker.web import institutions

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(institutions, "render_template", broken)
    world_app.config["PROPAGATE_EXCEPTIONS"] = False
    r = signed_in(world_app, "ent_a").get("/institutions")
    assert r.status_code == 500
    assert 'class="error-code">500<' in r.get_data(as_text=True)
    assert "boom" not in r.get_data(as_text=True)
    assert_security_headers(r, "500")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
OUTSIDE = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I)


def test_pages_have_no_inline_script_no_inline_style_and_nothing_from_outside(shared_app):
    w = shared_app.world
    for who, paths in {
        "ent_a": ["/", f"/enterprises/{w['ent_a']['id']}", f"/enterprises/{w['ent_a']['id']}/edit",
                  f"/enterprises/{w['ent_a']['id']}/readiness", f"/needs/{w['needs']['a_open']['id']}/matches",
                  f"/needs/{w['needs']['a_open']['id']}", "/institutions"],
        "inst_a": [f"/institutions/{w['inst_a']['id']}/dealflow", f"/institutions/{w['inst_a']['id']}/edit"],
        "staff": ["/staff/", "/staff/pipeline", "/staff/reserve-pool", "/enterprises", "/needs"],
        "admin": ["/admin/users", "/admin/users/new"],
    }.items():
        client = signed_in(shared_app, who)
        for path in paths:
            r = client.get(path, follow_redirects=True)
            body = r.get_data(as_text=True)
            assert r.status_code == 200, (who, path)
            assert not INLINE_SCRIPT.search(body), (who, path)
            assert " style=" not in body and "<style" not in body, (who, path)
            assert not OUTSIDE.search(body), (who, path, OUTSIDE.search(body))


def test_a_view_that_sets_a_security_header_keeps_its_own_value(app):
    """The security headers fill in what an answer lacks (a download's sandboxing policy stays its own)."""
    from flask import Response

    from matchmaker.web.security import HEADERS

    def own_policy():
        response = Response("x")
        response.headers["content-security-policy"] = "default-src 'none'; sandbox"
        return response

    app.add_url_rule("/own-policy-test", "own_policy_test", own_policy)
    headers = app.test_client().get("/own-policy-test").headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    for name, value in HEADERS.items():
        if name != "Content-Security-Policy":
            assert headers.getlist(name) == [value]
