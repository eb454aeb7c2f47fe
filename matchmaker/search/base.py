"""The storage-and-search interface every backend implements.

Documents are plain dicts.  Each stored document carries a server-assigned string
``id`` and an opaque string ``version`` that changes with every write; passing the
version a client last read as ``expected_version`` turns a write into a compare-and-set
that raises :class:`~matchmaker.errors.Conflict` when someone else wrote in between.
"""
from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .mappings import IndexSpec
from .query import BulkResult, Query, SearchResult

ProgressCallback = Callable[[int, int | None], None]  # (done, total or None)


def new_id() -> str:
    """A short random id; documents loaded from files may bring their own."""
    return uuid.uuid4().hex[:16]


def strip_meta(doc: dict) -> dict:
    """The document without the fields a backend manages itself."""
    return {k: v for k, v in doc.items() if k not in ("id", "version")}


class SearchBackend(ABC):
    """Stores documents per index and searches them.

    Writes are durable when the method returns and are visible to the next read and
    search.  ``transaction()`` groups writes where the backend can (SQLite); where it
    cannot (Elasticsearch), callers order their writes so that a failure half-way leaves
    nothing that contradicts itself.
    """

    def __init__(self, indexes: dict[str, IndexSpec]):
        self.indexes = indexes

    def spec(self, index: str) -> IndexSpec:
        return self.indexes[index]

    # -- life cycle -------------------------------------------------------------------
    @abstractmethod
    def init(self) -> None:
        """Create whatever is missing (tables, indices, aliases).  Idempotent."""

    @abstractmethod
    def reset(self) -> None:
        """Remove every document of every index (tests and ``restore``)."""

    @abstractmethod
    def reindex(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Rebuild the search structures from the stored documents; counts per index."""

    def close(self) -> None:
        """Release connections."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    # -- documents --------------------------------------------------------------------
    @abstractmethod
    def get(self, index: str, doc_id: str) -> dict | None:
        ...

    def get_many(self, index: str, ids: Iterable[str]) -> dict[str, dict]:
        """Documents by id; unknown ids are left out."""
        found = {}
        for doc_id in ids:
            doc = self.get(index, doc_id)
            if doc is not None:
                found[doc_id] = doc
        return found

    @abstractmethod
    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        """Store a new document; Conflict when the id is taken.  Returns it with id/version."""

    @abstractmethod
    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        """Overwrite an existing document; NotFound, or Conflict on a stale version."""

    @abstractmethod
    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        """NotFound when absent; Conflict on a stale version."""

    @abstractmethod
    def bulk_upsert(self, index: str, docs: list[dict]) -> BulkResult:
        """Create or overwrite many documents (each with an ``id``); reports each failure."""

    # -- search -----------------------------------------------------------------------
    @abstractmethod
    def search(self, index: str, query: Query) -> SearchResult:
        ...

    @abstractmethod
    def scan(self, index: str, query: Query | None = None) -> Iterator[dict]:
        """Every matching document, in id order, without the result window limit."""

    def count(self, index: str, query: Query | None = None) -> int:
        q = Query(filters=list(query.filters) if query else [], text=query.text if query else None, per_page=0)
        return self.search(index, q).total
