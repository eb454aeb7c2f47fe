"""Upload, list, download and delete enterprises' documents, by the privacy rules.

Who sees a document (the enterprise's privacy, ``enterprises.privacy.audience``):

| who | sees |
|---|---|
| the enterprise (owner), zone staff and admins | every document of the enterprise |
| an institution | only while brokering puts it in talks with the enterprise: an introduction staff arranged, or a meeting not cancelled; a document attached to a need only for talks about that need |
| another enterprise, anyone else | nothing (404, as if there were none) |

Only the enterprise and staff upload and delete.  Every download is written to the audit
log (action ``download``), whoever makes it.  The bytes go to the store first and the
record after; a record that cannot be written takes its bytes with it.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

from .. import clock
from ..core.access import require_user
from ..core.users import User
from ..core.service import Service
from ..enterprises.privacy import audience
from ..errors import DocumentFileMissing, DocumentTooLarge, Forbidden, NoSuchDocument, NoSuchReference, ValidationError
from ..search import AnyOf, Missing, Not, Query, SearchBackend, Sort, Terms
from .content import detect
from .store import BlobStore

DOCUMENTS, ENTERPRISES, NEEDS = "documents", "enterprises", "needs"
CATEGORIES = ("business_plan", "financial_statements", "certificate", "other")
TALK_MEETINGS = ("proposed", "confirmed", "held")


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def clean_name(name: str | None, extension: str) -> str:
    """A name to show and to download under: no folders or control characters, at most
    120 characters, ending in the extension of what the file really is."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)[:120].strip() or "document"
    return f"{stem}.{extension}"


class EnterpriseFileService(Service):
    """An enterprise's files (uploads; not a :class:`matchmaker.core.service.DocumentService`: the
    record is written by the upload, never sent as JSON); who reads them: ``can_read``."""

    index, label = DOCUMENTS, "document"

    def __init__(self, backend: SearchBackend, store: BlobStore, observers=(), max_bytes: int = 10 * 1024 * 1024):
        super().__init__(backend, observers)
        self.store = store
        self.max_bytes = max_bytes

    # -- access -------------------------------------------------------------------------
    def talks(self, institution_id: str) -> tuple[set[str], set[str]]:
        """(enterprises, needs) brokering puts the institution in talks with."""
        enterprises: set[str] = set()
        needs: set[str] = set()
        for index, filters in (("introductions", [Terms("status", ["arranged"])]),
                               ("meetings", [Terms("status", TALK_MEETINGS)])):
            query = Query(filters=[Terms("institution_id", [institution_id]), *filters], per_page=500)
            for item in self.backend.search(index, query).items:
                enterprises.add(item["enterprise_id"])
                needs.add(item["need_id"])
        return enterprises, needs

    def can_read(self, user: User, doc: dict) -> bool:
        who = audience(user, doc["enterprise_id"])
        if who in ("owner", "staff"):
            return True
        if who != "institution":
            return False
        enterprises, needs = self.talks(user.institution_id)
        return doc["need_id"] in needs if doc.get("need_id") else doc["enterprise_id"] in enterprises

    def visibility_filters(self, user: User) -> list:
        if user.is_staff:
            return []
        if user.role == "enterprise":
            return [Terms("enterprise_id", [user.enterprise_id])]
        if user.role == "institution":
            enterprises, needs = self.talks(user.institution_id)
            # documents of the needs in talks, and those of the enterprises in talks attached to no need
            return [AnyOf((Terms("need_id", sorted(needs)), all_of(Terms("enterprise_id", sorted(enterprises)), Missing("need_id"))))]
        return [Terms("id", [])]

    def _writer(self, user: User, enterprise_id: str) -> None:
        who = audience(user, enterprise_id)
        if who == "enterprise":
            raise NoSuchDocument(kind="enterprise", id=enterprise_id)
        if who not in ("owner", "staff"):
            raise Forbidden("only the enterprise and zone staff upload and delete its documents")

    # -- writing ------------------------------------------------------------------------
    def upload(self, user: User, *, category: str, filename: str | None, data: bytes,
               enterprise_id: str | None = None, need_id: str | None = None) -> dict:
        user = require_user(user)
        need = None
        if need_id:
            need = self.backend.get(NEEDS, need_id)
            if need is None or (enterprise_id and need["enterprise_id"] != enterprise_id):
                raise NoSuchReference(kind="need", id=need_id, fields={"need_id": ["no such need of this enterprise"]})
            enterprise_id = need["enterprise_id"]
        if not enterprise_id:
            raise ValidationError("attach the document to an enterprise or a need",
                                  fields={"enterprise_id": ["give enterprise_id or need_id"]})
        self._writer(user, enterprise_id)
        enterprise = self.backend.get(ENTERPRISES, enterprise_id)
        if enterprise is None:
            raise NoSuchDocument(kind="enterprise", id=enterprise_id)
        if category not in CATEGORIES:
            raise ValidationError("unknown category", fields={"category": [f"one of {', '.join(CATEGORIES)}"]})
        if len(data) > self.max_bytes:
            raise DocumentTooLarge(size=megabytes(len(data)), limit=megabytes(self.max_bytes),
                                   fields={"file": [f"larger than {megabytes(self.max_bytes)} MB"]})
        kind = detect(data)
        key = uuid.uuid4().hex
        stamp = clock.now().isoformat(timespec="seconds")
        doc = {"enterprise_id": enterprise_id, "enterprise_name": enterprise.get("name"),
               "need_id": need_id or None, "need_title": need["title"] if need else None,
               "category": category, "filename": clean_name(filename, kind.extension), "content_type": kind.content_type,
               "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "storage_key": key,
               "uploaded_by": user.id, "uploaded_by_name": user.doc.get("display_name") or user.username,
               "created_at": stamp, "updated_at": stamp}
        self.store.put(key, data)
        try:
            stored = self.backend.create(DOCUMENTS, {k: v for k, v in doc.items() if v is not None}, doc_id=key)
        except BaseException:
            self.store.delete(key)
            raise
        self.emit("create", stored["id"], None, stored)
        return stored

    def delete(self, user: User, doc_id: str) -> None:
        doc = self.get(user, doc_id)
        self._writer(user, doc["enterprise_id"])
        self.backend.delete(DOCUMENTS, doc_id)
        self.store.delete(doc["storage_key"])
        self.emit("delete", doc["id"], doc, None)

    # -- reading ------------------------------------------------------------------------
    def open(self, user: User, doc_id: str):
        """(record, open file) of a document the user may see; the download is audited."""
        doc = self.get(user, doc_id)
        try:
            stream = self.store.open(doc["storage_key"])
        except FileNotFoundError:
            raise DocumentFileMissing(id=doc_id) from None
        self.emit("download", doc["id"], None, None)
        return doc, stream

    def search(self, user: User, args: dict) -> dict:
        user = require_user(user)
        filters = self.visibility_filters(user)
        for param in ("enterprise_id", "need_id", "category"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        query = Query(filters=filters, sort=[Sort("created_at", descending=True)], facets=["category"],
                      page=args.get("page", 1), per_page=args.get("per_page", 20))
        return self.page(query)



def all_of(*clauses):
    """Every clause holds (the query language has any-of and not: not any of the nots)."""
    return Not(AnyOf(tuple(Not(clause) for clause in clauses)))
