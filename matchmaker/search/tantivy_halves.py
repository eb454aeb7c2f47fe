"""One ranked query of a large index searched as two halves at once, on two cores; a
search's facets counted beside its page of hits.

tantivy's bindings search a query's segments one after the other, in one thread, and let
go of the interpreter while they do.  A deal flow ranks every eligible need by two to four
dozen weighted clauses, and at 1M needs that is one query of 80–150 ms: tantivy's cost is
about the documents in the stretch of each segment it walks.  Cut by indexing order (the
``_seq`` fast field), each half walks about half of every segment, so the two run side by
side in 67–87% of the time at 1M needs (a venture capital's deal flow in 107 ms instead of
143, a bank's in 166 instead of 218) and 80–95% at 100k.

A text search with facets is two passes of tantivy over its hits: the best page (with
the count) and the aggregation of the facets.  They do not depend on each other, so the
aggregation runs in a helper while the page is read, on large indexes (at 1M needs 电池 in
3.7 instead of 4.4 ms, for 19% more CPU; at 100k the hand-over costs more than it saves).

Work goes to a helper only while a core is idle and a helper thread free: on a loaded
server, whose cores are busy anyway, cutting would only add the halves' cost (10–30% more
CPU than the whole) and the hand-over's, so the query runs whole in its own thread.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter

import tantivy

CORES = os.cpu_count() or 2
#: Helper threads per process: one per core beside the one that asks.
HELPERS = max(1, CORES - 1)
_SCORE = itemgetter(0)


@dataclass
class Found:
    """What ``Searcher.search`` answers, for the two halves together."""

    hits: list
    count: int


class Halves:
    """The helper threads of this process (made again in a forked child, which has none)."""

    def __init__(self, helpers: int = HELPERS):
        self.helpers = helpers
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._free = threading.BoundedSemaphore(helpers)

    def _helpers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self.helpers, thread_name_prefix="tantivy-half")
                self._pid = os.getpid()
            return self._pool

    def forget(self) -> None:
        """In a forked child: the parent's threads and their slots are not there."""
        self._lock = threading.Lock()
        self._pool, self._pid = None, None
        self._free = threading.BoundedSemaphore(self.helpers)

    def search(self, searcher: tantivy.Searcher, whole: tantivy.Query, halves: tuple, limit: int):
        """The best ``limit`` hits of ``whole`` and its count, the first half searched in
        this thread and the second in a helper; ``whole`` alone when no core or helper is free.

        The best ``limit`` of the two halves' best ``limit`` each are the best of all, and
        where a score's tie ends among them (what :class:`~.tantivy_index._Ranking` reads
        ties by) is where it ends in the whole: a half that was cut off scored its last hit
        at or below the merged list's last score."""
        second = self.beside(searcher.search, halves[1], limit, True)
        if second is None:
            return searcher.search(whole, limit, count=True)
        try:
            first = searcher.search(halves[0], limit, count=True)
        finally:
            other = second.result()
        hits = sorted([*first.hits, *other.hits], key=_SCORE, reverse=True)[:limit]
        return Found(hits, first.count + other.count)

    def beside(self, fn, *args) -> Future | None:
        """``fn(*args)`` started in a helper, when a core is idle and a helper free (its
        answer, or what it raised, then comes from the future's ``result()``); else None,
        and the caller runs it in its own thread."""
        if not spare_core() or not self._free.acquire(blocking=False):
            return None
        try:
            started = self._helpers().submit(fn, *args)
        except BaseException:
            self._free.release()
            raise
        started.add_done_callback(lambda _: self._free.release())
        return started


def spare_core() -> bool:
    """Whether a core is idle beside the asking thread's: the kernel's count of the tasks
    running now (``/proc/loadavg``, the asker among them) is below the cores'; True where
    there is no such file."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running < CORES


HALVES = Halves()
os.register_at_fork(after_in_child=HALVES.forget)
