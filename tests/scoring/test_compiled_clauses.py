"""The one evaluation of a filter (compile_clause; holds applies it once) follows the
engine's rules for any clause and any document: NOT inverts, ANY OF is any of its parts,
a leaf looks at every value of an array, and a missing value satisfies only Missing."""
from __future__ import annotations

from datetime import date

from hypothesis import given, settings, strategies as st

from matchmaker.scoring.clauses import compile_clause, holds
from matchmaker.search.query import AnyOf, Missing, Not, Range, Terms

FIELDS = ["industry", "amount", "enterprise.founded", "enterprise.designations", "enterprise.high_tech"]
scalars = st.one_of(
    st.sampled_from(["new_energy", "biomedicine", "little_giant", "2012-05-01", "2020-01-01"]),
    st.integers(-5, 5) | st.sampled_from([1_000_000, 20_000_000]),
    st.booleans(),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    st.none(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.sampled_from(["a", "b"]), scalars, max_size=2))
documents = st.fixed_dictionaries({}, optional={
    "industry": values, "amount": values,
    "enterprise": st.one_of(values, st.fixed_dictionaries({}, optional={"founded": values, "designations": values, "high_tech": values})),
})
leaves = st.one_of(
    st.builds(Terms, st.sampled_from(FIELDS), st.lists(scalars.filter(lambda v: v is not None), min_size=1, max_size=3)),
    st.builds(Range, st.sampled_from(FIELDS), gte=scalars, lte=scalars),
    st.builds(Missing, st.sampled_from(FIELDS)),
)
clauses = st.recursive(leaves, lambda inner: st.one_of(st.builds(Not, inner), st.builds(AnyOf, st.lists(inner, max_size=3))), max_leaves=6)


def _values(doc, path):
    """The engine's view of a field: every value of it, dates as ISO strings (the test's own reading)."""
    value = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    return [v.isoformat() if isinstance(v, date) else v for v in (value if isinstance(value, list) else [value])]


def _iso(v):
    return v.isoformat() if isinstance(v, date) else v


def _leaf_expected(clause, doc) -> bool:
    values = _values(doc, clause.field)
    if isinstance(clause, Missing):
        return not values
    if isinstance(clause, Terms):
        return any(v == _iso(w) for v in values for w in clause.values)

    def within(v):
        try:
            return (clause.gte is None or v >= _iso(clause.gte)) and (clause.lte is None or v <= _iso(clause.lte))
        except TypeError:  # a string where a number belongs matches nothing
            return False
    return any(within(v) for v in values)


@settings(max_examples=400, deadline=None)
@given(clause=clauses, doc=documents)
def test_not_and_any_of_compose_as_the_engine_does(clause, doc):
    test = compile_clause(clause)
    assert compile_clause(Not(clause))(doc) is (not test(doc))
    if isinstance(clause, AnyOf):
        assert test(doc) == any(compile_clause(c)(doc) for c in clause.clauses)
    assert holds(clause, doc) == test(doc)


@settings(max_examples=400, deadline=None)
@given(clause=leaves, doc=documents)
def test_a_leaf_looks_at_every_value_and_a_missing_value_satisfies_only_missing(clause, doc):
    assert compile_clause(clause)(doc) == _leaf_expected(clause, doc)


def test_terms_match_any_value_of_an_array_and_missing_means_absent_or_empty():
    designations = compile_clause(Terms("enterprise.designations", ["little_giant"]))
    assert designations({"enterprise": {"designations": ["high_tech", "little_giant"]}})
    assert not designations({"enterprise": {"designations": []}})
    missing = compile_clause(Missing("enterprise.designations"))
    assert missing({"enterprise": {"designations": []}}) and missing({}) and not missing({"enterprise": {"designations": ["x"]}})
    founded = compile_clause(Range("enterprise.founded", lte=date(2015, 1, 1)))
    assert founded({"enterprise": {"founded": "2012-05-01"}}) and not founded({"enterprise": {"founded": "2019-05-01"}})
