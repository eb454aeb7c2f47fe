"""The embedded backend: one SQLite file, WAL, FTS5 for full text.

For each index of ``search_mappings/`` it keeps
- ``<index>``: one row a document: ``rid`` (integer key), ``id``, ``version`` and one
  column per scalar field of the mapping (``a.b`` -> ``a__b``).  The row stays narrow so
  that filters, sorts and facet counts scan little;
- ``<index>__source``: the JSON document, read only for the hits of a page;
- ``<index>__<field>``: one row per value of each array field;
- ``<index>__fts``: an FTS5 table whose rowid is ``rid``, holding the text fields as
  the tokens :mod:`matchmaker.search.analysis` makes of them.
Filters, sorting and facet counts are computed in SQL.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import CURRENT_VERSION, ConfigurationError, DuplicateDocument, NoSuchDocument, SearchOverBudget, ValidationError, VersionConflict
from ..faults import readable_when_full
from .analysis import tokenize
from .base import ProgressCallback, SearchBackend, new_id, strip_meta
from .mappings import NUMERIC_TYPES, FieldSpec, IndexSpec
from .query import (
    by_count,
    check_window,
    AnyOf,
    BulkError,
    BulkResult,
    Missing,
    Not,
    Query,
    Range,
    SearchResult,
    Terms,
)

_SQL_TYPES = {"keyword": "TEXT", "date": "TEXT", "boolean": "INTEGER", "float": "REAL", "double": "REAL"}
_BATCH = 500
#: How long a thread reads a full disk's database through a read-only connection before it
#: tries for a writable one again (the disk may have room by then).
READ_ONLY_SECONDS = 2.0
#: How often (in SQLite virtual-machine instructions) a search looks at its time budget.
PROGRESS_STEPS = 1000
#: Retry-After of a search stopped at its budget.
BUDGET_RETRY_AFTER = 5


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _sql_type(f: FieldSpec) -> str:
    return _SQL_TYPES.get(f.type, "INTEGER" if f.type in NUMERIC_TYPES else "TEXT")


def _to_sql(value):
    if isinstance(value, bool):
        return int(value)
    return value


def _facet_key(f: FieldSpec, value) -> str:
    if f.type == "boolean":
        return "true" if value else "false"
    return str(value)


def match_expression(text: str | None, all_tokens: bool = True) -> str | None:
    """An FTS5 query in which every token of ``text`` (or any, with ``all_tokens=False``)
    must occur; None if it has none.

    Each token is quoted, so FTS5 syntax in what a user typed (quotes, ``*``, ``NEAR(``,
    ``AND``, parentheses) is never interpreted.
    """
    tokens = tokenize(text)
    if not tokens:
        return None
    joiner = " " if all_tokens else " OR "
    return joiner.join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))


class SQLiteBackend(SearchBackend):
    #: A forked process may use this backend once the parent closed its connection.
    fork_safe = True

    def __init__(self, indexes: dict[str, IndexSpec], path: str | Path):
        super().__init__(indexes)
        self.path = str(path)
        self._local = threading.local()
        self._tables: dict[str, _Table] = {}
        self._grown: dict[str, int] = {}  # rows written since the last ANALYZE, per index
        self._analyzed_size: dict[str, int] = {}  # rows at the last ANALYZE, per index
        self._id_indexes: dict[str, str | None] = {}  # the unique index on each table's id

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if (conn is not None and getattr(self._local, "read_only_until", None) and not conn.in_transaction
                and getattr(self._local, "deadline", None) is None and time.monotonic() > self._local.read_only_until):
            self.close()  # a read-only stand-in for a full disk: try for the real connection again
            conn = None
        if conn is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self._local.read_only_until = None
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                conn.close()
                if not readable_when_full(self.path, exc):
                    raise
                conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, isolation_level=None,
                                       check_same_thread=False)
                self._local.read_only_until = time.monotonic() + READ_ONLY_SECONDS
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            # 8 MB of page cache per connection: the server keeps one connection per
            # thread and per worker process, and the OS page cache is shared by all of them.
            conn.execute("PRAGMA cache_size=-8192")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            self._local.depth = 0
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction; nested calls join the outer one."""
        db = self.db
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        db.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks
        self._local.depth = 1
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")
        finally:
            self._local.depth = 0

    @contextmanager
    def _within_budget(self) -> Iterator[None]:
        """Stop the statements of one search once it has run :attr:`time_budget` seconds
        (SQLite's progress handler, called every :data:`PROGRESS_STEPS` instructions, aborts
        the statement); the search is then SearchUnavailable, and the connection free."""
        db = self.db
        if not self.time_budget or getattr(self._local, "deadline", None) is not None:
            yield  # no budget, or inside a search that already has one
            return
        self._local.deadline = deadline = time.monotonic() + self.time_budget
        db.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" not in str(exc):
                raise
            raise SearchOverBudget(seconds=f"{self.time_budget:g}", retry_after=BUDGET_RETRY_AFTER) from None
        finally:
            self._local.deadline = None
            db.set_progress_handler(None, 0)

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction, so that the statements of one search see one committed state."""
        db = self.db
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

    # -- generations ----------------------------------------------------------------------
    def generation(self, index: str) -> int | None:
        """A random token each write transaction to the index replaces (random rather than a
        counter, so that a restored backup cannot bring back a token that once meant other
        data).  None inside a write transaction: what it sees may still be rolled back."""
        if getattr(self._local, "depth", 0):
            return None
        try:
            row = self.db.execute("SELECT token FROM _generations WHERE name = ?", (index,)).fetchone()
        except sqlite3.OperationalError:  # a database from before generations: init adds them
            return None
        return row[0] if row else None

    def _changed(self, *names: str) -> None:
        self.db.executemany("UPDATE _generations SET token = random() WHERE name = ?", [(n,) for n in names])

    # -- schema -------------------------------------------------------------------------
    def init(self) -> None:
        with self.transaction():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS _indexes (name TEXT PRIMARY KEY, version INTEGER NOT NULL, fields TEXT NOT NULL)"
            )
            self.db.execute("CREATE TABLE IF NOT EXISTS _generations (name TEXT PRIMARY KEY, token INTEGER NOT NULL)")
            self.db.executemany(
                "INSERT OR IGNORE INTO _generations VALUES (?, random())", [(name,) for name in self.indexes]
            )
            needs_reindex = [spec.name for spec in self.indexes.values() if self._create_or_migrate(spec)]
        if needs_reindex:
            self._rebuild(needs_reindex, None)

    def _create_or_migrate(self, spec: IndexSpec) -> bool:
        """Create the tables of one index, or add new fields; True when rows need rebuilding."""
        db = self.db
        fields = {f.path: f.type for f in spec.fields.values()}
        row = db.execute("SELECT fields FROM _indexes WHERE name = ?", (spec.name,)).fetchone()
        if row is None:
            self._create_tables(spec)
            db.execute("INSERT INTO _indexes VALUES (?, ?, ?)", (spec.name, spec.version, json.dumps(fields)))
            return False
        old = json.loads(row[0])
        changed = {p for p in old if p in fields and old[p] != fields[p]} | (set(old) - set(fields))
        if changed:
            raise ConfigurationError(
                f"mapping of {spec.name!r} changes or removes {sorted(changed)}: only additions can be "
                "applied to an existing database; export, remove the data folder, init and import"
            )
        added = [spec.fields[p] for p in fields if p not in old]
        if not added:
            return False
        for f in added:
            if f.path in spec.text_fields:
                continue
            if not f.array and f.path != "id":
                db.execute(f"ALTER TABLE {_q(spec.name)} ADD COLUMN {_q(f.column)} {_sql_type(f)}")
        db.execute(f"DROP TABLE IF EXISTS {_q(spec.name + '__fts')}")
        for f in spec.array_fields:
            db.execute(f"DROP TABLE IF EXISTS {_q(spec.name + '__' + f.column)}")
        self._create_tables(spec)
        db.execute("UPDATE _indexes SET version = ?, fields = ? WHERE name = ?", (spec.version, json.dumps(fields), spec.name))
        return True

    def _create_tables(self, spec: IndexSpec) -> None:
        db, t = self.db, _q(spec.name)
        columns = "".join(f", {_q(f.column)} {_sql_type(f)}" for f in self._columns(spec))
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {t} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
            f"version INTEGER NOT NULL{columns})"
        )
        db.execute(f"CREATE TABLE IF NOT EXISTS {_q(spec.name + '__source')} (rid INTEGER PRIMARY KEY, source TEXT NOT NULL)")
        for f in self._columns(spec):
            if self._own_index(spec, f):
                db.execute(f"CREATE INDEX IF NOT EXISTS {_q(spec.name + '_' + f.column)} ON {t}({_q(f.column)})")
        facet_columns = self._facet_index_columns(spec)
        if facet_columns:
            db.execute(
                f"CREATE INDEX IF NOT EXISTS {_q(spec.name + '__facets')} ON {t}({', '.join(map(_q, facet_columns))})"
            )
        for f in spec.array_fields:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {_q(spec.name + '__' + f.column)} "
                "(value NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (value, rid)) WITHOUT ROWID"
            )
            db.execute(
                f"CREATE INDEX IF NOT EXISTS {_q(spec.name + '__' + f.column + '_rid')} "
                f"ON {_q(spec.name + '__' + f.column)}(rid)"
            )
        if spec.text_fields:
            cols = ", ".join(_q(p.replace(".", "__")) for p in spec.text_fields)
            db.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {_q(spec.name + '__fts')} "
                f"USING fts5({cols}, tokenize='unicode61 remove_diacritics 0')"
            )

    @staticmethod
    def _own_index(spec: IndexSpec, f: FieldSpec) -> bool:
        """Keys looked up by value (``enterprise_id``) and sortable fields get an index each;
        every other filter is answered from the covering facet index."""
        if not f.indexed:
            return False
        return f.path in spec.sortable or (f.type == "keyword" and f.path not in spec.facets)

    @staticmethod
    def _facet_index_columns(spec: IndexSpec) -> list[str]:
        """One covering index that leads with the facet fields and holds every indexed
        column: facet counts then stream through it in order, without a sort and without
        reading the table, whatever the filters are."""
        facets = [spec.fields[p] for p in spec.facets if not spec.fields[p].array]
        if not facets:
            return []
        rest = [f for f in spec.scalar_fields if f.indexed and f.path != "id" and f not in facets]
        return [f.column for f in facets + rest]

    @staticmethod
    def _columns(spec: IndexSpec) -> list[FieldSpec]:
        return [f for f in spec.scalar_fields if f.path != "id"]

    def reset(self) -> None:
        with self.transaction():
            for spec in self.indexes.values():
                self.db.execute(f"DELETE FROM {_q(spec.name)}")
                self.db.execute(f"DELETE FROM {_q(spec.name + '__source')}")
                for f in spec.array_fields:
                    self.db.execute(f"DELETE FROM {_q(spec.name + '__' + f.column)}")
                if spec.text_fields:
                    self.db.execute(f"DELETE FROM {_q(spec.name + '__fts')}")
            self._changed(*self.indexes)

    def backup(self, path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """A consistent copy of the database file, taken online with SQLite's backup API.

        Writers go on meanwhile: the copy proceeds in steps and restarts a step when a
        write lands, so what is copied is one committed state.
        """
        path = Path(path)
        tmp = path.with_name(path.name + ".partial")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(tmp)
        try:
            self.db.backup(target, pages=1024, progress=(lambda _s, left, total: progress(total - left, total)) if progress else None)
        finally:
            target.close()
        tmp.replace(path)
        return self._counts()

    backup_suffix = ".sqlite3"

    def verify_backup(self, path) -> dict[str, int]:
        """A database file made by ``backup``: SQLite's integrity check passes, every index's
        tables are there, and its documents are counted (a gzipped generic backup: its own check)."""
        path = Path(path)
        if path.exists() and path.read_bytes()[:2] == b"\x1f\x8b":
            return super().verify_backup(path)
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            raise ValidationError(f"{path} is not a matchmaker backup") from None
        try:
            problems = [row[0] for row in source.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise ValidationError(f"{path} is damaged ({'; '.join(problems[:3])}); nothing was changed")
            known = {row[0] for row in source.execute("SELECT name FROM _indexes")}
            return {name: source.execute(f"SELECT count(*) FROM {_q(name)} m JOIN {_q(name + '__source')} s ON s.rid = m.rid")
                    .fetchone()[0] for name in known}
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise ValidationError(f"{path} is damaged or not a matchmaker backup ({exc}); nothing was changed") from None
        finally:
            source.close()

    def restore(self, path, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Replace the database's content with a backup file (one made by ``backup``),
        checked whole first and copied in one step (one transaction on this database)."""
        path = Path(path)
        if path.read_bytes()[:2] == b"\x1f\x8b":  # a gzipped generic backup
            return super().restore(path, progress)
        self.verify_backup(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(self.db)
        finally:
            source.close()
        self.init()  # the backup may come from an older mapping: apply additions
        with self.transaction():
            self._changed(*self.indexes)
        return self._counts()

    def _counts(self) -> dict[str, int]:
        return {name: self.db.execute(f"SELECT count(*) FROM {_q(name)}").fetchone()[0] for name in self.indexes}

    def reindex(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        return self._rebuild(list(self.indexes), progress)

    def _rebuild(self, names: list[str], progress: ProgressCallback | None) -> dict[str, int]:
        """Re-derive columns, array rows and FTS rows from each stored source, in one transaction."""
        counts = {}
        total = sum(self.db.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0] for n in names)
        done = 0
        with self.transaction():
            for name in names:
                spec = self.indexes[name]
                for f in spec.array_fields:
                    self.db.execute(f"DELETE FROM {_q(name + '__' + f.column)}")
                if spec.text_fields:
                    self.db.execute(f"DELETE FROM {_q(name + '__fts')}")
                table = self._table(spec)
                rows = self.db.execute(f"SELECT rid, source FROM {table.source}").fetchall()
                for start in range(0, len(rows), _BATCH):
                    written = [(rid, json.loads(source), None) for rid, source in rows[start : start + _BATCH]]
                    if table.columns:
                        self.db.executemany(
                            table.update_columns, [(*table.column_values(body), rid) for rid, body, _ in written]
                        )
                    self._write_derived(table, written)
                    done += len(written)
                    if progress:
                        progress(done, total)
                counts[name] = len(rows)
                self.db.execute(f"ANALYZE {table.main}")
            self._changed(*names)
        return counts

    # -- writes -------------------------------------------------------------------------
    def _table(self, spec: IndexSpec) -> "_Table":
        table = self._tables.get(spec.name)
        if table is None:
            table = self._tables[spec.name] = _Table(spec)
        return table

    def _store(self, spec: IndexSpec, items: list[tuple[str, dict, tuple[int, int] | None]],
               tokens: list | None = None) -> list[int]:
        """Insert or overwrite documents with few statements: ``items`` are (id, body,
        (rid, version) of the stored copy or None); ``tokens``, when given, their
        full-text values from :meth:`prepare_bulk`.  Returns the new versions."""
        table, db = self._table(spec), self.db
        tokens = tokens or [None] * len(items)
        new = [(doc_id, body, fts) for (doc_id, body, row), fts in zip(items, tokens) if row is None]
        old = [(row, body, fts) for (_, body, row), fts in zip(items, tokens) if row is not None]
        next_rid = db.execute(f"SELECT coalesce(max(rid), 0) + 1 FROM {table.main}").fetchone()[0]
        new_rids = list(range(next_rid, next_rid + len(new)))
        if new:
            db.executemany(table.insert_main, [(rid, doc_id, 1, *table.column_values(body)) for rid, (doc_id, body, _) in zip(new_rids, new)])
            db.executemany(table.insert_source, [(rid, _dump(body)) for rid, (_, body, _) in zip(new_rids, new)])
        if old:
            old_rids = [(rid,) for (rid, _), _, _ in old]
            db.executemany(table.update_main, [(version + 1, *table.column_values(body), rid) for (rid, version), body, _ in old])
            db.executemany(table.update_source, [(_dump(body), rid) for (rid, _), body, _ in old])
            self._clear_derived(table, old_rids)
        written = [(rid, body, fts) for rid, (_, body, fts) in zip(new_rids, new)] + [(rid, body, fts) for (rid, _), body, fts in old]
        self._write_derived(table, written)
        self._changed(spec.name)
        return [1 if row is None else row[1] + 1 for _, _, row in items]

    def _write_derived(self, table: "_Table", written: list[tuple[int, dict, list | None]]) -> None:
        """Array rows and FTS rows of (rid, body, full-text values or None to compute them)."""
        for field, sql in table.insert_arrays:
            self.db.executemany(sql, [(v, rid) for rid, body, _ in written for v in table.array_values(body, field)])
        if table.insert_fts:
            self.db.executemany(
                table.insert_fts, [(rid, *(fts if fts is not None else table.fts_values(body))) for rid, body, fts in written]
            )

    def prepare_bulk(self, index: str, docs: list[dict]) -> list | None:
        table = self._table(self.spec(index))
        return [table.fts_values(strip_meta(doc)) for doc in docs] if table.insert_fts else None

    def _clear_derived(self, table: "_Table", rids: list[tuple[int]]) -> None:
        for sql in table.delete_arrays:
            self.db.executemany(sql, rids)
        if table.delete_fts:
            self.db.executemany(table.delete_fts, rids)

    def _current(self, spec: IndexSpec, doc_id: str):
        return self.db.execute(f"SELECT rid, version FROM {_q(spec.name)} WHERE id = ?", (doc_id,)).fetchone()

    @staticmethod
    def _check_version(doc_id: str, version: int, expected: str | None) -> None:
        if expected is not None and str(expected) != str(version):
            raise VersionConflict(doc_id=doc_id, version=version, expected=expected,
                                  fields={"version": [CURRENT_VERSION(version=version)]})

    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        spec = self.spec(index)
        doc_id = doc_id or doc.get("id") or new_id()
        body = strip_meta(doc)
        with self.transaction():
            if self._current(spec, doc_id) is not None:
                raise DuplicateDocument(kind=index, id=doc_id, fields={"id": ["already exists"]})
            self._store(spec, [(doc_id, body, None)])
        return {"id": doc_id, **body, "version": "1"}

    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        spec = self.spec(index)
        body = strip_meta(doc)
        with self.transaction():
            row = self._current(spec, doc_id)
            if row is None:
                raise NoSuchDocument(kind=index, id=doc_id)
            self._check_version(doc_id, row[1], expected_version)
            (version,) = self._store(spec, [(doc_id, body, tuple(row))])
        return {"id": doc_id, **body, "version": str(version)}

    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        spec = self.spec(index)
        table = self._table(spec)
        with self.transaction():
            row = self._current(spec, doc_id)
            if row is None:
                raise NoSuchDocument(kind=index, id=doc_id)
            rid, version = row
            self._check_version(doc_id, version, expected_version)
            self._clear_derived(table, [(rid,)])
            self.db.execute(f"DELETE FROM {table.source} WHERE rid = ?", (rid,))
            self.db.execute(f"DELETE FROM {table.main} WHERE rid = ?", (rid,))
            self._changed(spec.name)

    def bulk_upsert(self, index: str, docs: list[dict], prepared: list | None = None) -> BulkResult:
        """All in one transaction; if any document fails, the batch is redone one by one
        (each in a savepoint) so that exactly the failing documents are left out."""
        spec = self.spec(index)
        if prepared is not None and len(prepared) != len(docs):
            raise ValueError(f"prepared has {len(prepared)} entries for {len(docs)} documents")
        with self.transaction():
            self.db.execute("SAVEPOINT batch")
            try:
                self._upsert_all(spec, docs, prepared)
            except (sqlite3.Error, ValueError, TypeError):
                self.db.execute("ROLLBACK TO batch")
            else:
                self.db.execute("RELEASE batch")
                self._analyze_if_grown(spec, len(docs))
                return BulkResult(indexed=len(docs))
            self.db.execute("RELEASE batch")
            result = BulkResult()
            for position, doc in enumerate(docs):
                self.db.execute("SAVEPOINT item")
                try:
                    self._upsert_all(spec, [doc], prepared[position : position + 1] if prepared else None)
                except (sqlite3.Error, ValueError, TypeError) as exc:
                    self.db.execute("ROLLBACK TO item")
                    result.errors.append(BulkError(position, doc.get("id"), str(exc)))
                else:
                    result.indexed += 1
                self.db.execute("RELEASE item")
        return result

    def _upsert_all(self, spec: IndexSpec, docs: list[dict], prepared: list | None = None) -> None:
        ids = [doc.get("id") for doc in docs]
        if not all(isinstance(doc_id, str) and doc_id for doc_id in ids):
            raise ValueError("document has no id")
        if len(set(ids)) != len(ids):
            raise ValueError("the same id twice in one batch")
        current = self._current_many(spec, ids)
        self._store(spec, [(doc_id, strip_meta(doc), current.get(doc_id)) for doc_id, doc in zip(ids, docs)], prepared)

    def _current_many(self, spec: IndexSpec, ids: list[str]) -> dict[str, tuple[int, int]]:
        found = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = self.db.execute(
                f"SELECT id, rid, version FROM {_q(spec.name)} WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
            found.update((doc_id, (rid, version)) for doc_id, rid, version in rows)
        return found

    def _analyze_if_grown(self, spec: IndexSpec, added: int) -> None:
        """Refresh the planner's statistics after a big load; its index choices depend on them.

        After every 10,000 rows at first, then every quarter of the size last analyzed:
        ANALYZE reads the whole table, so a fixed step would make a long import quadratic.
        """
        grown = self._grown.get(spec.name, 0) + added
        if grown >= max(10_000, self._analyzed_size.get(spec.name, 0) // 4):
            self.db.execute(f"ANALYZE {_q(spec.name)}")
            self._analyzed_size[spec.name] = self.db.execute(f"SELECT coalesce(max(rid), 0) FROM {_q(spec.name)}").fetchone()[0]
            grown = 0
        self._grown[spec.name] = grown

    # -- reads --------------------------------------------------------------------------
    @staticmethod
    def _doc(row) -> dict:
        doc_id, version, source = row
        return {"id": doc_id, **json.loads(source), "version": str(version)}

    def get(self, index: str, doc_id: str) -> dict | None:
        spec = self.spec(index)
        row = self.db.execute(f"SELECT m.id, m.version, s.source FROM {self._with_source(spec)} WHERE m.id = ?", (doc_id,)).fetchone()
        return self._doc(row) if row else None

    def get_many(self, index, ids) -> dict[str, dict]:
        spec, ids = self.spec(index), list(dict.fromkeys(ids))
        found = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = self.db.execute(
                f"SELECT m.id, m.version, s.source FROM {self._with_source(spec)} WHERE m.id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for row in rows:
                found[row[0]] = self._doc(row)
        return found

    @staticmethod
    def _with_source(spec: IndexSpec) -> str:
        return f"{_q(spec.name)} m JOIN {_q(spec.name + '__source')} s ON s.rid = m.rid"

    # -- search -------------------------------------------------------------------------
    def _filter_sql(self, spec: IndexSpec, clause, params: list) -> str:
        if isinstance(clause, AnyOf):
            parts = [self._filter_sql(spec, c, params) for c in clause.clauses]
            return "(" + " OR ".join(parts) + ")" if parts else "0"
        if isinstance(clause, Not):
            return f"NOT ({self._filter_sql(spec, clause.clause, params)})"
        f = spec.field(clause.field) if clause.field != "id" else FieldSpec("id", "keyword")
        if f.array:
            side = _q(spec.name + "__" + f.column)
            if isinstance(clause, Missing):
                return f"m.rid NOT IN (SELECT rid FROM {side})"
            if isinstance(clause, Terms):
                if not clause.values:
                    return "0"
                params.extend(_to_sql(v) for v in clause.values)
                return f"m.rid IN (SELECT rid FROM {side} WHERE value IN ({', '.join('?' * len(clause.values))}))"
            inner = self._range_sql("value", clause, params)
            return f"m.rid IN (SELECT rid FROM {side} WHERE {inner})"
        col = "m." + _q(f.column)
        if isinstance(clause, Missing):
            return f"{col} IS NULL"
        if isinstance(clause, Terms):
            if not clause.values:
                return "0"
            params.extend(_to_sql(v) for v in clause.values)
            # NULL IN (...) is NULL, and NOT NULL would drop the row: say false instead.
            return f"({col} IS NOT NULL AND {col} IN ({', '.join('?' * len(clause.values))}))"
        if isinstance(clause, Range):
            # "+col": a range rarely narrows enough to pay for an index walk with a table
            # lookup per row; let the planner use the covering facet index instead.
            return self._range_sql("+" + col, clause, params)
        raise TypeError(f"unknown filter {clause!r}")

    @staticmethod
    def _range_sql(col: str, clause: Range, params: list) -> str:
        parts = [f"{col} IS NOT NULL"]
        if clause.gte is not None:
            parts.append(f"{col} >= ?")
            params.append(_to_sql(clause.gte))
        if clause.lte is not None:
            parts.append(f"{col} <= ?")
            params.append(_to_sql(clause.lte))
        return " AND ".join(parts)

    def _where(self, spec: IndexSpec, query: Query, params: list) -> tuple[str, str | None]:
        """The WHERE clause of a query, and its FTS5 expression (None without text)."""
        parts = []
        # Text of only stop words or punctuation has no tokens: it narrows nothing.
        match = match_expression(query.text, query.all_tokens) if spec.text_fields else None
        if match:
            columns = [p.replace(".", "__") for p in spec.search_fields]
            if set(spec.search_fields) != set(spec.text_fields):
                match = "{" + " ".join(columns) + "} : (" + match + ")"
            parts.append(f"f.{_q(spec.name + '__fts')} MATCH ?")
            params.append(match)
        for clause in query.filters:
            parts.append(self._filter_sql(spec, clause, params))
        return (" AND ".join(parts) if parts else "1"), match

    def _from(self, spec: IndexSpec, match: str | None) -> str:
        base = f"{_q(spec.name)} m"
        if match:
            base += f" JOIN {_q(spec.name + '__fts')} f ON f.rowid = m.rid"
        return base

    def _boost_sum(self, spec: IndexSpec, boosts, params: list) -> str:
        cases = " + ".join(f"(CASE WHEN {self._filter_sql(spec, b.clause, params)} THEN {float(b.weight)!r} ELSE 0 END)"
                           for b in boosts)
        return f"({cases or '0'})"

    def _order(self, spec: IndexSpec, query: Query, match: str | None, params: list) -> str:
        terms = []
        if query.best_of and not query.sort:  # the largest total of the options that hold (scalar max)
            totals = [f"(CASE WHEN {self._filter_sql(spec, o.clause, params) if o.clause is not None else '1'} "
                      f"THEN {self._boost_sum(spec, o.boosts, params)} ELSE -1e300 END)" for o in query.best_of]
            terms.append(f"{'max(' + ', '.join(totals) + ')' if len(totals) > 1 else totals[0]} DESC")
        elif query.boosts and not query.sort:
            terms.append(f"{self._boost_sum(spec, query.boosts, params)} DESC")
        if query.sort:
            for s in query.sort:
                col = "m.id" if s.field == "id" else "m." + _q(spec.field(s.field).column)
                # Missing values last: SQLite sorts NULL first, so only ascending needs the
                # extra term (which would keep a descending sort from walking its index).
                terms.append(f"{col} DESC" if s.descending else f"{col} IS NULL, {col} ASC")
        if match and not query.sort:
            weights = ", ".join(str(spec.search_fields.get(p, 0.0)) for p in spec.text_fields)
            terms.append(f"bm25(f.{_q(spec.name + '__fts')}, {weights})")
        terms.append("m.id")
        return ", ".join(terms)

    def search(self, index: str, query: Query) -> SearchResult:
        """The hits' order, total, facets and sums are computed once per state of the index
        (see :meth:`memoized`); the page's documents are read each time."""
        spec = self.spec(index)
        check_window(query)
        with self._within_budget(), self._snapshot():
            total, facets, page, sums = self.memoized("search", (index, repr(query)), [index], lambda: self._hits(spec, query))
            return SearchResult(
                items=self._page_documents(spec, page),
                total=total,
                facets={name: dict(counts) for name, counts in facets.items()},
                sums={name: {key: dict(group) for key, group in groups.items()} for name, groups in sums.items()},
            )

    def _hits(self, spec: IndexSpec, query: Query) -> tuple[int, dict, list[tuple], dict]:
        params: list = []
        where, match = self._where(spec, query, params)
        source = self._from(spec, match)
        order_index = self._order_index(spec, query, match) if query.per_page > 0 else None
        if query.per_page > 0 and not query.facets and order_index is None and not match:
            # Every hit gets sorted anyway: count them in the same pass (FTS5's bm25 cannot
            # run beside a window function, so not with text).
            total, page = self._page_and_total(spec, query, source, where, params, match)
            facets: dict = {}
        else:
            facets, total = self._facets(spec, query, source, where, params)
            page = []
            if query.per_page > 0:
                walk = order_index if self._walk_is_cheap(spec, query, total) else None
                page = self._page(spec, query, source, where, params, match, walk)
        sums = {agg.name: self._sum(spec, agg, source, where, params) for agg in query.sums}
        return total, facets, page, sums

    def _page(self, spec: IndexSpec, query: Query, source: str, where: str, params: list, match: str | None,
              walk: str | None = None, with_total: bool = False) -> list[tuple]:
        """(rid, id, version) of the page's hits, in order; ``walk`` names the index to read
        them through; ``with_total`` adds the number of hits to each row."""
        order_params: list = []
        order = self._order(spec, query, match, order_params)
        return self.db.execute(
            f"SELECT m.rid, m.id, m.version{', count(*) OVER ()' if with_total else ''} "
            f"FROM {source}{f' INDEXED BY {walk}' if walk else ''} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, *order_params, query.per_page, query.offset],
        ).fetchall()

    def _page_and_total(self, spec: IndexSpec, query: Query, source: str, where: str, params: list,
                        match: str | None) -> tuple[int, list[tuple]]:
        rows = self._page(spec, query, source, where, params, match, with_total=True)
        if rows:
            return rows[0][3], [row[:3] for row in rows]
        if query.offset:  # a page past the end: count the hits on their own
            return self._count(source, where, params), []
        return 0, []

    #: Read a page by walking the index of its order, checking the filters row by row, when
    #: that should visit at most this many rows; otherwise SQLite sorts every hit.  Without
    #: it a filtered list of 100,000 hits at 1,000,000 needs is sorted whole for 20 rows.
    walk_limit = 20_000

    def _walk_is_cheap(self, spec: IndexSpec, query: Query, total: int) -> bool:
        """Whether hits spread evenly over the order reach the page's end within ``walk_limit`` rows."""
        if not total:
            return False
        rows = self.db.execute(f"SELECT coalesce(max(rid), 0) FROM {_q(spec.name)}").fetchone()[0]
        return (query.offset + query.per_page) * rows / total <= self.walk_limit

    def _order_index(self, spec: IndexSpec, query: Query, match: str | None) -> str | None:
        """The index that lists the hits in the query's order, if one does: the id's (no
        text, no sort, no boosts) or a sortable field's (one descending sort)."""
        if match or query.boosts or query.best_of or len(query.sort) > 1:
            return None
        if not query.sort:
            if spec.name not in self._id_indexes:  # fixed by the schema: look it up once
                found = self.db.execute("SELECT name FROM pragma_index_list(?) WHERE origin = 'u'", (spec.name,)).fetchone()
                self._id_indexes[spec.name] = _q(found[0]) if found else None
            return self._id_indexes[spec.name]
        (order,) = query.sort
        f = spec.fields.get(order.field)
        if order.descending and order.field != "id" and f is not None and not f.array and self._own_index(spec, f):
            return _q(spec.name + "_" + f.column)
        return None

    def _page_documents(self, spec: IndexSpec, page: list[tuple]) -> list[dict]:
        """The stored documents of a page of hits, read after ordering and paging."""
        if not page:
            return []
        sources = dict(
            self.db.execute(
                f"SELECT rid, source FROM {_q(spec.name + '__source')} WHERE rid IN ({', '.join('?' * len(page))})",
                [rid for rid, _, _ in page],
            )
        )
        return [{"id": doc_id, **json.loads(sources[rid]), "version": str(version)} for rid, doc_id, version in page]

    def _facets(self, spec, query: Query, source: str, where: str, params: list):
        """Facet counts and the total number of hits, in as few scans as possible.

        All scalar facets come from one GROUP BY over the hits (its counts also add up to
        the total); each array facet is one more grouped query on its side table.
        """
        fields = [spec.field(name) for name in query.facets]
        scalar = [f for f in fields if not f.array]
        facets: dict[str, dict[str, int]] = {f.path: {} for f in fields}
        if scalar:
            cols = ", ".join("m." + _q(f.column) for f in scalar)
            total = 0
            for row in self.db.execute(f"SELECT {cols}, count(*) FROM {source} WHERE {where} GROUP BY {cols}", params):
                count = row[-1]
                total += count
                for f, value in zip(scalar, row):
                    if value is not None:
                        key = _facet_key(f, value)
                        facets[f.path][key] = facets[f.path].get(key, 0) + count
        else:
            total = self._count(source, where, params)
        for f in fields:
            if f.array:
                side = _q(spec.name + "__" + f.column)
                rows = self.db.execute(
                    f"SELECT value, count(*) FROM {side} WHERE rid IN (SELECT m.rid FROM {source} WHERE {where}) GROUP BY value",
                    params,
                )
                facets[f.path] = {_facet_key(f, v): c for v, c in rows}
        return {k: by_count(v) for k, v in facets.items()}, total

    def _count(self, source: str, where: str, params: list) -> int:
        return self.db.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]

    def _sum(self, spec, agg, source: str, where: str, params: list) -> dict[str, dict[str, int]]:
        group, summed = spec.field(agg.group_by), spec.field(agg.sum_field)
        if group.array:
            side = _q(spec.name + "__" + group.column)
            sql = (
                f"SELECT s.value, count(*), total(m.{_q(summed.column)}) FROM {source} "
                f"JOIN {side} s ON s.rid = m.rid WHERE {where} GROUP BY s.value"
            )
        else:
            col = "m." + _q(group.column)
            sql = f"SELECT {col}, count(*), total(m.{_q(summed.column)}) FROM {source} WHERE {where} AND {col} IS NOT NULL GROUP BY {col}"
        as_number = float if summed.type in ("float", "double") else int
        return {_facet_key(group, v): {"count": c, "sum": as_number(s)} for v, c, s in self.db.execute(sql, params)}

    def scan(self, index: str, query: Query | None = None) -> Iterator[dict]:
        spec = self.spec(index)
        query = query or Query()
        params: list = []
        where, match = self._where(spec, query, params)
        last = ""
        while True:
            rows = self.db.execute(
                f"SELECT m.id, m.version, s.source FROM {self._from(spec, match)} "
                f"JOIN {_q(spec.name + '__source')} s ON s.rid = m.rid WHERE {where} AND m.id > ? "
                f"ORDER BY m.id LIMIT {_BATCH}",
                [*params, last],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._doc(row)
            last = rows[-1][0]


def _dump(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _text(value) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v is not None)
    return "" if value is None else str(value)


class _Table:
    """The SQL statements and value extractors of one index, prepared once."""

    def __init__(self, spec: IndexSpec):
        self.main, self.source = _q(spec.name), _q(spec.name + "__source")
        self.columns = [f for f in spec.scalar_fields if f.path != "id"]
        # (top-level key, the rest of the path) of each column: most paths have one part
        self._column_keys = [(path[0], tuple(path[1:])) for path in (tuple(f.path.split(".")) for f in self.columns)]
        names = "".join(f", {_q(f.column)}" for f in self.columns)
        marks = ", ?" * len(self.columns)
        sets = "".join(f", {_q(f.column)} = ?" for f in self.columns)
        self.insert_main = f"INSERT INTO {self.main} (rid, id, version{names}) VALUES (?, ?, ?{marks})"
        self.update_main = f"UPDATE {self.main} SET version = ?{sets} WHERE rid = ?"
        self.update_columns = f"UPDATE {self.main} SET {sets[2:]} WHERE rid = ?" if self.columns else ""
        self.insert_source = f"INSERT INTO {self.source} (rid, source) VALUES (?, ?)"
        self.update_source = f"UPDATE {self.source} SET source = ? WHERE rid = ?"
        self.arrays = {f.path: tuple(f.path.split(".")) for f in spec.array_fields}
        self.insert_arrays = [
            (f.path, f"INSERT OR IGNORE INTO {_q(spec.name + '__' + f.column)} (value, rid) VALUES (?, ?)")
            for f in spec.array_fields
        ]
        self.delete_arrays = [f"DELETE FROM {_q(spec.name + '__' + f.column)} WHERE rid = ?" for f in spec.array_fields]
        self._text_paths = [tuple(p.split(".")) for p in spec.text_fields]
        if spec.text_fields:
            fts = _q(spec.name + "__fts")
            cols = ", ".join(_q(p.replace(".", "__")) for p in spec.text_fields)
            self.insert_fts = f"INSERT INTO {fts} (rowid, {cols}) VALUES (?{', ?' * len(spec.text_fields)})"
            self.delete_fts = f"DELETE FROM {fts} WHERE rowid = ?"
        else:
            self.insert_fts = self.delete_fts = ""

    @staticmethod
    def _get(doc: dict, path: tuple[str, ...]):
        value = doc
        for part in path:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def column_values(self, doc: dict) -> list:
        values = []
        for key, rest in self._column_keys:
            value = doc.get(key)
            for part in rest:
                value = value.get(part) if isinstance(value, dict) else None
            values.append(_to_sql(value))
        return values

    def array_values(self, doc: dict, field: str) -> list:
        values = self._get(doc, self.arrays[field])
        if values is None:
            return []
        return [_to_sql(v) for v in (values if isinstance(values, list) else [values])]

    def fts_values(self, doc: dict) -> list[str]:
        return [" ".join(tokenize(_text(self._get(doc, path)))) for path in self._text_paths]
