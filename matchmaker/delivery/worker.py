"""Sending what is due: ``deliver_due`` once (``matchmaker deliver``), or a daemon thread of
``serve`` that does it every ``DELIVERY_SWEEP_SECONDS``."""
from __future__ import annotations

import threading
from datetime import datetime

from flask import Flask

from ..search import SearchBackend
from . import queue
from .addresses import Refused
from .channels import Failed, send_email, send_robot, send_webhook
from .service import ENDPOINTS, channels_of


def send_one(backend: SearchBackend, delivery: dict, config) -> None:
    """Send one claimed delivery on its channel, reading the address as it is now (a user
    who turned a channel off since is not sent to)."""
    channel, payload = delivery["channel"], delivery.get("payload") or {}
    if channel == "webhook":
        endpoint = backend.get(ENDPOINTS, delivery.get("endpoint_id", ""))
        if endpoint is None or not endpoint.get("active", True):
            raise Refused("the webhook endpoint was removed")
        send_webhook(config, endpoint["url"], endpoint["secret"], {"id": delivery["id"], **payload["event"]})
        return
    channels = channels_of(backend, delivery["user_id"]) if delivery.get("user_id") else {}
    if channel == "email":
        to = delivery.get("address") or (channels.get("email") if channels.get("email_on") else None)
        if not to:
            raise Refused("the user no longer receives email")
        send_email(config, to, payload["subject"], payload["text"])
        return
    url = channels.get(f"{channel}_url")
    if not url:
        raise Refused(f"the user no longer uses the {channel} robot")
    send_robot(config, channel, url, payload["text"], channels.get(f"{channel}_secret"))


def deliver_due(backend: SearchBackend, config, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Try every due delivery once; counts of what became of them."""
    moment = now or queue.utcnow()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    limits = {"max_attempts": int(config["DELIVERY_MAX_ATTEMPTS"]), "base": float(config["DELIVERY_BACKOFF_SECONDS"]),
              "cap": float(config["DELIVERY_BACKOFF_MAX_SECONDS"])}
    for candidate in queue.due(backend, moment, limit):
        delivery = queue.claim(backend, candidate["id"], moment)
        if delivery is None:
            continue  # another worker took it
        try:
            send_one(backend, delivery, config)
        except Refused as exc:
            stored = queue.record(backend, delivery, moment, error=f"refused: {exc}", final=True, **limits)
        except Failed as exc:
            stored = queue.record(backend, delivery, moment, error=str(exc), **limits)
        else:
            stored = queue.record(backend, delivery, moment, **limits)
        counts[{"sent": "sent", "failed": "failed"}.get(stored["status"], "retrying")] += 1
    return counts


def start_delivery_worker(app: Flask, stop: threading.Event | None = None) -> threading.Thread | None:
    """A daemon thread that sends what is due every ``DELIVERY_SWEEP_SECONDS`` (0: none)."""
    from ..core.timer import start_timer
    from ..storage import get_backend

    return start_timer(app, float(app.config.get("DELIVERY_SWEEP_SECONDS") or 0), "delivery-worker",
                       lambda: deliver_due(get_backend(), app.config), stop)
