"""What the embedded backend (records + tantivy index) adds to the contract: records first, the index derived.

A write stands when the index fails (searches then answer 503, and catch up once it
is back); rows a killed process left in the outbox are indexed at the next start;
``reindex`` under concurrent writes loses none of them; a data folder of the former
SQLite FTS5 backend is migrated on first start, versions kept.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
from pathlib import Path

import pytest

from matchmaker.errors import SearchUnavailable
from matchmaker.search import Query, Terms, create_backend
from matchmaker.search.tantivy_index import TantivyIndex
from tests.search.test_backend_contract import institution, need

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sqlite-data-folder"


def embedded(data_dir, **config):
    backend = create_backend({"DATA_DIR": data_dir, **config})
    backend.init()
    return backend


@pytest.fixture
def backend(tmp_path):
    backend = embedded(tmp_path)
    yield backend
    backend.close()


def test_a_write_stands_when_the_index_fails_and_is_indexed_when_it_is_back(backend, monkeypatch):
    backend.create("needs", need("before", title="电池 before"))

    def broken(self, docs):
        raise OSError("disk full")

    monkeypatch.setattr(TantivyIndex, "upsert", broken)
    stored = backend.create("needs", need("during", title="电池 during"))  # no error: the record is written
    assert backend.get("needs", "during") == stored
    assert backend.store.lag() == 1  # its row waits
    with pytest.raises(SearchUnavailable):
        backend.search("needs", Query(text="电池"))

    monkeypatch.undo()
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"before", "during"}
    assert backend.store.lag() == 0


def test_rows_left_by_a_killed_process_are_indexed_at_the_next_start(tmp_path):
    first = embedded(tmp_path)
    first.store.create("needs", "orphan", {k: v for k, v in need("orphan", title="储能 orphan").items() if k != "id"})
    assert first.store.lag() == 1  # committed, never drained: as if killed right after the commit
    first.close()
    second = embedded(tmp_path)
    try:
        assert [d["id"] for d in second.search("needs", Query(text="储能")).items] == ["orphan"]
    finally:
        second.close()


def test_reindex_while_writes_go_on_loses_none_of_them(backend):
    backend.bulk_upsert("needs", [need(f"old{i:03d}") for i in range(300)])
    stop, written, errors = threading.Event(), [], []

    def writer():
        n = 0
        while not stop.is_set() or n < 20:
            try:
                backend.create("needs", need(f"new{n:04d}", title="写入 written during the rebuild"))
                written.append(f"new{n:04d}")
            except Exception as exc:  # any failure of a write is what this test looks for
                errors.append(exc)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        old_generation = backend.folders.current_name()
        counts = backend.reindex()
        assert backend.folders.current_name() != old_generation
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert counts["needs"] >= 300
    hits = backend.search("needs", Query(per_page=0))
    assert hits.total == 300 + len(written) == backend.store.count("needs")
    assert set(written) <= {d["id"] for d in backend.scan("needs")}
    assert backend.count("needs", Query(text="写入")) == len(written)


def test_a_second_process_sees_a_swap(tmp_path):
    one, two = embedded(tmp_path), embedded(tmp_path)
    try:
        one.create("institutions", institution("bank"))
        assert two.count("institutions") == 1
        two.reindex()
        one.create("institutions", institution("fund", type="government_fund"))
        assert one.folders.current_name() == two.folders.current_name()
        assert two.search("institutions", Query(facets=["type"])).facets["type"] == {"bank": 1, "government_fund": 1}
    finally:
        one.close()
        two.close()


def test_a_data_folder_of_the_sqlite_backend_is_migrated_on_first_start(tmp_path, caplog):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    with caplog.at_level(logging.WARNING):
        backend = embedded(data)
    try:
        assert any("migrated" in r.getMessage() and "matchmaker.sqlite3" in r.getMessage() for r in caplog.records)
        assert backend.notices and "migrated" in backend.notices[0]
        assert backend.count("institutions") == 2 and backend.count("needs") == 3
        assert backend.get("needs", "n1")["version"] == "2"  # versions kept: an If-Match still holds
        assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"n1", "n2"}
    finally:
        backend.close()
    again = embedded(data)  # once only: a second start takes nothing again
    try:
        assert again.notices == [] and again.get("needs", "n1")["version"] == "2"
    finally:
        again.close()


def test_an_index_an_earlier_release_built_is_rebuilt_from_the_records_at_start(tmp_path, caplog):
    """A generation built for another layout of the engine (an earlier release's: no
    indexing order in its documents) is rebuilt on the first start, which says so."""
    first = embedded(tmp_path)
    first.create("needs", need("n1", title="电池"))
    old = first.folders.current_name()
    fingerprint = first.folders.root / old / "mappings.json"
    first.close()
    earlier = json.loads(fingerprint.read_text())
    del earlier["layout"]  # what the release before it wrote
    fingerprint.write_text(json.dumps(earlier))
    with caplog.at_level(logging.WARNING):
        again = embedded(tmp_path)
    try:
        assert again.folders.current_name() != old
        assert again.notices and "rebuilt the search index from the records (1 document(s))" in again.notices[0]
        assert any("rebuilding the search index" in r.getMessage() for r in caplog.records)
        assert [d["id"] for d in again.search("needs", Query(text="电池")).items] == ["n1"]
        rebuilt = again.folders.current_name()
    finally:
        again.close()
    third = embedded(tmp_path)  # once only
    try:
        assert third.notices == [] and third.folders.current_name() == rebuilt
    finally:
        third.close()


def test_a_count_inside_a_transaction_sees_the_transaction_and_every_commit(backend):
    backend.create("needs", need("a", status="open"))
    with backend.transaction():
        backend.create("needs", need("b", status="open"))
        assert backend.count("needs", Query(filters=[Terms("status", ["open"])])) == 2
        assert backend.count("needs", Query(text="Working")) == 2
    assert backend.count("needs", Query(filters=[Terms("status", ["open"])])) == 2


def test_held_writes_are_indexed_together_at_release_or_before_an_own_search(backend):
    backend.hold_indexing()  # as for one request
    backend.create("needs", need("h1", title="电池 held"))
    backend.create("audit", {"action": "create", "kind": "need", "doc_id": "h1"})
    assert backend.store.lag() == 2  # not drained one by one
    assert [d["id"] for d in backend.search("needs", Query(text="电池")).items] == ["h1"]  # reads its writes
    backend.create("needs", need("h2", title="电池 second"))
    assert backend.store.lag() == 1
    backend.release_indexing()
    assert backend.store.lag() == 0
    backend.create("needs", need("h3", title="电池 after"))  # released: at once again
    assert backend.store.lag() == 0


def test_the_last_writer_keeps_the_index_lock_and_hands_it_over_when_another_asks(tmp_path):
    """Two backends on one folder (two lock descriptions, as two worker processes have):
    the one that drained last keeps the lock and its writers, and lets go as soon as the
    other waits -- well inside a second, not after its idle time (KEEP_IDLE, 2 s)."""
    one, two = embedded(tmp_path), embedded(tmp_path)
    try:
        one.create("needs", need("a", title="电池 one"))
        assert one.indexer._keeps()
        two.store.create("needs", "b", {k: v for k, v in need("b", title="电池 two").items() if k != "id"})
        assert two.indexer.drain(timeout=1.0)  # had the lock within the second
        assert two.indexer._keeps() and not one.indexer._keeps()
        assert {d["id"] for d in one.search("needs", Query(text="电池")).items} == {"a", "b"}
        one.create("needs", need("c", title="电池 three"))  # and back
        assert one.indexer._keeps() and not two.indexer._keeps()
        assert two.count("needs", Query(text="电池")) == 3
    finally:
        one.close()
        two.close()


def test_prepared_import_batches_are_indexed_as_made_unless_written_again(backend):
    from matchmaker.search.indexer import Known

    docs = [need("a", title="电池 imported"), need("b", title="电池 imported")]
    prepared = backend.prepare_bulk("needs", docs)
    assert prepared is not None and len(prepared) == 2
    assert backend.bulk_upsert("needs", docs, prepared).indexed == 2
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"a", "b"}
    assert backend.get("needs", "a")["title"] == "电池 imported"
    # a batch made before a later write of the same record: the record is read again
    mark = backend.store.marks("needs", ["a"])["a"]
    stale = [need("a", title="电池 stale")]
    made = backend.prepare_bulk("needs", stale)
    backend.store.replace("needs", "a", {k: v for k, v in need("a", title="储能 newer").items() if k != "id"})
    assert backend.indexer.drain(known=Known().add("needs", {"a": (mark, {**stale[0]}, made[0][1])}))
    assert {d["id"] for d in backend.search("needs", Query(text="储能")).items} == {"a"}
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"b"}


def test_a_held_transaction_of_prepared_batches_is_indexed_as_made_across_a_drain(backend, monkeypatch):
    """An import stores a batch of enterprises and their readiness snapshots in one
    transaction: when the documents held reach HELD_DOCS with the first bulk write's, the
    drain comes after the transaction's later ones joined them, not before (it read their
    records back and made their index documents again)."""
    from matchmaker.search import embedded, indexer

    monkeypatch.setattr(embedded, "HELD_DOCS", 2)
    remade = []
    monkeypatch.setattr(indexer, "upsert_each", lambda target, index, docs: remade.extend(d["id"] for d in docs))
    first = [need("a", title="电池 first"), need("b", title="电池 first")]
    then = [institution("i", name="电池 bank")]
    with backend.bulk_load():
        with backend.transaction():
            backend.bulk_upsert("needs", first, backend.prepare_bulk("needs", first))
            backend.bulk_upsert("institutions", then, backend.prepare_bulk("institutions", then))
        backend._settle_aside()
        assert backend.store.lag() == 0  # drained after the commit: HELD_DOCS reached
    assert remade == []
    assert {d["id"] for d in backend.search("institutions", Query(text="电池")).items} == {"i"}
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"a", "b"}


def _watch_drains(monkeypatch) -> list[tuple[str, list[str]]]:
    """(thread name, ids staged) of each staging of outbox rows into the index."""
    from matchmaker.search import indexer

    staged, real = [], indexer.stage_rows

    def watched(store, indexes, rows, known=None):
        staged.append((threading.current_thread().name, [doc_id for _, _, doc_id in rows]))
        return real(store, indexes, rows, known)

    monkeypatch.setattr(indexer, "stage_rows", watched)
    return staged


def test_a_bulk_load_s_held_documents_are_drained_aside_while_it_goes_on(backend, monkeypatch):
    """A drain of HELD_DOCS documents runs in a thread of its own, applying the rows
    committed when it was handed over and no later one: those are the next drain's, with
    the documents made for them (none is read back and made again)."""
    from matchmaker.search import embedded, indexer

    monkeypatch.setattr(embedded, "HELD_DOCS", 2)
    remade = []
    monkeypatch.setattr(indexer, "upsert_each", lambda target, index, docs: remade.extend(d["id"] for d in docs))
    staged = _watch_drains(monkeypatch)
    go_on = threading.Event()
    real = embedded._DrainAside._run

    def held_back(self, *args):
        go_on.wait(10)  # the load stores its next batch before this drain starts
        real(self, *args)

    monkeypatch.setattr(embedded._DrainAside, "_run", held_back)
    first, then = [need("a", title="电池 a"), need("b", title="电池 b")], [need("c", title="电池 c")]
    with backend.bulk_load():
        for batch in (first, then):
            with backend.transaction():
                backend.bulk_upsert("needs", batch, backend.prepare_bulk("needs", batch))
        go_on.set()
    assert staged == [("matchmaker-held-drain", ["a", "b"]), (threading.current_thread().name, ["c"])]
    assert remade == []
    assert backend.store.lag() == 0
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"a", "b", "c"}


def test_a_drain_aside_that_fails_fails_the_bulk_load_and_its_rows_wait(backend, monkeypatch):
    from matchmaker.search import embedded

    monkeypatch.setattr(embedded, "HELD_DOCS", 2)

    def broken(self, *args, **kwargs):
        raise RuntimeError("the drain broke")

    monkeypatch.setattr(type(backend.indexer), "drain", broken)
    batch = [need("a", title="电池 a"), need("b", title="电池 b")]
    with pytest.raises(RuntimeError, match="the drain broke"):
        with backend.bulk_load():
            with backend.transaction():
                backend.bulk_upsert("needs", batch, backend.prepare_bulk("needs", batch))
    assert backend.store.lag() == 2  # the records stand, their rows wait
    monkeypatch.undo()
    assert backend.indexer.drain()  # the next drain (a write's, the next start's) takes them
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"a", "b"}


def test_closing_waits_for_a_drain_aside(backend, monkeypatch):
    """An import closes the backend before it forks its workers: a drain still running
    aside finishes first (its store and index are not closed under it)."""
    from matchmaker.search import embedded

    monkeypatch.setattr(embedded, "HELD_DOCS", 2)
    staged = _watch_drains(monkeypatch)
    real = embedded._DrainAside._run
    monkeypatch.setattr(embedded._DrainAside, "_run", lambda self, *args: (threading.Event().wait(0.3), real(self, *args)))
    batch = [need("a", title="电池 a"), need("b", title="电池 b")]
    with backend.bulk_load():
        with backend.transaction():
            backend.bulk_upsert("needs", batch, backend.prepare_bulk("needs", batch))
        backend.close()
        assert staged == [("matchmaker-held-drain", ["a", "b"])]
    assert backend.store.lag() == 0


def test_scans_narrow_on_numbers_in_sql():
    """Ranges and Terms of numbers on top-level numeric fields go to the records store's
    SQL (a scan for amounts then reads only those records); booleans and nested fields
    are left to the check every record passes."""
    from matchmaker.search import Range
    from matchmaker.search.embedded import _narrowing
    from matchmaker.search.mappings import load_indexes

    spec = load_indexes()["needs"]
    equal, between = _narrowing(spec, [Range("amount", gte=100, lte=None), Terms("term_months", [6, 12]),
                                       Terms("status", ["open"]), Terms("amount", [True]), Range("enterprise.founded", gte=1)])
    assert between == {"amount": (100, None)}
    assert equal == {"term_months": [6, 12], "status": ["open"]}


def test_a_numeric_scan_reads_only_the_records_it_needs(backend):
    backend.bulk_upsert("needs", [need(f"n{i:03d}", amount=i * 1000) for i in range(300)])
    read = []
    original = backend.store._doc

    def counting(*row):
        read.append(row[0])
        return original(*row)

    backend.store._doc = counting
    from matchmaker.search import Range

    assert [d["id"] for d in backend.scan("needs", Query(filters=[Range("amount", gte=295_000)]))] == [
        f"n{i:03d}" for i in range(295, 300)]
    assert len(read) == 5


def test_a_record_the_index_refuses_is_kept_and_left_out_of_search_and_its_batch_is_indexed_once(backend, caplog):
    """tantivy reads each index document as JSON (``add_json``) and refuses one whose value
    does not fit its field (an integer past 64 signed bits): that record stands, is logged
    and left out of search, and the others of its batch -- staged before it, then again
    each alone -- are found once each."""
    before, after = need("before", title="电池 before"), need("after", title="电池 after")
    odd = need("odd", title="电池 odd", term_months=2**63)
    with caplog.at_level(logging.ERROR, logger="matchmaker.search.indexer"):
        result = backend.bulk_upsert("needs", [before, odd, after])
    assert result.indexed == 3 and not result.errors
    assert backend.get("needs", "odd")["term_months"] == 2**63  # the record stands
    assert any("odd cannot be indexed" in message for message in caplog.messages)
    found = backend.search("needs", Query(text="电池", per_page=10))
    assert sorted(d["id"] for d in found.items) == ["after", "before"] and found.total == 2
    assert backend.store.lag() == 0
