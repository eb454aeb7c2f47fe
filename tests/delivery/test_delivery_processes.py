"""The real processes: ``serve``'s delivery worker thread, and ``matchmaker deliver``."""
from __future__ import annotations

import requests
import pytest

from tests.conftest import PASSWORD
from tests.delivery.receivers import smtp_server
from tests.server import Server, cli

pytestmark = pytest.mark.slow

SIGN_UP = {"username": "procco", "password": PASSWORD, "email": "cfo@procco.example.cn", "role": "institution",
           "organisation": "天津进程担保有限公司"}


def smtp_env(box, **extra) -> dict:
    return {"MATCHMAKER_SMTP_HOST": "127.0.0.1", "MATCHMAKER_SMTP_PORT": str(box.port), "MATCHMAKER_SMTP_SECURITY": "none",
            "MATCHMAKER_SMTP_FROM": "mm@zone.example.cn", "MATCHMAKER_RATE_LIMIT_ENABLED": "false", **extra}


def test_serve_sends_the_queue_from_its_worker_thread(tmp_path):
    with smtp_server() as box:
        with Server(tmp_path, smtp_env(box, MATCHMAKER_DELIVERY_SWEEP_SECONDS="0.2")) as server:
            r = requests.post(server.url + "/api/v1/registrations", json=SIGN_UP, timeout=30)
            assert r.status_code == 201, r.text
            assert box.arrived.wait(timeout=60), "the worker thread sent nothing"
        [(to, message)] = box.messages
    assert to == ["cfo@procco.example.cn"]
    assert f"http://127.0.0.1:{server.port}/register/confirm?token=" in message.get_content()


def test_deliver_command_sends_what_is_due(tmp_path):
    with smtp_server() as box:
        env = smtp_env(box, MATCHMAKER_DELIVERY_SWEEP_SECONDS="0")
        with Server(tmp_path, env) as server:
            assert requests.post(server.url + "/api/v1/registrations", json=SIGN_UP, timeout=30).status_code == 201
            assert box.messages == []  # nothing sends on its own with the sweep off
            result = cli(tmp_path, "deliver", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "sent 1, to retry later 0, given up 0"
        assert [to for to, _ in box.messages] == [["cfo@procco.example.cn"]]
        again = cli(tmp_path, "deliver", env=env)
        assert again.stdout.strip() == "sent 0, to retry later 0, given up 0"


def test_a_bad_smtp_setting_stops_the_command_with_one_line(tmp_path):
    result = cli(tmp_path, "deliver", env={"MATCHMAKER_SMTP_HOST": "mail.example.cn", "MATCHMAKER_SMTP_FROM": "mm@example.cn",
                                           "MATCHMAKER_SMTP_SECURITY": "tls"})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "MATCHMAKER_SMTP_SECURITY" in result.stderr
