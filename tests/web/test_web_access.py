"""Who may open which page: anonymous visitors go to the sign-in page, and
each role is refused the pages and objects of the others.  The services decide; these
tests check that every page asks them."""
from __future__ import annotations

import pytest

from tests.web.conftest import signed_in


def ids(app) -> dict:
    w = app.world
    return {"ent_a": w["ent_a"]["id"], "ent_b": w["ent_b"]["id"], "inst_a": w["inst_a"]["id"], "inst_b": w["inst_b"]["id"],
            **{k: v["id"] for k, v in w["needs"].items()}}


PAGES = [
    "/", "/enterprises", "/enterprises/{ent_a}", "/enterprises/{ent_a}/edit", "/enterprises/{ent_a}/needs",
    "/enterprises/{ent_a}/needs/new", "/enterprises/{ent_a}/readiness", "/needs", "/needs/{a_open}",
    "/needs/{a_open}/edit", "/needs/{a_open}/matches", "/institutions", "/institutions/{inst_a}",
    "/institutions/{inst_a}/edit", "/institutions/{inst_a}/dealflow", "/staff/", "/staff/pipeline",
    "/staff/reserve-pool", "/admin/users", "/admin/users/new", "/account/password",
    "/staff/programmes", "/staff/programmes/new", "/staff/grants", "/enterprises/{ent_a}/grants",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(shared_app, path):
    url = path.format(**ids(shared_app))
    r = shared_app.test_client().get(url)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/sign-in?next=")


#: (who, page) pairs that must be refused with 403 (404 for a need the user may not even
#: read: the same page as for a need that does not exist).
REFUSED = [
    # an enterprise: another enterprise's pages and needs, institutions' deal flow and edits, staff and admin pages
    ("ent_a", "/enterprises/{ent_b}"), ("ent_a", "/enterprises/{ent_b}/edit"), ("ent_a", "/enterprises/{ent_b}/needs"),
    ("ent_a", "/enterprises/{ent_b}/needs/new"), ("ent_a", "/enterprises/{ent_b}/readiness"),
    ("ent_a", "/needs/{b_open}"), ("ent_a", "/needs/{b_draft}"), ("ent_a", "/needs/{b_open}/edit"),
    ("ent_a", "/needs/{b_open}/matches"), ("ent_a", "/institutions/{inst_a}/edit"), ("ent_a", "/institutions/{inst_a}/dealflow"),
    ("ent_a", "/staff/"), ("ent_a", "/staff/pipeline"), ("ent_a", "/staff/reserve-pool"), ("ent_a", "/admin/users"),
    ("ent_a", "/admin/users/new"), ("ent_a", "/admin/users/ent_b_user"),
    # an institution: another institution, draft needs, enterprises' own pages, staff and admin pages
    ("inst_a", "/institutions/{inst_b}/edit"), ("inst_a", "/institutions/{inst_b}/dealflow"),
    ("inst_a", "/needs/{a_draft}"), ("inst_a", "/needs/{a_open}/edit"), ("inst_a", "/needs/{a_open}/matches"),
    ("inst_a", "/enterprises"), ("inst_a", "/enterprises/{ent_a}/edit"), ("inst_a", "/enterprises/{ent_a}/readiness"),
    ("inst_a", "/enterprises/{ent_a}/needs/new"), ("inst_a", "/staff/"), ("inst_a", "/staff/pipeline"),
    ("inst_a", "/staff/reserve-pool"), ("inst_a", "/admin/users"),
    # the special fund's staff pages
    *((who, page) for who in ("ent_a", "inst_a") for page in ("/staff/programmes", "/staff/programmes/new", "/staff/grants")),
    # staff: the admin pages
    ("staff", "/admin/users"), ("staff", "/admin/users/new"), ("staff", "/admin/users/ent_a_user"),
]


HIDDEN_NEEDS = {("ent_a", "/needs/{b_open}"), ("ent_a", "/needs/{b_draft}"), ("inst_a", "/needs/{a_draft}")}


@pytest.fixture(scope="module")
def clients(shared_app):
    return {who: signed_in(shared_app, who) for who in ("ent_a", "inst_a", "staff", "admin")}


@pytest.mark.parametrize("who,path", REFUSED)
def test_each_role_is_refused_the_pages_of_others(shared_app, clients, who, path):
    r = clients[who].get(path.format(**ids(shared_app)))
    expected = 404 if (who, path.split("}")[0] + "}") in HIDDEN_NEEDS else 403
    assert r.status_code == expected, (who, path, r.status_code)
    body = r.get_data(as_text=True)
    assert f'class="error-code">{expected}<' in body  # the friendly page, not a bare error


ALLOWED = [
    ("ent_a", "/enterprises/{ent_a}"), ("ent_a", "/enterprises/{ent_a}/edit"), ("ent_a", "/enterprises/{ent_a}/needs"),
    ("ent_a", "/enterprises/{ent_a}/needs/new"), ("ent_a", "/enterprises/{ent_a}/readiness"), ("ent_a", "/needs/{a_draft}"),
    ("ent_a", "/needs/{a_open}/edit"), ("ent_a", "/needs/{a_open}/matches"), ("ent_a", "/institutions"),
    ("ent_a", "/institutions/{inst_a}"), ("ent_a", "/account/password"),
    ("inst_a", "/institutions/{inst_a}/dealflow"), ("inst_a", "/institutions/{inst_a}/edit"), ("inst_a", "/needs/{b_open}"),
    ("inst_a", "/enterprises/{ent_b}"), ("inst_a", "/needs"), ("inst_a", "/institutions"),
    ("staff", "/staff/"), ("staff", "/staff/pipeline"), ("staff", "/staff/reserve-pool"), ("staff", "/enterprises"),
    ("staff", "/enterprises/{ent_b}/edit"), ("staff", "/needs/{b_draft}"), ("staff", "/needs/{b_open}/matches"),
    ("staff", "/institutions/{inst_b}/dealflow"), ("staff", "/institutions/{inst_b}/edit"), ("staff", "/needs"),
    ("admin", "/admin/users"), ("admin", "/admin/users/new"), ("admin", "/admin/users/ent_a_user"), ("admin", "/staff/"),
    ("ent_a", "/enterprises/{ent_a}/grants"), ("staff", "/staff/programmes"), ("staff", "/staff/programmes/new"),
    ("staff", "/staff/grants"), ("staff", "/enterprises/{ent_b}/grants"), ("admin", "/staff/programmes"),
]


@pytest.mark.parametrize("who,path", ALLOWED)
def test_each_role_opens_its_own_pages(shared_app, clients, who, path):
    r = clients[who].get(path.format(**ids(shared_app)))
    assert r.status_code == 200, (who, path, r.status_code, r.get_data(as_text=True)[:300])


def test_an_institution_sees_an_enterprise_only_through_an_open_need(shared_app, clients):
    i = ids(shared_app)
    page = clients["inst_a"].get(f"/enterprises/{i['ent_b']}").get_data(as_text=True)
    assert "天津乙生物有限公司" in page
    assert "financials" not in page and "Edit profile" not in page and "编辑" not in page


def test_each_role_lands_on_its_own_start_page(shared_app, clients):
    i = ids(shared_app)
    assert clients["ent_a"].get("/").headers["Location"] == f"/enterprises/{i['ent_a']}"
    assert clients["inst_a"].get("/").headers["Location"] == f"/institutions/{i['inst_a']}/dealflow"
    assert clients["staff"].get("/").headers["Location"] == "/staff/"
    assert clients["admin"].get("/").headers["Location"] == "/admin/users"


def test_forms_posted_to_others_objects_are_refused_and_change_nothing(world_app):
    i = ids(world_app)
    backend = world_app.world["backend"]
    ent_a = signed_in(world_app, "ent_a")
    before_need = backend.get("needs", i["b_open"])
    r = ent_a.post(f"/needs/{i['b_open']}/edit", {"title": "hijacked", "amount": "1", "instrument": "equity",
                                                  "version": before_need["version"]})
    assert r.status_code == 404  # another enterprise's need: as if there were none
    r = ent_a.post(f"/needs/{i['b_open']}/status", {"status": "withdrawn", "version": before_need["version"]})
    assert r.status_code == 404
    assert backend.get("needs", i["b_open"]) == before_need

    before_ent = backend.get("enterprises", i["ent_b"])
    assert ent_a.post(f"/enterprises/{i['ent_b']}/edit", {"name": "hijacked"}).status_code == 403
    assert ent_a.post(f"/enterprises/{i['ent_b']}/needs/new", {"title": "x", "amount": "5", "instrument": "equity"}).status_code == 403
    assert backend.get("enterprises", i["ent_b"]) == before_ent

    inst_a = signed_in(world_app, "inst_a")
    before_inst = backend.get("institutions", i["inst_b"])
    assert inst_a.post(f"/institutions/{i['inst_b']}/edit", {"name": "hijacked"}).status_code == 403
    assert inst_a.post(f"/staff/pipeline/{i['inst_a']}", {"status": "target"}).status_code == 403
    assert backend.get("institutions", i["inst_b"]) == before_inst
    assert inst_a.post("/admin/users/new", {"username": "mallory", "role": "admin", "password": "x" * 12}).status_code == 403
    assert backend.get("users", "mallory") is None
