"""compile_clause(clause)(doc) answers exactly what holds(clause, doc) answers, for any
clause and any document: the scorer uses the compiled form, the engine's twin is holds."""
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


@settings(max_examples=400, deadline=None)
@given(clause=clauses, doc=documents)
def test_the_compiled_clause_agrees_with_holds(clause, doc):
    assert compile_clause(clause)(doc) == holds(clause, doc)


def test_terms_match_any_value_of_an_array_and_missing_means_absent_or_empty():
    designations = compile_clause(Terms("enterprise.designations", ["little_giant"]))
    assert designations({"enterprise": {"designations": ["high_tech", "little_giant"]}})
    assert not designations({"enterprise": {"designations": []}})
    missing = compile_clause(Missing("enterprise.designations"))
    assert missing({"enterprise": {"designations": []}}) and missing({}) and not missing({"enterprise": {"designations": ["x"]}})
    founded = compile_clause(Range("enterprise.founded", lte=date(2015, 1, 1)))
    assert founded({"enterprise": {"founded": "2012-05-01"}}) and not founded({"enterprise": {"founded": "2019-05-01"}})
