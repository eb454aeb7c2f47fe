"""The special fund's and the reserve pool's pages: forms with CSRF, who may open them,
the staff steps, and the dashboard's budget at a glance."""
from __future__ import annotations

import pytest

from matchmaker.storage import get_backend
from tests.web.conftest import signed_in


@pytest.fixture
def app(world_app):
    world_app.config["TODAY"] = "2012-06-30"
    return world_app


def programme_form(**overrides) -> dict:
    form = {"name": "科技贷款贴息", "name_en": "Loan interest subsidy", "kind": "interest_subsidy", "year": "2012",
            "budget": "30,000,000", "rules.rate": "0.5", "rules.cap_per_enterprise": "500000", "rules.instruments": "debt"}
    form.update(overrides)
    return form


def test_staff_create_and_edit_a_programme(app):
    staff = signed_in(app, "staff")
    assert staff.client.post("/staff/programmes/new", data=programme_form()).status_code == 400  # no CSRF token
    r = staff.post("/staff/programmes/new", programme_form(**{"rules.rate": ""}))
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)  # an interest subsidy needs its rate
    r = staff.post("/staff/programmes/new", programme_form(**{"rules.amounts_by_stage.tutoring": ""}))
    assert r.status_code == 302
    programme = next(get_backend(app).scan("programmes"))
    assert programme["budget"] == 30_000_000 and programme["rules"] == {"rate": 0.5, "cap_per_enterprise": 500_000,
                                                                        "instruments": ["debt"], "institution_types": []}
    page = staff.get("/staff/programmes?year=2012").get_data(as_text=True)
    assert "科技贷款贴息" in page and "3,000万元" in page
    r = staff.post(f"/staff/programmes/{programme['id']}/edit", programme_form(budget="40000000", version=programme["version"]))
    assert r.status_code == 302 and get_backend(app).get("programmes", programme["id"])["budget"] == 40_000_000
    staff.post("/language", {"lang": "en", "next": "/staff/programmes"})
    english = staff.get("/staff/programmes?year=2012").get_data(as_text=True)
    assert "Special fund programmes" in english and "CNY 40.0 million" in english


def make_other_programme(app, **rules) -> dict:
    backend = get_backend(app)
    return backend.create("programmes", {"name": "其他扶持", "kind": "other", "year": 2012, "budget": 1_000_000,
                                         "rules": rules, "committed": 0, "paid": 0})


def test_an_enterprise_applies_and_staff_decide(app):
    programme = make_other_programme(app, cap_per_enterprise=300_000)
    ent_a = app.world["ent_a"]["id"]
    owner = signed_in(app, "ent_a")
    page = owner.get(f"/enterprises/{ent_a}/grants")
    assert page.status_code == 200 and "其他扶持" in page.get_data(as_text=True)
    assert owner.client.post(f"/enterprises/{ent_a}/grants", data={"programme_id": programme["id"], "amount": "1000"}).status_code == 400
    r = owner.post(f"/enterprises/{ent_a}/grants", {"programme_id": programme["id"], "amount": "400,000"})
    assert r.status_code == 422  # past the cap
    r = owner.post(f"/enterprises/{ent_a}/grants", {"programme_id": programme["id"], "amount": "200,000"})
    assert r.status_code == 302
    grant = next(get_backend(app).scan("grants"))
    assert grant["status"] == "applied" and grant["enterprise_id"] == ent_a
    # the enterprise cannot decide on it
    assert owner.post(f"/grants/{grant['id']}/status", {"status": "approved"}).status_code == 403
    staff = signed_in(app, "staff")
    queue = staff.get("/staff/grants?status=applied").get_data(as_text=True)
    assert f'data-testid="grant-{grant["id"]}"' in queue
    staff.post(f"/grants/{grant['id']}/status", {"status": "rejected", "next": "/staff/grants"})  # no reason: refused
    assert get_backend(app).get("grants", grant["id"])["status"] == "applied"
    staff.post(f"/grants/{grant['id']}/status", {"status": "approved"})
    staff.post(f"/grants/{grant['id']}/status", {"status": "paid"})
    assert get_backend(app).get("grants", grant["id"])["status"] == "paid"
    dashboard = staff.get("/staff/?year=2012").get_data(as_text=True)
    assert 'data-testid="special-fund"' in dashboard and 'data-testid="fund-paid">20万元<' in dashboard


def test_grant_pages_are_only_for_their_enterprise_and_staff(app):
    ent_a, ent_b = app.world["ent_a"]["id"], app.world["ent_b"]["id"]
    assert signed_in(app, "ent_a").get(f"/enterprises/{ent_b}/grants").status_code == 404
    assert signed_in(app, "inst_a").get(f"/enterprises/{ent_a}/grants").status_code == 404
    assert signed_in(app, "inst_a").post(f"/enterprises/{ent_a}/grants", {"programme_id": "x"}).status_code == 404
    programme = make_other_programme(app)
    r = signed_in(app, "ent_b").post(f"/enterprises/{ent_a}/grants", {"programme_id": programme["id"], "amount": "5"})
    assert r.status_code == 404 and get_backend(app).count("grants") == 0


def test_staff_run_the_pool_from_its_pages(app):
    ent_a = app.world["ent_a"]["id"]
    staff = signed_in(app, "staff")
    assert staff.client.post("/staff/reserve-pool/enter", data={"enterprise_id": ent_a, "target_board": "neeq",
                                                                "reason": "x"}).status_code == 400
    r = staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "neeq", "reason": "创新型企业",
                                                 "entered_on": "2012-02-01"})
    assert r.status_code == 302 and r.headers["Location"] == f"/staff/reserve-pool/{ent_a}"
    entry = get_backend(app).get("reserve_pool", ent_a)
    r = staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "stage", "stage": "shareholding_reform", "stage_on": "2012-04-01",
                                                    "version": entry["version"]})
    assert r.status_code == 302
    r = staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "stage", "stage": "tutoring", "stage_on": "2012-03-01"})
    assert r.status_code == 422  # before the stage before
    staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "intermediaries", "sponsor.name": "渤海证券", "sponsor.engaged_on": "2012-05-01"})
    page = staff.get("/staff/reserve-pool").get_data(as_text=True)
    assert f'data-testid="entry-{ent_a}"' in page and "股改" in page and "渤海证券" in page
    r = staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "exit", "reason": "迁出", "exited_on": "2012-06-01"})
    assert r.status_code == 302 and get_backend(app).get("reserve_pool", ent_a)["status"] == "exited"
    for who in ("ent_a", "inst_a"):
        client = signed_in(app, who)
        assert client.get(f"/staff/reserve-pool/{ent_a}").status_code == 403
        assert client.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "neeq", "reason": "x"}).status_code == 403


def test_every_fund_form_needs_its_csrf_token(app):
    ent_a = app.world["ent_a"]["id"]
    programme = make_other_programme(app)
    backend = get_backend(app)
    grant = backend.create("grants", {"programme_id": programme["id"], "enterprise_id": ent_a, "amount": 5, "status": "applied",
                                      "year": 2012, "programme_kind": "other", "programme_name": "x", "history": []})
    staff = signed_in(app, "staff")
    staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "neeq", "reason": "r", "entered_on": "2012-01-01"})
    posts = [(f"/staff/programmes/{programme['id']}/edit", programme_form()), (f"/grants/{grant['id']}/status", {"status": "approved"}),
             (f"/staff/reserve-pool/{ent_a}", {"action": "exit", "reason": "r"}),
             (f"/staff/reserve-pool/suggestions/{app.world['ent_b']['id']}/dismiss", {}),
             (f"/enterprises/{ent_a}/grants", {"programme_id": programme["id"], "amount": "5"})]
    for path, form in posts:
        assert staff.client.post(path, data=form).status_code == 400, path
    assert backend.get("grants", grant["id"])["status"] == "applied"
    assert backend.get("reserve_pool", ent_a)["status"] == "active"
    assert backend.get("reserve_pool", app.world["ent_b"]["id"]) is None and backend.count("grants") == 1
