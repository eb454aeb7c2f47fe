"""Readiness for a date over the API: the rule set in force then, standards, 422 for a board
not in force, and the enterprise fields the new boards read."""
from __future__ import annotations

import json

import pytest

from matchmaker.importexport import import_file
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, running_app

M = 1_000_000
Y = 100_000_000


@pytest.fixture
def app(tmp_path):
    """The zone on 2024-06-30: the rule sets in force then are today's."""
    with running_app(tmp_path, TODAY="2024-06-30") as app:
        yield app


@pytest.fixture
def staff(actors):
    return actors.as_staff()


def fy(y, revenue, profit, net_assets, **extra):
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": profit, "net_assets": net_assets,
            "intangible_assets": 5 * M, "share_capital": 60 * M, "retained_earnings": net_assets - 60 * M, **extra}


def chip_firm(**overrides) -> dict:
    fields = dict(
        name="芯海微电子股份有限公司", industry="software_it", stage="pre_ipo", founded="2015-03-01", joint_stock=True,
        sponsor_engaged=True, invention_patents_main_business=8,
        valuation={"amount": 12 * Y, "as_of": "2023-03-01", "basis": "last_round"},
        governance={"controller_changed_on": None, "converted_at_book_value": True, "converted_on": "2018-06-01"},
        financials=[fy(2019, 100 * M, 5 * M, 200 * M, rd_expenses=12 * M, employees=300, rd_staff=60),
                    fy(2020, 130 * M, 10 * M, 210 * M, rd_expenses=16 * M, employees=300, rd_staff=60),
                    fy(2021, 170 * M, 30 * M, 240 * M, rd_expenses=20 * M, employees=300, rd_staff=60),
                    fy(2022, 220 * M, 40 * M, 280 * M, rd_expenses=26 * M, employees=300, rd_staff=60, land_use_rights=2 * M)],
    )
    fields.update(overrides)
    return enterprise_doc(**fields)


def create(client, staff, doc) -> dict:
    response = client.post("/api/v1/enterprises", json=doc, headers=staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def readiness(client, headers, ent_id, board, as_of=None):
    url = f"/api/v1/enterprises/{ent_id}/readiness?board={board}" + (f"&as_of={as_of}" if as_of else "")
    return client.get(url, headers=headers)


def test_new_fields_are_stored_and_answered(client, staff):
    ent = create(client, staff, chip_firm(listings=[{"market": "neeq", "on": "2020-05-08", "code": "873001"}],
                                          neeq_tier={"tier": "innovation", "since": "2021-05-28"}, shareholders=260,
                                          offering={"shares": 12_000_000, "investors": 300}, application_accepted=True))
    assert ent["valuation"] == {"amount": 12 * Y, "as_of": "2023-03-01", "basis": "last_round"}
    assert ent["governance"]["converted_on"] == "2018-06-01" and ent["listings"][0]["on"] == "2020-05-08"
    latest = ent["financials"][-1]
    assert (latest["rd_expenses"], latest["rd_staff"], latest["land_use_rights"]) == (26 * M, 60, 2 * M)
    assert ent["application_accepted"] is True and ent["shareholders"] == 260



def test_equity_financings_are_stored_and_answered(client, staff):
    rounds = [{"kind": "placement", "amount": 25 * M, "closed_on": "2022-01-10", "post_money": 3 * Y, "cash": True},
              {"kind": "round", "amount": 8 * M, "planned": True}]
    ent = create(client, staff, chip_firm(equity_financings=rounds))
    assert ent["equity_financings"][0] == {**rounds[0], "planned": False}
    assert ent["equity_financings"][1]["planned"] is True and ent["equity_financings"][1]["cash"] is True
    assert client.get(f"/api/v1/enterprises/{ent['id']}", headers=staff).get_json()["equity_financings"] == ent["equity_financings"]

@pytest.mark.parametrize("change, field", [
    ({"valuation": {"amount": 5 * Y, "as_of": "2023-01-01", "basis": "guess"}}, "valuation"),
    ({"valuation": {"amount": 5 * Y, "basis": "last_round"}}, "valuation"),
    ({"governance": {"controller_changed_on": "not a date"}}, "governance"),
    ({"listings": [{"market": "moon", "on": "2020-01-01"}]}, "listings"),
    ({"financials": [fy(2022, 10 * M, 1 * M, 10 * M, intangible_assets=1 * M, land_use_rights=2 * M)]}, "financials"),
    ({"financials": [fy(2022, 10 * M, 1 * M, 10 * M, employees=10, rd_staff=11)]}, "financials"),
    ({"equity_financings": [{"kind": "round", "amount": 8 * M, "planned": True, "closed_on": "2023-01-01"}]}, "closed_on"),
    ({"equity_financings": [{"kind": "round", "amount": 8 * M}]}, "closed_on"),
    ({"equity_financings": [{"kind": "round", "amount": 8 * M, "closed_on": "2030-01-01"}]}, "closed_on"),
    ({"equity_financings": [{"kind": "gift", "amount": 8 * M, "closed_on": "2023-01-01"}]}, "kind"),
    ({"equity_financings": [{"kind": "round", "amount": -1, "closed_on": "2023-01-01"}]}, "amount"),
])
def test_bad_new_fields_are_refused_per_field(client, staff, change, field):
    response = client.post("/api/v1/enterprises", json=chip_firm(**change), headers=staff)
    assert response.status_code == 422, response.get_json()
    assert field in str(response.get_json())


def test_as_of_picks_the_rule_set_and_the_standards(client, staff):
    ent = create(client, staff, chip_firm())
    body = readiness(client, staff, ent["id"], "star", "2023-06-30").get_json()
    assert body["ready"] is True and body["as_of"] == "2023-06-30"
    assert body["rule_set"]["id"] == "star-2021" and body["rule_set"]["effective_on"] == "2021-04-16"
    assert body["rule_set"]["retired_on"] is None and "科创板股票上市规则" in body["rule_set"]["source"]
    assert [s["id"] for s in body["standards"]] == ["1a", "1b", "2", "3", "4", "5"]
    assert next(s for s in body["standards"] if s["id"] == "1a")["met"] is True
    now = readiness(client, staff, ent["id"], "star").get_json()  # today: 2024-06-30
    assert now["rule_set"]["id"] == "star-2024" and now["as_of"] == "2024-06-30"
    main = readiness(client, staff, ent["id"], "main", "2024-06-30").get_json()
    assert main["rule_set"]["id"] == "main-2024" and main["ready"] is False
    nearest = [s for s in main["standards"] if s["nearest"]]
    assert len(nearest) == 1 and any(not c["met"] for c in nearest[0]["criteria"])
    assert all("message" in c for c in nearest[0]["criteria"])


def test_a_board_not_in_force_answers_422_with_the_reason(client, staff):
    ent = create(client, staff, chip_firm())
    assert readiness(client, staff, ent["id"], "sme", "2021-04-05").status_code == 200
    retired = readiness(client, staff, ent["id"], "sme", "2021-04-06")
    assert retired.status_code == 422
    assert "retired on 2021-04-06" in str(retired.get_json())
    assert readiness(client, staff, ent["id"], "sme").status_code == 422  # today
    early = readiness(client, staff, ent["id"], "star", "2012-06-30")
    assert early.status_code == 422 and "2019-03-01" in str(early.get_json())
    assert readiness(client, staff, ent["id"], "moon", "2023-06-30").status_code == 422
    assert readiness(client, staff, ent["id"], "star", "2023-13-40").status_code == 422


def test_as_of_does_not_widen_who_may_see(client, actors, staff):
    ent = create(client, staff, chip_firm())
    other = create(client, staff, chip_firm(name="别的企业"))
    assert readiness(client, actors.as_enterprise(ent["id"]), ent["id"], "star", "2023-06-30").status_code == 200
    assert readiness(client, actors.as_enterprise(other["id"]), ent["id"], "star", "2023-06-30").status_code == 403
    assert readiness(client, {}, ent["id"], "star", "2023-06-30").status_code == 401


def test_snapshots_cover_the_boards_in_force_today(app, client, staff):
    from matchmaker.search import Query, Terms

    ent = create(client, staff, chip_firm())
    snapshots = list(get_backend(app).scan("readiness", Query(filters=[Terms("enterprise_id", [ent["id"]])])))
    boards = {s["board"] for s in snapshots}
    assert boards == {"star", "bse", "main", "chinext", "neeq", "neeq_innovation"}  # the SME board has retired
    assert any(s["board"] == "star" and s["ready"] for s in snapshots)


def test_an_import_carries_the_new_fields(tmp_path, app, client, staff):
    backend = get_backend(app)
    good = {"kind": "enterprise", "id": "imp-star", **chip_firm(software_firm=True, equity_financings=[
        {"kind": "round", "amount": 30 * M, "closed_on": "2022-05-01", "post_money": 9 * Y}])}
    bad = {"kind": "enterprise", "id": "imp-bad", **chip_firm(valuation={"amount": 1, "as_of": "2023-01-01", "basis": "hunch"})}
    path = tmp_path / "firms.jsonl"
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in (good, bad)) + "\n", encoding="utf-8")
    with app.app_context():
        result = import_file(backend, path)
    assert [r.line for r in result.rejected] == [2]
    stored = backend.get("enterprises", "imp-star")
    assert stored["valuation"]["basis"] == "last_round" and stored["financials"][-1]["rd_staff"] == 60
    assert stored["software_firm"] is True and stored["equity_financings"][0]["post_money"] == 9 * Y
    assert readiness(client, staff, "imp-star", "star", "2023-06-30").get_json()["ready"] is True


def test_a_neeq_quotation_is_not_a_listing_and_registration_steps_count_as_filed():
    from matchmaker.readiness.service import pipeline_stage

    quoted = {"joint_stock": True, "listings": [{"market": "neeq", "on": "2020-05-08"}]}
    assert pipeline_stage(quoted) == "shareholding_reform"
    assert pipeline_stage({**quoted, "listings": quoted["listings"] + [{"market": "bse", "on": "2023-09-01"}]}) == "listed"
    for step in ("application_accepted", "inquiry_answered", "committee_approved", "registered"):
        assert pipeline_stage({"joint_stock": True, step: True}) == "filed"


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "2021-04-06"])
def test_any_date_answers_without_a_server_error(client, staff, as_of):
    ent = create(client, staff, chip_firm())
    for board in ("main", "sme", "chinext", "star", "bse", "neeq", "neeq_innovation"):
        assert readiness(client, staff, ent["id"], board, as_of).status_code in (200, 422)



def test_every_criterion_says_where_its_figure_comes_from(client, staff):
    ent = create(client, staff, chip_firm())
    body = readiness(client, staff, ent["id"], "main", "2024-06-30").get_json()
    standard = next(s for s in body["standards"] if s["id"] == "1")
    cash = next(c for c in standard["criteria"] if c["id"] == "cash_flow_or_revenue")
    assert cash["citation"]["status"] == "corroborated" and "股票上市规则" in cash["citation"]["document"]
    assert all(c["citation"]["status"] in ("confirmed", "corroborated", "unconfirmed") for c in body["criteria"] if c["id"] != "standards")
