"""Each user's feed of what concerns them.

A notification is addressed to a *recipient*: ``enterprise:<id>`` or ``institution:<id>``
(every user bound to that party sees it), ``staff`` (every staff member and admin) or
``user:<id>``.  Whether it was read is kept per user (``read_by``), so one colleague
reading it does not hide it from another.

Kinds: ``saved_search_match`` (a newly open need fits an institution's saved search),
``interest`` (an institution answered my need), ``introduction_requested`` (to staff),
``meeting_proposed``, ``meeting_changed`` (time or place moved, an answer, confirmed,
cancelled, held, outcome), ``meeting_reminder`` (the day before) and ``deadline_passed``.
"""
from __future__ import annotations


from .. import clock
from ..core.service import Service
from ..core.users import User
from ..errors import Conflict, Forbidden
from ..search import Not, Query, SearchBackend, Sort, Terms
from ..search.base import new_id

FEED = "notifications"
KINDS = ("saved_search_match", "interest", "introduction_requested", "meeting_proposed", "meeting_changed", "deadline_passed",
         "grant_changed", "pool_changed", "meeting_reminder", "need_assigned", "need_escalated", "claim_changed",
         "registration_pending")
ATTEMPTS = 8


def queue_out(backend: SearchBackend, notification: dict) -> None:
    """Queue the email, robot and webhook deliveries of a new notification (sent later by
    the delivery worker, never inside the request)."""
    from flask import current_app, has_app_context

    from ..delivery.fanout import queue_notification

    queue_notification(backend, notification, current_app.config if has_app_context() else {})


def recipients_of(user: User) -> list[str]:
    """The addresses whose notifications this user reads."""
    keys = [f"user:{user.id}"]
    if user.is_staff:
        keys.append("staff")
    if user.role == "enterprise" and user.enterprise_id:
        keys.append(f"enterprise:{user.enterprise_id}")
    if user.role == "institution" and user.institution_id:
        keys.append(f"institution:{user.institution_id}")
    return keys


def for_reader(doc: dict, user: User) -> dict:
    """What a user sees of a notification: ``read`` for them, not who else read it."""
    shown = {k: v for k, v in doc.items() if k != "read_by"}
    shown["read"] = user.id in (doc.get("read_by") or [])
    return shown


class Notifications(Service):
    """Each user's feed; a notification is read by its recipients only (``fetch_own``)."""

    index, label = FEED, "notification"

    # -- sending ------------------------------------------------------------------------
    def send(self, recipients: list[str], kind: str, *, subject_kind: str, subject_id: str, message: str,
             message_zh: str, need_id: str | None = None, meeting_id: str | None = None,
             saved_search_id: str | None = None, data: dict | None = None, actor: User | None = None,
             doc_id: str | None = None) -> list[dict]:
        """One notification per recipient.  With ``doc_id`` (a key that says what it is about)
        sending the same thing twice leaves one copy."""
        stamp = clock.now().isoformat(timespec="microseconds")  # the service's day; keeps a request's notices in order
        sent = []
        for recipient in dict.fromkeys(recipients):
            doc = {
                "recipient": recipient, "kind": kind, "subject_kind": subject_kind, "subject_id": subject_id,
                "need_id": need_id, "meeting_id": meeting_id, "saved_search_id": saved_search_id,
                "message": message, "message_zh": message_zh, "data": data or {},
                "actor_id": actor.id if actor is not None else None, "read_by": [],
                "created_at": stamp, "updated_at": stamp,
            }
            doc = {k: v for k, v in doc.items() if v is not None}
            key = f"{doc_id}-{recipient.replace(':', '-')}" if doc_id else new_id()
            try:
                sent.append(self.backend.create(FEED, doc, doc_id=key))
            except Conflict:
                continue  # already told
            queue_out(self.backend, sent[-1])
        return sent

    # -- reading ------------------------------------------------------------------------
    def feed_query(self, user: User, args: dict) -> Query:
        filters = [Terms("recipient", recipients_of(user))]
        if args.get("unread"):
            filters.append(Not(Terms("read_by", [user.id])))
        if args.get("kind"):
            filters.append(Terms("kind", args["kind"]))
        return Query(filters=filters, sort=[Sort("created_at", descending=True)], facets=["kind"],
                     page=args.get("page", 1), per_page=args.get("per_page", 20))

    def feed(self, user: User, args: dict) -> dict:
        query = self.feed_query(user, args)
        result = self.backend.search(FEED, query)
        unread = self.backend.count(FEED, Query(filters=[Terms("recipient", recipients_of(user)), Not(Terms("read_by", [user.id]))]))
        return {"items": [for_reader(doc, user) for doc in result.items], "total": result.total,
                "page": query.page, "per_page": query.per_page, "facets": result.facets, "unread": unread}

    def fetch_own(self, user: User, notification_id: str) -> dict:
        doc = self.fetch(notification_id)
        if doc["recipient"] not in recipients_of(user):
            raise Forbidden("this notification is addressed to someone else")
        return doc

    def get(self, user: User, notification_id: str) -> dict:
        return for_reader(self.fetch_own(user, notification_id), user)

    # -- marking read -------------------------------------------------------------------
    def mark_read(self, user: User, notification_id: str) -> dict:
        for _ in range(ATTEMPTS):
            doc = self.fetch_own(user, notification_id)
            if user.id in (doc.get("read_by") or []):
                return for_reader(doc, user)
            try:
                doc = self.backend.replace(FEED, doc["id"], {**doc, "read_by": [*(doc.get("read_by") or []), user.id]},
                                           expected_version=doc["version"])
                return for_reader(doc, user)
            except Conflict:
                continue
        raise Conflict("the notification is being changed by others right now; try again")

    def mark_all_read(self, user: User) -> int:
        query = Query(filters=[Terms("recipient", recipients_of(user)), Not(Terms("read_by", [user.id]))])
        ids = [doc["id"] for doc in self.backend.scan(FEED, query)]
        for notification_id in ids:
            self.mark_read(user, notification_id)
        return len(ids)
