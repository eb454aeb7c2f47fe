"""The search indexes derived from the records, and the one indexer that keeps them in line.

The index folders live in ``<data dir>/search/``: one folder per *generation*
(``g-<time>-<random>/<index>/``), and ``CURRENT`` names the live one.  A rebuild fills a new
generation and then replaces ``CURRENT`` (a rename: atomic); every process notices the
new name before its next search or write and opens it.

The :class:`Indexer` applies outbox rows: for each row it reads the record as it is *now*
and upserts it (or deletes it when the record is gone), so applying a row twice, or an
old row after a newer one, changes nothing -- at least once is enough.  Only one process
writes at a time (an ``flock`` on ``search/indexer.lock``), so there is one tantivy
writer; a process that wants its write searchable drains the outbox itself under that
lock, and a thread retries when the index failed.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import threading
import weakref
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

from ..records import RecordStore
from .base import strip_version
from .mappings import IndexSpec

log = logging.getLogger(__name__)
BATCH = 2000
#: How long a write waits for the index lock (another process draining or swapping) before
#: it returns anyway; its row stays in the outbox for whoever drains next.
LOCK_WAIT = 10.0
RETRY_EVERY = 2.0


class Index(Protocol):
    """What the indexer and the backend need of one search index (``TantivyIndex``)."""

    def upsert(self, docs: list[dict]) -> None: ...
    def delete(self, ids) -> None: ...
    def commit(self) -> None: ...
    def search(self, query): ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


IndexFactory = Callable[[Path, IndexSpec], Index]


@contextmanager
def file_lock(path: Path, timeout: float | None, shared: bool = False) -> Iterator[bool]:
    """An ``flock`` on ``path``, waited for up to ``timeout`` seconds (None: for ever);
    yields whether it was taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class IndexFolders:
    """The generations of index folders and which one is live, for this process."""

    def __init__(self, root: Path, specs: dict[str, IndexSpec], factory: IndexFactory):
        self.root = Path(root)
        self.specs = specs
        self.factory = factory
        self._live: tuple[str, dict[str, Index]] | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def lock_path(self) -> Path:
        return self.root / "indexer.lock"

    def current_name(self) -> str | None:
        try:
            return self.pointer.read_text().strip() or None
        except FileNotFoundError:
            return None

    def fingerprint(self) -> dict:
        """What a generation was built for: each index's mapping version and fields."""
        return {name: {"version": spec.version, "fields": sorted(f"{f.path}:{f.type}" for f in spec.fields.values())}
                for name, spec in sorted(self.specs.items())}

    def is_usable(self) -> bool:
        """Whether a live generation exists and was built for the mappings of this version."""
        name = self.current_name()
        if name is None:
            return False
        try:
            return json.loads((self.root / name / "mappings.json").read_text()) == self.fingerprint()
        except (OSError, ValueError):
            return False

    def live(self) -> dict[str, Index]:
        """The live generation's indexes, opened once per process and again after a swap."""
        name = self.current_name()
        if name is None:
            raise FileNotFoundError(f"no search index in {self.root} (run matchmaker init)")
        live = self._live
        if live is not None and live[0] == name and self._pid == os.getpid():
            return live[1]
        with self._lock:
            live = self._live
            if live is None or live[0] != name or self._pid != os.getpid():
                old = live[1] if live is not None and self._pid == os.getpid() else {}
                self._live = (name, self.open(name))
                self._pid = os.getpid()
                for index in old.values():
                    index.close()
            return self._live[1]

    def open(self, name: str) -> dict[str, Index]:
        return {index: self.factory(self.root / name / index, spec) for index, spec in self.specs.items()}

    def create(self) -> tuple[str, dict[str, Index]]:
        """A new, empty generation (not live yet)."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        name = f"g-{stamp}-{secrets.token_hex(3)}"
        folder = self.root / name
        folder.mkdir(parents=True)
        (folder / "mappings.json").write_text(json.dumps(self.fingerprint()))
        return name, self.open(name)

    def swap(self, name: str) -> None:
        """Make generation ``name`` live (atomically), and remove all but it and the one before."""
        previous = self.current_name()
        draft = self.root / f".CURRENT.{os.getpid()}"
        draft.write_text(name + "\n")
        os.replace(draft, self.pointer)
        keep = {name, previous}
        for folder in self.root.glob("g-*"):
            if folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._live is not None and self._pid == os.getpid():
                for index in self._live[1].values():
                    index.close()
            self._live = None


def apply_rows(store: RecordStore, indexes: dict[str, Index], rows: list[tuple[int, str, str]]) -> None:
    """Bring ``indexes`` in line with the records named by outbox ``rows`` and commit."""
    by_index: dict[str, list[str]] = {}
    for _, index, doc_id in rows:
        by_index.setdefault(index, []).append(doc_id)
    for index, ids in by_index.items():
        target = indexes.get(index)
        if target is None:
            continue  # an index this version no longer has
        ids = list(dict.fromkeys(ids))
        docs = store.get_many(index, ids)
        gone = [doc_id for doc_id in ids if doc_id not in docs]
        if docs:
            upsert_each(target, index, [strip_version(doc) for doc in docs.values()])
        if gone:
            target.delete(gone)
        target.commit()


def release_writers(indexes: dict[str, Index]) -> None:
    """Let go of each index's writer, so that whichever process drains next can write."""
    for target in indexes.values():
        target.close()


def upsert_each(target: Index, index: str, docs: list[dict]) -> None:
    """Upsert ``docs``; when the index refuses the batch (a value it cannot take), each
    one alone, leaving out -- and logging -- only those it refuses: one odd record must
    not stop every later one from being indexed."""
    try:
        target.upsert(docs)
    except (ValueError, TypeError):
        for doc in docs:
            try:
                target.upsert([doc])
            except (ValueError, TypeError) as exc:
                log.error("%s %s cannot be indexed and is left out of search: %s", index, doc.get("id"), exc)


class Indexer:
    """Applies the outbox to the live indexes; one process at a time, any process may."""

    def __init__(self, store: RecordStore, folders: IndexFolders):
        self.store = store
        self.folders = folders
        self.error: BaseException | None = None
        self._thread_lock = threading.Lock()
        self._retry: threading.Thread | None = None

    @contextmanager
    def exclusive(self, timeout: float | None = LOCK_WAIT) -> Iterator[bool]:
        """The index lock of this process and of the data folder (yields whether taken)."""
        if not self._thread_lock.acquire(timeout=-1 if timeout is None else timeout):
            yield False
            return
        try:
            with file_lock(self.folders.lock_path, timeout) as taken:
                yield taken
        finally:
            self._thread_lock.release()

    def drain(self, timeout: float | None = LOCK_WAIT) -> bool:
        """Apply every pending row; True when the outbox is empty, False when the index
        failed (the rows wait, a thread retries) or the lock was not had in time."""
        with self.exclusive(timeout) as taken:
            if not taken:
                return False
            indexes = {}
            try:
                indexes = self.folders.live()
                while True:
                    rows = self.store.pending(BATCH)
                    if not rows:
                        break
                    apply_rows(self.store, indexes, rows)
                    self.store.applied([seq for seq, _, _ in rows])
            except Exception as exc:  # the engine failed: writes stand, searches answer 503
                if self.error is None:
                    log.error("search index update failed; writes are kept and will be indexed: %s", exc)
                self.error = exc
                self._retry_later()
                return False
            finally:
                release_writers(indexes)
            self.error = None
            return True

    def _retry_later(self) -> None:
        if self._retry is not None and self._retry.is_alive():
            return

        indexer_ref = weakref.ref(self)  # the thread ends with its indexer (a closed backend, a finished test)

        def retry():
            while True:
                time.sleep(RETRY_EVERY)
                indexer = indexer_ref()
                if indexer is None or indexer.error is None:
                    return
                indexer.drain()
                del indexer

        self._retry = threading.Thread(target=retry, name="matchmaker-indexer-retry", daemon=True)
        self._retry.start()
