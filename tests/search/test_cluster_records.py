"""What the cluster backends add to the contract: records in the database, the cluster's indexes derived.

On the shared OpenSearch (MATCHMAKER_TEST_OPENSEARCH_URL), under a prefix of this test's
own: a write stands when the cluster refuses it (searches then answer 503, and catch up
once it is back); ``reindex`` under concurrent writes loses none of them (the embedded
engine's own test, run here on the cluster); a new mapping file makes ``init`` rebuild
the indexes from the records; a swap by another process is seen at once; documents a
cluster of an earlier version held as the only copy are taken into the records; an import
refreshes the cluster once at its end, and a refresh that failed is made by the next
drain.  The whole cluster
going away is ``test_cluster_down.py`` (a node of its own).
"""
from __future__ import annotations

import json
import shutil
import time

import pytest
import requests

from matchmaker.errors import SearchUnavailable
from matchmaker.search import Query, create_backend
from matchmaker.search.cluster_records import ClusterIndex, RecordsClusterBackend
from matchmaker.search.connection import cluster_settings
from matchmaker.search.mappings import MAPPINGS_DIR, load_indexes
from matchmaker.search.opensearch import OpenSearchBackend
from tests.engines import drop_indices, engine_url, unique_prefix
from tests.search.test_backend_contract import institution, need
from tests.search.test_embedded import test_reindex_while_writes_go_on_loses_none_of_them as reindex_under_writes


@pytest.fixture
def prefix():
    name = unique_prefix()
    yield name
    drop_indices(engine_url("opensearch"), name)


def cluster_backend(data_dir, prefix, **config) -> RecordsClusterBackend:
    backend = create_backend({"SEARCH_BACKEND": "opensearch", "SEARCH_URL": engine_url("opensearch"),
                              "INDEX_PREFIX": prefix, "DATA_DIR": data_dir, **config})
    backend.init()
    return backend


@pytest.fixture
def backend(os_backend):
    """The run's OpenSearch backend (tests/search/conftest.py), emptied: its ~50 indexes are
    made once, not for each test."""
    os_backend.reset()
    return os_backend


@pytest.mark.slow  # a rebuild of every index on a cluster: 10-20 s
def test_reindex_while_writes_go_on_loses_none_of_them(tmp_path, prefix):
    """The embedded engine's own test, run here on the cluster, on indexes of its own."""
    backend = cluster_backend(tmp_path, prefix)
    try:
        reindex_under_writes(backend)
    finally:
        backend.close()


def test_a_write_stands_when_the_cluster_refuses_it_and_is_indexed_when_it_is_back(backend, monkeypatch):
    backend.create("needs", need("before", title="电池 before"))

    def away(self, docs):
        raise SearchUnavailable("the search engine cannot be reached", retry_after=7)

    monkeypatch.setattr(ClusterIndex, "upsert", away)
    stored = backend.create("needs", need("during", title="电池 during"))  # no error: the record is written
    assert backend.get("needs", "during") == stored
    assert backend.store.lag() == 1  # its row waits
    with pytest.raises(SearchUnavailable) as refused:
        backend.search("needs", Query(text="电池"))
    assert refused.value.retry_after == 7

    monkeypatch.undo()
    assert {d["id"] for d in backend.search("needs", Query(text="电池")).items} == {"before", "during"}
    assert backend.store.lag() == 0


def test_the_cluster_holds_the_index_and_the_records_hold_the_documents(backend):
    stored = backend.create("needs", need("n1", title="储能 storage"))
    backend.replace("needs", "n1", {**stored, "title": "储能 storage, second"}, expected_version=stored["version"])
    assert backend.get("needs", "n1")["version"] == "2"  # the record's version, checked in its transaction
    assert backend.store.get("needs", "n1")["title"] == "储能 storage, second"
    index = backend.cluster._live_index(backend.cluster.alias("needs"))
    hit = requests.get(f"{engine_url('opensearch')}/{index}/_doc/n1", timeout=10).json()
    assert hit["_source"]["title"] == "储能 storage, second"  # indexed from the record after the commit


@pytest.mark.slow  # builds every index of a cluster more than once
def test_a_new_mapping_file_makes_init_rebuild_from_the_records(tmp_path, prefix):
    first = cluster_backend(tmp_path / "data", prefix)
    first.create("institutions", institution("bank"))
    before = first.cluster._live_index(first.cluster.alias("institutions"))
    first.close()
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, mappings)
    body = json.loads((mappings / "institutions-v1.json").read_text())
    body["mappings"]["properties"]["nickname"] = {"type": "keyword"}
    (mappings / "institutions-v2.json").write_text(json.dumps(body))
    second = cluster_backend(tmp_path / "data", prefix, MAPPINGS_DIR=str(mappings))
    try:
        after = second.cluster._live_index(second.cluster.alias("institutions"))
        assert after != before and after.startswith(f"{prefix}-institutions-v2-")
        assert [d["id"] for d in second.search("institutions", Query()).items] == ["bank"]
        assert requests.head(f"{engine_url('opensearch')}/{before}", timeout=10).status_code == 404  # the old one is gone
    finally:
        second.close()


@pytest.mark.slow  # builds every index of a cluster more than once
def test_a_swap_by_another_process_is_seen_at_once(tmp_path, prefix):
    """Reads and writes go through the aliases: nothing per process to reopen after a swap."""
    writer, rebuilder = cluster_backend(tmp_path, prefix), cluster_backend(tmp_path, prefix)
    try:
        writer.create("needs", need("before", title="储能 before"))
        before = writer.folders.current_name()
        rebuilder.reindex()
        assert writer.folders.current_name() == rebuilder.folders.current_name() != before
        writer.create("needs", need("after", title="储能 after"))
        assert sorted(d["id"] for d in rebuilder.search("needs", Query(text="储能")).items) == ["after", "before"]
    finally:
        writer.close()
        rebuilder.close()


@pytest.mark.slow  # builds every index of a cluster more than once
def test_documents_a_cluster_of_an_earlier_version_holds_are_taken_into_the_records(tmp_path, prefix):
    old = OpenSearchBackend(load_indexes(MAPPINGS_DIR), cluster_settings({"SEARCH_URL": engine_url("opensearch")}, "opensearch"),
                            prefix=prefix)  # the cluster as the only store, as before
    old.init()
    first = old.create("institutions", institution("bank"))
    old.replace("institutions", "bank", {**first, "name": "second name"})
    old.bulk_upsert("needs", [need(f"n{i}", title="储能 storage") for i in range(3)])
    old.close()
    backend = cluster_backend(tmp_path, prefix)
    try:
        assert backend.store.count("needs") == 3
        kept = backend.get("institutions", "bank")
        assert kept["name"] == "second name" and kept["version"] == "2"  # the version an If-Match holds is kept
        assert backend.search("needs", Query(text="储能", per_page=0)).total == 3
        assert backend.notices == ["took 4 documents from the search cluster into the records database"]
    finally:
        backend.close()


def test_two_machines_on_one_postgresql_database_drain_one_at_a_time(tmp_path, prefix, postgres_url):
    """Each host has its own lock folder (its flock orders only its own processes); the
    advisory lock in the shared database orders the hosts."""
    one = cluster_backend(tmp_path / "host-1", prefix, DATABASE_URL=postgres_url)
    two = cluster_backend(tmp_path / "host-2", prefix, DATABASE_URL=postgres_url)
    try:
        with one.indexer.exclusive() as first:
            assert first
            with two.indexer.exclusive(timeout=0.3) as second:
                assert not second, "the other host waits"
        with two.indexer.exclusive(timeout=5) as second:
            assert second, "and drains once the first one let go"
        one.create("needs", need("from-one", title="储能 one"))
        assert [d["id"] for d in two.search("needs", Query(text="储能")).items] == ["from-one"]
    finally:
        one.close()
        two.close()


def test_the_search_budget_reaches_the_cluster_searches(tmp_path, prefix, monkeypatch):
    backend = cluster_backend(tmp_path, prefix, SEARCH_TIME_BUDGET_SECONDS="2.5")
    sent = []
    real = backend.cluster._search
    monkeypatch.setattr(backend.cluster, "_search", lambda path, body: sent.append(body) or real(path, body))
    try:
        backend.create("needs", need("n1", title="储能 storage"))
        assert [d["id"] for d in backend.search("needs", Query(text="储能")).items] == ["n1"]  # the engine takes it
        assert sent[-1]["timeout"] == "2500ms"
    finally:
        backend.close()


def test_an_import_refreshes_the_cluster_once_not_once_per_batch(tmp_path, prefix, monkeypatch):
    """Each batch of records (and of their readiness snapshots) used to drain the outbox
    and refresh its index on its own; an import now drains once, in bulk, at its end."""
    from matchmaker import create_app, importexport
    from matchmaker.readiness import service as readiness
    from matchmaker.storage import get_backend
    from tests.conftest import enterprise_doc, need_doc

    monkeypatch.setattr(importexport, "BATCH", 5)  # a small file in many batches
    monkeypatch.setattr(readiness, "BATCH", 5)
    lines = [{"kind": "enterprise", "id": f"e{e}", **enterprise_doc(name=f"企业{e}")} for e in range(12)]
    lines += [{"kind": "need", "id": f"n{n:02d}", **need_doc(f"e{n % 12}", title=f"储能 扩产 {n}")} for n in range(30)]
    path = tmp_path / "load.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    app = create_app({"SEARCH_BACKEND": "opensearch", "SEARCH_URL": engine_url("opensearch"), "INDEX_PREFIX": prefix,
                      "DATA_DIR": str(tmp_path / "data")})
    backend = get_backend(app)
    backend.init()
    refreshes = []
    real = backend.cluster._send
    monkeypatch.setattr(backend.cluster, "_send", lambda method, path, **kw: (
        refreshes.append(path) if path.endswith("/_refresh") else None) or real(method, path, **kw))
    try:
        with app.app_context():
            report = importexport.import_file(backend, path)
        assert report.imported["need"] == 30 and report.imported["enterprise"] == 12
        # one before the needs' copies of the enterprises are refreshed (a search), one at the end
        assert len(refreshes) <= 2, refreshes
        assert backend.store.lag() == 0
        assert backend.search("needs", Query(text="储能", per_page=50)).total == 30  # every one searchable
        assert backend.count("readiness") >= 12  # the snapshots too
    finally:
        backend.close()


def test_an_import_inside_a_request_leaves_the_indexing_to_the_request(backend):
    """A bulk load inside a holder (a request) does not release the holder's hold."""
    backend.hold_indexing()
    with backend.bulk_load():
        backend.create("needs", need("n1", title="储能"))
    assert backend.indexing_held() and backend.store.lag() == 1  # still the request's to release
    backend.release_indexing()
    assert not backend.indexing_held() and backend.store.lag() == 0
    assert [d["id"] for d in backend.search("needs", Query(text="储能")).items] == ["n1"]


def test_a_refresh_that_fails_at_the_end_of_a_drain_is_made_by_the_next(backend, monkeypatch):
    """The documents were written (a bulk is durable once acknowledged), only not visible:
    the next drain, though it has no rows left, refreshes what the failed one wrote."""
    from matchmaker.errors import SearchEngineAway

    real, failing = backend.cluster._send, {"on": True}

    def send(method, path, **kw):
        if path.endswith("/_refresh") and failing["on"]:
            raise SearchEngineAway(reason="connection refused", retry_after=3)
        return real(method, path, **kw)

    monkeypatch.setattr(backend.cluster, "_send", send)
    backend.create("needs", need("n1", title="储能 refresh"))  # stands; its refresh failed
    assert backend.indexer.error is not None and backend.store.lag() == 0  # indexed, not yet visible
    assert backend.unseen() == 1  # the refresh it still owes
    with pytest.raises(SearchUnavailable):
        backend.search("needs", Query(text="储能"))
    failing["on"] = False
    assert [d["id"] for d in backend.search("needs", Query(text="储能")).items] == ["n1"]
    assert backend.indexer.error is None and backend.unseen() == 0


def test_a_write_made_while_the_retry_drain_succeeds_is_indexed_too(backend, monkeypatch):
    """A write while the cluster is away leaves its row to the retry thread; one that
    commits once the retry's drain has read the outbox to its end (the drain is making
    its writes visible) is not in that drain: the thread must look again after it, not
    just end."""
    import threading

    from matchmaker.search import indexer as indexer_module

    monkeypatch.setattr(indexer_module, "RETRY_EVERY", 0.05)
    real_commit = ClusterIndex.commit
    inside, go = threading.Event(), threading.Event()

    def away(self, docs):
        raise SearchUnavailable("the search engine cannot be reached", retry_after=3)

    def slow_commit(self):
        inside.set()  # the retry drain read every row there was and commits them
        assert go.wait(10)
        return real_commit(self)

    with monkeypatch.context() as away_for_now:
        away_for_now.setattr(ClusterIndex, "upsert", away)
        backend.create("needs", need("first", title="储能 first"))
        assert backend.indexer.error is not None and backend.store.lag() == 1
        monkeypatch.setattr(ClusterIndex, "commit", slow_commit)
    assert inside.wait(10), "the retry thread drains once the cluster answers"
    backend.create("needs", need("second", title="储能 second"))  # the index failed last: no drain of its own
    go.set()
    deadline = time.monotonic() + 10
    while backend.unseen() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.unseen() == 0, "the row of the write made during the retry's drain still waits"
    assert backend.indexer.error is None
    monkeypatch.setattr(ClusterIndex, "commit", real_commit)
    assert {d["id"] for d in backend.search("needs", Query(text="储能")).items} == {"first", "second"}
