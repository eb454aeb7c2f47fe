"""Listing readiness against the 2012 rule sets (DOMAIN.md), and rule sets as data."""
from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from matchmaker.scoring import assess, assess_all, load_board_rules
from matchmaker.scoring.config import BOARDS_DIR, CRITERION_KINDS
from matchmaker.scoring.readiness import EVALUATORS, consecutive_tail, net_profit

M = 1_000_000
AS_OF = date(2012, 6, 30)


@pytest.fixture(scope="module")
def boards():
    return load_board_rules(year=2012)


def year(y, revenue, profit, cash_flow, net_assets, share_capital=50 * M, intangible=5 * M, **extra):
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": cash_flow,
            "net_assets": net_assets, "intangible_assets": intangible, "share_capital": share_capital, **extra}


def enterprise(financials=None, **overrides) -> dict:
    """A joint-stock company that meets every main-board criterion on its 2009-2011 figures."""
    base = {
        "id": "ent-1", "name": "力源电池", "industry": "new_energy", "stage": "pre_ipo", "founded": "2005-05-01",
        "joint_stock": True, "sponsor_engaged": True, "has_collateral": True, "high_tech_certified": True,
        "financials": financials if financials is not None else [
            year(2009, 120 * M, 12 * M, 20 * M, 80 * M),
            year(2010, 150 * M, 15 * M, 22 * M, 95 * M),
            year(2011, 180 * M, 18 * M, 25 * M, 113 * M),
        ],
    }
    base.update(overrides)
    return base


def with_year(ent: dict, y: int, **changes) -> dict:
    ent = copy.deepcopy(ent)
    for row in ent["financials"]:
        if row["year"] == y:
            row.update(changes)
    return ent


def criterion(readiness, criterion_id):
    return next(c for c in readiness.criteria if c.id == criterion_id)


# -- main and SME boards -----------------------------------------------------------------------
@pytest.mark.parametrize("board", ["main", "sme"])
def test_a_company_meeting_every_exchange_criterion_is_ready(boards, board):
    result = assess(enterprise(), boards[board], AS_OF)
    assert result.ready and all(c.met for c in result.criteria)
    assert result.score >= 90
    assert result.rules_year == 2006


@pytest.mark.parametrize(
    "change, failing",
    [
        (lambda e: with_year(with_year(e, 2010, net_profit=-1 * M), 2011, net_profit=25 * M), "profitable_years"),
        (lambda e: with_year(with_year(with_year(e, 2009, net_profit=8 * M), 2010, net_profit=9 * M), 2011, net_profit=10 * M), "net_profit_total"),
        (lambda e: {**e, "financials": [{**r, "revenue": 90 * M, "operating_cash_flow": 15 * M} for r in e["financials"]]}, "cash_flow_or_revenue"),
        (lambda e: {**e, "financials": [{**r, "share_capital": 25 * M} for r in e["financials"]]}, ["share_capital", "share_capital_after_offering"]),
        (lambda e: {**e, "financials": [{**r, "share_capital": 35 * M} for r in e["financials"]]}, "share_capital_after_offering"),
        (lambda e: {**e, "governance": {"controller_changed_on": "2010-03-01"}}, "governance_stable"),
        (lambda e: with_year(e, 2011, intangible_assets=30 * M), "intangible_ratio"),
        (lambda e: with_year(e, 2011, net_assets=45 * M), "no_uncovered_losses"),
        (lambda e: {**e, "joint_stock": False}, "joint_stock"),
        (lambda e: {**e, "founded": "2010-01-01"}, "years_in_operation"),
    ],
)
@pytest.mark.parametrize("board", ["main", "sme"])
def test_each_main_board_criterion_can_fail_alone(boards, board, change, failing):
    result = assess(change(enterprise()), boards[board], AS_OF)
    assert not result.ready
    failing = failing if isinstance(failing, list) else [failing]
    assert [c.id for c in result.criteria if not c.met] == failing
    unmet = criterion(result, failing[0])
    assert unmet.message and unmet.message_zh and unmet.progress < 1


def test_shortfalls_are_stated_in_both_languages(boards):
    short = with_year(with_year(with_year(enterprise(), 2009, net_profit=8 * M), 2010, net_profit=9 * M), 2011, net_profit=10 * M)
    c = criterion(assess(short, boards["main"], AS_OF), "net_profit_total")
    assert (c.actual, c.required) == (27 * M, 30 * M)
    assert "27 million yuan" in c.message and "3 million yuan short" in c.message
    assert "2700万元" in c.message_zh and "还差300万元" in c.message_zh


def test_the_profit_total_must_be_above_the_threshold_on_the_main_board(boards):
    exactly = with_year(with_year(with_year(enterprise(), 2009, net_profit=10 * M), 2010, net_profit=10 * M), 2011, net_profit=10 * M)
    assert not criterion(assess(exactly, boards["main"], AS_OF), "net_profit_total").met


def test_profit_after_non_recurring_items_counts_when_lower(boards):
    ent = with_year(enterprise(), 2011, net_profit_deducted=2 * M)  # 12 + 15 + 2 = 29M < 30M
    assert net_profit({"net_profit": 18 * M, "net_profit_deducted": 2 * M}) == 2 * M
    assert not criterion(assess(ent, boards["main"], AS_OF), "net_profit_total").met


def test_the_last_years_are_the_most_recent_consecutive_ones(boards):
    gap = enterprise(financials=[year(2007, 100 * M, 20 * M, 30 * M, 60 * M), year(2010, 150 * M, 15 * M, 22 * M, 95 * M),
                                 year(2011, 180 * M, 18 * M, 25 * M, 113 * M)])
    assert [r["year"] for r in consecutive_tail(gap["financials"])] == [2010, 2011]
    result = assess(gap, boards["main"], AS_OF)
    c = criterion(result, "profitable_years")
    assert not c.met and "only 2 consecutive fiscal years" in c.message
    assert any(n["code"] == "gap_in_figures" for n in result.notes)


def test_uncovered_losses_message_names_the_approximation(boards):
    c = criterion(assess(with_year(enterprise(), 2011, net_assets=45 * M), boards["main"], AS_OF), "no_uncovered_losses")
    assert "Approximation" in c.message and "近似" in c.message_zh and "5 million yuan" in c.message


# -- ChiNext -----------------------------------------------------------------------------------------
def chinext_company(financials, **overrides):
    return enterprise(financials=financials, founded="2008-01-01", **overrides)


def test_chinext_first_test_two_growing_profitable_years(boards):
    ent = chinext_company([year(2010, 40 * M, 4 * M, 3 * M, 25 * M, 25 * M), year(2011, 45 * M, 7 * M, 5 * M, 32 * M, 25 * M)])
    result = assess(ent, boards["chinext"], AS_OF)
    assert result.ready
    profit_test = criterion(result, "profit_test")
    assert profit_test.actual == {"two_profitable_years": True, "revenue_growth": False}


def test_chinext_second_test_fast_revenue_growth(boards):
    # Profit fell (first test fails) but revenue grew over 30% twice and last year's profit is >= 5M.
    ent = chinext_company([year(2009, 30 * M, 6 * M, 3 * M, 20 * M, 20 * M), year(2010, 40 * M, 9 * M, 5 * M, 29 * M, 20 * M),
                           year(2011, 55 * M, 5.5 * M, 6 * M, 34 * M, 25 * M)])
    result = assess(ent, boards["chinext"], AS_OF)
    assert result.ready
    assert criterion(result, "profit_test").actual == {"two_profitable_years": False, "revenue_growth": True}


def test_chinext_neither_test_names_the_closest_and_its_shortfalls(boards):
    ent = chinext_company([year(2010, 30 * M, 3 * M, 3 * M, 25 * M, 25 * M), year(2011, 35 * M, 4 * M, 4 * M, 29 * M, 25 * M)])
    c = criterion(assess(ent, boards["chinext"], AS_OF), "profit_test")
    assert not c.met and 0 < c.progress < 1
    assert "Closest" in c.message and "3 million yuan short" in c.message
    assert {p.id for p in c.parts} >= {"two_profitable_years.net_profit_total", "revenue_growth.revenue_growth"}


def test_chinext_share_capital_after_offering_is_estimated_and_says_so(boards):
    financials = [year(2010, 40 * M, 4 * M, 3 * M, 25 * M, 22.5 * M), year(2011, 45 * M, 7 * M, 5 * M, 32 * M, 22.5 * M)]
    enough = criterion(assess(chinext_company(financials), boards["chinext"], AS_OF), "share_capital")
    assert enough.met and enough.actual == 30 * M and "Estimate" in enough.message and "估算" in enough.message_zh
    smaller = [{**r, "share_capital": 21 * M} for r in financials]
    assert not criterion(assess(chinext_company(smaller), boards["chinext"], AS_OF), "share_capital").met


def test_chinext_needs_20_million_of_net_assets(boards):
    ent = chinext_company([year(2010, 40 * M, 4 * M, 3 * M, 15 * M, 12 * M), year(2011, 45 * M, 7 * M, 5 * M, 19 * M, 12 * M)])
    result = assess(ent, boards["chinext"], AS_OF)
    assert [c.id for c in result.criteria if not c.met] == ["net_assets", "share_capital"]


# -- NEEQ --------------------------------------------------------------------------------------------
def neeq_company(**overrides):
    small = [year(2010, 8 * M, -1 * M, 0, 6 * M, 5 * M, 1 * M), year(2011, 12 * M, 0.5 * M, 1 * M, 6.5 * M, 5 * M, 1 * M)]
    return enterprise(**{"financials": small, "founded": "2009-09-01", "neeq_broker_engaged": True, **overrides})


def test_neeq_a_small_joint_stock_company_with_a_sponsor_is_ready(boards):
    result = assess(neeq_company(), boards["neeq"], AS_OF)
    assert result.ready and result.rules_year == 2012


def test_neeq_counts_the_sponsor_as_a_criterion(boards):
    result = assess(neeq_company(neeq_broker_engaged=False), boards["neeq"], AS_OF)
    assert [c.id for c in result.criteria if not c.met] == ["neeq_broker"]
    # the IPO sponsor (保荐机构) is not NEEQ's sponsoring broker (主办券商)
    assert not assess(neeq_company(neeq_broker_engaged=False, sponsor_engaged=True), boards["neeq"], AS_OF).ready


def test_neeq_wants_two_years_of_existence_and_a_going_concern(boards):
    young = assess(neeq_company(founded="2011-01-01"), boards["neeq"], AS_OF)
    assert [c.id for c in young.criteria if not c.met] == ["years_in_existence"]
    sinking = neeq_company(financials=[year(2010, 8 * M, -3 * M, -1 * M, 1 * M, 5 * M, 0), year(2011, 6 * M, -4 * M, -2 * M, -3 * M, 5 * M, 0)])
    result = assess(sinking, boards["neeq"], AS_OF)
    concern = criterion(result, "going_concern")
    assert not concern.met and "2 loss-making years in a row" in concern.message
    no_revenue = neeq_company(financials=[year(2011, 0, -1 * M, -1 * M, 4 * M, 5 * M, 0)])
    assert not criterion(assess(no_revenue, boards["neeq"], AS_OF), "going_concern").met


# -- score, milestones, history, staleness ---------------------------------------------------------
def test_a_near_miss_scores_well_above_a_loss_maker(boards):
    near_miss = with_year(with_year(with_year(enterprise(), 2009, net_profit=9 * M), 2010, net_profit=9 * M), 2011, net_profit=10 * M)
    loss_maker = enterprise(
        financials=[year(2009, 10 * M, -5 * M, -3 * M, 10 * M, 10 * M, 1 * M), year(2010, 12 * M, -4 * M, -2 * M, 6 * M, 10 * M, 1 * M),
                    year(2011, 14 * M, -3 * M, -1 * M, 3 * M, 10 * M, 1 * M)],
        joint_stock=False, sponsor_engaged=False,
    )
    for board in ("main", "sme", "chinext"):
        near, loss = assess(near_miss, boards[board], AS_OF), assess(loss_maker, boards[board], AS_OF)
        assert near.score >= 80, board
        assert near.score - loss.score >= 40, board


def test_milestones_add_a_little(boards):
    base = enterprise(sponsor_engaged=False)
    advanced = {**base, "sponsor_engaged": True, "tutoring_filed": True, "application_filed": True, "approved": True}
    plain, full = assess(base, boards["main"], AS_OF), assess(advanced, boards["main"], AS_OF)
    assert plain.ready and full.ready
    assert full.score == 100 and 0 < full.score - plain.score <= 10
    assert all(m["done"] for m in full.milestones) and all(m["message"] and m["message_zh"] for m in full.milestones)


def test_a_profitable_year_and_the_shareholding_reform_make_a_company_ready(boards):
    # 2009 was a loss and the company is still an LLC: not ready in 2012.
    before = enterprise(
        financials=[year(2009, 110 * M, -2 * M, 8 * M, 55 * M), year(2010, 130 * M, 13 * M, 20 * M, 68 * M),
                    year(2011, 140 * M, 15 * M, 22 * M, 83 * M)],
        joint_stock=False,
    )
    first = assess(before, boards["main"], AS_OF)
    assert not first.ready
    assert {c.id for c in first.criteria if not c.met} == {"joint_stock", "profitable_years", "net_profit_total"}
    # A year later: 2012 was profitable, so 2010-2012 count, and the reform is done.
    after = {**before, "joint_stock": True,
             "financials": before["financials"] + [year(2012, 170 * M, 20 * M, 24 * M, 103 * M)]}
    second = assess(after, boards["main"], date(2013, 5, 31))
    assert second.ready and second.score > first.score


def test_old_figures_are_flagged(boards):
    stale = assess(enterprise(), boards["main"], date(2013, 6, 30))
    note = next(n for n in stale.notes if n["code"] == "stale_figures")
    assert "2011" in note["message"] and "18 months" in note["message"] and "2011年度" in note["message_zh"]
    assert not [n for n in assess(enterprise(), boards["main"], AS_OF).notes if n["code"] == "stale_figures"]
    assert assess(enterprise(financials=[]), boards["main"], AS_OF).notes[0]["code"] == "no_financials"


def test_to_dict_has_the_api_fields(boards):
    data = assess(enterprise(), boards["chinext"], AS_OF).to_dict()
    assert {"board", "score", "ready", "criteria", "projection"} <= set(data)
    assert {"id", "met", "actual", "required", "message"} <= set(data["criteria"][0])
    json.dumps(data, ensure_ascii=False)


def test_assess_all_covers_every_board(boards):
    results = assess_all(enterprise(), boards, AS_OF)
    assert set(results) == {"main", "sme", "chinext", "neeq"}
    assert all(r.board == b for b, r in results.items())


# -- projection ------------------------------------------------------------------------------------
def test_a_ready_company_projects_its_latest_year(boards):
    assert assess(enterprise(), boards["main"], AS_OF).projection["year"] == 2011


def test_projection_year_at_recent_growth(boards):
    # Profit grows 20% a year: 5.0, 6.0, 7.2 (total 18.2M). Projected 8.64 (2012), 10.368 (2013),
    # 12.4416 (2014): 2012-2014 total 31.45M > 30M; revenue 2012-2014 about 347M > 300M.
    ent = enterprise(financials=[year(2009, 70 * M, 5 * M, 6 * M, 40 * M), year(2010, 84 * M, 6 * M, 7 * M, 46 * M),
                                 year(2011, 100.8 * M, 7.2 * M, 8 * M, 53.2 * M)])
    projection = assess(ent, boards["main"], AS_OF).projection
    assert projection["year"] == 2014
    assert "2014" in projection["message"] and "2015" in projection["message"] and "20% a year" in projection["message"]


def test_projection_assumes_the_reform_and_says_so(boards):
    ent = {**enterprise(), "joint_stock": False}
    projection = assess(ent, boards["main"], AS_OF).projection
    assert projection["year"] == 2011 and "shareholding reform" in projection["message"]


def test_losses_without_improvement_cannot_be_projected(boards):
    ent = enterprise(financials=[year(2010, 20 * M, -2 * M, -1 * M, 30 * M), year(2011, 18 * M, -3 * M, -2 * M, 27 * M)])
    projection = assess(ent, boards["main"], AS_OF).projection
    assert projection["year"] is None and "not narrowing" in projection["message"] and projection["message_zh"]


def test_a_single_year_cannot_be_projected(boards):
    ent = enterprise(financials=[year(2011, 20 * M, 2 * M, 1 * M, 30 * M)])
    projection = assess(ent, boards["main"], AS_OF).projection
    assert projection["year"] is None and "two consecutive" in projection["message"]


def test_slow_growth_that_never_gets_there_says_what_is_missing(boards):
    ent = enterprise(financials=[year(2010, 20 * M, 1 * M, 1 * M, 30 * M), year(2011, 20.2 * M, 1.01 * M, 1 * M, 31 * M)])
    projection = assess(ent, boards["main"], AS_OF).projection
    assert projection["year"] is None and "after 10 years" in projection["message"]


# -- rule sets are data ----------------------------------------------------------------------------
def test_a_new_rule_set_file_changes_the_result_without_code(tmp_path, boards):
    main = json.loads((BOARDS_DIR / "main-2006.json").read_text(encoding="utf-8"))
    stricter = copy.deepcopy(main)
    stricter["effective_on"] = "2014-01-01"
    stricter.pop("id")
    for c in stricter["criteria"]:
        if c["id"] == "net_profit_total":
            c["min"] = 50 * M
            c["title_en"] = "Net profit above 50 million in total over the last 3 fiscal years"
    (tmp_path / "main-2014.json").write_text(json.dumps(stricter, ensure_ascii=False), encoding="utf-8")

    assert assess(enterprise(), load_board_rules(tmp_path, year=2013)["main"], AS_OF).ready
    rules_2015 = load_board_rules(tmp_path, year=2015)
    assert rules_2015["main"].effective_year == 2014 and rules_2015["sme"].effective_year == 2006
    result = assess(enterprise(), rules_2015["main"], AS_OF)
    assert not result.ready and result.rules_year == 2014
    assert "5 million yuan short" in criterion(result, "net_profit_total").message


def test_every_criterion_kind_has_an_evaluator_and_wording():
    assert set(EVALUATORS) == set(CRITERION_KINDS)
