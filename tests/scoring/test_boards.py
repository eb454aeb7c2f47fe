"""The boards since 2019 and the 2012 corrections: each threshold exactly at, just above and
just below; each alternative standard on its own; the date picking the rule set."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from matchmaker.scoring import assess, load_board_rules
from matchmaker.scoring.config import load_rule_sets
from matchmaker.scoring.readiness import summarize
from matchmaker.scoring.settings import BoardNotInForce, load_settings

M = 1_000_000
Y = 100_000_000


def rules(board: str, on: str):
    return load_board_rules(on=date.fromisoformat(on))[board]


def find(result, path: str):
    """A criterion by path: ``id`` (common), ``<standard>.<id>``, or ``<either>.<option>.<id>``."""
    head, _, rest = path.partition(".")
    for standard in result.standards:
        if standard["id"] == head and rest:
            return next(c for c in standard["criteria"] if c["id"] == rest)["met"]
    criterion = next(c for c in result.criteria if c.id == head)
    if not rest:
        return criterion.met
    return next(p for p in criterion.parts if p.id == rest).met


def row(y, revenue, profit, net_assets, *, cash_flow=None, rd=None, share_capital=60 * M, employees=300, rd_staff=60, **extra):
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": profit if cash_flow is None else cash_flow,
            "net_assets": net_assets, "intangible_assets": 5 * M, "share_capital": share_capital,
            "rd_expenses": round(revenue * 0.12) if rd is None else rd, "employees": employees, "rd_staff": rd_staff,
            "retained_earnings": max(0, net_assets - share_capital), **extra}


# -- STAR Market 科创板 ------------------------------------------------------------------------------
STAR_DAY = "2023-06-30"


def chip_firm(**changes) -> dict:
    """A chip designer meeting STAR standard (1a) and every 科创属性 test on its 2019-2022 figures."""
    firm = {
        "id": "star-1", "name": "芯海微电子", "founded": "2015-03-01", "joint_stock": True, "sponsor_engaged": True,
        "invention_patents_main_business": 8,
        "valuation": {"amount": 12 * Y, "as_of": "2023-03-01", "basis": "last_round"},
        "financials": [row(2019, 100 * M, 5 * M, 200 * M), row(2020, 130 * M, 10 * M, 210 * M),
                       row(2021, 170 * M, 30 * M, 240 * M), row(2022, 220 * M, 40 * M, 280 * M)],
    }
    firm.update(changes)
    return firm


def set_years(firm: dict, **by_field) -> dict:
    """``field=[values for the last N years]`` set on the latest N years."""
    firm = copy.deepcopy(firm)
    for name, values in by_field.items():
        for r, value in zip(firm["financials"][-len(values):], values):
            r[name] = value
    return firm


def test_the_chip_firm_is_ready_through_standard_1a():
    result = assess(chip_firm(), rules("star", STAR_DAY), STAR_DAY)
    assert result.ready, [c.message for c in result.criteria if not c.met]
    assert result.rule_set["id"] == "star-2021" and result.rule_set["effective_on"] == "2021-04-16"
    met = {s["id"]: s["met"] for s in result.standards}
    assert met == {"1a": True, "1b": True, "2": False, "3": False, "4": False, "5": False}


STAR_THRESHOLDS = [
    ("1a.market_value", lambda v: chip_firm(valuation={"amount": v, "as_of": "2023-03-01", "basis": "staff_estimate"}), 10 * Y, 1),
    ("1a.net_profit_total", lambda v: set_years(chip_firm(), net_profit=[v - 20 * M, 20 * M]), 50 * M, 1),
    ("1b.revenue_last_year", lambda v: set_years(chip_firm(), revenue=[v]), 1 * Y, 1),
    ("kc_rd_staff", lambda v: set_years(chip_firm(), rd_staff=[v]), 30, 1),  # 10% of 300 employees
    ("kc_patents", lambda v: chip_firm(invention_patents_main_business=v), 5, 1),
    ("kc_rd.amount.rd_total", lambda v: set_years(chip_firm(), rd_expenses=[20 * M, 20 * M, v - 40 * M]), 60 * M, 1),
    ("kc_rd.ratio.rd_ratio", lambda v: set_years(chip_firm(), revenue=[100 * M] * 3, rd_expenses=[5 * M, 5 * M, v - 10 * M]), 15 * M, 1),
    ("2.rd_ratio", lambda v: set_years(chip_firm(), revenue=[100 * M] * 3, rd_expenses=[15 * M, 15 * M, v - 30 * M]), 45 * M, 1),
    ("3.cash_flow", lambda v: set_years(chip_firm(), operating_cash_flow=[30 * M, 30 * M, v - 60 * M]), 1 * Y, 1),
    ("share_capital_after_offering", lambda v: set_years(chip_firm(), share_capital=[v]), 22_500_000, 3),  # 22.5 M / 0.75 = 30 M
]


def test_the_2024_sci_tech_attributes_ask_for_more_rd_and_patents():
    # revenue of 600 M a year: R&D of 70-80 M over 3 years is under 5%, so only the amount route counts
    firm = set_years(chip_firm(invention_patents_main_business=6), revenue=[450 * M, 600 * M, 600 * M, 600 * M])
    old, new = rules("star", "2024-04-29"), rules("star", "2024-04-30")
    assert (old.id, new.id) == ("star-2021", "star-2024")
    seventy = set_years(firm, rd_expenses=[25 * M, 25 * M, 20 * M])  # 70 M over 3 years
    assert find(assess(seventy, old, "2024-04-29"), "kc_rd") and find(assess(seventy, old, "2024-04-29"), "kc_patents")
    later = assess(seventy, new, "2024-04-30")
    assert not find(later, "kc_rd") and not find(later, "kc_patents")
    assert find(assess(set_years(seventy, rd_expenses=[30 * M, 30 * M, 20 * M]), new, "2024-04-30"), "kc_rd")
    assert find(assess({**seventy, "invention_patents_main_business": 7}, new, "2024-04-30"), "kc_patents")



def test_the_2024_sci_tech_attributes_ask_for_25_percent_growth():
    """The April 2024 revision raised the growth route from 20% to 25% a year (revenue under
    300 M, so only growth counts): 22% a year passes the 2019 rules and fails the 2024 ones."""
    old, new = rules("star", "2024-04-29"), rules("star", "2024-04-30")
    def growing(rate):  # revenue 100 M three years back, compounding at ``rate``
        return set_years(chip_firm(), revenue=[round(100 * M * (1 + rate) ** k) for k in range(4)])
    assert find(assess(growing(0.22), old, "2024-04-29"), "kc_growth")
    assert not find(assess(growing(0.22), new, "2024-04-30"), "kc_growth")
    assert not find(assess(growing(0.249), new, "2024-04-30"), "kc_growth")
    assert find(assess(growing(0.25), new, "2024-04-30"), "kc_growth")


@pytest.mark.parametrize("day", ["2023-06-30", "2024-06-30"])
def test_software_firms_need_10_percent_rd_and_no_patent_count(day):
    """The guide: 软件行业不适用上述第（三）项指标的要求，研发投入占比应在10%以上 — a software
    firm's R&D must reach 10% of revenue (the 5% and the amount routes are not its own), and the
    patent count does not apply to it."""
    star = rules("star", day)
    firm = set_years(chip_firm(software_firm=True, invention_patents_main_business=0),
                     revenue=[300 * M, 300 * M, 300 * M], rd_expenses=[27 * M, 27 * M, 27 * M])  # 9%, 81 M
    assert not find(assess(firm, star, day), "kc_rd")
    assert find(assess(set_years(firm, rd_expenses=[30 * M, 30 * M, 30 * M]), star, day), "kc_rd")  # 10%
    assert find(assess(firm, star, day), "kc_patents")
    chips = {**firm, "software_firm": False}  # a chip designer is not a software firm here
    assert find(assess(chips, star, day), "kc_rd")  # 9% and 81 M: over 5%
    assert not find(assess(chips, star, day), "kc_patents")

def loss_maker(**changes) -> dict:
    """STAR-type firm in losses: standards (1a) and (1b) cannot be met."""
    firm = set_years(chip_firm(), net_profit=[-20 * M, -15 * M, -10 * M], operating_cash_flow=[-5 * M, -5 * M, -5 * M])
    for key, value in changes.items():
        firm = set_years(firm, **value) if key == "years" else {**firm, key: value}
    return firm


@pytest.mark.parametrize("standard, firm", [
    ("1b", set_years(chip_firm(), net_profit=[-30 * M, -5 * M, 1 * M])),
    ("2", loss_maker(valuation={"amount": 15 * Y, "as_of": "2023-01-01", "basis": "last_round"},
                     years={"revenue": [150 * M, 180 * M, 200 * M], "rd_expenses": [30 * M, 30 * M, 30 * M]})),
    ("3", loss_maker(valuation={"amount": 20 * Y, "as_of": "2023-01-01", "basis": "last_round"},
                     years={"revenue": [230 * M, 260 * M, 300 * M], "operating_cash_flow": [30 * M, 30 * M, 40 * M]})),
    ("4", loss_maker(valuation={"amount": 30 * Y, "as_of": "2023-01-01", "basis": "last_round"},
                     years={"revenue": [230 * M, 260 * M, 300 * M]})),
    ("5", loss_maker(valuation={"amount": 40 * Y, "as_of": "2023-01-01", "basis": "last_round"}, major_product_milestone=True,
                     years={"revenue": [4 * M, 6 * M, 9 * M, 13.5 * M], "rd_expenses": [20 * M, 25 * M, 30 * M, 35 * M]})),
])
def test_each_star_standard_on_its_own_makes_the_firm_ready(standard, firm):
    result = assess(firm, rules("star", STAR_DAY), STAR_DAY)
    met = [s["id"] for s in result.standards if s["met"]]
    assert met == [standard], [c["message"] for s in result.standards if s["id"] == standard for c in s["criteria"]]
    assert result.ready, [c.message for c in result.criteria if not c.met]
    without = copy.deepcopy(firm)
    without["valuation"]["amount"] = 9 * Y if standard != "1b" else without["valuation"]["amount"]
    if standard != "1b":
        assert not assess(without, rules("star", STAR_DAY), STAR_DAY).ready


def test_the_nearest_standard_is_named_with_its_shortfalls():
    firm = loss_maker(valuation={"amount": 14 * Y, "as_of": "2023-01-01", "basis": "last_round"},
                      years={"revenue": [150 * M, 180 * M, 200 * M], "rd_expenses": [30 * M, 30 * M, 30 * M]})
    result = assess(firm, rules("star", STAR_DAY), STAR_DAY)
    assert not result.ready
    nearest = [s for s in result.standards if s["nearest"]]
    assert [s["id"] for s in nearest] == ["2"]
    short = [c for c in nearest[0]["criteria"] if not c["met"]]
    assert [c["id"] for c in short] == ["market_value"]
    assert "100 million yuan short" in short[0]["message"] and "还差1亿元" in short[0]["message_zh"]


def test_a_valuation_dated_after_the_assessment_is_not_known_then():
    firm = chip_firm(valuation={"amount": 12 * Y, "as_of": "2023-09-01", "basis": "last_round"})
    result = assess(firm, rules("star", STAR_DAY), STAR_DAY)
    assert not find(result, "1a.market_value") and not result.ready


# -- Beijing Stock Exchange 北交所 ------------------------------------------------------------------------
BSE_DAY = "2023-06-30"


def specialised_sme(**changes) -> dict:
    """A 专精特新 SME quoted on NEEQ since 2020, innovation tier since mid-2021, meeting BSE standard (1a)."""
    firm = {
        "id": "bse-1", "name": "精工传感", "founded": "2012-04-01", "joint_stock": True, "sponsor_engaged": True,
        "listings": [{"market": "neeq", "on": "2020-05-08", "code": "873001"}],
        "neeq_tier": {"tier": "innovation", "since": "2021-05-28"},
        "shareholders": 260, "offering": {"shares": 12_000_000, "investors": 300},
        "valuation": {"amount": 6 * Y, "as_of": "2023-04-01", "basis": "staff_estimate"},
        "financials": [row(2020, 150 * M, 14 * M, 150 * M, share_capital=50 * M), row(2021, 180 * M, 18 * M, 168 * M, share_capital=50 * M),
                       row(2022, 210 * M, 20 * M, 188 * M, share_capital=50 * M)],
    }
    firm.update(changes)
    return firm


def test_the_specialised_sme_is_ready_for_the_bse():
    result = assess(specialised_sme(), rules("bse", BSE_DAY), BSE_DAY)
    assert result.ready, [c.message for c in result.criteria if not c.met]
    assert [s["id"] for s in result.standards if s["met"]] == ["1a"]


BSE_THRESHOLDS = [
    ("shareholders", lambda v: specialised_sme(shareholders=v), 200, 1),
    ("net_assets", lambda v: set_years(specialised_sme(), net_assets=[v]), 50 * M, 1),
    ("offering", lambda v: specialised_sme(offering={"shares": v, "investors": 100}), 1_000_000, 1),
    ("1a.market_value", lambda v: specialised_sme(valuation={"amount": v, "as_of": "2023-04-01", "basis": "last_round"}), 2 * Y, 1),
    ("1a.profitable_years", lambda v: set_years(specialised_sme(), net_profit=[v, 20 * M]), 15 * M, 1),
    # weighted ROE = profit / (opening net assets + profit / 2): 25 M / (300 M + 12.5 M) = 8%
    ("1b.net_profit_last_year", lambda v: set_years(specialised_sme(), net_profit=[18 * M, v]), 25 * M, 1),
    ("1b.roe", lambda v: set_years(specialised_sme(), net_assets=[v, v + 25 * M], net_profit=[18 * M, 25 * M]), 300 * M, -1),
    ("3.rd_ratio", lambda v: set_years(specialised_sme(), revenue=[100 * M, 200 * M], rd_expenses=[12 * M, v - 12 * M]), 24 * M, 1),
    ("4.rd_total", lambda v: set_years(specialised_sme(), rd_expenses=[25 * M, v - 25 * M]), 50 * M, 1),
]


@pytest.mark.parametrize("board, day, path, make, threshold, step",
                         [("star", STAR_DAY, *case) for case in STAR_THRESHOLDS] + [("bse", BSE_DAY, *case) for case in BSE_THRESHOLDS])
def test_thresholds_exactly_at_above_and_below(board, day, path, make, threshold, step):
    """Met at the threshold and a step past it, unmet a step short (``step`` < 0: lower is better)."""
    board_rules = rules(board, day)
    assert find(assess(make(threshold), board_rules, day), path) is True
    assert find(assess(make(threshold + step), board_rules, day), path) is True
    assert find(assess(make(threshold - step), board_rules, day), path) is False


def test_bse_months_quoted_and_the_2023_change_to_basic_tier_months():
    firm = specialised_sme(neeq_tier={"tier": "innovation", "since": "2022-01-10"})
    bse_2021, bse_2023 = rules("bse", "2022-06-30"), rules("bse", "2023-06-30")
    assert (bse_2021.id, bse_2023.id) == ("bse-2021", "bse-2023")
    # 2021 rules: only innovation-tier months count (5 by 2022-06-30); 2023: all months quoted
    assert not find(assess(firm, bse_2021, "2022-06-30"), "neeq_quoted")
    assert find(assess(firm, bse_2023, "2023-06-30"), "neeq_quoted")
    at_twelve = specialised_sme(listings=[{"market": "neeq", "on": "2022-06-30"}])
    assert find(assess(at_twelve, bse_2023, "2023-06-30"), "neeq_quoted")
    assert not find(assess(at_twelve, bse_2023, "2023-06-29"), "neeq_quoted")
    basic = specialised_sme(neeq_tier={"tier": "basic", "since": "2020-05-08"})
    assert not find(assess(basic, bse_2023, BSE_DAY), "neeq_quoted")


def test_each_bse_standard_on_its_own():
    bse = rules("bse", BSE_DAY)
    small_profit = {"net_profit": [2 * M, 3 * M]}
    growth = set_years(specialised_sme(valuation={"amount": 4 * Y, "as_of": "2023-01-01", "basis": "last_round"}),
                       revenue=[80 * M, 120 * M], operating_cash_flow=[1 * M, 1], rd_expenses=[1 * M, 1 * M], **small_profit)
    research = set_years(specialised_sme(valuation={"amount": 8 * Y, "as_of": "2023-01-01", "basis": "last_round"}),
                         revenue=[200 * M, 200 * M], rd_expenses=[16 * M, 16 * M], operating_cash_flow=[-1, -1], **small_profit)
    big = set_years(specialised_sme(valuation={"amount": 15 * Y, "as_of": "2023-01-01", "basis": "last_round"}),
                    revenue=[30 * M, 30 * M], rd_expenses=[25 * M, 25 * M], operating_cash_flow=[-1, -1], **small_profit)
    for firm, standard in ((growth, "2"), (research, "3"), (big, "4")):
        result = assess(firm, bse, BSE_DAY)
        assert [s["id"] for s in result.standards if s["met"]] == [standard]
        assert result.ready


# -- main board and ChiNext under registration -----------------------------------------------------------
def profitable_firm(profits, *, cash_flow, revenue=300 * M, **changes) -> dict:
    years = range(2022 - len(profits) + 1, 2023)
    firm = {"id": "m-1", "name": "海河装备", "founded": "2010-01-01", "joint_stock": True, "sponsor_engaged": True,
            "financials": [row(y, revenue, p, 900 * M, cash_flow=c, share_capital=80 * M) for y, p, c in zip(years, profits, cash_flow)]}
    firm.update(changes)
    return firm


@pytest.mark.parametrize("day, total, last, cash", [("2023-06-30", 150 * M, 60 * M, 100 * M), ("2024-06-30", 200 * M, 100 * M, 200 * M)])
def test_main_board_standard_1_thresholds_then_and_now(day, total, last, cash):
    main = rules("main", day)
    at = profitable_firm([total / 2 - last / 2, total / 2 - last / 2, last], cash_flow=[cash / 3, cash / 3, cash / 3])
    at["financials"][-1]["operating_cash_flow"] = cash - 2 * (cash / 3)
    result = assess(at, main, day)
    assert find(result, "1.net_profit_total") and find(result, "1.net_profit_last_year") and find(result, "1.cash_flow_or_revenue")
    assert result.ready
    below = set_years(at, net_profit=[at["financials"][-1]["net_profit"] - 1])
    assert not find(assess(below, main, day), "1.net_profit_last_year")
    assert not find(assess(below, main, day), "1.net_profit_total")
    above = set_years(at, net_profit=[at["financials"][-1]["net_profit"] + 1])
    assert find(assess(above, main, day), "1.net_profit_total")


def test_the_date_picks_the_main_board_rule_set():
    firm = profitable_firm([60 * M, 60 * M, 70 * M], cash_flow=[50 * M, 50 * M, 50 * M])
    assert rules("main", "2012-06-30").id == "main-2006"
    assert assess(firm, rules("main", "2023-06-30"), "2023-06-30").ready  # 190 M, last 70 M: (1) of 2023
    later = assess(firm, rules("main", "2024-06-30"), "2024-06-30")
    assert later.rule_set["id"] == "main-2024" and not later.ready  # 2024: 200 M in total, last year 100 M


def test_chinext_2020_and_its_2024_revision():
    firm = profitable_firm([30 * M, 40 * M], cash_flow=[1, 1])
    assert assess(firm, rules("chinext", "2023-06-30"), "2023-06-30").ready
    assert not assess(firm, rules("chinext", "2024-06-30"), "2024-06-30").ready
    at = profitable_firm([40 * M, 60 * M], cash_flow=[1, 1])
    now = rules("chinext", "2024-06-30")
    assert find(assess(at, now, "2024-06-30"), "1.net_profit_total") and find(assess(at, now, "2024-06-30"), "1.net_profit_last_year")
    assert not find(assess(set_years(at, net_profit=[40 * M, 60 * M - 1]), now, "2024-06-30"), "1.net_profit_last_year")
    assert find(assess(set_years(at, net_profit=[40 * M, 60 * M + 1]), now, "2024-06-30"), "1.net_profit_last_year")


def test_chinext_standard_2_and_3_on_their_own():
    chinext = rules("chinext", "2023-06-30")
    small = profitable_firm([1 * M, 2 * M], cash_flow=[1, 1], revenue=100 * M,
                            valuation={"amount": 10 * Y, "as_of": "2023-01-01", "basis": "last_round"})
    assert [s["id"] for s in assess(small, chinext, "2023-06-30").standards if s["met"]] == ["2"]
    big = profitable_firm([-10 * M, -1 * M], cash_flow=[1, 1], revenue=300 * M,
                          valuation={"amount": 50 * Y, "as_of": "2023-01-01", "basis": "last_round"})
    assert [s["id"] for s in assess(big, chinext, "2023-06-30").standards if s["met"]] == ["3"]


# -- the SME board's retirement, the rule sets' dates --------------------------------------------------------
def test_the_sme_board_is_in_force_until_it_retires():
    settings = load_settings({"TODAY": "2012-06-30"})
    assert "sme" in settings.boards
    assert settings.board_on("sme", date(2021, 4, 5)).id == "sme-2006"
    with pytest.raises(BoardNotInForce) as raised:
        settings.board_on("sme", date(2021, 4, 6))
    assert raised.value.status_code == 422 and "retired on 2021-04-06" in str(raised.value)
    assert "sme" not in load_settings({"TODAY": "2024-01-01"}).boards
    with pytest.raises(BoardNotInForce, match="first took effect on 2019-03-01"):
        settings.board_on("star", date(2012, 6, 30))


def test_every_rule_set_cites_its_figures():
    for board, sets in load_rule_sets().items():
        for rule_set in sets:
            assert rule_set.document, rule_set.id
            specs = list(rule_set.criteria)
            while specs:
                spec = specs.pop()
                specs.extend(c for option in spec.options for c in option.criteria)
                if spec.kind != "any_of" or spec.id != "standards":
                    assert spec.citation and {"document", "article", "date", "status"} <= set(spec.citation), (rule_set.id, spec.id)
                    assert spec.citation["status"] in ("confirmed", "corroborated", "unconfirmed")


# -- the 2012 corrections: uncovered losses, land-use rights, governance, the book-value clock ------------------
AS_2012 = "2012-06-30"


def main_2006_firm(**changes) -> dict:
    firm = {"id": "t-1", "name": "滨海精密", "founded": "2005-05-01", "joint_stock": True, "sponsor_engaged": True,
            "financials": [row(2009, 120 * M, 12 * M, 80 * M, cash_flow=20 * M, share_capital=50 * M),
                           row(2010, 150 * M, 15 * M, 95 * M, cash_flow=22 * M, share_capital=50 * M),
                           row(2011, 180 * M, 18 * M, 113 * M, cash_flow=25 * M, share_capital=50 * M)]}
    firm.update(changes)
    return firm


def test_negative_retained_earnings_fail_no_uncovered_losses_despite_large_net_assets():
    main = rules("main", AS_2012)
    assert assess(main_2006_firm(), main, AS_2012).ready
    rich_but_loss_carrying = set_years(main_2006_firm(), net_assets=[500 * M], retained_earnings=[-1])
    result = assess(rich_but_loss_carrying, main, AS_2012)
    assert not find(result, "no_uncovered_losses") and not result.ready
    assert "1 yuan of losses are still to be made up" in next(c for c in result.criteria if c.id == "no_uncovered_losses").message
    assert find(assess(set_years(main_2006_firm(), retained_earnings=[0]), main, AS_2012), "no_uncovered_losses")
    assert find(assess(set_years(main_2006_firm(), retained_earnings=[1]), main, AS_2012), "no_uncovered_losses")


def test_land_use_rights_are_left_out_of_the_intangibles_ratio():
    main = rules("main", AS_2012)
    heavy = set_years(main_2006_firm(), intangible_assets=[30 * M])  # 26.5% of 113 M net assets
    assert not find(assess(heavy, main, AS_2012), "intangible_ratio")
    with_land = set_years(heavy, land_use_rights=[20 * M])  # 10 M left: 8.8%
    result = assess(with_land, main, AS_2012)
    assert find(result, "intangible_ratio")
    assert "leaving out 20 million yuan of land-use rights" in next(c for c in result.criteria if c.id == "intangible_ratio").message
    at_limit = set_years(main_2006_firm(), net_assets=[100 * M], intangible_assets=[30 * M], land_use_rights=[10 * M])
    assert find(assess(at_limit, main, AS_2012), "intangible_ratio")  # exactly 20%
    over = set_years(at_limit, land_use_rights=[10 * M - 1])
    assert not find(assess(over, main, AS_2012), "intangible_ratio")


@pytest.mark.parametrize("board, years", [("main", 3), ("chinext", 2)])
def test_governance_changes_within_the_window_fail(board, years):
    board_rules = rules(board, AS_2012)
    edge = date(2012 - years, 6, 30).isoformat()
    inside = date(2012 - years, 7, 1).isoformat()
    assert find(assess(main_2006_firm(governance={"controller_changed_on": edge}), board_rules, AS_2012), "governance_stable")
    changed = assess(main_2006_firm(governance={"management_changed_on": inside}), board_rules, AS_2012)
    assert not find(changed, "governance_stable")
    assert f"within the last {years} years" in next(c for c in changed.criteria if c.id == "governance_stable").message


def test_the_operating_clock_runs_from_a_conversion_not_at_book_value():
    main = rules("main", AS_2012)
    book = main_2006_firm(governance={"converted_at_book_value": True, "converted_on": "2010-06-01"})
    assert find(assess(book, main, AS_2012), "years_in_operation")
    not_book = main_2006_firm(governance={"converted_at_book_value": False, "converted_on": "2010-06-01"})
    result = assess(not_book, main, AS_2012)
    assert not find(result, "years_in_operation")
    assert "not at book value" in next(c for c in result.criteria if c.id == "years_in_operation").message
    assert find(assess(main_2006_firm(governance={"converted_at_book_value": False, "converted_on": "2009-06-30"}), main, AS_2012),
                "years_in_operation")


def test_main_and_sme_need_50_million_of_share_capital_after_the_offering():
    main = rules("main", AS_2012)
    at = set_years(main_2006_firm(), share_capital=[37_500_000])  # / 0.75 = 50 M
    assert find(assess(at, main, AS_2012), "share_capital_after_offering")
    assert not find(assess(set_years(at, share_capital=[37_499_997]), main, AS_2012), "share_capital_after_offering")


def test_only_closed_fiscal_years_count():
    firm = main_2006_firm()
    firm["financials"].append(row(2012, 1 * M, -50 * M, 60 * M, share_capital=50 * M))
    assert assess(firm, rules("main", AS_2012), AS_2012).ready  # 2012 has not closed on 2012-06-30
    assert not assess(firm, rules("main", "2013-06-30"), "2013-06-30").ready


# -- NEEQ 2023 and the innovation tier ---------------------------------------------------------------------------
def test_neeq_2023_share_capital_and_a_profit_standard():
    neeq = rules("neeq", "2023-06-30")
    firm = {"id": "n-1", "name": "小企业", "founded": "2018-01-01", "joint_stock": True, "neeq_broker_engaged": True,
            "financials": [row(2021, 20 * M, 1 * M, 8 * M, share_capital=5 * M), row(2022, 24 * M, 6 * M, 14 * M, share_capital=5 * M)]}
    result = assess(firm, neeq, "2023-06-30")
    assert result.ready and [s["id"] for s in result.standards if s["met"]] == ["1b"]
    assert not find(assess(set_years(firm, share_capital=[5 * M - 1]), neeq, "2023-06-30"), "share_capital")
    assert not find(assess(set_years(firm, net_profit=[1 * M, 6 * M - 1]), neeq, "2023-06-30"), "1b.net_profit_last_year")
    assert not assess({**firm, "neeq_broker_engaged": False, "sponsor_engaged": True}, neeq, "2023-06-30").ready


def test_the_innovation_tier_wants_a_quotation_and_one_of_its_standards():
    tier = rules("neeq_innovation", "2023-06-30")
    firm = specialised_sme()
    firm = set_years(firm, net_profit=[12 * M, 14 * M], net_assets=[168 * M, 182 * M])
    assert assess(firm, tier, "2023-06-30").ready
    assert not assess({**firm, "listings": []}, tier, "2023-06-30").ready



def research_start_up(**changes) -> dict:
    """A loss-making R&D firm applying for quotation in mid-2023: no profit, little revenue, so
    only NEEQ 2023 standard (4) can carry it: 2-year R&D of 10 M and 20 M of equity raised."""
    firm = {"id": "n-4", "name": "滨海基因", "founded": "2019-01-01", "joint_stock": True, "neeq_broker_engaged": True,
            "financials": [row(2021, 4 * M, -3 * M, 30 * M, rd=5 * M, share_capital=10 * M),
                           row(2022, 6 * M, -2 * M, 40 * M, rd=5 * M, share_capital=10 * M)],
            "equity_financings": [{"kind": "round", "amount": 12 * M, "closed_on": "2022-03-15", "cash": True},
                                  {"kind": "round", "amount": 8 * M, "planned": True, "closed_on": None}]}
    firm.update(changes)
    return firm


def test_neeq_2023_standard_4_counts_24_months_of_equity_financing_and_a_round_at_quotation():
    neeq, day = rules("neeq", "2023-06-30"), "2023-06-30"
    result = assess(research_start_up(), neeq, day)
    assert result.ready and [s["id"] for s in result.standards if s["met"]] == ["4"]
    rounds = research_start_up()["equity_financings"]
    short = {**research_start_up(), "equity_financings": [rounds[0], {**rounds[1], "amount": 8 * M - 1}]}
    assert not find(assess(short, neeq, day), "4.equity_financing")
    old = {**research_start_up(), "equity_financings": [{**rounds[0], "closed_on": "2021-06-30"}, rounds[1]]}  # 24 months and a day before
    assert not find(assess(old, neeq, day), "4.equity_financing")
    assert find(assess({**research_start_up(), "equity_financings": [{**rounds[0], "closed_on": "2021-07-01"}, rounds[1]]}, neeq, day),
                "4.equity_financing")
    assert not find(assess(set_years(research_start_up(), rd_expenses=[5 * M, 5 * M - 1]), neeq, day), "4.rd_total")
    message = next(c for c in assess(short, neeq, day).standards if c["id"] == "4")["criteria"][1]
    assert "1 yuan short" in message["message"] and "拟完成" in message["message_zh"]


def test_neeq_2023_standard_2_second_way_wants_cash_flow_positive_in_both_years():
    neeq, day = rules("neeq", "2023-06-30"), "2023-06-30"
    firm = {"id": "n-2", "name": "滨海物流", "founded": "2015-01-01", "joint_stock": True, "neeq_broker_engaged": True,
            "financials": [row(2021, 50 * M, -1 * M, 30 * M, cash_flow=2 * M, rd=1 * M, share_capital=10 * M),
                           row(2022, 50 * M, -1 * M, 30 * M, cash_flow=1, rd=1 * M, share_capital=10 * M)]}
    result = assess(firm, neeq, day)
    assert result.ready and [s["id"] for s in result.standards if s["met"]] == ["2b"]
    assert not find(assess(set_years(firm, operating_cash_flow=[2 * M, 0]), neeq, day), "2b.cash_flow_years")
    assert not find(assess(set_years(firm, revenue=[50 * M, 50 * M - 1]), neeq, day), "2b.revenue_two_years")


def test_the_innovation_tier_standard_3_counts_cash_placements_priced_at_300_million():
    tier, day = rules("neeq_innovation", "2023-06-30"), "2023-06-30"
    placements = [{"kind": "placement", "amount": 25 * M, "closed_on": "2022-01-10", "post_money": 3 * Y},
                  {"kind": "placement", "amount": 15 * M, "closed_on": "2023-02-20", "post_money": 4 * Y}]
    firm = specialised_sme(equity_financings=placements, valuation={"amount": 250 * M, "as_of": "2023-04-01", "basis": "staff_estimate"})
    firm = set_years(firm, net_profit=[-1 * M, -1 * M], revenue=[20 * M, 21 * M], rd_expenses=[12 * M, 13 * M])
    result = assess(firm, tier, day)
    assert result.ready and [s["id"] for s in result.standards if s["met"]] == ["3"]
    cheap = {**firm, "equity_financings": [placements[0], {**placements[1], "post_money": 3 * Y - 1}]}
    assert not find(assess(cheap, tier, day), "3.placements")
    in_kind = {**firm, "equity_financings": [placements[0], {**placements[1], "cash": False}]}
    assert not find(assess(in_kind, tier, day), "3.placements")
    a_round = {**firm, "equity_financings": [placements[0], {**placements[1], "kind": "round"}]}
    assert not find(assess(a_round, tier, day), "3.placements")
    assert not find(assess(set_years(firm, rd_expenses=[12 * M, 13 * M - 1]), tier, day), "3.rd_total")

def test_summary_agrees_with_the_assessment_on_new_boards():
    for board, firm, day in (("star", chip_firm(), STAR_DAY), ("bse", specialised_sme(), BSE_DAY),
                             ("star", loss_maker(), STAR_DAY), ("main", profitable_firm([1, 2, 3], cash_flow=[1, 1, 1]), "2024-06-30")):
        full = assess(firm, rules(board, day), day)
        assert summarize(firm, rules(board, day), day) == (full.score, full.ready)


def test_a_valuation_older_than_a_year_is_flagged_for_a_refresh():
    star = rules("star", STAR_DAY)
    fresh = assess(chip_firm(valuation={"amount": 12 * Y, "as_of": "2022-06-30", "basis": "last_round"}), star, STAR_DAY)
    assert "stale_valuation" not in [n["code"] for n in fresh.notes]
    old = assess(chip_firm(valuation={"amount": 12 * Y, "as_of": "2022-05-31", "basis": "last_round"}), star, STAR_DAY)
    note = next(n for n in old.notes if n["code"] == "stale_valuation")
    assert "13 months before 2023-06-30" in note["message"] and "已13个月" in note["message_zh"]
    assert old.ready  # a note, not a criterion: the figure still counts
    assert "stale_valuation" not in [n["code"] for n in assess(main_2006_firm(valuation={"amount": 1, "as_of": "2005-01-01", "basis": "staff_estimate"}),
                                                               rules("main", AS_2012), AS_2012).notes]


# -- the STAR timeline and rule sets written as revisions -------------------------------------------------
def test_the_sci_tech_attributes_start_with_the_2020_guide_and_rd_staff_with_its_2021_revision():
    """2019: no figures for 科创属性; 2020-03-20: R&D, patents, growth; 2021-04-16: R&D staff too."""
    firm = set_years(chip_firm(invention_patents_main_business=0), rd_staff=[0, 0, 0, 0])
    ids = {day: rules("star", day).id for day in ("2019-06-30", "2020-06-30", "2021-06-30")}
    assert ids == {"2019-06-30": "star-2019", "2020-06-30": "star-2020", "2021-06-30": "star-2021"}
    assert [c.id for c in assess(firm, rules("star", "2019-06-30"), "2019-06-30").criteria if c.id.startswith("kc_")] == []
    in_2020 = assess(firm, rules("star", "2020-06-30"), "2020-06-30")
    assert not find(in_2020, "kc_patents") and "kc_rd_staff" not in [c.id for c in in_2020.criteria]
    in_2021 = assess(firm, rules("star", "2021-06-30"), "2021-06-30")
    assert not find(in_2021, "kc_rd_staff")


def write_rule_file(folder, name, data):
    import json
    (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_zone_writes_a_revision_naming_only_what_changed(tmp_path):
    write_rule_file(tmp_path, "star-zone", {
        "id": "star-zone", "revises": "star-2024", "board": "star", "effective_on": "2025-01-01",
        "remove_criteria": ["kc_rd_staff"],
        "criteria": [{"id": "kc_patents", "kind": "invention_patents_min", "title_en": "Ten patents", "title_zh": "发明专利10项以上",
                      "min": 10, "citation": {"document": "zone", "article": "1", "date": "2025-01-01", "status": "confirmed"}}]})
    revised = load_rule_sets(tmp_path)["star"][-1]
    assert (revised.id, revised.effective_on) == ("star-zone", date(2025, 1, 1))
    ids = [c.id for c in revised.criteria]
    assert "kc_rd_staff" not in ids and ids.count("kc_patents") == 1 and "standards" in ids and "kc_growth" in ids
    assert next(c for c in revised.criteria if c.id == "kc_patents").params["min"] == 10
    assert revised.name["zh"] == "科创板"  # the rest comes from the revised rule set


@pytest.mark.parametrize("data, message", [
    ({"revises": "star-1999"}, "names 'star-1999', which no rule file defines"),
    ({"revises": "star-2024", "remove_criteria": ["kc_moon"]}, "has no criteria ['kc_moon']"),
    ({"revises": "star-2024", "board": "bse"}, "must stay on its board 'star'"),
])
def test_a_bad_revision_is_refused_with_the_file_and_the_reason(tmp_path, data, message):
    from matchmaker.errors import ConfigurationError
    write_rule_file(tmp_path, "bad", {"id": "bad", "board": "star", "effective_on": "2025-01-01", **data})
    with pytest.raises(ConfigurationError, match="bad.json") as caught:
        load_rule_sets(tmp_path)
    assert message in str(caught.value)


def test_rule_sets_revising_each_other_in_a_circle_are_refused(tmp_path):
    from matchmaker.errors import ConfigurationError
    write_rule_file(tmp_path, "a", {"id": "a", "revises": "b", "board": "star", "effective_on": "2025-01-01"})
    write_rule_file(tmp_path, "b", {"id": "b", "revises": "a", "board": "star", "effective_on": "2026-01-01"})
    with pytest.raises(ConfigurationError, match="circle"):
        load_rule_sets(tmp_path)



def test_an_applicant_under_standard_5_needs_no_growth():
    """The guide exempts a firm applying under listing standard (5) (a major product's
    milestone, 4 billion of expected market value) from the growth-or-size indicator."""
    day = "2023-06-30"
    flat = set_years(loss_maker(major_product_milestone=True, valuation={"amount": 45 * Y, "as_of": "2023-03-01", "basis": "last_round"}),
                     revenue=[10 * M, 10 * M, 10 * M, 10 * M])
    assert find(assess(flat, rules("star", day), day), "kc_growth")
    assert not find(assess({**flat, "major_product_milestone": False}, rules("star", day), day), "kc_growth")
    cheaper = {**flat, "valuation": {"amount": 40 * Y - 1, "as_of": "2023-03-01", "basis": "last_round"}}
    assert not find(assess(cheaper, rules("star", day), day), "kc_growth")
