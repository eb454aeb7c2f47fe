"""An embedded search index of one ``search_mappings/`` index, on tantivy.

The index holds what search needs, never the documents themselves: a record store keeps
those and hands documents here to be indexed.  Every field of the mapping becomes a
tantivy field: keywords are raw-tokenised text fast fields, numbers, booleans and dates
(microseconds since the epoch) numeric fast fields, so that filters, sorting and facet
counts run inside the engine.  Text is tokenised in Python by
:mod:`matchmaker.search.analysis` (Chinese bigrams, English stems: the same tokens the
``cjk_en`` analyzer gives a cluster) and indexed as space-separated tokens, one tantivy field
per search field, each scored with BM25 and weighed as the mapping says.

Ordering follows :class:`~matchmaker.search.query.Query` exactly: tantivy orders by one
key (a score or a fast field), so ties on that key are resolved here by the next key and
finally by the id, looking only at the hits the page needs.

One process writes (tantivy allows one writer per folder); any number of threads and
processes search.  A search sees what was committed before it started.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import threading
import weakref
from collections import Counter
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import orjson
import tantivy

from ..errors import ConfigurationError, NoValueOfField, SortOnList
from .analysis import tokenize
from .mappings import NUMERIC_TYPES, FieldSpec, IndexSpec, get_value
from .query import AnyOf, Missing, Not, Query, Range, Sort, Terms, by_count, check_window
from .tantivy_halves import HALVES

_FLOAT_TYPES = {"float", "double"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
#: Buckets a facet or sum may have; tantivy answers an error past its own limit (65,000).
_MAX_BUCKETS = 60_000
#: Longer tokens are dropped, on both sides: tantivy refuses terms past 64 KB.
_MAX_TOKEN = 10_000
_ALL = tantivy.Query.all_query
#: Three u64 fast fields hold an id's first bytes: hits are ordered by id from them in one
#: batch, without reading stored documents (see :func:`id_key`).
_ID_KEYS = ("_idkey0", "_idkey1", "_idkey2")
#: A u64 fast field: the order documents were indexed in (a count the writer keeps), so
#: that a range of it is a run of documents in each segment (see :mod:`.tantivy_halves`).
_SEQ = "_seq"
_ID_PREFIX = 23
_ID_PACKING = struct.Struct(">QQQ")  # the three keys as the 24 bytes they were cut from
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
#: A page reads this many hits past twice its end at first, which usually shows where the
#: last tie the page cuts ends (like texts score alike); each hit read costs about 0.25 us,
#: so a text search reads a longer tie once more, eight times as far, before reading it
#: whole.  Sums of a few boosts take few values, so their ties are long.
_LOOKAHEAD, _BOOST_LOOKAHEAD = 100, 2000
#: Ties grow with the index: a text search's tie at its 20th hit ran to hit 42-81 of
#: 100,000 needs and 47-703 of 1,000,000.  So a text search reads at least one hit per this
#: many documents past twice its end: at 1M needs the tie is read in the first pass
#: instead of a second one of 9 ms; at 100k, _LOOKAHEAD is more.
_TIE_SHARE = 1000
#: The most hits a page in id order reads to see where a run of one first id key ends.
_ID_RUN_MOST = 10_000
#: What an option of ``Query.best_of`` scores for holding, before its boosts: above any
#: boost total (tantivy's scores are 32-bit floats: a thousand keeps them to 1/10,000).
_OPTION_BASE = 1000.0
#: The most ranked queries an index keeps compiled (:meth:`TantivyIndex._ranked`): a
#: deal flow's two per institution and kind of page.
_COMPILED_MOST = 256
#: Up to this many values, a filter's terms are term queries, not one term set: "status is
#: open" counted in 0.38 instead of 0.76 ms at 100k needs.
_FEW_TERMS = 4
#: From this many documents a ranked query is searched as two halves side by side
#: (:mod:`.tantivy_halves`): at 100k needs the 20 deal flows took 16.3 ms instead of 19.6
#: (p50; the bank inst-018 21.9 instead of 27.1), at 1M 107 instead of 157.
_HALVES_FROM = 50_000
#: From this many documents a search's facets are counted beside its page, while a core is
#: spare (:mod:`.tantivy_halves`): 电池 at 1M needs in 3.7 instead of 4.4 ms, but for 19%
#: more CPU; at 100k the hand-over cost more than the overlap saved on the shorter searches
#: (电池 0.68 instead of 0.61 ms).
_BESIDE_FROM = 500_000


@dataclass
class IndexHits:
    ids: list[str]  # the page, in order
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # ordered with query.by_count
    sums: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    relaxed: bool = False  # reserved for the any-word fallback, which the caller does


# -- values -------------------------------------------------------------------------------
def date_micros(value) -> int:
    """A date or date-time (ISO 8601 text, ``date`` or ``datetime``) as microseconds since
    the epoch, UTC; a value without a zone is taken as UTC, a bare date as its midnight."""
    if isinstance(value, str):
        return _text_micros(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ValueError(f"not a date: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // _MICRO


@lru_cache(maxsize=8192)
def _text_micros(text: str) -> int:
    """:func:`date_micros` of ISO 8601 text, kept for the texts seen last: an import's
    documents share their time stamps (one a second) and their enterprise's dates."""
    return date_micros(datetime.fromisoformat(text.strip()))


def id_key(doc_id: str) -> tuple[int, int, int]:
    """An id's first 23 UTF-8 bytes (zero-padded) and its length (255: longer), packed in
    three integers that order as the ids do (UTF-8 byte order is code point order)."""
    raw = doc_id.encode("utf-8")
    return _ID_PACKING.unpack(raw[:_ID_PREFIX].ljust(_ID_PREFIX, b"\0") + bytes([len(raw) if len(raw) <= _ID_PREFIX else 255]))


def _id_from_key(key: tuple) -> str | None:
    """The id :func:`id_key` packed, or None when it was longer than the key holds."""
    packed = _ID_PACKING.pack(key[0], key[1], key[2])
    return packed[: packed[-1]].decode("utf-8") if packed[-1] <= _ID_PREFIX else None


def _micros_text(micros: int) -> str:
    moment = _EPOCH + micros * _MICRO
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def _keyword(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValueError(f"not a keyword: {value!r}")


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return int(value)


def _float(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"not a boolean: {value!r}")


def _text(value) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v is not None)
    return "" if value is None else str(value)


def _tokens(text) -> list[str]:
    tokens = tokenize(_text(text))
    if tokens and max(map(len, tokens)) > _MAX_TOKEN:
        return [t for t in tokens if len(t) <= _MAX_TOKEN]
    return tokens


class _Field:
    """One mapping field as a tantivy field: its name there, and how values convert."""

    def __init__(self, spec: FieldSpec):
        self.spec = spec
        self.path = spec.path
        self.name = spec.column
        self.array = spec.array
        self.keys = tuple(spec.path.split("."))
        self._head, self._rest = self.keys[0], self.keys[1:]
        if spec.type in _FLOAT_TYPES:
            self.kind, self.convert, plain = "float", _float, None
        elif spec.type in NUMERIC_TYPES:
            self.kind, self.convert, plain = "integer", _integer, int
        elif spec.type == "boolean":
            self.kind, self.convert, plain = "boolean", _boolean, bool
        elif spec.type == "date":
            self.kind, self.convert, plain = "date", date_micros, None
        else:
            self.kind, self.convert, plain = "keyword", _keyword, str
        #: the type whose values ``convert`` returns as they are (not a subclass: True is no int)
        self._plain = plain

    def declare(self, builder: tantivy.SchemaBuilder) -> None:
        if self.kind == "keyword":
            builder.add_text_field(self.name, stored=self.path == "id", fast=True, tokenizer_name="raw", index_option="basic")
        elif self.kind == "float":
            builder.add_float_field(self.name, indexed=True, fast=True)
        elif self.kind == "boolean":
            builder.add_boolean_field(self.name, indexed=True, fast=True)
        else:
            builder.add_integer_field(self.name, indexed=True, fast=True)

    def value(self, doc: dict):
        """The converted value of this field in ``doc``: None, one, or (arrays) a list."""
        value = doc.get(self._head)
        for key in self._rest:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
        if value.__class__ is self._plain:  # most values: converting would return them as they are
            return value
        if isinstance(value, list):
            if not self.array:
                raise ValueError("one value expected, not a list")
            return list(dict.fromkeys(self.convert(v) for v in value if v is not None)) or None
        return self.convert(value)

    def query_value(self, value):
        """A filter's value converted, or None when no stored value could equal it."""
        try:
            if self.kind == "integer" and isinstance(value, float):
                return int(value) if value.is_integer() else None
            return self.convert(value)
        except (ValueError, TypeError):
            return None

    def bound(self, value, upper: bool):
        """A range bound converted; an integer field rounds a fraction inwards."""
        if value is None:
            return None
        if self.kind == "integer" and isinstance(value, float) and math.isfinite(value):
            return math.floor(value) if upper else math.ceil(value)
        try:
            return self.convert(value)
        except (ValueError, TypeError):
            raise NoValueOfField(value=repr(value), field=self.path,
                                 fields={self.path: [f"{value!r} is not a {self.spec.type}"]}) from None

    def facet_key(self, bucket: dict) -> str:
        if self.kind == "boolean":
            return bucket.get("key_as_string") or ("true" if bucket["key"] else "false")
        if self.kind == "date":
            return _micros_text(int(bucket["key"]))
        if self.kind == "float":
            return str(float(bucket["key"]))
        return str(bucket["key"])


class _Schema:
    """The tantivy schema of one index, and the mapping's fields by path."""

    def __init__(self, spec: IndexSpec):
        fields = dict(spec.fields)
        fields.setdefault("id", FieldSpec("id", "keyword"))
        self.fields = {path: _Field(f) for path, f in fields.items() if f.path not in spec.text_fields}
        self._fields = list(self.fields.values())
        self.text = {path: "text__" + fields[path].column for path in spec.search_fields}
        self.weights = dict(spec.search_fields)
        builder = tantivy.SchemaBuilder()
        for f in self.fields.values():
            f.declare(builder)
        for name in self.text.values():
            builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
        for name in (*_ID_KEYS, _SEQ):
            builder.add_unsigned_field(name, fast=True)
        self.schema = builder.build()
        layout = {path: f.kind + ("[]" if f.array else "") for path, f in self.fields.items()}
        layout.update({path: "text" for path in self.text})
        layout.update({name: "id key" for name in _ID_KEYS})
        layout[_SEQ] = "indexing order"
        self.fingerprint = hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:16]

    def field(self, path: str) -> _Field:
        try:
            return self.fields[path]
        except KeyError:
            raise ConfigurationError(f"the index has no filterable field {path!r}") from None

    def document(self, doc: dict) -> dict:
        """The field values tantivy indexes for ``doc``, by tantivy field name (plain data,
        so that another process may compute it)."""
        doc_id = doc.get("id")
        if not isinstance(doc_id, str) or not doc_id:
            raise ValueError("document has no id")
        values = dict(zip(_ID_KEYS, id_key(doc_id)))
        for f in self._fields:
            try:
                value = f.value(doc)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"document {doc_id}: {f.path}: {exc}") from None
            if value is not None:
                values[f.name] = value
        for path, name in self.text.items():
            tokens = _tokens(get_value(doc, path))
            if tokens:
                values[name] = " ".join(tokens)
        return values


#: The schema of each mapping, made once per process (an app opens an index of every
#: mapping; the mappings are loaded once, and a schema is read-only): id(spec) -> (spec, schema).
_SCHEMAS: dict[int, tuple[IndexSpec, _Schema]] = {}


def _schema_of(spec: IndexSpec) -> _Schema:
    held = _SCHEMAS.get(id(spec))
    if held is None or held[0] is not spec:
        held = _SCHEMAS[id(spec)] = (spec, _Schema(spec))
    return held[1]


def layout(specs: dict[str, IndexSpec]) -> dict[str, str]:
    """What each index's tantivy schema holds (the mapping's fields, the id keys, ``_SEQ``),
    as the fingerprint its folder is opened by: a generation built for another is rebuilt."""
    return {name: _schema_of(spec).fingerprint for name, spec in sorted(specs.items())}


# -- queries --------------------------------------------------------------------------------
def _must(*queries) -> tantivy.Query:
    queries = [q for q in queries if q is not None]
    if not queries:
        return _ALL()
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _disjunction(queries: list) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _conjunction(must: list, must_not: list) -> tantivy.Query:
    """Every query of ``must`` and none of ``must_not`` (of every document, when ``must``
    is empty)."""
    if not must_not:
        return _must(*must)
    occur = tantivy.Occur
    return tantivy.Query.boolean_query([(occur.Must, q) for q in must or [_ALL()]] + [(occur.MustNot, q) for q in must_not])


_NUMBER_KINDS = ("integer", "float", "date")


def _after(f: "_Field", value):
    """The least value past ``value`` (an inclusive upper bound made exclusive), None past the largest."""
    if f.kind == "float":
        following = math.nextafter(value, math.inf)
        return None if math.isinf(following) else following
    return value + 1 if value < 2**63 - 1 else None


def _negative(weighted: list) -> float:
    """The most that the negative weights of some weighted clauses take off a score."""
    return sum(min(weight, 0.0) for _, weight in weighted)


def _as_score(weight: float) -> float:
    """The 32-bit float tantivy scores a weight as (to nearest, as Rust's ``as f32``)."""
    return struct.unpack("f", struct.pack("f", weight))[0]


def _exact_in_any_order(weights: Iterable[float]) -> bool:
    """Whether every sum of some of these weights, as tantivy adds them (32-bit floats, in
    whatever order its scorers meet them), is exact: all are multiples of one power of two
    and their magnitudes add up to less than 2**24 of it.  Then two forms of a query that
    add the same weights for a hit give it the same score, bit for bit, and order its hits
    alike whatever their nesting (the profile's steps: eighths to 1/128ths of points); a
    weight such as a broken rule's ``-ln(multiplier) * 60`` is rounded by each addition,
    differently by each order."""
    scores = [_as_score(w) for w in weights]
    if not all(math.isfinite(v) for v in scores):
        return False
    grid = max((v.as_integer_ratio()[1] for v in scores), default=1)  # a power of two
    return sum(abs(v) for v in scores) * grid < 2**24


def _exactly(value):
    """A filter's value as a key that equal values of other types do not share: 1, 1.0
    and True are equal in Python, not as a keyword ("1", "1.0", "true") or an integer."""
    return value if type(value) is str else (type(value), repr(value))


def _clause_key(clause):
    kind = type(clause)
    if kind is Terms:
        return kind, clause.field, tuple(map(_exactly, clause.values))
    if kind is Range:
        return kind, clause.field, _exactly(clause.gte), _exactly(clause.lte)
    if kind is AnyOf:
        return kind, tuple(map(_clause_key, clause.clauses))
    if kind is Not:
        return kind, _clause_key(clause.clause)
    return kind, clause


def _compile_key(query: Query) -> tuple:
    """What a ranked query is compiled from (:meth:`TantivyIndex._ranked`), as a key:
    0.15 ms for a bank's deal flow, where compiling took 1."""
    boosts = lambda found: tuple((_clause_key(boost.clause), boost.weight) for boost in found)
    return (query.text, query.all_tokens, tuple(map(_clause_key, query.filters)), boosts(query.boosts),
            tuple((None if option.clause is None else _clause_key(option.clause), boosts(option.boosts)) for option in query.best_of))


def _optional(weighted: list) -> list:
    """Weighted clauses as optional clauses of a boolean query, each scoring its weight."""
    return [(tantivy.Occur.Should, tantivy.Query.const_score_query(q, weight)) for q, weight in weighted]


def _conjuncts(clause) -> list:
    """The clauses whose conjunction ``clause`` is: ``NOT (NOT a OR NOT b OR c)`` is ``a``,
    ``b`` and ``NOT c``; any other clause is itself."""
    if isinstance(clause, Not) and isinstance(clause.clause, AnyOf):
        found = []
        for part in clause.clause.clauses:
            found += _conjuncts(part.clause) if isinstance(part, Not) else [Not(part)]
        return found
    return [clause]


def _unscored(query: tantivy.Query | None) -> tantivy.Query | None:
    return None if query is None else tantivy.Query.const_score_query(query, 0.0)


class _Compiler:
    """Turns the backend-neutral filters and text into tantivy queries for one searcher."""

    def __init__(self, schema: _Schema, searcher: tantivy.Searcher):
        self.s = schema
        self.searcher = searcher
        self.read_the_index = False  # whether a query it compiled depends on this searcher (values)

    def filter(self, clause) -> tantivy.Query:
        return _conjunction(*self._parts(clause))

    def _parts(self, clause, negated: bool = False) -> tuple[list, list]:
        """``clause`` (or its negation) as a conjunction: the queries that must match and
        those that must not.

        Negations are pushed down to the leaves (De Morgan) and a disjunction with negations
        in it becomes one negated conjunction, so that a negated clause costs what its
        leaves cost: tantivy answers a lone "must not" only against a scan of every document,
        and the deal flow's complement (no product's rules all hold) nests several."""
        Q = tantivy.Query
        if isinstance(clause, Not):
            return self._parts(clause.clause, not negated)
        if isinstance(clause, AnyOf):
            outside = self._outside_of_range(clause)
            if outside is not None:  # missing or in the range: not outside it
                if negated:
                    return ([_disjunction(outside)] if outside else [Q.empty_query()]), []
                return [], outside
            parts = [self._parts(c, negated) for c in clause.clauses]
            if negated:  # not (a or b): not a, and not b
                return [q for must, _ in parts for q in must], [q for _, must_not in parts for q in must_not]
            if not parts:
                return [Q.empty_query()], []
            if len(parts) == 1:
                return parts[0]
            if any(part == ([], []) for part in parts):  # one of them holds for every document
                return [], []
            negations = [_disjunction(must_not) for must, must_not in parts if not must]
            others = [_conjunction(*part) for part in parts if part[0]]
            if not negations:
                return [_disjunction(others)], []
            # (not a) or (not b) or c: not (a and b and not c)
            return [], [_conjunction(negations, [_disjunction(others)] if others else [])]
        if isinstance(clause, Missing):
            if clause.field == "id":  # every document has an id: the deal flow's "every need"
                return ([], []) if negated else ([Q.empty_query()], [])
            exists = Q.exists_query(self.s.field(clause.field).name)
            return ([exists], []) if negated else ([], [exists])
        leaf = self._leaf(clause)
        return ([], [leaf]) if negated else ([leaf], [])

    def _outside_of_range(self, clause: AnyOf) -> list | None:
        """For "missing or in the range" on a one-valued number or date (``AnyOf(Missing(f),
        Range(f, ...))``, the hard rules' "a need that does not say is not excluded"): the
        ranges below and above it, whose documents are the ones the clause excludes; else None.

        Written as the clause reads, it is "not (has a value and not in the range)": an
        exists query and a negation, each a scan of every document (22 ms at 1M needs, where
        the range below and above take 6)."""
        if len(clause.clauses) != 2:
            return None
        missing, within = clause.clauses
        if isinstance(within, Missing):
            missing, within = within, missing
        if not (isinstance(missing, Missing) and isinstance(within, Range) and missing.field == within.field):
            return None
        f = self.s.field(within.field)
        if f.array or f.kind not in _NUMBER_KINDS:
            return None
        low, high = f.bound(within.gte, upper=False), f.bound(within.lte, upper=True)
        kind = tantivy.FieldType.Float if f.kind == "float" else tantivy.FieldType.Integer
        Q, schema = tantivy.Query, self.s.schema
        outside = []
        if low is not None:
            outside.append(Q.range_query(schema, f.name, kind, None, low, include_upper=False))
        if high is not None:
            outside.append(Q.range_query(schema, f.name, kind, high, None, include_lower=False))
        return outside

    def _leaf(self, clause) -> tantivy.Query:
        Q, schema = tantivy.Query, self.s.schema
        f = self.s.field(clause.field)
        if isinstance(clause, Terms):
            values = list(dict.fromkeys(v for v in (f.query_value(v) for v in clause.values) if v is not None))
            if not values:
                return Q.empty_query()
            if len(values) <= _FEW_TERMS:  # a term set is a bitset over every document: twice as slow for a few
                return _disjunction([Q.term_query(schema, f.name, v, index_option="basic") for v in values])
            return Q.term_set_query(schema, f.name, values)
        if isinstance(clause, Range):
            return self.range(f, clause)
        raise TypeError(f"unknown filter {clause!r}")

    def range(self, f: _Field, clause: Range) -> tantivy.Query:
        Q = tantivy.Query
        low, high = f.bound(clause.gte, upper=False), f.bound(clause.lte, upper=True)
        if low is None and high is None:
            return Q.exists_query(f.name)
        if low is not None and high is not None and low > high:
            return Q.empty_query()
        if f.kind == "keyword":  # tantivy has no range over text: list the values that fall in it
            values = [v for v in self.values(f) if (low is None or v >= low) and (high is None or v <= high)]
            return Q.term_set_query(self.s.schema, f.name, values) if values else Q.empty_query()
        if f.kind == "boolean":
            values = [v for v in (False, True) if (low is None or v >= low) and (high is None or v <= high)]
            return Q.term_set_query(self.s.schema, f.name, values) if values else Q.empty_query()
        kind = tantivy.FieldType.Float if f.kind == "float" else tantivy.FieldType.Integer
        return Q.range_query(self.s.schema, f.name, kind, low, high)

    def values(self, f: _Field) -> list:
        """Every distinct value of a field in the index."""
        self.read_the_index = True
        agg = self.searcher.aggregate(_ALL(), {"v": {"terms": {"field": f.name, "size": _MAX_BUCKETS, "segment_size": _MAX_BUCKETS}}})
        return [b["key"] for b in agg["v"]["buckets"]]

    def filters(self, filters: Iterable) -> tantivy.Query | None:
        parts = [self._parts(c) for c in filters]
        if not parts:
            return None
        return _conjunction([q for must, _ in parts for q in must], [q for _, must_not in parts for q in must_not])

    def text(self, text: str | None, all_tokens: bool) -> tantivy.Query | None:
        """BM25 over the search fields, each weighed as the mapping says: every token (or
        any) must occur in one of them; None when the text has no tokens."""
        if not text or not self.s.text:
            return None
        tokens = list(dict.fromkeys(_tokens(text)))
        if not tokens:
            return None
        Q, occur = tantivy.Query, tantivy.Occur
        per_token = [
            Q.boolean_query([
                (occur.Should, Q.boost_query(Q.term_query(self.s.schema, name, token, index_option="freq"), self.s.weights[path]))
                for path, name in self.s.text.items()
            ])
            for token in tokens
        ]
        if len(per_token) == 1:
            return per_token[0]
        return Q.boolean_query([(occur.Must if all_tokens else occur.Should, q) for q in per_token])

    def boosted(self, matched: tantivy.Query, boosts, filters: Iterable = ()) -> tantivy.Query:
        """``matched``, scored by the sum of the weights of the boosts each hit satisfies
        (plus a constant: the order is the same).

        A boost that no hit of ``filters`` can satisfy (:meth:`_never`) is left out: it adds
        nothing to any hit's score, and tantivy's cost is about the documents each clause
        matches in the whole index, hits or not (an angel's valuation steps of the stages
        its rules exclude).

        (Chaining each boost as an optional clause of the query so far was measured too:
        faster when few documents match, slower on most deal flows.)"""
        required = self._required(filters)
        if required:
            boosts = [boost for boost in boosts if not self._never(boost.clause, required)]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, _unscored(matched)), *_optional(self._boost_clauses(boosts)[0])])

    @staticmethod
    def _required(filters: Iterable) -> dict[str, list]:
        """The leaves every hit of ``filters`` satisfies (``Terms``, ``Range``, ``Missing``), by field."""
        required: dict[str, list] = {}
        for clause in filters:
            for leaf in _conjuncts(clause):
                if isinstance(leaf, (Terms, Range, Missing)):
                    required.setdefault(leaf.field, []).append(leaf)
        return required

    def _never(self, clause, required: dict[str, list]) -> bool:
        """Whether no document that satisfies the ``required`` leaves satisfies ``clause``: a
        ``Terms`` or ``Range`` it must hold excludes one of them on its field.  Only a clause
        that must hold a value is judged (a negated one is compiled as a constant and its
        negation, which other hits match)."""
        return any(self._excluded(leaf, other) for leaf in _conjuncts(clause) if isinstance(leaf, (Terms, Range))
                   for other in required.get(leaf.field, ()))

    def _excluded(self, leaf, other) -> bool:
        """Whether no document satisfies both ``leaf`` (a ``Terms`` or ``Range``) and ``other``:
        a missing value has none; values of a one-valued field in two sets that share none;
        a one-valued number or date in two ranges that do not meet."""
        if isinstance(other, Missing):
            return True
        f = self.s.fields.get(leaf.field)
        if f is None or f.array or type(leaf) is not type(other):
            return False
        if isinstance(leaf, Terms):
            values = [{v for v in (f.query_value(v) for v in t.values) if v is not None} for t in (leaf, other)]
            return not (values[0] & values[1])
        if f.kind not in _NUMBER_KINDS:
            return False
        (low, high), (other_low, other_high) = [(f.bound(r.gte, upper=False), f.bound(r.lte, upper=True)) for r in (leaf, other)]
        return (low is not None and other_high is not None and low > other_high) or (
            other_low is not None and high is not None and other_low > high)

    def _boost_clauses(self, boosts) -> tuple[list, float]:
        """Clauses with weights (tantivy queries), a document's total being the sum of
        the weights of those that hold for it plus a constant: its boosts' total.

        tantivy's cost is about the documents each clause matches, so the clauses are
        rewritten to match fewer, for the same sum: ranges of one number are cut into
        disjoint intervals (:meth:`_intervals`), and a clause that is a negation ("missing
        or in the range", "every need") adds its weight to the constant and takes it off
        where what it negates holds, instead of scanning every document.  A negative weight
        is added as it is (tantivy sums and orders negative scores; its disjunction-max
        alone counts a negative option as 0)."""
        weights: dict = {}
        for boost in boosts:
            weights[boost.clause] = weights.get(boost.clause, 0.0) + float(boost.weight)
        ranges: dict[str, list] = {}
        scored, constant = [], 0.0
        for clause, weight in weights.items():
            if not weight:
                continue
            f = self.s.fields.get(clause.field) if isinstance(clause, Range) else None
            if f is not None and not f.array and f.kind in _NUMBER_KINDS:
                ranges.setdefault(clause.field, []).append((clause, weight))
                continue
            must, must_not = self._parts(clause)
            if must:
                scored.append((_conjunction(must, must_not), weight))
            else:
                constant += weight
                if must_not:
                    scored.append((_disjunction(must_not), -weight))
        for path, group in ranges.items():
            scored += self._intervals(self.s.field(path), group) if len(group) > 1 else [(self.filter(group[0][0]), group[0][1])]
        return [(q, weight) for q, weight in scored if weight], constant

    def _intervals(self, f: _Field, group: list) -> list[tuple[tantivy.Query, float]]:
        """Ranges of one one-valued number or date, with their weights, as disjoint
        intervals each weighing the sum of the ranges holding it: a need matches one at
        most, where it matched every nested ticket band or revenue step."""
        bounds = []  # [low, high) with None for no end, the weight
        for clause, weight in group:
            low, high = f.bound(clause.gte, upper=False), f.bound(clause.lte, upper=True)
            if low is not None and high is not None and low > high:
                continue
            bounds.append((low, None if high is None else _after(f, high), weight))
        points = sorted({p for low, high, _ in bounds for p in (low, high) if p is not None})
        edges = [None, *points, None]
        pieces: list[list] = []  # [low, high, weight], adjacent ones of equal weight joined
        for low, high in zip(edges, edges[1:]):
            weight = sum(w for a, b, w in bounds if (a is None or (low is not None and a <= low))
                         and (b is None or (high is not None and high <= b)))
            if pieces and pieces[-1][2] == weight and pieces[-1][1] == low:
                pieces[-1][1] = high
            else:
                pieces.append([low, high, weight])
        kind = tantivy.FieldType.Float if f.kind == "float" else tantivy.FieldType.Integer
        Q, schema = tantivy.Query, self.s.schema
        return [(Q.exists_query(f.name) if low is None and high is None else
                 Q.range_query(schema, f.name, kind, low, high, include_upper=high is None), weight)
                for low, high, weight in pieces if weight]

    def best_of(self, matched: tantivy.Query, options, filters: Iterable = (), text: tantivy.Query | None = None) -> tantivy.Query:
        """``matched``, scored by the largest boost total of the options whose clause holds
        for a hit (``Query.best_of``): a disjunction-max of one query per option.

        An option scores a base where its clause holds, plus its boosts (and their
        constant, :meth:`_boost_clauses`): the base is what keeps every option's score at
        ``_OPTION_BASE`` at least, whatever its negative weights take off, so that a hit no
        option takes (0) comes after every hit one does, and every option's total is its
        true total plus one constant.

        The boosts every option has (the institution's profile, mostly) are counted once,
        outside the disjunction, for the hits some option takes: tantivy then evaluates
        each of them once instead of once per option.

        When one of the ``filters`` is the options' clauses in a disjunction (the deal
        flow's eligible needs: some product's rules hold), the disjunction-max itself must
        match, in place of that filter: the products' rules are evaluated once instead of
        three times (the filter, the disjunction-max, the shared boosts' "some option
        holds"), the bank's 4,840 eligible needs at 100k ranked in 18 instead of 31 ms.
        The scores are the same sums in another nesting, so this is done only when
        their sums are exact in any order (:func:`_exact_in_any_order`)."""
        Q, occur = tantivy.Query, tantivy.Occur
        shared = Counter(options[0].boosts) if options else Counter()
        for option in options[1:]:
            shared &= Counter(option.boosts)
        common, _ = self._boost_clauses(list(shared.elements()))  # the same for every hit some option takes
        compiled = []
        for option in options:
            clause = self.filter(option.clause) if option.clause is not None else None
            compiled.append((clause, *self._boost_clauses(list((Counter(option.boosts) - shared).elements()))))
        lowest = min((constant + _negative(own) for _, own, constant in compiled), default=0.0) + _negative(common)
        base = _OPTION_BASE - min(lowest, 0.0)
        per_option = [Q.boolean_query([(occur.Must, Q.const_score_query(clause if clause is not None else _ALL(), base + constant)),
                                       *_optional(own)]) for clause, own, constant in compiled]
        best = Q.disjunction_max_query(per_option, 0.0)
        clauses = [clause for clause, _, _ in compiled]
        implied = AnyOf(tuple(option.clause for option in options)) if options and None not in clauses else None
        if implied in filters and _exact_in_any_order(
                [weight for _, weight in common] + [w for _, own, constant in compiled for w in (base + constant, *(w for _, w in own))]):
            rest = _must(_unscored(text), self.filters([f for f in filters if f != implied]))
            return Q.boolean_query([(occur.Must, _unscored(rest)), (occur.Must, best), *_optional(common)])
        ranked = [(occur.Must, _unscored(matched)), (occur.Should, best)]
        if common and None in clauses:  # every hit has an option
            ranked += _optional(common)
        elif common:
            ranked.append((occur.Should, Q.boolean_query([(occur.Must, _unscored(_disjunction(clauses))), *_optional(common)])))
        return Q.boolean_query(ranked)


# -- the index --------------------------------------------------------------------------------
class TantivyIndex:
    """One index of the mapping in a folder (or in memory, ``path=None``).

    ``upsert``, ``delete`` and ``clear`` are staged until ``commit``; after it, searches
    from any thread, or any process that opens the folder, see them.
    """

    META = "matchmaker-index.json"

    def __init__(self, path: Path | None, spec: IndexSpec, *, heap_size: int = 64_000_000, writer_threads: int = 1):
        self.spec = spec
        self.path = Path(path) if path is not None else None
        self._s = _schema_of(spec)
        self._heap_size, self._writer_threads = heap_size, writer_threads
        self._writer: tantivy.IndexWriter | None = None
        self._staged = False  # changes the writer holds that no commit took yet
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stamp = None
        self._meta_json = str(self.path / "meta.json") if self.path is not None else None
        self._compiled: dict[tuple, tuple] = {}  # see _ranked
        self._generation = 0  # counts the reloads: a commit seen makes a generation
        self._cut: tuple[int, int | None] | None = None  # (generation, where its indexing order halves)
        self._next_seq: int | None = None  # the writer's next ``_SEQ``, read from the index when it takes the folder
        if self.path is None:
            self._index = tantivy.Index(self._s.schema)
        else:
            self._open_folder()
        self._index.config_reader("Manual", 0)
        self._index.reload()
        self._stamp = self._meta_stamp()

    def _open_folder(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        meta = self.path / self.META
        layout = {"index": self.spec.name, "version": self.spec.version, "fields": self._s.fingerprint}
        if meta.exists():
            found = json.loads(meta.read_text(encoding="utf-8"))
            if found.get("fields") != layout["fields"]:
                raise ConfigurationError(
                    f"the search index in {self.path} was built for another mapping of {self.spec.name!r}; rebuild it"
                )
        self._index = tantivy.Index(self._s.schema, str(self.path), reuse=True)
        if not meta.exists():
            tmp = meta.with_name(meta.name + ".tmp")
            tmp.write_text(json.dumps(layout), encoding="utf-8")
            tmp.replace(meta)

    # -- writing ----------------------------------------------------------------------------
    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(self._heap_size, self._writer_threads)
            except ValueError as exc:
                raise ConfigurationError(f"another process writes to the search index in {self.path} ({exc})") from None
            _WRITING.add(self)
        return self._writer

    def prepare(self, docs: list[dict]) -> list[str]:
        """What :meth:`upsert` derives from each document (the text's tokens above all), as
        the JSON object tantivy reads (``IndexWriter.add_json``): text that a second process
        may compute while this one writes the last batch.  tantivy parses it in Rust, where
        building its document from a dict of the values cost 15 us a need and unpickling
        that dict from an import's worker 17.  Raises ValueError for a document that does
        not fit the mapping."""
        made = []
        for doc in docs:
            values = self._s.document(doc)
            try:
                made.append(orjson.dumps(values).decode())
            except orjson.JSONEncodeError as exc:  # text that is not UTF-8 (a lone surrogate)
                raise ValueError(f"document {doc.get('id')}: {exc}") from None
        return made

    def upsert(self, docs: list[dict], prepared: list[str] | None = None) -> None:
        """Index each document (with its ``id``) in place of any earlier one with that id;
        ``prepared`` is what :meth:`prepare` gave for these very documents, if done ahead.

        A document tantivy refuses raises ValueError; the ones before it stay staged (each
        replaces itself if staged again)."""
        if prepared is None:
            prepared = self.prepare(docs)
        elif len(prepared) != len(docs):
            raise ValueError(f"prepared has {len(prepared)} entries for {len(docs)} documents")
        id_field = self._s.fields["id"].name
        with self._write_lock:
            first = self._take_seq(len(prepared))
            writer = self._get_writer()
            self._staged = True
            for n, (doc, values) in enumerate(zip(docs, prepared)):
                writer.delete_documents_by_term(id_field, doc["id"])
                writer.add_json(f'{{"{_SEQ}":{first + n},{values[1:]}')  # values: never "{}", the id is in it

    def _take_seq(self, count: int) -> int:
        """The first of ``count`` numbers of indexing order (under the write lock): after the
        greatest in the folder the first time, as another process may have written last."""
        if self._next_seq is None:
            self._reload()  # another process's commits (a new meta.json); ours are in _next_seq
            greatest = self._index.searcher().aggregate(_ALL(), {"m": {"max": {"field": _SEQ}}})["m"]["value"]
            self._next_seq = int(greatest) + 1 if greatest is not None else 0
        first, self._next_seq = self._next_seq, self._next_seq + count
        return first

    def delete(self, ids: Iterable[str]) -> None:
        with self._write_lock:
            writer = self._get_writer()
            self._staged = True
            id_field = self._s.fields["id"].name
            for doc_id in ids:
                writer.delete_documents_by_term(id_field, doc_id)

    def clear(self) -> None:
        """Remove every document (staged: the documents added after it, before the commit, stay)."""
        with self._write_lock:
            self._get_writer().delete_documents_by_query(_ALL())
            self._staged = True

    def commit(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.commit()
                self._staged = False
        self._reload(force=True)

    def close(self, finish_merges: bool = True) -> None:
        """Release the folder: uncommitted changes are dropped, and the merges the commits
        started are waited for (``finish_merges``), or stopped where they are (to hand the
        folder to another process at once: whoever commits next merges again).

        A rollback stops the merges under way: done after every commit, it left an index
        as many segments as it had commits (an import of 1M needs: 50 of 20,000, searched
        one by one)."""
        with self._write_lock:
            writer, self._writer = self._writer, None
            self._next_seq = None  # whoever writes next reads where the folder's order ends
            if writer is not None:
                if self._staged or not finish_merges:
                    writer.rollback()
                self._staged = False
                writer.wait_merging_threads()

    # -- reading ----------------------------------------------------------------------------
    def _meta_stamp(self):
        if self.path is None:
            return None
        try:
            st = os.stat(self._meta_json)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _reload(self, force: bool = False) -> None:
        """Pick up commits, ours or another process's: tantivy replaces meta.json on each."""
        stamp = self._meta_stamp()
        if not force and stamp == self._stamp:
            return
        with self._reload_lock:
            if force or stamp != self._stamp:
                self._index.reload()
                self._stamp = stamp
                self._generation += 1

    def _searcher(self) -> tantivy.Searcher:
        self._reload()
        return self._index.searcher()

    def _halving(self) -> tuple[tantivy.Searcher, int | None]:
        """A searcher and where its documents' indexing order cuts them in two (None for a
        small index), read once per generation: the middle of the least and the greatest
        ``_SEQ``, taken with the searcher so that a reload between them cannot pair one
        generation's cut with another's documents."""
        self._reload()
        with self._reload_lock:
            searcher, generation = self._index.searcher(), self._generation
        if searcher.num_docs < _HALVES_FROM:
            return searcher, None
        cut = self._cut
        if cut is None or cut[0] != generation:
            stats = searcher.aggregate(_ALL(), {"s": {"stats": {"field": _SEQ}}})["s"]
            middle = int((stats["min"] + stats["max"]) // 2) if stats.get("count") else None
            cut = self._cut = (generation, middle)
        return searcher, cut[1]

    def count(self, query: Query | None = None) -> int:
        searcher = self._searcher()
        compiler = _Compiler(self._s, searcher)
        if query is None:
            return searcher.num_docs
        q = _must(compiler.text(query.text, query.all_tokens), compiler.filters(query.filters))
        return searcher.search(q, 1, count=True).count

    def search(self, query: Query) -> IndexHits:
        check_window(query)
        aggregated = bool(query.facets or query.sums)  # then the aggregation counts the hits too
        boosted = query.per_page > 0 and not query.sort and bool(query.boosts or query.best_of)
        searcher, cut = self._halving() if boosted else (self._searcher(), None)
        compiler = _Compiler(self._s, searcher)
        ranking = _Ranking(self._s, searcher, compiler, cut)
        if boosted:
            matched, ranked, relevance = self._ranked(compiler, query)
        else:
            text, filters = compiler.text(query.text, query.all_tokens), compiler.filters(query.filters)
            matched = _must(_unscored(text), filters)
        paged_in_order = query.per_page <= 0 or bool(query.sort)  # then the aggregation counts the hits
        # a ranked query's halves take the helper themselves; any other counts its facets beside its page
        beside = aggregated and not boosted and query.per_page > 0 and searcher.num_docs >= _BESIDE_FROM
        aside = HALVES.beside(self._aggregate, searcher, matched, query, paged_in_order) if beside else None
        if paged_in_order:
            ids = ranking.sorted(matched, query.sort, query.offset, query.per_page)  # none when per_page <= 0
            total = None if aggregated else searcher.search(matched, 1, count=True).count
        elif boosted:
            ids, total = ranking.by_score(ranked, query.offset, query.per_page, relevance, boosted=True)
        elif text is not None:
            scored = _must(text, _unscored(filters))
            ids, total = ranking.by_score(scored, query.offset, query.per_page)
        else:
            ids, total = ranking.by_id(matched, query.offset, query.per_page)
        facets, sums = {}, {}
        if aggregated:
            facets, sums, counted = aside.result() if aside else self._aggregate(searcher, matched, query, paged_in_order)
            total = counted if total is None else total
        return IndexHits(ids=ids, total=total, facets=facets, sums=sums)

    def _ranked(self, compiler: _Compiler, query: Query) -> tuple:
        """The hits of a ranked query, their ranking and their text relevance (tantivy
        queries), kept by what they are compiled from: a deal flow asks the same two for
        every page and view, and compiling a bank's (four products' rules and boosts) took
        1 ms each.  A tantivy query holds no searcher; one compiled from the index's values
        (a range over keywords) is made again each time."""
        try:
            key = _compile_key(query)
            kept = self._compiled.get(key)
        except TypeError:  # a clause holding an unhashable value
            key = kept = None
        if kept is not None:
            return kept
        text, filters = compiler.text(query.text, query.all_tokens), compiler.filters(query.filters)
        matched = _must(_unscored(text), filters)
        relevance = _must(text, _unscored(filters)) if text is not None else None
        ranked = (compiler.best_of(matched, query.best_of, query.filters, text) if query.best_of
                  else compiler.boosted(matched, query.boosts, query.filters))
        kept = (matched, ranked, relevance)
        if key is not None and not compiler.read_the_index:
            if len(self._compiled) >= _COMPILED_MOST:
                self._compiled.clear()
            self._compiled[key] = kept
        return kept

    def _aggregate(self, searcher: tantivy.Searcher, matched: tantivy.Query, query: Query, count: bool = False):
        """Facet counts and sums of the hits, in one pass of tantivy's aggregations; with
        ``count``, the number of hits too (the values of the first id key, which every
        document has: a count of its own is one more pass, 0.85 against 0.36 ms for the
        75,000 open needs of 100,000), else None."""
        aggs: dict[str, dict] = {"n": {"value_count": {"field": _ID_KEYS[0]}}} if count else {}
        facet_fields = [self._s.field(name) for name in query.facets]
        for n, f in enumerate(facet_fields):
            aggs[f"f{n}"] = {"terms": {"field": f.name, "size": _MAX_BUCKETS, "segment_size": _MAX_BUCKETS}}
        sum_fields = [(agg, self._s.field(agg.group_by), self._s.field(agg.sum_field)) for agg in query.sums]
        for n, (_, group, summed) in enumerate(sum_fields):
            aggs[f"s{n}"] = {
                "terms": {"field": group.name, "size": _MAX_BUCKETS, "segment_size": _MAX_BUCKETS},
                "aggs": {"sum": {"sum": {"field": summed.name}}},
            }
        result = searcher.aggregate(matched, aggs)
        facets = {
            f.path: by_count({f.facet_key(b): b["doc_count"] for b in result[f"f{n}"]["buckets"]})
            for n, f in enumerate(facet_fields)
        }
        sums = {}
        for n, (agg, group, summed) in enumerate(sum_fields):
            as_number = float if summed.kind == "float" else (lambda v: int(round(v)))
            sums[agg.name] = {
                group.facet_key(b): {"count": b["doc_count"], "sum": as_number(b["sum"]["value"] or 0)}
                for b in result[f"s{n}"]["buckets"]
            }
        return facets, sums, int(result["n"]["value"] or 0) if count else None


class _Ranking:
    """Pages of hits in the query's order, each ending in the id."""

    def __init__(self, schema: _Schema, searcher: tantivy.Searcher, compiler: _Compiler, cut: int | None = None):
        self.s, self.searcher, self.compiler = schema, searcher, compiler
        self.id_field = schema.fields["id"].name
        self.cut = cut  # where a ranked query is cut in two halves searched at once (TantivyIndex._halving)

    def _ranked(self, q, limit: int):
        """``Searcher.search`` of a ranked query: as two halves at once, when cut."""
        if self.cut is None:
            return self.searcher.search(q, limit, count=True)
        Q, unsigned = tantivy.Query, tantivy.FieldType.Unsigned
        halves = (_must(q, _unscored(Q.range_query(self.s.schema, _SEQ, unsigned, 0, self.cut))),
                  _must(q, _unscored(Q.range_query(self.s.schema, _SEQ, unsigned, self.cut + 1, 2**64 - 1))))
        return HALVES.search(self.searcher, q, halves, limit)

    def _id(self, address) -> str:
        return self.searcher.doc(address).get_first(self.id_field)

    def _keys(self, addresses: list) -> list[tuple]:
        """Keys that order these hits by id: :func:`id_key`, and the stored id where two
        long ids share one."""
        keys = list(zip(*(self.searcher.fast_field_values(name, addresses) for name in _ID_KEYS)))
        counts = Counter(keys) if len(set(keys)) < len(keys) else {}
        shared = {key for key, n in counts.items() if n > 1 and key[2] & 0xFF == 255}
        return [key + (self._id(address) if key in shared else "",) for key, address in zip(keys, addresses)]

    def _ids(self, keys: list[tuple], addresses: list) -> list[str]:
        return [key[3] or _id_from_key(key) or self._id(address) for key, address in zip(keys, addresses)]

    def by_id(self, q, offset: int, limit: int, descending: bool = False) -> tuple[list[str], int]:
        """The hits in id order, read by the first id key (a u64 fast field) and each run
        of hits that share it, which the page touches, ordered by the whole key.

        tantivy's own order on the id (a text fast field) costs about 0.1 ms per hit
        before the page (76 ms for page 41 of 20 at 100k needs); the first key's order
        costs the same at any depth.  Ids that share their first 8 bytes make one run as
        long as the hits: past :data:`_ID_RUN_MOST` hits to read, the text order is used."""
        order = tantivy.Order.Desc if descending else tantivy.Order.Asc
        end = offset + limit
        fetch = 2 * end + _LOOKAHEAD
        while True:
            result = self.searcher.search(q, fetch, count=True, order_by_field=_ID_KEYS[0], order=order)
            hits, total = result.hits, result.count
            if len(hits) >= total or len(hits) < fetch or hits[-1][0] != hits[end - 1][0]:
                break
            if fetch * 8 > _ID_RUN_MOST + 2 * end:
                result = self.searcher.search(q, limit, count=True, order_by_field=self.id_field, offset=offset, order=order)
                return [key for key, _ in result.hits], result.count
            fetch *= 8
        if offset >= len(hits):
            return [], total
        lo, hi = offset, min(end, len(hits))
        while lo > 0 and hits[lo - 1][0] == hits[offset][0]:
            lo -= 1
        while hi < len(hits) and hits[hi][0] == hits[hi - 1][0]:
            hi += 1
        addresses = [address for _, address in hits[lo:hi]]
        span = sorted(zip(self._keys(addresses), addresses), key=_FIRST, reverse=descending)[offset - lo : end - lo]
        return self._ids([key for key, _ in span], [address for _, address in span]), total

    def by_score(self, q, offset: int, limit: int, then=None, boosted: bool = False) -> tuple[list[str], int]:
        """Highest score first, then (with ``then``, a second scored query) that score,
        then the id.  tantivy breaks score ties arbitrarily, so the hits are read until
        the score drops below the page's last: every tie the page cuts is then known.

        A tie longer than that is read whole (a text search's after one read eight times
        as far), with every hit: one more pass of the query, where walking the hits in id
        order for those of the tie's score took a pass per few hundred (past 10 s at 1M
        needs).  Without a second score, only the part of the tie up to an id that is
        known to be far enough is read (:meth:`_tie_up_to`)."""
        end = offset + limit
        first = fetch = 2 * end + (_BOOST_LOOKAHEAD if boosted else max(_LOOKAHEAD, self.searcher.num_docs // _TIE_SHARE))
        while True:
            result = self._ranked(q, fetch) if boosted else self.searcher.search(q, fetch, count=True)
            hits, total = result.hits, result.count
            if len(hits) >= total or len(hits) < fetch or hits[-1][0] != hits[end - 1][0]:
                break
            if then is None and (boosted or fetch != first):
                hits = self._tie_up_to(q, hits, end)
                break
            fetch = min(total, fetch * 8) if then is not None or (fetch == first and not boosted) else total
        if offset >= len(hits):
            return [], total
        window = hits[offset:end]
        lo = offset
        while lo > 0 and hits[lo - 1][0] == window[0][0]:
            lo -= 1
        hi = min(end, len(hits))
        while hi < len(hits) and hits[hi][0] == window[-1][0]:
            hi += 1
        addresses = [address for _, address in hits[lo:hi]]
        keys = self._keys(addresses)
        span = [(score, key, address) for (score, _), key, address in zip(hits[lo:hi], keys, addresses)]
        if then is None:  # by id, then by score (stable): two sorts on C keys beat one on a lambda's tuples
            span.sort(key=_SECOND)
            span.sort(key=_FIRST, reverse=True)
        else:
            ids = dict(zip(self._ids(keys, addresses), keys))
            second = {ids[doc_id]: score for doc_id, score in self._scores(then, list(ids)).items()}
            span.sort(key=lambda hit: (-hit[0], -second.get(hit[1], 0.0), hit[1]))
        page = span[offset - lo : offset - lo + limit]
        return self._ids([key for _, key, _ in page], [address for _, _, address in page]), total

    def _tie_up_to(self, q, hits: list, end: int) -> list:
        """The hits a page ending at ``end`` needs when the tie at its end runs past
        ``hits`` (the best by score, tantivy's ties in its own order): every hit above the
        tie, and the tie's hits up to the id key of the one the page would end on among
        those read.  At least that many of the tie lie at or below that key, so the page's
        are among them; tantivy reads the tie only that far when ids follow the order the
        documents were indexed in (an import), and the page's hits are ordered from far fewer."""
        tied = hits[end - 1][0]
        above = [hit for hit in hits if hit[0] > tied]
        tie = [address for score, address in hits if score == tied]
        last = sorted(self._keys(tie))[end - len(above) - 1][:3]
        bounded = _must(q, _unscored(self._id_key_at_most(last)))
        limit = len(hits)
        result = self.searcher.search(bounded, limit, count=True)
        while len(result.hits) < result.count and result.hits[-1][0] == tied:  # the tie may go on past what was read
            limit = min(result.count, limit * 8)
            result = self.searcher.search(bounded, limit, count=True)
        return above + [hit for hit in result.hits if hit[0] == tied]

    def _id_key_at_most(self, key: tuple) -> tantivy.Query:
        """The documents whose :func:`id_key` is at most ``key`` (compared as tuples)."""
        Q, schema, unsigned = tantivy.Query, self.s.schema, tantivy.FieldType.Unsigned
        parts, equal = [], []
        for n, (name, value) in enumerate(zip(_ID_KEYS, key)):
            last = n == len(_ID_KEYS) - 1
            if value or last:  # below 0 there is nothing
                parts.append(_must(*equal, Q.range_query(schema, name, unsigned, None, value, include_upper=last)))
            equal.append(Q.range_query(schema, name, unsigned, value, value))
        return _disjunction(parts)

    def _scores(self, q, ids: list[str]) -> dict[str, float]:
        only = tantivy.Query.term_set_query(self.s.schema, self.id_field, ids)
        result = self.searcher.search(_must(q, _unscored(only)), len(ids), count=False)
        addresses = [address for _, address in result.hits]
        return dict(zip(self._ids(self._keys(addresses), addresses), (score for score, _ in result.hits)))

    def sorted(self, q, sort: list[Sort], offset: int, limit: int) -> list[str]:
        """The hits ordered by ``sort`` (missing values last), then by id.

        The hits with a value of the first key are read in its order up to the page's end;
        each run of equal values the page shows is ordered by the other keys (a query of
        its own), and the hits without a value come after all of them."""
        if limit <= 0:
            return []
        if not sort:
            return self.by_id(q, offset, limit)[0]
        first, rest = sort[0], sort[1:]
        if first.field == "id":
            return self.by_id(q, offset, limit, first.descending)[0]
        f = self.s.field(first.field)
        if f.array:
            raise SortOnList(field=f.path, fields={"sort": [f"{f.path} holds a list"]})
        exists = tantivy.Query.exists_query(f.name)
        present = _must(q, exists)
        end = offset + limit
        order = tantivy.Order.Desc if first.descending else tantivy.Order.Asc
        result = self.searcher.search(present, 2 * end + _LOOKAHEAD, count=True, order_by_field=f.name, order=order)
        hits, with_value = result.hits, result.count
        ids: list[str] = []
        if offset < with_value:
            keys = [key for key, _ in hits]
            position = offset
            while position < min(end, with_value):
                value = keys[position]
                start = keys.index(value)
                stop = start
                while stop < len(keys) and keys[stop] == value:
                    stop += 1
                take = min(end, stop) - position
                complete = stop < len(keys) or len(keys) >= with_value
                if complete and not rest and stop - start <= 2 * take + 16:  # else one query costs less
                    addresses = [address for _, address in hits[start:stop]]
                    run = sorted(zip(self._keys(addresses), addresses))[position - start : position - start + take]
                    ids += self._ids([key for key, _ in run], [address for _, address in run])
                else:
                    equal = _must(q, self._equals(f, value))
                    ids += self.sorted(equal, rest, position - start, take)
                position += take
        if end > with_value:
            missing = tantivy.Query.boolean_query([(tantivy.Occur.Must, q), (tantivy.Occur.MustNot, exists)])
            ids += self.sorted(missing, rest, max(0, offset - with_value), end - max(offset, with_value))
        return ids

    def _equals(self, f: _Field, value) -> tantivy.Query:
        if f.kind in ("integer", "date", "float"):
            kind = tantivy.FieldType.Float if f.kind == "float" else tantivy.FieldType.Integer
            return tantivy.Query.range_query(self.s.schema, f.name, kind, value, value)
        return tantivy.Query.term_query(self.s.schema, f.name, value, index_option="basic")


#: Indexes of this process with a writer open.  A forked child must neither use nor drop
#: the parent's writers (dropping one joins threads the child does not have): it keeps
#: them, unused, for good.
_WRITING: "weakref.WeakSet[TantivyIndex]" = weakref.WeakSet()
_ORPHANS: list = []


def _orphan_writers_in_child() -> None:
    for index in list(_WRITING):
        if index._writer is not None:
            _ORPHANS.append(index._writer)
            index._writer = None
        index._next_seq = None
        index._write_lock = threading.Lock()
        index._reload_lock = threading.Lock()
    _WRITING.clear()


os.register_at_fork(after_in_child=_orphan_writers_in_child)
