"""The year's targets count the events dated in the year (verified designations only), the
firms behind each figure can be listed, and the yearly plan is set by staff and inherited."""
from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import Actors, enterprise_doc, institution_doc

API = "/api/v1"
M = 1_000_000


@pytest.fixture
def zone(tmp_path, password_hash):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret", "TODAY": "2012-06-30"})
    get_backend(app).init()
    client = app.test_client()
    actors = Actors(app, client, password_hash)
    yield client, actors, actors.as_staff()
    get_backend(app).close()


def post(client, headers, path, body, status=201):
    r = client.post(f"{API}/{path}", json=body, headers=headers)
    assert r.status_code == status, r.get_json()
    return r.get_json()


def year_row(year, revenue, **more):
    return {"year": year, "revenue": revenue, "net_profit": revenue // 10, "net_assets": revenue // 2, "share_capital": 10 * M, **more}


def verified(kind, granted_on, **more):
    return {"kind": kind, "granted_on": granted_on, "verified": True, **more}


@pytest.fixture
def events(zone):
    """Firms and institutions with events in 2012 and in 2011."""
    client, actors, staff = zone
    in_2012 = post(client, staff, "enterprises", enterprise_doc(
        name="二〇一二新企业", zone_registered_on="2012-03-01", registered_capital=25 * M, industry="biomedicine",
        certifications=[verified("high_tech", "2012-04-26"), verified("little_giant", "2012-05-18")],
        listings=[{"market": "chinext", "on": "2012-04-18", "code": "300316"}],
        financials=[year_row(2010, 80 * M), year_row(2011, 120 * M),
                    year_row(2012, 60 * M, patent_applications=10, invention_patents_granted=3, employees=100)]))
    in_2011 = post(client, staff, "enterprises", enterprise_doc(
        name="二〇一一新企业", zone_registered_on="2011-06-01", registered_capital=5 * M,
        certifications=[verified("high_tech", "2011-10-28"), verified("little_giant", "2011-05-20")],
        listings=[{"market": "sme", "on": "2011-09-16"}],
        financials=[year_row(2010, 20 * M), year_row(2011, 30 * M, patent_applications=50, invention_patents_granted=5, employees=200)]))
    claimant = post(client, staff, "enterprises", enterprise_doc(
        name="待核实企业", zone_registered_on="2012-02-01", registered_capital=1 * M, industry="software_it",
        certifications=[{"kind": "high_tech", "granted_on": "2012-04-26"}],
        listings=[{"market": "neeq", "on": "2012-03-01"}]))
    older = post(client, staff, "enterprises", enterprise_doc(name="老企业", zone_registered_on="2009-01-10", certifications=[]))
    entered = post(client, staff, "institutions", institution_doc(entered_on="2012-05-20"))
    post(client, staff, "institutions", institution_doc(name="早入驻机构", entered_on="2011-03-01"))
    post(client, staff, "institutions", institution_doc(name="洽谈中机构", status="negotiating"))
    return {"in_2012": in_2012, "in_2011": in_2011, "claimant": claimant, "older": older, "entered": entered}


def progress(client, staff, year):
    r = client.get(f"{API}/statistics", query_string={"year": year}, headers=staff)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    return {row["id"]: row for row in body["progress"]}, body


def test_each_target_counts_the_events_of_its_year(zone, events):
    client, _, staff = zone
    rows, body = progress(client, staff, 2012)
    actual = {k: v["actual"] for k, v in rows.items()}
    assert actual["new_smes"] == 2  # registered in 2012: not the 2011 newcomer nor the old firm
    assert actual["new_smes_large_capital"] == 1
    assert actual["new_little_giants"] == 1 and actual["new_high_tech"] == 1  # the unverified claim does not count
    assert actual["patent_applications"] == 10  # filed in 2012, not the 2011 figure
    assert actual["invention_patents_per_10k_employees"] == 300  # 3 granted / 100 employees
    assert actual["institutions_entered"] == 1
    assert actual["new_listings"] == 1 and actual["new_neeq_quotations"] == 1  # the NEEQ quotation apart
    assert rows["new_smes"]["target"] == 1000 and rows["new_listings"]["aim"] == 4
    assert body["progress_by_month"]["new_smes"]["2012-02"] == 1 and body["progress_by_month"]["new_smes"]["2012-03"] == 2
    assert body["progress_by_month"]["new_smes"]["2012-12"] == 2
    shares = body["industries_of_new_smes"]
    assert shares["by_industry"]["biomedicine"]["count"] == 1 and shares["leading_five"] == 2

    rows_2011, _ = progress(client, staff, 2011)
    actual = {k: v["actual"] for k, v in rows_2011.items()}
    assert (actual["new_smes"], actual["new_smes_large_capital"]) == (1, 0)
    assert (actual["new_little_giants"], actual["new_high_tech"], actual["new_listings"], actual["new_neeq_quotations"]) == (1, 1, 1, 0)
    assert actual["patent_applications"] == 50 and actual["institutions_entered"] == 1
    # 5 granted over the head count of every firm with 2011 accounts (200, and 80 at each of the three others)
    assert actual["invention_patents_per_10k_employees"] == round(10_000 * 5 / (200 + 3 * 80), 1)


def test_a_claim_counts_once_verified(zone, events):
    client, _, staff = zone
    claimant = events["claimant"]
    before, _ = progress(client, staff, 2012)
    r = client.patch(f"{API}/enterprises/{claimant['id']}", headers=staff,
                     json={"certifications": [verified("high_tech", "2012-04-26")]})
    assert r.status_code == 200, r.get_json()
    after, _ = progress(client, staff, 2012)
    assert (before["new_high_tech"]["actual"], after["new_high_tech"]["actual"]) == (1, 2)


def test_staff_see_the_firms_behind_a_figure(zone, events, actors_denied=None):
    client, actors, staff = zone
    rows, _ = progress(client, staff, 2012)
    listed = client.get(rows["new_high_tech"]["list"], headers=staff).get_json()
    assert [item["id"] for item in listed["items"]] == [events["in_2012"]["id"]] and listed["items"][0]["on"] == "2012-04-26"
    smes = client.get(f"{API}/statistics/progress/new_smes?year=2012", headers=staff).get_json()
    assert {i["id"] for i in smes["items"]} == {events["in_2012"]["id"], events["claimant"]["id"]} and smes["total"] == 2
    entered = client.get(f"{API}/statistics/progress/institutions_entered?year=2012", headers=staff).get_json()
    assert [i["id"] for i in entered["items"]] == [events["entered"]["id"]]
    assert client.get(f"{API}/statistics/progress/nonsense?year=2012", headers=staff).status_code == 404
    enterprise = actors.as_enterprise(events["in_2012"]["id"])
    assert client.get(f"{API}/statistics/progress/new_smes?year=2012", headers=enterprise).status_code == 403


def test_tier_movements_of_the_last_closed_year(zone, events):
    client, _, staff = zone
    _, body = progress(client, staff, 2012)
    moves = body["tier_movements"]
    assert moves["financial_year"] == 2011  # mid-2012: the 2011 accounts are the latest closed ones
    assert moves["counts"].get("grow->excel") == 1 and moves["up_to_excel"] == 1
    profile = client.get(f"{API}/enterprises/{events['in_2012']['id']}", headers=staff).get_json()
    assert [row["tier"] for row in profile["tier_history"]] == ["grow", "excel", "grow"]


def test_the_special_fund_without_or_with_the_fund_feature(zone, events, monkeypatch):
    client, _, staff = zone
    installed = importlib.util.find_spec("matchmaker.fund") is not None
    rows, body = progress(client, staff, 2012)
    if not installed:
        assert body["special_fund"] == {"source": "plan", "budget": 200 * M, "committed": 0, "paid": 0}
        assert (rows["special_fund_committed"]["actual"], rows["special_fund_paid"]["target"]) == (0, 200 * M)
    # with the fund feature: its totals for the year (a stand-in where the feature is not in this tree)
    calls = []

    def fund_totals(backend, year):
        calls.append(year)
        return {"year": year, "budget": 180 * M, "committed": 42 * M, "paid": 17 * M, "by_programme": []}

    stand_in = types.ModuleType("matchmaker.fund.summary")
    stand_in.fund_totals = fund_totals
    monkeypatch.setitem(sys.modules, "matchmaker.fund", types.ModuleType("matchmaker.fund"))
    monkeypatch.setitem(sys.modules, "matchmaker.fund.summary", stand_in)
    rows, body = progress(client, staff, 2012)
    assert calls == [2012] and body["special_fund"]["source"] == "fund"
    assert (rows["special_fund_committed"]["actual"], rows["special_fund_paid"]["actual"]) == (42 * M, 17 * M)
    assert body["special_fund"]["budget"] == 180 * M


def test_a_plan_set_for_a_year_shows_and_the_next_year_inherits_it(zone, events):
    client, actors, staff = zone
    assert client.get(f"{API}/plans/2012", headers=staff).get_json()["source"] == "defaults"
    r = client.put(f"{API}/plans/2012", json={"targets": {"new_smes": 1200, "invention_patents_per_10k_employees": 32.5}}, headers=staff)
    assert r.status_code == 200, r.get_json()
    plan = r.get_json()
    assert plan["source"] == "plan" and plan["targets"]["new_smes"] == 1200 and plan["targets"]["new_high_tech"] == 20
    nxt = client.get(f"{API}/plans/2013", headers=staff).get_json()
    assert (nxt["source"], nxt["from_year"], nxt["targets"]["new_smes"]) == ("inherited", 2012, 1200)
    rows, body = progress(client, staff, 2013)
    assert rows["new_smes"]["target"] == 1200 and body["plan_source"] == "inherited"
    assert client.get(f"{API}/plans/2011", headers=staff).get_json()["targets"]["new_smes"] == 1000  # earlier years keep theirs
    # the next year's plan is drafted from the last: only the changed figure is sent
    client.put(f"{API}/plans/2013", json={"targets": {"new_listings": 3}}, headers=staff)
    later = client.get(f"{API}/plans/2014", headers=staff).get_json()["targets"]
    assert (later["new_listings"], later["new_smes"]) == (3, 1200)
    # who may set it, and bad figures
    enterprise = actors.as_enterprise(events["in_2012"]["id"])
    assert client.put(f"{API}/plans/2012", json={"targets": {"new_smes": 1}}, headers=enterprise).status_code == 403
    assert client.get(f"{API}/plans/2012", headers=enterprise).status_code == 200
    assert client.get(f"{API}/plans/2012").status_code == 401
    bad = client.put(f"{API}/plans/2012", json={"targets": {"new_smes": -1, "nonsense": 3, "new_listings": 1.5}}, headers=staff)
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]["json"]["targets"]
    assert set(errors) == {"new_smes", "nonsense", "new_listings"}
    entries = client.get(f"{API}/audit?object_kind=plan&per_page=50", headers=staff).get_json()["items"]
    assert entries and entries[0]["object_id"].startswith("plan-")


def test_programme_indicators_entered_by_staff(zone, events):
    client, actors, staff = zone
    post(client, staff, "indicators", {"kind": "incubator_m2", "value": 20000, "on": "2012-03-01", "notes": "华苑孵化器二期"})
    post(client, staff, "indicators", {"kind": "incubator_m2", "value": 5000, "on": "2011-11-01"})
    post(client, staff, "indicators", {"kind": "rd_institutions", "value": 1, "on": "2012-05-10", "notes": "天津大学联合研究院"})
    rows, _ = progress(client, staff, 2012)
    assert (rows["incubator_m2"]["actual"], rows["rd_institutions"]["actual"], rows["alliances"]["actual"]) == (20000, 1, 0)
    assert rows["incubator_m2"]["target"] == 100_000
    listed = client.get(f"{API}/indicators?year=2012", headers=staff).get_json()
    assert len(listed["items"]) == 2 and listed["totals"]["incubator_m2"] == 20000
    future = client.post(f"{API}/indicators", json={"kind": "alliances", "value": 1, "on": "2012-07-01"}, headers=staff)
    assert future.status_code == 422 and "on" in future.get_json()["errors"]["json"]
    enterprise = actors.as_enterprise(events["in_2012"]["id"])
    assert client.post(f"{API}/indicators", json={"kind": "alliances", "value": 1, "on": "2012-05-01"}, headers=enterprise).status_code == 403
    assert [i["on"] for i in listed["items"]] == ["2012-03-01", "2012-05-10"]
    assert client.delete(f"{API}/indicators/{listed['items'][0]['id']}", headers=staff).status_code == 204
    rows, _ = progress(client, staff, 2012)
    assert rows["incubator_m2"]["actual"] == 0
