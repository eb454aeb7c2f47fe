"""Self-registration over the API: sign up, the emailed link (a real SMTP server), staff
approval, and the limits that keep sign-up from being abused."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from matchmaker.delivery.worker import deliver_due
from matchmaker.storage import get_backend
from tests.conftest import PASSWORD, Actors, enterprise_doc, institution_doc, running_app
from tests.delivery.receivers import smtp_server

LINK = re.compile(r"(https?://\S+/register/confirm\?token=(\S+))")


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


@contextmanager
def open_app(tmp_path, mailbox, **config):
    with running_app(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_SECURITY="none",
                     SMTP_FROM="mm@zone.example.cn", **config) as app:
        yield app


@pytest.fixture
def reg_app(tmp_path, mailbox):
    with open_app(tmp_path, mailbox) as app:
        yield app


def sign_up(client, **overrides):
    body = {"username": "newco", "password": PASSWORD, "email": "cfo@newco.example.cn", "role": "enterprise",
            "organisation": "天津新公司科技有限公司", **overrides}
    return client.post("/api/v1/registrations", json=body)


def emailed(app, mailbox, to: str) -> str:
    deliver_due(get_backend(app), app.config)
    texts = [message.get_content() for rcpt, message in mailbox.messages if rcpt == [to]]
    assert texts, mailbox.messages
    return texts[-1]


def test_sign_up_confirm_approve_then_sign_in(reg_app, mailbox, password_hash):
    client = reg_app.test_client()
    actors = Actors(reg_app, client, password_hash)
    staff = actors.as_staff()
    ent = client.post("/api/v1/enterprises", json=enterprise_doc(), headers=staff).get_json()
    r = sign_up(client)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "unconfirmed" and "password" not in body and "password_hash" not in body
    assert mailbox.messages == []  # queued, not sent in the request
    # no account yet: the applicant cannot sign in
    assert client.post("/api/v1/auth/token", json={"username": "newco", "password": PASSWORD}).status_code == 401
    text = emailed(reg_app, mailbox, "cfo@newco.example.cn")
    assert "请打开以下链接" in text and "Open this link" in text
    link, token = LINK.search(text).groups()
    assert link.startswith("http://localhost/")
    r = client.post("/api/v1/registrations/confirm", json={"token": token})
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    assert client.post("/api/v1/registrations/confirm", json={"token": token}).get_json()["status"] == "pending"
    feed = client.get("/api/v1/notifications?kind=registration_pending", headers=staff).get_json()
    assert feed["total"] == 1 and "newco" in feed["items"][0]["message"]
    # still no account while staff have not decided
    assert client.post("/api/v1/auth/token", json={"username": "newco", "password": PASSWORD}).status_code == 401
    pending = client.get("/api/v1/registrations?status=pending", headers=staff).get_json()
    assert [item["username"] for item in pending["items"]] == ["newco"]
    reg_id = pending["items"][0]["id"]
    r = client.post(f"/api/v1/registrations/{reg_id}/approve", json={}, headers=staff)
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["enterprise_id"] == ["required"]
    r = client.post(f"/api/v1/registrations/{reg_id}/approve", json={"institution_id": "x"}, headers=staff)
    assert r.status_code == 422 and "institution_id" in r.get_json()["errors"]["json"]
    r = client.post(f"/api/v1/registrations/{reg_id}/approve", json={"enterprise_id": "nope"}, headers=staff)
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["enterprise_id"] == ["no such enterprise"]
    r = client.post(f"/api/v1/registrations/{reg_id}/approve", json={"enterprise_id": ent["id"]}, headers=staff)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "approved"
    assert client.post(f"/api/v1/registrations/{reg_id}/approve", json={"enterprise_id": ent["id"]}, headers=staff).status_code == 409
    token = client.post("/api/v1/auth/token", json={"username": "newco", "password": PASSWORD})
    assert token.status_code == 200
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token.get_json()['token']}"}).get_json()
    assert (me["role"], me["enterprise_id"]) == ("enterprise", ent["id"])
    assert "approved" in emailed(reg_app, mailbox, "cfo@newco.example.cn")


def test_only_staff_see_and_decide_sign_ups(reg_app, mailbox, password_hash):
    client = reg_app.test_client()
    actors = Actors(reg_app, client, password_hash)
    staff = actors.as_staff()
    ent = client.post("/api/v1/enterprises", json=enterprise_doc(), headers=staff).get_json()
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=staff).get_json()
    reg = sign_up(client, role="institution").get_json()
    for headers in (actors.as_enterprise(ent["id"]), actors.as_institution(inst["id"])):
        assert client.get("/api/v1/registrations", headers=headers).status_code == 403
        assert client.get(f"/api/v1/registrations/{reg['id']}", headers=headers).status_code == 403
        assert client.post(f"/api/v1/registrations/{reg['id']}/approve", json={"institution_id": inst["id"]},
                           headers=headers).status_code == 403
    assert client.get("/api/v1/registrations").status_code == 401
    # not confirmed yet: staff cannot approve
    r = client.post(f"/api/v1/registrations/{reg['id']}/approve", json={"institution_id": inst["id"]}, headers=staff)
    assert r.status_code == 409


def test_refusal_needs_a_reason_and_is_emailed(reg_app, mailbox, password_hash):
    client = reg_app.test_client()
    staff = Actors(reg_app, client, password_hash).as_staff()
    sign_up(client)
    token = LINK.search(emailed(reg_app, mailbox, "cfo@newco.example.cn")).group(2)
    reg = client.post("/api/v1/registrations/confirm", json={"token": token}).get_json()
    r = client.post(f"/api/v1/registrations/{reg['id']}/refuse", json={}, headers=staff)
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]["json"]
    r = client.post(f"/api/v1/registrations/{reg['id']}/refuse", json={"reason": "不在园区 not in the zone"}, headers=staff)
    assert r.status_code == 200 and r.get_json()["status"] == "refused"
    assert "不在园区" in emailed(reg_app, mailbox, "cfo@newco.example.cn")
    assert client.post("/api/v1/auth/token", json={"username": "newco", "password": PASSWORD}).status_code == 401
    assert sign_up(client).status_code == 409  # the name stays taken


def test_bad_links_and_taken_names(reg_app, mailbox, password_hash, monkeypatch):
    client = reg_app.test_client()
    Actors(reg_app, client, password_hash).user("takenname", "staff")
    r = sign_up(client, username="takenname")
    assert r.status_code == 409 and r.get_json()["errors"]["json"]["username"] == ["already taken"]
    r = sign_up(client, password="short", email="nope", role="staff")
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"password", "email", "role"}
    assert sign_up(client).status_code == 201
    assert sign_up(client).status_code == 409
    token = LINK.search(emailed(reg_app, mailbox, "cfo@newco.example.cn")).group(2)
    r = client.post("/api/v1/registrations/confirm", json={"token": token[:-3] + "abc"})
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["token"] == ["not valid"]
    import time as real_time

    later = real_time.time() + 49 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    r = client.post("/api/v1/registrations/confirm", json={"token": token})
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["token"] == ["expired"]


def test_sign_up_is_closed_without_email(app, client):
    r = sign_up(client)
    assert r.status_code == 403


def test_sign_ups_per_address_are_limited(tmp_path, mailbox):
    with open_app(tmp_path, mailbox, REGISTRATIONS_PER_ADDRESS_PER_HOUR=2) as app:
        client = app.test_client()
        assert sign_up(client, username="first").status_code == 201
        assert sign_up(client, username="second").status_code == 201
        r = sign_up(client, username="third")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_an_address_locked_out_of_sign_in_cannot_sign_up(tmp_path, mailbox):
    with open_app(tmp_path, mailbox, SIGNIN_MAX_FAILURES_PER_ADDRESS=2) as app:
        client = app.test_client()
        for name in ("a-guess", "b-guess"):
            client.post("/api/v1/auth/token", json={"username": name, "password": "wrong password"})
        r = sign_up(client)
        assert r.status_code == 429
