"""Properties of the deterministic demo data set (matchmaker.demo)."""

import json
import re
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from matchmaker.demo.dataset import generate, iter_documents
from matchmaker.enterprises.events import designations, granted_in
from matchmaker.demo.readiness import enterprises as board_firms

MILLION = 1_000_000
TYPES = {"venture_capital", "angel", "guarantee", "microcredit", "industry_fund", "bank", "leasing"}
INSTRUMENTS = {"equity", "convertible", "debt", "guarantee", "leasing"}
LEADING_INDUSTRIES = {"new_energy", "advanced_manufacturing", "modern_services", "software_it", "biomedicine"}
INDUSTRIES = LEADING_INDUSTRIES | {"other"}
STAGES = ["seed", "startup", "growth", "expansion", "pre_ipo"]
NEED_STATUSES = {"draft", "open", "in_talks", "funded", "closed", "withdrawn"}
FINANCIAL_FIELDS = {
    "year", "revenue", "net_profit", "operating_cash_flow", "net_assets", "intangible_assets", "share_capital",
    "employees", "patent_applications", "invention_patents_granted",
}
REFERENCE = date(2012, 6, 30)


def holds(enterprise, kind):
    """A verified designation of ``kind`` in force on the demo's date."""
    return designations(enterprise, REFERENCE)["high_tech_certified" if kind == "high_tech" else kind]

#: Typical ticket ranges per institution type, from DOMAIN.md (leasing: not given there).
TICKET_RANGES = {
    "venture_capital": (2 * MILLION, 50 * MILLION),
    "angel": (300_000, 3 * MILLION),
    "guarantee": (1 * MILLION, 20 * MILLION),
    "microcredit": (100_000, 5 * MILLION),
    "industry_fund": (10 * MILLION, 200 * MILLION),
    "bank": (1 * MILLION, 50 * MILLION),
    "leasing": (500_000, 50 * MILLION),
}


@pytest.fixture(scope="module")
def data():
    return generate()


def latest(enterprise):
    return enterprise["financials"][-1]


def meets_chinext_profit_test(enterprise):
    """2012 ChiNext, first profit test: two profitable years, >= 10M together, growing."""
    previous, last = (year["net_profit"] for year in enterprise["financials"][-2:])
    return previous > 0 and last > 0 and previous + last >= 10 * MILLION and last > previous


def meets_main_board_financials(enterprise):
    years = enterprise["financials"][-3:]
    return (
        len(years) == 3
        and all(year["net_profit"] > 0 for year in years)
        and sum(year["net_profit"] for year in years) > 30 * MILLION
        and (
            sum(year["operating_cash_flow"] for year in years) > 50 * MILLION
            or sum(year["revenue"] for year in years) > 300 * MILLION
        )
        and years[-1]["share_capital"] >= 30 * MILLION
        and years[-1]["intangible_assets"] <= 0.2 * years[-1]["net_assets"]
    )


# --- the whole set -----------------------------------------------------------


def test_generation_is_deterministic(data):
    assert generate() == data
    assert generate(50) == generate(50)


def test_generation_is_fast():
    started = time.perf_counter()
    generate(1000)
    assert time.perf_counter() - started < 1.0


def test_ids_are_unique_and_well_formed(data):
    ids = [document["id"] for document in iter_documents(data)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"inst-\d{3}", i["id"]) for i in data.institutions)
    assert all(re.fullmatch(r"ent-\d{4}", e["id"]) for e in data.enterprises)
    assert all(re.fullmatch(r"need-\d{5}", n["id"]) for n in data.needs)
    assert data.enterprises[0]["id"] == "ent-0001"


def test_iter_documents_orders_kinds_and_leaves_data_alone(data):
    documents = list(iter_documents(data))
    kinds = [document["kind"] for document in documents]
    assert kinds == (
        ["institution"] * len(data.institutions) + ["enterprise"] * len(data.enterprises) + ["need"] * len(data.needs)
        + ["enterprise"] * len(board_firms())  # the firms of the boards since 2019, after the 2012 zone's own
    )
    assert "kind" not in data.institutions[0]
    json.dumps(documents, ensure_ascii=False)  # plain JSON values only


@pytest.mark.parametrize("count", [0, 1, 3, 200])
def test_other_sizes_scale_the_quotas(count):
    result = generate(count)
    assert len(result.enterprises) == count
    assert sum(e["registered_capital"] >= 20 * MILLION for e in result.enterprises) == round(count * 0.07)
    giants = sum(holds(e, "little_giant") for e in result.enterprises)
    qualifying = sum(e["financials"][-1]["revenue"] >= 100 * MILLION for e in result.enterprises)
    assert giants == min(35, qualifying)
    assert {n["enterprise_id"] for n in result.needs} <= {e["id"] for e in result.enterprises}


# --- institutions ------------------------------------------------------------


def test_twenty_institutions_with_the_planned_spread(data):
    types = Counter(i["type"] for i in data.institutions)
    assert len(data.institutions) == 20
    assert set(types) <= TYPES
    assert types["venture_capital"] >= 3
    assert types["angel"] == 2
    assert types["guarantee"] == 3
    assert types["microcredit"] == 3
    assert 2 <= types["industry_fund"] <= 3
    assert types["bank"] >= 1
    assert types["leasing"] >= 1


def test_institution_tickets_are_within_the_domain_ranges(data):
    for institution in data.institutions:
        low, high = TICKET_RANGES[institution["type"]]
        assert isinstance(institution["ticket_min"], int) and isinstance(institution["ticket_max"], int)
        assert low <= institution["ticket_min"] <= institution["ticket_max"] <= high, institution["id"]


def test_institution_codes_and_requirements(data):
    statuses = Counter(i["status"] for i in data.institutions)
    assert set(statuses) <= {"target", "negotiating", "entered"}
    assert statuses["entered"] > len(data.institutions) / 2
    assert statuses["negotiating"] and statuses["target"]
    for institution in data.institutions:
        assert institution["instruments"] and set(institution["instruments"]) <= INSTRUMENTS
        assert institution["industries"] and set(institution["industries"]) <= INDUSTRIES
        assert institution["stages"] and set(institution["stages"]) <= set(STAGES)
        assert set(institution["requirements"]) == {
            "min_revenue", "min_years", "collateral_required", "high_tech_required",
        }
    by_type = {i["type"]: i for i in data.institutions}
    assert by_type["guarantee"]["instruments"] == ["guarantee"]
    assert by_type["leasing"]["instruments"] == ["leasing"]
    assert "debt" in by_type["bank"]["instruments"]


def test_institution_descriptions_hold_searchable_words(data):
    text = " ".join(i["description"] for i in data.institutions)
    for word in ["担保", "贷款", "股权投资", "知识产权质押", "patents", "working capital"]:
        assert word in text
    assert all(re.search(r"[A-Za-z]{3,}", i["description"]) for i in data.institutions)


# --- enterprises -------------------------------------------------------------


def test_thousand_enterprises_with_the_plans_quotas(data):
    enterprises = data.enterprises
    assert len(enterprises) == 1000
    assert sum(e["registered_capital"] >= 20 * MILLION for e in enterprises) == 70
    giants = [e for e in enterprises if holds(e, "little_giant")]
    assert len(giants) == 35
    assert all(e["financials"][-1]["revenue"] >= 100 * MILLION for e in giants)  # Tianjin's 100 M threshold


def test_designation_shares_fit_the_definitions(data):
    high_tech = [e for e in data.enterprises if holds(e, "high_tech")]
    assert 0.1 <= len(high_tech) / len(data.enterprises) <= 0.25  # not four firms in ten
    for enterprise in high_tech:  # registered a year or more before the certificate (认定办法 2008)
        granted = max(c["granted_on"] for c in enterprise["certifications"] if c["kind"] == "high_tech")
        assert date.fromisoformat(granted) - date.fromisoformat(enterprise["founded"]) >= timedelta(days=365)
    assert sum(granted_in(e, "high_tech", 2012) for e in data.enterprises) == 12
    assert sum(granted_in(e, "little_giant", 2012) for e in data.enterprises) == 14
    pending = [c for e in data.enterprises for c in e.get("certifications", []) if not c["verified"]]
    assert 1 <= len(pending) <= 10  # claims that wait for staff
    assert all("high_tech_certified" not in e and "little_giant" not in e for e in data.enterprises)  # derived


def test_smes_new_in_2011_and_2012_among_older_ones(data):
    years = Counter(e["zone_registered_on"][:4] for e in data.enterprises)
    assert (years["2012"], years["2011"]) == (300, 250)
    assert sum(v for k, v in years.items() if k < "2011") == 450
    for enterprise in data.enterprises:
        assert enterprise["founded"] <= enterprise["zone_registered_on"] <= "2012-06-30"
    new_2012 = [e for e in data.enterprises if e["zone_registered_on"] >= "2012"]
    assert sum(e["registered_capital"] >= 20 * MILLION for e in new_2012) == 21  # the plan's 7%
    listed = [e for e in data.enterprises if e.get("listings")]
    assert sorted(item["on"][:4] for e in listed for item in e["listings"]) == ["2011", "2012"]


def test_valuations_follow_earnings_and_loans_follow_revenue(data):
    enterprises = {e["id"]: e for e in data.enterprises}
    for need in data.needs:
        latest_year = enterprises[need["enterprise_id"]]["financials"][-1]
        if need["instrument"] in ("equity", "convertible"):
            valuation = need["amount"] / (need["equity_offered_pct"] / 100)
            if latest_year["net_profit"] > 0:
                assert valuation / latest_year["net_profit"] <= 100, need["id"]
            assert need["equity_offered_pct"] <= 30
        else:
            assert need["amount"] <= latest_year["revenue"] / 2, need["id"]


def test_institutions_entered_on_dates(data):
    entered = [i for i in data.institutions if i["status"] == "entered"]
    assert all("entered_on" in i for i in entered)
    assert not any("entered_on" in i for i in data.institutions if i["status"] != "entered")
    assert sum(i["entered_on"] >= "2012" for i in entered) == 6


def test_leading_industries_dominate(data):
    industries = Counter(e["industry"] for e in data.enterprises)
    assert set(industries) == INDUSTRIES
    assert all(industries[industry] >= 100 for industry in LEADING_INDUSTRIES)
    assert 10 <= industries["other"] <= 100


def test_enterprise_fields_are_well_typed(data):
    for enterprise in data.enterprises:
        assert enterprise["stage"] in STAGES
        assert date(1995, 1, 1) <= date.fromisoformat(enterprise["founded"]) <= date(2012, 6, 30)
        assert type(enterprise["registered_capital"]) is int and enterprise["registered_capital"] > 0
        assert type(enterprise["employees"]) is int and enterprise["employees"] > 0
        assert type(enterprise["invention_patents"]) is int and enterprise["invention_patents"] >= 0
        assert enterprise["name"].startswith("天津") and enterprise["name"].endswith("有限公司")
        assert ("股份有限公司" in enterprise["name"]) == enterprise["joint_stock"]
        assert not enterprise["sponsor_engaged"] or enterprise["joint_stock"]
    assert len({e["name"] for e in data.enterprises}) == len(data.enterprises)


def test_financial_years_are_consecutive_and_after_founding(data):
    for enterprise in data.enterprises:
        financials = enterprise["financials"]
        years = [year["year"] for year in financials]
        assert 2 <= len(years) <= 3
        assert years == list(range(years[0], years[0] + len(years)))
        assert years[-1] in (2010, 2011)
        assert years[0] >= int(enterprise["founded"][:4])
        for year in financials:
            assert set(year) == FINANCIAL_FIELDS
            assert all(type(value) is int for value in year.values())
            assert year["revenue"] > 0 and year["net_assets"] > 0 and year["share_capital"] > 0
            assert 0 <= year["intangible_assets"] <= year["net_assets"]
    assert sum(latest(e)["year"] == 2011 for e in data.enterprises) > 800


def test_revenue_tiers_come_out_sensible(data):
    revenues = [latest(e)["revenue"] for e in data.enterprises]
    excel = sum(revenue >= 100 * MILLION for revenue in revenues)
    assert 20 <= excel <= 120  # a few dozen; the rest are nest/grow


def test_stage_correlates_with_size_and_age(data):
    def median_revenue(stage):
        revenues = sorted(latest(e)["revenue"] for e in data.enterprises if e["stage"] == stage)
        return revenues[len(revenues) // 2]

    medians = [median_revenue(stage) for stage in STAGES]
    assert medians == sorted(medians)
    seed = [e for e in data.enterprises if e["stage"] == "seed"]
    assert all(e["founded"] >= "2005" for e in seed)
    assert all(latest(e)["revenue"] < 100 * MILLION for e in seed)
    assert sum(latest(e)["net_profit"] < 0 for e in seed) > len(seed) / 2


def test_listing_candidates_and_loss_makers_exist(data):
    chinext = [e for e in data.enterprises if meets_chinext_profit_test(e)]
    main_board = [e for e in data.enterprises if meets_main_board_financials(e)]
    assert len(chinext) >= 5
    assert any(e["stage"] in ("expansion", "pre_ipo") for e in chinext)
    assert len(main_board) >= 1
    assert any(not meets_main_board_financials(e) for e in chinext)  # ChiNext but not main board
    assert sum(latest(e)["net_profit"] < 0 for e in data.enterprises) >= 50


# --- funding needs -------------------------------------------------------------


def test_every_need_belongs_to_an_enterprise(data):
    enterprise_ids = {e["id"] for e in data.enterprises}
    assert all(n["enterprise_id"] in enterprise_ids for n in data.needs)
    per_enterprise = Counter(n["enterprise_id"] for n in data.needs)
    assert 0.75 <= len(per_enterprise) / len(data.enterprises) <= 0.95
    assert 2 in per_enterprise.values()
    assert "ent-0001" in per_enterprise  # the enterprise1 demo user has something to show


def test_need_codes_and_terms(data):
    for need in data.needs:
        assert need["instrument"] in INSTRUMENTS
        assert need["status"] in NEED_STATUSES
        # an equity ask is cut to what 30% of a small firm is worth (a few are under 100,000)
        smallest = 10_000 if need["instrument"] in ("equity", "convertible") else 100_000
        assert type(need["amount"]) is int and smallest <= need["amount"] <= 200 * MILLION
        assert need["title"] and need["description"] and need["purpose"]
        if need["instrument"] in ("equity", "convertible"):
            assert need["term_months"] is None
            assert isinstance(need["equity_offered_pct"], float) and 1 <= need["equity_offered_pct"] <= 30
        else:
            assert type(need["term_months"]) is int and need["term_months"] > 0
            assert need["equity_offered_pct"] is None
    assert set(Counter(n["instrument"] for n in data.needs)) == INSTRUMENTS


def test_most_needs_are_open(data):
    statuses = Counter(n["status"] for n in data.needs)
    assert 0.65 <= statuses["open"] / len(data.needs) <= 0.85
    assert set(statuses) == NEED_STATUSES


def test_needs_fit_the_enterprise_stage(data):
    stage = {e["id"]: e["stage"] for e in data.enterprises}
    for need in data.needs:
        if stage[need["enterprise_id"]] == "seed":
            assert need["instrument"] in ("equity", "convertible", "debt")
            assert need["amount"] <= 3 * MILLION
        if need["instrument"] == "debt" and need["amount"] <= 3 * MILLION:
            assert need["term_months"] <= 12  # microcredit-sized loans are short


# --- accounts ----------------------------------------------------------------


def test_demo_accounts(data):
    accounts = {a["username"]: a for a in data.accounts}
    assert len(accounts) == len(data.accounts)
    assert accounts["admin"]["role"] == "admin"
    assert accounts["staff"]["role"] == "staff"
    assert accounts["enterprise1"]["enterprise_id"] == "ent-0001"
    assert accounts["institution1"]["institution_id"] == "inst-001"
    enterprise_ids = {e["id"] for e in data.enterprises}
    institution_ids = {i["id"] for i in data.institutions}
    for account in data.accounts:
        assert len(account["password"]) >= 12
        assert account["display_name"]
        if account["role"] == "enterprise":
            assert account["enterprise_id"] in enterprise_ids and account["institution_id"] is None
        elif account["role"] == "institution":
            assert account["institution_id"] in institution_ids and account["enterprise_id"] is None
        else:
            assert account["enterprise_id"] is None and account["institution_id"] is None


def test_the_demo_has_ready_and_not_ready_firms_on_the_boards_since_2019():
    from matchmaker.enterprises.schemas import EnterpriseSchema
    from matchmaker.scoring import assess, load_board_rules

    rules = load_board_rules(on=date(2023, 6, 30))
    firms = board_firms(date(2023, 6, 30))
    assert len(firms) == 5 and board_firms(date(2012, 6, 30)) == []  # a 2012 demo holds no firm from its future
    for firm in firms:
        EnterpriseSchema().load({k: v for k, v in firm.items() if k != "id"})  # valid as an import is
    ready = {(firm["id"], board): assess(firm, rules[board], "2023-06-30").ready for firm in firms for board in ("star", "bse")}
    assert {key for key, ok in ready.items() if ok} == {("ent-b001", "star"), ("ent-b002", "star"), ("ent-b004", "bse")}
    # NEEQ's innovation tier by placements (its standard (3)): the sensor firm's cash placements
    # of 50 M at 500-600 M pass, its 2-year R&D of 24 M falls 1 M short of the 25 M asked
    tier = {firm["id"]: assess(firm, rules["neeq_innovation"], "2023-06-30") for firm in firms}
    placements = {s["id"]: s for s in tier["ent-b004"].standards}["3"]["criteria"]
    assert [c["met"] for c in placements] == [False, True, True] and "还差100万元" in placements[0]["message_zh"]
