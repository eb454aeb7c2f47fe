"""The sign-up, confirmation, staff review and channels pages, through the test client as a
browser uses them (forms with their CSRF token)."""
from __future__ import annotations

import re

import pytest

from matchmaker.delivery.worker import deliver_due
from matchmaker.storage import get_backend
from tests.conftest import PASSWORD, running_app
from tests.delivery.receivers import smtp_server
from tests.web.conftest import TOKEN, Pages, build_world

LINK = re.compile(r"https?://\S+/register/confirm\?token=(\S+)")


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture
def site(tmp_path, mailbox):
    with running_app(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_SECURITY="none",
                     SMTP_FROM="mm@zone.example.cn") as app:
        yield app, build_world(app)


def token_of(client, path):
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def test_sign_up_page_to_approval(site, mailbox):
    app, world = site
    visitor = app.test_client()
    page = visitor.get("/sign-in").get_data(as_text=True)
    assert 'href="/register"' in page
    form = {"role": "enterprise", "organisation": "天津注册科技有限公司", "email": "boss@reg.example.cn",
            "username": "regco", "password": PASSWORD, "confirm_password": PASSWORD}
    r = visitor.post("/register", data={**form, "password": "short", "confirm_password": "short"})
    assert r.status_code == 400  # no CSRF token: refused before anything
    csrf = token_of(visitor, "/register")
    r = visitor.post("/register", data={**form, "email": "nope", "confirm_password": "other", "csrf_token": csrf})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert 'id="confirm_password-error"' in text and 'value="天津注册科技有限公司"' in text
    r = visitor.post("/register", data={**form, "csrf_token": csrf})
    assert r.status_code == 200 and "boss@reg.example.cn" in r.get_data(as_text=True)
    r = visitor.post("/register", data={**form, "email": "nope", "csrf_token": csrf})
    assert r.status_code == 422 and 'id="email-error"' in r.get_data(as_text=True)
    deliver_due(get_backend(app), app.config)
    token = LINK.search(mailbox.messages[-1][1].get_content()).group(1)
    r = visitor.get(f"/register/confirm?token={token}")
    assert r.status_code == 200 and 'data-testid="confirm-button"' in r.get_data(as_text=True)
    assert get_backend(app).get("registrations", "regco")["status"] == "unconfirmed"  # a GET changes nothing
    r = visitor.post("/register/confirm", data={"token": token, "csrf_token": token_of(visitor, "/register")})
    assert r.status_code == 200 and 'data-testid="confirm-done"' in r.get_data(as_text=True)
    r = visitor.post("/register/confirm", data={"token": "x" * 20, "csrf_token": token_of(visitor, "/register")})
    assert r.status_code == 422 and 'data-testid="confirm-error"' in r.get_data(as_text=True)

    # an enterprise user cannot reach the review page
    ent = Pages(app.test_client())
    ent.sign_in("ent_a_user")
    assert ent.get("/staff/registrations").status_code == 404
    assert ent.post("/staff/registrations/regco", {"decision": "refuse", "reason": "no"}).status_code == 404

    staff = Pages(app.test_client())
    staff.sign_in("staff_user")
    page = staff.get("/staff/registrations").get_data(as_text=True)
    assert 'data-testid="registration-regco"' in page and "天津注册科技有限公司" in page
    r = staff.post("/staff/registrations/regco", {"decision": "approve", "role": "enterprise"}, token_from="/staff/registrations")
    assert r.status_code == 422 and 'id="enterprise_id-error"' in r.get_data(as_text=True)
    r = staff.post("/staff/registrations/regco", {"decision": "approve", "role": "enterprise", "enterprise_id": world["ent_a"]["id"]},
                   token_from="/staff/registrations")
    assert r.status_code == 302
    assert get_backend(app).get("users", "regco")["enterprise_id"] == world["ent_a"]["id"]
    newcomer = Pages(app.test_client())
    assert newcomer.sign_in("regco").status_code == 302


def test_channels_page_saves_and_shows_field_messages(site):
    app, world = site
    pages = Pages(app.test_client())
    pages.sign_in("inst_a_user")
    page = pages.get("/account/notifications")
    assert page.status_code == 200 and 'data-testid="webhooks"' in page.get_data(as_text=True)
    r = pages.post("/account/notifications", {"wecom_url": "https://127.0.0.1/x", "email_on": "on"}, token_from="/account/notifications")
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert 'id="wecom_url-error"' in text and 'id="email-error"' in text
    r = pages.post("/account/notifications", {"email": "a@inst.example.cn", "email_on": "on"}, token_from="/account/notifications")
    assert r.status_code == 302
    assert get_backend(app).get("channel_settings", "inst_a_user")["email"] == "a@inst.example.cn"
    r = pages.post("/account/webhooks", {"url": "https://10.0.0.5/hook"}, token_from="/account/notifications")
    assert r.status_code == 422 and 'id="url-error"' in r.get_data(as_text=True)
    # without a CSRF token nothing is saved
    r = pages.client.post("/account/notifications", data={"email": "b@inst.example.cn"})
    assert r.status_code in (400, 403, 422)
    assert get_backend(app).get("channel_settings", "inst_a_user")["email"] == "a@inst.example.cn"
    # an enterprise user has no webhooks section
    ent = Pages(app.test_client())
    ent.sign_in("ent_a_user")
    assert 'data-testid="webhooks"' not in ent.get("/account/notifications").get_data(as_text=True)
    assert ent.post("/account/webhooks", {"url": "https://example.com/h"}, token_from="/account/notifications").status_code == 403


def test_sign_up_page_is_absent_when_closed(world_app):
    client = world_app.test_client()
    assert client.get("/register").status_code == 404
    assert 'href="/register"' not in client.get("/sign-in").get_data(as_text=True)


def test_staff_see_every_delivery_and_retry_a_given_up_one(site):
    from matchmaker.delivery import queue

    app, world = site
    backend = get_backend(app)
    doc = queue.enqueue(backend, "wecom", kind="meeting_proposed", payload={"text": "t"}, user_id="ent_a_user")
    backend.replace(queue.DELIVERIES, doc["id"], {**doc, "status": "failed", "attempts": 8})
    ent = Pages(app.test_client())
    ent.sign_in("ent_b_user")
    assert 'data-testid="retry"' not in ent.get("/account/notifications").get_data(as_text=True)
    assert ent.post(f"/account/deliveries/{doc['id']}/retry", token_from="/account/notifications").status_code == 404
    assert backend.get(queue.DELIVERIES, doc["id"])["status"] == "failed"
    staff = Pages(app.test_client())
    staff.sign_in("staff_user")
    page = staff.get("/account/notifications").get_data(as_text=True)
    assert 'data-testid="retry"' in page
    assert staff.post(f"/account/deliveries/{doc['id']}/retry", token_from="/account/notifications").status_code == 302
    assert backend.get(queue.DELIVERIES, doc["id"])["status"] == "pending"
