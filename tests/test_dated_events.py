"""Dated events of enterprises and institutions, claims that wait for staff, and one "today"
(MATCHMAKER_TODAY) that moves every date-dependent answer."""
from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from matchmaker.storage import get_backend
from tests.conftest import Actors, enterprise_doc, institution_doc

API = "/api/v1"


@pytest.fixture
def app2012(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret", "TODAY": "2012-06-30"})
    get_backend(app).init()
    yield app
    get_backend(app).close()


@pytest.fixture
def zone(app2012, password_hash):
    client = app2012.test_client()
    return client, Actors(app2012, client, password_hash)


def post(client, headers, path, body, status=201):
    r = client.post(f"{API}/{path}", json=body, headers=headers)
    assert r.status_code == status, r.get_json()
    return r.get_json()


def patch(client, headers, path, body, status=200):
    r = client.patch(f"{API}/{path}", json=body, headers=headers)
    assert r.status_code == status, r.get_json()
    return r.get_json()


CLAIM = {"kind": "high_tech", "granted_on": "2011-10-15"}


def test_a_claimed_designation_counts_once_staff_verify_it(zone):
    client, actors = zone
    staff = actors.as_staff()
    ent = post(client, staff, "enterprises", enterprise_doc(certifications=[]))
    mine = actors.as_enterprise(ent["id"])
    claimed = patch(client, mine, f"enterprises/{ent['id']}", {"certifications": [CLAIM]})
    assert claimed["high_tech_certified"] is False and claimed["certifications"][0]["verified"] is False
    # the enterprise cannot verify its own claim
    r = client.patch(f"{API}/enterprises/{ent['id']}", json={"certifications": [{**CLAIM, "verified": True}]}, headers=mine)
    assert r.status_code == 422 and "verified" in r.get_json()["errors"]["json"]["certifications"]["0"]
    verified = patch(client, staff, f"enterprises/{ent['id']}", {"certifications": [{**CLAIM, "verified": True}]})
    assert verified["high_tech_certified"] is True
    stamp = verified["certifications"][0]
    assert stamp["verified_by"].startswith("staff") and stamp["verified_at"].startswith("2012-06-")
    # the enterprise may send its designations back unchanged (the verification stands)
    again = patch(client, mine, f"enterprises/{ent['id']}", {"certifications": verified["certifications"], "employees": 99})
    assert again["high_tech_certified"] is True and again["certifications"][0]["verified_by"] == stamp["verified_by"]
    # who verified and when is in the audit log
    entries = client.get(f"{API}/audit?object_id={ent['id']}&per_page=50", headers=staff).get_json()["items"]
    assert any("certifications" in (e.get("changes") or {}) for e in entries), entries[:2]


def test_flags_are_derived_and_refused_in_input(zone):
    client, actors = zone
    staff = actors.as_staff()
    for flag in ("high_tech_certified", "little_giant", "listed"):
        r = client.post(f"{API}/enterprises", json=enterprise_doc(**{flag: True}), headers=staff)
        assert r.status_code == 422 and flag in r.get_json()["errors"]["json"], flag
    ent = post(client, staff, "enterprises", enterprise_doc(certifications=[]))
    mine = actors.as_enterprise(ent["id"])
    r = client.patch(f"{API}/enterprises/{ent['id']}", json={"listings": [{"market": "chinext", "on": "2012-03-01"}]}, headers=mine)
    assert r.status_code == 422 and "listings" in r.get_json()["errors"]["json"]
    listed = patch(client, staff, f"enterprises/{ent['id']}", {"listings": [{"market": "chinext", "on": "2012-03-01", "code": "300999"}]})
    assert listed["listed"] is True
    quoted = patch(client, staff, f"enterprises/{ent['id']}", {"listings": [{"market": "neeq", "on": "2012-03-01"}]})
    assert quoted["listed"] is False and quoted["neeq_quoted"] is True  # a NEEQ quotation is not a listing


def test_a_certificate_is_in_force_for_three_years(zone):
    client, actors = zone
    staff = actors.as_staff()
    old = post(client, staff, "enterprises", enterprise_doc(certifications=[
        {"kind": "high_tech", "granted_on": "2008-12-01", "verified": True}]))
    assert old["high_tech_certified"] is False  # expired 2011-12-01
    renewed = patch(client, staff, f"enterprises/{old['id']}", {"certifications": [
        {"kind": "high_tech", "granted_on": "2008-12-01", "verified": True},
        {"kind": "little_giant", "granted_on": "2012-02-01", "expires_on": "2014-02-01", "verified": True}]})
    assert renewed["high_tech_certified"] is False and renewed["little_giant"] is True


def test_dates_after_today_are_refused_per_field(zone):
    client, actors = zone
    staff = actors.as_staff()
    doc = enterprise_doc(financials=[{"year": 2013, "revenue": 1}], zone_registered_on="2012-07-01",
                         certifications=[{"kind": "high_tech", "granted_on": "2012-07-02"}],
                         listings=[{"market": "sse_main", "on": "2012-08-01"}])
    errors = post(client, staff, "enterprises", doc, status=422)["errors"]["json"]
    assert "2012" in errors["financials"]["0"]["year"][0]
    assert errors["zone_registered_on"] == ["must not be in the future"]
    assert "granted_on" in errors["certifications"]["0"] and "on" in errors["listings"]["0"]
    ok = post(client, staff, "enterprises", enterprise_doc(financials=[{"year": 2012, "revenue": 1}], zone_registered_on="2012-06-30", certifications=[]))
    assert ok["latest_year"] == 2012
    r = client.post(f"{API}/institutions", json=institution_doc(entered_on="2012-07-01"), headers=staff)
    assert r.status_code == 422 and "entered_on" in r.get_json()["errors"]["json"]
    assert post(client, staff, "institutions", institution_doc(entered_on="2012-05-20"))["entered_on"] == "2012-05-20"


def test_today_moves_the_answers(zone, client, actors):
    zone_client, zone_actors = zone
    in_2012 = zone_client.get(f"{API}/statistics", headers=zone_actors.as_staff()).get_json()
    assert in_2012["year"] == 2012
    real = client.get(f"{API}/statistics", headers=actors.as_staff()).get_json()
    assert real["year"] > 2012
    r = zone_client.get(f"{API}/exports/needs.csv", headers=zone_actors.as_staff())
    assert "needs-2012-06-30.csv" in r.headers["Content-Disposition"]
    # years in operation: founded 2011-01-01 is under 2 years old in mid-2012, not in 2026
    from matchmaker.scoring.dates import as_date
    with zone_client.application.app_context():
        assert as_date(None).isoformat() == "2012-06-30"


def test_a_malformed_today_stops_the_service(tmp_path):
    with pytest.raises(ConfigurationError, match="MATCHMAKER_TODAY"):
        create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k", "TODAY": "30/06/2012"})


def test_years_in_operation_are_counted_to_today(zone, client, actors):
    """A firm founded at the start of 2010 has two and a half years behind it in mid-2012:
    an institution asking for three is no match then, and is one years later."""
    results = []
    for c, a in (zone, (client, actors)):
        staff = a.as_staff()
        institution = post(c, staff, "institutions", institution_doc(
            requirements={"min_revenue": None, "min_years": 3, "collateral_required": False, "high_tech_required": False}))
        ent = post(c, staff, "enterprises", enterprise_doc(founded="2010-01-01", certifications=[],
                                                            financials=[{"year": 2010, "revenue": 40_000_000},
                                                                        {"year": 2011, "revenue": 60_000_000}]))
        need = post(c, staff, "needs", {"enterprise_id": ent["id"], "title": "扩产 capacity", "amount": 10_000_000,
                                        "instrument": "equity", "purpose": "产能", "equity_offered_pct": 10.0, "status": "open"})
        matches = c.get(f"{API}/needs/{need['id']}/matches", headers=staff).get_json()["items"]
        results.append(next(m for m in matches if m["institution"]["id"] == institution["id"])["eligible"])
    assert results == [False, True]


def test_readiness_reads_as_of_today(zone, client, actors):
    """Accounts of 2011 are current in mid-2012 and stale years later."""
    stale = []
    for c, a in (zone, (client, actors)):
        staff = a.as_staff()
        ent = post(c, staff, "enterprises", enterprise_doc(certifications=[]))
        body = c.get(f"{API}/enterprises/{ent['id']}/readiness?board=chinext", headers=staff).get_json()
        stale.append("stale_figures" in str(body))
    assert stale == [False, True]
