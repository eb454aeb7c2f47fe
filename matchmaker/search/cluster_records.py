"""Elasticsearch and OpenSearch behind the database of record, as the embedded engine is.

The records (accounts, tokens, meetings, audit, needs...) live in the
:class:`~matchmaker.records.RecordStore` (an SQLite file, or PostgreSQL through
``MATCHMAKER_DATABASE_URL``); the cluster holds only the search indexes derived from them.
Every write is one transaction of the records -- the version check, a meeting's overlap
check, the write and its outbox row -- and the outbox is drained into the cluster after
the commit by the one :class:`~matchmaker.search.indexer.Indexer`.  So this backend *is*
the embedded one (:class:`~matchmaker.search.embedded.EmbeddedBackend`) with the cluster
in place of the tantivy folders:

- :class:`ClusterIndex` is one index of the cluster seen as the indexer's ``Index``
  (upsert and delete by ``_bulk`` without refresh, ``commit`` = one refresh, ``search`` =
  the ids, total, facets and sums of a page, compiled by :mod:`.dsl`);
- :class:`ClusterGenerations` stands for the index folders: the live generation is what
  the aliases point at; a rebuild (``reindex``) fills new concrete indexes
  (``<prefix>-<index>-v<N>-<stamp>``) from the records while writes go on, applies the
  outbox rows written meanwhile, and moves every alias in one atomic ``_aliases`` call.

When the whole cluster is away, writes still commit and their rows wait in the outbox (a
thread retries every couple of seconds); searches answer 503 with ``Retry-After``; when
the cluster answers again the outbox drains, without restarting the service.

Only one process drains at a time: the indexer's ``flock`` in ``<data dir>/search-cluster/``
orders the processes of one machine, and with the records in PostgreSQL a session-level
advisory lock orders the machines too (several service hosts on one database), so that a
drainer never writes an older read of a record over a newer one.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import text

from ..errors import MatchmakerError, SearchDeleteIncomplete, SearchEngineAway
from ..records import RecordStore
from ..records.store import dump
from . import dsl
from .base import strip_meta
from .cluster import BULK_CHUNK, LONG_REQUEST_TIMEOUT, ClusterBackend, _Item, _path, encode, mapping_changes, parse_version
from .embedded import EmbeddedBackend
from .indexer import LOCK_WAIT, Indexer
from .mappings import IndexSpec
from .query import Query

log = logging.getLogger(__name__)


@dataclass
class ClusterHits:
    """One page of a search, as ids (the documents are read from the records)."""

    ids: list[str]
    total: int
    facets: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)


class ClusterIndex:
    """One index of the cluster (an alias, or a concrete index being built) as the
    indexer's ``Index``."""

    def __init__(self, cluster: ClusterBackend, spec: IndexSpec, target: str, refreshes: "Refreshes | None" = None):
        self.cluster = cluster
        self.spec = spec
        self.target = target
        self.refreshes = refreshes

    def upsert(self, docs: list[dict]) -> None:
        """Index ``docs`` (each with its ``id``); a document the mapping refuses is logged
        and left out (as the indexer does for tantivy), a busy or absent cluster raises."""
        items = [_Item(n, str(doc["id"]), encode(doc)) for n, doc in enumerate(docs)]
        for start in range(0, len(items), BULK_CHUNK):
            result = self.cluster._bulk(self.target, items[start:start + BULK_CHUNK], strict=True)
            for error in result.errors:
                log.error("%s %s cannot be indexed and is left out of search: %s", self.spec.name, error.id, error.message)

    def delete(self, ids) -> None:
        ids = list(ids)
        for start in range(0, len(ids), BULK_CHUNK):
            lines = [encode({"delete": {"_id": doc_id}}) for doc_id in ids[start:start + BULK_CHUNK]]
            answer = self.cluster._send("POST", _path(self.target, "_bulk"), ndjson=lines, timeout=LONG_REQUEST_TIMEOUT)
            failed = [item["delete"] for item in answer.get("items", [])
                      if item.get("delete", {}).get("status", 500) >= 300 and item["delete"].get("status") != 404]
            if failed:
                raise SearchDeleteIncomplete(count=len(failed), reason=failed[0].get("error"))

    def commit(self) -> None:
        """Make the writes visible: one refresh now, or at the end of the drain under way."""
        if self.refreshes is None or not self.refreshes.defer(self.target):
            self.refresh()

    def refresh(self) -> None:
        self.cluster._send("POST", _path(self.target, "_refresh"))

    def clear(self) -> None:
        """Delete every document, a page of ids at a time (delete-by-query is a module an
        Elasticsearch node may not have); an empty index costs one search."""
        while True:
            answer = self.cluster._search(_path(self.target, "_search"),
                                          {"query": {"match_all": {}}, "size": BULK_CHUNK, "_source": False,
                                           "track_total_hits": False})
            ids = [hit["_id"] for hit in answer["hits"]["hits"]]
            if not ids:
                return
            self.delete(ids)
            self.refresh()  # the next page must not show these again

    def search(self, query: Query) -> ClusterHits:
        body = self.cluster.within_budget({**dsl.search_body(self.spec, query), "_source": False, "version": False})
        answer = self.cluster._search(_path(self.target, "_search"), body)
        page = dsl.read_search(self.spec, query, answer, lambda hit: hit["_id"])
        return ClusterHits(ids=page.items, total=page.total, facets=page.facets, sums=page.sums)

    def close(self, finish_merges: bool = True) -> None:
        """Nothing to release: the cluster has no writer to hand over (and merges its own)."""


class Refreshes:
    """The refreshes a drain puts off to its end: an acknowledged ``_bulk`` is durable (the
    translog) and a refresh only makes it visible, so a drain of many batches (an
    import's) refreshes each index it wrote once, not once per batch of rows.  Drains of
    one process take turns (the indexer's lock), and the indexer commits the indexes of a
    batch side by side in threads of its own, so what is collected is the process's, not
    a thread's.  What a failed refresh left is refreshed by the next drain."""

    def __init__(self, cluster: ClusterBackend):
        self.cluster = cluster
        self._lock = threading.Lock()
        self._drains = 0  # inside deferred(): one drain, and others waiting for its lock
        self._collected: set[str] = set()
        self._left: set[str] = set()

    def owed(self) -> int:
        """Indexes written but not refreshed yet: by the drain under way, or left by a
        refresh that failed (the retry thread's next drain sends it)."""
        with self._lock:
            return len(self._collected | self._left)

    def defer(self, target: str) -> bool:
        """Put off the refresh of ``target`` to the end of the drain under way, if there is one."""
        with self._lock:
            if not self._drains:
                return False
            self._collected.add(target)
            return True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Collect the refreshes of the commits made inside, then send them in one request.
        Called under the indexer's lock (one drain at a time); what is sent stays owed
        (:meth:`owed`) until the cluster has answered."""
        with self._lock:
            self._drains += 1
        try:
            yield
        finally:
            with self._lock:
                self._drains -= 1
                targets = self._collected | self._left
            try:
                if targets:
                    self.cluster._send("POST", _path(",".join(sorted(targets)), "_refresh"),
                                       params={"ignore_unavailable": "true"})  # an index swapped out meanwhile
            except BaseException:
                with self._lock:
                    self._collected -= targets
                    self._left |= targets
                raise
            with self._lock:
                self._collected -= targets
                self._left -= targets


class ClusterGenerations:
    """The index generations in the cluster, in the place of the index folders: the live
    one is what the aliases point at; ``root`` is the local folder of the locks."""

    def __init__(self, cluster: ClusterBackend, specs: dict[str, IndexSpec], root: Path):
        self.cluster = cluster
        self.specs = specs
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.refreshes = Refreshes(cluster)

    @property
    def lock_path(self) -> Path:
        return self.root / "indexer.lock"

    def _behind(self, spec: IndexSpec) -> str | None:
        return self.cluster._live_index(self.cluster.alias(spec.name))

    def current_name(self) -> str | None:
        names = {spec.name: self._behind(spec) for spec in self.specs.values()}
        return None if None in names.values() else ",".join(f"{k}={v}" for k, v in sorted(names.items()))

    def is_usable(self) -> bool:
        """Whether every alias points at an index built for this version's mapping file
        (its version, and its fields as written); otherwise ``init`` rebuilds."""
        for spec in self.specs.values():
            live = self._behind(spec)
            if live is None or not live.startswith(self.cluster.index_name(spec)):
                return False
            current = self.cluster._send("GET", _path(live, "_mapping"))[live]["mappings"]
            if mapping_changes(current.get("properties", {}), spec.body["mappings"].get("properties", {})) != ([], []):
                return False
        return True

    def loaded(self) -> dict[str, ClusterIndex]:
        """Nothing to let go between drains: a cluster has no writer a process holds."""
        return {}

    def live(self) -> dict[str, ClusterIndex]:
        """Every read and write of the live generation goes through the alias, so a swap
        made by any process is seen at once, without a lookup."""
        return {name: ClusterIndex(self.cluster, spec, self.cluster.alias(name), self.refreshes)
                for name, spec in self.specs.items()}

    def create(self) -> tuple[str, dict[str, ClusterIndex]]:
        """New, empty concrete indexes (not behind the aliases yet)."""
        stamp = self.cluster.reindex_suffix()
        fresh = {}
        for name, spec in self.specs.items():
            target = f"{self.cluster.index_name(spec)}-{stamp}"
            self.cluster._create_index(target, spec)
            fresh[name] = ClusterIndex(self.cluster, spec, target)
        return stamp, fresh

    def swap(self, stamp: str) -> None:
        """Point every alias at the indexes of ``stamp`` in one atomic call, then delete
        the indexes they pointed at before."""
        actions, old = [], []
        for name, spec in self.specs.items():
            alias = self.cluster.alias(name)
            before = self._behind(spec)
            if before is not None:
                actions.append({"remove": {"index": before, "alias": alias}})
                old.append(before)
            actions.append({"add": {"index": f"{self.cluster.index_name(spec)}-{stamp}", "alias": alias}})
        self.cluster._admin("POST", "/_aliases", body={"actions": actions})
        for index in old:
            try:
                self.cluster._send("DELETE", _path(index))
            except MatchmakerError as exc:  # harmless: no alias points at it any more
                log.warning("the old index %s was not deleted: %s", index, exc.message)

    def close(self) -> None:
        """Nothing is held open per process."""


#: The advisory lock the drainers of every host take on PostgreSQL ("mmix").
DRAIN_LOCK = 0x6D6D_6978


class ClusterIndexer(Indexer):
    """The indexer, whose lock also holds across the machines that share a PostgreSQL
    database, and whose drain refreshes once at its end (:class:`Refreshes`)."""

    def _apply_pending(self, known, upto: int | None = None) -> None:
        """The drain's rows, then one refresh of what they wrote, still under the lock, so
        that a drain returns once its writes are visible (a refresh that fails fails the
        drain: the indexer's retry thread sends it again)."""
        with self.folders.refreshes.deferred():
            super()._apply_pending(known, upto)

    @contextmanager
    def exclusive(self, timeout: float | None = LOCK_WAIT) -> Iterator[bool]:
        with super().exclusive(timeout) as taken:
            if not taken or self.store.is_sqlite:
                yield taken  # an SQLite file is on one machine: the flock is enough
                return
            with self.store.connection() as conn:
                deadline = None if timeout is None else time.monotonic() + timeout
                while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": DRAIN_LOCK}).scalar_one():
                    conn.rollback()
                    if deadline is not None and time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.02)
                conn.commit()
                try:
                    yield True
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": DRAIN_LOCK})
                    conn.commit()


class RecordsClusterBackend(EmbeddedBackend):
    """Records in the database, search in an Elasticsearch or OpenSearch cluster."""

    def __init__(self, indexes: dict[str, IndexSpec], store: RecordStore, cluster: ClusterBackend, lock_dir: str | Path):
        super().__init__(indexes, store, Path(lock_dir))
        self.cluster = cluster
        self.folders = ClusterGenerations(cluster, indexes, Path(lock_dir))
        self.indexer = ClusterIndexer(store, self.folders)

    def close(self) -> None:
        super().close()
        self.cluster.close()

    def set_budget(self, time_budget: float | None, statement_timeout: float | None = None) -> None:
        """The records' statement timeout, and the search budget for the cluster's searches."""
        super().set_budget(time_budget, statement_timeout)
        self.cluster.set_budget(time_budget, statement_timeout)

    def init(self) -> None:
        self.store.upgrade()
        self._adopt_cluster_documents()
        super().init()

    def _adopt_cluster_documents(self) -> None:
        """Once, into empty records: the documents a cluster of an earlier version holds
        as the only copy (when the cluster was the store), versions kept; then a rebuild."""
        if self.store.get_state("cluster_adopted") or any(self.store.counts().values()):
            return
        live = [name for name in self.indexes if self.cluster._live_index(self.cluster.alias(name))]
        held = self.cluster._send("POST", "/" + ",".join(self.cluster.alias(n) for n in live) + "/_count")["count"] if live else 0
        moved = 0
        with self.store.transaction():
            for name in live if held else []:
                batch: list[tuple[str, str]] = []
                versions: dict[str, int] = {}
                for doc in self.cluster.scan(name):
                    batch.append((doc["id"], dump(strip_meta(doc))))
                    versions[doc["id"]] = parse_version(doc["version"]) or 1
                    if len(batch) >= BULK_CHUNK:
                        self.store.upsert_many(name, batch, versions=versions, enqueue=False)
                        moved, batch, versions = moved + len(batch), [], {}
                if batch:
                    self.store.upsert_many(name, batch, versions=versions, enqueue=False)
                    moved += len(batch)
            self.store.set_state("cluster_adopted", json.dumps({"documents": moved}))
            if moved:
                self.store.set_state("needs_rebuild", "adopted from the cluster")
        if moved:
            log.warning("took %d documents the cluster held into the records database", moved)
            self.notices.append(f"took {moved} documents from the search cluster into the records database")

    def _drain_written(self) -> None:
        """While the cluster is away a write does not wait on it: its row stays in the
        outbox for the indexer's retry thread, which drains it once the cluster answers.
        Whether it is away is asked once the write has committed (the retry thread's
        last look at the outbox must find a row whose write did not drain)."""
        self.indexer.drain_unless_failing()

    def _leave_held_to_retry(self) -> None:
        """As for one write: the held writes (committed by now) do not wait on a cluster
        away; the retry thread takes their rows."""
        if self.indexer.error is not None:
            self._held.pending = False

    def release_indexing(self) -> None:
        self._leave_held_to_retry()
        super().release_indexing()

    def _catch_up(self) -> None:
        self._leave_held_to_retry()
        super()._catch_up()

    def unseen(self) -> int:
        """The outbox's rows, and an index's refresh still owed (its rows, out of the
        outbox, are written but not yet visible: one more write searches may miss)."""
        return self.store.lag() + self.folders.refreshes.owed()

    def _live(self):
        """The live indexes; 503 while the outbox cannot be drained (the cluster is away)."""
        if self.indexer.error is not None and not self.indexer.drain(timeout=1.0):
            raise SearchEngineAway(reason=str(self.indexer.error),
                                   retry_after=getattr(self.indexer.error, "retry_after", 5))
        return self.folders.live()


def records_backed(config: dict, indexes: dict[str, IndexSpec], cluster: ClusterBackend) -> RecordsClusterBackend:
    """The cluster behind the records database the configuration names (by default
    ``<data dir>/records.sqlite3``, as for the embedded engine)."""
    from ..records import sqlite_url

    data_dir = Path(config["DATA_DIR"])
    store = RecordStore(config.get("DATABASE_URL") or sqlite_url(data_dir / "records.sqlite3"))
    return RecordsClusterBackend(indexes, store, cluster, data_dir / "search-cluster")
