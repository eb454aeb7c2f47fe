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

Group commit.  A write returns once a drain that *started after its commit* has committed
the index: the rows of every write waiting meanwhile, in this process or another, go into
that one drain, with one tantivy commit per index touched (the indexes committed side by
side).  The process that drained last keeps the lock and its open writers while no other
process asks for them (a waiting process announces itself with a shared ``flock`` on
``search/indexer.want``; a watcher thread hands the lock over within milliseconds, and
lets go after :data:`KEEP_IDLE` seconds without writes).  Opening a writer and closing it
(which waits for its merges) costs more than a small commit: a server that takes writes
pays only the commits.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import threading
import time
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

from ..records import RecordStore
from .base import strip_version
from .mappings import IndexSpec

log = logging.getLogger(__name__)
BATCH = 2000
#: Outbox rows a drain stages before it commits the indexes (one commit for a whole bulk
#: load's rows costs less than one every batch, and bounds what waits in memory).
COMMIT_EVERY = 50_000
#: How long a write waits for the index lock (another process draining or swapping) before
#: it returns anyway; its row stays in the outbox for whoever drains next.
LOCK_WAIT = 10.0
RETRY_EVERY = 2.0
#: How long the last process to drain keeps the index lock and its writers without writes.
KEEP_IDLE = 2.0
#: How often the process keeping the lock looks whether another one waits for it.
WATCH_EVERY = 0.005


class Index(Protocol):
    """What the indexer and the backend need of one search index (``TantivyIndex``)."""

    def upsert(self, docs: list[dict], prepared: list | None = None) -> None: ...
    def prepare(self, docs: list[dict]) -> list: ...
    def delete(self, ids) -> None: ...
    def commit(self) -> None: ...
    def search(self, query): ...
    def clear(self) -> None: ...
    def close(self, finish_merges: bool = True) -> None: ...


IndexFactory = Callable[[Path, IndexSpec], Index]


def _take(fd: int, mode: int, timeout: float | None) -> bool:
    """``flock(fd, mode)``, waited for up to ``timeout`` seconds (None: for ever)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.02)


def _open_lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


@contextmanager
def file_lock(path: Path, timeout: float | None, shared: bool = False) -> Iterator[bool]:
    """An ``flock`` on ``path``, waited for up to ``timeout`` seconds (None: for ever);
    yields whether it was taken."""
    fd = _open_lock_file(path)
    try:
        if not _take(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, timeout):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class IndexFolders:
    """The generations of index folders and which one is live, for this process."""

    def __init__(self, root: Path, specs: dict[str, IndexSpec], factory: IndexFactory,
                 layout: Callable[[dict[str, IndexSpec]], object] | None = None):
        self.root = Path(root)
        self.specs = specs
        self.factory = factory
        self.layout = layout  # what the engine's indexes hold beside the mappings' fields, from the mappings
        self._live: tuple[str, dict[str, Index]] | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._pointer = self.root / "CURRENT"
        self._pointer_read: tuple[tuple, str | None] | None = None  # (the file's stat, what it said)

    @property
    def pointer(self) -> Path:
        return self._pointer

    @property
    def lock_path(self) -> Path:
        return self.root / "indexer.lock"

    def current_name(self) -> str | None:
        """The live generation's name, as the pointer file says: read again only when the
        file changed (a swap replaces it: another inode), since every search asks."""
        try:
            stat = os.stat(self._pointer)
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            read = self._pointer_read
            if read is not None and read[0] == stamp:
                return read[1]
            name = self._pointer.read_text().strip() or None
        except FileNotFoundError:
            return None
        self._pointer_read = (stamp, name)
        return name

    def fingerprint(self) -> dict:
        """What a generation was built for: each index's mapping version and fields, and
        the engine's layout (a generation built for an earlier one is rebuilt at start)."""
        found = {name: {"version": spec.version, "fields": sorted(f"{f.path}:{f.type}" for f in spec.fields.values())}
                 for name, spec in sorted(self.specs.items())}
        if self.layout is not None:
            found["layout"] = self.layout(self.specs)
        return found

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
                    index.close(finish_merges=False)  # a generation no longer searched
            return self._live[1]

    def loaded(self) -> dict[str, Index]:
        """The indexes this process has open (none after a fork), without opening any."""
        live = self._live
        return live[1] if live is not None and self._pid == os.getpid() else {}

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


class Known:
    """Index documents already made from records (an import's batches, prepared in its
    worker processes), each with the mark (version, write time) of the record it was made
    for: applied as made while the record still bears that mark, else the record is read
    again.  Batches are added as they are stored, so that one drain indexes and commits
    many."""

    def __init__(self):
        self.docs: dict[str, dict[str, tuple[tuple, dict, object]]] = {}  # index -> id -> (mark, document, prepared)
        self.size = 0

    def add(self, index: str, docs: dict[str, tuple[tuple, dict, object]]) -> "Known":
        mine = self.docs.setdefault(index, {})
        self.size += len(docs.keys() - mine.keys())
        mine.update(docs)
        return self

    def merge(self, other: "Known") -> "Known":
        """``other``'s documents added (a later write's replacing an earlier one's)."""
        for index, docs in other.docs.items():
            self.add(index, docs)
        return self


def apply_rows(store: RecordStore, indexes: dict[str, Index], rows: list[tuple[int, str, str]],
               known: Known | None = None) -> None:
    """Bring ``indexes`` in line with the records named by outbox ``rows`` and commit
    each index touched (side by side: a commit mostly waits for the disk)."""
    commit_all(stage_rows(store, indexes, rows, known))


def stage_rows(store: RecordStore, indexes: dict[str, Index], rows: list[tuple[int, str, str]],
               known: Known | None = None) -> list[Index]:
    """Stage in ``indexes`` what the records named by outbox ``rows`` are now (not
    committed); returns the indexes touched."""
    by_index: dict[str, list[str]] = {}
    for _, index, doc_id in rows:
        by_index.setdefault(index, []).append(doc_id)
    touched = []
    for index, ids in by_index.items():
        target = indexes.get(index)
        if target is None:
            continue  # an index this version no longer has
        ids = list(dict.fromkeys(ids))
        made = known.docs.get(index) if known is not None else None
        if made:
            marks = store.marks(index, [i for i in ids if i in made])
            current = {i for i, mark in marks.items() if made[i][0] == mark}
            ready = [made[i][1:] for i in ids if i in current]
            if ready:
                try:
                    target.upsert([doc for doc, _ in ready], [made for _, made in ready])
                except (ValueError, TypeError):
                    upsert_each(target, index, [strip_version(doc) for doc, _ in ready])
            ids = [i for i in ids if i not in current]
            if not ids:
                touched.append(target)
                continue
        docs = store.get_many(index, ids)
        gone = [doc_id for doc_id in ids if doc_id not in docs]
        if docs:
            upsert_each(target, index, [strip_version(doc) for doc in docs.values()])
        if gone:
            target.delete(gone)
        touched.append(target)
    return touched


def commit_all(targets: list[Index]) -> None:
    """Commit each index, in threads when there are several; the first failure is raised."""
    if len(targets) <= 1:
        for target in targets:
            target.commit()
        return
    failures: list[BaseException] = []

    def commit(target: Index) -> None:
        try:
            target.commit()
        except BaseException as exc:  # raised below, in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=commit, args=(target,), name="matchmaker-commit") for target in targets[1:]]
    for thread in threads:
        thread.start()
    commit(targets[0])
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def release_writers(indexes: dict[str, Index], finish_merges: bool = True) -> None:
    """Let go of each index's writer, so that whichever process drains next can write
    (``finish_merges``: after the merges its commits started, see ``TantivyIndex.close``)."""
    for target in indexes.values():
        target.close(finish_merges)


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


#: Every indexer of this process, so that a forked child can forget their locks (below).
_INDEXERS: "weakref.WeakSet[Indexer]" = weakref.WeakSet()


def _forget_in_child() -> None:
    for indexer in list(_INDEXERS):
        indexer._forget()


class Indexer:
    """Applies the outbox to the live indexes; one process at a time, any process may."""

    def __init__(self, store: RecordStore, folders: IndexFolders):
        self.store = store
        self.folders = folders
        self.error: BaseException | None = None
        self._thread_lock = threading.Lock()
        self._retry: threading.Thread | None = None
        self._kept: int | None = None  # the fd whose flock this process keeps between drains
        self._kept_pid: int | None = None
        self._last_use = 0.0
        self._watcher: threading.Thread | None = None
        self._want_fd: int | None = None
        self._want_pid: int | None = None
        _INDEXERS.add(self)

    @property
    def want_path(self) -> Path:
        return self.folders.root / "indexer.want"

    # -- the index lock, kept between drains ----------------------------------------------
    def _keeps(self) -> bool:
        return self._kept is not None and self._kept_pid == os.getpid()

    def _forget(self) -> None:
        """In a forked child: the lock and the writers are the parent's (closing the copy
        of the descriptor unlocks nothing)."""
        for name in ("_kept", "_want_fd"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            setattr(self, name, None)
        self._watcher = None
        self._thread_lock = threading.Lock()

    def _want(self) -> int:
        if self._want_fd is None or self._want_pid != os.getpid():
            self._want_fd, self._want_pid = _open_lock_file(self.want_path), os.getpid()
        return self._want_fd

    def _someone_waits(self) -> bool:
        fd = self._want()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def _let_go(self, finish_merges: bool = True) -> None:
        """Close the writers (staged changes were committed or are dropped) and unlock;
        ``finish_merges=False`` when another process waits for the lock."""
        try:
            release_writers(self.folders.loaded(), finish_merges)
        finally:
            fd, self._kept = self._kept, None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _keep_or_let_go(self) -> None:
        """After a drain: hand the lock over at once if another process waits; else keep it."""
        if not self._keeps():
            return
        if self._someone_waits():
            self._let_go(finish_merges=False)
            return
        self._last_use = time.monotonic()
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=self._watch, name="matchmaker-indexer-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        """Hand the lock over when idle or asked; checks only while keeping it, under the
        thread lock, so that after :meth:`release` nothing here opens a file again."""
        while True:
            time.sleep(WATCH_EVERY)
            if not self._keeps():
                return
            if not self._thread_lock.acquire(blocking=False):
                continue  # a drain is under way
            try:
                if not self._keeps():
                    return
                idle = time.monotonic() - self._last_use > KEEP_IDLE
                try:
                    waits = self._someone_waits()
                except OSError:  # the want file cannot be opened (a read-only folder): let go
                    waits = False
                    idle = True
                if idle or waits:
                    self._let_go(finish_merges=not waits)
                    return
            finally:
                self._thread_lock.release()

    @contextmanager
    def exclusive(self, timeout: float | None = LOCK_WAIT) -> Iterator[bool]:
        """The index lock of this process and of the data folder (yields whether taken)."""
        if not self._thread_lock.acquire(timeout=-1 if timeout is None else timeout):
            yield False
            return
        try:
            if not self._keeps():
                fd = _open_lock_file(self.folders.lock_path)
                want = self._want()
                _take(want, fcntl.LOCK_SH, None)  # "I wait": the keeper hands over
                try:
                    taken = _take(fd, fcntl.LOCK_EX, timeout)
                finally:
                    fcntl.flock(want, fcntl.LOCK_UN)
                if not taken:
                    os.close(fd)
                    yield False
                    return
                self._kept, self._kept_pid = fd, os.getpid()
            try:
                yield True
            except BaseException:
                self._let_go()
                raise
            self._keep_or_let_go()
        finally:
            self._thread_lock.release()

    def release(self) -> None:
        """Let go of the lock, the writers and the want file now (before a fork, at close):
        nothing of this process stays open in the data folder."""
        with self._thread_lock:
            if self._keeps():
                self._let_go()
            fd, self._want_fd = self._want_fd, None
            if fd is not None and self._want_pid == os.getpid():
                os.close(fd)
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join()  # it sees the lock let go within WATCH_EVERY and ends

    def drain(self, timeout: float | None = LOCK_WAIT, known: Known | None = None, upto: int | None = None) -> bool:
        """Apply every pending row (up to row ``upto``, when given); True when none is
        left, False when the index failed (the rows wait, a thread retries) or the lock
        was not had in time.  ``known``: index documents already made for some of the rows
        (see :class:`Known`)."""
        with self.exclusive(timeout) as taken:
            if not taken:
                return False
            try:
                self._apply_pending(known, upto)
            except Exception as exc:  # the engine failed: writes stand, searches answer 503
                if self.error is None:
                    log.error("search index update failed; writes are kept and will be indexed: %s", exc)
                self.error = exc
                self._let_go()  # drop what was staged: the rows wait
                self._retry_later()
                return False
            self.error = None
            return True

    def _apply_pending(self, known: Known | None, upto: int | None = None) -> None:
        """Apply the outbox's rows in batches, under the lock, until none is left: staged
        in batches of ``BATCH``, committed (and marked applied) every ``COMMIT_EVERY``."""
        indexes = self.folders.live()
        staged: list[int] = []
        touched: dict[int, Index] = {}
        while True:
            rows = self.store.pending(BATCH, after=staged[-1] if staged else 0, upto=upto)
            if rows:
                touched.update((id(t), t) for t in stage_rows(self.store, indexes, rows, known))
                staged.extend(seq for seq, _, _ in rows)
            if staged and (not rows or len(staged) >= COMMIT_EVERY):
                commit_all(list(touched.values()))
                self.store.applied(staged)
                staged, touched = [], {}
            if not rows:
                break

    def drain_unless_failing(self) -> None:
        """A write's drain, called once its transaction has committed: none while the index
        fails (the write does not wait on it; the retry thread takes its row)."""
        if self.error is None:
            self.drain()

    def _retry_later(self) -> None:
        """Drain every :data:`RETRY_EVERY` seconds until a drain succeeds and no row is left.

        The writes committed while the index failed did not drain (see
        :meth:`drain_unless_failing`), and some may have committed after the successful
        drain read the outbox: so the thread looks at the outbox again after ``error`` is
        cleared.  A write that saw ``error`` set had committed before it was cleared, so
        its row is found then; a later one drains by itself."""
        if self._retry is not None and self._retry.is_alive():
            return

        indexer_ref = weakref.ref(self)  # the thread ends with its indexer (a closed backend, a finished test)

        def retry():
            wait = RETRY_EVERY
            while True:
                time.sleep(wait)
                indexer = indexer_ref()
                if indexer is None or (indexer.error is None and not indexer.store.lag()):
                    return
                wait = 0.0 if indexer.drain() else RETRY_EVERY
                del indexer

        self._retry = threading.Thread(target=retry, name="matchmaker-indexer-retry", daemon=True)
        self._retry.start()


os.register_at_fork(after_in_child=_forget_in_child)
