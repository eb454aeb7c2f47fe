"""Search filters evaluated in Python, the way the search engine evaluates them.

Used where documents are filtered outside the engine: the embedded backend's scans of
the records, and the scorer, which states each hard rule and each step of a factor once,
as a filter on the needs index (:mod:`matchmaker.search.query`).  Deal flow hands those filters to the
engine; :func:`holds` applies the very same filters to one need in Python.  So the
engine's candidates are exactly the needs the Python scorer calls eligible, and the
engine's boost total is exactly the Python score without the text factor.

There is one implementation, :func:`compile_clause` (compiled once per clause, cached);
:func:`holds` is that test applied to one document.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from .query import AnyOf, Missing, Not, Range, Terms


def _comparable(value):
    """Dates compare as ISO strings, as the engine stores them."""
    return value.isoformat() if isinstance(value, date) else value


def holds(clause, doc: dict) -> bool:
    """Whether ``doc`` satisfies the filter ``clause``: :func:`compile_clause`'s test, applied once.

    As in the engine, a missing value satisfies only :class:`Missing`; an array field
    satisfies ``Terms``/``Range`` when one of its values does.
    """
    return compile_clause(clause)(doc)


def compile_clause(clause):
    """The one evaluation of a filter: a function of ``doc``, with the clause's work done once
    (its path split, its values made comparable and put in a set).  A scorer tests the same few
    dozen clauses against thousands of needs (deal flow re-sorts blocks of 100), and the
    scorers of every institution and product share most clauses: each is compiled once."""
    try:
        return _compiled(clause)
    except TypeError:  # a clause holding an unhashable value: compiled every time
        return _compile(clause)


@lru_cache(maxsize=16384)
def _compiled(clause):
    return _compile(clause)


def _compile(clause):
    """The test of one clause, specialised to it: the path walked without building a list of
    the values, the bounds and the set made once, the common shapes (one or two parts of a
    path, an array or a single value) without a generator per call."""
    if isinstance(clause, AnyOf):
        parts = tuple(compile_clause(c) for c in clause.clauses)

        def any_of(doc) -> bool:
            for part in parts:
                if part(doc):
                    return True
            return False

        return any_of
    if isinstance(clause, Not):
        inner = compile_clause(clause.clause)
        return lambda doc: not inner(doc)
    value_of = _getter(tuple(clause.field.split(".")))
    if isinstance(clause, Missing):
        def missing(doc) -> bool:
            value = value_of(doc)
            return value is None or (isinstance(value, list) and not value)

        return missing
    if isinstance(clause, Terms):
        wanted_list = [_comparable(v) for v in clause.values]
        try:
            wanted = frozenset(wanted_list)
        except TypeError:  # an unhashable value: compare value by value
            return _each_value(value_of, lambda v: _comparable(v) in wanted_list)

        def member(v) -> bool:
            if isinstance(v, date):
                v = v.isoformat()
            try:
                return v in wanted
            except TypeError:  # an unhashable value in the document matches nothing hashable
                return v in wanted_list

        return _each_value(value_of, member)
    if isinstance(clause, Range):
        return _each_value(value_of, _range_test(clause))
    raise TypeError(f"unknown filter {clause!r}")


def _getter(path: tuple[str, ...]):
    """The value at ``path`` in a document (None where a part is missing or not an object)."""
    if len(path) == 1:
        (key,) = path
        return lambda doc: doc.get(key) if isinstance(doc, dict) else None
    if len(path) == 2:
        first, second = path

        def two(doc):
            value = doc.get(first) if isinstance(doc, dict) else None
            return value.get(second) if isinstance(value, dict) else None

        return two

    def walk(doc):
        value = doc
        for part in path:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return walk


def _each_value(value_of, test):
    """Whether ``test`` holds for a value of the field: for one of an array's, or for its one."""
    def holds_for_a_value(doc) -> bool:
        value = value_of(doc)
        if value is None:
            return False
        if isinstance(value, list):
            for v in value:
                if test(v):
                    return True
            return False
        return test(value)

    return holds_for_a_value


def _range_test(clause: Range):
    """Whether one value lies in the range (bounds included), the bounds made comparable once."""
    low = None if clause.gte is None else _comparable(clause.gte)
    high = None if clause.lte is None else _comparable(clause.lte)

    def within(v) -> bool:
        if isinstance(v, date):
            v = v.isoformat()
        try:
            if low is not None and v < low:
                return False
            if high is not None and v > high:
                return False
        except TypeError:  # e.g. a string where a number belongs: the engine would not match it either
            return False
        return True

    return within
