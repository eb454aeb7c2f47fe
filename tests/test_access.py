"""Who may read and change what (matchmaker/core/access.py, API.md), one table row per case.

The cast, built on conftest's ``world``:
- ``owner``: the user of enterprise A;  ``other_enterprise``: the user of enterprise B;
- ``institution``: the user of institution A (``inst_a``);
- ``staff``, ``admin``; ``anonymous`` sends no credentials.
Enterprise A and B each have an open and a draft need; enterprise C has only a draft.
Add a row to a table to add a case.
"""
from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import TEST_SETTINGS, build_world, data_builders, data_fixture, enterprise_doc, institution_doc, need_doc

API = "/api/v1"
ROLES = ("anonymous", "owner", "other_enterprise", "institution", "staff", "admin")


def build_cast(client, actors, world) -> dict:
    staff = world["staff"]
    ent_c = client.post(f"{API}/enterprises", json=enterprise_doc(industry="software_it"), headers=staff).get_json()
    need_c = client.post(f"{API}/needs", json=need_doc(ent_c["id"], status="draft"), headers=staff).get_json()
    ent_a, ent_b = world["ent_a"]["id"], world["ent_b"]["id"]
    ids = {
        "inst_a": world["inst_a"]["id"], "inst_b": world["inst_b"]["id"],
        "ent_a": ent_a, "ent_b": ent_b, "ent_c": ent_c["id"],
        "need_a_open": world["needs"][ent_a]["open"]["id"], "need_a_draft": world["needs"][ent_a]["draft"]["id"],
        "need_b_open": world["needs"][ent_b]["open"]["id"], "need_b_draft": world["needs"][ent_b]["draft"]["id"],
        "need_c_draft": need_c["id"],
    }
    headers = {
        "anonymous": {},
        "owner": world["as_ent_a"],
        "other_enterprise": actors.as_enterprise(ent_b),
        "institution": world["as_inst_a"],
        "staff": staff,
        "admin": world["admin"],
    }
    return {"ids": ids, "headers": headers, "world": world}


def access_cast(app) -> dict:
    """conftest's world, and enterprise C with only a draft need."""
    client, actors = data_builders(app)
    return build_cast(client, actors, build_world(app))


#: the cast on a world of the test's own (a copy: see conftest's ``data_fixture``)
cast = data_fixture(access_cast, name="cast")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app and cast for the rows that change nothing (reads and refusals): creating an
    app per row is most of the time these take."""
    app = create_app({**TEST_SETTINGS, "DATA_DIR": str(tmp_path_factory.mktemp("access"))})
    backend = get_backend(app)
    backend.init()
    yield app.test_client(), backend, access_cast(app)
    backend.close()


def call(client, cast, who: str, method: str, path: str, body=None):
    path = path.format(**cast["ids"])
    return client.open(path, method=method, json=body, headers=cast["headers"][who])


def snapshot(backend) -> dict:
    """Every stored document, to show that a refused request changed nothing."""
    return {index: sorted(((d["id"], d["version"]) for d in backend.scan(index)))
            for index in ("institutions", "enterprises", "needs", "users")}


def check(client, backend, cast, who, method, path, body, expected):
    before = snapshot(backend)
    r = call(client, cast, who, method, path, body)
    assert r.status_code == expected, (who, method, path, r.get_json())
    if expected >= 400:
        assert r.get_json()["code"] == expected
        assert snapshot(backend) == before, "a refused request changed stored documents"
    return r


def rows(method: str, path: str, body, expected: dict) -> list:
    """One pytest param per role; ``expected`` maps every role to a status code."""
    assert set(expected) == set(ROLES), f"say what each role gets for {method} {path}"
    return [pytest.param(who, method, path, body, status, id=f"{method} {path} as {who}") for who, status in expected.items()]


def expect(anonymous, owner, other_enterprise, institution, staff, admin) -> dict:
    return dict(anonymous=anonymous, owner=owner, other_enterprise=other_enterprise,
                institution=institution, staff=staff, admin=admin)


NEW_INSTITUTION = institution_doc(name="新机构 New Institution")
NEW_ENTERPRISE = enterprise_doc(name="新企业 New Enterprise")

TABLE = [
    # institutions: every signed-in user reads; staff/admin create and delete; the institution edits its own
    *rows("GET", "/api/v1/institutions", None, expect(401, 200, 200, 200, 200, 200)),
    *rows("GET", "/api/v1/institutions/{inst_a}", None, expect(401, 200, 200, 200, 200, 200)),
    *rows("GET", "/api/v1/institutions/{inst_b}", None, expect(401, 200, 200, 200, 200, 200)),
    *rows("POST", "/api/v1/institutions", NEW_INSTITUTION, expect(401, 403, 403, 403, 201, 201)),
    *rows("PATCH", "/api/v1/institutions/{inst_a}", {"description": "改"}, expect(401, 403, 403, 200, 200, 200)),
    *rows("PATCH", "/api/v1/institutions/{inst_b}", {"description": "改"}, expect(401, 403, 403, 403, 200, 200)),
    *rows("PATCH", "/api/v1/institutions/{inst_a}", {"status": "negotiating"}, expect(401, 403, 403, 403, 200, 200)),
    *rows("DELETE", "/api/v1/institutions/{inst_a}", None, expect(401, 403, 403, 403, 204, 204)),
    *rows("DELETE", "/api/v1/institutions/{inst_b}", None, expect(401, 403, 403, 403, 204, 204)),
    # enterprises: the owner and staff/admin; an institution reads one with an open need
    *rows("GET", "/api/v1/enterprises", None, expect(401, 200, 200, 403, 200, 200)),
    *rows("GET", "/api/v1/enterprises/{ent_a}", None, expect(401, 200, 403, 200, 200, 200)),
    *rows("GET", "/api/v1/enterprises/{ent_c}", None, expect(401, 403, 403, 403, 200, 200)),  # only a draft need
    *rows("POST", "/api/v1/enterprises", NEW_ENTERPRISE, expect(401, 403, 403, 403, 201, 201)),
    *rows("PATCH", "/api/v1/enterprises/{ent_a}", {"employees": 99}, expect(401, 200, 403, 403, 200, 200)),
    *rows("DELETE", "/api/v1/enterprises/{ent_a}", None, expect(401, 403, 403, 403, 204, 204)),
    # needs: the owner sees its own in every status, institutions open ones, staff all
    *rows("GET", "/api/v1/needs", None, expect(401, 200, 200, 200, 200, 200)),
    # a need the caller may not read is 404, as if it did not exist (its id tells nothing)
    *rows("GET", "/api/v1/needs/{need_a_open}", None, expect(401, 200, 404, 200, 200, 200)),
    *rows("GET", "/api/v1/needs/{need_a_draft}", None, expect(401, 200, 404, 404, 200, 200)),
    *rows("GET", "/api/v1/needs/{need_b_open}", None, expect(401, 404, 200, 200, 200, 200)),
    *rows("GET", "/api/v1/needs/{need_b_draft}", None, expect(401, 404, 200, 404, 200, 200)),
    *rows("POST", "/api/v1/needs", need_doc("{ent_a}"), expect(401, 201, 403, 403, 201, 201)),
    *rows("PATCH", "/api/v1/needs/{need_a_open}", {"title": "改"}, expect(401, 200, 404, 403, 200, 200)),
    *rows("PATCH", "/api/v1/needs/{need_a_draft}", {"status": "open"}, expect(401, 200, 404, 404, 200, 200)),
    *rows("PATCH", "/api/v1/needs/{need_b_open}", {"title": "改"}, expect(401, 404, 200, 403, 200, 200)),
    *rows("DELETE", "/api/v1/needs/{need_a_draft}", None, expect(401, 204, 404, 404, 204, 204)),
    *rows("DELETE", "/api/v1/needs/{need_a_open}", None, expect(401, 204, 404, 403, 204, 204)),
    # accounts: admins only; one's own account through /auth/me
    *rows("GET", "/api/v1/users", None, expect(401, 403, 403, 403, 403, 200)),
    *rows("GET", "/api/v1/users/{owner_user}", None, expect(401, 403, 403, 403, 403, 200)),
    *rows("PATCH", "/api/v1/users/{owner_user}", {"display_name": "改"}, expect(401, 403, 403, 403, 403, 200)),
    *rows("GET", "/api/v1/auth/me", None, expect(401, 200, 200, 200, 200, 200)),
]


def _fill(value, ids: dict):
    """Placeholders like ``{ent_a}`` inside a request body."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _changes_nothing(row) -> bool:
    who, method, path, body, expected = row.values
    return method == "GET" or expected >= 400


@pytest.mark.parametrize("who,method,path,body,expected", [row for row in TABLE if _changes_nothing(row)])
def test_access_table(shared, who, method, path, body, expected):
    check_row(*shared, who, method, path, body, expected)


@pytest.mark.parametrize("who,method,path,body,expected", [row for row in TABLE if not _changes_nothing(row)])
def test_access_table_write(client, backend, cast, who, method, path, body, expected):
    """A write that succeeds: on a world of its own."""
    check_row(client, backend, cast, who, method, path, body, expected)


def check_row(client, backend, cast, who, method, path, body, expected):
    cast["ids"]["owner_user"] = _user_id(backend, cast["world"]["ent_a"]["id"])
    r = check(client, backend, cast, who, method, path, _fill(body, cast["ids"]), expected)
    if method == "PATCH" and expected == 200:
        changed = r.get_json()
        assert all(changed[k] == v for k, v in _fill(body, cast["ids"]).items())
    if method == "DELETE" and expected == 204:
        target = path.format(**cast["ids"])
        assert client.get(target, headers=cast["headers"]["staff"]).status_code == 404


def _user_id(backend, enterprise_id: str) -> str:
    return next(u["id"] for u in backend.scan("users") if u.get("enterprise_id") == enterprise_id)


# -- anonymous --------------------------------------------------------------------------------
EVERY_ENDPOINT = [
    ("GET", "/api/v1/institutions"), ("POST", "/api/v1/institutions"),
    ("GET", "/api/v1/institutions/x"), ("PATCH", "/api/v1/institutions/x"), ("DELETE", "/api/v1/institutions/x"),
    ("GET", "/api/v1/enterprises"), ("POST", "/api/v1/enterprises"),
    ("GET", "/api/v1/enterprises/x"), ("PATCH", "/api/v1/enterprises/x"), ("DELETE", "/api/v1/enterprises/x"),
    ("GET", "/api/v1/needs"), ("POST", "/api/v1/needs"),
    ("GET", "/api/v1/needs/x"), ("PATCH", "/api/v1/needs/x"), ("DELETE", "/api/v1/needs/x"),
    ("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("GET", "/api/v1/users/x"), ("PATCH", "/api/v1/users/x"),
    ("GET", "/api/v1/auth/me"), ("DELETE", "/api/v1/auth/token"), ("POST", "/api/v1/auth/password"),
]
BAD_CREDENTIALS = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "bearer"},
    {"Authorization": "Token abc"},
]


@pytest.mark.parametrize("method,path", EVERY_ENDPOINT)
def test_anonymous_gets_401_everywhere(client, backend, world, method, path):
    body = {"description": "x"} if method in ("POST", "PATCH") else None
    before = snapshot(backend)
    for headers in BAD_CREDENTIALS:
        r = client.open(path, method=method, json=body, headers=headers)
        assert r.status_code == 401, (headers, r.get_json())
        assert r.get_json()["code"] == 401
    assert snapshot(backend) == before


def test_what_anonymous_may_reach(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    r = client.post("/api/v1/auth/token", json={})  # reached: the body is checked, not the caller
    assert r.status_code == 422
    assert {"username", "password"} <= set(r.get_json()["errors"]["json"])


# -- what each role sees --------------------------------------------------------------------------
def _search_ids(client, headers, path, **query):
    r = client.get(path, headers=headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    return {item["id"] for item in body["items"]}, body


def test_institution_sees_enterprise_without_financials(client, cast):
    r = call(client, cast, "institution", "GET", "/api/v1/enterprises/{ent_a}")
    assert r.status_code == 200
    seen = r.get_json()
    for private in ("financials", "registered_capital", "has_collateral"):
        assert private not in seen
    assert seen["name"] == cast["world"]["ent_a"]["name"]
    full = call(client, cast, "owner", "GET", "/api/v1/enterprises/{ent_a}").get_json()
    assert full["financials"] and "registered_capital" in full


def test_institution_loses_sight_when_the_open_need_closes(client, cast):
    ids = cast["ids"]
    assert call(client, cast, "institution", "GET", "/api/v1/enterprises/{ent_a}").status_code == 200
    r = call(client, cast, "owner", "PATCH", "/api/v1/needs/{need_a_open}", {"status": "closed"})
    assert r.status_code == 200
    assert call(client, cast, "institution", "GET", "/api/v1/enterprises/{ent_a}").status_code == 403
    assert call(client, cast, "institution", "GET", "/api/v1/needs/{need_a_open}").status_code == 404
    found, _ = _search_ids(client, cast["headers"]["institution"], "/api/v1/needs")
    assert ids["need_a_open"] not in found


def test_enterprise_lists_only_itself(client, cast):
    ids = cast["ids"]
    found, body = _search_ids(client, cast["headers"]["owner"], "/api/v1/enterprises")
    assert found == {ids["ent_a"]} and body["total"] == 1
    found, body = _search_ids(client, cast["headers"]["owner"], "/api/v1/enterprises", q="生物制药")  # B's words
    assert found == set() and body["total"] == 0
    found, _ = _search_ids(client, cast["headers"]["staff"], "/api/v1/enterprises")
    assert found == {ids["ent_a"], ids["ent_b"], ids["ent_c"]}


@pytest.mark.parametrize(
    "who,expected",
    [
        ("owner", {"need_a_open", "need_a_draft"}),
        ("other_enterprise", {"need_b_open", "need_b_draft"}),
        ("institution", {"need_a_open", "need_b_open"}),
        ("staff", {"need_a_open", "need_a_draft", "need_b_open", "need_b_draft", "need_c_draft"}),
        ("admin", {"need_a_open", "need_a_draft", "need_b_open", "need_b_draft", "need_c_draft"}),
    ],
)
def test_need_search_shows_only_what_one_may_see(client, cast, who, expected):
    ids, headers = cast["ids"], cast["headers"][who]
    wanted = {ids[k] for k in expected}
    found, body = _search_ids(client, headers, "/api/v1/needs", per_page=100)
    assert found == wanted and body["total"] == len(wanted)
    assert sum(body["facets"]["instrument"].values()) == len(wanted)  # facets count only visible needs
    # filters and text cannot widen the view
    for query in ({"status": ["draft", "open", "in_talks", "funded", "closed", "withdrawn"]},
                  {"enterprise_id": [ids["ent_a"], ids["ent_b"], ids["ent_c"]]},
                  {"q": "草稿 draft"}, {"q": "电池"}, {"industry": ["new_energy", "biomedicine", "software_it"]}):
        found, body = _search_ids(client, headers, "/api/v1/needs", per_page=100, **query)
        assert found <= wanted, query
        assert body["total"] == len(found)


def test_enterprise_sees_its_needs_in_every_status(client, cast):
    ent_a = cast["ids"]["ent_a"]
    statuses = ("in_talks", "funded", "closed", "withdrawn")
    made = set()
    for status in statuses:
        r = call(client, cast, "staff", "POST", "/api/v1/needs", need_doc(ent_a, status="open"))  # a need starts open
        assert r.status_code == 201
        r = call(client, cast, "staff", "PATCH", f"/api/v1/needs/{r.get_json()['id']}", {"status": status})
        assert r.status_code == 200
        made.add(r.get_json()["id"])
        assert call(client, cast, "owner", "GET", f"/api/v1/needs/{r.get_json()['id']}").status_code == 200
        assert call(client, cast, "institution", "GET", f"/api/v1/needs/{r.get_json()['id']}").status_code == 404
        assert call(client, cast, "other_enterprise", "GET", f"/api/v1/needs/{r.get_json()['id']}").status_code == 404
    found, body = _search_ids(client, cast["headers"]["owner"], "/api/v1/needs", per_page=100)
    assert made <= found and body["total"] == len(statuses) + 2
    found, body = _search_ids(client, cast["headers"]["institution"], "/api/v1/needs", status=list(statuses))
    assert found == set() and body["total"] == 0


def test_enterprise_posts_needs_only_for_itself(client, backend, cast):
    ids = cast["ids"]
    body = need_doc(ids["ent_a"])
    del body["enterprise_id"]
    r = call(client, cast, "owner", "POST", "/api/v1/needs", body)  # defaults to the signed-in enterprise
    assert r.status_code == 201 and r.get_json()["enterprise_id"] == ids["ent_a"]
    count = backend.count("needs")
    for target in ("ent_b", "ent_c"):
        r = call(client, cast, "owner", "POST", "/api/v1/needs", need_doc(ids[target]))
        assert r.status_code == 403, target
    r = call(client, cast, "owner", "POST", "/api/v1/needs", need_doc("no-such-enterprise"))
    assert r.status_code in (403, 422)
    assert backend.count("needs") == count
    # nor may it move its own need to another enterprise
    r = call(client, cast, "owner", "PATCH", "/api/v1/needs/{need_a_open}", {"enterprise_id": ids["ent_b"]})
    assert r.status_code in (403, 422)
    assert call(client, cast, "owner", "GET", "/api/v1/needs/{need_a_open}").get_json()["enterprise_id"] == ids["ent_a"]


def test_institution_edits_its_own_profile_but_not_its_status(client, cast):
    before = call(client, cast, "institution", "GET", "/api/v1/institutions/{inst_a}").get_json()
    r = call(client, cast, "institution", "PATCH", "/api/v1/institutions/{inst_a}",
             {"description": "新的产品 new products", "status": "target"})
    assert r.status_code == 403
    assert "status" in r.get_json()["errors"]["json"]
    assert call(client, cast, "staff", "GET", "/api/v1/institutions/{inst_a}").get_json() == before
    # sending the status it already has is harmless
    r = call(client, cast, "institution", "PATCH", "/api/v1/institutions/{inst_a}",
             {"description": "新的产品 new products", "status": before["status"]})
    assert r.status_code == 200
    assert r.get_json()["description"] == "新的产品 new products"
    r = call(client, cast, "staff", "PATCH", "/api/v1/institutions/{inst_a}", {"status": "negotiating"})
    assert r.status_code == 200 and r.get_json()["status"] == "negotiating"


def test_enterprise_user_changes_only_its_own_enterprise(client, cast):
    r = call(client, cast, "owner", "PATCH", "/api/v1/enterprises/{ent_b}", {"employees": 1})
    assert r.status_code == 403
    r = call(client, cast, "owner", "GET", "/api/v1/enterprises/{ent_b}")
    assert r.status_code == 403
    assert "financials" not in r.get_json()


def test_only_admins_manage_users(client, backend, cast):
    body = {"username": "newstaff", "role": "staff", "password": "a long enough password"}
    for who in ("owner", "institution", "staff"):
        r = call(client, cast, who, "POST", "/api/v1/users", body)
        assert r.status_code == 403
    assert backend.get("users", "newstaff") is None
    r = call(client, cast, "admin", "POST", "/api/v1/users", body)
    assert r.status_code == 201, r.get_json()
    assert "password" not in r.get_json() and "password_hash" not in r.get_json()
    _, listing = _search_ids(client, cast["headers"]["admin"], "/api/v1/users", per_page=100)
    assert "newstaff" in {u["username"] for u in listing["items"]}
    assert all("password_hash" not in u for u in listing["items"])


def test_a_role_change_is_not_self_service(client, cast):
    me = call(client, cast, "owner", "GET", "/api/v1/auth/me").get_json()
    assert me["role"] == "enterprise"
    r = call(client, cast, "owner", "PATCH", f"/api/v1/users/{me['id']}", {"role": "admin"})
    assert r.status_code == 403
    assert call(client, cast, "owner", "GET", "/api/v1/auth/me").get_json()["role"] == "enterprise"
