"""The demo's special fund and reserve pool: 2012 programmes summing to the finance share,
grants in every state within budgets and caps, a pool of dated stages; seeding is idempotent."""
from __future__ import annotations

from collections import Counter

import pytest

from matchmaker import create_app
from matchmaker.demo.fund import FINANCE_SHARE, TODAY
from matchmaker.fund.rules import POOL_STAGES
from matchmaker.fund.summary import fund_totals
from matchmaker.demo.seeding import seed_demo
from matchmaker.storage import get_backend


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("fund-demo")), "SECRET_KEY": "t",
                      "TODAY": "2012-06-30"})
    backend = get_backend(app)
    backend.init()
    with app.app_context():
        seed_demo(backend, enterprise_count=300)
        yield app, backend
    backend.close()


def test_programmes_share_the_fund_and_hold_their_budgets(demo):
    _, backend = demo
    totals = fund_totals(backend, 2012)
    assert totals["budget"] == FINANCE_SHARE == 50_000_000
    assert {r["kind"] for r in totals["by_programme"]} == {"interest_subsidy", "fee_subsidy", "risk_pool", "listing_award",
                                                            "angel_coinvest"}
    for row in totals["by_programme"]:
        assert 0 <= row["paid"] <= row["committed"] <= row["budget"]
        stored = backend.get("programmes", row["id"])
        assert (stored["committed"], stored["paid"]) == (row["committed"], row["paid"])
    assert totals["paid"] > 0


def test_grants_in_every_state_within_the_caps(demo):
    _, backend = demo
    grants = list(backend.scan("grants"))
    assert set(Counter(g["status"] for g in grants)) == {"applied", "approved", "paid", "rejected"}
    held = Counter()
    for g in grants:
        assert isinstance(g["amount"], int) and g["amount"] > 0 and g["calculation"]["steps"]
        assert g["applied_at"] <= "2012-07-01" and g["year"] == 2012
        assert (g.get("meeting_id") is None) != (g.get("stage") is None)
        if g["status"] in ("approved", "paid"):
            held[(g["programme_id"], g["enterprise_id"])] += g["amount"]
        if g["status"] == "rejected":
            assert g["reason"]
    for (programme_id, _), amount in held.items():
        cap = backend.get("programmes", programme_id)["rules"].get("cap_per_enterprise")
        assert cap is None or amount <= cap


def test_the_pool_has_dated_stages_and_intermediaries(demo):
    _, backend = demo
    entries = list(backend.scan("reserve_pool"))
    assert 30 <= len(entries) <= 40
    assert len({e["stage"] for e in entries}) >= 4 and sum(e["status"] == "exited" for e in entries) == 2
    for e in entries:
        days = [s["on"] for s in e["stages"]]
        assert days == sorted(days) and days[-1] <= TODAY.isoformat() and days[0] == e["entered_on"]
        assert [s["stage"] for s in e["stages"]] == list(POOL_STAGES[: len(e["stages"])])
        if POOL_STAGES.index(e["stage"]) >= POOL_STAGES.index("tutoring"):
            assert e["intermediaries"]["sponsor"]["engaged_on"] <= e["stage_on"]
    awards = [g for g in backend.scan("grants") if g["programme_kind"] == "listing_award"]
    by_id = {e["id"]: e for e in entries}
    assert awards and all(g["stage"] in {s["stage"] for s in by_id[g["enterprise_id"]]["stages"]} for g in awards)


def test_seeding_again_leaves_one_copy(demo):
    _, backend = demo
    before = {index: backend.count(index) for index in ("programmes", "grants", "reserve_pool")}
    seed_demo(backend, enterprise_count=300)
    assert {index: backend.count(index) for index in before} == before
