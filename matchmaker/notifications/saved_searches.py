"""Institutions' saved searches over the open needs, and what is new since they last looked.

A saved search holds the parameters of a needs search (``q``, ``industry``, ``instrument``,
``stage``, ``min_amount``, ``max_amount``).  It belongs to an institution: each of its
users sees and runs it; running it changes nothing, and ``mark_seen`` (a POST) moves
``last_seen_at`` forward.

When a need becomes open, :meth:`SavedSearchService.notify_matches` finds the saved
searches it satisfies — the structured parameters as engine filters over the saved
searches themselves, then ``q`` confirmed by a text search for that one need — and sends
each owning institution a ``saved_search_match`` notification.
"""
from __future__ import annotations

from ..core.access import require_user
from ..core.users import User
from ..core.calendar import now_utc, utc_iso
from ..core.schemas import now_iso
from ..core.search_params import amount_range, terms_filters
from ..core.service import Change, Observer, Service, envelope
from ..errors import Forbidden, Label, NoSuchReference, ValidationError
from ..needs.service import shown_to
from ..search import AnyOf, Missing, Query, Range, SearchBackend, Sort, Terms
from .service import Notifications

SAVED = "saved_searches"
NEEDS = "needs"
PARAMS = ("q", "industry", "instrument", "stage", "min_amount", "max_amount")
NEED_FILTERS = {"industry": "industry", "instrument": "instrument", "stage": "stage"}
NEED_FACETS = ["industry", "instrument", "stage"]


class SavedSearchService(Service):
    index, label, noun, parties = SAVED, "saved_search", "saved search", ("institution_id",)

    # -- access -------------------------------------------------------------------------
    def get(self, user: User, saved_id: str) -> dict:
        """The saved search; another institution's is refused (403), not hidden."""
        saved = self.fetch(saved_id)
        if not self.can_read(require_user(user), saved):
            raise Forbidden("this saved search belongs to another institution")
        return saved

    # -- documents ----------------------------------------------------------------------
    def create(self, user: User, data: dict) -> dict:
        user = require_user(user)
        data = dict(data)
        if user.role == "institution":
            if data.get("institution_id", user.institution_id) != user.institution_id:
                raise Forbidden("you may save searches for your own institution only")
            data["institution_id"] = user.institution_id
        elif not user.is_staff:
            raise Forbidden("institutions save searches over the deal flow")
        if not data.get("institution_id"):
            raise ValidationError("name the institution the search is for", fields={"institution_id": ["required"]})
        if self.backend.get("institutions", data["institution_id"]) is None:
            raise NoSuchReference(kind=Label("object_kind", "institution"), id=data['institution_id'], fields={"institution_id": ["no such institution"]})
        stamp = now_iso()
        doc = {**_clean(data), "created_by": user.id, "last_seen_at": stamp, "created_at": stamp, "updated_at": stamp}
        saved = self.backend.create(SAVED, doc)
        self.emit("create", saved["id"], None, saved)
        return saved

    def update(self, user: User, saved_id: str, changes: dict) -> dict:
        current = self.get(user, saved_id)
        if "institution_id" in changes and changes["institution_id"] != current["institution_id"]:
            raise ValidationError("a saved search stays with its institution", fields={"institution_id": ["cannot be changed"]})
        merged = {**{k: v for k, v in current.items() if k in (*PARAMS, "name", "institution_id")}, **changes}
        doc = {**{k: v for k, v in current.items() if k not in (*PARAMS, "name")}, **_clean(merged), "updated_at": now_iso()}
        saved = self.backend.replace(SAVED, saved_id, doc)
        self.emit("update", saved_id, current, saved)
        return saved

    def delete(self, user: User, saved_id: str) -> None:
        current = self.get(user, saved_id)
        self.backend.delete(SAVED, saved_id)
        self.emit("delete", saved_id, current, None)

    def search(self, user: User, args: dict) -> dict:
        user = require_user(user)
        filters = []
        if user.role == "institution":
            filters.append(Terms("institution_id", [user.institution_id]))
        elif not user.is_staff:
            raise Forbidden("saved searches belong to institutions")
        if args.get("institution_id"):
            filters.append(Terms("institution_id", args["institution_id"]))
        query = Query(filters=filters, sort=[Sort("created_at", descending=True)], page=args["page"], per_page=args["per_page"])
        body = self.page(query, with_facets=False)
        body["items"] = [{**saved, "new": self.count_new(saved)} for saved in body["items"]]
        return body

    # -- running ------------------------------------------------------------------------
    @staticmethod
    def needs_query(saved: dict, page: int = 1, per_page: int = 20, since: str | None = None) -> Query:
        """The saved search as a query over the open needs (all words of ``q`` must occur)."""
        filters = [Terms("status", ["open"])]
        filters += terms_filters(saved, NEED_FILTERS)
        filters += amount_range("amount", saved.get("min_amount"), saved.get("max_amount"))
        if since:
            filters.append(Range("published_at", gte=utc_iso(since)))  # same second counts: never miss one
        sort = [] if saved.get("q") else [Sort("published_at", descending=True)]
        return Query(text=saved.get("q") or None, filters=filters, sort=sort, facets=NEED_FACETS, page=page, per_page=per_page)

    def count_new(self, saved: dict) -> int:
        return self.backend.count(NEEDS, self.needs_query(saved, since=saved.get("last_seen_at")))

    def results(self, user: User, saved_id: str, args: dict) -> dict:
        """A page of the open needs the search finds; ``new`` counts those published since
        the last look, ``only_new`` shows just them.  A read: the mark stays (see mark_seen)."""
        saved = self.get(user, saved_id)
        last_seen = saved.get("last_seen_at")
        query = self.needs_query(saved, args["page"], args["per_page"], since=last_seen if args.get("only_new") else None)
        body = envelope(self.backend.search(NEEDS, query), query)
        body["items"] = [shown_to(user, need) for need in body["items"]]
        body["new"] = self.count_new(saved)
        body["last_seen_at"] = last_seen
        return body

    def mark_seen(self, user: User, saved_id: str) -> dict:
        """The institution has looked: needs published until now are no longer new."""
        saved = self.get(user, saved_id)
        if user.role != "institution":
            raise Forbidden("only the institution's own users mark its saved searches seen")
        stored = self.backend.replace(SAVED, saved_id, {**saved, "last_seen_at": utc_iso(now_utc())},
                                      expected_version=saved["version"])
        return {**stored, "new": 0}

    # -- a need was published -----------------------------------------------------------
    def matching(self, need: dict) -> list[dict]:
        """The saved searches this open need satisfies."""

        def either(field: str, clause) -> AnyOf:
            return AnyOf((Missing(field), clause))

        filters = [
            either("industry", Terms("industry", [need.get("industry")])),
            either("instrument", Terms("instrument", [need.get("instrument")])),
            either("stage", Terms("stage", [need.get("stage")])),
            either("min_amount", Range("min_amount", lte=need["amount"])),
            either("max_amount", Range("max_amount", gte=need["amount"])),
        ]
        found = []
        for saved in self.backend.scan(SAVED, Query(filters=filters)):
            if saved.get("q"):
                probe = Query(text=saved["q"], filters=[Terms("id", [need["id"]])], per_page=0)
                if self.backend.search(NEEDS, probe).total == 0:
                    continue
            found.append(saved)
        return found

    def notify_matches(self, need: dict) -> int:
        notifications = Notifications(self.backend)
        matches = self.matching(need)
        for saved in matches:
            notifications.send(
                [f"institution:{saved['institution_id']}"], "saved_search_match",
                subject_kind="need", subject_id=need["id"], need_id=need["id"], saved_search_id=saved["id"],
                doc_id=f"match-{saved['id']}-{need['id']}",
                message=f"New need for your saved search \"{saved.get('name') or ''}\": {need['title']}",
                message_zh=f"您保存的搜索“{saved.get('name') or ''}”有新的融资需求：{need['title']}",
                data={"amount": need["amount"], "instrument": need["instrument"], "enterprise_name": need.get("enterprise_name")},
            )
        return len(matches)


def _clean(data: dict) -> dict:
    """The stored parameters: lists without repeats, empty values left out."""
    doc = {}
    for key in ("institution_id", "name", *PARAMS):
        value = data.get(key)
        if value in (None, "", []):
            continue
        doc[key] = list(dict.fromkeys(value)) if isinstance(value, list) else value
    if doc.get("min_amount") is not None and doc.get("max_amount") is not None and doc["min_amount"] > doc["max_amount"]:
        raise ValidationError("min_amount must not be above max_amount", fields={"min_amount": ["must not be above max_amount"]})
    return doc


def need_published_observer(backend: SearchBackend, user: User | None = None) -> Observer:
    """Watches need writes: a need that becomes open is matched against saved searches, and
    a need published anew may be late again (its deadline notice is cleared)."""
    from ..brokering import facts

    def observe(change: Change) -> None:
        if change.kind != "need" or change.after is None or change.after.get("status") != "open":
            return
        if change.before is not None and change.before.get("status") == "open":
            return
        if change.before is not None and (change.before.get("brokering") or {}).get("deadline_notified_at"):
            facts.mark(backend, change.doc_id, always={"deadline_notified_at": None})
        SavedSearchService(backend).notify_matches(change.after)

    return observe
