"""Record bodies are written and read by orjson: what is read equals what the standard
library read (bodies it wrote before stay as they were read), and an integer orjson would
read back as a float (past 64 bits) is refused on every write path, with nothing written."""
from __future__ import annotations

import gzip
import json

import pytest

from matchmaker.errors import IntegerPastRecords
from matchmaker.records.store import dump, load
from matchmaker.search import Query
from tests.search.test_backend_contract import need
from tests.search.test_embedded import backend  # noqa: F401 (the fixture)

TOO_LONG = [2**64, -2**63 - 1, 10**40]
TRICKY = [
    {"title": "电池 储能 \u2028 \u0000 \"quoted\" \\ é 😀", "b": 1, "a": 2},  # unicode, escapes, key order
    {"f": [0.1, 1e16, 1e-7, -0.0, 5e-324, 1.7976931348623157e308, 123456789.123456789, 1.0]},
    {"i": [0, -1, 2**53 + 1, 2**63 - 1, -2**63, 2**64 - 1, -(10**18)]},
    {"nan": float("nan"), "inf": float("inf"), "minus_inf": float("-inf"), "none": None},
    {"digits": "1234567890123456789012345", "code": "91310000MA1FL8XXXX"},
    {"deep": json.loads("[" * 300 + "]" * 300)},
    {"n": None, "t": True, "f": False, "empty": {}, "list": []},
]


def same(a, b) -> bool:
    """Equal, NaN equal to NaN, with key order, and ints not floats (repr says each)."""
    return repr(a) == repr(b)


@pytest.mark.parametrize("body", TRICKY + [{"big": n} for n in TOO_LONG] + [{1: "one", None: "none", 2.5: "x"}])
def test_a_body_the_standard_library_wrote_reads_as_it_read_it(body):
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    assert same(load(text), json.loads(text))
    assert same(load(text.encode("utf-8")), json.loads(text))
    spaced = json.dumps(body, ensure_ascii=True)  # the sqlite backend's bodies, migrated as they were
    assert same(load(spaced), json.loads(spaced))


@pytest.mark.parametrize("body", TRICKY + [{1: "one", None: "none", True: "t"}])
def test_a_body_written_reads_as_the_standard_library_reads_it(body):
    text = dump(body)
    assert same(load(text), json.loads(text))
    assert same(load(text), json.loads(json.dumps(body)))  # NaN stays NaN, keys become text as before


@pytest.mark.parametrize("number", TOO_LONG)
def test_an_integer_past_64_bits_is_refused_naming_its_field(number):
    with pytest.raises(IntegerPastRecords) as refused:
        dump({"a": 1, "deal": {"rounds": [1, {"shares": number}]}})
    assert refused.value.status_code == 422
    assert refused.value.fields == {"deal.rounds.1.shares": [str(refused.value.message)]}
    with pytest.raises(IntegerPastRecords):
        dump({1: "a key that is not text", "b": number})


def test_every_write_path_refuses_an_integer_past_64_bits_and_writes_nothing(backend, tmp_path):
    backend.create("needs", need("kept", title="电池 kept", amount=5))
    with pytest.raises(IntegerPastRecords):
        backend.create("needs", need("huge", title="电池 huge", amount=2**64))
    with pytest.raises(IntegerPastRecords):
        backend.replace("needs", "kept", need("kept", title="电池 kept", amount=2**64))
    assert backend.get("needs", "huge") is None
    assert backend.get("needs", "kept")["amount"] == 5 and backend.get("needs", "kept")["version"] == "1"

    docs = [need("good", title="电池 good"), need("bad", title="电池 bad", amount=-2**63 - 1)]
    for prepared in (None, backend.prepare_bulk("needs", docs)):
        result = backend.bulk_upsert("needs", docs, prepared)
        assert [(e.position, e.id) for e in result.errors] == [(1, "bad")]
        assert "past 64 bits" in result.errors[0].message
        assert backend.get("needs", "bad") is None and backend.get("needs", "good") is not None

    backend.backup(tmp_path / "all.jsonl.gz")
    lines = gzip.open(tmp_path / "all.jsonl.gz", "rt", encoding="utf-8").read().splitlines()
    doctored = [line.replace('"amount":5', '"amount":18446744073709551616').replace('"amount": 5', '"amount": 18446744073709551616')
                for line in lines]
    assert doctored != lines
    with gzip.open(tmp_path / "bad.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("\n".join(doctored) + "\n")
    with pytest.raises(IntegerPastRecords):
        backend.restore(tmp_path / "bad.jsonl.gz")
    assert backend.get("needs", "kept")["amount"] == 5  # the restore's transaction rolled back
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"kept", "good"}


def test_stored_bodies_the_standard_library_wrote_read_as_before(backend):
    """Bodies written before (json.dumps, NaN, integers past 64 bits) read identically by id,
    in a page and in a scan."""
    bodies = {f"old{n}": {**need(f"old{n}", title="电池 old"), "extra": body} for n, body in enumerate(TRICKY[:5])}
    bodies["old-big"] = {**need("old-big", title="电池 old"), "extra": {"big": 2**64, "small": -2**63 - 1}}
    with backend.store.transaction():
        backend.store.upsert_many("needs", [(doc_id, json.dumps({k: v for k, v in body.items() if k != "id"}, ensure_ascii=False))
                                            for doc_id, body in bodies.items()])
    expected = {doc_id: json.loads(json.dumps(body)) for doc_id, body in bodies.items()}
    for doc_id, body in expected.items():
        assert same(backend.get("needs", doc_id)["extra"], body["extra"])
    assert all(same(doc["extra"], expected[doc_id]["extra"]) for doc_id, doc in backend.get_many("needs", list(bodies)).items())
    assert all(same(doc["extra"], expected[doc["id"]]["extra"]) for doc in backend.scan("needs"))
    with backend.store.transaction():  # SQLAlchemy's read, not the driver's
        assert all(same(doc["extra"], expected[doc_id]["extra"])
                   for doc_id, doc in backend.store.get_many("needs", list(bodies)).items())
