"""The year's pages: the dashboard's targets with the firms behind them, the plan staff
edit (with CSRF), the programme indicators, and who may open them."""
from __future__ import annotations

import re

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.web.conftest import build_world, signed_in


@pytest.fixture
def zone_app(tmp_path):
    """The small world on 30 June 2012, with firms new in 2012 and one from 2011."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret", "TODAY": "2012-06-30"})
    backend = get_backend(app)
    backend.init()
    app.world = {**build_world(app), "backend": backend}
    for key, registered in (("ent_a", "2012-03-05"), ("ent_b", "2011-04-01")):
        ent = backend.get("enterprises", app.world[key]["id"])
        backend.replace("enterprises", ent["id"], {**{k: v for k, v in ent.items() if k != "version"},
                                                   "zone_registered_on": registered, "event_years": [int(registered[:4])]})
    yield app
    backend.close()


def test_the_dashboard_shows_the_year_and_the_firms_behind_a_figure(zone_app):
    staff = signed_in(zone_app, "staff")
    page = staff.get("/staff/?year=2012").get_data(as_text=True)
    cell = re.search(r'data-testid="progress-new_smes"><a href="([^"]+)">1</a>', page)
    assert cell, page[page.find("progress-new_smes") - 200: page.find("progress-new_smes") + 300]
    assert 'data-testid="moved-to-excel"' in page and 'data-testid="fund-source"' in page
    assert re.search(r'data-testid="previous-new_smes">1<', page)  # ent_b registered in 2011
    assert "上年（2011）" in page or "Previous year (2011)" in page
    listed = staff.get(cell.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    body = listed.get_data(as_text=True)
    assert "天津甲科技有限公司" in body and "天津乙生物有限公司" not in body and "2012-03-05" in body
    older = staff.get("/staff/progress/new_smes?year=2011").get_data(as_text=True)
    assert "天津乙生物有限公司" in older and "天津甲科技有限公司" not in older


def test_staff_edit_the_plan_and_the_next_year_inherits_it(zone_app):
    staff = signed_in(zone_app, "staff")
    form = staff.get("/staff/plans/2012").get_data(as_text=True)
    assert 'name="target-new_smes" inputmode="decimal" value="1000"' in form
    no_token = staff.client.post("/staff/plans/2012", data={"action": "plan", "target-new_smes": "900"})
    assert no_token.status_code == 400  # CSRF
    saved = staff.post("/staff/plans/2012", {"action": "plan", "target-new_smes": "1,200", "target-new_listings": "3"},
                       token_from="/staff/plans/2012")
    assert saved.status_code == 302
    nxt = staff.get("/staff/plans/2013").get_data(as_text=True)
    assert 'value="1200"' in nxt and 'name="target-new_listings" inputmode="decimal" value="3"' in nxt
    bad = staff.post("/staff/plans/2012", {"action": "plan", "target-new_smes": "many", "target-new_listings": "-2"},
                     token_from="/staff/plans/2012")
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'id="target-new_smes" name="target-new_smes" inputmode="decimal" value="many" aria-invalid="true"' in body
    dashboard = staff.get("/staff/?year=2013").get_data(as_text=True)
    assert "1,200" in dashboard


def test_staff_enter_programme_indicators(zone_app):
    staff = signed_in(zone_app, "staff")
    ok = staff.post("/staff/plans/2012", {"action": "indicator", "kind": "incubator_m2", "value": "12000",
                                          "on": "2012-04-01", "notes": "华苑孵化器"}, token_from="/staff/plans/2012")
    assert ok.status_code == 302
    page = staff.get("/staff/plans/2012").get_data(as_text=True)
    assert "华苑孵化器" in page and "12,000" in page
    future = staff.post("/staff/plans/2012", {"action": "indicator", "kind": "alliances", "value": "1", "on": "2012-08-01"},
                        token_from="/staff/plans/2012")
    assert future.status_code == 422
    assert "12,000" in staff.get("/staff/?year=2012").get_data(as_text=True)


@pytest.mark.parametrize("who", ["ent_a", "inst_a"])
def test_others_cannot_open_the_year_pages(zone_app, who):
    pages = signed_in(zone_app, who)
    for path in ("/staff/plans/2012", "/staff/progress/new_smes?year=2012"):
        assert pages.get(path).status_code in (403, 404), path


def test_a_claimed_designation_waits_for_staff_on_the_profile(zone_app):
    ent = zone_app.world["ent_a"]
    mine = signed_in(zone_app, "ent_a")
    page = mine.get(f"/enterprises/{ent['id']}").get_data(as_text=True)
    assert 'data-testid="tier-services"' in page and "data-testid=\"claim-form\"" in page
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    r = mine.post(f"/enterprises/{ent['id']}/certifications", {"action": "claim", "kind": "little_giant",
                                                                "granted_on": "2012-05-18", "version": version},
                  token_from=f"/enterprises/{ent['id']}")
    assert r.status_code == 302
    stored = zone_app.world["backend"].get("enterprises", ent["id"])
    claim = stored["certifications"][-1]
    assert claim["kind"] == "little_giant" and claim["verified"] is False and stored["little_giant"] is False
    page = mine.get(f"/enterprises/{ent['id']}").get_data(as_text=True)
    assert 'value="verify"' not in page  # an enterprise has no verify button
    staff = signed_in(zone_app, "staff")
    page = staff.get(f"/enterprises/{ent['id']}").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    position = len(stored["certifications"]) - 1
    r = staff.post(f"/enterprises/{ent['id']}/certifications", {"action": "verify", "position": str(position), "version": version},
                   token_from=f"/enterprises/{ent['id']}")
    assert r.status_code == 302
    stored = zone_app.world["backend"].get("enterprises", ent["id"])
    assert stored["little_giant"] is True and stored["certifications"][-1]["verified_by"] == "staff_user"
    # a claim dated after today is refused with a message
    r = mine.post(f"/enterprises/{ent['id']}/certifications", {"action": "claim", "kind": "tech_sme", "granted_on": "2012-09-01",
                                                                "version": stored["version"]},
                  token_from=f"/enterprises/{ent['id']}", follow_redirects=True)
    assert "2012-09-01" not in str(zone_app.world["backend"].get("enterprises", ent["id"])["certifications"])


def test_the_profile_form_shows_staff_set_milestones_read_only_to_the_enterprise(zone_app):
    backend = zone_app.world["backend"]
    ent = zone_app.world["ent_a"]
    stored = backend.get("enterprises", ent["id"])
    backend.replace("enterprises", ent["id"], {**{k: v for k, v in stored.items() if k != "version"}, "approved": True},
                    expected_version=stored["version"])
    mine = signed_in(zone_app, "ent_a")
    page = mine.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    assert re.search(r'name="approved" checked disabled', page) and 'name="joint_stock"' in page
    assert not re.search(r'name="joint_stock"[^>]*disabled', page)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    form = {"name": ent["name"], "industry": ent["industry"], "stage": ent["stage"], "founded": ent["founded"],
            "joint_stock": "on", "version": version}
    r = mine.post(f"/enterprises/{ent['id']}/edit", {**form, "application_filed": "on"}, token_from=f"/enterprises/{ent['id']}/edit")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    stored = backend.get("enterprises", ent["id"])
    assert stored["joint_stock"] is True and stored["approved"] is True and stored["application_filed"] is False
    staff = signed_in(zone_app, "staff")
    page = staff.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    assert 'data-testid="staff-set-approved"' not in page
