"""Property tests (hypothesis) for the document schemas and the query parser.

- Validation of any input, JSON-like junk or a valid document with one thing broken, either
  succeeds or raises our ``matchmaker.errors.ValidationError``: never another exception.
- A valid document's loaded form validates again to itself.
- ``tokenize`` never raises, and gives lower-case, non-empty tokens without spaces.
- Any search string gets a 200 from the needs and institutions searches.
"""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import enterprise_doc, institution_doc, need_doc
from matchmaker.accounts.schemas import PasswordChangeSchema, TokenRequestSchema, UserCreateSchema, UserUpdateSchema
from matchmaker.core.schemas import MAX_MONEY, validate_with
from matchmaker.enterprises.schemas import EnterpriseSchema, EnterpriseUpdateSchema
from matchmaker.errors import ValidationError
from matchmaker.institutions.schemas import InstitutionSchema, InstitutionUpdateSchema
from matchmaker.needs.schemas import NeedSchema, NeedUpdateSchema
from matchmaker.search.analysis import analyzed, tokenize

API = "/api/v1"
SETTINGS = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- strategies ------------------------------------------------------------------------------
#: what json.loads can give: besides the usual, integers far beyond 64 bits and odd floats
scalars = (st.none() | st.booleans() | st.integers()
           | st.sampled_from([0, -1, MAX_MONEY, MAX_MONEY + 1, 2**63, -(2**63) - 1, 10**400, -(10**400)])
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e308, -1e308, 0.5, 1e-320])
           | st.text(max_size=30)
           | st.sampled_from(["", " ", "2012-05-01", "2999-01-01", "1900-02-29", "equity", "open", "staff",
                              "new_energy", "growth", "x" * 6000, "\x00", "电池", "NaN", "Infinity", "1e400"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)

KEYS = {  # a document's field names, so junk lands on real fields and not only on unknown ones
    "institution": list(institution_doc()) + ["requirements.min_revenue", "requirements.min_years", "version"],
    "enterprise": list(enterprise_doc()) + ["financials.0.year", "financials.0.revenue", "financials.1.year",
                                            "financials.0.net_profit_deducted", "version"],
    "need": list(need_doc("e1")) + ["term_months", "version"],
    "user": ["username", "display_name", "role", "enterprise_id", "institution_id", "active", "password", "version"],
}


def user_doc() -> dict:
    return {"username": "zhang.wei", "display_name": "张伟", "role": "enterprise", "enterprise_id": "e1",
            "password": "correct horse battery", "active": True}


CASES = {  # (schemas, a valid document, its field names)
    "institution": ((InstitutionSchema, InstitutionUpdateSchema), institution_doc, KEYS["institution"]),
    "enterprise": ((EnterpriseSchema, EnterpriseUpdateSchema), enterprise_doc, KEYS["enterprise"]),
    "need": ((NeedSchema, NeedUpdateSchema), lambda: need_doc("e1"), KEYS["need"]),
    "user": ((UserCreateSchema, UserUpdateSchema), user_doc, KEYS["user"]),
}


def _set(doc: dict, dotted: str, value) -> None:
    """Set ``a.b.0.c`` in a document, as far as the path exists; otherwise at the top."""
    *parents, last = dotted.split(".")
    target = doc
    for part in parents:
        nxt = target[int(part)] if isinstance(target, list) and part.isdigit() and int(part) < len(target) else (
            target.get(part) if isinstance(target, dict) else None)
        if not isinstance(nxt, (dict, list)):
            doc[dotted] = value
            return
        target = nxt
    if isinstance(target, list):
        if last.isdigit() and int(last) < len(target):
            target[int(last)] = value
    else:
        target[last] = value


@st.composite
def mutated(draw, kind: str) -> dict:
    """A valid document of ``kind`` with one to three things changed: a field dropped, set to junk, added."""
    _, factory, keys = CASES[kind]
    doc = copy.deepcopy(factory())
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "junk", "junk", "unknown"]))
        key = draw(st.sampled_from(keys))
        if action == "drop":
            doc.pop(key.split(".")[0], None)
        elif action == "junk":
            _set(doc, key, draw(json_values))
        else:
            doc[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return doc


def _only_our_error(schema_class, data) -> dict | None:
    """Validate; only our ValidationError may come out (anything else fails the test)."""
    try:
        return validate_with(schema_class(), data)
    except ValidationError as exc:
        assert exc.status_code == 422 and isinstance(exc.fields, dict) and exc.fields
        return None


# -- schemas ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(CASES))
@SETTINGS
@given(data=json_values)
def test_any_json_validates_or_raises_our_error(kind, data):
    for schema_class in CASES[kind][0]:
        _only_our_error(schema_class, data)
        if isinstance(data, dict):  # and with its keys among the document's own
            _only_our_error(schema_class, {**CASES[kind][1](), **data})


@pytest.mark.parametrize("kind", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_near_valid_documents_validate_or_raise_our_error(kind, data):
    doc = data.draw(mutated(kind))
    for schema_class in CASES[kind][0]:
        loaded = _only_our_error(schema_class, doc)
        if loaded is not None:  # what validated once validates again to itself
            assert validate_with(schema_class(), copy.deepcopy(loaded)) == loaded


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_valid_documents_are_valid(kind):
    for schema_class in CASES[kind][0]:
        loaded = validate_with(schema_class(), CASES[kind][1]())
        assert validate_with(schema_class(), copy.deepcopy(loaded)) == loaded


@SETTINGS
@given(data=json_values, schema_class=st.sampled_from([TokenRequestSchema, PasswordChangeSchema]))
def test_credentials_validate_or_raise_our_error(data, schema_class):
    _only_our_error(schema_class, data)


# -- the query parser ------------------------------------------------------------------------
#: text as people (and attackers) type it: CJK, Latin with accents, FTS5 syntax, control characters
search_text = st.text(max_size=200) | st.lists(st.sampled_from(
    ["电池", "新能源汽车", "融资担保", "patents", "Batteries", "ÉCOLE", "ǅ", "İstanbul", "ß", "ﬁnance", "Ⅻ", "①",
     '"', '""', "'", "*", "^", "-", "+", ":", "(", ")", "NEAR(", "AND", "OR", "NOT", "{a b}", "col:x", "_", "\x00",
     "\u200b", "\u0301", "the", "a", " ", "\t", "ｅｑｕｉｔｙ", "１２３", "한국어", "カタカナ", "ひらがな", "𠀀𠀁", "\ufeff"]),
    max_size=12).map("".join)


@SETTINGS
@given(text=search_text | st.none())
def test_tokenize_never_raises_and_gives_clean_tokens(text):
    tokens = tokenize(text)
    assert isinstance(tokens, list)
    for token in tokens:
        assert token and isinstance(token, str)
        assert token == token.lower()
        assert not any(ch.isspace() for ch in token)
    # the index holds analyzed(text): splitting it on spaces gives the tokens back
    assert analyzed(text).split() == tokens


cjk_text = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
                   | st.sampled_from(list(" ,.;!?，。、（）《》1234567890０１２")), max_size=60)


@SETTINGS
@given(text=cjk_text)
def test_tokenize_is_idempotent_on_cjk_and_digits(text):
    """Bigrams, lone characters and numbers analyse to themselves: re-analysing the index text changes nothing."""
    assert tokenize(analyzed(text)) == tokenize(text)


# -- the API ---------------------------------------------------------------------------------
@pytest.fixture
def staff_with_data(client, actors):
    staff = actors.as_staff()
    for body in (institution_doc(), institution_doc(name="华苑科技融资担保有限公司", type="guarantee", instruments=["guarantee"])):
        assert client.post(f"{API}/institutions", json=body, headers=staff).status_code == 201
    enterprise = client.post(f"{API}/enterprises", json=enterprise_doc(), headers=staff).get_json()
    assert client.post(f"{API}/needs", json=need_doc(enterprise["id"]), headers=staff).status_code == 201
    return staff


@settings(SETTINGS, max_examples=100)
@given(text=search_text.filter(lambda t: len(t) <= 500), path=st.sampled_from(["needs", "institutions"]),
       relaxed=st.booleans())
def test_any_search_string_is_answered(client, staff_with_data, text, path, relaxed):
    query = {"q": text, **({"instrument": "equity"} if relaxed else {})}
    response = client.get(f"{API}/{path}", query_string=query, headers=staff_with_data)
    assert response.status_code == 200, (text, response.get_json(silent=True))
    body = response.get_json()
    assert isinstance(body["items"], list)
