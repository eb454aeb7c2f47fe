"""Notifications out, end to end against real local servers: an SMTP server (aiosmtpd) and
HTTP receivers standing in for the group robots and an institution's own system."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from matchmaker import create_app
from matchmaker.delivery import queue
from matchmaker.delivery.signing import HEADER, dingtalk_sign, feishu_sign, verify_webhook
from matchmaker.delivery.worker import deliver_due
from matchmaker.errors import ConfigurationError
from matchmaker.notifications.service import Notifications
from matchmaker.storage import get_backend
from tests.conftest import institution_doc, running_app
from tests.delivery.receivers import http_receiver, smtp_server


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture
def outbound_app(tmp_path, mailbox, cluster_config):
    with running_app(tmp_path, **cluster_config, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_SECURITY="none",
                     SMTP_FROM="matchmaker@zone.example.cn", DELIVERY_ALLOW_PRIVATE_ADDRESSES=True,
                     DELIVERY_MAX_ATTEMPTS=3) as app:
        if cluster_config:
            get_backend(app).reset()  # one prefix for the run: each test starts empty
        yield app


@pytest.fixture
def client(outbound_app):
    return outbound_app.test_client()


@pytest.fixture
def actors(outbound_app, client, password_hash):
    from tests.conftest import Actors

    return Actors(outbound_app, client, password_hash)


def notify(app, recipient: str, message: str = "A meeting was proposed", message_zh: str = "有新的会面提议"):
    with app.test_request_context():
        return Notifications(get_backend(app)).send([recipient], "meeting_proposed", subject_kind="meeting", subject_id="m1",
                                                    message=message, message_zh=message_zh)[0]


def deliveries(app, **filters):
    backend = get_backend(app)
    return [d for d in backend.scan(queue.DELIVERIES) if all(d.get(k) == v for k, v in filters.items())]


def test_email_reaches_a_real_smtp_server_in_both_languages(outbound_app, client, actors, mailbox):
    headers = actors.headers("mail_user", "staff")
    r = client.put("/api/v1/channels", json={"email": "li.na@zone.example.cn", "email_on": True}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["email_available"] is True
    note = notify(outbound_app, "staff")
    assert mailbox.messages == []  # queued in the request, not sent
    [queued] = deliveries(outbound_app, notification_id=note["id"])
    assert (queued["channel"], queued["status"], queued["attempts"]) == ("email", "pending", 0)
    assert deliver_due(get_backend(outbound_app), outbound_app.config) == {"sent": 1, "retrying": 0, "failed": 0}
    [(to, message)] = mailbox.messages
    assert to == ["li.na@zone.example.cn"]
    assert message["From"] == "matchmaker@zone.example.cn"
    body = message.get_content()
    assert "有新的会面提议" in body and "A meeting was proposed" in body
    [sent] = deliveries(outbound_app, notification_id=note["id"])
    assert sent["status"] == "sent" and sent["attempts"] == 1
    r = client.get(f"/api/v1/deliveries/{sent['id']}", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "sent"


def test_a_failing_mail_server_is_retried_with_backoff(tmp_path, password_hash):
    from tests.server import free_port

    with running_app(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none",
                     SMTP_FROM="mm@zone.example.cn", DELIVERY_MAX_ATTEMPTS=2) as app:
        from tests.conftest import Actors

        actors = Actors(app, app.test_client(), password_hash)
        headers = actors.headers("nobody_home", "staff")
        assert app.test_client().put("/api/v1/channels", json={"email": "a@zone.example.cn", "email_on": True},
                                     headers=headers).status_code == 200
        notify(app, "staff")
        backend = get_backend(app)
        assert deliver_due(backend, app.config)["retrying"] == 1  # nothing listens on that port
        [d] = deliveries(app)
        assert d["status"] == "pending" and d["attempts"] == 1 and "SMTP" in d["last_error"]
        assert deliver_due(backend, app.config, now=queue.utcnow() + timedelta(days=1))["failed"] == 1
        [d] = deliveries(app)
        assert d["status"] == "failed" and d["attempts"] == 2


def test_signed_webhook_reaches_the_institutions_system_and_verifies(outbound_app, client, actors):
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=actors.as_staff()).get_json()
    headers = actors.as_institution(inst["id"])
    with http_receiver() as receiver:
        r = client.post("/api/v1/webhooks", json={"url": receiver.url + "/hooks/matchmaker", "description": "CRM"}, headers=headers)
        assert r.status_code == 201, r.get_json()
        endpoint = r.get_json()
        secret = endpoint["secret"]
        assert secret.startswith("whsec_")
        shown = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=headers).get_json()
        assert "secret" not in shown  # shown once
        assert all("secret" not in item for item in client.get("/api/v1/webhooks", headers=headers).get_json()["items"])
        note = notify(outbound_app, f"institution:{inst['id']}")
        assert deliver_due(get_backend(outbound_app), outbound_app.config)["sent"] == 1
        [request] = receiver.requests
    assert request["path"] == "/hooks/matchmaker"
    signature = request["headers"][HEADER]
    assert verify_webhook(secret, signature, request["body"], now=time.time())
    assert not verify_webhook(secret, signature, request["body"] + b" ", now=time.time())
    assert not verify_webhook("whsec_other", signature, request["body"], now=time.time())
    assert not verify_webhook(secret, signature, request["body"], now=time.time() + 3600)  # a replay an hour later
    event = json.loads(request["body"])
    assert event["type"] == "notification.meeting_proposed"
    assert event["data"]["id"] == note["id"] and event["data"]["message_zh"] == "有新的会面提议"
    # the institution sees its endpoint's deliveries; another institution does not
    other = client.post("/api/v1/institutions", json=institution_doc(name="另一家机构"), headers=actors.as_staff()).get_json()
    stranger = actors.as_institution(other["id"])
    [mine] = client.get("/api/v1/deliveries", headers=headers).get_json()["items"]
    assert client.get("/api/v1/deliveries", headers=stranger).get_json()["items"] == []
    assert client.get(f"/api/v1/deliveries/{mine['id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=stranger).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=stranger).status_code == 404


def test_a_receiver_failure_is_retried_then_sent(outbound_app, client, actors):
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=actors.as_staff()).get_json()
    headers = actors.as_institution(inst["id"])
    backend = get_backend(outbound_app)
    with http_receiver(answers=[(500, {}), (503, {})]) as receiver:
        endpoint = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=headers).get_json()
        notify(outbound_app, f"institution:{inst['id']}")
        now = queue.utcnow()
        assert deliver_due(backend, outbound_app.config, now=now)["retrying"] == 1
        [d] = deliveries(outbound_app, endpoint_id=endpoint["id"])
        assert (d["status"], d["attempts"], d["last_error"]) == ("pending", 1, "HTTP 500")
        assert d["next_attempt_at"] > queue.stamp(now)  # backoff: not due again at once
        assert deliver_due(backend, outbound_app.config, now=now)["retrying"] == 0
        later = now + timedelta(hours=1)
        assert deliver_due(backend, outbound_app.config, now=later)["retrying"] == 1
        assert deliver_due(backend, outbound_app.config, now=later + timedelta(hours=1))["sent"] == 1
        assert len(receiver.requests) == 3
        [d] = deliveries(outbound_app, endpoint_id=endpoint["id"])
        assert (d["status"], d["attempts"]) == ("sent", 3)
        # the same delivery id in every attempt: the receiver can drop duplicates
        assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1


def test_giving_up_after_the_last_attempt_and_staff_retry(outbound_app, client, actors):
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=actors.as_staff()).get_json()
    headers = actors.as_institution(inst["id"])
    backend = get_backend(outbound_app)
    with http_receiver(answers=[(500, {})] * 3) as receiver:
        client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=headers)
        notify(outbound_app, f"institution:{inst['id']}")
        moment = queue.utcnow()
        for _ in range(3):
            deliver_due(backend, outbound_app.config, now=moment)
            moment += timedelta(days=1)
        [d] = deliveries(outbound_app)
        assert (d["status"], d["attempts"]) == ("failed", 3)
        assert client.post(f"/api/v1/deliveries/{d['id']}/retry", headers=headers).status_code == 403
        staff = actors.as_staff()
        failed = client.get("/api/v1/deliveries?status=failed", headers=staff).get_json()
        assert failed["total"] == 1 and failed["facets"]["status"] == {"failed": 1}
        r = client.post(f"/api/v1/deliveries/{d['id']}/retry", headers=staff)
        assert r.status_code == 200 and r.get_json()["status"] == "pending"
        assert client.post(f"/api/v1/deliveries/{d['id']}/retry", headers=staff).status_code == 409
        assert deliver_due(backend, outbound_app.config, now=moment)["sent"] == 1


def test_backoff_doubles_with_jitter_up_to_the_cap():
    import random

    rng = random.Random(7)
    for attempts, ceiling in ((1, 30), (2, 60), (3, 120), (10, 3600)):
        waits = [queue.backoff(attempts, 30, 3600, rng) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 40  # jittered


@pytest.mark.parametrize("robot", ["wecom", "dingtalk", "feishu"])
def test_group_robots_get_their_official_text_format_and_signature(outbound_app, client, actors, robot):
    headers = actors.headers(f"robot_{robot}", "staff")
    with http_receiver() as receiver:
        settings = {f"{robot}_url": receiver.url + "/send?key=abc"}
        if robot != "wecom":
            settings[f"{robot}_secret"] = "SEC-test-secret"
        r = client.put("/api/v1/channels", json=settings, headers=headers)
        assert r.status_code == 200, r.get_json()
        shown = client.get("/api/v1/channels", headers=headers).get_json()
        assert "dingtalk_secret" not in shown and "feishu_secret" not in shown
        notify(outbound_app, "staff", message="Deadline passed", message_zh="答复期限已过")
        assert deliver_due(get_backend(outbound_app), outbound_app.config)["sent"] == 1
        [request] = receiver.requests
    body = json.loads(request["body"])
    query = parse_qs(urlsplit(request["path"]).query)
    assert query["key"] == ["abc"]
    if robot == "wecom":
        assert body == {"msgtype": "text", "text": {"content": "答复期限已过\nDeadline passed"}}
    elif robot == "dingtalk":
        assert body == {"msgtype": "text", "text": {"content": "答复期限已过\nDeadline passed"}}
        stamp = int(query["timestamp"][0])
        assert abs(stamp / 1000 - time.time()) < 60
        assert query["sign"] == [dingtalk_sign("SEC-test-secret", stamp)]
    else:
        assert body["msg_type"] == "text" and body["content"] == {"text": "答复期限已过\nDeadline passed"}
        assert body["sign"] == feishu_sign("SEC-test-secret", int(body["timestamp"]))


def test_dingtalk_signature_matches_the_documented_algorithm():
    # DingTalk's documented recipe: base64(HMAC-SHA256(secret, "timestamp\nsecret")), computed independently here
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode()
    assert dingtalk_sign("SECabc", 1700000000000) == expected
    expected = base64.b64encode(hmac.new(b"1700000000\nSECabc", b"", hashlib.sha256).digest()).decode()
    assert feishu_sign("SECabc", 1700000000) == expected


def test_a_robot_error_code_in_a_200_answer_is_a_failure(outbound_app, client, actors):
    headers = actors.headers("robot_err", "staff")
    with http_receiver(answers=[(200, {"errcode": 310000, "errmsg": "sign not match"})]) as receiver:
        client.put("/api/v1/channels", json={"dingtalk_url": receiver.url}, headers=headers)
        notify(outbound_app, "staff")
        assert deliver_due(get_backend(outbound_app), outbound_app.config)["retrying"] == 1
    [d] = deliveries(outbound_app)
    assert "310000" in d["last_error"] and "sign not match" in d["last_error"]


def test_every_resolved_address_is_checked(monkeypatch):
    """A name with one public and one loopback record is refused (DNS is the part that
    cannot run here: getaddrinfo is replaced for this one name)."""
    import socket

    from matchmaker.delivery.addresses import Refused, check_url

    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(Refused, match="internal address"):
        check_url("https://mixed.example/hook")


def test_an_address_that_turned_internal_is_refused_at_send_time(outbound_app, client, actors):
    """Allowed when saved (an intranet setting), then the setting is switched off: the
    worker refuses to send, for good, without contacting the host."""
    headers = actors.headers("turned", "staff")
    with http_receiver() as receiver:
        client.put("/api/v1/channels", json={"wecom_url": receiver.url}, headers=headers)
        notify(outbound_app, "staff")
        outbound_app.config["DELIVERY_ALLOW_PRIVATE_ADDRESSES"] = False
        assert deliver_due(get_backend(outbound_app), outbound_app.config)["failed"] == 1
        assert receiver.requests == []
    [d] = deliveries(outbound_app)
    assert d["status"] == "failed" and d["last_error"].startswith("refused:")


def test_roles_on_webhooks_channels_and_deliveries(outbound_app, client, actors):
    staff = actors.as_staff()
    inst = client.post("/api/v1/institutions", json=institution_doc(), headers=staff).get_json()
    ent = client.post("/api/v1/enterprises", json=__import__("tests.conftest", fromlist=["x"]).enterprise_doc(), headers=staff).get_json()
    enterprise = actors.as_enterprise(ent["id"])
    assert client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:1/x"}, headers=enterprise).status_code == 403
    assert client.get("/api/v1/webhooks", headers=enterprise).status_code == 403
    institution = actors.as_institution(inst["id"])
    other = client.post("/api/v1/institutions", json=institution_doc(name="别家"), headers=staff).get_json()
    r = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:1/x", "institution_id": other["id"]}, headers=institution)
    assert r.status_code == 403
    assert client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:1/x"}, headers=staff).status_code == 422
    assert client.get("/api/v1/channels").status_code == 401
    # one user's channels and deliveries are theirs alone
    a, b = actors.headers("chan_a", "staff"), actors.headers("chan_b", "enterprise", enterprise_id=ent["id"])
    client.put("/api/v1/channels", json={"email": "a@zone.example.cn", "email_on": True}, headers=a)
    assert client.get("/api/v1/channels", headers=b).get_json().get("email") is None
    notify(outbound_app, "staff")
    [d] = deliveries(outbound_app)
    assert client.get(f"/api/v1/deliveries/{d['id']}", headers=b).status_code == 404
    assert client.get("/api/v1/deliveries", headers=b).get_json()["total"] == 0
    assert client.get("/api/v1/deliveries", headers=a).get_json()["total"] == 1


def test_channel_settings_messages_per_field(outbound_app, client, actors):
    headers = actors.as_staff()
    r = client.put("/api/v1/channels", json={"email_on": True, "email": "not-an-address"}, headers=headers)
    assert r.status_code == 422 and "email" in r.get_json()["errors"]["json"]
    r = client.put("/api/v1/channels", json={"email_on": True}, headers=headers)
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["email"] == ["required to receive email"]
    r = client.put("/api/v1/channels", json={"telegram": "x"}, headers=headers)
    assert r.status_code == 422


@pytest.mark.parametrize("settings, named", [
    ({"SMTP_HOST": "mail.example.cn"}, "MATCHMAKER_SMTP_FROM"),
    ({"SMTP_HOST": "mail.example.cn", "SMTP_FROM": "mm@example.cn", "SMTP_SECURITY": "tls"}, "MATCHMAKER_SMTP_SECURITY"),
    ({"SMTP_PORT": "70000"}, "MATCHMAKER_SMTP_PORT"),
    ({"SMTP_PORT": "abc"}, "MATCHMAKER_SMTP_PORT"),
    ({"SMTP_USERNAME": "u"}, "MATCHMAKER_SMTP_PASSWORD"),
    ({"DELIVERY_MAX_ATTEMPTS": "0"}, "MATCHMAKER_DELIVERY_MAX_ATTEMPTS"),
])
def test_smtp_and_delivery_settings_are_checked_at_start_up(tmp_path, settings, named):
    with pytest.raises(ConfigurationError, match=named):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x", **settings})
