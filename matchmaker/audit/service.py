"""Recording and reading audit entries.

Every document service takes observers (:class:`~matchmaker.core.service.Change`); an
audit observer is built for the user who acts (:meth:`AuditLog.observer`) and records
each write: the object's kind and id, the action, which fields changed and their values
before and after.  Secrets (password hashes) are never written; long texts are cut.
"""
from __future__ import annotations

from datetime import datetime, timezone

from ..core.access import require_staff
from ..core.users import User
from ..core.service import Change, Observer, Service
from ..search import Query, Range, SearchBackend, Sort, Terms

AUDIT = "audit"
#: Fields whose values never enter the log; a change to them is recorded by name only.
SECRET_FIELDS = frozenset({"password", "password_hash", "session_generation"})
#: Bookkeeping every write changes: not worth a line in the log.
IGNORED_FIELDS = frozenset({"id", "version", "updated_at", "deal"})  # deal: the scorer's copy of the figures, derived
MAX_TEXT = 300
FACETS = ["object_kind", "action"]


def _short(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def diff(before: dict | None, after: dict | None) -> dict[str, dict]:
    """``{field: {"from": old, "to": new}}`` for each top-level field that changed."""
    before, after = before or {}, after or {}
    changes = {}
    for name in sorted(set(before) | set(after)):
        if name in IGNORED_FIELDS or before.get(name) == after.get(name):
            continue
        if name in SECRET_FIELDS:
            changes[name] = {"changed": True}
            continue
        entry = {}
        if name in before:
            entry["from"] = _short(before[name])
        if name in after:
            entry["to"] = _short(after[name])
        changes[name] = entry
    return changes


def _stamp() -> str:
    """Microseconds: entries of one request keep their order."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class AuditLog(Service):
    """The log itself has no observers: its entries are the record of the other writes."""

    index, label, noun = AUDIT, "audit", "audit entry"

    # -- writing ------------------------------------------------------------------------
    def record(self, *, actor: User | None, action: str, kind: str, doc_id: str,
               before: dict | None = None, after: dict | None = None, via: str = "api") -> dict:
        changes = diff(before, after)
        at = _stamp()
        entry = {
            "at": at,
            "actor_id": actor.id if actor is not None else None,
            "actor_role": actor.role if actor is not None else None,
            "actor_name": actor.doc.get("display_name") or actor.username if actor is not None else None,
            "via": via,
            "action": action,
            "object_kind": kind,
            "object_id": doc_id,
            "fields": sorted(changes),
            "changes": changes,
            "created_at": at,
            "updated_at": at,
        }
        return self.backend.create(AUDIT, entry)

    def observer(self, actor: User | None, via: str = "api") -> Observer:
        """An observer recording each write made by ``actor``."""

        def observe(change: Change) -> None:
            if change.action == "update" and not diff(change.before, change.after):
                return  # a write that changed nothing
            self.record(actor=actor, action=change.action, kind=change.kind, doc_id=change.doc_id,
                        before=change.before, after=change.after, via=via)

        return observe

    # -- reading (staff and admin) ------------------------------------------------------
    def search(self, user: User, args: dict) -> dict:
        require_staff(user, "read the audit log")
        filters = []
        for param, field in (("object_kind", "object_kind"), ("object_id", "object_id"), ("actor", "actor_id"), ("action", "action")):
            if args.get(param):
                filters.append(Terms(field, args[param]))
        if args.get("since") or args.get("until"):
            filters.append(Range("at", gte=args.get("since"), lte=args.get("until")))
        query = Query(filters=filters, sort=[Sort("at", descending=True)], facets=FACETS,
                      page=args.get("page", 1), per_page=args.get("per_page", 50))
        return self.page(query)

    def get(self, user: User, entry_id: str) -> dict:
        require_staff(user, "read the audit log")
        return self.fetch(entry_id)


def audit_observer(backend: SearchBackend, actor: User | None, via: str = "api") -> Observer:
    return AuditLog(backend).observer(actor, via)
