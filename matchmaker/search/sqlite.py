"""The embedded backend: one SQLite file, WAL, FTS5 for full text.

For each index of ``search_mappings/`` it keeps
- ``<index>``: one row a document: ``rid`` (integer key), ``id``, ``version``, the
  JSON ``source``, and one column per scalar field of the mapping (``a.b`` -> ``a__b``);
- ``<index>__<field>``: one row per value of each array field;
- ``<index>__fts``: an FTS5 table whose rowid is ``rid``, holding the text fields as
  the tokens :mod:`matchmaker.search.analysis` makes of them.
Filters, sorting and facet counts are computed in SQL.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import ConfigurationError, Conflict, NotFound, ValidationError
from .analysis import tokenize
from .base import ProgressCallback, SearchBackend, new_id, strip_meta
from .mappings import NUMERIC_TYPES, FieldSpec, IndexSpec, get_value
from .query import (
    MAX_RESULT_WINDOW,
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


def match_expression(text: str | None) -> str | None:
    """An FTS5 query in which every token of ``text`` must occur; None if it has none.

    Each token is quoted, so FTS5 syntax in what a user typed (quotes, ``*``, ``NEAR(``,
    ``AND``, parentheses) is never interpreted.
    """
    tokens = tokenize(text)
    if not tokens:
        return None
    return " ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))


class SQLiteBackend(SearchBackend):
    def __init__(self, indexes: dict[str, IndexSpec], path: str | Path):
        super().__init__(indexes)
        self.path = str(path)
        self._local = threading.local()

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")
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

    # -- schema -------------------------------------------------------------------------
    def init(self) -> None:
        with self.transaction():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS _indexes (name TEXT PRIMARY KEY, version INTEGER NOT NULL, fields TEXT NOT NULL)"
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
            f"version INTEGER NOT NULL, source TEXT NOT NULL{columns})"
        )
        for f in self._columns(spec):
            if f.indexed:
                db.execute(f"CREATE INDEX IF NOT EXISTS {_q(spec.name + '_' + f.column)} ON {t}({_q(f.column)})")
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
    def _columns(spec: IndexSpec) -> list[FieldSpec]:
        return [f for f in spec.scalar_fields if f.path != "id"]

    def reset(self) -> None:
        with self.transaction():
            for spec in self.indexes.values():
                self.db.execute(f"DELETE FROM {_q(spec.name)}")
                for f in spec.array_fields:
                    self.db.execute(f"DELETE FROM {_q(spec.name + '__' + f.column)}")
                if spec.text_fields:
                    self.db.execute(f"DELETE FROM {_q(spec.name + '__fts')}")

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
                rows = self.db.execute(f"SELECT rid, source FROM {_q(name)}").fetchall()
                for start in range(0, len(rows), _BATCH):
                    for rid, source in rows[start : start + _BATCH]:
                        self._write_derived(spec, rid, json.loads(source), update_columns=True)
                    done += len(rows[start : start + _BATCH])
                    if progress:
                        progress(done, total)
                counts[name] = len(rows)
        return counts

    # -- writes -------------------------------------------------------------------------
    def _write_derived(self, spec: IndexSpec, rid: int, doc: dict, update_columns: bool = False) -> None:
        db = self.db
        if update_columns:
            cols = self._columns(spec)
            if cols:
                sets = ", ".join(f"{_q(f.column)} = ?" for f in cols)
                db.execute(
                    f"UPDATE {_q(spec.name)} SET {sets} WHERE rid = ?",
                    [_to_sql(get_value(doc, f.path)) for f in cols] + [rid],
                )
        for f in spec.array_fields:
            values = get_value(doc, f.path) or []
            if not isinstance(values, list):
                values = [values]
            db.executemany(
                f"INSERT OR IGNORE INTO {_q(spec.name + '__' + f.column)} (value, rid) VALUES (?, ?)",
                [(_to_sql(v), rid) for v in values],
            )
        if spec.text_fields:
            texts = [" ".join(tokenize(self._text(get_value(doc, p)))) for p in spec.text_fields]
            db.execute(
                f"INSERT INTO {_q(spec.name + '__fts')} (rowid, {', '.join(_q(p.replace('.', '__')) for p in spec.text_fields)}) "
                f"VALUES (?{', ?' * len(texts)})",
                [rid, *texts],
            )

    @staticmethod
    def _text(value) -> str:
        if isinstance(value, list):
            return " ".join(str(v) for v in value if v is not None)
        return "" if value is None else str(value)

    def _clear_derived(self, spec: IndexSpec, rid: int) -> None:
        for f in spec.array_fields:
            self.db.execute(f"DELETE FROM {_q(spec.name + '__' + f.column)} WHERE rid = ?", (rid,))
        if spec.text_fields:
            self.db.execute(f"DELETE FROM {_q(spec.name + '__fts')} WHERE rowid = ?", (rid,))

    def _insert(self, spec: IndexSpec, doc_id: str, body: dict, version: int = 1) -> int:
        cols = self._columns(spec)
        names = "".join(f", {_q(f.column)}" for f in cols)
        cur = self.db.execute(
            f"INSERT INTO {_q(spec.name)} (id, version, source{names}) VALUES (?, ?, ?{', ?' * len(cols)})",
            [doc_id, version, json.dumps(body, ensure_ascii=False)] + [_to_sql(get_value(body, f.path)) for f in cols],
        )
        return cur.lastrowid

    def _update(self, spec: IndexSpec, rid: int, body: dict, version: int) -> None:
        cols = self._columns(spec)
        sets = "".join(f", {_q(f.column)} = ?" for f in cols)
        self.db.execute(
            f"UPDATE {_q(spec.name)} SET version = ?, source = ?{sets} WHERE rid = ?",
            [version, json.dumps(body, ensure_ascii=False)] + [_to_sql(get_value(body, f.path)) for f in cols] + [rid],
        )

    def _current(self, spec: IndexSpec, doc_id: str):
        return self.db.execute(f"SELECT rid, version FROM {_q(spec.name)} WHERE id = ?", (doc_id,)).fetchone()

    @staticmethod
    def _check_version(doc_id: str, version: int, expected: str | None) -> None:
        if expected is not None and str(expected) != str(version):
            raise Conflict(
                f"document {doc_id} was changed by someone else (version {version}, you sent {expected}); "
                "read it again and re-apply your change",
                fields={"version": [f"current version is {version}"]},
            )

    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        spec = self.spec(index)
        doc_id = doc_id or doc.get("id") or new_id()
        body = strip_meta(doc)
        with self.transaction():
            if self._current(spec, doc_id) is not None:
                raise Conflict(f"{index} {doc_id} already exists", fields={"id": ["already exists"]})
            rid = self._insert(spec, doc_id, body)
            self._write_derived(spec, rid, body)
        return {"id": doc_id, **body, "version": "1"}

    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        spec = self.spec(index)
        body = strip_meta(doc)
        with self.transaction():
            row = self._current(spec, doc_id)
            if row is None:
                raise NotFound(f"{index} {doc_id} not found")
            rid, version = row
            self._check_version(doc_id, version, expected_version)
            self._update(spec, rid, body, version + 1)
            self._clear_derived(spec, rid)
            self._write_derived(spec, rid, body)
        return {"id": doc_id, **body, "version": str(version + 1)}

    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        spec = self.spec(index)
        with self.transaction():
            row = self._current(spec, doc_id)
            if row is None:
                raise NotFound(f"{index} {doc_id} not found")
            rid, version = row
            self._check_version(doc_id, version, expected_version)
            self._clear_derived(spec, rid)
            self.db.execute(f"DELETE FROM {_q(index)} WHERE rid = ?", (rid,))

    def bulk_upsert(self, index: str, docs: list[dict]) -> BulkResult:
        spec = self.spec(index)
        result = BulkResult()
        with self.transaction():
            for position, doc in enumerate(docs):
                doc_id = doc.get("id")
                try:
                    self.db.execute("SAVEPOINT item")  # before anything can fail: the except rolls back to it
                    if not doc_id:
                        raise ValueError("document has no id")
                    body = strip_meta(doc)
                    row = self._current(spec, doc_id)
                    if row is None:
                        rid = self._insert(spec, doc_id, body)
                    else:
                        rid = row[0]
                        self._update(spec, rid, body, row[1] + 1)
                        self._clear_derived(spec, rid)
                    self._write_derived(spec, rid, body)
                    self.db.execute("RELEASE item")
                    result.indexed += 1
                except (sqlite3.Error, ValueError, TypeError) as exc:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK TO item")
                        self.db.execute("RELEASE item")
                    result.errors.append(BulkError(position, doc_id, str(exc)))
        return result

    # -- reads --------------------------------------------------------------------------
    @staticmethod
    def _doc(row) -> dict:
        doc_id, version, source = row
        return {"id": doc_id, **json.loads(source), "version": str(version)}

    def get(self, index: str, doc_id: str) -> dict | None:
        spec = self.spec(index)
        row = self.db.execute(f"SELECT id, version, source FROM {_q(spec.name)} WHERE id = ?", (doc_id,)).fetchone()
        return self._doc(row) if row else None

    def get_many(self, index, ids) -> dict[str, dict]:
        spec, ids = self.spec(index), list(dict.fromkeys(ids))
        found = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = self.db.execute(
                f"SELECT id, version, source FROM {_q(spec.name)} WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                found[row[0]] = self._doc(row)
        return found

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
            return self._range_sql(col, clause, params)
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
        match = match_expression(query.text) if spec.text_fields else None
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

    def _order(self, spec: IndexSpec, query: Query, match: str | None, params: list) -> str:
        terms = []
        if query.boosts and not query.sort:
            cases = " + ".join(
                f"(CASE WHEN {self._filter_sql(spec, b.clause, params)} THEN {float(b.weight)!r} ELSE 0 END)"
                for b in query.boosts
            )
            terms.append(f"({cases}) DESC")
        if query.sort:
            for s in query.sort:
                col = "m.id" if s.field == "id" else "m." + _q(spec.field(s.field).column)
                terms.append(f"{col} IS NULL, {col} {'DESC' if s.descending else 'ASC'}")
        if match and not query.sort:
            weights = ", ".join(str(spec.search_fields.get(p, 0.0)) for p in spec.text_fields)
            terms.append(f"bm25(f.{_q(spec.name + '__fts')}, {weights})")
        terms.append("m.id")
        return ", ".join(terms)

    def search(self, index: str, query: Query) -> SearchResult:
        spec = self.spec(index)
        if query.offset + query.per_page > MAX_RESULT_WINDOW:
            raise ValidationError(
                f"results past the first {MAX_RESULT_WINDOW} cannot be paged to; narrow the search",
                fields={"page": [f"page * per_page must not exceed {MAX_RESULT_WINDOW}"]},
            )
        params: list = []
        where, match = self._where(spec, query, params)
        source = self._from(spec, match)
        facets, total = self._facets(spec, query, source, where, params)
        items = []
        if query.per_page > 0:
            order_params: list = []
            order = self._order(spec, query, match, order_params)
            rows = self.db.execute(
                f"SELECT m.id, m.version, m.source FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, *order_params, query.per_page, query.offset],
            )
            items = [self._doc(r) for r in rows]
        sums = {agg.name: self._sum(spec, agg, source, where, params) for agg in query.sums}
        return SearchResult(items=items, total=total, facets=facets, sums=sums)

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
            total = self.db.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
        for f in fields:
            if f.array:
                side = _q(spec.name + "__" + f.column)
                rows = self.db.execute(
                    f"SELECT value, count(*) FROM {side} WHERE rid IN (SELECT m.rid FROM {source} WHERE {where}) GROUP BY value",
                    params,
                )
                facets[f.path] = {_facet_key(f, v): c for v, c in rows}
        return {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in facets.items()}, total

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
                f"SELECT m.id, m.version, m.source FROM {self._from(spec, match)} WHERE {where} AND m.id > ? "
                f"ORDER BY m.id LIMIT {_BATCH}",
                [*params, last],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._doc(row)
            last = rows[-1][0]
