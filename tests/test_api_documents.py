"""The document API of API.md: institutions, enterprises and needs over the test client.

CRUD and the list envelope, versions and stale writes, every validation rule a user can
break (with per-field messages and nothing stored), derived fields, and search: text in
Chinese and English, hostile query strings, filters, facets, amounts, sort and paging.
"""
from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import Actors, enterprise_doc, institution_doc, need_doc

API = "/api/v1"
INDEX = {"institutions": "institutions", "enterprises": "enterprises", "needs": "needs"}


# -- helpers ---------------------------------------------------------------------------
@pytest.fixture
def staff(actors):
    return actors.as_staff()


@pytest.fixture(scope="module")
def reader(tmp_path_factory, password_hash):
    """(client, staff headers) on one app for this module's read-only tests: building an
    app per test is most of what they would cost.  Nothing may write to it but the
    module-scoped catalogues below."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("reader")), "SECRET_KEY": "test"})
    backend = get_backend(app)
    backend.init()
    client = app.test_client()
    yield client, Actors(app, client, password_hash).as_staff()
    backend.close()


def create(client, headers, kind: str, body: dict) -> dict:
    r = client.post(f"{API}/{kind}", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def search(client, headers, kind: str, query: str = "", status: int = 200) -> dict:
    r = client.get(f"{API}/{kind}?{query}", headers=headers)
    assert r.status_code == status, (query, r.get_json())
    return r.get_json()


def ids(body: dict) -> list[str]:
    return [item["id"] for item in body["items"]]


def field_errors(body: dict, location: str = "json") -> dict:
    assert "errors" in body and location in body["errors"], body
    errors = body["errors"][location]
    assert isinstance(errors, dict), body

    def messages(value):  # per field: a list of messages, or per-field messages of a nested part
        if isinstance(value, dict):
            return all(messages(v) for v in value.values())
        return isinstance(value, list) and value and all(isinstance(m, str) and m for m in value)

    assert all(messages(v) for v in errors.values()), errors
    return errors


def make(client, headers, kind: str, **overrides) -> dict:
    """A stored document of ``kind`` (a need gets a fresh enterprise unless told one)."""
    if kind == "institutions":
        return create(client, headers, kind, institution_doc(**overrides))
    if kind == "enterprises":
        return create(client, headers, kind, enterprise_doc(**overrides))
    enterprise_id = overrides.pop("enterprise_id", None) or make(client, headers, "enterprises")["id"]
    status = overrides.pop("status", "open")
    if status in ("draft", "open"):
        return create(client, headers, kind, need_doc(enterprise_id, status=status, **overrides))
    need = create(client, headers, kind, need_doc(enterprise_id, status="open", **overrides))  # a need starts open
    r = client.patch(f"{API}/needs/{need['id']}", json={"status": status}, headers=headers)  # and is moved on
    assert r.status_code == 200, r.get_json()
    return r.get_json()


#: A harmless change for each kind, and the field it changes.
EDITS = {
    "institutions": {"description": "新的描述 new description"},
    "enterprises": {"employees": 120},
    "needs": {"title": "新标题 new title"},
}


# -- envelope, ids, versions --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
def test_list_envelope_and_string_ids(client, staff, kind):
    made = [make(client, staff, kind) for _ in range(3)]
    body = search(client, staff, kind)
    assert set(body) == {"items", "total", "page", "per_page", "facets"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
    assert isinstance(body["facets"], dict) and body["facets"]
    assert all(isinstance(i, str) and i for i in ids(body))
    assert sorted(ids(body)) == sorted(d["id"] for d in made)
    assert len(set(ids(body))) == 3


@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
def test_crud_round_trip_with_etags(client, staff, kind):
    doc = make(client, staff, kind)
    assert isinstance(doc["id"], str) and isinstance(doc["version"], str)

    r = client.get(f"{API}/{kind}/{doc['id']}", headers=staff)
    assert r.status_code == 200
    assert r.get_json() == doc
    assert r.headers["ETag"] == f'"{doc["version"]}"'

    r = client.patch(f"{API}/{kind}/{doc['id']}", json=EDITS[kind], headers={**staff, "If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    changed = r.get_json()
    field, value = next(iter(EDITS[kind].items()))
    assert changed[field] == value
    assert changed["version"] != doc["version"]
    assert r.headers["ETag"] == f'"{changed["version"]}"'
    # a partial change keeps every other field
    untouched = {k: v for k, v in doc.items() if k not in (field, "version", "updated_at")}
    assert {k: changed[k] for k in untouched} == untouched
    assert client.get(f"{API}/{kind}/{doc['id']}", headers=staff).get_json() == changed

    # the version sent in the body is honoured too
    r = client.patch(f"{API}/{kind}/{doc['id']}", json={**EDITS[kind], "version": changed["version"]}, headers=staff)
    assert r.status_code == 200, r.get_json()

    assert client.delete(f"{API}/{kind}/{doc['id']}", headers=staff).status_code == 204
    assert client.get(f"{API}/{kind}/{doc['id']}", headers=staff).status_code == 404
    assert client.patch(f"{API}/{kind}/{doc['id']}", json=EDITS[kind], headers=staff).status_code == 404
    assert client.delete(f"{API}/{kind}/{doc['id']}", headers=staff).status_code == 404


@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
@pytest.mark.parametrize("how", ["if-match", "body"])
def test_stale_version_is_a_conflict_and_changes_nothing(client, staff, kind, how):
    doc = make(client, staff, kind)
    stale = doc["version"]
    r = client.patch(f"{API}/{kind}/{doc['id']}", json=EDITS[kind], headers=staff)  # someone else writes
    assert r.status_code == 200
    current = r.get_json()
    assert current["version"] != stale

    change = {"description": "会被拒绝 must not be stored"} if kind != "enterprises" else {"employees": 999}
    if how == "if-match":
        r = client.patch(f"{API}/{kind}/{doc['id']}", json=change, headers={**staff, "If-Match": f'"{stale}"'})
    else:
        r = client.patch(f"{API}/{kind}/{doc['id']}", json={**change, "version": stale}, headers=staff)
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["code"] == 409
    assert client.get(f"{API}/{kind}/{doc['id']}", headers=staff).get_json() == current

    # a delete with a stale version is refused too
    r = client.delete(f"{API}/{kind}/{doc['id']}", headers={**staff, "If-Match": f'"{stale}"'})
    assert r.status_code == 409
    assert client.get(f"{API}/{kind}/{doc['id']}", headers=staff).status_code == 200


def test_unknown_ids_are_404(client, staff):
    for kind in ("institutions", "enterprises", "needs"):
        r = client.get(f"{API}/{kind}/no-such-id", headers=staff)
        assert r.status_code == 404
        assert r.get_json()["code"] == 404


# -- validation on create --------------------------------------------------------------------
LONG = "长" * 201

INSTITUTION_ERRORS = [
    ("string for money", {"ticket_min": "2000000"}, "ticket_min"),
    ("float for money", {"ticket_max": 2.5e7 + 0.5}, "ticket_max"),
    ("number for name", {"name": 123}, "name"),
    ("string for list", {"instruments": "equity"}, "instruments"),
    ("bool for list", {"stages": True}, "stages"),
    ("unknown field", {"website": "http://x"}, "website"),
    ("server field", {"id": "mine"}, "id"),
    ("bad type code", {"type": "hedge_fund"}, "type"),
    ("bad instrument code", {"instruments": ["gold"]}, "instruments"),
    ("bad industry code", {"industries": ["mining"]}, "industries"),
    ("bad stage code", {"stages": ["ipo"]}, "stages"),
    ("bad status code", {"status": "joined"}, "status"),
    ("repeated code", {"instruments": ["equity", "equity"]}, "instruments"),
    ("empty instruments", {"instruments": []}, "instruments"),
    ("negative money", {"ticket_min": -1}, "ticket_min"),
    ("absurd money", {"ticket_max": 10**13}, "ticket_max"),
    ("ticket_min above ticket_max", {"ticket_min": 60_000_000, "ticket_max": 50_000_000}, "ticket_min"),
    ("name too long", {"name": LONG}, "name"),
    ("empty name", {"name": ""}, "name"),
    ("description too long", {"description": "x" * 5001}, "description"),
    ("negative requirement", {"requirements": {"min_revenue": -5}}, "requirements"),
    ("unknown requirement", {"requirements": {"min_age": 3}}, "requirements"),
    ("bad boolean", {"requirements": {"collateral_required": "perhaps"}}, "requirements"),
]

ENTERPRISE_ERRORS = [
    ("tier is derived", {"tier": "excel"}, "tier"),
    ("latest_revenue is derived", {"latest_revenue": 5}, "latest_revenue"),
    ("unknown field", {"ceo": "张三"}, "ceo"),
    ("bad industry", {"industry": "mining"}, "industry"),
    ("bad stage", {"stage": "ipo"}, "stage"),
    ("founded in the future", {"founded": "2999-01-01"}, "founded"),
    ("founded malformed", {"founded": "2010-13-01"}, "founded"),
    ("founded not a date", {"founded": "last spring"}, "founded"),
    ("founded as number", {"founded": 20100301}, "founded"),
    ("founded before 1949", {"founded": "1900-01-01"}, "founded"),
    ("negative capital", {"registered_capital": -10}, "registered_capital"),
    ("string capital", {"registered_capital": "1000万"}, "registered_capital"),
    ("negative employees", {"employees": -1}, "employees"),
    ("fractional patents", {"invention_patents": 1.5}, "invention_patents"),
    ("name too long", {"name": LONG}, "name"),
    ("missing name", {"name": None}, "name"),
    ("bad boolean", {"little_giant": "sometimes"}, "little_giant"),
    ("repeated financial year", {"financials": [{"year": 2011, "revenue": 1}, {"year": 2011, "revenue": 2}]}, "financials"),
    ("financial year before founding", {"financials": [{"year": 2001, "revenue": 1}]}, "financials"),
    ("negative revenue", {"financials": [{"year": 2011, "revenue": -1}]}, "financials"),
    ("financial year missing", {"financials": [{"revenue": 1}]}, "financials"),
    ("unknown financial field", {"financials": [{"year": 2011, "ebitda": 1}]}, "financials"),
    ("financials not a list", {"financials": {"year": 2011}}, "financials"),
]

NEED_ERRORS = [
    ("equity share on a debt need", {"instrument": "debt", "term_months": 12}, "equity_offered_pct"),
    ("term on an equity need", {"term_months": 24}, "term_months"),
    ("zero amount", {"amount": 0}, "amount"),
    ("negative amount", {"amount": -100}, "amount"),
    ("string amount", {"amount": "1000万"}, "amount"),
    ("bad instrument", {"instrument": "crowdfunding"}, "instrument"),
    ("bad status", {"status": "approved"}, "status"),
    ("share above 100", {"equity_offered_pct": 150}, "equity_offered_pct"),
    ("share of zero", {"equity_offered_pct": 0}, "equity_offered_pct"),
    ("title too long", {"title": LONG}, "title"),
    ("missing title", {"title": None}, "title"),
    ("industry is copied from the enterprise", {"industry": "biomedicine"}, "industry"),
    ("stage is copied from the enterprise", {"stage": "seed"}, "stage"),
    ("unknown field", {"deadline": "2012-12-31"}, "deadline"),
]


def _body(factory, overrides: dict, *args) -> dict:
    body = factory(*args)
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


@pytest.mark.parametrize("overrides,field", [c[1:] for c in INSTITUTION_ERRORS], ids=[c[0] for c in INSTITUTION_ERRORS])
def test_institution_rules(client, staff, backend, overrides, field):
    r = client.post(f"{API}/institutions", json=_body(institution_doc, overrides), headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert backend.count("institutions") == 0


@pytest.mark.parametrize("overrides,field", [c[1:] for c in ENTERPRISE_ERRORS], ids=[c[0] for c in ENTERPRISE_ERRORS])
def test_enterprise_rules(client, staff, backend, overrides, field):
    r = client.post(f"{API}/enterprises", json=_body(enterprise_doc, overrides), headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert backend.count("enterprises") == 0


@pytest.mark.parametrize("overrides,field", [c[1:] for c in NEED_ERRORS], ids=[c[0] for c in NEED_ERRORS])
def test_need_rules(client, staff, backend, overrides, field):
    enterprise = make(client, staff, "enterprises")
    r = client.post(f"{API}/needs", json=_body(need_doc, overrides, enterprise["id"]), headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert backend.count("needs") == 0


def test_need_of_an_enterprise_that_does_not_exist(client, staff, backend):
    r = client.post(f"{API}/needs", json=need_doc("no-such-enterprise"), headers=staff)
    assert r.status_code == 422
    assert "enterprise_id" in field_errors(r.get_json())
    body = need_doc("x")
    del body["enterprise_id"]  # staff must say whose need it is
    r = client.post(f"{API}/needs", json=body, headers=staff)
    assert r.status_code == 422
    assert "enterprise_id" in field_errors(r.get_json())
    assert backend.count("needs") == 0


def test_a_valid_need_without_optional_fields_is_a_draft(client, staff):
    enterprise = make(client, staff, "enterprises")
    need = create(client, staff, "needs", {"enterprise_id": enterprise["id"], "title": "贷款 loan", "amount": 1,
                                           "instrument": "debt", "term_months": 12})
    assert need["status"] == "draft"
    assert (need["industry"], need["stage"]) == (enterprise["industry"], enterprise["stage"])


@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
def test_bodies_that_are_not_json_objects(client, staff, backend, kind):
    cases = [
        ("not json", {"Content-Type": "application/json"}),
        ('{"name": "unterminated', {"Content-Type": "application/json"}),
        ("name=x&type=bank", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("plain words", {"Content-Type": "text/plain"}),
        ("[]", {"Content-Type": "application/json"}),
        ('["a", "b"]', {"Content-Type": "application/json"}),
        ('"a string"', {"Content-Type": "application/json"}),
        ("42", {"Content-Type": "application/json"}),
        ("null", {"Content-Type": "application/json"}),
    ]
    for data, headers in cases:
        r = client.post(f"{API}/{kind}", data=data, headers={**staff, **headers})
        assert r.status_code in (400, 415, 422), (data, r.status_code)
        body = r.get_json()
        assert body["code"] == r.status_code and "errors" in body, (data, body)
    assert backend.count(INDEX[kind]) == 0

    doc = make(client, staff, kind)
    for data in ("[1, 2]", "not json", '"x"'):
        r = client.patch(f"{API}/{kind}/{doc['id']}", data=data, headers={**staff, "Content-Type": "application/json"})
        assert r.status_code in (400, 422), (data, r.status_code)
    assert client.get(f"{API}/{kind}/{doc['id']}", headers=staff).get_json() == doc


def test_a_list_of_documents_is_refused(client, staff, backend):
    r = client.post(f"{API}/institutions", json=[institution_doc(), institution_doc()], headers=staff)
    assert r.status_code == 422
    assert "_schema" in field_errors(r.get_json())
    assert backend.count("institutions") == 0


# -- validation on PATCH: the merged document must hold -----------------------------------
@pytest.mark.parametrize(
    "change,field",
    [
        ({"ticket_min": 60_000_000}, "ticket_min"),  # above the stored ticket_max (50M)
        ({"ticket_max": 1_000_000}, "ticket_min"),  # below the stored ticket_min (2M)
        ({"ticket_min": -1}, "ticket_min"),
        ({"type": "hedge_fund"}, "type"),
        ({"instruments": []}, "instruments"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"website": "x"}, "website"),
        ({"id": "other"}, "id"),
    ],
)
def test_institution_patch_rules(client, staff, change, field):
    doc = make(client, staff, "institutions")
    r = client.patch(f"{API}/institutions/{doc['id']}", json=change, headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert client.get(f"{API}/institutions/{doc['id']}", headers=staff).get_json() == doc


def test_institution_patch_of_one_bound_that_keeps_the_order(client, staff):
    doc = make(client, staff, "institutions")  # 2M..50M
    r = client.patch(f"{API}/institutions/{doc['id']}", json={"ticket_min": 50_000_000}, headers=staff)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["ticket_min"], r.get_json()["ticket_max"]) == (50_000_000, 50_000_000)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"tier": "excel"}, "tier"),
        ({"founded": "2999-01-01"}, "founded"),
        ({"founded": "01/03/2008"}, "founded"),
        ({"founded": "2011-06-01"}, "financials"),  # now the 2010 figures predate the company
        ({"financials": [{"year": 2011, "revenue": 1}, {"year": 2011, "revenue": 1}]}, "financials"),
        ({"industry": "mining"}, "industry"),
        ({"name": LONG}, "name"),
    ],
)
def test_enterprise_patch_rules(client, staff, change, field):
    doc = make(client, staff, "enterprises")
    r = client.patch(f"{API}/enterprises/{doc['id']}", json=change, headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert client.get(f"{API}/enterprises/{doc['id']}", headers=staff).get_json() == doc


@pytest.mark.parametrize(
    "change,field",
    [
        ({"instrument": "debt"}, "equity_offered_pct"),  # the stored 10% share does not fit a loan
        ({"equity_offered_pct": 101}, "equity_offered_pct"),
        ({"amount": 0}, "amount"),
        ({"industry": "biomedicine"}, "industry"),
        ({"status": "approved"}, "status"),
    ],
)
def test_need_patch_rules(client, staff, change, field):
    doc = make(client, staff, "needs")
    r = client.patch(f"{API}/needs/{doc['id']}", json=change, headers=staff)
    assert r.status_code == 422, r.get_json()
    assert field in field_errors(r.get_json())
    assert client.get(f"{API}/needs/{doc['id']}", headers=staff).get_json() == doc


def test_need_cannot_move_to_another_enterprise(client, staff):
    doc = make(client, staff, "needs")
    other = make(client, staff, "enterprises")
    r = client.patch(f"{API}/needs/{doc['id']}", json={"enterprise_id": other["id"]}, headers=staff)
    assert r.status_code == 422
    assert "enterprise_id" in field_errors(r.get_json())
    assert client.get(f"{API}/needs/{doc['id']}", headers=staff).get_json() == doc


def test_need_instrument_change_with_matching_terms(client, staff):
    doc = make(client, staff, "needs")
    r = client.patch(f"{API}/needs/{doc['id']}", json={"instrument": "debt", "equity_offered_pct": None, "term_months": 24},
                     headers=staff)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["instrument"] == "debt" and r.get_json()["term_months"] == 24
    assert r.get_json().get("equity_offered_pct") is None


STATUSES = ("draft", "open", "in_talks", "funded", "closed", "withdrawn")
ALLOWED = {
    ("draft", "open"), ("draft", "withdrawn"),
    ("open", "draft"), ("open", "in_talks"), ("open", "funded"), ("open", "closed"), ("open", "withdrawn"),
    ("in_talks", "open"), ("in_talks", "funded"), ("in_talks", "closed"), ("in_talks", "withdrawn"),
    ("funded", "closed"),
    ("closed", "open"),
    ("withdrawn", "draft"), ("withdrawn", "open"),
}


@pytest.mark.parametrize("before,after", [(a, b) for a in STATUSES for b in STATUSES if a != b])
def test_need_status_transitions(client, staff, before, after):
    doc = make(client, staff, "needs", status=before)
    r = client.patch(f"{API}/needs/{doc['id']}", json={"status": after}, headers=staff)
    stored = client.get(f"{API}/needs/{doc['id']}", headers=staff).get_json()
    if (before, after) in ALLOWED:
        assert r.status_code == 200, r.get_json()
        assert stored["status"] == after
    else:
        assert r.status_code == 422, r.get_json()
        assert "status" in field_errors(r.get_json())
        assert stored == doc


# -- query-string validation ---------------------------------------------------------------
@pytest.mark.parametrize(
    "kind,query,field",
    [
        ("institutions", "per_page=101", "per_page"),
        ("institutions", "per_page=0", "per_page"),
        ("institutions", "page=0", "page"),
        ("institutions", "page=two", "page"),
        ("institutions", "type=hedge_fund", "type"),
        ("institutions", "stage=ipo", "stage"),
        ("institutions", "amount=-1", "amount"),
        ("institutions", "amount=lots", "amount"),
        ("institutions", "amount=1.5", "amount"),
        ("institutions", "sort=name", "sort"),
        ("institutions", "q=" + "x" * 501, "q"),
        ("enterprises", "per_page=1000", "per_page"),
        ("enterprises", "tier=huge", "tier"),
        ("needs", "per_page=101", "per_page"),
        ("needs", "min_amount=5000000&max_amount=1000000", "min_amount"),
        ("needs", "min_amount=-5", "min_amount"),
        ("needs", "status=approved", "status"),
        ("needs", "instrument=gold", "instrument"),
        ("needs", "sort=-title", "sort"),
    ],
)
def test_bad_query_parameters(reader, kind, query, field):
    client, staff = reader
    body = search(client, staff, kind, query, status=422)
    assert field in field_errors(body, "query")


@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
def test_paging_past_the_result_window(reader, kind):
    client, staff = reader
    body = search(client, staff, kind, "page=101&per_page=100", status=422)
    errors = body["errors"].get("query") or body["errors"].get("json")
    assert "page" in errors
    body = search(client, staff, kind, "page=10001&per_page=1", status=422)
    assert search(client, staff, kind, "page=100&per_page=100")["items"] == []  # exactly 10,000: allowed


# -- derived fields ------------------------------------------------------------------------
def _years(*revenues):
    return [{"year": 2009 + i, "revenue": r} for i, r in enumerate(revenues)]


@pytest.mark.parametrize(
    "stage,financials,tier",
    [
        ("growth", _years(40_000_000, 100_000_000), "excel"),  # 1亿 exactly: excel
        ("growth", _years(40_000_000, 99_999_999), "grow"),
        ("growth", _years(150_000_000, 80_000_000), "grow"),  # the latest year counts, not the best
        ("expansion", list(reversed(_years(150_000_000, 80_000_000))), "grow"),  # order sent does not matter
        ("growth", _years(60_000_000, 120_000_000), "excel"),
        ("startup", _years(2_000_000), "nest"),
        ("seed", [], "nest"),
        ("startup", _years(300_000_000), "excel"),
    ],
)
def test_enterprise_tier_is_derived(client, staff, stage, financials, tier):
    doc = create(client, staff, "enterprises", enterprise_doc(stage=stage, financials=financials))
    assert doc["tier"] == tier
    assert search(client, staff, "enterprises", f"tier={tier}")["total"] == 1


def test_tier_follows_new_financials_and_cannot_be_sent(client, staff):
    doc = create(client, staff, "enterprises", enterprise_doc(financials=_years(40_000_000, 60_000_000)))
    assert doc["tier"] == "grow"
    r = client.patch(f"{API}/enterprises/{doc['id']}",
                     json={"financials": _years(40_000_000, 60_000_000, 130_000_000)}, headers=staff)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["tier"] == "excel"
    assert r.get_json()["latest_revenue"] == 130_000_000
    assert search(client, staff, "enterprises", "tier=excel")["total"] == 1
    assert search(client, staff, "enterprises", "tier=grow")["total"] == 0

    r = client.patch(f"{API}/enterprises/{doc['id']}", json={"tier": "nest"}, headers=staff)
    assert r.status_code == 422
    assert "tier" in field_errors(r.get_json())
    assert client.get(f"{API}/enterprises/{doc['id']}", headers=staff).get_json()["tier"] == "excel"


def test_needs_follow_their_enterprise(client, staff):
    enterprise = create(client, staff, "enterprises", enterprise_doc(industry="new_energy", stage="growth"))
    other = create(client, staff, "enterprises", enterprise_doc(industry="new_energy", stage="growth"))
    need = create(client, staff, "needs", need_doc(enterprise["id"]))
    create(client, staff, "needs", need_doc(other["id"]))
    assert (need["industry"], need["stage"]) == ("new_energy", "growth")
    assert search(client, staff, "needs", "industry=new_energy")["total"] == 2

    r = client.patch(f"{API}/enterprises/{enterprise['id']}",
                     json={"industry": "biomedicine", "stage": "expansion", "name": "天津康瑞生物医药有限公司",
                           "financials": _years(90_000_000, 110_000_000)},
                     headers=staff)
    assert r.status_code == 200, r.get_json()

    stored = client.get(f"{API}/needs/{need['id']}", headers=staff).get_json()
    assert (stored["industry"], stored["stage"]) == ("biomedicine", "expansion")
    assert stored["enterprise_name"] == "天津康瑞生物医药有限公司"
    assert stored["enterprise"]["tier"] == "excel"
    assert stored["enterprise"]["latest_revenue"] == 110_000_000
    assert ids(search(client, staff, "needs", "industry=biomedicine")) == [need["id"]]
    assert ids(search(client, staff, "needs", "stage=expansion")) == [need["id"]]
    assert need["id"] not in ids(search(client, staff, "needs", "industry=new_energy"))
    assert ids(search(client, staff, "needs", "q=康瑞")) == [need["id"]]
    facets = search(client, staff, "needs")["facets"]
    assert facets["industry"] == {"biomedicine": 1, "new_energy": 1}


def test_deleting_an_enterprise_deletes_its_needs(client, staff, backend):
    enterprise = make(client, staff, "enterprises")
    other = make(client, staff, "enterprises")
    gone = [make(client, staff, "needs", enterprise_id=enterprise["id"], status=s)["id"] for s in ("open", "draft")]
    kept = make(client, staff, "needs", enterprise_id=other["id"])["id"]

    assert client.delete(f"{API}/enterprises/{enterprise['id']}", headers=staff).status_code == 204
    assert client.get(f"{API}/enterprises/{enterprise['id']}", headers=staff).status_code == 404
    for need_id in gone:
        assert client.get(f"{API}/needs/{need_id}", headers=staff).status_code == 404
    assert ids(search(client, staff, "needs")) == [kept]
    assert backend.count("needs") == 1


# -- full-text search ------------------------------------------------------------------------
@pytest.fixture
def texts(client, staff):
    """Institutions and enterprises whose texts the searches below are about."""
    inst = {
        "vc": create(client, staff, "institutions", institution_doc()),
        "guarantee": create(client, staff, "institutions", institution_doc(
            name="华苑科技融资担保有限公司", name_en="Huayuan Technology Guarantee", type="guarantee",
            instruments=["guarantee"], industries=[], stages=["growth", "expansion"], ticket_min=1_000_000,
            ticket_max=20_000_000, description="为科技型中小企业的银行贷款提供担保,收取担保费。")),
        "bank": create(client, staff, "institutions", institution_doc(
            name="天津银行科技支行", name_en="Bank of Tianjin Technology Sub-branch", type="bank", instruments=["debt"],
            industries=["software_it"], stages=["growth"], ticket_min=1_000_000, ticket_max=50_000_000,
            description="知识产权质押贷款 loans pledged on intellectual property")),
    }
    ent = {
        "battery": create(client, staff, "enterprises", enterprise_doc(
            name="天津力神电池股份有限公司", description="新能源汽车电池的研发与生产")),
        "patent": create(client, staff, "enterprises", enterprise_doc(
            name="滨海软件有限公司", industry="software_it", description="Holds a patent on speech recognition")),
        "pharma": create(client, staff, "enterprises", enterprise_doc(
            name="天士力生物医药", industry="biomedicine", description="中药现代化 modern Chinese medicine")),
    }
    return inst, ent


def test_chinese_query_ranks_the_guarantee_company_first(client, staff, texts):
    inst, _ = texts
    body = search(client, staff, "institutions", "q=担保")
    assert body["items"] and body["items"][0]["id"] == inst["guarantee"]["id"]
    assert inst["vc"]["id"] not in ids(body)
    body = search(client, staff, "institutions", "q=融资担保")
    assert body["items"][0]["id"] == inst["guarantee"]["id"]


def test_chinese_word_inside_a_longer_run(client, staff, texts):
    _, ent = texts
    body = search(client, staff, "enterprises", "q=电池")
    assert ids(body)[0] == ent["battery"]["id"]
    assert ent["pharma"]["id"] not in ids(body)
    assert ids(search(client, staff, "enterprises", "q=汽车电池")) == [ent["battery"]["id"]]


def test_english_query_matches_other_word_forms(client, staff, texts):
    inst, ent = texts
    assert ids(search(client, staff, "enterprises", "q=patents")) == [ent["patent"]["id"]]
    assert ids(search(client, staff, "enterprises", "q=Patented")) == [ent["patent"]["id"]]
    assert ids(search(client, staff, "institutions", "q=loan"))[0] == inst["bank"]["id"]
    assert ids(search(client, staff, "institutions", "q=GUARANTEES")) == [inst["guarantee"]["id"]]


def test_every_word_of_the_query_must_match(client, staff, texts):
    inst, _ = texts
    body = search(client, staff, "institutions", "q=知识产权 loans")
    assert ids(body) == [inst["bank"]["id"]]
    assert "relaxed" not in body


def test_when_no_document_has_every_word_the_ones_with_some_are_offered(client, staff, texts):
    inst, _ = texts
    body = search(client, staff, "institutions", "q=知识产权 担保")
    assert body["relaxed"] is True
    assert {inst["bank"]["id"], inst["guarantee"]["id"]} <= set(ids(body))
    # a company name typed with words the profile lacks still finds the company
    body = search(client, staff, "institutions", "q=融资担保公司")
    assert ids(body)[0] == inst["guarantee"]["id"]
    assert search(client, staff, "institutions", "q=zzzz qqqq")["total"] == 0


def test_text_and_filters_combine(client, staff, texts):
    inst, _ = texts
    assert search(client, staff, "institutions", "q=贷款&type=bank")["total"] == 1
    assert ids(search(client, staff, "institutions", "q=贷款&type=guarantee")) == [inst["guarantee"]["id"]]
    assert search(client, staff, "institutions", "q=贷款&type=angel")["total"] == 0


def test_needs_are_found_by_title_and_enterprise_name(client, staff):
    battery = create(client, staff, "enterprises", enterprise_doc(name="天津力神电池股份有限公司"))
    other = create(client, staff, "enterprises", enterprise_doc(name="滨海软件有限公司", industry="software_it"))
    a = create(client, staff, "needs", need_doc(battery["id"], title="建设新生产线 new production line"))
    b = create(client, staff, "needs", need_doc(other["id"], title="研发中心 R&D centre", description="招聘工程师"))
    assert ids(search(client, staff, "needs", "q=力神")) == [a["id"]]
    assert ids(search(client, staff, "needs", "q=研发中心")) == [b["id"]]
    assert ids(search(client, staff, "needs", "q=production")) == [a["id"]]


HOSTILE = [
    '"', '""', '"unbalanced', "电池\"", "*", "bat*", "*电池", "NEAR(", "NEAR(a b, 3)", "NEAR", "(", ")", "(()",
    "a AND", "AND", "OR", "NOT", "AND OR NOT", "NOT 电池", "电池 OR 担保", "-电池", "+", "^", ":", "title:电池",
    "{name}: x", "'; DROP TABLE institutions; --", "\\", "%", "_", "\x00", "\u200b", "🚀", "   ",
    "电池 " * 100, "x" * 500, "a" * 499 + "*",
]


@pytest.mark.parametrize("kind", ["institutions", "enterprises", "needs"])
def test_hostile_query_strings_answer_200(client, staff, texts, kind):
    for q in HOSTILE:
        r = client.get(f"{API}/{kind}", query_string={"q": q}, headers=staff)
        assert r.status_code == 200, (q, r.status_code, r.get_json())
        assert {"items", "total", "page", "per_page", "facets"} <= set(r.get_json()) <= {
            "items", "total", "page", "per_page", "facets", "relaxed"}


def test_query_syntax_in_q_is_taken_literally(client, staff, texts):
    inst, ent = texts
    for q in ('"电池"', "电池*", "(电池)", "电池 AND", "电池)", "-电池", "电池^", "{}: 电池", "电池 -"):
        r = client.get(f"{API}/enterprises", query_string={"q": q}, headers=staff)
        assert ids(r.get_json()) == [ent["battery"]["id"]], q
    # "OR" is not an operator: no profile has both words, so the answer is the relaxed one
    r = client.get(f"{API}/institutions", query_string={"q": "知识产权 OR 担保"}, headers=staff)
    assert r.get_json()["relaxed"] is True


# -- filters, facets, amounts, sort, pages ----------------------------------------------------
@pytest.fixture(scope="module")
def catalogue(reader):
    client, staff = reader
    """Five institutions with known codes and ticket ranges."""
    specs = {
        "A": dict(type="venture_capital", instruments=["equity"], industries=["new_energy"],
                  stages=["startup", "growth"], ticket_min=2_000_000, ticket_max=50_000_000),
        "B": dict(type="guarantee", instruments=["guarantee"], industries=[],
                  stages=["growth", "expansion"], ticket_min=1_000_000, ticket_max=20_000_000),
        "C": dict(type="angel", instruments=["equity", "convertible"], industries=["biomedicine", "software_it"],
                  stages=["seed", "startup"], ticket_min=300_000, ticket_max=3_000_000),
        "D": dict(type="bank", instruments=["debt"], industries=["software_it"],
                  stages=["growth"], ticket_min=1_000_000, ticket_max=50_000_000),
        "E": dict(type="industry_fund", instruments=["equity"], industries=["new_energy", "biomedicine"],
                  stages=["growth", "expansion", "pre_ipo"], ticket_min=10_000_000, ticket_max=200_000_000),
    }
    made = {key: create(client, staff, "institutions", institution_doc(name=f"机构{key}", **spec))
            for key, spec in specs.items()}
    return {doc["id"]: key for key, doc in made.items()}


def keys(body: dict, catalogue: dict) -> list[str]:
    return sorted(catalogue[i] for i in ids(body))


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", "ABCDE"),
        ("type=venture_capital", "A"),
        ("type=venture_capital&type=bank", "AD"),  # OR within a field
        ("industry=biomedicine&industry=software_it", "CDE"),
        ("industry=new_energy&stage=expansion", "E"),  # AND across fields
        ("type=venture_capital&type=industry_fund&industry=new_energy&stage=growth", "AE"),
        ("instrument=equity&stage=seed", "C"),
        ("instrument=equity&instrument=debt&stage=growth", "ADE"),
        ("instrument=leasing", ""),
        ("type=guarantee&industry=new_energy", ""),
        ("amount=2000000", "ABCD"),  # A's lower bound
        ("amount=50000000", "ADE"),  # A's and D's upper bound
        ("amount=299999", ""),
        ("amount=300000", "C"),
        ("amount=3000000", "ABCD"),
        ("amount=3000001", "ABD"),
        ("amount=200000000", "E"),
        ("amount=200000001", ""),
        ("amount=20000000&type=guarantee&type=venture_capital", "AB"),
    ],
)
def test_institution_filters(reader, catalogue, query, expected):
    client, staff = reader
    body = search(client, staff, "institutions", query + "&per_page=100")
    assert keys(body, catalogue) == sorted(expected)
    assert body["total"] == len(expected)


def test_institution_facets_count_the_hits(reader, catalogue):
    client, staff = reader
    facets = search(client, staff, "institutions")["facets"]
    assert facets["type"] == {"venture_capital": 1, "guarantee": 1, "angel": 1, "bank": 1, "industry_fund": 1}
    assert facets["industries"] == {"new_energy": 2, "biomedicine": 2, "software_it": 2}
    assert facets["instruments"] == {"equity": 3, "guarantee": 1, "convertible": 1, "debt": 1}
    assert facets["stages"] == {"growth": 4, "startup": 2, "expansion": 2, "seed": 1, "pre_ipo": 1}

    facets = search(client, staff, "institutions", "industry=new_energy&industry=software_it")["facets"]  # A, C, D, E
    assert facets["type"] == {"venture_capital": 1, "angel": 1, "bank": 1, "industry_fund": 1}
    assert facets["industries"] == {"new_energy": 2, "software_it": 2, "biomedicine": 2}
    assert facets["stages"] == {"growth": 3, "startup": 2, "seed": 1, "expansion": 1, "pre_ipo": 1}

    facets = search(client, staff, "institutions", "amount=30000000")["facets"]  # A, D, E
    assert facets["instruments"] == {"equity": 2, "debt": 1}


@pytest.mark.parametrize(
    "sort,groups",
    [
        ("ticket_min", ["C", "BD", "A", "E"]),  # B and D tie at 1M: the id breaks the tie
        ("-ticket_min", ["E", "A", "BD", "C"]),
        ("ticket_max", ["C", "B", "AD", "E"]),
        ("-ticket_max", ["E", "AD", "B", "C"]),
    ],
)
def test_institution_sort(reader, catalogue, sort, groups):
    client, staff = reader
    by_key = {key: doc_id for doc_id, key in catalogue.items()}
    expected = [key for group in groups for key in sorted(group, key=lambda k: by_key[k])]
    body = search(client, staff, "institutions", f"sort={sort}")
    assert [catalogue[i] for i in ids(body)] == expected


def test_pagination(reader, catalogue):
    client, staff = reader
    seen = []
    for page, size in ((1, 2), (2, 2), (3, 1), (4, 0)):
        body = search(client, staff, "institutions", f"page={page}&per_page=2&sort=ticket_min")
        assert (body["total"], body["page"], body["per_page"]) == (5, page, 2)
        assert len(body["items"]) == size
        seen += ids(body)
    assert sorted(seen) == sorted(catalogue)  # every document once, none twice
    assert search(client, staff, "institutions", "page=1&per_page=5")["total"] == 5
    assert len(search(client, staff, "institutions", "page=1&per_page=5")["items"]) == 5


@pytest.fixture(scope="module")
def needs_catalogue(reader):
    client, staff = reader
    energy = create(client, staff, "enterprises", enterprise_doc(industry="new_energy", stage="growth"))
    pharma = create(client, staff, "enterprises", enterprise_doc(industry="biomedicine", stage="startup",
                                                                 financials=_years(5_000_000)))
    specs = {
        "a": (energy, dict(amount=1_000_000, instrument="debt", equity_offered_pct=None, term_months=12)),
        "b": (energy, dict(amount=5_000_000, instrument="equity")),
        "c": (pharma, dict(amount=10_000_000, instrument="equity", status="in_talks")),
        "d": (pharma, dict(amount=50_000_000, instrument="guarantee", equity_offered_pct=None, term_months=36)),
        "e": (pharma, dict(amount=10_000_000, instrument="convertible", status="draft", term_months=24)),
    }
    made = {}
    for key, (enterprise, fields) in specs.items():
        body = need_doc(enterprise["id"], **fields)
        body = {k: v for k, v in body.items() if v is not None}
        made[key] = create(client, staff, "needs", {**body, "status": "open" if body["status"] == "in_talks" else body["status"]})
        if body["status"] == "in_talks":  # a need starts open; brokering moves it on
            r = client.patch(f"{API}/needs/{made[key]['id']}", json={"status": "in_talks"}, headers=staff)
            assert r.status_code == 200, r.get_json()
            made[key] = r.get_json()
    return {doc["id"]: key for key, doc in made.items()}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", "abcde"),
        ("min_amount=5000000&max_amount=10000000", "bce"),  # bounds inclusive
        ("min_amount=5000001", "cde"),
        ("max_amount=1000000", "a"),
        ("max_amount=999999", ""),
        ("min_amount=10000000&max_amount=10000000", "ce"),
        ("industry=biomedicine", "cde"),
        ("industry=biomedicine&industry=new_energy&stage=startup", "cde"),
        ("instrument=equity&instrument=convertible", "bce"),
        ("instrument=equity&industry=new_energy", "b"),
        ("status=open", "abd"),
        ("status=draft&status=in_talks", "ce"),
        ("status=open&min_amount=2000000&instrument=guarantee&instrument=equity", "bd"),
    ],
)
def test_need_filters(reader, needs_catalogue, query, expected):
    client, staff = reader
    body = search(client, staff, "needs", query)
    assert sorted(needs_catalogue[i] for i in ids(body)) == sorted(expected)
    assert body["total"] == len(expected)


def test_need_facets_and_sort(reader, needs_catalogue):
    client, staff = reader
    body = search(client, staff, "needs", "status=open&status=in_talks")  # a, b, c, d
    assert body["facets"] == {
        "industry": {"new_energy": 2, "biomedicine": 2},
        "instrument": {"debt": 1, "equity": 2, "guarantee": 1},
        "stage": {"growth": 2, "startup": 2},
    }
    amounts = [item["amount"] for item in search(client, staff, "needs", "sort=-amount")["items"]]
    assert amounts == [50_000_000, 10_000_000, 10_000_000, 5_000_000, 1_000_000]
    order = [needs_catalogue[i] for i in ids(search(client, staff, "needs", "sort=amount&per_page=2&page=2"))]
    assert sorted(order) == ["c", "e"]
