"""The readiness page: staff pick the date and the board; the nearest standard and each shortfall."""
from __future__ import annotations

from tests.web.conftest import signed_in


def test_staff_pick_the_date_and_see_the_rule_set_then(world_app):
    staff = signed_in(world_app, "staff")
    staff.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    page = staff.get(f"/enterprises/{ent}/readiness?board=sme&as_of=2012-06-30")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="readiness-date"' in text
    assert "Rule set sme-2006, in force from 2006-05-18; assessed as of 2012-06-30." in text
    retired = staff.get(f"/enterprises/{ent}/readiness?board=sme&as_of=2022-01-01")
    assert retired.status_code == 422 and "retired on 2021-04-06" in retired.get_data(as_text=True)
    bad = staff.get(f"/enterprises/{ent}/readiness?board=main&as_of=someday")
    assert bad.status_code == 422 and "Not a date" in bad.get_data(as_text=True)


def test_the_nearest_standard_is_shown_with_its_shortfalls(world_app):
    staff = signed_in(world_app, "staff")
    staff.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    text = staff.get(f"/enterprises/{ent}/readiness?board=star&as_of=2023-06-30").get_data(as_text=True)
    assert 'data-testid="standards"' in text and 'data-testid="nearest-standard"' in text
    assert "short" in text  # each unmet criterion says by how much
    assert 'data-testid="citation"' in text and "Source: 上海证券交易所科创板股票上市规则" in text
    assert "matched an independent transcription" in text  # the 2021 guide's figures, corroborated


def test_an_enterprise_sees_today_whatever_date_it_asks(world_app):
    mine = signed_in(world_app, "ent_a")
    mine.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    text = mine.get(f"/enterprises/{ent}/readiness?board=main&as_of=2012-06-30").get_data(as_text=True)
    assert 'data-testid="readiness-date"' not in text and "assessed as of 2012-06-30" not in text


def test_the_profile_form_carries_what_the_new_boards_read(world_app):
    ent = world_app.world["ent_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    data = {"name": ent["name"], "industry": "new_energy", "stage": "growth", "founded": "2008-03-01",
            "registered_capital": "10000000", "employees": "90", "joint_stock": "on", "version": ent["version"],
            "application_accepted": "on", "neeq_broker_engaged": "on", "software_firm": "on",
            "valuation.amount": "1500000000", "valuation.as_of": "2023-03-01", "valuation.basis": "last_round",
            "governance.converted_at_book_value": "no", "governance.converted_on": "2019-06-01",
            "neeq_tier.tier": "", "neeq_tier.since": "", "offering.shares": "", "offering.investors": "",
            "financials-0-year": "2022", "financials-0-revenue": "90000000", "financials-0-retained_earnings": "-2000000",
            "financials-0-intangible_assets": "10000000", "financials-0-land_use_rights": "8000000",
            "financials-0-rd_expenses": "9000000", "financials-0-employees": "120", "financials-0-rd_staff": "30"}
    r = mine.post(f"/enterprises/{ent['id']}/edit", data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    stored = backend.get("enterprises", ent["id"])
    assert stored["valuation"] == {"amount": 1_500_000_000, "as_of": "2023-03-01", "basis": "last_round"}
    assert stored["governance"]["converted_at_book_value"] is False and stored["governance"]["converted_on"] == "2019-06-01"
    assert stored.get("neeq_tier") is None and stored.get("offering") is None  # left empty: no object
    assert stored["neeq_broker_engaged"] is True and stored["software_firm"] is True  # the firm's own facts
    assert stored["application_accepted"] is False  # the exchange's record: staff set it, not the firm's form
    year = stored["financials"][0]
    assert (year["retained_earnings"], year["land_use_rights"], year["rd_staff"]) == (-2_000_000, 8_000_000, 30)
    form = mine.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    assert 'name="financials-0-rd_staff" value="30"' in form
    assert '<option value="no" selected>' in form  # the tri-state comes back as it was
    bad = mine.post(f"/enterprises/{ent['id']}/edit", {**data, "version": stored["version"], "valuation.basis": "guess"})
    assert bad.status_code == 422


def test_the_profile_form_carries_equity_financings_row_by_row(world_app):
    ent = world_app.world["ent_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    mine.client.set_cookie("lang", "en")
    data = {"name": ent["name"], "industry": "new_energy", "stage": "growth", "founded": "2008-03-01",
            "registered_capital": "10000000", "employees": "90", "version": ent["version"],
            "equity_financings-0-kind": "placement", "equity_financings-0-amount": "25,000,000",
            "equity_financings-0-closed_on": "2012-01-10", "equity_financings-0-post_money": "300000000",
            "equity_financings-0-cash": "no",
            "equity_financings-1-kind": "", "equity_financings-1-amount": "",  # the spare row, left empty
            "equity_financings-2-kind": "round", "equity_financings-2-amount": "8000000", "equity_financings-2-planned": "yes"}
    r = mine.post(f"/enterprises/{ent['id']}/edit", data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    stored = backend.get("enterprises", ent["id"])
    assert stored["equity_financings"] == [
        {"kind": "placement", "amount": 25_000_000, "closed_on": "2012-01-10", "planned": False, "cash": False, "post_money": 300_000_000},
        {"kind": "round", "amount": 8_000_000, "planned": True, "cash": True}]
    form = mine.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    assert 'name="equity_financings-0-amount" value="25000000"' in form
    assert 'name="equity_financings-2-amount" value=""' in form  # one empty row to add a round
    # a planned round with a closing date: the message sits on that row's date, the typed values stay
    bad = mine.post(f"/enterprises/{ent['id']}/edit", {**data, "version": stored["version"], "equity_financings-2-closed_on": "2012-02-01"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "a planned round has no closing date yet" in text
    assert 'name="equity_financings-2-closed_on" value="2012-02-01" type="date" aria-label="Completed on 3" aria-invalid="true"' in text
    assert backend.get("enterprises", ent["id"])["version"] == stored["version"]  # nothing written
