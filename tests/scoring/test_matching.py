"""Match scoring: hard rules, factors, ranking, and the deal-flow filters and boosts.

Pure functions, no Flask; the last tests run the filters and boosts on the real SQLite
backend to show the engine selects and orders needs as the Python scorer does.
"""
from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.scoring import load_scoring_config, rank_institutions, score_match
from matchmaker.scoring.clauses import holds
from matchmaker.scoring.config import FACTORS, RULES
from matchmaker.scoring.matching import (
    EVERY_NEED,
    InstitutionScorer,
    dealflow_boosts,
    dealflow_complement,
    dealflow_filters,
    factor_points,
    founded_cutoff,
    hard_rules,
    ordering_boosts,
    text_points,
)
from matchmaker.search import Query, create_backend

AS_OF = date(2012, 6, 30)
POOL_FILE = Path(__file__).resolve().parents[2] / "matchmaker" / "scoring" / "cases" / "pools" / "zone-2012.json"


@pytest.fixture(scope="module")
def config():
    return load_scoring_config()


def institution(**overrides) -> dict:
    base = {
        "id": "inst-1", "name": "滨海科技支行", "name_en": "Binhai Technology Sub-branch", "type": "bank",
        "instruments": ["debt"], "industries": ["software_it", "biomedicine"], "stages": ["startup", "growth"],
        "ticket_min": 1_000_000, "ticket_max": 20_000_000, "status": "entered",
        "description": "知识产权质押贷款和流动资金贷款。Patent-pledge loans for high-tech firms.",
        "requirements": {"min_revenue": None, "min_years": None, "collateral_required": False, "high_tech_required": False},
    }
    requirements = overrides.pop("requirements", {})
    base.update(overrides)
    base["requirements"] = {**base["requirements"], **requirements}
    return base


def need(**overrides) -> dict:
    enterprise = {
        "founded": "2008-03-01", "latest_revenue": 30_000_000, "revenue_growth": 0.25, "has_collateral": False,
        "high_tech_certified": True, "little_giant": False, "invention_patents": 5, "tier": "grow",
    }
    enterprise.update(overrides.pop("enterprise", {}))
    base = {
        "id": "need-1", "enterprise_id": "ent-1", "title": "专利质押贷款500万元", "description": "以发明专利质押申请流动资金贷款。",
        "amount": 5_000_000, "instrument": "debt", "purpose": "流动资金", "term_months": 12, "equity_offered_pct": None,
        "status": "open", "industry": "software_it", "stage": "growth", "enterprise_name": "海泰信息",
        "enterprise": enterprise,
    }
    base.update(overrides)
    return base


# -- eligibility ---------------------------------------------------------------------------
def test_an_eligible_match_explains_every_factor(config):
    result = score_match(need(), institution(), config, AS_OF)
    assert result.eligible and result.broken_rules == []
    assert [r.factor for r in result.reasons] == list(FACTORS)
    assert 0 <= result.score <= 100
    assert abs(sum(r.score for r in result.reasons) - result.score) <= 1
    assert all(r.message and r.message_zh for r in result.reasons)


@pytest.mark.parametrize(
    "rule, inst, wanted",
    [
        ("instrument", {"instruments": ["equity"]}, {}),
        ("ticket_range", {"ticket_min": 6_000_000}, {}),
        ("ticket_range", {"ticket_max": 4_000_000}, {}),
        ("stage", {"stages": ["seed"]}, {}),
        ("min_revenue", {"requirements": {"min_revenue": 50_000_000}}, {}),
        ("min_years", {"requirements": {"min_years": 5}}, {}),
        ("collateral", {"requirements": {"collateral_required": True}}, {}),
        ("high_tech", {"requirements": {"high_tech_required": True}}, {"enterprise": {"high_tech_certified": False}}),
    ],
)
def test_each_hard_rule_makes_a_match_ineligible_and_says_why(config, rule, inst, wanted):
    eligible = score_match(need(**copy.deepcopy(wanted)), institution(), config, AS_OF)
    result = score_match(need(**copy.deepcopy(wanted)), institution(**copy.deepcopy(inst)), config, AS_OF)
    assert not result.eligible
    assert result.broken_rules == [rule]
    first = result.reasons[0]
    assert (first.factor, first.score) == (rule, 0)
    assert first.message and first.message_zh and first.message != first.message_zh
    assert result.score < eligible.score


def test_rule_messages_say_by_how_much(config):
    too_big = score_match(need(amount=25_000_000), institution(), config, AS_OF).reasons[0]
    assert "25 million yuan" in too_big.message and "20 million yuan" in too_big.message
    assert "2500万元" in too_big.message_zh and "2000万元" in too_big.message_zh
    young = score_match(need(enterprise={"founded": "2011-01-01"}), institution(requirements={"min_years": 3}), config, AS_OF)
    assert "2011-01-01" in young.reasons[0].message and "1.5 years" in young.reasons[0].message
    wrong = score_match(need(instrument="equity"), institution(), config, AS_OF).reasons[0]
    assert "loans" in wrong.message and "equity investment" in wrong.message


def test_missing_facts_do_not_meet_a_requirement(config):
    no_revenue = need(enterprise={"latest_revenue": None})
    assert score_match(no_revenue, institution(requirements={"min_revenue": 1}), config, AS_OF).broken_rules == ["min_revenue"]
    no_date = need(enterprise={"founded": None})
    result = score_match(no_date, institution(requirements={"min_years": 1}), config, AS_OF)
    assert result.broken_rules == ["min_years"] and "unknown" in result.reasons[0].message


def test_ticket_bounds_and_years_since_founding_are_inclusive(config):
    inst = institution(requirements={"min_years": 3})
    assert score_match(need(amount=1_000_000), inst, config, AS_OF).eligible is True
    assert score_match(need(amount=20_000_000), inst, config, AS_OF).eligible is True
    assert score_match(need(amount=20_000_001), inst, config, AS_OF).eligible is False
    assert score_match(need(enterprise={"founded": "2009-06-30"}), inst, config, AS_OF).eligible is True
    assert score_match(need(enterprise={"founded": "2009-07-01"}), inst, config, AS_OF).eligible is False


def test_founded_cutoff_handles_month_ends_and_fractions():
    assert founded_cutoff(date(2012, 2, 29), 1) == date(2011, 2, 28)
    assert founded_cutoff(date(2012, 6, 30), 1.5) == date(2010, 12, 30)


def test_a_rule_switched_off_in_the_config_is_not_applied(config, tmp_path):
    zone_file = tmp_path / "zone.json"
    zone_file.write_text(json.dumps({"rules": {"collateral": False}}))
    relaxed = load_scoring_config(zone_file)
    inst = institution(requirements={"collateral_required": True})
    assert not score_match(need(), inst, config, AS_OF).eligible
    assert score_match(need(), inst, relaxed, AS_OF).eligible
    assert all("has_collateral" not in repr(f) for f in dealflow_filters(inst, relaxed, AS_OF))


def test_not_offering_the_instrument_costs_more_than_a_near_miss_on_amount(config):
    wrong_instrument = score_match(need(instrument="equity"), institution(), config, AS_OF)
    amount_too_big = score_match(need(amount=21_000_000), institution(), config, AS_OF)
    assert wrong_instrument.score < amount_too_big.score


# -- factors ---------------------------------------------------------------------------------
def test_a_specialist_in_the_industry_scores_above_a_generalist_and_a_stranger(config):
    specialist = institution(industries=["software_it"])
    generalist = institution(industries=["software_it", "biomedicine", "new_energy", "advanced_manufacturing", "other"])
    stranger = institution(industries=["biomedicine"])
    points = [factor_points(need(), inst, config)["industry"] for inst in (specialist, generalist, stranger)]
    assert points[0] > points[1] > points[2] == 0


def test_the_amount_scores_best_well_inside_the_range(config):
    inst = institution(ticket_min=1_000_000, ticket_max=50_000_000)
    edge, core, top = (factor_points(need(amount=a), inst, config)["ticket"] for a in (1_100_000, 8_000_000, 49_000_000))
    assert core == config.points["ticket"] and edge < core and top < core


def test_strength_follows_what_the_institution_type_looks_at(config):
    patents_no_collateral = need(enterprise={"invention_patents": 20, "has_collateral": False, "revenue_growth": 0.6})
    collateral_no_patents = need(enterprise={"invention_patents": 0, "has_collateral": True, "revenue_growth": 0.0})
    vc = institution(type="venture_capital", instruments=["equity"])
    microcredit = institution(type="microcredit")
    assert factor_points(patents_no_collateral, vc, config)["strength"] > factor_points(collateral_no_patents, vc, config)["strength"]
    assert factor_points(collateral_no_patents, microcredit, config)["strength"] > factor_points(patents_no_collateral, microcredit, config)["strength"]


def test_designations_and_presence_count(config):
    plain = need(enterprise={"little_giant": False, "high_tech_certified": False})
    decorated = need(enterprise={"little_giant": True, "high_tech_certified": True})
    inst = institution()
    assert factor_points(decorated, inst, config)["designations"] == config.points["designations"]
    assert factor_points(plain, inst, config)["designations"] == 0
    entered, target = institution(status="entered"), institution(status="target")
    assert score_match(plain, entered, config, AS_OF).score > score_match(plain, target, config, AS_OF).score


def test_text_relevance_is_bounded_and_rewards_shared_terms(config):
    inst = institution()
    related = factor_points(need(), inst, config)["text"]
    unrelated = factor_points(need(title="采购原材料", description="季节性备货", purpose="备货"), inst, config)["text"]
    assert 0 == unrelated < related <= text_points(config)
    verbose = need(description=inst["description"] * 20)
    assert factor_points(verbose, inst, config)["text"] == text_points(config)


def test_microcredit_prefers_short_terms(config):
    inst = institution(type="microcredit", ticket_min=100_000, ticket_max=5_000_000)
    assert factor_points(need(term_months=6), inst, config)["term"] > factor_points(need(term_months=24), inst, config)["term"]


def test_to_dict_has_the_api_shape(config):
    data = score_match(need(), institution(), config, AS_OF).to_dict()
    assert set(data) >= {"score", "eligible", "reasons"}
    assert set(data["reasons"][0]) == {"factor", "score", "message", "message_zh"}
    json.dumps(data, ensure_ascii=False)


# -- ranking ---------------------------------------------------------------------------------
def test_rank_puts_eligible_first_then_best_score_then_id(config):
    pool = [
        institution(id="c-ineligible", instruments=["equity"], industries=["software_it"]),
        institution(id="b-tie", industries=["software_it", "biomedicine"]),
        institution(id="a-tie", industries=["software_it", "biomedicine"]),
        institution(id="d-best", industries=["software_it"]),
    ]
    ranked = rank_institutions(need(), pool, config, AS_OF)
    assert [inst["id"] for inst, _ in ranked] == ["d-best", "a-tie", "b-tie", "c-ineligible"]
    assert [result.eligible for _, result in ranked] == [True, True, True, False]


def test_an_ineligible_institution_never_outranks_an_eligible_one(config):
    perfect_but_ineligible = institution(id="a", industries=["software_it"], stages=["growth"], requirements={"min_revenue": 10**9})
    poor_but_eligible = institution(id="b", industries=["other"], status="target", description="")
    ranked = rank_institutions(need(), [perfect_but_ineligible, poor_but_eligible], config, AS_OF)
    assert [inst["id"] for inst, _ in ranked] == ["b", "a"]


# -- deal flow: the same rules as engine filters and boosts ---------------------------------
def _pool() -> list[dict]:
    institutions = json.loads(POOL_FILE.read_text(encoding="utf-8"))["institutions"]
    open_ended = institution(id="open-ended", ticket_min=None, ticket_max=None, industries=[], stages=[])
    return institutions + [open_ended]


POOL = _pool()

needs_strategy = st.builds(
    lambda instrument, industry, stage, amount, term, founded, revenue, growth, collateral, high_tech, giant, patents: need(
        instrument=instrument, industry=industry, stage=stage, amount=amount, term_months=term,
        enterprise={"founded": founded and founded.isoformat(), "latest_revenue": revenue, "revenue_growth": growth,
                    "has_collateral": collateral, "high_tech_certified": high_tech, "little_giant": giant,
                    "invention_patents": patents},
    ),
    st.sampled_from(["equity", "convertible", "debt", "guarantee", "leasing"]),
    st.sampled_from(["new_energy", "advanced_manufacturing", "modern_services", "software_it", "biomedicine", "other"]),
    st.sampled_from(["seed", "startup", "growth", "expansion", "pre_ipo", None]),
    st.one_of(st.none(), st.integers(0, 300_000_000)),
    st.one_of(st.none(), st.integers(1, 120)),
    st.one_of(st.none(), st.dates(date(1995, 1, 1), date(2012, 6, 30))),
    st.one_of(st.none(), st.integers(0, 1_000_000_000)),
    st.one_of(st.none(), st.floats(-0.9, 3.0)),
    st.booleans(), st.booleans(), st.booleans(), st.integers(0, 40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=needs_strategy, inst=st.sampled_from(POOL))
def test_filters_select_and_boosts_add_up_exactly_like_the_python_score(config, doc, inst):
    result = score_match(doc, inst, config, AS_OF)
    filters_hold = all(holds(f, doc) for f in dealflow_filters(inst, config, AS_OF))
    assert filters_hold == result.eligible
    boost_total = sum(b.weight for b in dealflow_boosts(inst, config) if holds(b.clause, doc))
    points = factor_points(doc, inst, config)
    assert boost_total == pytest.approx(sum(points.values()) - points["text"], abs=1e-6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=needs_strategy, inst=st.sampled_from(POOL))
def test_the_complement_holds_exactly_the_open_needs_that_break_a_rule(config, doc, inst):
    eligible = all(holds(f, doc) for f in dealflow_filters(inst, config, AS_OF))
    filters, boosts = dealflow_complement(inst, config, AS_OF)
    ineligible = all(holds(f, doc) for f in filters)
    assert not (eligible and ineligible)
    assert eligible or ineligible  # the strategy's needs are all open
    assert ineligible == (not score_match(doc, inst, config, AS_OF).eligible)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=needs_strategy, b=needs_strategy, inst=st.sampled_from(POOL))
def test_ordering_boosts_keep_the_order_of_the_full_boosts(config, a, b, inst):
    filters = dealflow_filters(inst, config, AS_OF)
    lean = ordering_boosts(dealflow_boosts(inst, config), filters)
    assert all(boost.clause != EVERY_NEED and boost.clause not in filters for boost in lean)
    assert len({boost.clause for boost in lean}) == len(lean)
    if not all(holds(f, a) for f in filters) or not all(holds(f, b) for f in filters):
        return

    def total(doc, boosts):
        return sum(boost.weight for boost in boosts if holds(boost.clause, doc))

    full = dealflow_boosts(inst, config)
    assert total(a, full) - total(b, full) == pytest.approx(total(a, lean) - total(b, lean), abs=1e-6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=needs_strategy)
def test_ranking_the_pool_gives_each_institution_what_scoring_it_alone_gives(config, doc):
    """The ranking tests each clause the pool shares once for the need (clause_answers):
    every institution still gets its own full match, reasons and all."""
    ranked = {inst["id"]: result.to_dict() for inst, result in rank_institutions(doc, POOL, config, AS_OF)}
    assert ranked == {inst["id"]: score_match(doc, inst, config, AS_OF).to_dict() for inst in POOL}


def test_the_scorer_gives_what_score_match_gives(config):
    for inst in POOL:
        scorer = InstitutionScorer(inst, config, AS_OF)
        for doc in _dealflow_needs():
            result = score_match(doc, inst, config, AS_OF)
            assert scorer.score(doc) == (result.score, result.eligible)
            assert scorer.match(doc).to_dict() == result.to_dict()


class _Asked(dict):
    """Clause answers that count how often each is looked up."""

    def __init__(self, answers: dict):
        super().__init__(answers)
        self.asked: dict = {}

    def __getitem__(self, test):
        self.asked[test] = self.asked.get(test, 0) + 1
        return super().__getitem__(test)


def test_the_offers_of_an_institution_work_out_each_factor_they_share_once(config):
    """A bank's products share their profile's steps: the best product's score works out
    each such factor's points once for all of them, and gives what each product scores."""
    from tests.search.test_product_ranking import BANK

    scorer = InstitutionScorer(BANK, config, AS_OF)
    profile = [test for offer in scorer.offers for name, tests in offer._step_tests.items() if name != "ticket"
               for _, test in tests if test is not None]
    rules = {test for offer in scorer.offers for _, test in offer._rule_tests}
    for doc in _dealflow_needs():
        held = _Asked({test: test(doc) for test in scorer.tests})
        offer, score, eligible = scorer.best(doc, held=held)
        assert max(held.asked.get(test, 0) for test in profile if test not in rules) == 1
        assert (score, eligible) == offer.score(doc) == max(
            (o.score(doc) for o in scorer.offers), key=lambda answer: (answer[1], answer[0]))


def _dealflow_needs() -> list[dict]:
    """Needs that differ in every way the rules and factors look at."""
    variants = [
        {},
        {"amount": 800_000},
        {"amount": 45_000_000},
        {"amount": 1_200_000, "term_months": 36},
        {"instrument": "equity"},
        {"stage": "seed"},
        {"stage": "expansion", "industry": "biomedicine"},
        {"industry": "other", "term_months": None},
        {"status": "closed"},
        {"enterprise": {"high_tech_certified": False}},
        {"enterprise": {"has_collateral": True, "little_giant": True}},
        {"enterprise": {"latest_revenue": None, "revenue_growth": None}},
        {"enterprise": {"latest_revenue": 150_000_000, "invention_patents": 12}},
        {"enterprise": {"founded": "2011-09-01"}},
        {"enterprise": {"founded": None}},
        {"enterprise": {"revenue_growth": -0.2, "invention_patents": 0}},
    ]
    return [need(id=f"need-{i:02d}", **copy.deepcopy(v)) for i, v in enumerate(variants)]


@pytest.mark.parametrize("inst_id", ["bank-tech", "micro-tech", "guar-credit", "vc-general", "open-ended"])
def test_dealflow_on_sqlite_selects_and_orders_like_the_python_scorer(tmp_path, config, inst_id):
    inst = next(i for i in POOL if i["id"] == inst_id)
    docs = _dealflow_needs()
    backend = create_backend({"DATA_DIR": tmp_path})
    backend.init()
    try:
        assert not backend.bulk_upsert("needs", docs).errors
        query = Query(filters=dealflow_filters(inst, config, AS_OF), boosts=dealflow_boosts(inst, config), per_page=100)
        hits = backend.search("needs", query).items
    finally:
        backend.close()

    expected = [d for d in docs if d["status"] == "open" and score_match(d, inst, config, AS_OF).eligible]
    assert sorted(h["id"] for h in hits) == sorted(d["id"] for d in expected)

    def structured(doc):
        points = factor_points(doc, inst, config)
        return sum(points.values()) - points["text"]

    engine_order = [structured(h) for h in hits]
    assert engine_order == sorted(engine_order, reverse=True)
    # Re-sorting the engine's page by the exact score gives the Python ranking.
    rescored = sorted(hits, key=lambda h: (-score_match(h, inst, config, AS_OF).score, h["id"]))
    python = sorted(expected, key=lambda d: (-score_match(d, inst, config, AS_OF).score, d["id"]))
    assert [h["id"] for h in rescored] == [d["id"] for d in python]


def test_every_hard_rule_has_a_filter(config):
    strict = institution(
        stages=["growth"], requirements={"min_revenue": 1, "min_years": 1, "collateral_required": True, "high_tech_required": True}
    )
    fields = {getattr(f, "field", None) for f in dealflow_filters(strict, config, AS_OF)}
    assert fields == {"status", "instrument", "amount", "stage", "enterprise.latest_revenue", "enterprise.founded",
                      "enterprise.has_collateral", "enterprise.high_tech_certified", None}  # None: the bank's profit rule (any of)
    # the newer rules, each from what an institution says of itself
    newer = [
        strict,
        institution(type="guarantee", instruments=["guarantee"], counter_guarantees_accepted=["ip_pledge"], net_capital=100_000_000,
                    guarantee_outstanding=500_000_000, industry_mandate=True, minority_only=True, term_months_max=12),
        institution(type="microcredit", net_capital=300_000_000),
    ]
    named = {rule.rule for inst in newer for rule in hard_rules(inst, config, AS_OF)}
    assert named == set(RULES)


def test_every_reason_message_is_filled_in_for_every_factor():
    """No reason may show a raw "{placeholder}" in either language, whatever the fit."""
    from matchmaker.scoring import load_scoring_config, score_match

    config = load_scoring_config()
    need = {"id": "n1", "enterprise_id": "e1", "title": "软件研发", "amount": 3_000_000, "instrument": "equity",
            "status": "open", "industry": "software_it", "stage": "seed",
            "enterprise": {"founded": "2011-01-01", "latest_revenue": 1_000_000, "revenue_growth": 0.5,
                           "has_collateral": False, "high_tech_certified": False, "little_giant": False,
                           "invention_patents": 1, "tier": "nest"}}
    institution = {"id": "i1", "name": "生物医药产业基金", "type": "industry_fund", "instruments": ["equity"],
                   "industries": ["biomedicine"], "stages": ["growth", "pre_ipo"], "ticket_min": 10_000_000,
                   "ticket_max": 200_000_000, "description": "生物医药", "status": "entered",
                   "requirements": {"min_revenue": 50_000_000, "min_years": 3, "collateral_required": True,
                                    "high_tech_required": True}}
    result = score_match(need, institution, config)
    assert {r.factor for r in result.reasons} >= {"industry", "stage"}
    for reason in result.reasons:
        assert "{" not in reason.message and "{" not in reason.message_zh, reason
