"""Signing up in a real browser against the real server (with a real SMTP server): the form
and its messages, the emailed link, staff approval, and the first sign-in."""
from __future__ import annotations

import re

import pytest
import requests

from tests.browser.conftest import PHONE, Browser
from tests.conftest import enterprise_doc
from tests.delivery.receivers import smtp_server
from tests.server import Server, cli

pytestmark = pytest.mark.browser
STAFF_PASSWORD = "staff password for sign-ups"
NEW_PASSWORD = "a new enterprise password"


@pytest.fixture
def signup_server(tmp_path):
    assert cli(tmp_path, "init").returncode == 0
    made = cli(tmp_path, "users", "create", "reviewer", "--role", "staff", "--password-stdin", input=STAFF_PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    with smtp_server() as box:
        env = {"MATCHMAKER_SMTP_HOST": "127.0.0.1", "MATCHMAKER_SMTP_PORT": str(box.port), "MATCHMAKER_SMTP_SECURITY": "none",
               "MATCHMAKER_SMTP_FROM": "mm@zone.example.cn", "MATCHMAKER_DELIVERY_SWEEP_SECONDS": "0.2"}
        with Server(tmp_path, env) as server:
            headers = server.token("reviewer", STAFF_PASSWORD)
            ent = requests.post(server.url + "/api/v1/enterprises", json=enterprise_doc(name="天津浏览器注册科技有限公司"),
                                headers=headers, timeout=30)
            assert ent.status_code == 201, ent.text
            server.enterprise = ent.json()
            yield server, box


def test_sign_up_confirm_and_approval_in_the_browser(chromium, signup_server):
    server, box = signup_server
    web = Browser(chromium, server, PHONE)
    try:
        web.goto("/sign-in")
        web.page.click("[data-testid=sign-up-link]")
        web.page.wait_for_load_state("load")
        assert "注册" in web.text("h1")
        web.page.select_option("#role", "enterprise")
        web.page.fill("#organisation", "天津浏览器注册科技有限公司")
        web.page.fill("#email", "cfo@browser.example.cn")
        web.page.fill("#username", "browserco")
        web.page.fill("#password", NEW_PASSWORD)
        web.page.fill("#confirm_password", "something else")
        web.submit("[data-testid=register-form] button[type=submit]")
        assert web.page.is_visible("#confirm_password-error")
        assert web.page.input_value("#organisation") == "天津浏览器注册科技有限公司"  # kept
        web.screenshot("sign-up-errors")
        web.page.fill("#password", NEW_PASSWORD)
        web.page.fill("#confirm_password", NEW_PASSWORD)
        web.submit("[data-testid=register-form] button[type=submit]")
        assert "cfo@browser.example.cn" in web.text("[data-testid=register-sent]")
        assert box.arrived.wait(timeout=60), "no confirmation email"
        link = re.search(r"https?://\S+/register/confirm\?token=\S+", box.messages[0][1].get_content()).group()
        web.goto(link[len(server.url):])
        web.submit("[data-testid=confirm-button]")
        assert "已确认" in web.text("[data-testid=confirm-done]")
    finally:
        web.close()

    staff = Browser(chromium, server)
    try:
        staff.sign_in("reviewer", STAFF_PASSWORD)
        staff.goto("/staff/registrations")
        card = "[data-testid=registration-browserco]"
        assert "天津浏览器注册科技有限公司" in staff.text(card)
        staff.submit(f"{card} [data-testid=approve]")  # no enterprise chosen
        assert staff.page.is_visible("#enterprise_id-error")
        staff.page.select_option(f"{card} #enterprise_id", server.enterprise["id"])
        staff.submit(f"{card} [data-testid=approve]")
        assert "注册已批准" in staff.text()
        staff.screenshot("sign-ups-reviewed")
    finally:
        staff.close()

    newcomer = Browser(chromium, server)
    try:
        newcomer.sign_in("browserco", NEW_PASSWORD)
        assert newcomer.page.url.endswith(f"/enterprises/{server.enterprise['id']}")
    finally:
        newcomer.close()
