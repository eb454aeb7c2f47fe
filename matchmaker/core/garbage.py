"""Fewer garbage collections through bulk work (an import), for the whole process.

CPython's cyclic collector runs after every 700 new container objects, and from time to
time walks every object alive.  An import holds tens of thousands of documents alive (the
batches in flight, the index documents one drain applies, the enterprises' facts), so
those full walks came back again and again over the same objects: in an import of
60,000 needs they took about a quarter of the parent's CPU and a fifth of the workers'
(on 2 cores: 4,450-4,730 needs/s without this, 5,130-5,850 with it).  Reference counting
frees almost everything an import drops; the collector is only needed for cycles, which
an import makes few of (a rejected line's exception, say).
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

#: New container objects between two young collections while bulk work runs (700 by
#: default): still a collection every few batches, so that the few cycles made are freed.
BULK_YOUNG = 100_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Inside: what is alive already is left out of every collection (``gc.freeze``:
    the application, the schemas, and what a forked worker inherits, which the collector
    then does not touch page by page), and young collections run rarely.  Process-wide,
    so for a CLI's bulk work, not a request among others.  Nested uses keep the outer one."""
    if gc.get_freeze_count() and gc.get_threshold()[0] == BULK_YOUNG:
        yield  # inside one already
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BULK_YOUNG, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
