"""Faults of the machine rather than of the request: the disk is full, the data folder
cannot be read or written, the database file is damaged, the database server stopped a
statement that ran past its time limit.

:func:`storage_fault` recognises them in whatever the storage engine raised (sqlite3's
errors, an ``OSError``, or a database library's error wrapping either), so that the API
answers 507 or 503 with a sentence instead of a 500, and the command line prints one
line naming the path instead of a traceback.  :func:`check_data_folder` is the quick
look at the data folder that ``serve`` takes at start (it warns) and ``matchmaker check``
reports in full.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
#: Below this much free space the start-up check warns.
LOW_SPACE = 50 * 1024 * 1024
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Fault:
    status: int  # 507 out of space, 503 the folder or database cannot be used
    kind: str  # "full", "denied", "damaged", "slow"
    message: str  # for the API's caller: says what to do, names no path
    path: str | None = None

    def line(self, where: str | Path | None) -> str:
        """The one line the command line prints: the path first."""
        where = self.path or where
        reason = {"full": "no space left on the disk; free some space and try again",
                  "denied": "cannot read or write here; check the folder's owner and permissions",
                  "damaged": "the database file is damaged; restore a backup (matchmaker restore FILE)",
                  "slow": "a statement ran past MATCHMAKER_DATABASE_STATEMENT_TIMEOUT_SECONDS and the database "
                          "stopped it; try again, or raise the limit"}[self.kind]
        return f"{where}: {reason}" if where else reason


MESSAGES = {
    "full": "the server is out of disk space, so nothing was saved; try again later (the operator has been told)",
    "denied": "the server cannot read or write its data folder; try again later (the operator has been told)",
    "damaged": "the server's database is damaged; try again later (the operator has been told)",
    "slow": "the request took longer than the database allows and was stopped; try again shortly",
}
STATUS = {"full": 507, "denied": 503, "damaged": 503, "slow": 503}
#: SQLSTATE of a statement PostgreSQL cancelled (statement_timeout)
QUERY_CANCELED = "57014"


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)  # a database library's wrapper (SQLAlchemy's DBAPIError)
        if isinstance(orig, BaseException):
            yield orig
        exc = exc.__cause__ or exc.__context__


def _kind(exc: BaseException) -> tuple[str, str | None] | None:
    if getattr(exc, "sqlstate", None) == QUERY_CANCELED:  # psycopg's QueryCanceled
        return "slow", None
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in FULL_ERRNOS:
            return "full", exc.filename
        if exc.errno in DENIED_ERRNOS:
            return "denied", exc.filename
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            return "full", None
        if any(s in text for s in ("readonly database", "unable to open database", "disk i/o error", "access permission")):
            return "denied", None
        if any(s in text for s in ("file is not a database", "malformed", "file is encrypted")):
            return "damaged", None
    return None


def storage_fault(exc: BaseException, folder: str | Path | None = None) -> Fault | None:
    """The machine fault behind ``exc``, or None when it is something else.  SQLite says
    only "disk I/O error" when it cannot make its journal files on a full disk, so with
    ``folder`` (the data folder) an I/O error there with no room left counts as full."""
    for link in _chain(exc):
        found = _kind(link)
        if found:
            kind, path = found
            if kind == "denied" and folder is not None and _no_room(path or folder):
                kind = "full"
            return Fault(STATUS[kind], kind, MESSAGES[kind], path)
    return None


def readable_when_full(database: str | Path, exc: BaseException) -> bool:
    """Whether ``database`` may be read as it stands in its file although SQLite could
    not open it (``exc``): the disk is full, so there is no room for the ``-shm`` file
    WAL needs, and the ``-wal`` file is empty or gone (a clean stop checkpointed it), so the
    file holds every committed write.  Such a file is opened read-only and ``immutable``
    (no ``-shm`` needed): reads go on, and writes fail as on any full disk (507)."""
    if not isinstance(exc, sqlite3.OperationalError) or not _no_room(database):
        return False
    try:
        return os.path.getsize(f"{database}-wal") == 0
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _no_room(where: str | Path) -> bool:
    where = Path(where)
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        return shutil.disk_usage(where).free < 1024 * 1024
    except OSError:
        return False


# -- the data folder at a glance --------------------------------------------------------------
def database_files(folder: Path) -> list[Path]:
    """The SQLite files in the data folder (whatever the storage layer names them)."""
    found = []
    for path in sorted(folder.glob("*")):
        if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal", ".partial")):
            try:
                with path.open("rb") as f:
                    head = f.read(16)
            except OSError:
                head = b""
            if path.suffix in (".db", ".sqlite", ".sqlite3") or head == SQLITE_HEADER:
                found.append(path)
    return found


def check_data_folder(folder: str | Path, thorough: bool = False) -> list[str]:
    """Problems with the data folder, one line each naming the path (empty: all well).

    Quick (the start of ``serve``): the folder can be read and written, there is room, and
    each database file has SQLite's header and passes ``PRAGMA quick_check``.
    ``thorough`` (``matchmaker check``): ``PRAGMA integrity_check`` instead.
    """
    folder = Path(folder)
    problems = []
    if not folder.exists():
        return [f"{folder}: the data folder does not exist (matchmaker init makes it)"]
    if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
        return [f"{folder}: the data folder cannot be read and written by this user; check its owner and permissions"]
    try:
        free = shutil.disk_usage(folder).free
        if free < LOW_SPACE:
            problems.append(f"{folder}: only {free // (1024 * 1024)} MiB free on the disk; writes will fail when it fills up")
    except OSError:
        pass
    for path in database_files(folder):
        problems += _check_database(path, thorough)
    return problems


def _check_database(path: Path, thorough: bool) -> list[str]:
    if not os.access(path, os.R_OK | os.W_OK):
        return [f"{path}: cannot be read and written by this user; check its owner and permissions"]
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        return [f"{path}: cannot be read ({exc.strerror})"]
    if head and head[:16] != SQLITE_HEADER:
        return [f"{path}: not an SQLite database (a damaged header); restore a backup"]
    if not head:
        return []  # empty: made on first use
    pragma = "integrity_check" if thorough else "quick_check"
    try:
        try:
            rows = _pragma(f"file:{path}?mode=ro", pragma)
        except sqlite3.OperationalError as exc:
            if not readable_when_full(path, exc):  # else no room for the -shm file: check the file as it stands
                raise
            rows = _pragma(f"file:{path}?mode=ro&immutable=1", pragma)
    except sqlite3.Error as exc:
        return [f"{path}: damaged ({exc}); restore a backup (matchmaker restore FILE)"]
    if rows != ["ok"]:
        return [f"{path}: damaged ({'; '.join(rows[:3])}); restore a backup (matchmaker restore FILE)"]
    return []


def _pragma(uri: str, pragma: str) -> list[str]:
    db = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        return [r[0] for r in db.execute(f"PRAGMA {pragma}(20)").fetchall()]
    finally:
        db.close()
