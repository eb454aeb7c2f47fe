"""The rules a credit officer, a guarantee officer and a fund partner insist on (DOMAIN.md):
products, mandates, counter-guarantees, regulatory caps by date, the lender's view."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.scoring import load_scoring_config, rank_institutions, score_match
from matchmaker.scoring.clauses import holds
from matchmaker.scoring.matching import InstitutionScorer, dealflow_complement, dealflow_filters
from matchmaker.search import Query, create_backend

from test_matching import institution, need  # noqa: E402  (the same documents)

AS_OF = date(2012, 6, 30)


@pytest.fixture(scope="module")
def config():
    return load_scoring_config()


def _reason(result, factor):
    return next(r for r in result.reasons if r.factor == factor)


# -- products ---------------------------------------------------------------------------------
SUB_BRANCH = institution(
    id="bank-sub", ticket_min=1_000_000, ticket_max=50_000_000,
    products=[
        {"id": "ip", "name": "知识产权质押贷款", "name_en": "IP-pledge loan", "ticket_min": 1_000_000, "ticket_max": 10_000_000,
         "counter_guarantees_accepted": ["ip_pledge"]},
        {"id": "wc", "name": "流动资金贷款", "ticket_min": 5_000_000, "ticket_max": 50_000_000, "term_months_max": 12,
         "counter_guarantees_accepted": ["real_estate_mortgage"]},
    ],
)


def test_the_item_names_the_product_that_fits(config):
    pledging = need(amount=4_000_000, enterprise={"counter_guarantees_offered": ["ip_pledge"], "latest_net_profit": 2_000_000})
    result = score_match(pledging, SUB_BRANCH, config, AS_OF)
    assert result.eligible and result.product["id"] == "ip"
    assert result.to_dict()["product"] == {"id": "ip", "name": "知识产权质押贷款", "name_en": "IP-pledge loan"}
    mortgaging = need(amount=20_000_000, term_months=12,
                      enterprise={"counter_guarantees_offered": ["real_estate_mortgage"], "latest_net_profit": 2_000_000})
    assert score_match(mortgaging, SUB_BRANCH, config, AS_OF).product["id"] == "wc"


def test_a_product_field_left_out_takes_the_institutions(config):
    too_early = need(stage="seed", amount=4_000_000, enterprise={"counter_guarantees_offered": ["ip_pledge"]})
    result = score_match(too_early, SUB_BRANCH, config, AS_OF)  # stages come from the institution
    assert not result.eligible and "stage" in result.broken_rules


def test_no_product_fits_names_the_rules_of_the_nearest(config):
    result = score_match(need(amount=30_000_000, term_months=24, enterprise={"counter_guarantees_offered": []}), SUB_BRANCH, config, AS_OF)
    assert not result.eligible and result.product is not None
    assert "counter_guarantee" in result.broken_rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(amount=st.integers(0, 80_000_000), term=st.one_of(st.none(), st.integers(1, 60)),
       offered=st.lists(st.sampled_from(["ip_pledge", "real_estate_mortgage", "equity_pledge"]), unique=True),
       stage=st.sampled_from(["seed", "startup", "growth"]), profit=st.one_of(st.none(), st.integers(-5_000_000, 5_000_000)))
def test_deal_flow_filters_of_an_institution_with_products_hold_exactly_when_a_product_takes_the_need(config, amount, term, offered, stage, profit):
    doc = need(amount=amount, term_months=term, stage=stage,
               enterprise={"counter_guarantees_offered": offered, "latest_net_profit": profit})
    eligible = score_match(doc, SUB_BRANCH, config, AS_OF).eligible
    assert all(holds(f, doc) for f in dealflow_filters(SUB_BRANCH, config, AS_OF)) == eligible
    assert all(holds(f, doc) for f in dealflow_complement(SUB_BRANCH, config, AS_OF)[0]) == (not eligible)


def test_the_engine_selects_the_needs_some_product_takes(tmp_path, config):
    docs = [need(id=f"n{i}", amount=amount, enterprise={"counter_guarantees_offered": offered, "latest_net_profit": 1_000_000})
            for i, (amount, offered) in enumerate([(4_000_000, ["ip_pledge"]), (20_000_000, ["ip_pledge"]),
                                                    (20_000_000, ["real_estate_mortgage"]), (4_000_000, [])])]
    backend = create_backend({"DATA_DIR": tmp_path})
    backend.init()
    try:
        assert not backend.bulk_upsert("needs", docs).errors
        hits = backend.search("needs", Query(filters=dealflow_filters(SUB_BRANCH, config, AS_OF), per_page=10)).items
    finally:
        backend.close()
    assert sorted(h["id"] for h in hits) == ["n0", "n2"]


# -- mandates -----------------------------------------------------------------------------------
def test_an_industry_fund_cannot_invest_outside_its_mandate(config):
    fund = institution(id="fund-ne", type="industry_fund", instruments=["equity"], industries=["new_energy"], stages=["growth", "pre_ipo"],
                       ticket_min=10_000_000, ticket_max=200_000_000)
    software = need(instrument="equity", industry="software_it", stage="pre_ipo", amount=50_000_000, equity_offered_pct=8)
    result = score_match(software, fund, config, AS_OF)
    assert not result.eligible and result.broken_rules == ["industry_mandate"]
    reason = _reason(result, "industry_mandate")
    assert "new energy" in reason.message and "新能源" in reason.message_zh
    # a venture capital firm's industries stay a preference unless it says they are a mandate
    vc = {**fund, "type": "venture_capital"}
    assert score_match(software, vc, config, AS_OF).eligible
    assert not score_match(software, {**vc, "industry_mandate": True}, config, AS_OF).eligible
    assert score_match(software, {**fund, "industry_mandate": False}, config, AS_OF).eligible


def test_a_guide_fund_takes_minority_stakes_only(config):
    fund = institution(type="industry_fund", instruments=["equity"], industries=[], stages=["growth"], minority_only=True,
                       ticket_min=1_000_000, ticket_max=100_000_000)
    assert score_match(need(instrument="equity", equity_offered_pct=20), fund, config, AS_OF).eligible
    result = score_match(need(instrument="equity", equity_offered_pct=51), fund, config, AS_OF)
    assert result.broken_rules == ["minority_stake"] and "51%" in _reason(result, "minority_stake").message


# -- counter-guarantees -------------------------------------------------------------------------
def test_counter_guarantees_accepted_against_offered(config):
    guarantor = institution(type="guarantee", instruments=["guarantee"],
                            counter_guarantees_accepted=["personal_guarantee", "ip_pledge", "equity_pledge"])
    offering = need(instrument="guarantee", enterprise={"counter_guarantees_offered": ["ip_pledge"], "has_collateral": False})
    assert score_match(offering, guarantor, config, AS_OF).eligible
    bare = need(instrument="guarantee", enterprise={"counter_guarantees_offered": [], "has_collateral": True})
    result = score_match(bare, guarantor, config, AS_OF)
    assert result.broken_rules == ["counter_guarantee"]
    assert "IP pledge" in _reason(result, "counter_guarantee").message and "知识产权质押" in _reason(result, "counter_guarantee").message_zh


def test_an_old_profile_that_requires_collateral_still_reads_as_before(config):
    old = institution(requirements={"collateral_required": True})
    assert score_match(need(enterprise={"has_collateral": True}), old, config, AS_OF).eligible
    assert score_match(need(enterprise={"has_collateral": False}), old, config, AS_OF).broken_rules == ["collateral"]


def test_an_enterprise_that_does_not_say_offers_what_it_evidently_has():
    from matchmaker.enterprises.facts import summary

    assert summary({"has_collateral": True})["counter_guarantees_offered"] == ["personal_guarantee", "real_estate_mortgage"]
    assert summary({"invention_patents": 3})["counter_guarantees_offered"] == ["personal_guarantee", "ip_pledge"]
    assert summary({"has_collateral": True, "counter_guarantees_offered": []})["counter_guarantees_offered"] == []
    assert summary({"has_collateral": True, "counter_guarantees_offered": ["ip_pledge"]})["counter_guarantees_offered"] == ["ip_pledge"]


# -- caps, as dated rule sets ---------------------------------------------------------------------
def test_microcredit_single_borrower_cap_follows_the_rules_in_force(config):
    micro = institution(type="microcredit", ticket_min=100_000, ticket_max=10_000_000, net_capital=100_000_000)
    loan = need(amount=8_000_000)
    in_2012 = score_match(loan, micro, config, date(2012, 6, 30))
    assert in_2012.broken_rules == ["single_borrower_cap"]
    reason = _reason(in_2012, "single_borrower_cap")
    assert "5%" in reason.message and "银监发〔2008〕23号" in reason.message_zh and "500万元" in reason.message_zh
    assert score_match(loan, micro, config, date(2025, 6, 30)).eligible  # 10% of net assets since 2025
    assert score_match(need(amount=5_000_000), micro, config, date(2012, 6, 30)).eligible


def test_guarantee_leverage_limit_and_single_client_limit(config):
    guarantor = institution(type="guarantee", instruments=["guarantee"], ticket_min=1_000_000, ticket_max=30_000_000,
                            net_capital=200_000_000, guarantee_outstanding=1_990_000_000)
    result = score_match(need(instrument="guarantee", amount=15_000_000), guarantor, config, AS_OF)
    assert result.broken_rules == ["guarantee_capacity"]
    assert "10" in _reason(result, "guarantee_capacity").message and "暂行办法" in _reason(result, "guarantee_capacity").message_zh
    # since 2017 a guarantor serving mainly small and micro firms may reach 15x
    focused = {**guarantor, "small_micro_focus": True}
    assert score_match(need(instrument="guarantee", amount=15_000_000), focused, config, date(2018, 1, 1)).eligible
    assert not score_match(need(instrument="guarantee", amount=15_000_000), focused, config, AS_OF).eligible
    roomy = {**guarantor, "guarantee_outstanding": 0}
    assert score_match(need(instrument="guarantee", amount=25_000_000), roomy, config, AS_OF).broken_rules == ["single_borrower_cap"]


# -- the lender's view ---------------------------------------------------------------------------
def test_a_bank_does_not_lend_to_a_loss_making_borrower(config):
    losing = need(amount=12_400_000, enterprise={"latest_net_profit": -670_000, "latest_revenue": 30_000_000})
    result = score_match(losing, institution(), config, AS_OF)
    assert result.broken_rules == ["profitable"]
    assert "-670,000 yuan" in _reason(result, "profitable").message and "-67万元" in _reason(result, "profitable").message_zh
    risk_pool = institution(requirements={"profitable_required": False})
    assert score_match(losing, risk_pool, config, AS_OF).eligible


def test_the_loan_against_revenue_is_said_and_weighed(config):
    bank = institution()
    big = need(amount=11_000_000, enterprise={"latest_revenue": 10_000_000, "latest_net_profit": 500_000,
                                              "latest_operating_cash_flow": 300_000}, deal={"revenue_cover": 10 / 11})
    small = need(amount=2_000_000, enterprise={"latest_revenue": 10_000_000, "latest_net_profit": 500_000,
                                               "latest_operating_cash_flow": 300_000}, deal={"revenue_cover": 5.0})
    big_reason = _reason(score_match(big, bank, config, AS_OF), "credit")
    assert "1.1x last year's revenue" in big_reason.message and "上年营收的1.1倍" in big_reason.message_zh
    assert _reason(score_match(small, bank, config, AS_OF), "credit").score > big_reason.score


def test_negative_cash_flow_costs_a_bank_more_than_a_microcredit_company(config):
    kwargs = {"latest_net_profit": 500_000, "latest_revenue": 20_000_000}
    good = need(amount=2_000_000, enterprise={**kwargs, "latest_operating_cash_flow": 1_000_000}, deal={"revenue_cover": 10.0})
    bad = need(amount=2_000_000, enterprise={**kwargs, "latest_operating_cash_flow": -1_000_000}, deal={"revenue_cover": 10.0})
    bank, micro = institution(), institution(type="microcredit")

    def loss(inst):
        return _reason(score_match(good, inst, config, AS_OF), "credit").score - _reason(score_match(bad, inst, config, AS_OF), "credit").score

    assert loss(bank) > loss(micro) > 0


def test_the_scorer_of_an_institution_with_products_ranks_like_its_best_product(config):
    pool = [SUB_BRANCH, institution(id="plain", counter_guarantees_accepted=["ip_pledge"])]
    doc = need(amount=4_000_000, enterprise={"counter_guarantees_offered": ["ip_pledge"], "latest_net_profit": 1})
    ranked = rank_institutions(doc, pool, config, AS_OF)
    for inst, result in ranked:
        assert InstitutionScorer(inst, config, AS_OF).score(doc) == (result.score, result.eligible)


# -- the investor's view ---------------------------------------------------------------------------
FUND = institution(id="fund", type="industry_fund", instruments=["equity"], industries=["software_it"], stages=["expansion", "pre_ipo"],
                   ticket_min=10_000_000, ticket_max=200_000_000)


def _round(profit, pct=10, amount=50_000_000, stage="pre_ipo"):
    from matchmaker.enterprises.facts import deal_facts

    enterprise = {"latest_net_profit": profit, "latest_revenue": 200_000_000, "listing_readiness": 80}
    doc = need(instrument="equity", stage=stage, amount=amount, equity_offered_pct=pct, enterprise=enterprise)
    doc["deal"] = deal_facts(doc, doc["enterprise"])
    return doc


def test_a_price_of_a_thousand_times_earnings_is_flagged(config):
    rich = score_match(_round(profit=400_000), FUND, config, AS_OF)
    reason = _reason(rich, "valuation")
    assert "1,250x last year's net profit" in reason.message and "flag" in reason.message.lower()
    assert "估值警示" in reason.message_zh and "1,250倍" in reason.message_zh
    fair = score_match(_round(profit=25_000_000), FUND, config, AS_OF)
    assert "20x" in _reason(fair, "valuation").message and "flag" not in _reason(fair, "valuation").message.lower()
    assert _reason(fair, "valuation").score > reason.score


def test_readiness_is_a_signal_for_an_industry_fund(config):
    ready, unready = _round(profit=25_000_000), _round(profit=25_000_000)
    unready["enterprise"]["listing_readiness"] = 20
    strength = _reason(score_match(ready, FUND, config, AS_OF), "strength")
    assert "listing readiness: 80" in strength.message and "上市准备度" in strength.message_zh
    assert strength.score > _reason(score_match(unready, FUND, config, AS_OF), "strength").score


def test_listing_readiness_comes_from_the_readiness_engine_for_later_stages():
    from matchmaker.demo import dataset
    from matchmaker.enterprises.facts import summary

    enterprises = dataset.generate().enterprises
    pre_ipo = next(e for e in enterprises if e["stage"] == "pre_ipo")
    startup = next(e for e in enterprises if e["stage"] == "startup")
    assert 0 <= summary(pre_ipo)["listing_readiness"] <= 100
    assert summary(startup)["listing_readiness"] is None


# -- policy money ----------------------------------------------------------------------------------
def test_a_product_in_the_risk_pool_scores_higher_and_names_the_programme(config):
    plain = institution(id="plain", products=[{"id": "credit", "name": "信用贷款", "counter_guarantees_accepted": ["personal_guarantee"]}])
    pooled = institution(id="pooled", products=[{"id": "credit", "name": "风险池信用贷款", "name_en": "Risk-pool credit loan",
                                                 "counter_guarantees_accepted": ["personal_guarantee"], "programmes": ["demo-programme-risk_pool"]}])
    doc = need(enterprise={"counter_guarantees_offered": ["personal_guarantee"], "latest_net_profit": 1_000_000})
    with_pool, without = score_match(doc, pooled, config, AS_OF), score_match(doc, plain, config, AS_OF)
    assert with_pool.total > without.total
    reason = _reason(with_pool, "policy")
    assert "Risk-pool credit loan takes part in the zone's risk-compensation pool" in reason.message
    assert "园区科技型中小企业信贷风险补偿资金池" in reason.message_zh
    assert _reason(without, "policy").score == 0
    # a programme for loans does nothing for an equity need
    assert _reason(score_match(need(instrument="equity"), pooled, config, AS_OF), "policy").score == 0
