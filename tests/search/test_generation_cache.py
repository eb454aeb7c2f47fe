"""The SQLite backend keeps what it derived from an index (a search's order, total and
facets; a need's ranking of institutions) until a write to that index commits, in this
process or another.  Two backends on one data folder stand for two server workers: each
has its own connection and its own cache."""
from __future__ import annotations

import pytest

from matchmaker.core.users import User
from matchmaker.matches.service import MatchService
from matchmaker.scoring.settings import default_settings
from matchmaker.search import Query, Terms, create_backend

from test_backend_contract import institution, need

FACETED = Query(filters=[Terms("status", ["open"])], facets=["instrument", "industry"], per_page=5)
STAFF = User({"id": "staff-1", "username": "staff", "role": "staff"})


@pytest.fixture
def workers(tmp_path):
    first, second = (create_backend({"DATA_DIR": str(tmp_path)}) for _ in range(2))
    first.init()
    second.init()
    yield first, second
    first.close()
    second.close()


def test_a_repeated_search_is_answered_from_the_cache_until_a_write(workers):
    first, _ = workers
    first.bulk_upsert("needs", [need(f"n{i}") for i in range(3)])
    before = first.search("needs", FACETED)
    hits = first.derived.hits
    again = first.search("needs", FACETED)
    assert first.derived.hits == hits + 1
    assert again.total == before.total == 3 and again.facets == before.facets
    first.create("needs", need("n9", instrument="equity"))
    after = first.search("needs", FACETED)
    assert after.total == 4 and after.facets["instrument"] == {"loan": 3, "equity": 1}


def test_a_write_by_another_worker_is_seen_by_the_next_search(workers):
    first, second = workers
    first.bulk_upsert("needs", [need("n1"), need("n2")])
    assert first.search("needs", FACETED).total == 2
    second.create("needs", need("n3", instrument="equity"))
    result = first.search("needs", FACETED)
    assert result.total == 3 and result.facets["instrument"] == {"loan": 2, "equity": 1}
    second.replace("needs", "n1", need("n1", status="closed"))
    assert [d["id"] for d in first.search("needs", FACETED).items] == ["n2", "n3"]
    second.delete("needs", "n2")
    assert first.search("needs", FACETED).total == 1


def test_a_write_to_one_index_keeps_the_cache_of_another(workers):
    first, second = workers
    first.bulk_upsert("needs", [need("n1")])
    first.search("needs", FACETED)
    second.create("institutions", institution("i1"))
    hits = first.derived.hits
    first.search("needs", FACETED)
    assert first.derived.hits == hits + 1


def test_changing_a_result_does_not_change_the_next_one(workers):
    first, _ = workers
    first.bulk_upsert("needs", [need("n1"), need("n2")])
    result = first.search("needs", FACETED)
    result.items[0]["title"] = "changed by a caller"
    result.items.clear()
    result.facets["instrument"]["loan"] = 99
    again = first.search("needs", FACETED)
    assert [d["title"] for d in again.items] == ["Working capital"] * 2
    assert again.facets["instrument"] == {"loan": 2}


def test_inside_a_transaction_searches_see_its_writes_and_a_rollback_leaves_no_trace(workers):
    first, second = workers
    first.bulk_upsert("needs", [need("n1")])
    first.search("needs", FACETED)
    with pytest.raises(RuntimeError):
        with first.transaction():
            first.create("needs", need("n2"))
            assert first.search("needs", FACETED).total == 2
            raise RuntimeError("undo")
    assert [d["id"] for d in first.search("needs", FACETED).items] == ["n1"]
    second.create("needs", need("n3"))  # a committed state of the same size as the rolled-back one
    assert [d["id"] for d in first.search("needs", FACETED).items] == ["n1", "n3"]


def test_a_restore_is_seen_by_every_worker(workers, tmp_path):
    first, second = workers
    first.bulk_upsert("needs", [need("n1")])
    first.backup(tmp_path / "copy.sqlite3")
    second.bulk_upsert("needs", [need("n2"), need("n3")])
    assert first.search("needs", FACETED).total == 3
    second.restore(tmp_path / "copy.sqlite3")
    assert [d["id"] for d in first.search("needs", FACETED).items] == ["n1"]


def test_matches_follow_a_change_to_an_institution_made_by_another_worker(workers):
    first, second = workers
    first.create("needs", need("n1", enterprise_id="e1"))
    first.bulk_upsert("institutions", [institution("i1"), institution("i2", instruments=["equity"])])
    service = MatchService(first, default_settings())

    def eligible() -> list[str]:
        result = service.matches(STAFF, "n1", {"per_page": 10})
        return [item["institution"]["id"] for item in result["items"] if item["eligible"]]

    assert eligible() == ["i1"]
    hits = first.derived.hits
    assert eligible() == ["i1"]
    assert first.derived.hits > hits  # the ranking came from the cache
    second.replace("institutions", "i2", institution("i2"))
    assert eligible() == ["i1", "i2"]
    second.replace("needs", "n1", need("n1", amount=900_000_000))  # a new version, past every ticket
    first_page = service.matches(STAFF, "n1", {"per_page": 10})["items"]
    assert all(not item["eligible"] for item in first_page)
