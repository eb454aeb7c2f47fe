"""What every service does the same way: fetch, tell observers, page; and for document
services, validate, stamp and store."""
from __future__ import annotations

from dataclasses import replace
from dataclasses import dataclass
from typing import Callable, ClassVar, Iterable

import marshmallow as ma

from ..errors import NoSuchDocument, NotFound, ValidationError
from ..search import Query, SearchBackend, SearchResult, Sort, Terms
from ..search.analysis import tokenize
from ..search.base import new_id
from .access import require_user
from .schemas import now_iso, validate_with
from .users import User

MANAGED_FIELDS = ("id", "version", "created_at", "updated_at")
#: the field naming a user's side of a document, by role (see ``Service.parties``)
PARTY_FIELDS = {"enterprise": "enterprise_id", "institution": "institution_id"}


@dataclass(frozen=True)
class Change:
    """One write through a document service, as its observers see it."""

    kind: str  # the service's ``label``: "need", "institution", ...
    action: str  # "create", "update", "delete" or a step of the feature ("confirm", "pay", ...)
    doc_id: str
    before: dict | None  # the stored copy before the write (None for a create)
    after: dict | None  # the stored copy after it (None for a delete)


#: Called after each write (the audit log, features that react to changes); an observer
#: that needs to know who acted is built for that user (see ``matchmaker.audit``).
Observer = Callable[[Change], None]


def compact(doc: dict) -> dict:
    """The document without its empty (None) fields, as stored."""
    return {k: v for k, v in doc.items() if v is not None}


def emit(observers: Iterable[Observer], kind: str, action: str, doc_id: str, before: dict | None,
         after: dict | None) -> None:
    """Tell ``observers`` of one write (code outside a :class:`Service` uses this)."""
    change = Change(kind, action, doc_id, before, after)
    for observer in observers:
        observer(change)


class Service:
    """The base of every feature's service: the backend, the observers of its writes, and
    the one index it reads by default.

    Subclasses name the ``index``, the ``label`` (the kind in the audit log), the ``noun``
    "not found" names (the label unless said), and the ``parties``: the fields naming who,
    besides staff, sees a document.
    """

    index: ClassVar[str] = ""
    label: ClassVar[str] = "document"
    noun: ClassVar[str | None] = None
    #: ``enterprise_id`` and/or ``institution_id``: that enterprise's or institution's users see it
    parties: ClassVar[tuple[str, ...]] = ()

    def __init__(self, backend: SearchBackend, observers: Iterable[Observer] = ()):
        self.backend = backend
        self.observers = list(observers)

    def fetch(self, doc_id: str) -> dict:
        """The stored document, or the 404 every caller gets for an id that is not there."""
        doc = self.backend.get(self.index, doc_id)
        if doc is None:
            raise self.not_found(doc_id)
        return doc

    def not_found(self, doc_id: str) -> NoSuchDocument:
        """The same answer for a document that does not exist and one the caller may not see."""
        return NoSuchDocument(kind=self.noun or self.label, id=doc_id)

    def can_read(self, user: User, doc: dict) -> bool:
        """Staff read every document; a party's users their own (see ``parties``)."""
        if user.is_staff:
            return True
        field = PARTY_FIELDS.get(user.role)
        return field in self.parties and getattr(user, field) == doc.get(field)

    def get(self, user: User | None, doc_id: str) -> dict:
        """The document if ``user`` may read it; otherwise the same 404 as for none (and
        401 before anything for a caller not signed in)."""
        user = require_user(user)
        doc = self.backend.get(self.index, doc_id)
        if doc is None or not self.can_read(user, doc):
            raise self.not_found(doc_id)
        return doc

    def visibility_filters(self, user: User) -> list:
        """Search filters for what ``user`` sees: staff everything, a party its own, others nothing."""
        if user.is_staff:
            return []
        field = PARTY_FIELDS.get(user.role)
        if field in self.parties:
            return [Terms(field, [getattr(user, field)])]
        return [Terms("id", [])]

    def emit(self, action: str, doc_id: str, before: dict | None, after: dict | None) -> None:
        """Tell the observers of a write to one of the service's documents."""
        emit(self.observers, self.label, action, doc_id, before, after)

    def page(self, query: Query, with_facets: bool = True) -> dict:
        """One page of the service's index in the list envelope of the API."""
        return envelope(self.backend.search(self.index, query), query, with_facets=with_facets)


class DocumentService(Service):
    """CRUD for one index, with validation through one schema.

    Subclasses name the ``index`` and ``schema``, add derived fields in ``derive`` and
    check access in their public methods; updates are validated as the whole merged
    document, so a rule across fields (``ticket_min <= ticket_max``) holds after a
    partial change too.
    """

    schema: ClassVar[type[ma.Schema]]
    #: Fields the server computes; they are refused in input and recomputed on every write.
    derived_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields the server keeps from a document's history (``published_at``): refused in
    #: input, carried across changes, set by ``stamp``, and taken from a file on import.
    kept_fields: ClassVar[tuple[str, ...]] = ()

    # -- hooks ----------------------------------------------------------------------------
    def derive(self, doc: dict) -> dict:
        """Fields computed from the document (tier, copies of related documents)."""
        return {}

    def check_references(self, doc: dict) -> None:
        """Raise ValidationError when the document points at something that does not exist."""

    def stamp(self, doc: dict, before: dict | None) -> dict:
        """Values of ``kept_fields`` this write sets; ``before`` is the stored copy (None when new)."""
        return {}

    # -- helpers --------------------------------------------------------------------------
    def editable(self, doc: dict) -> dict:
        """The part of a stored document a client may send back."""
        server_side = (*MANAGED_FIELDS, *self.derived_fields, *self.kept_fields)
        return {k: v for k, v in doc.items() if k not in server_side}

    @classmethod
    def schema_instance(cls) -> ma.Schema:
        """One schema object per service class: building one costs more than a load."""
        instance = cls.__dict__.get("_schema_instance")
        if instance is None:
            instance = cls.schema()
            setattr(cls, "_schema_instance", instance)
        return instance

    def validate(self, data: dict) -> dict:
        refused = sorted(set(data) & {*self.derived_fields, *self.kept_fields})
        if refused:
            raise ValidationError(
                "these fields are computed by the server", fields={f: ["is read-only"] for f in refused}
            )
        return validate_with(self.schema_instance(), data)

    def _complete(self, data: dict, created_at: str, now: str | None = None) -> dict:
        """The validated data with its time stamps and derived fields; ``now``: the time
        stamp already read (an import reads the clock once per document)."""
        self.check_references(data)
        doc = {**data, "created_at": created_at, "updated_at": now or now_iso()}
        doc.update(self.derive(doc))
        return doc

    # -- operations -----------------------------------------------------------------------
    def insert(self, data: dict, doc_id: str | None = None) -> dict:
        doc = self._complete(self.validate(data), now_iso())
        doc.update(self.stamp(doc, None))
        stored = self.backend.create(self.index, doc, doc_id=doc_id)
        self.emit("create", stored["id"], None, stored)
        return stored

    def modify(self, doc_id: str, changes: dict, expected_version: str | None = None) -> dict:
        """Apply a partial change; ``version`` in the changes wins over ``expected_version``.

        The merge runs inside the backend's read-modify-write (:meth:`SearchBackend.update`),
        so two changes of different fields made at the same moment both survive."""
        changes = dict(changes)
        expected_version = changes.pop("version", None) or expected_version
        seen: list[dict] = []

        def merge(current: dict) -> dict:
            seen[:] = [current]
            merged = {**self.editable(current), **changes}
            merged = {k: v for k, v in merged.items() if v is not None or k in changes}
            doc = self._complete(self.validate(merged), current.get("created_at") or now_iso())
            doc.update({k: current[k] for k in self.kept_fields if k in current})
            doc.update(self.stamp(doc, current))
            return doc

        try:
            stored = self.backend.update(self.index, doc_id, merge, expected_version=expected_version)
        except NotFound:
            raise self.not_found(doc_id) from None
        self.emit("update", doc_id, seen[0], stored)
        return stored

    def remove(self, doc_id: str, expected_version: str | None = None) -> None:
        current = self.fetch(doc_id)
        self.backend.delete(self.index, doc_id, expected_version=expected_version)
        self.emit("delete", doc_id, current, None)

    def search_page(self, query: Query) -> dict:
        """One page of hits in the list envelope of the API, with facets."""
        result, relaxed = search_relaxed(self.backend, self.index, query)
        return envelope(result, query, relaxed=relaxed)

    def prepare_for_import(self, data: dict) -> dict:
        """Validate a document from a file (it may bring its id and timestamps)."""
        data = dict(data)
        doc_id = data.pop("id", None)
        now = now_iso()
        created_at = data.pop("created_at", None) or now
        for key in ("updated_at", "version", *self.derived_fields):
            data.pop(key, None)
        kept = {key: data.pop(key) for key in self.kept_fields if key in data}
        doc = self._complete(self.validate(data), created_at, now)
        doc.update(kept)
        doc.update(self.stamp(doc, None))
        doc["id"] = str(doc_id) if doc_id else new_id()
        return doc


def page_query(args: dict, text: str | None = None, sort: list[Sort] | None = None, **kwargs) -> Query:
    return Query(text=text, page=args.get("page", 1), per_page=args.get("per_page", 20), sort=sort or [], **kwargs)


def search_relaxed(backend: SearchBackend, index: str, query: Query) -> tuple[SearchResult, bool]:
    """Search; when a text query with several words finds nothing, find what has any of them.

    Chinese queries are bigrams, so "融资担保公司" needs "保公" and would miss
    "融资担保有限公司"; answering with the best partial matches beats an empty page.
    Returns the result and whether it was relaxed.
    """
    result = backend.search(index, query)
    if result.total or not query.text or len(set(tokenize(query.text))) < 2:
        return result, False
    return backend.search(index, replace(query, all_tokens=False)), True


def envelope(result: SearchResult, query: Query, with_facets: bool = True, relaxed: bool = False) -> dict:
    body = {"items": result.items, "total": result.total, "page": query.page, "per_page": query.per_page}
    if with_facets:
        body["facets"] = result.facets
    if relaxed:
        body["relaxed"] = True
    return body
