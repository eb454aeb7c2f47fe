"""Which programmes back a deal, for matching."""
from __future__ import annotations

from datetime import date

from matchmaker.fund.eligibility import programmes_for_loan


def test_subsidies_follow_instrument_and_institution_type(backend, fund):
    need = backend.get("needs", fund["loan_need"]["id"])
    found = programmes_for_loan(backend, need, fund["bank"], as_of=date(2012, 6, 30))
    assert [p["id"] for p in found] == [fund["interest"]["id"]]
    assert programmes_for_loan(backend, need, fund["guarantor"], as_of=date(2012, 6, 30)) == []  # the bank-only rule
    assert programmes_for_loan(backend, need, fund["bank"], as_of=date(2013, 1, 10)) == []  # another year's fund
    guarantee = {**need, "instrument": "guarantee"}
    assert [p["kind"] for p in programmes_for_loan(backend, guarantee, fund["guarantor"], as_of=date(2012, 6, 30))] == ["fee_subsidy"]


def test_the_risk_pool_covers_the_products_that_take_part(backend, fund):
    pool = fund["post"]("/programmes", {"name": "风险补偿资金池", "name_en": "Risk pool", "kind": "risk_pool", "year": 2012,
                                        "budget": 10_000_000, "rules": {"instruments": ["debt"]}})
    need = backend.get("needs", fund["loan_need"]["id"])
    in_pool = {"id": "p1", "instrument": "debt", "programmes": [pool["id"]]}
    outside = {"id": "p2", "instrument": "debt", "programmes": []}
    kinds = lambda product: sorted(p["kind"] for p in programmes_for_loan(backend, need, fund["bank"], product, date(2012, 6, 30)))
    assert kinds(in_pool) == ["interest_subsidy", "risk_pool"]
    assert kinds(outside) == ["interest_subsidy"]
    assert kinds(None) == ["interest_subsidy"]  # the institution itself takes part in none


def test_a_spent_programme_backs_nothing(backend, fund):
    need = backend.get("needs", fund["loan_need"]["id"])
    programme = backend.get("programmes", fund["interest"]["id"])
    backend.replace("programmes", programme["id"], {**programme, "committed": programme["budget"]})
    assert programmes_for_loan(backend, need, fund["bank"], as_of=date(2012, 6, 30)) == []
