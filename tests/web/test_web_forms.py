"""Forms validate with the API's schemas, show each message next to its field and keep
what the user typed; the happy paths of each form; pages paginate."""
from __future__ import annotations

import re

from tests.conftest import need_doc
from tests.web.conftest import signed_in


def field_error(body: str, name: str) -> bool:
    return f'id="{name}-error"' in body


def test_new_need_shows_the_schema_messages_and_keeps_the_input(world_app):
    ent = world_app.world["ent_a"]["id"]
    mine = signed_in(world_app, "ent_a")
    r = mine.post(f"/enterprises/{ent}/needs/new", {"title": "", "amount": "12万", "instrument": "debt",
                                                    "equity_offered_pct": "10", "description": "我们的描述"},
                  token_from=f"/enterprises/{ent}/needs/new")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert field_error(body, "title") and field_error(body, "amount")
    assert 'value="12万"' in body and "我们的描述" in body  # what was typed stays
    assert '<option value="debt" selected>' in body
    # a rule across fields: equity offered is for equity and convertibles only
    r = mine.post(f"/enterprises/{ent}/needs/new", {"title": "贷款", "amount": "120000", "instrument": "debt",
                                                    "equity_offered_pct": "10"})
    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "equity_offered_pct")


def test_new_need_published_and_then_withdrawn(world_app):
    ent = world_app.world["ent_a"]["id"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    r = mine.post(f"/enterprises/{ent}/needs/new", {"title": "研发贷款 R&D loan", "amount": "5,000,000", "instrument": "debt",
                                                    "term_months": "24", "purpose": "研发", "publish": "1"})
    assert r.status_code == 302
    need_id = r.headers["Location"].rsplit("/", 1)[1]
    need = backend.get("needs", need_id)
    assert (need["status"], need["amount"], need["term_months"], need["enterprise_id"]) == ("open", 5_000_000, 24, ent)

    page = mine.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "500万元" in page
    r = mine.post(f"/needs/{need_id}/status", {"status": "withdrawn", "version": need["version"]})
    assert r.status_code == 302
    assert backend.get("needs", need_id)["status"] == "withdrawn"
    # a stale version is refused, and says so
    r = mine.post(f"/needs/{need_id}/status", {"status": "open", "version": need["version"]}, follow_redirects=True)
    assert backend.get("needs", need_id)["status"] == "withdrawn"
    r = mine.post(f"/needs/{need_id}/status", {"status": "funded", "version": backend.get("needs", need_id)["version"]})
    assert backend.get("needs", need_id)["status"] == "withdrawn"  # not a move a withdrawn need can make


def test_draft_saved_then_edited(world_app):
    ent = world_app.world["ent_a"]["id"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    r = mine.post(f"/enterprises/{ent}/needs/new", {"title": "设备租赁", "amount": "3000000", "instrument": "leasing"})
    need_id = r.headers["Location"].rsplit("/", 1)[1]
    need = backend.get("needs", need_id)
    assert need["status"] == "draft"
    form = mine.get(f"/needs/{need_id}/edit").get_data(as_text=True)
    assert 'value="3000000"' in form and 'value="设备租赁"' in form
    r = mine.post(f"/needs/{need_id}/edit", {"title": "设备融资租赁", "amount": "3500000", "instrument": "leasing",
                                            "term_months": "", "version": need["version"]})
    assert r.status_code == 302
    assert (backend.get("needs", need_id)["title"], backend.get("needs", need_id)["amount"]) == ("设备融资租赁", 3_500_000)


def test_enterprise_profile_with_financial_rows(world_app):
    ent = world_app.world["ent_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    form = mine.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    assert 'name="financials-0-year" value="2010"' in form and 'name="financials-2-year" value=""' in form  # a spare row

    data = {"name": ent["name"], "industry": "new_energy", "stage": "growth", "founded": "2008-03-01",
            "registered_capital": "10000000", "employees": "90", "invention_patents": "7",
            "joint_stock": "on", "version": ent["version"],
            "financials-0-year": "2010", "financials-0-revenue": "40000000",
            "financials-1-year": "2011", "financials-1-revenue": "abc",
            "financials-2-year": "2012", "financials-2-revenue": "90000000", "financials-2-net_profit": "-100000"}
    r = mine.post(f"/enterprises/{ent['id']}/edit", data)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert re.search(r'name="financials-1-revenue" value="abc"[^>]*aria-invalid="true"', body)
    assert not re.search(r'name="financials-0-revenue" value="40000000"[^>]*aria-invalid', body)

    data["financials-1-revenue"] = "60000000"
    r = mine.post(f"/enterprises/{ent['id']}/edit", data)
    assert r.status_code == 302
    stored = backend.get("enterprises", ent["id"])
    assert [f["year"] for f in stored["financials"]] == [2010, 2011, 2012]
    assert stored["financials"][2]["net_profit"] == -100_000
    assert stored["joint_stock"] is True and stored["little_giant"] is False and stored["employees"] == 90
    assert stored["latest_revenue"] == 90_000_000
    assert stored["counter_guarantees_offered"] == []  # nothing ticked: it offers nothing


def test_an_enterprise_says_what_security_it_offers(world_app):
    ent = world_app.world["ent_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "ent_a")
    form = mine.get(f"/enterprises/{ent['id']}/edit").get_data(as_text=True)
    # a profile that never said shows the controller's guarantee ticked (nearly universal)
    assert re.search(r'name="counter_guarantees_offered" value="personal_guarantee" checked', form)
    data = {"name": ent["name"], "industry": ent["industry"], "stage": ent["stage"], "founded": ent["founded"],
            "version": ent["version"], "counter_guarantees_offered": ["personal_guarantee", "ip_pledge"]}
    assert mine.post(f"/enterprises/{ent['id']}/edit", data).status_code == 302
    assert backend.get("enterprises", ent["id"])["counter_guarantees_offered"] == ["personal_guarantee", "ip_pledge"]


def test_institution_edits_its_profile_but_not_its_zone_status(world_app):
    inst = world_app.world["inst_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "inst_a")
    form = mine.get(f"/institutions/{inst['id']}/edit").get_data(as_text=True)
    assert 'name="status"' not in form  # set by staff
    data = {"name": inst["name"], "type": "venture_capital", "instruments": ["equity", "convertible"],
            "industries": ["new_energy"], "stages": ["growth"], "ticket_min": "5000000", "ticket_max": "1000000",
            "description": "新的介绍", "requirements.min_years": "2", "requirements.collateral_required": "on",
            "version": inst["version"]}
    r = mine.post(f"/institutions/{inst['id']}/edit", data)
    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "ticket_min")
    data["ticket_max"] = "80000000"
    assert mine.post(f"/institutions/{inst['id']}/edit", data).status_code == 302
    stored = backend.get("institutions", inst["id"])
    assert stored["instruments"] == ["equity", "convertible"] and stored["requirements"]["min_years"] == 2
    assert stored["requirements"]["collateral_required"] is True and stored["status"] == inst["status"]


def test_an_institution_adds_edits_and_removes_products_on_its_page(world_app):
    inst = world_app.world["inst_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "inst_a")
    base = {"name": inst["name"], "type": inst["type"], "instruments": inst["instruments"], "industries": inst["industries"],
            "stages": inst["stages"], "ticket_min": str(inst["ticket_min"]), "ticket_max": str(inst["ticket_max"])}
    form = mine.get(f"/institutions/{inst['id']}/edit").get_data(as_text=True)
    assert 'name="products-0-name"' in form and 'name="partner_banks"' not in form  # partner banks: staff
    bad = {**base, "version": inst["version"], "products-0-name": "知识产权质押贷款", "products-0-ticket_min": "9000000",
           "products-0-ticket_max": "1000000"}
    r = mine.post(f"/institutions/{inst['id']}/edit", bad)
    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "products-0-ticket_min")
    good = {**bad, "products-0-ticket_min": "1000000", "products-0-ticket_max": "9000000",
            "products-0-counter_guarantees_accepted": ["ip_pledge"], "products-1-name": "订单贷款", "products-1-term_months_max": "12"}
    assert mine.post(f"/institutions/{inst['id']}/edit", good).status_code == 302
    stored = backend.get("institutions", inst["id"])
    assert [(p["id"], p["name"]) for p in stored["products"]] == [("p1", "知识产权质押贷款"), ("p2", "订单贷款")]
    assert stored["products"][0]["counter_guarantees_accepted"] == ["ip_pledge"] and stored["products"][1]["term_months_max"] == 12
    page = mine.get(f"/institutions/{inst['id']}").get_data(as_text=True)
    assert page.count('<tr data-testid="product">') == 2 and "订单贷款" in page
    # a programme named through the API is offered, ticked, on the form; an emptied row removes its product
    backend.replace("institutions", inst["id"], {**stored, "products": [{**stored["products"][0], "programmes": ["pool-2012"]},
                                                                         stored["products"][1]]})
    stored = backend.get("institutions", inst["id"])
    form = mine.get(f"/institutions/{inst['id']}/edit").get_data(as_text=True)
    assert 'name="products-0-programmes" value="pool-2012" checked' in form
    keep_first = {**base, "version": stored["version"], "products-0-id": "p1", "products-0-name": "知识产权质押贷款（新）",
                  "products-0-programmes": ["pool-2012"], "products-1-id": "p2"}
    assert mine.post(f"/institutions/{inst['id']}/edit", keep_first).status_code == 302
    stored = backend.get("institutions", inst["id"])
    assert stored["products"] == [{"id": "p1", "name": "知识产权质押贷款（新）", "programmes": ["pool-2012"]}]


def test_a_products_industries_stages_requirements_and_programmes_are_edited_on_its_page(world_app):
    inst = world_app.world["inst_a"]
    backend = world_app.world["backend"]
    mine = signed_in(world_app, "inst_a")
    base = {"name": inst["name"], "type": inst["type"], "instruments": inst["instruments"], "industries": inst["industries"],
            "stages": inst["stages"], "ticket_min": str(inst["ticket_min"]), "ticket_max": str(inst["ticket_max"]),
            "version": inst["version"], "products-0-name": "知识产权质押贷款"}
    form = mine.get(f"/institutions/{inst['id']}/edit").get_data(as_text=True)
    for name in ("products-0-industries", "products-0-stages", "products-0-requirements.min_revenue",
                 "products-0-requirements.cash_flow_required", "minority_only"):
        assert f'name="{name}"' in form, name
    bad = {**base, "products-0-industries": ["biomedicine", "no_such_industry"], "products-0-requirements.min_years": "two",
           "products-0-requirements.profitable_required": "maybe"}
    r = mine.post(f"/institutions/{inst['id']}/edit", bad)
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    for name in ("products-0-industries", "products-0-requirements.min_years", "products-0-requirements.profitable_required"):
        assert field_error(body, name), name
    assert 'value="two"' in body  # what was typed stays
    good = {**base, "products-0-industries": ["biomedicine"], "products-0-stages": ["growth", "expansion"],
            "products-0-requirements.min_revenue": "5,000,000", "products-0-requirements.min_years": "2",
            "products-0-requirements.cash_flow_required": "no", "products-0-requirements.high_tech_required": "yes",
            "minority_only": "on"}
    assert mine.post(f"/institutions/{inst['id']}/edit", good).status_code == 302
    stored = backend.get("institutions", inst["id"])
    product = stored["products"][0]
    assert product["industries"] == ["biomedicine"] and product["stages"] == ["growth", "expansion"]
    assert product["requirements"]["min_revenue"] == 5_000_000 and product["requirements"]["min_years"] == 2
    assert product["requirements"]["cash_flow_required"] is False and product["requirements"]["high_tech_required"] is True
    assert product["requirements"].get("profitable_required") is None  # left at "as the institution"
    assert stored["minority_only"] is True
    form = mine.get(f"/institutions/{inst['id']}/edit").get_data(as_text=True)
    assert 'name="products-0-industries" value="biomedicine" checked' in form
    assert re.search(r'name="products-0-requirements.cash_flow_required".*?<option value="no" selected>', form, re.S)
    # another institution's user may not edit it
    other = signed_in(world_app, "inst_b")
    assert other.post(f"/institutions/{inst['id']}/edit", {**good, "version": stored["version"]}).status_code in (403, 404)
    assert backend.get("institutions", inst["id"])["version"] == stored["version"]


def test_staff_move_an_institution_through_the_pipeline(world_app):
    inst = world_app.world["inst_b"]
    staff = signed_in(world_app, "staff")
    page = staff.get("/staff/pipeline").get_data(as_text=True)
    assert 'data-testid="pipeline-negotiating"' in page
    r = staff.post(f"/staff/pipeline/{inst['id']}", {"status": "entered", "version": inst["version"]})
    assert r.status_code == 302
    assert world_app.world["backend"].get("institutions", inst["id"])["status"] == "entered"


def test_admin_creates_and_binds_accounts(world_app):
    backend = world_app.world["backend"]
    admin = signed_in(world_app, "admin")
    r = admin.post("/admin/users/new", {"username": "new-ent", "role": "enterprise", "enterprise_id": "nope",
                                        "password": "long enough pw", "active": "on"})
    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "enterprise_id")
    r = admin.post("/admin/users/new", {"username": "new-ent", "role": "enterprise", "display_name": "新企业",
                                        "enterprise_id": world_app.world["ent_b"]["id"], "password": "long enough pw", "active": "on"})
    assert r.status_code == 302
    created = backend.get("users", "new-ent")
    assert created["enterprise_id"] == world_app.world["ent_b"]["id"] and created["role"] == "enterprise"
    # rebind as an institution user; the enterprise binding goes
    r = admin.post("/admin/users/new-ent", {"role": "institution", "display_name": "新机构", "enterprise_id": "x",
                                            "institution_id": world_app.world["inst_a"]["id"], "active": "on",
                                            "version": created["version"]})
    assert r.status_code == 302
    changed = backend.get("users", "new-ent")
    assert changed["role"] == "institution" and "enterprise_id" not in changed
    assert changed["session_generation"] == created["session_generation"] + 1  # a new role: old sessions end


def test_long_lists_paginate(world_app, password_hash):
    from tests.conftest import Actors

    staff_api = Actors(world_app, world_app.test_client(), password_hash).as_staff()
    client = world_app.test_client()
    for n in range(25):
        assert client.post("/api/v1/needs", json=need_doc(world_app.world["ent_a"]["id"], title=f"第{n}号需求"),
                           headers=staff_api).status_code == 201
    mine = signed_in(world_app, "ent_a")
    first = mine.get(f"/enterprises/{world_app.world['ent_a']['id']}/needs").get_data(as_text=True)
    assert 'class="pagination"' in first and "page=2" in first
    second = mine.get(f"/enterprises/{world_app.world['ent_a']['id']}/needs?page=2").get_data(as_text=True)
    assert second.count("/needs/") >= 7
    bad = mine.get(f"/enterprises/{world_app.world['ent_a']['id']}/needs?page=zero&status=nonsense")
    assert bad.status_code == 200 and 'class="alert error"' in bad.get_data(as_text=True)
