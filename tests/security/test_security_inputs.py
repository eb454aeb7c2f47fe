"""Bad input answers 4xx with a message for the field, never a 500: the replayed findings
(deep JSON, a 5,000-digit number, a lone surrogate, a year far out, CR/LF in ``next``),
then a hypothesis fuzz over the JSON bodies and the page forms."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import Actors, enterprise_doc, institution_doc, need_doc

API = "/api/v1"


def post_raw(client, path, text, headers=None):
    return client.post(path, data=text.encode("utf-8", "surrogatepass"), content_type="application/json", headers=headers or {})


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
], ids=["arrays", "objects"])
def test_deeply_nested_json_to_the_token_endpoint_is_422(client, body):
    r = post_raw(client, f"{API}/auth/token", body)
    assert r.status_code == 422
    assert "nested deeper" in r.get_json()["errors"]["json"]["_schema"][0]


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_5000_digit_integer_is_422_naming_the_field(client, field):
    body = {"username": '"staff"', "password": '"x"', field: "9" * 5_000}
    r = post_raw(client, f"{API}/auth/token", "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}")
    assert r.status_code == 422
    assert "digit" in r.get_json()["errors"]["json"][field][0]


def test_a_lone_surrogate_in_a_text_field_is_422(client, actors):
    staff = actors.as_staff()
    body = json.dumps(institution_doc(name="滨海\ud800创投"))  # json.dumps writes it as the escape \ud800
    r = post_raw(client, f"{API}/institutions", body, staff)
    assert r.status_code == 422
    assert "surrogate" in r.get_json()["errors"]["json"]["name"][0]


@pytest.mark.parametrize("path, field", [
    ("/meetings", "starts_from"), ("/meetings", "starts_until"), ("/audit", "since"), ("/audit", "until"),
])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-10:00"])
def test_a_date_far_out_in_a_filter_is_422(client, actors, path, field, value):
    r = client.get(f"{API}{path}", query_string={field: value}, headers=actors.as_staff())
    assert r.status_code == 422
    assert field in r.get_json()["errors"]["query"]


def test_a_meeting_far_in_the_future_is_422(client, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    body = {"need_id": need, "institution_id": world["inst_a"]["id"], "location": "x",
            "starts_at": "9999-12-31T23:00:00-10:00", "ends_at": "9999-12-31T23:30:00-10:00"}
    r = client.post(f"{API}/meetings", json=body, headers=world["staff"])
    assert r.status_code == 422 and "starts_at" in r.get_json()["errors"]["json"]


@pytest.mark.parametrize("next_", ["/%0d%0aSet-Cookie:%20x=1", "/\r\nSet-Cookie: x=1", "/needs\x00"])
def test_cr_lf_in_next_is_not_followed(client, next_):
    r = client.get("/sign-in?next=" + next_)
    assert r.status_code < 500
    assert "Set-Cookie: x" not in str(r.headers)


# -- the fuzz ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, password_hash):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("fuzz")), "SECRET_KEY": "fuzz",
                      "WTF_CSRF_ENABLED": False, "SIGNIN_MAX_FAILURES": 10**6, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 10**6,
                      "RATELIMIT_ENABLED": False})
    get_backend(app).init()
    client = app.test_client()
    actors = Actors(app, client, password_hash)
    staff = actors.as_staff()
    inst = client.post(f"{API}/institutions", json=institution_doc(), headers=staff).get_json()
    ent = client.post(f"{API}/enterprises", json=enterprise_doc(), headers=staff).get_json()
    need = client.post(f"{API}/needs", json=need_doc(ent["id"]), headers=staff).get_json()
    actors.user("fuzzstaff", "staff")
    app.fuzz = {"staff": staff, "inst": inst["id"], "ent": ent["id"], "need": need["id"]}
    yield app
    get_backend(app).close()


BIG = -424242.5  # written as a 5,000-digit number (Python cannot even print one by default)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\udfffb", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "99999-01-01",
                     "1e999", "NaN", "-0", "=1+1", "\r\n", "\x00"]),
)
BIG_NUMBERS = st.one_of(st.integers(min_value=-(10**40), max_value=10**40), st.just(BIG), st.floats())
LEAVES = st.one_of(st.none(), st.booleans(), BIG_NUMBERS, HOSTILE_TEXT)
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=12)


def to_json(value, depth: int) -> str:
    """JSON text as an attacker writes it: surrogates as escapes, huge numbers, NaN, deep nests."""
    text = json.dumps(value, allow_nan=True).replace(str(BIG), "9" * 5000)  # surrogates stay \\ud800 escapes
    return "[" * depth + text + "]" * depth


def body_for(app, path: str, field_values: dict) -> dict:
    f = app.fuzz
    base = {"/auth/token": {"username": "fuzzstaff", "password": "x"},
            "/needs": need_doc(f["ent"]), "/institutions": institution_doc(), "/enterprises": enterprise_doc(),
            "/meetings": {"need_id": f["need"], "institution_id": f["inst"], "starts_at": "2030-03-04T10:00:00+08:00",
                          "ends_at": "2030-03-04T11:00:00+08:00", "location": "x"},
            "/interests": {"need_id": f["need"], "institution_id": f["inst"], "response": "interested"},
            "/saved-searches": {"institution_id": f["inst"], "name": "x", "query": {}}}[path]
    return {**base, **field_values}


PATHS = ["/auth/token", "/needs", "/institutions", "/enterprises", "/meetings", "/interests", "/saved-searches"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), replace=st.dictionaries(st.sampled_from(
    ["username", "password", "title", "name", "amount", "starts_at", "ends_at", "founded", "status", "query", "financials",
     "requirements", "note", "ticket_min", "equity_offered_pct", "employees"]), VALUES, max_size=3),
    depth=st.sampled_from([0, 0, 0, 2, 40, 3000]))
def test_no_json_body_makes_a_5xx(fuzz_app, path, replace, depth):
    client = fuzz_app.test_client()
    body = to_json(body_for(fuzz_app, path, replace), depth)
    r = post_raw(client, f"{API}{path}", body, fuzz_app.fuzz["staff"])
    assert r.status_code < 500, (r.status_code, body[:300], r.get_data(as_text=True)[:300])


FORM_PAGES = ["/sign-in", "/enterprises/{ent}/edit", "/enterprises/{ent}/needs/new", "/institutions/{inst}/edit",
              "/meetings/new?need_id={need}&institution_id={inst}"]
FORM_FIELDS = ["username", "password", "next", "name", "founded", "registered_capital", "title", "amount", "instrument",
               "equity_offered_pct", "starts_at", "ends_at", "location", "ticket_min", "financials.0.year", "description"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(page=st.sampled_from(FORM_PAGES), form=st.dictionaries(st.sampled_from(FORM_FIELDS), st.one_of(
    HOSTILE_TEXT, st.sampled_from(["9" * 5000, "1e999", "-1", "0001-01-01", "9999-12-31", "2012-02-30", "9999-12-31T23:59"])),
    max_size=5))
def test_no_form_post_makes_a_5xx(fuzz_app, page, form):
    client = fuzz_app.test_client()
    from tests.conftest import PASSWORD

    assert client.post("/sign-in", data={"username": "fuzzstaff", "password": PASSWORD}).status_code == 302
    path = page.format(**fuzz_app.fuzz)
    data = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}
    r = client.post(path, data=data)
    assert r.status_code < 500, (r.status_code, path, form, r.get_data(as_text=True)[:300])
