"""Sending one message on one channel.  Each sender returns normally when the other side
accepted the message and raises :class:`Failed` (worth retrying) or
:class:`~.addresses.Refused` (never worth retrying) otherwise."""
from __future__ import annotations

import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote_plus

import requests

from .addresses import Refused, check_url
from .signing import HEADER, dingtalk_sign, feishu_sign, webhook_signature

ROBOTS = ("wecom", "dingtalk", "feishu")
CHANNELS = ("email", *ROBOTS, "webhook")
USER_AGENT = "matchmaker-delivery/1"


class Failed(RuntimeError):
    """The other side did not take the message this time."""


def send_email(config, to: str, subject: str, body: str) -> None:
    """One plain-text message through the zone's SMTP server (``SMTP_*`` settings)."""
    host = config.get("SMTP_HOST")
    if not host:
        raise Refused("email is not set up (MATCHMAKER_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["SMTP_FROM"], to, subject
    message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    security, port, timeout = config.get("SMTP_SECURITY", "starttls"), int(config["SMTP_PORT"]), float(config["SMTP_TIMEOUT"])
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            refused = server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Refused(f"the mail server refused {to}: {exc.recipients.get(to, '')}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Failed(f"SMTP {host}:{port}: {exc}") from None
    if refused:
        raise Refused(f"the mail server refused {', '.join(refused)}")


def _post(url: str, config, *, body: bytes, headers: dict | None = None) -> requests.Response:
    check_url(url, bool(config.get("DELIVERY_ALLOW_PRIVATE_ADDRESSES")))
    try:
        response = requests.post(url, data=body, timeout=float(config["DELIVERY_TIMEOUT_SECONDS"]), allow_redirects=False,
                                 headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})})
    except requests.RequestException as exc:
        raise Failed(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        raise Failed(f"HTTP {response.status_code}")
    return response


def _dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def robot_payload(robot: str, text: str, secret: str | None = None, now: float | None = None) -> tuple[dict, dict]:
    """(JSON body, extra query parameters) in each robot's official text-message format."""
    now = time.time() if now is None else now
    if robot == "wecom":  # 企业微信群机器人: msgtype text
        return {"msgtype": "text", "text": {"content": text}}, {}
    if robot == "dingtalk":  # 钉钉自定义机器人: msgtype text; 加签 in the query string
        extra = {}
        if secret:
            stamp = int(now * 1000)
            extra = {"timestamp": str(stamp), "sign": dingtalk_sign(secret, stamp)}
        return {"msgtype": "text", "text": {"content": text}}, extra
    if robot == "feishu":  # 飞书自定义机器人: msg_type text; 签名 in the body
        body: dict = {"msg_type": "text", "content": {"text": text}}
        if secret:
            stamp = int(now)
            body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
        return body, {}
    raise ValueError(f"unknown robot {robot}")


def send_robot(config, robot: str, url: str, text: str, secret: str | None = None) -> None:
    body, extra = robot_payload(robot, text, secret)
    if extra:
        url += ("&" if "?" in url else "?") + "&".join(f"{k}={quote_plus(v)}" for k, v in extra.items())
    response = _post(url, config, body=_dumps(body))
    try:
        answer = response.json()
    except ValueError:
        raise Failed(f"the {robot} robot answered something that is not JSON") from None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
    if code not in (0, "0", None):
        raise Failed(f"the {robot} robot answered {code}: {answer.get('errmsg') or answer.get('msg') or ''}".rstrip(": "))


def send_webhook(config, url: str, secret: str, event: dict) -> None:
    """POST the event, signed (``Matchmaker-Signature``); any 2xx is taken as received."""
    body = _dumps(event)
    _post(url, config, body=body, headers={HEADER: webhook_signature(secret, int(time.time()), body)})
