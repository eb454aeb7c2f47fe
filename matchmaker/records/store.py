"""The database of record: documents with versions, and the outbox, through SQLAlchemy Core.

An SQLite file in the data folder by default (WAL, a busy timeout, write transactions
that take the write lock when they begin), PostgreSQL (psycopg 3) when the configuration
names a ``postgresql://`` URL.  The schema is created and upgraded by the Alembic
migrations in ``migrations/`` (:meth:`RecordStore.upgrade`), never guessed at.

Write transactions are serialized on both: SQLite has one writer by design, and on
PostgreSQL each write transaction first takes one advisory lock.  So a check and the
write it guards (a meeting's overlap, a read-modify-write) need nothing more than
running in one :meth:`RecordStore.transaction`.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, cast, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.exc import DisconnectionError

from ..errors import ConfigurationError, DuplicateDocument, IntegerPastRecords, NoSuchDocument, check_version
from ..faults import readable_when_full
from .tables import derived, documents, outbox, record_state

MIGRATIONS = Path(__file__).with_name("migrations")
#: The one advisory lock every PostgreSQL write transaction takes (any fixed number works).
WRITE_LOCK = 0x6D6D_7265  # "mmre"
_BATCH = 500
#: The body as the UTF-8 bytes SQLite holds, on its driver: orjson reads them as they
#: are, where a str the driver made it would encode again (0.17 against 0.21 ms for a page of 20).
_BODY_BYTES = "CAST(body AS BLOB)"
#: How long a pooled read-only stand-in for a full disk's database is used before the
#: next checkout tries for a writable connection again (the disk may have room by then).
READ_ONLY_SECONDS = 2.0


class _ReadOnlyConnection(sqlite3.Connection):
    """A connection to a full disk's database as it stands in its file (see
    :func:`~matchmaker.faults.readable_when_full`); ``until``: when to try for a writable one."""

    until = 0.0


def _by_ids(columns: str, count: int) -> str:
    """The SQL of ``columns`` of an index's records with one of ``count`` ids (parameters:
    the index, then the ids), for SQLite's own driver."""
    return f"SELECT {columns} FROM documents WHERE index_name = ? AND id IN ({','.join('?' * count)})"


def utc_stamp() -> str:
    """When a row was written: the real time, not the configured "today" (this is bookkeeping)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


#: What orjson writes a body with: a datetime or a dataclass is refused as the standard
#: library refuses it (orjson would write it), by falling back to it.
_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: The integers orjson writes, and reads back as integers (past them it reads a float).
_INT_LOW, _INT_HIGH = -2**63, 2**64 - 1
#: A run of 19 digits, looked for with every digit made 0 (1.5 us for a body, where a
#: regular expression took 15): in a JSON text, the only way to hold an integer past those
#: (-2**63 has 19 digits).  A body with one (written before orjson wrote the bodies, or
#: a string of digits) is read by the standard library.
_DIGITS_TO_ZERO, _LONG_DIGITS = bytes.maketrans(b"123456789", b"000000000"), b"0" * 19
#: What :func:`dump` starts a body with, and no body written before it starts with (the
#: standard library's JSON starts with its first value): a body :func:`dump` wrote holds
#: no integer past 64 bits (it refuses them), so :func:`load` reads it without looking
#: for one (1-2.5 us of a 1 KB body: 50 us of a page of 20 needs).  JSON allows it.
_DUMPED = " "
_DUMPED_BYTES = _DUMPED.encode()


def dump(body: dict) -> str:
    """A record body as JSON text, written by orjson (a tenth of the standard library's
    time).  Refuses an integer past 64 bits (:class:`IntegerPastRecords`, naming its
    field), which :func:`load` could not read back.  What orjson would write otherwise
    than the standard library -- NaN and the infinities as null, keys that are not
    strings, a datetime -- is written by the standard library, as before."""
    try:
        text = orjson.dumps(body, option=_DUMP_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        _refuse_long_integers(body)
        return _DUMPED + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if b"null" in text and not _reads_back(text, body) and not _all_finite(body):
        return _DUMPED + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return _DUMPED + text.decode("utf-8")


def _reads_back(text: bytes, body: dict) -> bool:
    """Whether ``text`` reads back equal to ``body``: then no NaN or infinity was written
    as null (it would read back as None).  Reading back costs a third of walking the body
    for its floats (:func:`_all_finite`), which only a body that differs (a tuple, a NaN)
    still needs."""
    return orjson.loads(text) == body


def load(body: str | bytes) -> dict:
    """A record body as ``json.loads`` reads it, by orjson (a third of its time) where
    orjson reads the same: not where an integer may be past 64 bits (:data:`_LONG_DIGITS`),
    nor a text orjson refuses (NaN and the infinities the standard library writes)."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    if raw.startswith(_DUMPED_BYTES) or _LONG_DIGITS not in raw.translate(_DIGITS_TO_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _walk(value) -> Iterator:
    """Every value within ``value``, and each dict's keys, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack += item.keys()
            stack += item.values()
        elif isinstance(item, (list, tuple)):
            stack += item


def _all_finite(body) -> bool:
    return all(math.isfinite(v) for v in _walk(body) if isinstance(v, float))


def _refuse_long_integers(body: dict) -> None:
    """Raise :class:`IntegerPastRecords` naming the first field (a dotted path) that holds
    an integer past what orjson writes."""
    stack = [(body, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool) and not _INT_LOW <= item <= _INT_HIGH:
            raise IntegerPastRecords(field=where or "_schema", on_field=where or "_schema")
        if isinstance(item, dict):
            stack += ((child, f"{where}.{key}" if where else str(key)) for key, child in reversed(item.items()))
        elif isinstance(item, (list, tuple)):
            stack += ((child, f"{where}.{n}" if where else str(n)) for n, child in reversed(list(enumerate(item))))


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def _conditions(equal: dict[str, list] | None, between: dict[str, tuple] | None) -> list[tuple]:
    """What :meth:`RecordStore.scan` narrows by in SQL: (field, numeric, values) for one
    of some values (left out when it mixes strings and numbers), (field, True, None, low,
    high) for a number within bounds."""
    conditions = []
    for field, values in (equal or {}).items():
        numbers = [v for v in values if not isinstance(v, str)]
        if numbers and len(numbers) < len(values):
            continue  # strings and numbers at once: not narrowed here
        conditions.append((field, bool(numbers), list(values)))
    for field, (low, high) in (between or {}).items():
        conditions.append((field, True, None, low, high))
    return conditions


class RecordStore:
    """Documents of record for every index, and the outbox rows written with them."""

    def __init__(self, url: str):
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ConfigurationError(
                f"MATCHMAKER_DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST/DB, not {url.split(':')[0]}:..."
            )
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        self.url = url
        self.is_sqlite = url.startswith("sqlite:")
        #: seconds PostgreSQL lets one statement run (None: no limit); migrations have none
        self.statement_timeout: float | None = None
        self._engines: tuple[Engine, Engine] | None = None
        self._pid: int | None = None
        self._local = threading.local()
        self._engine_lock = threading.Lock()

    # -- engines ------------------------------------------------------------------------
    def _make_engines(self) -> tuple[Engine, Engine]:
        if not self.is_sqlite:
            options = {"options": f"-c statement_timeout={int(self.statement_timeout * 1000)}"} if self.statement_timeout else {}
            engine = create_engine(self.url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args=options)
            return engine, engine
        Path(self.url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        return self._sqlite_engine(immediate=True), self._sqlite_engine(immediate=False)

    def _sqlite_engine(self, immediate: bool) -> Engine:
        """pysqlite's own transaction handling is switched off, so that SQLAlchemy's
        begin is a real BEGIN: IMMEDIATE for writers (the write lock up front, so two
        read-modify-writes cannot deadlock on upgrading), deferred for readers."""
        path = self.url[len("sqlite:///"):]

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                conn.close()
                if not readable_when_full(path, exc):
                    raise
                # no room for the -shm file WAL needs: read the file as it stands; writes fail (507)
                conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False,
                                       isolation_level=None, factory=_ReadOnlyConnection)
                conn.until = time.monotonic() + READ_ONLY_SECONDS
            return conn

        engine = create_engine(self.url, creator=connect, pool_size=16, max_overflow=16)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, record):
            for pragma in ("synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
                dbapi_connection.execute(f"PRAGMA {pragma}")
            record.info["fresh"] = True

        @event.listens_for(engine, "checkout")
        def _checkout(dbapi_connection, record, _proxy):
            fresh = record.info.pop("fresh", False)
            if not fresh and isinstance(dbapi_connection, _ReadOnlyConnection) and time.monotonic() >= dbapi_connection.until:
                raise DisconnectionError("a read-only stand-in for a full disk: try for a writable connection")

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _engines_here(self) -> tuple[Engine, Engine]:
        """The engines of this process: a forked worker makes its own (no connection crosses a fork)."""
        if self._engines is None or self._pid != os.getpid():
            with self._engine_lock:
                if self._engines is None or self._pid != os.getpid():
                    if self._engines is not None:
                        for engine in set(self._engines):
                            engine.dispose(close=False)
                    self._engines, self._pid = self._make_engines(), os.getpid()
        return self._engines

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection of its own, outside the store's transactions: for what lives in the
        database session rather than in one transaction (a session-level advisory lock)."""
        writer, _ = self._engines_here()
        with writer.connect() as conn:
            yield conn

    def close(self) -> None:
        if self._engines is not None and self._pid == os.getpid():
            for engine in set(self._engines):
                engine.dispose()
        self._engines = None

    # -- schema -------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creating it on a new database)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.transaction() as conn:
            if not self.is_sqlite:
                conn.execute(text("SET LOCAL statement_timeout = 0"))  # a migration may take long: let it
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.reading() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- transactions -------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction; nested calls join the outer one.  Callbacks registered
        with :meth:`after_commit` run once the outermost one committed."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        writer, _ = self._engines_here()
        self._local.after = []
        with writer.connect() as conn:
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
                self._local.conn = conn
                try:
                    yield conn
                finally:
                    self._local.conn = None
        callbacks, self._local.after = self._local.after, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the current transaction commits (at once outside one)."""
        if self.in_transaction:
            if callback not in self._local.after:
                self._local.after.append(callback)
        else:
            callback()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with: the current write transaction's, or a read transaction."""
        conn = getattr(self._local, "conn", None) or getattr(self._local, "snapshot", None)
        if conn is not None:
            yield conn
            return
        _, reader = self._engines_here()
        with reader.connect() as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read of this thread inside sees one committed state (a backup while
        writes go on): one read transaction, repeatable read on PostgreSQL."""
        _, reader = self._engines_here()
        options = {} if self.is_sqlite else {"isolation_level": "REPEATABLE READ"}
        with reader.connect().execution_options(**options) as conn:
            with conn.begin():
                self._local.snapshot = conn
                try:
                    yield
                finally:
                    self._local.snapshot = None

    # -- reads --------------------------------------------------------------------------
    @staticmethod
    def _doc(doc_id: str, version: int, body: str) -> dict:
        """The record as the backends give it: its body with its id and version (set in
        the dict read, not merged into a new one: a page of 20 needs in 10 us less)."""
        doc = load(body)
        doc["id"], doc["version"] = doc_id, str(version)
        return doc

    def get(self, index: str, doc_id: str) -> dict | None:
        if self._lean_read():
            return self._get_many_sqlite(index, [doc_id]).get(doc_id)
        with self.reading() as conn:
            row = conn.execute(
                select(documents.c.version, documents.c.body).where(
                    documents.c.index_name == index, documents.c.id == doc_id)
            ).first()
        return self._doc(doc_id, *row) if row else None

    def get_many(self, index: str, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(dict.fromkeys(ids))
        if len(ids) <= _BATCH and self._lean_read():
            return self._get_many_sqlite(index, ids)
        found = {}
        with self.reading() as conn:
            if self.is_sqlite:
                rows = self._rows_by_id(conn, index, f"id, version, {_BODY_BYTES}", ids)
                return {doc_id: self._doc(doc_id, version, body) for doc_id, version, body in rows}
            for start in range(0, len(ids), _BATCH):
                rows = conn.execute(
                    select(documents.c.id, documents.c.version, documents.c.body).where(
                        documents.c.index_name == index, documents.c.id.in_(ids[start:start + _BATCH]))
                )
                found.update((doc_id, self._doc(doc_id, version, body)) for doc_id, version, body in rows)
        return found

    @staticmethod
    def _rows_by_id(conn: Connection, index: str, columns: str, ids: list[str]) -> Iterator[tuple]:
        """``columns`` of the records named, read in ``conn``'s transaction by SQLite's
        own driver, :data:`_BATCH` ids a statement: SQLAlchemy compiling and binding an IN
        of 500 ids cost more than the read (an import reads each batch's records, and the
        drain their marks)."""
        raw = conn.connection.driver_connection
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            yield from raw.execute(_by_ids(columns, len(chunk)), (index, *chunk))

    def _lean_read(self) -> bool:
        """Whether a read by id may skip SQLAlchemy (:meth:`_get_many_sqlite`): on SQLite,
        outside this thread's transaction or snapshot."""
        return self.is_sqlite and not (getattr(self._local, "conn", None) or getattr(self._local, "snapshot", None))

    def _get_many_sqlite(self, index: str, ids: list[str]) -> dict[str, dict]:
        """Documents by id (a search's page, a token's account) read in one statement on
        the SQLite driver (:meth:`_driver_rows`)."""
        if not ids:
            return {}
        sql = _by_ids(f"id, version, {_BODY_BYTES}", len(ids))
        return {doc_id: self._doc(doc_id, version, body) for doc_id, version, body in self._driver_rows(sql, (index, *ids))}

    def _driver_rows(self, sql: str, params: tuple) -> list[tuple]:
        """Rows of one statement run on a pooled connection's own driver, outside a
        transaction (one SELECT reads one committed state on its own): what SQLAlchemy
        adds around it (a Connection, its BEGIN and COMMIT, compiling the select: about
        0.25 ms) cost more than the read itself (0.01 ms)."""
        _, reader = self._engines_here()
        raw = reader.raw_connection()
        try:
            return raw.driver_connection.execute(sql, params).fetchall()
        finally:
            raw.close()

    def marks(self, index: str, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """(version, write time) of each record named that exists: which write it holds,
        read without its body."""
        ids = list(dict.fromkeys(ids))
        found = {}
        with self.reading() as conn:
            if self.is_sqlite:
                return {doc_id: (version, stamp) for doc_id, version, stamp in self._rows_by_id(conn, index, "id, version, updated_at", ids)}
            for start in range(0, len(ids), _BATCH):
                found.update((doc_id, (version, stamp)) for doc_id, version, stamp in conn.execute(
                    select(documents.c.id, documents.c.version, documents.c.updated_at).where(
                        documents.c.index_name == index, documents.c.id.in_(ids[start:start + _BATCH]))))
        return found

    def scan(self, index: str, batch: int = _BATCH, equal: dict[str, list] | None = None,
             between: dict[str, tuple] | None = None) -> Iterator[dict]:
        """Every document of ``index`` in id order, read in batches (each its own read);
        ``equal`` narrows in SQL to documents whose top-level field (or ``id``) is one of
        the values given (strings, or numbers: not booleans), ``between`` to those whose
        top-level numeric field lies within (low, high), either bound None for open."""
        conditions = _conditions(equal, between)
        narrowing = None  # the conditions as SQLAlchemy expressions, made when first needed
        last = None
        while True:
            if self._lean_read():
                rows = self._scan_batch_sqlite(index, conditions, last, batch)
            else:
                if narrowing is None:
                    narrowing = [self._expression(*condition) for condition in conditions]
                query = select(documents.c.id, documents.c.version, documents.c.body).where(
                    documents.c.index_name == index, *narrowing)
                if last is not None:
                    query = query.where(documents.c.id > last)
                with self.reading() as conn:
                    rows = conn.execute(query.order_by(documents.c.id).limit(batch)).all()
            for row in rows:
                yield self._doc(*row)
            if len(rows) < batch:
                return  # the last batch: no read to find there is none after it
            last = rows[-1][0]

    def _expression(self, field: str, numeric: bool, values: list | None, low=None, high=None):
        """One of :func:`_conditions` as an SQLAlchemy expression."""
        column = self._number(field) if numeric else self._field(field)
        if values is not None:
            return column.in_(values)
        bounds = [column.is_not(None)]
        if low is not None:
            bounds.append(column >= low)
        if high is not None:
            bounds.append(column <= high)
        return and_(*bounds)

    def _scan_batch_sqlite(self, index: str, conditions: list[tuple], last: str | None, batch: int) -> list[tuple]:
        """One batch of :meth:`scan` on the SQLite driver (see :meth:`_driver_rows`): the
        same statement as SQLAlchemy's, written out (on SQLite a field, text or number, is
        ``json_extract(body, '$."field"')``)."""
        sql, params = [f"SELECT id, version, {_BODY_BYTES} FROM documents WHERE index_name = ?"], [index]
        for field, _numeric, values, *bounds in conditions:
            column = "id" if field == "id" else "json_extract(body, ?)"
            path = [] if field == "id" else [f'$."{field}"']
            if values is not None:
                sql.append(f"{column} IN ({','.join('?' * len(values))})")
                params += [*path, *values]
                continue
            sql.append(f"{column} IS NOT NULL")
            params += path
            for bound, operator in zip(bounds, (">=", "<=")):
                if bound is not None:
                    sql.append(f"{column} {operator} ?")
                    params += [*path, bound]
        if last is not None:
            sql.append("id > ?")
            params.append(last)
        return self._driver_rows(" AND ".join(sql) + " ORDER BY id LIMIT ?", (*params, batch))

    def _field(self, field: str):
        """A top-level field of the JSON body as text, in SQL."""
        if field == "id":
            return documents.c.id
        if self.is_sqlite:
            return func.json_extract(documents.c.body, f'$."{field}"')
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(documents.c.body, JSONB)[field].astext

    def _number(self, field: str):
        """A top-level numeric field of the JSON body, in SQL (NULL when absent)."""
        if self.is_sqlite:
            return func.json_extract(documents.c.body, f'$."{field}"')
        from sqlalchemy import Numeric
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(cast(documents.c.body, JSONB)[field].astext, Numeric)

    def count(self, index: str) -> int:
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(documents).where(documents.c.index_name == index)).scalar_one()

    # -- writes (each inside a transaction: the caller's, or one of its own) ----------------
    def _enqueue(self, conn: Connection, index: str, ids: list[str], op: str) -> None:
        stamp = utc_stamp()
        conn.execute(insert(outbox), [{"index_name": index, "doc_id": doc_id, "op": op, "enqueued_at": stamp} for doc_id in ids])

    def current(self, conn: Connection, index: str, doc_id: str, lock: bool = False) -> tuple[int, str] | None:
        query = select(documents.c.version, documents.c.body).where(documents.c.index_name == index, documents.c.id == doc_id)
        if lock and not self.is_sqlite:
            query = query.with_for_update()
        return conn.execute(query).first()

    def create(self, index: str, doc_id: str, body: dict) -> dict:
        text = dump(body)
        with self.transaction() as conn:
            if self.current(conn, index, doc_id) is not None:
                raise DuplicateDocument(kind=index, id=doc_id, fields={"id": ["already exists"]})
            conn.execute(insert(documents).values(index_name=index, id=doc_id, version=1, body=text,
                                                  updated_at=utc_stamp()))
            self._enqueue(conn, index, [doc_id], "upsert")
        return {"id": doc_id, **body, "version": "1"}

    def replace(self, index: str, doc_id: str, body: dict, expected_version=None) -> dict:
        text = dump(body)
        with self.transaction() as conn:
            row = self.current(conn, index, doc_id, lock=True)
            if row is None:
                raise NoSuchDocument(kind=index, id=doc_id)
            check_version(doc_id, row[0], expected_version)
            version = row[0] + 1
            conn.execute(update(documents).where(documents.c.index_name == index, documents.c.id == doc_id)
                         .values(version=version, body=text, updated_at=utc_stamp()))
            self._enqueue(conn, index, [doc_id], "upsert")
        return {"id": doc_id, **body, "version": str(version)}

    def delete(self, index: str, doc_id: str, expected_version=None) -> None:
        with self.transaction() as conn:
            row = self.current(conn, index, doc_id, lock=True)
            if row is None:
                raise NoSuchDocument(kind=index, id=doc_id)
            check_version(doc_id, row[0], expected_version)
            conn.execute(delete(documents).where(documents.c.index_name == index, documents.c.id == doc_id))
            conn.execute(delete(derived).where(derived.c.index_name == index, derived.c.id == doc_id))
            self._enqueue(conn, index, [doc_id], "delete")

    def upsert_many(self, index: str, items: list[tuple[str, str]], versions: dict[str, int] | None = None,
                    enqueue: bool = True) -> dict[str, tuple[int, str]]:
        """Create or overwrite each (id, JSON body) in the current transaction; ``versions``
        keeps given versions (a migration) instead of moving each one on; ``enqueue=False``
        writes no outbox rows (the caller rebuilds the index from the records).  Returns
        each record's mark (see :meth:`marks`)."""
        versions = versions or {}
        with self.transaction() as conn:
            if self.is_sqlite:
                return self._upsert_many_sqlite(conn.connection.driver_connection, index, items, versions, enqueue)
            ids = [doc_id for doc_id, _ in items]
            current = {}
            for start in range(0, len(ids), _BATCH):
                current.update(conn.execute(
                    select(documents.c.id, documents.c.version).where(
                        documents.c.index_name == index, documents.c.id.in_(ids[start:start + _BATCH]))
                ).all())
            stamp = utc_stamp()
            new = [{"index_name": index, "id": doc_id, "version": versions.get(doc_id, 1), "body": body,
                    "updated_at": stamp} for doc_id, body in items if doc_id not in current]
            old = [{"b_index": index, "b_id": doc_id, "version": versions.get(doc_id, current[doc_id] + 1),
                    "body": body, "updated_at": stamp} for doc_id, body in items if doc_id in current]
            if new:
                conn.execute(insert(documents), new)
            if old:
                conn.execute(
                    update(documents).where(documents.c.index_name == bindparam("b_index"), documents.c.id == bindparam("b_id"))
                    .values(version=bindparam("version"), body=bindparam("body"), updated_at=bindparam("updated_at")),
                    old,
                )
            if ids and enqueue:
                self._enqueue(conn, index, ids, "upsert")
        return {row["id"]: (row["version"], stamp) for row in new} | {row["b_id"]: (row["version"], stamp) for row in old}

    @staticmethod
    def _upsert_many_sqlite(raw: sqlite3.Connection, index: str, items: list[tuple[str, str]], versions: dict[str, int],
                            enqueue: bool) -> dict[str, tuple[int, str]]:
        """:meth:`upsert_many` on SQLite's own driver, in the transaction's connection: the
        same rows, without SQLAlchemy compiling and binding each one (most of a bulk
        write's cost in the records)."""
        ids = [doc_id for doc_id, _ in items]
        current: dict[str, int] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            current.update(raw.execute(f"SELECT id, version FROM documents WHERE index_name = ? AND id IN ({','.join('?' * len(chunk))})",
                                       (index, *chunk)).fetchall())
        stamp = utc_stamp()
        new, old, marks = [], [], {}
        for doc_id, body in items:
            if doc_id in current:
                version = versions.get(doc_id, current[doc_id] + 1)
                old.append((version, body, stamp, index, doc_id))
            else:
                version = versions.get(doc_id, 1)
                new.append((index, doc_id, version, body, stamp))
            marks[doc_id] = (version, stamp)
        if new:
            raw.executemany("INSERT INTO documents (index_name, id, version, body, updated_at) VALUES (?, ?, ?, ?, ?)", new)
        if old:
            raw.executemany("UPDATE documents SET version = ?, body = ?, updated_at = ? WHERE index_name = ? AND id = ?", old)
        if ids and enqueue:
            raw.executemany("INSERT INTO outbox (index_name, doc_id, op, enqueued_at) VALUES (?, ?, 'upsert', ?)",
                            [(index, doc_id, stamp) for doc_id in ids])
        return marks

    def clear(self) -> None:
        """Remove every document and every outbox row (the caller empties the indexes)."""
        with self.transaction() as conn:
            conn.execute(delete(documents))
            conn.execute(delete(outbox))
            conn.execute(delete(derived))

    # -- values derived from records --------------------------------------------------------
    def keep_derived(self, name: str, index: str, values: dict[str, dict], basis: str) -> None:
        """Keep ``values`` (by record id) worked out from records of ``index`` as they now
        stand, on ``basis``: each with its record's mark, read here in the transaction (so
        the caller's write of the record, earlier in it, is what they stand for).  A value
        for a record that does not exist is left out."""
        if not values:
            return
        with self.transaction() as conn:
            marks = self.marks(index, values)
            ids = [doc_id for doc_id in values if doc_id in marks]
            for start in range(0, len(ids), _BATCH):
                conn.execute(delete(derived).where(derived.c.name == name, derived.c.index_name == index,
                                                   derived.c.id.in_(ids[start:start + _BATCH])))
            if ids:
                conn.execute(insert(derived), [
                    {"name": name, "index_name": index, "id": doc_id, "version": marks[doc_id][0],
                     "updated_at": marks[doc_id][1], "basis": basis, "body": dump(values[doc_id])} for doc_id in ids])

    def get_derived(self, name: str, index: str, ids: Iterable[str], basis: str) -> dict[str, dict]:
        """The values kept by :meth:`keep_derived` for these records on ``basis``, of the
        records that still bear the mark each was worked out from (a record written since,
        or gone, has none)."""
        ids = list(dict.fromkeys(ids))
        same_record = and_(documents.c.index_name == derived.c.index_name, documents.c.id == derived.c.id,
                           documents.c.version == derived.c.version, documents.c.updated_at == derived.c.updated_at)
        found = {}
        with self.reading() as conn:
            for start in range(0, len(ids), _BATCH):
                found.update((doc_id, load(body)) for doc_id, body in conn.execute(
                    select(derived.c.id, derived.c.body).join(documents, same_record).where(
                        derived.c.name == name, derived.c.index_name == index, derived.c.basis == basis,
                        derived.c.id.in_(ids[start:start + _BATCH]))))
        return found

    # -- the outbox -----------------------------------------------------------------------
    def pending(self, limit: int, after: int = 0, upto: int | None = None) -> list[tuple[int, str, str]]:
        """The oldest outbox rows not applied yet, past row ``after`` (and up to row
        ``upto``, when given): (seq, index, doc_id)."""
        later = outbox.c.seq > after if upto is None else outbox.c.seq.between(after + 1, upto)
        with self.reading() as conn:
            return [tuple(r) for r in conn.execute(
                select(outbox.c.seq, outbox.c.index_name, outbox.c.doc_id)
                .where(outbox.c.applied_at.is_(None), later).order_by(outbox.c.seq).limit(limit)
            )]

    def last_seq(self) -> int:
        """The newest outbox row's number (0 when empty); inside a write transaction the
        transaction's own last row, since write transactions are serialized."""
        with self.reading() as conn:
            return conn.execute(select(func.max(outbox.c.seq))).scalar_one() or 0

    def since_build(self) -> list[tuple[int, str, str]]:
        """Every outbox row still kept, applied or not (what a rebuild must apply again)."""
        with self.reading() as conn:
            return [tuple(r) for r in conn.execute(
                select(outbox.c.seq, outbox.c.index_name, outbox.c.doc_id).order_by(outbox.c.seq))]

    def applied(self, seqs: list[int]) -> None:
        """Rows applied to the index: deleted, or kept (marked) while a rebuild will need them."""
        with self.transaction() as conn:
            building = self.state(conn, "build") is not None
            for start in range(0, len(seqs), _BATCH):
                chunk = seqs[start:start + _BATCH]
                if building:
                    conn.execute(update(outbox).where(outbox.c.seq.in_(chunk)).values(applied_at=utc_stamp()))
                else:
                    conn.execute(delete(outbox).where(outbox.c.seq.in_(chunk)))

    def prune(self) -> None:
        """Delete the rows applied (after a rebuild no longer needs them)."""
        with self.transaction() as conn:
            conn.execute(delete(outbox).where(outbox.c.applied_at.is_not(None)))

    def lag(self) -> int:
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.applied_at.is_(None))).scalar_one()

    # -- named state ------------------------------------------------------------------------
    @staticmethod
    def state(conn: Connection, name: str) -> str | None:
        return conn.execute(select(record_state.c.value).where(record_state.c.name == name)).scalar_one_or_none()

    def get_state(self, name: str) -> str | None:
        with self.reading() as conn:
            return self.state(conn, name)

    def set_state(self, name: str, value: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(delete(record_state).where(record_state.c.name == name))
            if value is not None:
                conn.execute(insert(record_state).values(name=name, value=value))

    def counts(self) -> dict[str, int]:
        with self.reading() as conn:
            return dict(conn.execute(select(documents.c.index_name, func.count()).group_by(documents.c.index_name)).all())
