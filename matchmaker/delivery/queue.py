"""The deliveries queue: one document per message to send, in the ``deliveries`` index.

``status`` is ``pending`` (waiting for ``next_attempt_at``), ``sent`` or ``failed`` (given
up: after ``DELIVERY_MAX_ATTEMPTS`` tries, or at once when the address is refused).  A
worker claims a due delivery with a compare-and-set that counts the attempt and moves
``next_attempt_at`` past a lease, so two workers never send the same one, and one that
died mid-send is tried again when the lease ends.  Times are the real UTC time (this is
bookkeeping, not the zone's "today")."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from ..errors import Conflict, NotFound
from ..search import Query, SearchBackend, Sort, Terms, Range
from ..search.base import new_id

DELIVERIES = "deliveries"
STATUSES = ("pending", "sent", "failed")
LEASE_SECONDS = 300


#: jitter from a generator of its own: the worker thread never touches the random module's shared state
_JITTER = random.Random()

def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base × 2^(attempts−1),
    at most ``cap``, with "equal jitter" (half fixed, half random) so that many deliveries
    failing together do not all come back in the same second."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or _JITTER).uniform(0, ceiling / 2)


def enqueue(backend: SearchBackend, channel: str, *, kind: str, payload: dict, key: str | None = None,
            now: datetime | None = None, **refs) -> dict | None:
    """Queue one message; with ``key`` queuing the same thing twice leaves one (None the second time)."""
    moment = now or utcnow()
    doc = {"channel": channel, "status": "pending", "kind": kind, "attempts": 0, "next_attempt_at": stamp(moment),
           "payload": payload, "created_at": stamp(moment), "updated_at": stamp(moment),
           **{k: v for k, v in refs.items() if v is not None}}
    try:
        return backend.create(DELIVERIES, doc, doc_id=key or new_id())
    except Conflict:
        return None


def due(backend: SearchBackend, now: datetime, limit: int) -> list[dict]:
    query = Query(filters=[Terms("status", ["pending"]), Range("next_attempt_at", lte=stamp(now))],
                  sort=[Sort("next_attempt_at")], per_page=limit)
    return backend.search(DELIVERIES, query).items


def claim(backend: SearchBackend, delivery_id: str, now: datetime) -> dict | None:
    """Count an attempt and take a lease on a due delivery; None when another worker has it."""
    def take(current: dict):
        if current["status"] != "pending" or current["next_attempt_at"] > stamp(now):
            raise _Taken()
        return {**current, "attempts": int(current.get("attempts", 0)) + 1,
                "next_attempt_at": stamp(now + timedelta(seconds=LEASE_SECONDS)), "updated_at": stamp(now)}

    try:
        return backend.update(DELIVERIES, delivery_id, take)
    except (_Taken, Conflict, NotFound):
        return None


class _Taken(Exception):
    pass


def record(backend: SearchBackend, delivery: dict, now: datetime, *, error: str | None = None, final: bool = False,
           max_attempts: int = 8, base: float = 30, cap: float = 6 * 3600) -> dict:
    """What the attempt gave: sent; or failed for good; or pending again after a backoff."""
    changes: dict = {"updated_at": stamp(now)}
    if error is None:
        changes.update(status="sent", sent_at=stamp(now))
        changes["last_error"] = None
    elif final or delivery["attempts"] >= max_attempts:
        changes.update(status="failed", last_error=error[:500])
    else:
        wait = backoff(delivery["attempts"], base, cap)
        changes.update(status="pending", last_error=error[:500], next_attempt_at=stamp(now + timedelta(seconds=wait)))
    doc = {k: v for k, v in {**delivery, **changes}.items() if v is not None}
    return backend.replace(DELIVERIES, delivery["id"], doc)


def retry(backend: SearchBackend, delivery_id: str, now: datetime | None = None) -> dict:
    """Staff: try a failed delivery again from its first attempt."""
    moment = now or utcnow()

    def again(current: dict):
        if current["status"] != "failed":
            raise Conflict("only a failed delivery is tried again", fields={"status": ["not failed"]})
        return {**current, "status": "pending", "attempts": 0, "next_attempt_at": stamp(moment), "updated_at": stamp(moment)}

    return backend.update(DELIVERIES, delivery_id, again)
