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


def pool_chart(page: str) -> dict[str, str]:
    """The dashboard's reserve-pool chart as {bar label: figure}."""
    import re

    svg = page[page.index('aria-label="Listing reserve pool by stage"'):]
    svg = svg[:svg.index("</svg>")]
    return dict(zip(re.findall(r'class="label"[^>]*>([^<]*)<', svg), re.findall(r'class="value"[^>]*>([^<]*)<', svg)))


def test_the_dashboard_pool_chart_counts_the_pool_staff_run(app):
    ent_a = app.world["ent_a"]["id"]
    staff = signed_in(app, "staff")
    staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "neeq", "reason": "r", "entered_on": "2012-01-01"})
    staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "stage", "stage": "tutoring", "stage_on": "2012-04-01"})
    staff.post("/language", {"lang": "en", "next": "/staff/"})
    chart = pool_chart(staff.get("/staff/?year=2012").get_data(as_text=True))
    assert chart == {"Cultivation": "0", "Shareholding reform": "0", "Tutoring": "1", "Application filed": "0",
                     "Review": "0", "Listed": "0"}  # the other enterprises, never entered, are not counted


def test_an_enterprise_sees_its_own_pool_entry_and_nobody_else_does(app):
    ent_a = app.world["ent_a"]["id"]
    staff = signed_in(app, "staff")
    staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "chinext", "reason": "创新型企业",
                                             "entered_on": "2012-01-01"})
    staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "stage", "stage": "shareholding_reform", "stage_on": "2012-04-01"})
    staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "intermediaries", "sponsor.name": "渤海证券", "sponsor.engaged_on": "2012-05-01"})
    owner = signed_in(app, "ent_a")
    r = owner.get(f"/enterprises/{ent_a}/reserve-pool")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-testid="pool-entry"' in page
    assert "创业板" in page and "股改" in page and "2012-04-01" in page and "渤海证券" in page and "/100" in page
    assert 'action="' not in page.split('data-testid="pool-entry"')[1]  # read only: no forms
    for who in ("ent_b", "inst_a"):
        assert signed_in(app, who).get(f"/enterprises/{ent_a}/reserve-pool").status_code == 404
    own_b = signed_in(app, "ent_b").get(f"/enterprises/{app.world['ent_b']['id']}/reserve-pool")
    assert own_b.status_code == 200 and 'data-testid="not-in-pool"' in own_b.get_data(as_text=True)
    assert staff.get(f"/enterprises/{ent_a}/reserve-pool").status_code == 200


def test_a_retired_target_board_shows_why_there_is_no_readiness(app):
    ent_a = app.world["ent_a"]["id"]
    staff = signed_in(app, "staff")
    staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "sme", "reason": "r", "entered_on": "2012-01-01"})
    app.config["TODAY"] = "2021-05-01"  # the SME board merged into the Shenzhen main board on 2021-04-06
    for client, path in ((staff, f"/staff/reserve-pool/{ent_a}"), (staff, "/staff/reserve-pool"),
                         (signed_in(app, "ent_a"), f"/enterprises/{ent_a}/reserve-pool")):
        r = client.get(path)
        page = r.get_data(as_text=True)
        assert r.status_code == 200 and 'data-testid="board-not-in-force"' in page, path
        assert "2021-04-06" in page and "另选目标板块" in page, path


def test_the_pool_form_offers_the_boards_in_force_on_the_zones_today(tmp_path):
    """In 2012 a firm could aim for the SME board, not STAR (2019) or the BSE (2021); today the reverse."""
    from matchmaker import create_app
    from matchmaker.web.fund import boards

    for today, present, absent in (("2012-06-30", "sme", "star"), ("2024-06-30", "star", "sme")):
        app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / today), "SECRET_KEY": "x", "TODAY": today})
        with app.test_request_context():
            offered = boards()
        assert present in offered and absent not in offered, (today, offered)


def test_staff_change_an_entrys_target_board_on_its_page(app):
    """The page that says "choose a new target board" (a retired board) lets staff do it."""
    ent_a = app.world["ent_a"]["id"]
    staff = signed_in(app, "staff")
    staff.post("/staff/reserve-pool/enter", {"enterprise_id": ent_a, "target_board": "neeq", "reason": "r", "entered_on": "2012-01-01"})
    page = staff.get(f"/staff/reserve-pool/{ent_a}").get_data(as_text=True)
    assert 'data-testid="change-board"' in page and 'value="chinext"' in page
    entry = get_backend(app).get("reserve_pool", ent_a)
    assert staff.client.post(f"/staff/reserve-pool/{ent_a}", data={"action": "board", "target_board": "chinext"}).status_code == 400
    r = staff.post(f"/staff/reserve-pool/{ent_a}", {"action": "board", "target_board": "chinext", "version": entry["version"]})
    assert r.status_code == 302 and get_backend(app).get("reserve_pool", ent_a)["target_board"] == "chinext"
