"""An institution with products ranks a need by its best-fitting product, in the engine.

The deal flow's eligible needs are ordered by the engine (``Query.best_of``: per product,
its boosts where its hard rules hold; the best total counts) as the Python scorer orders
them (:class:`~matchmaker.scoring.matching.InstitutionScorer`: the best eligible product's
score), not by the institution's profile, which scores differently from each product.
"""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from matchmaker.scoring import load_scoring_config
from matchmaker.scoring.matching import InstitutionScorer, dealflow_best_of, dealflow_boosts, dealflow_filters, ordering_boosts
from matchmaker.search import Boost, Query, Range, RankOption, Terms
from matchmaker.search.filters import holds
from tests.search.test_backend_contract import need

AS_OF = date(2012, 6, 30)

#: Two products that take different needs and score them differently: by ticket, industry
#: and stage, each unlike the institution's own profile.
BANK = {
    "id": "bank-two", "name": "两产品支行", "name_en": "Two-product branch", "type": "bank", "instruments": ["debt"],
    "industries": ["software_it", "biomedicine", "new_energy"], "stages": ["startup", "growth", "expansion"],
    "ticket_min": 1_000_000, "ticket_max": 60_000_000, "status": "entered", "description": "qqq",
    "requirements": {"min_revenue": None, "min_years": None, "collateral_required": False, "high_tech_required": False},
    "products": [
        {"id": "small", "name": "xxa", "ticket_min": 1_000_000, "ticket_max": 8_000_000, "industries": ["software_it"],
         "stages": ["startup", "growth"]},
        {"id": "large", "name": "xxb", "ticket_min": 6_000_000, "ticket_max": 60_000_000,
         "industries": ["biomedicine", "new_energy", "software_it"], "stages": ["growth", "expansion"]},
    ],
}


def _needs() -> list[dict]:
    docs = []
    grid = itertools.product([1_500_000, 4_000_000, 7_000_000, 12_000_000, 45_000_000],
                             ["software_it", "biomedicine", "new_energy"], ["startup", "growth", "expansion"], [0, 8])
    for n, (amount, industry, stage, patents) in enumerate(grid):
        docs.append({
            "id": f"need-{n:03d}", "enterprise_id": f"ent-{n}", "title": f"zz{n}", "description": "", "amount": amount,
            "instrument": "debt", "purpose": "", "term_months": 12, "equity_offered_pct": None, "status": "open",
            "industry": industry, "stage": stage, "enterprise_name": f"e{n}",
            "enterprise": {"founded": "2008-03-01", "latest_revenue": 30_000_000 + n * 1_000_000, "revenue_growth": 0.1 * (n % 4),
                           "has_collateral": n % 3 == 0, "high_tech_certified": n % 2 == 0, "little_giant": False,
                           "invention_patents": patents, "tier": "grow"},
        })
    return docs


def test_eligible_needs_are_ordered_by_their_best_fitting_product(backend, request):
    if "tantivy" in request.node.callspec.params["backend"]:
        pytest.skip("the tantivy index orders by the profile's boosts (Query.best_of is not compiled there yet)")
    config = load_scoring_config()
    scorer = InstitutionScorer(BANK, config, AS_OF)
    docs = _needs()
    assert not backend.bulk_upsert("needs", docs).errors
    filters = dealflow_filters(BANK, config, AS_OF)
    query = Query(filters=filters, boosts=ordering_boosts(dealflow_boosts(BANK, config), filters),
                  best_of=dealflow_best_of(BANK, config, AS_OF), per_page=100)
    hits = [h["id"] for h in backend.search("needs", query).items]

    results = {d["id"]: scorer.match(d) for d in docs}
    eligible = {i for i, r in results.items() if r.eligible}
    assert set(hits) == eligible and len({results[i].product["id"] for i in eligible}) == 2  # both products take some
    assert all(r.reasons[[x.factor for x in r.reasons].index("text")].score == 0 for r in results.values())  # no text factor
    totals = [results[i].total for i in hits]
    # the engine's order is the Python scorer's (equal totals in either order)
    assert all(a >= b - 1e-3 for a, b in zip(totals, totals[1:])), list(zip(hits, totals))


def test_best_of_ranks_by_the_largest_total_of_the_options_that_hold(backend, request):
    """Negative weights too (the engines take only positive ones): against a brute force."""
    if "tantivy" in request.node.callspec.params["backend"]:
        pytest.skip("the tantivy index orders by the profile's boosts (Query.best_of is not compiled there yet)")
    docs = [need(f"n{i}", amount=amount, industry=industry, stage=stage) for i, (amount, industry, stage) in enumerate(
        itertools.product([1, 4, 9], ["software_it", "biomedicine"], ["seed", "growth", "expansion"]))]
    assert not backend.bulk_upsert("needs", docs).errors
    shared = (Boost(Terms("stage", ["seed"]), 2.5), Boost(Range("amount", lte=4), -1.25))  # in every option: taken out once
    options = [
        RankOption(Range("amount", lte=5), (Boost(Terms("industry", ["software_it"]), 7.5), Boost(Terms("stage", ["seed"]), -12.0)) + shared),
        RankOption(Terms("stage", ["growth", "expansion"]), shared + (Boost(Range("amount", gte=4), 3.25), Boost(Terms("industry", ["biomedicine"]), -2.0))),
        RankOption(None, (Boost(Terms("stage", ["expansion"]), 1.0),) + shared),
    ]
    hits = [h["id"] for h in backend.search("needs", Query(best_of=options, per_page=100)).items]

    def total(doc):
        return max(sum(b.weight for b in o.boosts if holds(b.clause, doc)) for o in options if o.clause is None or holds(o.clause, doc))

    assert hits == [d["id"] for d in sorted(docs, key=lambda d: (-total(d), d["id"]))]
