"""The contract every search backend keeps, run against each of them (see conftest.py).

The SQLite backend is the reference: what it answers here is what every backend must
answer.  Documents follow the real mappings (``search_mappings/``), whose strict
Elasticsearch mappings refuse any field they do not name.
"""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from matchmaker.errors import Conflict, NotFound, ValidationError
from matchmaker.records.tables import derived
from matchmaker.search import AnyOf, Missing, Not, Query, Range, Sort, SumAggregation, Terms
from matchmaker.search.query import MAX_RESULT_WINDOW, Boost


# -- factories ------------------------------------------------------------------------------
def need(id: str, **overrides) -> dict:
    doc = {
        "id": id,
        "enterprise_id": "e1",
        "title": "Working capital",
        "description": "Short-term financing for inventory.",
        "amount": 3_000_000,
        "instrument": "loan",
        "purpose": "流动资金",
        "term_months": 12,
        "equity_offered_pct": None,
        "status": "open",
        "industry": "advanced_manufacturing",
        "stage": "growth",
        "enterprise_name": "天津精工机械有限公司",
        "enterprise": {"founded": "2012-05-01", "latest_revenue": 80_000_000, "has_collateral": True, "tier": "grow"},
        "created_at": "2025-01-02T03:04:05Z",
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def institution(id: str, **overrides) -> dict:
    doc = {
        "id": id,
        "name": "滨海科技银行",
        "name_en": "Binhai Technology Bank",
        "type": "bank",
        "instruments": ["loan"],
        "industries": ["advanced_manufacturing"],
        "stages": ["growth"],
        "ticket_min": 1_000_000,
        "ticket_max": 20_000_000,
        "description": "Loans for manufacturers.",
        "status": "entered",
        "requirements": {"min_revenue": 10_000_000, "min_years": 2, "collateral_required": True, "high_tech_required": False},
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def load(backend, index: str, *docs: dict) -> None:
    result = backend.bulk_upsert(index, list(docs))
    assert result.errors == [] and result.indexed == len(docs)


def ids(backend, index: str, query: Query) -> list[str]:
    return [d["id"] for d in backend.search(index, query).items]


def found(backend, index: str, text: str, **kwargs) -> set[str]:
    return set(ids(backend, index, Query(text=text, per_page=100, **kwargs)))


# -- documents ------------------------------------------------------------------------------
def test_create_get_replace_delete(backend):
    created = backend.create("needs", need("n1"))
    assert created["id"] == "n1" and isinstance(created["version"], str)
    assert backend.get("needs", "n1") == created

    replaced = backend.replace("needs", "n1", {**created, "title": "Equipment loan"})
    assert replaced["title"] == "Equipment loan" and replaced["version"] != created["version"]
    assert backend.get("needs", "n1") == replaced

    backend.delete("needs", "n1")
    assert backend.get("needs", "n1") is None
    with pytest.raises(NotFound):
        backend.delete("needs", "n1")
    with pytest.raises(NotFound):
        backend.replace("needs", "n1", need("n1"))


def test_derived_values_are_kept_while_their_record_stays_as_it_was(backend):
    """What is worked out from a record (a need's copy of its enterprise) is kept with the
    record's mark: read back only on the same basis, and only while the record bears the
    mark it had when kept -- not once the record is rewritten, nor when it is deleted and
    made again under the same id (its version starts again at 1)."""
    backend.create("needs", need("n1"))
    backend.keep_derived("copy", "needs", {"n1": {"tier": "excel"}, "nobody": {"tier": "?"}}, "2012-06-01 r1")
    assert backend.get_derived("copy", "needs", ["n1", "nobody"], "2012-06-01 r1") == {"n1": {"tier": "excel"}}
    assert backend.get_derived("copy", "needs", ["n1"], "2012-06-02 r1") == {}
    assert backend.get_derived("other", "needs", ["n1"], "2012-06-01 r1") == {}

    replaced = backend.replace("needs", "n1", {**backend.get("needs", "n1"), "title": "Equipment loan"})
    assert backend.get_derived("copy", "needs", ["n1"], "2012-06-01 r1") == {}
    backend.keep_derived("copy", "needs", {"n1": {"tier": "core"}}, "2012-06-01 r1")
    assert backend.get_derived("copy", "needs", ["n1"], "2012-06-01 r1") == {"n1": {"tier": "core"}}

    backend.delete("needs", "n1", replaced["version"])
    assert backend.get_derived("copy", "needs", ["n1"], "2012-06-01 r1") == {}
    if hasattr(backend, "store"):  # what is kept of a record goes with it
        with backend.store.reading() as conn:
            assert conn.execute(select(func.count()).select_from(derived)).scalar_one() == 0
    first = backend.create("needs", need("n1"))
    backend.keep_derived("copy", "needs", {"n1": {"tier": "excel"}}, "2012-06-01 r1")
    backend.delete("needs", "n1")
    again = backend.create("needs", need("n1"))
    assert again["version"] == first["version"]
    assert backend.get_derived("copy", "needs", ["n1"], "2012-06-01 r1") == {}


def test_create_assigns_an_id(backend):
    doc = need("ignored")
    del doc["id"]
    created = backend.create("needs", doc)
    assert created["id"] and backend.get("needs", created["id"])["title"] == "Working capital"
    assert backend.create("needs", need("x"), doc_id="chosen")["id"] == "chosen"


def test_stored_document_comes_back_unchanged(backend):
    doc = need("n1", equity_offered_pct=12.5, enterprise={"tier": "excel", "little_giant": False})
    stored = backend.get("needs", backend.create("needs", doc)["id"])
    assert {k: v for k, v in stored.items() if k != "version"} == doc


def test_duplicate_create_is_a_conflict(backend):
    backend.create("needs", need("n1"))
    with pytest.raises(Conflict):
        backend.create("needs", need("n1", title="Other"))
    assert backend.get("needs", "n1")["title"] == "Working capital"


def test_stale_versions_are_conflicts(backend):
    v1 = backend.create("needs", need("n1"))["version"]
    v2 = backend.replace("needs", "n1", need("n1", title="Second"), expected_version=v1)["version"]
    with pytest.raises(Conflict):
        backend.replace("needs", "n1", need("n1", title="Lost update"), expected_version=v1)
    with pytest.raises(Conflict):
        backend.replace("needs", "n1", need("n1"), expected_version="not-a-version")
    with pytest.raises(Conflict):
        backend.delete("needs", "n1", expected_version=v1)
    assert backend.get("needs", "n1")["title"] == "Second"
    backend.delete("needs", "n1", expected_version=v2)
    assert backend.get("needs", "n1") is None


def test_get_many_leaves_out_unknown_ids(backend):
    load(backend, "needs", need("n1"), need("n2"), need("n3"))
    got = backend.get_many("needs", ["n3", "nope", "n1", "n1"])
    assert set(got) == {"n1", "n3"}
    assert got["n3"] == backend.get("needs", "n3")
    assert backend.get_many("needs", []) == {}


def test_bulk_upsert_is_idempotent(backend):
    docs = [need(f"n{i}", amount=i) for i in range(5)]
    load(backend, "needs", *docs)
    load(backend, "needs", *docs[:3], need("n4", title="Updated"))
    assert backend.count("needs") == 5
    assert backend.get("needs", "n4")["title"] == "Updated"


def test_bulk_upsert_reports_each_failure_and_keeps_the_rest(backend):
    no_id = need("x")
    del no_id["id"]
    result = backend.bulk_upsert("needs", [need("n1"), no_id, need("n2"), {**need("n3"), "id": ""}])
    assert result.indexed == 2
    assert [(e.position, e.id) for e in result.errors] == [(1, None), (3, "")]
    assert all(e.message for e in result.errors)
    assert set(backend.get_many("needs", ["n1", "n2"])) == {"n1", "n2"}


# -- full text ------------------------------------------------------------------------------
def text_needs() -> list[dict]:
    """Chinese, English and mixed texts, for the full-text tests of every engine."""
    return [
        need("cn-battery", title="新能源汽车电池扩产项目", description="建设动力电池生产线", purpose="设备采购"),
        need("cn-guarantee", title="中小企业融资担保贷款", description="以应收账款质押", purpose="流动资金"),
        need("en-patent", title="Patent licensing round", description="We hold a patent on solid-state cells.", purpose="R&D"),
        need("en-battery", title="Battery recycling plant", description="Recycling lithium battery packs.", purpose="capex"),
        need("mixed", title="储能 battery storage", description="电池储能系统 energy storage systems for factories", purpose="扩产"),
    ]


@pytest.fixture
def texts(backend):
    load(backend, "needs", *text_needs())
    return backend


def test_chinese_words_are_found_inside_longer_text(texts):
    assert found(texts, "needs", "电池") == {"cn-battery", "mixed"}
    assert found(texts, "needs", "新能源") == {"cn-battery"}
    assert found(texts, "needs", "担保") == {"cn-guarantee"}
    assert found(texts, "needs", "电动") == set()


def test_english_words_are_stemmed(texts):
    assert found(texts, "needs", "patents") == {"en-patent"}
    assert found(texts, "needs", "batteries") == {"en-battery", "mixed"}
    assert found(texts, "needs", "RECYCLED Batteries") == {"en-battery"}


def test_every_token_must_occur_in_some_search_field(texts):
    assert found(texts, "needs", "电池 storage") == {"mixed"}  # title and description
    assert found(texts, "needs", "电池 patent") == set()
    assert found(texts, "needs", "储能 factories 扩产") == {"mixed"}  # title, description, purpose


def test_text_of_only_stop_words_narrows_nothing(texts):
    assert texts.search("needs", Query(text="the of and")).total == 5


def title_needs() -> list[dict]:
    """"solar" in one title, in another's description, and nowhere in a third."""
    return [
        need("a-description", title="Manufacturing expansion", description="We also make solar inverters for homes."),
        need("z-title", title="Solar inverters", description="Expansion of the manufacturing plant for homes."),
        need("m-other", title="Warehouse", description="Storage space."),
    ]


def test_a_match_in_the_title_ranks_first(backend):
    load(backend, "needs", *title_needs())
    assert ids(backend, "needs", Query(text="solar")) == ["z-title", "a-description"]
    assert ids(backend, "needs", Query(text="太阳能")) == []


HOSTILE = [
    '"', '""', "'", "*", "batt*", "NEAR(", "NEAR(a b)", "(", ")", "()", "AND", "OR NOT", "a OR b NOT c",
    "-", "-battery", ":", "title:battery", "^", "battery^3", "{title}: x", "\\", "/", "~", "?", "!", "&&", "||",
    "+", "[", "]", "<>", "%", "_", "\x00", "\u200b", "\ufeff", "\ud800", "🔋🔋", "e\u0301\u0301\u0301",
    "\u202e电池", "Ｂａｔｔｅｒｙ", "ﾃｽﾄ", "x" * 5000, "电池" * 2500, "battery " * 700, "( " * 2500, " ".join(map(str, range(1500))),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_strings_never_raise(texts, text):
    result = texts.search("needs", Query(text=text, facets=["industry"]))
    assert 0 <= result.total <= 5
    texts.search("institutions", Query(text=text))
    texts.search("users", Query(text=text))  # an index without search fields ignores text


# -- filters --------------------------------------------------------------------------------
def four_institutions() -> list[dict]:
    """A bank, a VC, a guarantor and a fund, with open ends, empty lists and missing fields."""
    return [
        institution("bank", ticket_min=1_000_000, ticket_max=20_000_000),
        institution("vc", type="venture_capital", instruments=["equity"], industries=["new_energy", "biotech"],
                    stages=["startup"], ticket_min=5_000_000, ticket_max=50_000_000,
                    requirements={"collateral_required": False, "high_tech_required": True}),
        institution("guarantor", type="guarantee", instruments=["guarantee", "loan"], industries=[],
                    stages=["growth", "mature"], ticket_min=None, ticket_max=10_000_000,
                    requirements={"collateral_required": False}),
        institution("fund", type="government_fund", instruments=["equity", "loan"],
                    industries=["new_energy", "advanced_manufacturing"], stages=["startup", "growth"],
                    ticket_min=20_000_000, ticket_max=None, status=None, requirements={}),
    ]


@pytest.fixture
def institutions(backend):
    load(backend, "institutions", *four_institutions())
    return backend


def matching(backend, *filters, index="institutions") -> set[str]:
    return set(ids(backend, index, Query(filters=list(filters), per_page=100)))


def test_terms_on_scalar_and_array_fields(institutions):
    assert matching(institutions, Terms("type", ["bank", "guarantee"])) == {"bank", "guarantor"}
    assert matching(institutions, Terms("instruments", ["equity"])) == {"vc", "fund"}
    assert matching(institutions, Terms("instruments", ["equity", "guarantee"])) == {"vc", "fund", "guarantor"}
    assert matching(institutions, Terms("instruments", ["loan"]), Terms("industries", ["new_energy"])) == {"fund"}
    assert matching(institutions, Terms("type", [])) == set()
    assert matching(institutions, Terms("id", ["vc", "nope"])) == {"vc"}
    assert matching(institutions, Terms("requirements.collateral_required", [False])) == {"vc", "guarantor"}


def test_range_bounds_are_inclusive_and_may_be_open(institutions):
    assert matching(institutions, Range("ticket_max", gte=10_000_000, lte=20_000_000)) == {"bank", "guarantor"}
    assert matching(institutions, Range("ticket_max", gte=20_000_001)) == {"vc"}
    assert matching(institutions, Range("ticket_min", lte=5_000_000)) == {"bank", "vc"}
    assert matching(institutions, Range("ticket_min")) == {"bank", "vc", "fund"}  # missing never matches


def test_amount_within_ticket_range(institutions):
    def amount(x):  # the institutions search's `amount`: ticket_min <= x <= ticket_max, open ends
        return [
            AnyOf((Range("ticket_min", lte=x), Missing("ticket_min"))),
            AnyOf((Range("ticket_max", gte=x), Missing("ticket_max"))),
        ]

    assert matching(institutions, *amount(1_000_000)) == {"bank", "guarantor"}
    assert matching(institutions, *amount(20_000_000)) == {"bank", "vc", "fund"}
    assert matching(institutions, *amount(60_000_000)) == {"fund"}


def test_missing_anyof_and_not(institutions):
    assert matching(institutions, Missing("ticket_min")) == {"guarantor"}
    assert matching(institutions, Missing("industries")) == {"guarantor"}  # an empty list is no value
    assert matching(institutions, Missing("requirements.min_revenue")) == {"vc", "guarantor", "fund"}
    assert matching(institutions, AnyOf((Terms("type", ["bank"]), Terms("stages", ["mature"])))) == {"bank", "guarantor"}
    assert matching(institutions, AnyOf(())) == set()
    assert matching(institutions, Not(Terms("instruments", ["loan"]))) == {"vc"}
    assert matching(institutions, Not(Missing("ticket_max"))) == {"bank", "vc", "guarantor"}
    assert matching(institutions, Not(AnyOf((Terms("type", ["bank"]), Range("ticket_min", gte=10_000_000))))) == {
        "vc", "guarantor"
    }


def test_not_holds_for_documents_without_the_field(institutions):
    # "status is not target" includes the institution that has no status at all.
    assert matching(institutions, Not(Terms("status", ["target"]))) == {"bank", "vc", "guarantor", "fund"}
    assert matching(institutions, Not(Terms("status", ["entered"]))) == {"fund"}


# -- facets and sums ------------------------------------------------------------------------
def test_facet_counts_on_scalar_array_and_boolean_fields(institutions):
    result = institutions.search(
        "institutions", Query(facets=["type", "instruments", "industries", "requirements.collateral_required"])
    )
    assert result.total == 4
    assert result.facets == {
        "type": {"bank": 1, "government_fund": 1, "guarantee": 1, "venture_capital": 1},
        "instruments": {"loan": 3, "equity": 2, "guarantee": 1},
        "industries": {"advanced_manufacturing": 2, "new_energy": 2, "biotech": 1},
        "requirements.collateral_required": {"false": 2, "true": 1},
    }
    assert list(result.facets["instruments"]) == ["loan", "equity", "guarantee"]  # count, then value


def test_facets_count_only_the_hits(institutions):
    result = institutions.search(
        "institutions", Query(text="bank", filters=[Terms("instruments", ["loan"])], facets=["type", "stages"], per_page=0)
    )
    assert result.items == [] and result.total == 3
    assert result.facets == {
        "type": {"bank": 1, "government_fund": 1, "guarantee": 1},
        "stages": {"growth": 3, "mature": 1, "startup": 1},
    }


def test_sums_per_value(backend):
    load(
        backend,
        "needs",
        need("n1", instrument="loan", amount=1_000_000),
        need("n2", instrument="loan", amount=2_500_000),
        need("n3", instrument="equity", amount=4_000_000),
        need("n4", instrument="equity", amount=None),
        need("n5", instrument=None, amount=9_000_000),
    )
    result = backend.search("needs", Query(per_page=0, sums=[SumAggregation("by_instrument", "instrument", "amount")]))
    assert result.sums == {
        "by_instrument": {"loan": {"count": 2, "sum": 3_500_000}, "equity": {"count": 2, "sum": 4_000_000}}
    }
    assert all(type(v["sum"]) is int for v in result.sums["by_instrument"].values())


def test_sums_over_an_array_field(institutions):
    result = institutions.search(
        "institutions", Query(per_page=0, sums=[SumAggregation("tickets", "instruments", "ticket_max")])
    )
    assert result.sums == {
        "tickets": {
            "loan": {"count": 3, "sum": 30_000_000},
            "equity": {"count": 2, "sum": 50_000_000},
            "guarantee": {"count": 1, "sum": 10_000_000},
        }
    }


# -- order and pages ------------------------------------------------------------------------
@pytest.fixture
def amounts(backend):
    load(
        backend,
        "needs",
        need("d", amount=300), need("b", amount=100), need("e", amount=None),
        need("a", amount=300), need("c", amount=200), need("f", amount=None),
    )
    return backend


def test_sort_ascending_and_descending_with_missing_last_and_id_ties(amounts):
    assert ids(amounts, "needs", Query(sort=[Sort("amount")])) == ["b", "c", "a", "d", "e", "f"]
    assert ids(amounts, "needs", Query(sort=[Sort("amount", descending=True)])) == ["a", "d", "c", "b", "e", "f"]
    assert ids(amounts, "needs", Query()) == ["a", "b", "c", "d", "e", "f"]
    assert ids(amounts, "needs", Query(sort=[Sort("id", descending=True)])) == ["f", "e", "d", "c", "b", "a"]


def test_pages_are_stable_and_cover_every_hit(amounts):
    pages = [amounts.search("needs", Query(sort=[Sort("amount")], page=p, per_page=4)) for p in (1, 2, 3)]
    assert [p.total for p in pages] == [6, 6, 6]
    assert [[d["id"] for d in p.items] for p in pages] == [["b", "c", "a", "d"], ["e", "f"], []]
    assert amounts.count("needs", Query(filters=[Missing("amount")])) == 2


def test_paging_past_the_result_window_is_refused(backend):
    backend.search("needs", Query(page=MAX_RESULT_WINDOW // 20, per_page=20))
    with pytest.raises(ValidationError):
        backend.search("needs", Query(page=MAX_RESULT_WINDOW // 20 + 1, per_page=20))


def boosted_needs() -> tuple[list[dict], list[Boost]]:
    """Five needs, and boosts that order them d, c, b, a, e."""
    docs = [
        need("a", instrument="equity", stage="startup"),
        need("b", instrument="equity", stage="growth"),
        need("c", instrument="loan", stage="startup"),
        need("d", instrument="loan", stage="growth"),
        need("e", instrument="loan", stage="growth", status="closed"),
    ]
    boosts = [
        Boost(Terms("instrument", ["loan"]), 10),
        Boost(Terms("stage", ["growth"]), 5),
        Boost(Terms("status", ["closed"]), -20),
    ]
    return docs, boosts


def test_boosts_rank_before_relevance_and_id(backend):
    docs, boosts = boosted_needs()
    load(backend, "needs", *docs)
    assert ids(backend, "needs", Query(boosts=boosts)) == ["d", "c", "b", "a", "e"]
    assert ids(backend, "needs", Query(boosts=boosts, sort=[Sort("id")])) == ["a", "b", "c", "d", "e"]


def solar_needs() -> list[dict]:
    """Three loans that mention "solar" in the title, the description or not at all, and an equity need."""
    return [
        need("a-description", instrument="loan", title="Boilers", description="Replacing old solar boilers."),
        need("b-none", instrument="loan", title="Boilers", description="Replacing old boilers."),
        need("m-title", instrument="loan", title="Solar roofs", description="Panels on old roofs."),
        need("z-equity", instrument="equity", title="Farm", description="A solar farm."),
    ]


def test_boost_ties_are_ordered_by_relevance(backend):
    load(backend, "needs", *solar_needs())
    query = Query(text="solar", boosts=[Boost(Terms("instrument", ["equity"]), 1)])
    assert ids(backend, "needs", query) == ["z-equity", "m-title", "a-description"]


# -- scanning, rebuilding, emptying -----------------------------------------------------------
def test_scan_returns_every_match_in_id_order_past_one_batch(backend):
    docs = [need(f"n{i:05d}", amount=i, status="open" if i % 3 else "closed") for i in reversed(range(1200))]
    backend.bulk_upsert("needs", docs)
    scanned = [d["id"] for d in backend.scan("needs")]
    assert scanned == sorted(d["id"] for d in docs)
    closed = [d["id"] for d in backend.scan("needs", Query(filters=[Terms("status", ["closed"])]))]
    assert closed == [f"n{i:05d}" for i in range(0, 1200, 3)]
    assert next(backend.scan("needs"))["version"]


@pytest.mark.rebuilds_indexes
def test_reindex_keeps_everything_searchable(backend):
    load(backend, "needs", *[need(f"n{i}", title=f"电池 project {i}") for i in range(7)])
    load(backend, "institutions", institution("bank"))
    seen = []
    counts = backend.reindex(lambda done, total: seen.append((done, total)))
    assert counts["needs"] == 7 and counts["institutions"] == 1 and counts["users"] == 0
    assert seen and seen[-1] == (8, 8)
    assert found(backend, "needs", "电池") == {f"n{i}" for i in range(7)}
    assert backend.search("institutions", Query(facets=["type"])).facets == {"type": {"bank": 1}}
    doc = backend.get("needs", "n3")
    assert doc["title"] == "电池 project 3"
    backend.replace("needs", "n3", need("n3", title="Rebuilt"), expected_version=doc["version"])
    backend.init()  # idempotent after a rebuild
    assert backend.get("needs", "n3")["title"] == "Rebuilt"


def test_reset_removes_every_document(backend):
    load(backend, "needs", need("n1"))
    load(backend, "institutions", institution("i1"))
    backend.reset()
    assert backend.count("needs") == 0 and backend.count("institutions") == 0
    assert backend.get("needs", "n1") is None
    backend.create("needs", need("n1"))  # still usable
    assert backend.count("needs") == 1


def test_init_is_idempotent(backend):
    backend.create("needs", need("n1"))
    backend.init()
    assert backend.get("needs", "n1")["title"] == "Working capital"


def test_a_total_that_need_not_be_exact_is_still_right_below_the_bound(backend):
    load(backend, "needs", *(need(f"n{i}", amount=i) for i in range(1, 8)))
    result = backend.search("needs", Query(filters=[Range("amount", gte=3)], per_page=2, exact_total=False))
    assert result.total == 5 and len(result.items) == 2


@pytest.mark.rebuilds_indexes
def test_versions_survive_a_reindex(backend):
    created = backend.create("needs", need("n1"))
    backend.reindex()
    assert backend.get("needs", "n1")["version"] == created["version"]
    replaced = backend.replace("needs", "n1", need("n1", amount=4_000_000), expected_version=created["version"])
    with pytest.raises(Conflict):
        backend.replace("needs", "n1", need("n1", amount=5_000_000), expected_version=created["version"])
    assert backend.get("needs", "n1")["version"] == replaced["version"]


@pytest.mark.rebuilds_indexes
def test_a_backup_written_during_writes_restores_what_it_saw(backend, tmp_path):
    load(backend, "needs", *(need(f"n{i:04d}") for i in range(1200)))  # more than one page of a scan
    load(backend, "institutions", institution("i1"))
    pages = backend.scan("needs")
    first = next(pages)
    backend.create("needs", need("n9999"))  # written while the backup is under way
    backend.delete("needs", "n0600")
    rest = list(pages)
    seen = [first["id"]] + [d["id"] for d in rest]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    path = tmp_path / "backup.jsonl.gz"
    counts = backend.backup(path)
    assert counts["needs"] == 1200 and counts["institutions"] == 1
    backend.create("needs", need("after-backup"))
    assert backend.restore(path)["needs"] == 1200
    assert backend.get("needs", "after-backup") is None and backend.get("needs", "n9999") is not None
    assert backend.count("needs") == 1200 and backend.get("institutions", "i1")["name"] == "滨海科技银行"


def test_scan_filters_as_search_does(institutions):
    cases = [
        [Terms("type", ["bank", "guarantee"])],
        [Terms("id", ["vc", "fund", "nope"])],
        [Terms("instruments", ["equity"]), Terms("type", ["venture_capital", "government_fund"])],
        [Terms("type", ["bank", "venture_capital"]), Terms("type", ["venture_capital"])],
        [Missing("ticket_min")],
        [Not(Terms("status", ["entered"]))],
        [Terms("requirements.collateral_required", [False])],
        [Range("ticket_min", gte=1_000_000)],
        [Range("ticket_max", lte=50_000_000), Terms("type", ["bank", "guarantee", "venture_capital"])],
        [Range("ticket_min", gte=0.5, lte=10**12), Range("ticket_max", gte=2_000_000)],
        [Terms("ticket_min", [1_000_000, 2_000_000, 7])],
    ]
    for filters in cases:
        scanned = [d["id"] for d in institutions.scan("institutions", Query(filters=filters))]
        assert scanned == sorted(matching(institutions, *filters)), filters
        with institutions.transaction():  # read on the transaction's connection: the same documents
            assert [d["id"] for d in institutions.scan("institutions", Query(filters=filters))] == scanned, filters
