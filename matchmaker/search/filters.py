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


def _in_range(value, clause: Range) -> bool:
    try:
        if clause.gte is not None and value < _comparable(clause.gte):
            return False
        if clause.lte is not None and value > _comparable(clause.lte):
            return False
    except TypeError:  # e.g. a string where a number belongs: the engine would not match it either
        return False
    return True


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
    if isinstance(clause, AnyOf):
        parts = [compile_clause(c) for c in clause.clauses]
        return lambda doc: any(part(doc) for part in parts)
    if isinstance(clause, Not):
        inner = compile_clause(clause.clause)
        return lambda doc: not inner(doc)
    path = tuple(clause.field.split("."))

    def values(doc) -> list:
        value = doc
        for part in path:
            if not isinstance(value, dict):
                return []
            value = value.get(part)
        if value is None:
            return []
        return [_comparable(v) for v in value] if isinstance(value, list) else [_comparable(value)]

    if isinstance(clause, Missing):
        return lambda doc: not values(doc)
    if isinstance(clause, Terms):
        wanted_list = [_comparable(v) for v in clause.values]
        try:
            wanted = frozenset(wanted_list)
        except TypeError:  # an unhashable value: compare value by value
            return lambda doc: any(v in wanted_list for v in values(doc))

        def member(v) -> bool:
            try:
                return v in wanted
            except TypeError:  # an unhashable value in the document matches nothing hashable
                return v in wanted_list

        return lambda doc: any(member(v) for v in values(doc))
    if isinstance(clause, Range):
        return lambda doc: any(_in_range(v, clause) for v in values(doc))
    raise TypeError(f"unknown filter {clause!r}")
