"""Counters every worker process shares: request rates and failed sign-ins.

``serve --workers N`` runs N processes; a count kept in one process's memory lets a
client make N times the attempts (18 wrong passwords before the first 429 with four
workers).  These counters live in one small SQLite file in the data folder
(``counters.sqlite3``, WAL mode), apart from the database of record: they are cheap to
write, need no backup, and survive a restart.  Every method is one short transaction;
times are wall-clock seconds (``time.time``), the same in every process.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

#: what a caller catches when the shared file cannot be used (a full or broken disk)
STORE_ERRORS = (sqlite3.Error, OSError)

SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, window INTEGER NOT NULL, count INTEGER NOT NULL,
                                 PRIMARY KEY (key, window)) WITHOUT ROWID;
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

    # -- fixed windows: requests per minute ----------------------------------------------------
    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Count one event for ``key`` in the current window; (events so far, seconds left)."""
        now = self.clock()
        window = int(now // window_seconds)
        db = self._db()
        (count,) = db.execute(
            "INSERT INTO hits (key, window, count) VALUES (?, ?, 1) "
            "ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count", (key, window)).fetchone()
        if count == 1 and window % 16 == 0:  # now and then: forget old windows
            db.execute("DELETE FROM hits WHERE window < ?", (window - 1,))
        return count, max(1, int((window + 1) * window_seconds - now + 0.999))

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


def counters(app) -> SharedCounters:
    """The app's shared counters, in ``<DATA_DIR>/counters.sqlite3``."""
    found = app.extensions.get("matchmaker.counters")
    if found is None:
        found = app.extensions.setdefault("matchmaker.counters",
                                          SharedCounters(Path(app.config["DATA_DIR"]) / "counters.sqlite3"))
    return found
