"""Pages without text are read by walking the index of their order when that is cheap
(``SQLiteBackend.walk_limit``).  Walking or sorting every hit must give the same pages."""
from __future__ import annotations

import random

import pytest

from matchmaker.search import AnyOf, Missing, Not, Query, Range, Sort, Terms, create_backend
from matchmaker.search.query import Boost

from test_backend_contract import institution, need

INDUSTRIES = ["advanced_manufacturing", "new_energy", "biomedicine", "software"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    backend = create_backend({"DATA_DIR": str(tmp_path_factory.mktemp("walk"))})
    backend.init()
    rng = random.Random(11)
    backend.bulk_upsert("needs", [
        need(
            f"n{rng.randrange(10**6):06d}-{i}",
            amount=rng.choice([None, 500_000, 1_000_000, rng.randrange(10**7)]),
            industry=rng.choice(INDUSTRIES + [None]),
            status=rng.choice(["open", "open", "closed"]),
            instrument=rng.choice(["loan", "equity", "guarantee"]),
        )
        for i in range(400)
    ])
    backend.bulk_upsert("institutions", [
        institution(f"i{i:03d}", industries=rng.sample(INDUSTRIES, 2), ticket_max=rng.choice([None, 5_000_000, 9_000_000]))
        for i in range(60)
    ])
    yield backend
    backend.close()


QUERIES = [
    ("needs", Query()),
    ("needs", Query(filters=[Terms("status", ["open"]), Terms("industry", ["new_energy", "software"])])),
    ("needs", Query(filters=[Missing("industry")], facets=["instrument"])),
    ("needs", Query(filters=[Not(Terms("instrument", ["loan"]))], sort=[Sort("amount", descending=True)])),
    ("needs", Query(filters=[Range("amount", gte=400_000, lte=2_000_000)], sort=[Sort("amount", descending=True)])),
    ("needs", Query(filters=[AnyOf([Terms("status", ["closed"]), Missing("amount")])], sort=[Sort("amount")])),
    ("needs", Query(sort=[Sort("created_at", descending=True)])),
    ("institutions", Query(filters=[Terms("industries", ["software"])])),
    ("institutions", Query(filters=[Terms("industries", ["biomedicine"])], sort=[Sort("ticket_max", descending=True)])),
]


@pytest.mark.parametrize("index, query", QUERIES, ids=[f"{index}-{n}" for n, (index, _) in enumerate(QUERIES)])
@pytest.mark.parametrize("page", [1, 2, 7])
def test_walking_the_order_index_gives_the_pages_sorting_gives(backend, index, query, page):
    query.page, query.per_page = page, 15
    pages = {}
    for walk_limit in (0, 10**9):
        backend.walk_limit = walk_limit
        backend.derived.clear()
        statements: list[str] = []
        backend.db.set_trace_callback(statements.append)
        result = backend.search(index, query)
        backend.db.set_trace_callback(None)
        pages[walk_limit] = ([d["id"] for d in result.items], result.total, result.facets)
        walked = any("INDEXED BY" in sql for sql in statements)
        assert walked == (walk_limit > 0 and bool(result.total) and _has_order_index(index, query)), statements
    assert pages[0] == pages[10**9]
    assert pages[0][0] or page == 7  # the early pages have hits: the comparison means something


def _has_order_index(index: str, query: Query) -> bool:
    if not query.sort:
        return True
    (order,) = query.sort
    return order.descending and (index, order.field) in {("needs", "amount"), ("needs", "created_at"), ("institutions", "ticket_max")}


@pytest.mark.parametrize("query", [
    Query(filters=[Terms("status", ["open"])], sort=[Sort("amount")]),  # sorted whole: counted in the same pass
    Query(filters=[Terms("status", ["open"])], boosts=[Boost(Terms("instrument", ["equity"]), 5.0)]),
    Query(filters=[Terms("status", ["open"])], sort=[Sort("amount", descending=True)]),  # walked
], ids=["ascending", "boosted", "descending"])
def test_every_page_tells_the_same_total_as_a_count(backend, query):
    backend.derived.clear()
    counted = backend.count("needs", query)
    assert 100 < counted < 400
    seen = []
    for page in range(1, 30):
        query.page, query.per_page = page, 15
        result = backend.search("needs", query)
        assert result.total == counted
        seen += [d["id"] for d in result.items]
    assert len(seen) == len(set(seen)) == counted  # and past the end the pages are empty
