"""A bounded cache of results derived from indexes, invalidated by the indexes' generations.

A backend that can tell cheaply whether an index changed (``SearchBackend.generation``)
lets callers keep what they derived from it -- a page of hits with its facets, a ranking
of institutions -- until the next write to that index, in this process or any other
that shares the data.  This is the role of Solr's query result cache or Elasticsearch's
request cache: repeated searches and match lists cost a lookup, and a write makes the
next read recompute.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class GenerationCache:
    """A thread-safe LRU whose keys include the generations the value was derived from."""

    def __init__(self, size: int = 512):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
