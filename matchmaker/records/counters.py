"""Counters every worker process shares: request rates and failed sign-ins.

``serve --workers N`` runs N processes; a count kept in one process's memory lets a
client make N times the attempts (18 wrong passwords before the first 429 with four
workers).  These counters live in one small SQLite file in the data folder
(``counters.sqlite3``, WAL mode), apart from the database of record: they are cheap to
write, need no backup, and survive a restart.  Every method is one short transaction;
times are wall-clock seconds (``time.time``), the same in every process.

The request rates are Flask-Limiter's (:mod:`matchmaker.core.rate_limits`): its
``limits`` package keeps counts in a *storage*, and those it ships are process memory,
Redis, Memcached and MongoDB.  :class:`CountersStorage` is one more, registered for the
scheme ``matchmaker-counters://``, over this file: what every worker shares, with no
server to run.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from limits.storage import Storage

#: what a caller catches when the shared file cannot be used (a full or broken disk)
STORE_ERRORS = (sqlite3.Error, OSError)

SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE TABLE IF NOT EXISTS lockouts (key TEXT PRIMARY KEY, until REAL NOT NULL) WITHOUT ROWID;
"""


class SharedCounters:
    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time):
        self.path, self.clock = Path(path), clock
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():  # never use a connection across a fork
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            self._local.db, self._local.pid = db, os.getpid()
        return db

    # -- counts that expire: request rates ------------------------------------------------------
    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s count, which starts again from nothing ``expiry``
        seconds after its first event; the count so far."""
        now = self.clock()
        db = self._db()
        (count,) = db.execute(
            "INSERT INTO counts (key, count, expires) VALUES (:key, :amount, :until) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires <= :now THEN excluded.count ELSE count + excluded.count END, "
            "expires = CASE WHEN expires <= :now THEN excluded.expires ELSE expires END RETURNING count",
            {"key": key, "amount": amount, "until": now + expiry, "now": now}).fetchone()
        if count == amount and int(now) % 16 == 0:  # now and then: forget what has expired
            db.execute("DELETE FROM counts WHERE expires <= ?", (now,))
        return count

    def count(self, key: str) -> tuple[int, float]:
        """(``key``'s count, when it expires); (0, now) when it has none."""
        now = self.clock()
        row = self._db().execute("SELECT count, expires FROM counts WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return (row[0], row[1]) if row else (0, now)

    def forget(self, key: str | None = None) -> int:
        """Drop ``key``'s count, or every count; how many were dropped."""
        db = self._db()
        cursor = db.execute("DELETE FROM counts WHERE key = ?", (key,)) if key else db.execute("DELETE FROM counts")
        return cursor.rowcount

    # -- failures in a sliding window, and lockouts ----------------------------------------------
    def add_failure(self, key: str, window_seconds: float) -> int:
        """Record a failure now; how many ``key`` has within the window."""
        now = self.clock()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM failures WHERE key = ? AND at <= ?", (key, now - window_seconds))
            db.execute("INSERT INTO failures (key, at) VALUES (?, ?)", (key, now))
            (count,) = db.execute("SELECT count(*) FROM failures WHERE key = ?", (key,)).fetchone()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    def clear_failures(self, key: str) -> None:
        self._db().execute("DELETE FROM failures WHERE key = ?", (key,))

    def lock(self, key: str, seconds: float) -> None:
        now = self.clock()
        db = self._db()
        db.execute("INSERT INTO lockouts (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until",
                   (key, now + seconds))
        db.execute("DELETE FROM lockouts WHERE until <= ?", (now,))
        db.execute("DELETE FROM failures WHERE key = ?", (key,))

    def unlock(self, key: str) -> None:
        self._db().execute("DELETE FROM lockouts WHERE key = ?", (key,))

    def locked_for(self, keys: list[str]) -> float:
        """Seconds until every one of ``keys`` is unlocked (0 when none is locked)."""
        if not keys:
            return 0.0
        marks = ",".join("?" * len(keys))
        (until,) = self._db().execute(f"SELECT max(until) FROM lockouts WHERE key IN ({marks})", keys).fetchone()
        return max(0.0, (until or 0) - self.clock())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local.db = None


class CountersStorage(Storage):
    """A ``limits`` storage (fixed windows) over :class:`SharedCounters`:
    ``matchmaker-counters:///path/to/counters.sqlite3``, or ``matchmaker-counters://`` with
    the ``counters`` option (the app's own, as :mod:`matchmaker.core.rate_limits` passes)."""

    STORAGE_SCHEME = ["matchmaker-counters"]
    base_exceptions = STORE_ERRORS

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, counters: SharedCounters | None = None,
                 **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if counters is None:
            path = (uri or "").partition("://")[2]
            if not path:
                raise ValueError("matchmaker-counters:// needs the path of the counters file, or the counters option")
            counters = SharedCounters(path)
        self.counters = counters

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.counters.incr(key, expiry, amount)

    def get(self, key: str) -> int:
        return self.counters.count(key)[0]

    def get_expiry(self, key: str) -> float:
        return self.counters.count(key)[1]

    def check(self) -> bool:
        try:
            self.counters.count("check")
        except STORE_ERRORS:
            return False
        return True

    def reset(self) -> int | None:
        return self.counters.forget()

    def clear(self, key: str) -> None:
        self.counters.forget(key)


def counters(app) -> SharedCounters:
    """The app's shared counters, in ``<DATA_DIR>/counters.sqlite3``."""
    found = app.extensions.get("matchmaker.counters")
    if found is None:
        found = app.extensions.setdefault("matchmaker.counters",
                                          SharedCounters(Path(app.config["DATA_DIR"]) / "counters.sqlite3"))
    return found
