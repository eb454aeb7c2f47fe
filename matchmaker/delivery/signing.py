"""The signatures outgoing messages carry.

- Our webhooks: like Stripe's ``Stripe-Signature``, the header
  ``Matchmaker-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``;
  the receiver recomputes it and refuses an old ``t`` (replays).
- DingTalk's custom robot ("加签"): ``timestamp`` (milliseconds) and ``sign`` =
  base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")) in the query string.
- Feishu's custom bot ("签名校验"): ``timestamp`` (seconds) and ``sign`` =
  base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg="")) in the JSON body.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

HEADER = "Matchmaker-Signature"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_webhook(secret: str, header: str, body: bytes, now: float, tolerance: float = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (and the tests do): the timestamp is recent and a v1 matches."""
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    stamps = [value for key, value in parts if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = webhook_signature(secret, int(stamps[0]), body).split("v1=", 1)[1]
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, value in parts)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def feishu_sign(secret: str, timestamp: int) -> str:
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(mac).decode()
