"""From a notification to the deliveries that carry it out: one per channel chosen by each
user who reads that notification, and one per webhook endpoint of an institution it is
addressed to.  Only queued here (inside the request); the worker sends."""
from __future__ import annotations

from ..core.users import User
from ..search import Query, SearchBackend, Terms
from .queue import enqueue
from .service import CHANNEL_SETTINGS, ENDPOINTS

SUBJECT = "撮合平台通知 / Matchmaker notification"


def text_of(notification: dict) -> str:
    """Both languages, Chinese first: the user's robots and mailbox are read by a team."""
    lines = [notification.get("message_zh"), notification.get("message")]
    return "\n".join(line for line in lines if line)


def event_of(notification: dict) -> dict:
    """What an institution's own system receives (stable field names, documented in API.md)."""
    keep = ("id", "kind", "recipient", "subject_kind", "subject_id", "need_id", "meeting_id", "message", "message_zh", "created_at")
    return {"type": f"notification.{notification['kind']}", "created_at": notification.get("created_at"),
            "data": {k: notification[k] for k in keep if notification.get(k) is not None}}


def readers(backend: SearchBackend, recipient: str) -> list[tuple[User, dict]]:
    """(user, channel settings) of every active user who reads ``recipient``'s notifications
    and has chosen a channel."""
    from ..notifications.service import recipients_of

    settings = list(backend.scan(CHANNEL_SETTINGS, Query(filters=[Terms("active", [True])])))
    users = backend.get_many("users", [doc["id"] for doc in settings])
    found = []
    for doc in settings:
        user_doc = users.get(doc["id"])
        if user_doc is None or not user_doc.get("active", True):
            continue
        user = User(user_doc)
        if recipient in recipients_of(user):
            found.append((user, doc))
    return found


def queue_notification(backend: SearchBackend, notification: dict, config) -> int:
    """Queue what carries ``notification`` out; how many deliveries were queued."""
    recipient, kind, count = notification["recipient"], notification["kind"], 0
    message = {"subject": SUBJECT, "text": text_of(notification)}
    for user, channels in readers(backend, recipient):
        chosen = [name for name in ("wecom", "dingtalk", "feishu") if channels.get(f"{name}_url")]
        if channels.get("email_on") and channels.get("email") and config.get("SMTP_HOST"):
            chosen.insert(0, "email")
        for channel in chosen:
            if enqueue(backend, channel, kind=kind, payload=message, user_id=user.id, notification_id=notification["id"],
                       key=f"{notification['id']}-{user.id}-{channel}"):
                count += 1
    if recipient.startswith("institution:"):
        institution_id = recipient.split(":", 1)[1]
        endpoints = backend.scan(ENDPOINTS, Query(filters=[Terms("institution_id", [institution_id]), Terms("active", [True])]))
        for endpoint in endpoints:
            if enqueue(backend, "webhook", kind=kind, payload={"event": event_of(notification)}, endpoint_id=endpoint["id"],
                       institution_id=institution_id, notification_id=notification["id"],
                       key=f"{notification['id']}-{endpoint['id']}"):
                count += 1
    return count
