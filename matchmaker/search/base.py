"""The storage-and-search interface every backend implements.

Documents are plain dicts.  Each stored document carries a server-assigned string
``id`` and an opaque string ``version`` that changes with every write; passing the
version a client last read as ``expected_version`` turns a write into a compare-and-set
that raises :class:`~matchmaker.errors.Conflict` when someone else wrote in between.
"""
from __future__ import annotations

import gzip
import json
import logging
import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import (
    BackupDamaged, BackupIncomplete, Conflict, DocumentBusy, NoSuchDocument, NotABackup, RestoreRefused,
    ValidationError, check_version,
)
from .mappings import IndexSpec
from .query import BulkResult, Query, SearchResult

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]  # (done, total or None)


def new_id() -> str:
    """A short random id; documents loaded from files may bring their own."""
    return uuid.uuid4().hex[:16]


def strip_version(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "version"}


def strip_meta(doc: dict) -> dict:
    """The document without the fields a backend manages itself."""
    return {k: v for k, v in doc.items() if k not in ("id", "version")}


class SearchBackend(ABC):
    """Stores documents per index and searches them.

    Writes are durable when the method returns and are visible to the next read and
    search.  ``transaction()`` groups writes where the backend can (the records database); where it
    cannot (Elasticsearch), callers order their writes so that a failure half-way leaves
    nothing that contradicts itself.
    """

    def __init__(self, indexes: dict[str, IndexSpec]):
        self.indexes = indexes
        self.notices: list[str] = []  # what init did that the operator should hear of (a migration)

    def spec(self, index: str) -> IndexSpec:
        return self.indexes[index]

    # -- the cost budget ----------------------------------------------------------------
    #: Seconds one ``search`` may take (None: no limit).  A backend that honours it stops a
    #: search that would run past it and raises SearchUnavailable (503, Retry-After), so that
    #: one costly query cannot hold a worker.
    time_budget: float | None = None
    #: Seconds one statement may run in a database server of record (PostgreSQL), if any.
    statement_timeout: float | None = None

    def set_budget(self, time_budget: float | None, statement_timeout: float | None = None) -> None:
        """Set both limits (``create_backend`` does, from the settings); 0 or None: none."""
        self.time_budget = time_budget or None
        self.statement_timeout = statement_timeout or None

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

    #: How a file :meth:`backup` writes is named (the safety copy ``restore`` keeps, too).
    backup_suffix = ".jsonl.gz"

    def backup(self, path: str | Path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Write every document of every index to ``path`` while the service runs.

        This generic form is gzipped JSON Lines (``{"index", "doc"}`` a line) between a
        header and a last line with the counts, which any backend can read back and check.
        """
        path = Path(path)
        tmp = path.with_name(path.name + ".partial")
        counts = {name: 0 for name in self.indexes}
        done = 0
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"matchmaker_backup": 1, "indexes": sorted(self.indexes), "counted": True}) + "\n")
            for name in self.indexes:
                for doc in self.scan(name):
                    out.write(json.dumps({"index": name, "doc": strip_version(doc)}, ensure_ascii=False) + "\n")
                    counts[name] += 1
                    done += 1
                    if progress and done % 1000 == 0:
                        progress(done, None)
            out.write(json.dumps({"matchmaker_backup_end": counts}) + "\n")
        tmp.replace(path)  # a file that exists is a whole backup
        return counts

    def verify_backup(self, path: str | Path) -> dict[str, int]:
        """Read a whole backup and check it -- compression, every line, the counts it
        ends with -- before anything is replaced; its counts per index.  ValidationError
        says what is wrong."""
        path = Path(path)
        counts: dict[str, int] = {}
        end = None
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                header = json.loads(f.readline() or "{}")
                if not isinstance(header, dict) or header.get("matchmaker_backup") != 1:
                    raise NotABackup(path=str(path))
                for number, line in enumerate(f, start=2):
                    entry = json.loads(line)
                    if end is not None:
                        raise ValueError(f"line {number} comes after the end")
                    if "matchmaker_backup_end" in entry:
                        end = entry["matchmaker_backup_end"]
                        continue
                    if not isinstance(entry["doc"], dict) or not entry["doc"].get("id"):
                        raise ValueError(f"line {number} holds no document with an id")
                    counts[entry["index"]] = counts.get(entry["index"], 0) + 1
        except ValidationError:
            raise
        except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:
            raise BackupDamaged(path=str(path), reason=str(exc)) from None
        if header.get("counted") and {k: v for k, v in (end or {}).items() if v} != counts:
            raise BackupIncomplete(path=str(path), counts=counts, end=end)
        return counts

    def backup_batches(self, path: str | Path, size: int = 1000) -> Iterator[tuple[str, list[dict]]]:
        """(index, documents) of a verified backup, in batches, for the indexes this version has."""
        batch: dict[str, list[dict]] = {name: [] for name in self.indexes}
        with gzip.open(Path(path), "rt", encoding="utf-8") as f:
            f.readline()
            for line in f:
                entry = json.loads(line)
                if entry.get("index") not in batch:
                    continue  # the end, or an index this version no longer has
                batch[entry["index"]].append(entry["doc"])
                if len(batch[entry["index"]]) >= size:
                    yield entry["index"], batch[entry["index"]]
                    batch[entry["index"]] = []
        for name, docs in batch.items():
            if docs:
                yield name, docs

    def restore(self, path: str | Path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Replace every document with those of a backup made by ``backup``: checked whole
        first, then swapped in one transaction where the backend has them."""
        self.verify_backup(path)
        counts = {name: 0 for name in self.indexes}
        with self.transaction():
            self.reset()
            for index, docs in self.backup_batches(path):
                counts[index] += self._restore_batch(index, docs)
                if progress:
                    progress(sum(counts.values()), None)
        return counts

    def _restore_batch(self, index: str, docs: list[dict]) -> int:
        result = self.bulk_upsert(index, docs)
        if result.errors:
            first = result.errors[0]
            raise RestoreRefused(kind=index, id=first.id, reason=first.message)
        return result.indexed

    def close(self) -> None:
        """Release connections."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def hold_indexing(self) -> None:
        """From now on this thread's writes may be made searchable together, at the latest
        by :meth:`release_indexing` or before this thread's next search (one request's
        writes: the record, its audit entry, a notification).  No-op where writes are
        searchable at once."""

    def release_indexing(self) -> None:
        """Make this thread's held writes searchable (before the response goes out)."""

    def indexing_held(self) -> bool:
        """Whether this thread holds indexing now (inside a request, say)."""
        return False

    def unseen(self) -> int:
        """How many committed writes searches may not see yet (0: all of them)."""
        return 0

    def health(self) -> dict:
        """Whether the records and the search answer now, each ``"ok"`` or ``"unavailable"``,
        and ``unseen`` (None when the records cannot say): a probe of each, for a load
        balancer or an operator."""
        def probe(check):
            try:
                return "ok", check()
            except Exception as exc:  # whatever the part raised, the answer is "unavailable"
                log.warning("health probe failed: %s", exc)
                return "unavailable", None

        # the search first: it makes this thread's held writes (the request's own) searchable
        search, _ = probe(lambda: self.count(next(iter(self.indexes))))
        records, unseen = probe(self.unseen)
        return {"records": records, "search": search, "unseen": unseen}

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Hold indexing through a bulk load (an import): its writes are made searchable
        together at the end, in bulk, instead of after each batch of records.  Inside a
        holder already (a request), that holder's release does it."""
        if self.indexing_held():
            yield
            return
        self.hold_indexing()
        try:
            yield
        finally:
            self.release_indexing()

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

    def keep_derived(self, name: str, index: str, values: dict[str, dict], basis: str) -> None:
        """Keep values worked out from records (by id), valid while each record stays as
        it is and ``basis`` holds (see :meth:`get_derived`); a backend without a database
        of record keeps none."""

    def get_derived(self, name: str, index: str, ids: Iterable[str], basis: str) -> dict[str, dict]:
        """What :meth:`keep_derived` kept for these records on ``basis``, where each record
        is still as it was then; the caller works out the rest."""
        return {}

    @abstractmethod
    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        """Store a new document; Conflict when the id is taken.  Returns it with id/version."""

    @abstractmethod
    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        """Overwrite an existing document; NotFound, or Conflict on a stale version."""

    #: How often :meth:`update` retries a compare-and-set that lost a race.
    update_attempts = 8

    def update(self, index: str, doc_id: str, mutate: Callable[[dict], dict | None],
               expected_version: str | None = None) -> dict:
        """Read-modify-write of one document: ``mutate(current)`` gives the new document
        (None: leave it as it is); returns the stored one.  NotFound when absent; Conflict
        when ``expected_version`` is stale.

        Inside one transaction, so a concurrent write of another field is never lost:
        where transactions serialize writers (the record stores), once; elsewhere as a
        compare-and-set on the version read, retried when someone wrote in between.
        ``mutate`` may run more than once and may raise to refuse the change."""
        for _ in range(self.update_attempts):
            with self.transaction():
                current = self.get(index, doc_id)
                if current is None:
                    raise NoSuchDocument(kind=index, id=doc_id)
                check_version(doc_id, current["version"], expected_version)
                new = mutate(dict(current))
                if new is None:
                    return current
                try:
                    return self.replace(index, doc_id, new, expected_version=current["version"])
                except Conflict:
                    if expected_version is not None:
                        raise
        raise DocumentBusy(kind=index, id=doc_id)

    @abstractmethod
    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        """NotFound when absent; Conflict on a stale version."""

    @abstractmethod
    def bulk_upsert(self, index: str, docs: list[dict], prepared: list | None = None) -> BulkResult:
        """Create or overwrite many documents (each with an ``id``); reports each failure.

        ``prepared`` is what :meth:`prepare_bulk` gave for these very documents, if the
        caller had it done ahead (in another process, say)."""

    def prepare_bulk(self, index: str, docs: list[dict]) -> list | None:
        """The per-document work of ``bulk_upsert`` that needs no storage (the embedded
        backend: the index documents, text tokenised), so that a second process can do it while this one stores the
        last batch; None when there is none worth moving."""
        return None

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
