"""The embedded backend: records in a relational database, search in tantivy beside them.

Every write is one transaction of the :class:`~matchmaker.records.RecordStore`: the
record with its version check, and its outbox row.  After the commit the writer drains
the outbox into the live tantivy indexes (:mod:`.indexer`), so the next search from any
process sees the write; when the index fails the write still stands, the row waits (a
thread retries) and searches answer 503.

Reads (``get``, ``get_many``, ``scan``) read the records, so they see every committed
write and, inside :meth:`transaction`, the transaction's own.  ``search`` asks tantivy
for the ids of a page (with total, facets and sums) and reads those documents fresh from
the records.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import (
    IntegerPastRecords, LegacyFileUnreadable, MatchmakerError, SearchIndexAway, SearchIndexFailed, SearchIndexUnopenable,
    SearchOverBudget, ValidationError,
)
from ..records import RecordStore
from ..records.store import dump
from .filters import compile_clause
from .analysis import tokenize
from .base import ProgressCallback, SearchBackend, new_id, strip_meta, strip_version
from .indexer import IndexFactory, IndexFolders, Indexer, Known, apply_rows, file_lock, release_writers, upsert_each
from .mappings import NUMERIC_TYPES, IndexSpec, get_value
from .query import BulkError, BulkResult, Query, Range, SearchResult, Terms, check_window

log = logging.getLogger(__name__)
LEGACY_FILE = "matchmaker.sqlite3"  # the data file of the sqlite backend
_BUILD_BATCH = 1000
#: Retry-After of a search stopped at its time budget.
BUDGET_RETRY_AFTER = 5
#: Index documents made ahead that a bulk load (an import) keeps for one drain and commit.
HELD_DOCS = 20_000


class _DrainAside:
    """One drain of a bulk load's held documents, in a thread of its own: the load goes on
    storing (an import's workers go on validating) while tantivy takes the documents,
    instead of stopping for it (in an import of 60,000 needs the parent drained 4.7 s of
    10.1, and its workers stood idle once their batches in flight were done)."""

    def __init__(self, indexer: Indexer, known: Known, upto: int):
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(indexer, known, upto), name="matchmaker-held-drain",
                                       daemon=True)
        self.thread.start()

    def _run(self, indexer: Indexer, known: Known, upto: int) -> None:
        try:
            indexer.drain(known=known, upto=upto)
        except BaseException as exc:  # raised in the loading thread, by settle
            self.failure = exc

    def settle(self) -> None:
        """Wait for the drain; what it raised is raised here."""
        self.thread.join()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


# tantivy_index is imported when an index is opened, not with this module: imported with
# it, the OpenSearch outage test (test_cluster_down) failed after the contract suite, 3 runs
# of 3 (why is not known; lazily imported, as before 7e967bb, it passed)
def tantivy_factory(path: Path, spec: IndexSpec):
    from .tantivy_index import TantivyIndex

    return TantivyIndex(path, spec)


def tantivy_layout(specs: dict[str, IndexSpec]) -> dict[str, str]:
    from .tantivy_index import layout

    return layout(specs)


class EmbeddedBackend(SearchBackend):
    fork_safe = True

    def __init__(self, indexes: dict[str, IndexSpec], store: RecordStore, index_dir: str | Path,
                 index_factory: IndexFactory | None = None, data_dir: str | Path | None = None):
        super().__init__(indexes)
        self.store = store
        self.folders = IndexFolders(Path(index_dir), indexes, index_factory or tantivy_factory,
                                    layout=tantivy_layout if index_factory is None else None)
        self.indexer = Indexer(store, self.folders)
        self.data_dir = Path(data_dir) if data_dir else None
        self._held = threading.local()  # hold_indexing: this thread's writes wait for one drain
        self._asides: set[_DrainAside] = set()  # every thread's held drains running (close waits for them)
        self._asides_lock = threading.Lock()
        self._preparers: dict[str, object] = {}  # an index without a folder per index: prepare_bulk

    # -- life cycle -----------------------------------------------------------------------
    def init(self) -> None:
        self.store.upgrade()
        self._migrate_legacy()
        asked = self.store.get_state("needs_rebuild")
        if asked or not self.folders.is_usable():
            stale = not asked and self.folders.current_name() is not None
            if stale:  # built by an earlier release: a start that takes minutes says why
                log.warning("rebuilding the search index from the records: it was built for another version")
            counts = self.reindex()
            if stale:
                self.notices.append(f"rebuilt the search index from the records ({sum(counts.values()):,} document(s)): "
                                    "it was built for another version")
        self.indexer.drain()  # rows a killed process committed but did not index

    def close(self) -> None:
        with self._asides_lock:
            running = list(self._asides)
        for aside in running:  # they use the store and the index: done before either closes
            aside.thread.join()  # what one raised is raised by its loading thread's settle
        self.indexer.release()
        self.folders.close()
        self.store.close()

    def set_budget(self, time_budget: float | None, statement_timeout: float | None = None) -> None:
        super().set_budget(time_budget, statement_timeout)
        self.store.statement_timeout = self.statement_timeout  # the records' server (PostgreSQL) enforces it

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.transaction():
            yield

    def reset(self) -> None:
        with self.indexer.exclusive(timeout=None):
            self.store.clear()
            live = self.folders.live()
            for index in live.values():
                index.clear()
                index.commit()
            release_writers(live)

    # -- documents ------------------------------------------------------------------------
    def _written(self) -> None:
        """Make the write searchable once its transaction commits (bounded wait), or mark
        it for :meth:`release_indexing` while this thread holds indexing."""
        if getattr(self._held, "on", False):
            self._held.pending = True
        else:
            self.store.after_commit(self._drain_written)

    def _drain_written(self) -> None:
        """A write's drain, once its transaction has committed."""
        self.indexer.drain()

    def hold_indexing(self) -> None:
        self._held.on, self._held.pending, self._held.known, self._held.incoming = True, False, None, None

    def release_indexing(self) -> None:
        pending, known = getattr(self._held, "pending", False), getattr(self._held, "known", None)
        self._held.on = self._held.pending = False
        self._held.known = self._held.incoming = None
        self._settle_aside()
        if pending and known is not None:
            self.indexer.drain(known=known)
        elif pending:
            self.indexer.drain()  # a cluster's indexer takes no documents made ahead

    def _hold_known(self) -> None:
        """Keep the index documents a committed transaction's held bulk writes made ahead
        (``incoming``) for the drain that indexes them: the release, or one every
        :data:`HELD_DOCS` documents (a tantivy commit costs too much to make one per batch,
        and a whole import's documents too much memory).

        Run once per transaction, after all its bulk writes: a drain between two of them
        (an import's batch of enterprises, then their readiness snapshots) read the later
        ones' records back and made their documents again.  What a transaction that rolled
        back left in ``incoming`` is never applied: no record bears its marks."""
        incoming, self._held.incoming = getattr(self._held, "incoming", None), None
        if incoming is None:
            return
        held = self._held.known = (self._held.known or Known()).merge(incoming)
        if held.size >= HELD_DOCS:
            self._held.known = None
            self._settle_aside()  # one at a time: the memory held and the index's lag stay bounded
            # the rows committed so far, which ``held`` made documents for; later ones wait for the next drain
            aside = self._held.aside = _DrainAside(self.indexer, held, self.store.last_seq())
            with self._asides_lock:
                self._asides.add(aside)

    def _settle_aside(self) -> None:
        """Wait for this thread's held drain running aside, if any (see :class:`_DrainAside`)."""
        aside, self._held.aside = getattr(self._held, "aside", None), None
        if aside is None:
            return
        try:
            aside.settle()
        finally:
            with self._asides_lock:
                self._asides.discard(aside)

    def indexing_held(self) -> bool:
        return getattr(self._held, "on", False)

    def unseen(self) -> int:
        """How many writes searches may not see yet: 0 means every committed write is
        searchable.  Here, the outbox's rows (an index commit makes its batch visible)."""
        return self.store.lag()

    def _catch_up(self) -> None:
        """This thread's held writes, made searchable before it searches (reads its writes)."""
        if getattr(self._held, "pending", False):
            self._held.pending = False
            self.indexer.drain()

    def get(self, index: str, doc_id: str) -> dict | None:
        self.spec(index)
        return self.store.get(index, doc_id)

    def keep_derived(self, name: str, index: str, values: dict[str, dict], basis: str) -> None:
        self.spec(index)
        self.store.keep_derived(name, index, values, basis)

    def get_derived(self, name: str, index: str, ids, basis: str) -> dict[str, dict]:
        self.spec(index)
        return self.store.get_derived(name, index, ids, basis)

    def get_many(self, index: str, ids) -> dict[str, dict]:
        self.spec(index)
        return self.store.get_many(index, ids)

    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        self.spec(index)
        stored = self.store.create(index, doc_id or doc.get("id") or new_id(), strip_meta(doc))
        self._written()
        return stored

    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        self.spec(index)
        stored = self.store.replace(index, doc_id, strip_meta(doc), expected_version)
        self._written()
        return stored

    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        self.spec(index)
        self.store.delete(index, doc_id, expected_version)
        self._written()

    def prepare_bulk(self, index: str, docs: list[dict]) -> list | None:
        """Each document's record body and its index document (the text tokenised), made
        where :meth:`bulk_upsert` will not have to: in an import's worker processes.  None
        when a document has no id or does not fit (``bulk_upsert`` then reports it)."""
        spec = self.spec(index)
        if not all(isinstance(doc.get("id"), str) and doc["id"] for doc in docs):
            return None
        preparer = self._preparers.get(index)
        if preparer is None:
            preparer = self._preparers[index] = self.folders.factory(None, spec)
        try:
            bodies = [strip_meta(doc) for doc in docs]
            made = preparer.prepare([{"id": doc["id"], **body} for doc, body in zip(docs, bodies)])
            return [(dump(body), one) for body, one in zip(bodies, made)]
        except (AttributeError, ValueError, TypeError, IntegerPastRecords):
            return None

    def bulk_upsert(self, index: str, docs: list[dict], prepared: list | None = None) -> BulkResult:
        """One transaction for the good documents; each bad one is reported by position.
        With ``prepared`` (what :meth:`prepare_bulk` gave for these documents; None in place
        of one that changed since) the bodies are stored as made and the index documents
        applied as made, without reading them back."""
        self.spec(index)
        if prepared is not None and len(prepared) != len(docs):
            prepared = None
        result = BulkResult()
        items: dict[str, str] = {}
        known: dict[str, tuple[dict, object]] = {}
        for position, doc in enumerate(docs):
            doc_id = doc.get("id")
            if not isinstance(doc_id, str) or not doc_id:
                result.errors.append(BulkError(position, doc_id, "document has no id"))
                continue
            if prepared is not None and prepared[position] is not None:
                items[doc_id] = prepared[position][0]
                known[doc_id] = (doc, prepared[position][1])  # the document itself: read only if the index refuses what was made
            else:
                try:
                    items[doc_id] = dump(strip_meta(doc))
                except (TypeError, ValueError, IntegerPastRecords) as exc:
                    result.errors.append(BulkError(position, doc_id, str(exc)))
                    continue
            result.indexed += 1
        if items:
            with self.store.transaction():
                marks = self.store.upsert_many(index, list(items.items()))
                known = {doc_id: (marks[doc_id], doc, made) for doc_id, (doc, made) in known.items()}
                if known and not getattr(self._held, "on", False):
                    batch = Known().add(index, known)
                    self.store.after_commit(lambda: self.indexer.drain(known=batch))
                else:
                    self._written()
                    if known:
                        self._held.incoming = (self._held.incoming or Known()).add(index, known)
                        self.store.after_commit(self._hold_known)  # once per transaction
        return result

    # -- search ---------------------------------------------------------------------------
    def _live(self):
        if self.indexer.error is not None and not self.indexer.drain(timeout=1.0):
            raise SearchIndexAway(reason=str(self.indexer.error))
        try:
            return self.folders.live()
        except OSError as exc:
            raise SearchIndexUnopenable(reason=str(exc)) from None

    def search(self, index: str, query: Query) -> SearchResult:
        self.spec(index)
        check_window(query)
        self._catch_up()
        target = self._live()[index]
        started = time.monotonic()
        try:
            hits = target.search(query)
        except MatchmakerError:
            raise
        except Exception as exc:  # the engine failed, not the query
            log.error("search of %s failed: %s", index, exc)
            raise SearchIndexFailed(reason=str(exc)) from None
        if self.time_budget and time.monotonic() - started > self.time_budget:
            # tantivy's bindings cannot interrupt a query: one past its budget stops here,
            # before its page is read, and the worker is free for the next request
            raise SearchOverBudget(seconds=f"{self.time_budget:g}", retry_after=BUDGET_RETRY_AFTER)
        docs = self.store.get_many(index, hits.ids)
        return SearchResult(items=[docs[i] for i in hits.ids if i in docs], total=hits.total,
                            facets=hits.facets, sums=hits.sums)

    def count(self, index: str, query: Query | None = None) -> int:
        """Inside a write transaction, counted on the records, so that a check made before
        a write (a duplicate, a limit) sees every committed write and the transaction's own,
        as on the sqlite backend; otherwise by the index."""
        if self.store.in_transaction:
            return sum(1 for _ in self.scan(index, query))
        return super().count(index, query)

    def scan(self, index: str, query: Query | None = None) -> Iterator[dict]:
        """Every matching record in id order, filtered here: what is committed (and, in a
        transaction, what it wrote), never what the index happens to hold yet."""
        spec = self.spec(index)
        filters = query.filters if query else []
        checks = [compile_clause(clause) for clause in filters]
        tokens = set(tokenize(query.text)) if query and query.text and spec.search_fields else set()
        equal, between = _narrowing(spec, filters)
        for doc in self.store.scan(index, equal=equal, between=between):
            if all(check(doc) for check in checks) and (not tokens or _has_tokens(spec, doc, tokens, query.all_tokens)):
                yield doc

    def backup(self, path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """The generic backup, read in one snapshot of the records: one committed state."""
        with self.store.snapshot():
            return super().backup(path, progress)

    def restore(self, path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """The records replaced in one transaction once the whole file checked out; then
        a fresh index (``needs_rebuild`` makes a start after a crash in between do it)."""
        self.verify_backup(path)
        counts = {name: 0 for name in self.indexes}
        with self.store.transaction():
            self.store.clear()
            self.store.set_state("needs_rebuild", "restore")
            for index, docs in self.backup_batches(path):
                self.store.upsert_many(index, [(doc["id"], dump(strip_meta(doc))) for doc in docs], enqueue=False)
                counts[index] += len(docs)
        self.reindex(progress)
        return counts

    # -- rebuilding ---------------------------------------------------------------------------
    def reindex(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Build a new generation from the records while writes go on, then swap it in.

        The rebuild is announced first (``build`` state), so that from then on the indexer
        keeps the outbox rows it applies; at the swap every kept row is applied to the new
        generation too -- the writes made while it was copied -- under the index lock."""
        with file_lock(self.folders.root / "reindex.lock", timeout=0) as alone:
            if not alone:
                raise ValidationError("another reindex of this data folder is running")
            self.store.set_state("build", "running")
            try:
                return self._build(progress)
            finally:
                self.store.set_state("build", None)

    def _build(self, progress: ProgressCallback | None) -> dict[str, int]:
        totals = self.store.counts()
        total = sum(totals.get(name, 0) for name in self.indexes)
        name, fresh = self.folders.create()
        counts, done = {}, 0
        try:
            for index, target in fresh.items():
                counts[index] = 0
                batch = []
                for doc in self.store.scan(index, batch=_BUILD_BATCH):
                    batch.append(strip_version(doc))
                    if len(batch) >= _BUILD_BATCH:
                        done += self._add(target, batch, counts, index)
                        if progress:
                            progress(done, total)
                if batch:
                    done += self._add(target, batch, counts, index)
                target.commit()
            with self.indexer.exclusive(timeout=None):
                apply_rows(self.store, fresh, self.store.since_build())
                self.folders.swap(name)
                self.store.set_state("build", None)
                self.store.set_state("needs_rebuild", None)
                self.store.prune()
        finally:
            for target in fresh.values():
                target.close()
        if progress:
            progress(done, total)
        return counts

    @staticmethod
    def _add(target, batch: list[dict], counts: dict, index: str) -> int:
        upsert_each(target, index, batch)
        counts[index] += len(batch)
        added = len(batch)
        batch.clear()
        return added

    # -- the data folder of the sqlite backend ----------------------------------------------
    def _migrate_legacy(self) -> None:
        """Take the documents of a data folder the sqlite backend made, once, versions kept."""
        if self.data_dir is None:
            return
        legacy = self.data_dir / LEGACY_FILE
        if not legacy.exists() or self.store.get_state("legacy_migrated") or any(self.store.counts().values()):
            return
        source = sqlite3.connect(f"file:{legacy}?mode=ro", uri=True)
        try:
            known = {row[0] for row in source.execute("SELECT name FROM _indexes")}
            moved = 0
            with self.store.transaction():
                for index in self.indexes:
                    if index not in known:
                        continue
                    rows = source.execute(
                        f'SELECT m.id, m.version, s.source FROM "{index}" m JOIN "{index}__source" s ON s.rid = m.rid'
                    ).fetchall()
                    if rows:
                        self.store.upsert_many(index, [(doc_id, body) for doc_id, _, body in rows],
                                               versions={doc_id: version for doc_id, version, _ in rows}, enqueue=False)
                    moved += len(rows)
                self.store.set_state("legacy_migrated", json.dumps({"from": str(legacy), "documents": moved}))
                self.store.set_state("needs_rebuild", "migration")
        except sqlite3.DatabaseError as exc:
            raise LegacyFileUnreadable(path=str(legacy), reason=str(exc)) from None
        finally:
            source.close()
        log.warning("migrated %d documents from %s (the sqlite backend's file, left as it was) into the records database",
                    moved, legacy)
        self.notices.append(f"migrated {moved} documents from {legacy} into the records database")


def _narrowing(spec: IndexSpec, filters: list) -> tuple[dict[str, list], dict[str, tuple]]:
    """The filters the records store can apply in SQL first, on the id or a top-level
    single-valued field: ``Terms`` of strings on a keyword, ``Terms`` of numbers and
    ``Range`` on a number (the rest, and these again, are checked here)."""
    equal: dict[str, list] = {}
    between: dict[str, tuple] = {}
    for clause in filters:
        if isinstance(clause, (Terms, Range)) and clause.field == "id":
            f = None
        else:
            f = spec.fields.get(getattr(clause, "field", ""))
            if f is None or f.array or "." in f.path:
                continue
        numeric = f is not None and f.type in NUMERIC_TYPES
        if isinstance(clause, Terms) and clause.field not in equal:  # two Terms: the first narrows, both are checked
            if (f is None or f.type == "keyword") and all(isinstance(v, str) for v in clause.values):
                equal[clause.field] = list(clause.values)
            elif numeric and all(_is_number(v) for v in clause.values):
                equal[clause.field] = list(clause.values)
        elif isinstance(clause, Range) and numeric and clause.field not in between:
            if all(v is None or _is_number(v) for v in (clause.gte, clause.lte)):
                between[clause.field] = (clause.gte, clause.lte)
    return equal, between


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_tokens(spec: IndexSpec, doc: dict, tokens: set[str], all_tokens: bool) -> bool:
    present = set()
    for path in spec.search_fields:
        value = get_value(doc, path)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value if v is not None)
        if value:
            present.update(tokenize(str(value)))
    return tokens <= present if all_tokens else bool(tokens & present)
