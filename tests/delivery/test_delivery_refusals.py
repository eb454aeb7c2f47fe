"""Refusals with the service's default settings: no internal address, no email without SMTP."""
from __future__ import annotations

import pytest

from tests.conftest import institution_doc


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/hook",
                                 "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x",
                                 "https://192.168.1.10/x", "ftp://example.com/x", "https://user:pw@example.com/x"])
def test_internal_addresses_are_refused_unless_allowed(app, client, actors, url):
    headers = actors.as_staff()
    r = client.put("/api/v1/channels", json={"wecom_url": url}, headers=headers)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["errors"]["json"]["wecom_url"]
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=headers).get_json()
    r = client.post("/api/v1/webhooks", json={"url": url}, headers=actors.as_institution(inst["id"]))
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["url"]


def test_no_email_without_smtp(app, client, actors):
    headers = actors.as_staff()
    r = client.put("/api/v1/channels", json={"email": "a@zone.example.cn", "email_on": True}, headers=headers)
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["email_on"] == ["email is not set up on this service"]
    assert client.get("/api/v1/channels", headers=headers).get_json()["email_available"] is False
