"""The tantivy index answers every query as a brute-force reference in Python does.

The reference (:class:`Reference`) reads every document and applies the query's meaning
literally: the engine's own filter evaluator (``search/filters.py``, which the record scans
use), the analyser's tokens in any search field, facets counted per document, sums, sorts
with missing values last and the id as the last key.  The same documents go into both, and
ids, totals, facets and sums must agree.  A page ordered by relevance is compared as the
set of all hits (BM25 has no reference here); every other order is compared exactly.
"""
from __future__ import annotations

import math
import random
from dataclasses import replace
import sys
import threading
from types import SimpleNamespace

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings, strategies as st

from matchmaker.errors import ConfigurationError, ValidationError
from matchmaker.search import AnyOf, Missing, Not, Query, Range, Sort, SumAggregation, Terms
from matchmaker.search.analysis import tokenize
from matchmaker.search.filters import compile_clause
from matchmaker.search.mappings import get_value, load_indexes
from matchmaker.search.query import MAX_RESULT_WINDOW, Boost, RankOption, by_count
from matchmaker.search import tantivy_halves, tantivy_index
from matchmaker.search.tantivy_index import TantivyIndex

from test_backend_contract import HOSTILE, boosted_needs, four_institutions, need, solar_needs, text_needs, title_needs

SPECS = load_indexes()


def _values(doc: dict, path: str) -> list:
    value = get_value(doc, path)
    values = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(v for v in values if v is not None))


def _key(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class Reference:
    """Every document of each index in memory, each query answered by reading all of them."""

    def __init__(self):
        self.docs: dict[str, dict[str, dict]] = {}

    def load(self, name: str, docs: list[dict]) -> None:
        self.docs.setdefault(name, {}).update((d["id"], d) for d in docs)

    def _matches(self, spec, doc: dict, query: Query) -> bool:
        if not all(compile_clause(clause)(doc) for clause in query.filters):
            return False
        tokens = set(tokenize(query.text)) if query.text and spec.search_fields else set()
        if not tokens:
            return True
        present = {t for path in spec.search_fields for v in _values(doc, path) for t in tokenize(str(v))}
        return tokens <= present if query.all_tokens else bool(tokens & present)

    def search(self, name: str, query: Query):
        spec = SPECS[name]
        hits = sorted((d for d in self.docs.get(name, {}).values() if self._matches(spec, d, query)), key=lambda d: d["id"])
        for order in reversed(query.sort):  # stable sorts, the last key first; missing values last either way
            if order.descending:
                hits.sort(key=lambda d: (0, 0) if get_value(d, order.field) is None else (1, get_value(d, order.field)),
                          reverse=True)
            else:
                hits.sort(key=lambda d: (1, 0) if get_value(d, order.field) is None else (0, get_value(d, order.field)))
        if query.best_of and not query.sort:  # the best total of the options that hold; hits none holds last
            options = [(compile_clause(o.clause) if o.clause is not None else None,
                        [(compile_clause(b.clause), b.weight) for b in o.boosts]) for o in query.best_of]
            hits.sort(key=lambda d: -max((sum(weight for check, weight in boosts if check(d))
                                          for holds, boosts in options if holds is None or holds(d)), default=-1e9))
        elif query.boosts and not query.sort:
            checks = [(compile_clause(b.clause), b.weight) for b in query.boosts]
            hits.sort(key=lambda d: -sum(weight for check, weight in checks if check(d)))
        facets = {}
        for path in query.facets:
            counts: dict[str, int] = {}
            for d in hits:
                for v in _values(d, path):
                    counts[_key(v)] = counts.get(_key(v), 0) + 1
            facets[path] = by_count(counts)
        sums = {}
        for agg in query.sums:
            as_number = float if spec.field(agg.sum_field).type in ("float", "double") else int
            groups: dict[str, dict] = {}
            for d in hits:
                for v in _values(d, agg.group_by):
                    group = groups.setdefault(_key(v), {"count": 0, "sum": 0})
                    group["count"] += 1
                    group["sum"] += get_value(d, agg.sum_field) or 0
            sums[agg.name] = {k: {"count": g["count"], "sum": as_number(g["sum"])} for k, g in groups.items()}
        page = hits[query.offset : query.offset + query.per_page] if query.per_page > 0 else []
        return SimpleNamespace(items=page, total=len(hits), facets=facets, sums=sums)


class Pair:
    """The reference and one TantivyIndex per index, fed the same documents."""

    def __init__(self, folder):
        self.reference = Reference()
        self.folder = folder
        self.indexes: dict[str, TantivyIndex] = {}

    def index(self, name: str) -> TantivyIndex:
        if name not in self.indexes:
            self.indexes[name] = TantivyIndex(self.folder / "tantivy" / name, SPECS[name])
        return self.indexes[name]

    def load(self, name: str, *docs: dict) -> None:
        self.reference.load(name, list(docs))
        self.index(name).upsert(list(docs))
        self.index(name).commit()

    def check(self, name: str, query: Query) -> list[str]:
        """Both answers to ``query`` agree; returns the page's ids."""
        expected = self.reference.search(name, query)
        got = self.index(name).search(query)
        assert got.total == expected.total
        assert got.facets == expected.facets
        assert list(map(list, got.facets.values())) == list(map(list, expected.facets.values()))  # order too
        assert got.sums == expected.sums
        if query.text and tokenize(query.text) and not query.sort:
            every = Query(text=query.text, all_tokens=query.all_tokens, filters=query.filters, per_page=200)
            assert set(self.index(name).search(every).ids) == {d["id"] for d in self.reference.search(name, every).items}
            assert len(got.ids) == len(expected.items)
        else:
            assert got.ids == [d["id"] for d in expected.items]
        return got.ids

    def close(self) -> None:
        for index in self.indexes.values():
            index.close()


@pytest.fixture
def pair(tmp_path):
    p = Pair(tmp_path)
    yield p
    p.close()


# -- generated documents and queries compared with the reference -------------------------------------
WORDS = ["电池", "储能", "新能源", "融资", "担保", "设备", "battery", "batteries", "storage", "patent", "patents",
         "recycling", "solar", "the", "of", "plant", "生产线"]
INDUSTRIES = ["advanced_manufacturing", "new_energy", "biotech", "software"]
INSTRUMENTS = ["loan", "equity", "guarantee", None]
STAGES = ["startup", "growth", "mature"]
STATUSES = ["open", "closed", None]
AMOUNTS = [None, 100, 200, 200, 300, 5_000_000]
TERMS = [None, 6, 12, 36]
PCTS = [None, 5.0, 12.5, 20.0]
DATES = [None, "2025-01-02T03:04:05Z", "2025-02-01T00:00:00Z", "2025-03-15T12:00:00Z", "2026-01-01T00:00:00Z"]
TIERS = ["seed", "grow", "excel", None]


def _generated_needs(count: int = 80) -> list[dict]:
    rng = random.Random(11)

    def words(n):
        return " ".join(rng.choice(WORDS) for _ in range(n))

    docs = [
        need(
            f"g{i:03d}",
            title=words(rng.randint(1, 4)), description=words(rng.randint(0, 8)), purpose=words(rng.randint(0, 2)),
            enterprise_name=rng.choice(["天津精工机械有限公司", "Binhai Solar Storage", "滨海电池"]),
            industry=rng.choice(INDUSTRIES), instrument=rng.choice(INSTRUMENTS), stage=rng.choice(STAGES),
            status=rng.choice(STATUSES), amount=rng.choice(AMOUNTS), term_months=rng.choice(TERMS),
            equity_offered_pct=rng.choice(PCTS), created_at=rng.choice(DATES),
            enterprise={"tier": rng.choice(TIERS), "has_collateral": rng.choice([True, False, None]),
                        "founded": rng.choice(DATES)},
        )
        for i in range(count)
    ]
    rng.shuffle(docs)  # tantivy breaks ties by insertion order: make it unlike the ids'
    return docs


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    p = Pair(tmp_path_factory.mktemp("generated"))
    p.load("needs", *_generated_needs())
    yield p
    p.close()


leaf = st.one_of(
    st.builds(Terms, st.sampled_from(["industry", "stage"]), st.lists(st.sampled_from(INDUSTRIES + STAGES), max_size=3)),
    st.builds(Terms, st.just("instrument"), st.lists(st.sampled_from([i for i in INSTRUMENTS if i]), max_size=2)),
    st.builds(Terms, st.just("status"), st.lists(st.sampled_from(["open", "closed"]), min_size=1, max_size=2)),
    st.builds(Terms, st.just("enterprise.has_collateral"), st.lists(st.booleans(), min_size=1, max_size=2)),
    st.builds(Terms, st.just("term_months"), st.lists(st.sampled_from([6, 12, 36, 7]), min_size=1, max_size=2)),
    st.builds(Range, st.just("amount"), st.sampled_from([None, 100, 150, 200]), st.sampled_from([None, 200, 300, 10**7])),
    st.builds(Range, st.just("equity_offered_pct"), st.sampled_from([None, 5.0, 6]), st.sampled_from([None, 12.5, 20])),
    st.builds(Range, st.just("created_at"), st.sampled_from([None, *DATES[1:3]]), st.sampled_from([None, *DATES[2:]])),
    st.builds(Missing, st.sampled_from(["amount", "instrument", "equity_offered_pct", "enterprise.tier", "created_at"])),
    # "missing or in the range", as the hard rules say it (compiled as "not below and not above it")
    st.builds(lambda r, first: AnyOf((Missing(r.field), r) if first else (r, Missing(r.field))), st.one_of(
        st.builds(Range, st.just("amount"), st.sampled_from([None, 100, 150.5, 200]), st.sampled_from([None, 199.5, 300])),
        st.builds(Range, st.just("term_months"), st.sampled_from([None, 6, 12]), st.sampled_from([None, 12, 36])),
        st.builds(Range, st.just("equity_offered_pct"), st.sampled_from([None, 5.0, 6]), st.sampled_from([None, 12.5, 20])),
        st.builds(Range, st.just("created_at"), st.sampled_from([None, *DATES[1:3]]), st.sampled_from([None, *DATES[2:]])),
    ), st.booleans()),
)
clauses = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(lambda cs: AnyOf(tuple(cs)), st.lists(inner, max_size=3)),
    ),
    max_leaves=5,
)
sorts = st.lists(
    st.builds(Sort, st.sampled_from(["amount", "created_at", "term_months", "equity_offered_pct", "industry", "id",
                                     "enterprise.has_collateral"]), st.booleans()),
    max_size=2,
)
weights = st.sampled_from([10, 5, 2.5, -20, -5])
boosts = st.builds(Boost, clauses, weights)
#: Steps on one number, as a ticket's bands and a signal's thresholds are: nested and
#: overlapping ranges (tantivy cuts them into disjoint intervals), with "missing or in range".
_BOUNDS = {"amount": [None, 100, 150, 200, 250.5, 300], "term_months": [None, 6, 12, 36],
           "equity_offered_pct": [None, 5.0, 6, 12.5, 20], "created_at": [None, *DATES[1:]]}
banded = st.sampled_from(sorted(_BOUNDS)).flatmap(lambda path: st.lists(st.builds(
    Boost,
    st.one_of(
        st.builds(Range, st.just(path), st.sampled_from(_BOUNDS[path]), st.sampled_from(_BOUNDS[path])),
        st.builds(lambda r: AnyOf((Missing(r.field), r)), st.builds(Range, st.just(path), st.sampled_from(_BOUNDS[path]),
                                                                    st.sampled_from(_BOUNDS[path]))),
        st.just(Missing(path)),
    ),
    weights,
), min_size=2, max_size=5))
some_boosts = st.one_of(st.lists(boosts, max_size=3), banded, st.builds(lambda a, b: a + b, banded, st.lists(boosts, max_size=2)))
#: Options of a best-of ranking, with boosts each has and boosts all share (counted once by tantivy).
best_of = st.builds(
    lambda shared, options: [RankOption(clause, tuple(own) + tuple(shared)) for clause, own in options],
    st.one_of(st.lists(boosts, max_size=2), banded),
    st.lists(st.tuples(st.one_of(st.none(), clauses), st.one_of(st.lists(boosts, max_size=2), banded)), min_size=1, max_size=3),
)
queries = st.builds(
    Query,
    text=st.one_of(st.none(), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)),
    all_tokens=st.booleans(),
    filters=st.lists(clauses, max_size=3),
    sort=sorts,
    page=st.integers(1, 4),
    per_page=st.integers(0, 9),
    facets=st.lists(st.sampled_from(["industry", "instrument", "stage", "enterprise.tier", "enterprise.has_collateral",
                                     "term_months"]), unique=True, max_size=3),
    sums=st.lists(st.builds(SumAggregation, st.just("s"), st.sampled_from(["instrument", "industry"]),
                            st.sampled_from(["amount", "equity_offered_pct"])), max_size=1),
    boosts=some_boosts,
    best_of=st.one_of(st.just([]), best_of),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_answers_as_the_reference_does(generated, query):
    generated.check("needs", query)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_answers_as_the_reference_does_when_reading_no_hit_ahead(generated, monkeypatch, query):
    """Ties longer than the hits read at first (rare on small data) are read on."""
    monkeypatch.setattr(tantivy_index, "_LOOKAHEAD", 0)
    monkeypatch.setattr(tantivy_index, "_BOOST_LOOKAHEAD", 0)
    generated.check("needs", query)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, lookahead=st.sampled_from([0, 2000]))
def test_answers_as_the_reference_does_searched_in_two_halves(generated, monkeypatch, query, lookahead):
    """A ranked query of a large index is searched as two halves of its indexing order at
    once (here every index is large, and a core spare); a tie that runs past what the
    first read takes (no lookahead) runs across the halves."""
    monkeypatch.setattr(tantivy_index, "_HALVES_FROM", 0)
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    monkeypatch.setattr(tantivy_index, "_BOOST_LOOKAHEAD", lookahead)
    generated.check("needs", query)


def test_a_ranked_query_of_a_large_index_is_searched_in_two_halves_unless_no_core_or_helper_is_free(generated, monkeypatch):
    query = Query(boosts=[Boost(Terms("stage", ["growth"]), 5), Boost(Range("amount", 150, None), 2.5)], page=2, per_page=9)
    whole = generated.check("needs", query)
    monkeypatch.setattr(tantivy_index, "_HALVES_FROM", 0)
    halves_found, real = [], tantivy_halves.HALVES.search

    def spied(searcher, q, halves, limit):
        halves_found.append([searcher.search(half, 1, count=True).count for half in halves])
        return real(searcher, q, halves, limit)

    monkeypatch.setattr(tantivy_halves.HALVES, "search", spied)
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    assert generated.check("needs", query) == whole
    total = generated.index("needs").count()
    assert halves_found and sum(halves_found[0]) == total and min(halves_found[0]) >= total // 3  # about half each
    monkeypatch.setattr(tantivy_halves.HALVES, "search", real)
    monkeypatch.setattr(tantivy_halves.HALVES, "_helpers", lambda: pytest.fail("no core was spare"))
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: False)
    assert generated.check("needs", query) == whole  # searched whole, in the asking thread
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    taken = [tantivy_halves.HALVES._free.acquire(blocking=False) for _ in range(tantivy_halves.HELPERS)]
    try:
        assert all(taken)
        assert generated.check("needs", query) == whole  # searched whole, in the asking thread
    finally:
        for _ in taken:
            tantivy_halves.HALVES._free.release()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_answers_as_the_reference_does_with_the_facets_counted_beside_the_page(generated, monkeypatch, query):
    """With a core spare, a search's facets and sums are counted in a helper thread while
    the asking one reads the page (and the count, or not, as in turn)."""
    monkeypatch.setattr(tantivy_index, "_BESIDE_FROM", 0)
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    generated.check("needs", query)


def _threads_aggregating(index, monkeypatch) -> list[str]:
    """The names of the threads each aggregation of ``index``'s searches ran in."""
    threads = []
    searcher = type(index)._searcher

    class Watched:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def aggregate(self, *args):
            threads.append(threading.current_thread().name)
            return self.inner.aggregate(*args)

    monkeypatch.setattr(type(index), "_searcher", lambda self: Watched(searcher(self)))
    return threads


def test_facets_are_counted_beside_the_page_of_a_large_index_while_a_core_and_a_helper_are_free(generated, monkeypatch):
    query = Query(text="电池 battery", all_tokens=False, facets=["industry", "stage"], per_page=5)
    in_turn = generated.check("needs", query)
    threads = _threads_aggregating(generated.index("needs"), monkeypatch)
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    assert generated.check("needs", query) == in_turn
    assert threads[-1] == threading.current_thread().name  # a small index: in the asking thread
    monkeypatch.setattr(tantivy_index, "_BESIDE_FROM", 0)
    assert generated.check("needs", query) == in_turn
    assert threads[-1].startswith("tantivy-half")  # counted in a helper
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: False)
    assert generated.check("needs", query) == in_turn
    assert threads[-1] == threading.current_thread().name  # no core spare: in the asking thread
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)
    taken = [tantivy_halves.HALVES._free.acquire(blocking=False) for _ in range(tantivy_halves.HELPERS)]
    try:
        assert all(taken)
        assert generated.check("needs", query) == in_turn
        assert threads[-1] == threading.current_thread().name  # no helper free: in the asking thread
    finally:
        for _ in taken:
            tantivy_halves.HALVES._free.release()


def test_an_aggregation_that_fails_in_a_helper_fails_the_search(generated, monkeypatch):
    index = generated.index("needs")
    monkeypatch.setattr(tantivy_index, "_BESIDE_FROM", 0)
    monkeypatch.setattr(tantivy_halves, "spare_core", lambda: True)

    def broken(*args):
        raise RuntimeError("the aggregation broke")

    monkeypatch.setattr(type(index), "_aggregate", broken)
    with pytest.raises(RuntimeError, match="the aggregation broke"):
        index.search(Query(text="电池", facets=["industry"], per_page=5))


def test_indexing_order_goes_on_past_the_folder_s_when_another_writer_takes_it(tmp_path):
    """Each document indexed is numbered after every one before it, by whichever writer:
    the halves of a ranked query are runs of documents in each segment."""
    first = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    first.upsert([need("a"), need("b")])
    first.commit()
    first.close()
    second = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    second.upsert([need("c")])
    second.upsert([need("a", title="again")])  # written again: numbered last
    second.commit()
    searcher = second._searcher()
    addresses = [address for _, address in searcher.search(tantivy.Query.all_query(), 10).hits]
    ids = [searcher.doc(address).get_first(second._s.fields["id"].name) for address in addresses]
    order = dict(zip(ids, searcher.fast_field_values(tantivy_index._SEQ, addresses)))
    second.close()
    assert order == {"b": 1, "c": 2, "a": 3}


#: A deal flow's eligible query: the options' clauses in a disjunction are one of its filters.
with_options_as_a_filter = st.builds(
    lambda query, options, before: replace(query, best_of=options, sort=[], filters=(
        [AnyOf(tuple(o.clause for o in options))] + query.filters if before else query.filters + [AnyOf(tuple(o.clause for o in options))])),
    queries,
    best_of.filter(lambda options: all(o.clause is not None for o in options)),
    st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=with_options_as_a_filter)
def test_best_of_with_its_options_as_a_filter_answers_as_the_reference_does(generated, query):
    """The disjunction-max stands for the filter (the rewrite exact sums allow)."""
    generated.check("needs", query)


def test_sums_of_weights_are_exact_in_any_order_on_a_grid_of_one_power_of_two():
    exact = tantivy_index._exact_in_any_order
    assert exact([9.375, 5.46875, -2.9296875, 1.1250000000000002, 1002.9296875])  # 1.125 once a 32-bit float
    assert exact([2.0**20, 2.0**20, 2.0**22])
    assert not exact([2.0**23, 2.0**23, 0.5])  # past 2**24 halves
    # -ln(0.5) * 60, a broken rule's weight: its 32-bit float has 18 bits of fraction, a sum past 64 rounds
    assert exact([41.58883083359672, 4.6875])
    assert not exact([1041.58883083359672, 41.58883083359672, 83.17766166719343])
    assert not exact([math.inf])
    assert exact([])


def test_generated_queries_reach_ties_and_pages(generated):
    """The generated data has what the property test needs to mean something."""
    assert generated.check("needs", Query(sort=[Sort("amount")], page=2, per_page=7))
    assert generated.check("needs", Query(text="电池 battery", all_tokens=False, facets=["industry"]))
    assert generated.check("needs", Query(boosts=[Boost(Terms("stage", ["growth"]), 5)], page=3, per_page=9))


# -- focused behaviour --------------------------------------------------------------------------
@pytest.fixture
def texts(pair):
    pair.load("needs", *text_needs())
    return pair


def found(pair, text: str, **kwargs) -> set[str]:
    return set(pair.index("needs").search(Query(text=text, per_page=100, **kwargs)).ids)


def test_chinese_words_are_found_inside_longer_text(texts):
    assert found(texts, "电池") == {"cn-battery", "mixed"}
    assert found(texts, "新能源") == {"cn-battery"}
    assert found(texts, "电动") == set()
    texts.check("needs", Query(text="担保", facets=["industry"]))


def test_hostile_query_strings_never_raise(texts):
    for text in HOSTILE:
        assert 0 <= texts.index("needs").search(Query(text=text, facets=["industry"])).total <= 5
        texts.index("users").search(Query(text=text))  # an index without search fields ignores text


def test_english_words_are_stemmed(texts):
    assert found(texts, "patents") == {"en-patent"}
    assert found(texts, "RECYCLED Batteries") == {"en-battery"}
    assert found(texts, "battery storage", all_tokens=False) == {"en-battery", "mixed"}


def test_a_match_in_the_title_ranks_first(pair):
    pair.load("needs", *title_needs())
    assert pair.index("needs").search(Query(text="solar")).ids == ["z-title", "a-description"]


@pytest.mark.parametrize("lookahead", [400, 0])
def test_relevance_ties_are_ordered_by_id(pair, monkeypatch, lookahead):
    monkeypatch.setattr(tantivy_index, "_LOOKAHEAD", lookahead)
    pair.load("needs", *[need(f"n{i:02d}", title="电池 project") for i in reversed(range(30))], need("x", title="other"))
    pages = [pair.index("needs").search(Query(text="电池", page=p, per_page=7)).ids for p in range(1, 6)]
    assert sum(pages, []) == [f"n{i:02d}" for i in range(30)]


def test_long_ids_that_share_a_prefix_are_ordered_by_the_whole_id(pair):
    prefix = "enterprise-need-0000000000"
    pair.load("needs", *[need(f"{prefix}{i % 7}-{i:03d}", title="电池", amount=i % 3) for i in range(40)])
    for page in (1, 2, 3):
        pair.check("needs", Query(boosts=[Boost(Terms("amount", [1]), 5)], page=page, per_page=9))
        pair.check("needs", Query(sort=[Sort("amount", descending=True)], page=page, per_page=9))
    pages = [pair.index("needs").search(Query(text="电池", page=p, per_page=9)).ids for p in range(1, 6)]
    assert sum(pages, []) == sorted(f"{prefix}{i % 7}-{i:03d}" for i in range(40))


@pytest.mark.parametrize("run_most", [10_000, 0])
@pytest.mark.parametrize("lookahead", [100, 0])
def test_pages_in_id_order_at_any_depth(pair, monkeypatch, lookahead, run_most):
    """A page in id order (no text, no sort) is read by the first id key, each run of ids
    sharing their first 8 bytes ordered whole (and past ``_ID_RUN_MOST``, by tantivy's text
    order): runs of 1, 7 and all of the hits, ids shorter and longer than the key holds."""
    monkeypatch.setattr(tantivy_index, "_LOOKAHEAD", lookahead)
    monkeypatch.setattr(tantivy_index, "_ID_RUN_MOST", run_most)
    ids = [f"r{i:03d}" for i in range(20)] + [f"shared-{i % 7}{i:03d}" for i in range(49)]
    ids += [f"enterprise-need-0000000000{i % 3}-{i:03d}" for i in range(20)]
    random.Random(5).shuffle(ids)  # tantivy breaks ties by insertion order: make it unlike the ids'
    pair.load("needs", *[need(doc_id, status="open" if n % 4 else "closed") for n, doc_id in enumerate(ids)])
    for descending in (False, True):
        order = [Sort("id", descending=True)] if descending else []
        pages = [pair.check("needs", Query(sort=order, page=p, per_page=6)) for p in range(1, 17)]
        assert sum(pages, []) == sorted(ids, reverse=descending)
        pair.check("needs", Query(filters=[Terms("status", ["open"])], sort=order, page=9, per_page=5))
        assert pair.check("needs", Query(sort=order, page=9, per_page=20)) == []


@pytest.fixture
def amounts(pair):
    pair.load(
        "needs",
        need("d", amount=300), need("b", amount=100), need("e", amount=None),
        need("a", amount=300), need("c", amount=200), need("f", amount=None),
    )
    return pair


def test_sort_puts_missing_values_last_and_breaks_ties_by_id(amounts):
    assert amounts.check("needs", Query(sort=[Sort("amount")])) == ["b", "c", "a", "d", "e", "f"]
    assert amounts.check("needs", Query(sort=[Sort("amount", descending=True)])) == ["a", "d", "c", "b", "e", "f"]
    assert amounts.check("needs", Query()) == ["a", "b", "c", "d", "e", "f"]
    assert amounts.check("needs", Query(sort=[Sort("id", descending=True)])) == ["f", "e", "d", "c", "b", "a"]
    pages = [amounts.check("needs", Query(sort=[Sort("amount", descending=True)], page=p, per_page=1)) for p in range(1, 8)]
    assert pages == [["a"], ["d"], ["c"], ["b"], ["e"], ["f"], []]


def test_boosts_rank_before_relevance_and_id(pair):
    docs, boosts = boosted_needs()
    pair.load("needs", *docs)
    assert pair.check("needs", Query(boosts=boosts)) == ["d", "c", "b", "a", "e"]
    assert pair.check("needs", Query(boosts=boosts, sort=[Sort("id")])) == ["a", "b", "c", "d", "e"]


def test_boost_ties_are_ordered_by_relevance(pair):
    pair.load("needs", *solar_needs())
    query = Query(text="solar", boosts=[Boost(Terms("instrument", ["equity"]), 1)])
    assert pair.index("needs").search(query).ids == ["z-equity", "m-title", "a-description"]


@pytest.fixture
def institutions(pair):
    pair.load("institutions", *four_institutions())
    return pair


def test_not_holds_for_documents_without_the_field(institutions):
    assert set(institutions.check("institutions", Query(filters=[Not(Terms("status", ["target"]))]))) == {
        "bank", "vc", "guarantor", "fund"}
    assert institutions.check("institutions", Query(filters=[Not(Terms("status", ["entered"]))])) == ["fund"]
    assert institutions.check("institutions", Query(filters=[Not(Terms("instruments", ["loan"]))])) == ["vc"]
    assert institutions.check("institutions", Query(filters=[Missing("industries")])) == ["guarantor"]


def test_filters_on_arrays_booleans_and_open_ranges(institutions):
    def amount(x):
        return [AnyOf((Range("ticket_min", lte=x), Missing("ticket_min"))), AnyOf((Range("ticket_max", gte=x), Missing("ticket_max")))]

    assert institutions.check("institutions", Query(filters=amount(60_000_000))) == ["fund"]
    assert institutions.check("institutions", Query(filters=amount(1_000_000))) == ["bank", "guarantor"]
    institutions.check("institutions", Query(filters=[Terms("instruments", ["equity", "guarantee"])]))
    institutions.check("institutions", Query(filters=[Terms("requirements.collateral_required", [False])]))
    institutions.check("institutions", Query(filters=[Range("ticket_min")], sort=[Sort("ticket_max", descending=True)]))


def test_facets_and_sums_over_array_fields(institutions):
    institutions.check("institutions", Query(facets=["type", "instruments", "industries", "requirements.collateral_required"]))
    institutions.check("institutions", Query(per_page=0, sums=[SumAggregation("tickets", "instruments", "ticket_max")]))


def test_paging_past_the_result_window_is_refused(pair):
    index = pair.index("needs")
    index.search(Query(page=MAX_RESULT_WINDOW // 20, per_page=20))
    with pytest.raises(ValidationError):
        index.search(Query(page=MAX_RESULT_WINDOW // 20 + 1, per_page=20))


def test_upsert_replaces_and_is_idempotent(texts):
    index = texts.index("needs")
    for _ in range(2):
        index.upsert([need("en-patent", title="Working capital", description="None", purpose="")])
        index.commit()
    assert index.count() == 5
    assert found(texts, "patents") == set()
    assert found(texts, "capital") == {"en-patent"}


@pytest.mark.slow  # real processes or long runs: outside the quick loop
def test_documents_prepared_in_another_process_index_the_same(texts):
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    index = texts.index("needs")
    docs = [need("cn-battery", title="锂电池回收"), need("n-new", title="Patent pool")]
    with ProcessPoolExecutor(1) as pool:
        prepared = pool.submit(_prepare, pickle.dumps(docs)).result()
    index.upsert(docs, prepared)
    index.commit()
    assert found(texts, "电池") == {"cn-battery", "mixed"} and found(texts, "回收") == {"cn-battery"}
    assert found(texts, "patents") == {"en-patent", "n-new"} and index.count() == 6
    with pytest.raises(ValueError):
        index.upsert(docs, prepared[:1])


def _prepare(docs: bytes) -> list[dict]:
    import pickle

    return TantivyIndex(None, SPECS["needs"]).prepare(pickle.loads(docs))


def test_a_bad_document_stages_nothing(texts):
    index = texts.index("needs")
    with pytest.raises(ValueError):
        index.upsert([need("new"), need("bad", amount="a lot")])
    index.commit()
    assert index.count() == 5


def test_delete_and_clear_remove(texts):
    index = texts.index("needs")
    index.delete(["cn-battery", "nope"])
    assert found(texts, "电池") == {"cn-battery", "mixed"}  # not before the commit
    index.commit()
    assert found(texts, "电池") == {"mixed"} and index.count() == 4
    index.clear()
    index.upsert([need("after", title="电池")])
    index.commit()
    assert found(texts, "电池") == {"after"} and index.count() == 1


def test_a_second_index_on_the_folder_sees_commits(tmp_path):
    writer = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    reader = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    writer.upsert([need("n1", title="电池")])
    assert reader.count() == 0
    writer.commit()
    assert reader.search(Query(text="电池")).ids == ["n1"]
    writer.delete(["n1"])
    writer.commit()
    assert reader.count(Query(text="电池")) == 0
    writer.close()
    reader.close()


@pytest.mark.slow  # real processes or long runs: outside the quick loop
def test_another_process_sees_commits(tmp_path):
    """A reader in a separate process, started before the writes, answers what was committed."""
    import subprocess

    writer = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    writer.commit()
    script = (
        "import sys\n"
        "from matchmaker.search import Query\n"
        "from matchmaker.search.mappings import load_indexes\n"
        "from matchmaker.search.tantivy_index import TantivyIndex\n"
        "index = TantivyIndex(sys.argv[1], load_indexes()['needs'])\n"
        "for line in sys.stdin:\n"
        "    print(','.join(index.search(Query(text=line.strip())).ids), flush=True)\n"
    )
    reader = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "needs")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        def ask(text: str) -> str:
            reader.stdin.write(text + "\n")
            reader.stdin.flush()
            return reader.stdout.readline().strip()

        assert ask("电池") == ""
        writer.upsert([need("n1", title="电池"), need("n2", title="电池 battery")])
        assert ask("电池") == ""  # staged, not committed
        writer.commit()
        assert ask("电池") == "n1,n2"
        writer.delete(["n1"])
        writer.commit()
        assert ask("电池") == "n2"
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
        reader.stdout.close()
        writer.close()


def test_a_folder_built_for_another_mapping_is_refused(tmp_path):
    TantivyIndex(tmp_path / "x", SPECS["needs"]).close()
    with pytest.raises(ConfigurationError):
        TantivyIndex(tmp_path / "x", SPECS["institutions"])


@pytest.mark.slow  # real processes or long runs: outside the quick loop
def test_threads_search_while_one_writes(tmp_path):
    index = TantivyIndex(tmp_path / "needs", SPECS["needs"])
    index.upsert([need(f"n{i}", title="电池 battery", amount=i) for i in range(200)])
    index.commit()
    errors: list[BaseException] = []
    done = threading.Event()

    def search(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not done.is_set():
                hits = index.search(Query(text=rng.choice(["电池", "batteries", "battery 电池"]), facets=["industry"],
                                          sort=rng.choice([[], [Sort("amount")]])))
                assert hits.total >= 200 and len(hits.ids) == 20
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=search, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    try:
        for round_ in range(20):
            index.upsert([need(f"w{round_}-{i}", title="电池 battery", amount=i) for i in range(20)])
            index.commit()
    finally:
        done.set()
        for t in threads:
            t.join()
    index.close()
    assert errors == []


def _word(n: int) -> str:
    """A distinct word for each n (so that no cache answers), with suffixes to strip."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[r]
        if not n:
            break
    return "con" + letters + ("ational", "izations", "fulness", "ively", "ing")[len(letters) % 5]


@pytest.mark.slow  # real processes or long runs: outside the quick loop
def test_threads_stem_words_as_one_thread_does():
    """Each thread stems with its own stemmer: one shared by threads mixes their words up."""
    import snowballstemmer

    reference = snowballstemmer.stemmer("porter")
    words = [_word(n) for n in range(8 * 3000)]
    expected = [reference.stemWord(w) for w in words]
    errors: list[BaseException] = []

    def stem(part: int) -> None:
        try:
            for i in range(part, len(words), 8):
                assert tokenize(words[i]) == [expected[i]]
        except BaseException as exc:  # reported below
            errors.append(exc)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=stem, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []


def test_best_of_puts_the_hits_no_option_takes_last_in_id_order(pair):
    """Boosts every option has are counted once, for the hits some option takes only: a
    hit no option takes scores nothing, whatever those boosts say of it."""
    pair.load("needs", *[need(f"n{i}", amount=amount, stage=stage)
                         for i, (amount, stage) in enumerate([(100, "seed"), (200, "seed"), (300, "seed"), (100, "growth"), (200, "growth")])])
    shared = (Boost(Terms("stage", ["growth"]), 5), Boost(Range("amount", gte=300), -2.5))
    options = [RankOption(Range("amount", lte=100), (Boost(Terms("stage", ["seed"]), 10),) + shared),
               RankOption(Range("amount", gte=300), shared)]
    assert pair.check("needs", Query(best_of=options)) == ["n0", "n3", "n2", "n1", "n4"]


def test_a_ranked_query_is_compiled_once_unless_it_lists_the_index_values(pair, monkeypatch):
    """Every page of a deal flow asks the same ranked query: compiled once.  A range over
    keywords lists the values the index holds, so a query with one is compiled each time
    and finds a value indexed since."""
    pair.load("needs", need("n0", stage="seed", amount=100), need("n1", stage="growth", amount=200))
    compiled = []
    real = tantivy_index._Compiler.boosted
    monkeypatch.setattr(tantivy_index._Compiler, "boosted", lambda self, *args: compiled.append(1) or real(self, *args))
    ranked = Query(filters=[Terms("status", ["open"])], boosts=[Boost(Range("amount", gte=150), 5)], per_page=1)
    assert pair.check("needs", ranked) == ["n1"]
    assert pair.check("needs", replace(ranked, page=2)) == ["n0"]
    assert len(compiled) == 1
    by_stage = replace(ranked, filters=[Range("stage", lte="growth")], per_page=10)  # "expansion", "growth"
    assert pair.check("needs", by_stage) == ["n1"]
    pair.load("needs", need("n2", stage="expansion", amount=100))
    assert pair.check("needs", by_stage) == ["n1", "n2"]
    assert len(compiled) == 3


def test_a_compiled_query_is_not_taken_for_one_with_equal_values_of_another_type(pair):
    """1 and 1.0 are equal in Python; as a keyword they are "1" and "1.0"."""
    pair.load("needs", need("n0", industry="1"))
    index = pair.index("needs")
    ranked = lambda value: Query(filters=[Terms("industry", [value])], boosts=[Boost(Terms("stage", ["growth"]), 5)])
    assert index.search(ranked(1.0)).ids == []
    assert index.search(ranked(1)).ids == ["n0"]
    assert index.search(ranked(True)).ids == []


def test_a_tie_longer_than_eight_times_the_first_read_is_read_whole(pair, monkeypatch):
    """Reading no hit ahead, a page of two reads 4 hits, then 32: a tie of 60 is read whole."""
    monkeypatch.setattr(tantivy_index, "_LOOKAHEAD", 0)
    monkeypatch.setattr(tantivy_index, "_BOOST_LOOKAHEAD", 0)
    pair.load("needs", *[need(f"n{i:02d}", title="电池 project", stage="growth") for i in reversed(range(60))])
    expected = [f"n{i:02d}" for i in range(60)]
    for query in (Query(text="电池"), Query(boosts=[Boost(Terms("stage", ["growth"]), 5)])):
        pages = [pair.index("needs").search(replace(query, page=p, per_page=2)).ids for p in (1, 2, 30)]
        assert pages == [expected[0:2], expected[2:4], expected[58:60]]


def test_a_boost_no_hit_can_satisfy_is_not_evaluated(pair, monkeypatch):
    """tantivy's cost is about the documents each boost's clause matches in the whole index,
    hits or not: a boost whose clause excludes one of the filters (another stage, an amount
    range that does not meet the filter's, a value where the filter wants none) is left
    out, and the order is still the reference's.  Two sets of values of an array field can
    both hold, and a negated clause is compiled as a constant: those are kept."""
    guarantees = "enterprise.counter_guarantees_offered"
    pair.load("needs", *[need(f"n{i}", stage=stage, amount=amount, term_months=None,
                              enterprise={"counter_guarantees_offered": offered})
                         for i, (stage, amount, offered) in enumerate([
                             ("seed", 100, ["ip_pledge"]), ("seed", 150, ["ip_pledge", "real_estate_mortgage"]),
                             ("seed", 200, ["ip_pledge"]), ("growth", 150, ["ip_pledge"]), ("seed", 400, ["ip_pledge"])])])
    seen = []
    compile_boosts = tantivy_index._Compiler._boost_clauses
    monkeypatch.setattr(tantivy_index._Compiler, "_boost_clauses",
                        lambda self, boosts: seen.append({b.clause for b in boosts}) or compile_boosts(self, boosts))
    kept = [Boost(Range("amount", gte=150), 2), Boost(Terms(guarantees, ["real_estate_mortgage"]), 4),
            Boost(Not(Terms("stage", ["growth"])), -1), Boost(Terms("stage", ["seed", "growth"]), 3),
            Boost(Range("amount", gte=200), 1)]
    left_out = [Boost(Terms("stage", ["growth"]), 5), Boost(Range("amount", gte=300), 3), Boost(Range("amount", lte=99), 2),
                Boost(Terms("term_months", [12]), 6),
                Boost(Not(AnyOf((Not(Range("amount", lte=50)), Not(Terms("instrument", ["loan"]))))), 7)]
    query = Query(filters=[Terms("stage", ["seed"]), Range("amount", gte=100, lte=200), Missing("term_months"),
                           Terms(guarantees, ["ip_pledge"])],
                  boosts=kept + left_out)
    assert pair.check("needs", query) == ["n1", "n2", "n0"]
    assert seen == [{b.clause for b in kept}]


#: Filters every hit satisfies and boosts of the same fields, some of them excluding the
#: filters (left out by tantivy's compiler: they add nothing to any hit).
conjunct = st.one_of(
    st.builds(Terms, st.sampled_from(["industry", "stage"]), st.lists(st.sampled_from(INDUSTRIES + STAGES), min_size=1, max_size=2)),
    st.builds(Range, st.sampled_from(["amount", "term_months"]), st.sampled_from([None, 6, 12, 100, 200]),
              st.sampled_from([None, 6, 12, 150, 200, 300])),
    st.builds(Missing, st.sampled_from(["amount", "term_months", "stage"])),
)
conjunction = st.lists(conjunct, min_size=1, max_size=3).map(lambda cs: cs[0] if len(cs) == 1 else Not(AnyOf(tuple(map(Not, cs)))))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=st.lists(conjunct, max_size=3), boosts=st.lists(st.builds(Boost, conjunction, weights), min_size=1, max_size=4),
       page=st.integers(1, 3))
def test_boosts_of_the_filtered_fields_rank_as_the_reference_does(generated, filters, boosts, page):
    generated.check("needs", Query(filters=filters, boosts=boosts, page=page, per_page=5))


class _Passes:
    """A searcher that counts the passes made of it: searches and aggregations."""

    def __init__(self, searcher, passes: list):
        self._searcher, self._passes = searcher, passes

    def __getattr__(self, name):
        found = getattr(self._searcher, name)
        if name not in ("search", "aggregate"):
            return found

        def counted(*args, **kwargs):
            self._passes.append(name)
            return found(*args, **kwargs)
        return counted


@pytest.mark.parametrize("query", [
    Query(filters=[Terms("status", ["open"])], facets=["industry"], per_page=0),
    Query(filters=[Terms("stage", ["nowhere"])], facets=["industry"], per_page=0),
    Query(sums=[SumAggregation("s", "instrument", "amount")], sort=[Sort("amount")], per_page=3),
])
def test_the_facets_pass_counts_the_hits(generated, monkeypatch, query):
    """A count with facets or sums (the deal flow's every open need) is one pass of the
    aggregations, not a search to count and then the aggregations."""
    passes = []
    index = generated.index("needs")
    searcher = type(index)._searcher
    monkeypatch.setattr(type(index), "_searcher", lambda self: _Passes(searcher(self), passes))
    generated.check("needs", query)
    assert passes.count("aggregate") == 1 and passes.count("search") == (1 if query.sort else 0)


# -- merging -----------------------------------------------------------------------------
def _segments(folder) -> int:
    import json

    return len(json.loads((folder / "meta.json").read_text(encoding="utf-8"))["segments"])


def test_closing_the_writer_finishes_the_merges_its_commits_started(tmp_path):
    """Each commit makes a segment, and a search reads every segment: a writer closed after
    its commit (an import's batch, a CLI, an idle server) leaves the index merged, not as
    many segments as commits (a rollback at close stopped the merges: 50 segments at 1M needs)."""
    folder = tmp_path / "needs"
    index = TantivyIndex(folder, SPECS["needs"])
    for n in range(12):
        index.upsert([need(id=f"n{n:02d}", title=f"电池 {n}")])
        index.commit()
        index.close()
    assert _segments(folder) < 12
    reopened = TantivyIndex(folder, SPECS["needs"])
    assert reopened.search(Query(text="电池", per_page=20)).total == 12


def test_closing_the_writer_drops_what_no_commit_took(tmp_path):
    folder = tmp_path / "needs"
    index = TantivyIndex(folder, SPECS["needs"])
    index.upsert([need(id="kept", title="电池")])
    index.commit()
    index.upsert([need(id="staged", title="电池")])
    index.close()
    reopened = TantivyIndex(folder, SPECS["needs"])
    assert reopened.search(Query(text="电池")).ids == ["kept"]
