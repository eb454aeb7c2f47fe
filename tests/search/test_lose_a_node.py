"""A three-node OpenSearch cluster loses a node under load, and nobody notices.

scripts/engine.py starts three nodes (one JVM each) on loopback; every index has one
replica.  While one thread writes needs and another searches, the node holding the
primary of the needs index is killed with SIGKILL.  Searches keep answering (the client
goes to the other nodes, the replica is promoted), every write that was acknowledged is
there afterwards -- in the records, and in the cluster's index once the outbox drained --
and once the node is started again the cluster turns green.

Needs Java and Maven (as ``scripts/engine.py`` does); skipped without them unless
MATCHMAKER_REQUIRE_ENGINES requires opensearch.
"""
from __future__ import annotations

import shutil
import signal
import threading
import time

import pytest
import requests

from matchmaker.errors import SearchUnavailable
from matchmaker.search import Query, Terms, create_backend
from tests.engines import engine_script, required
from tests.search.test_backend_contract import need

pytestmark = pytest.mark.slow

NODES = 3
WRITERS, WRITES = 3, 30  # the bounded load: each writer writes this many needs; one searcher all along



@pytest.fixture
def cluster(tmp_path):
    if not (shutil.which("java") and shutil.which("mvn")):
        (pytest.fail if required("opensearch") else pytest.skip)("Java and Maven are needed to start a cluster")
    engine = engine_script()
    home = tmp_path / "cluster"
    port = engine.free_base_port(NODES)
    url = engine.start("opensearch", NODES, port, home)
    try:
        yield engine, home, [f"http://127.0.0.1:{port + i}" for i in range(NODES)]
    finally:
        engine.stop(home)


def wait_for_status(url: str, status: str, seconds: float = 180) -> dict:
    answer = requests.get(f"{url}/_cluster/health", params={"wait_for_status": status, "timeout": f"{int(seconds)}s"},
                          timeout=seconds + 10).json()
    assert answer["status"] == status, answer
    return answer


def node_of_primary(url: str, index: str) -> int:
    shards = requests.get(f"{url}/_cat/shards/{index}", params={"format": "json"}, timeout=10).json()
    (primary,) = [s for s in shards if s["prirep"] == "p"]
    return int(primary["node"].split("-")[1])


def test_a_lost_node_loses_no_acknowledged_write_and_searches_keep_answering(cluster, tmp_path):
    engine, home, urls = cluster
    backend = create_backend({"SEARCH_BACKEND": "opensearch", "SEARCH_URL": ",".join(urls), "INDEX_PREFIX": "lose",
                              "DATA_DIR": tmp_path / "data"})
    backend.init()
    wait_for_status(urls[0], "green")
    index = backend.cluster._live_index(backend.cluster.alias("needs"))
    victim = node_of_primary(urls[0], index)
    survivor = urls[(victim + 1) % NODES]

    acknowledged: list[str] = []
    refused: list[str] = []  # writes answered SearchUnavailable: not acknowledged, may or may not be there
    searches = {"answered": 0, "failed": []}
    writers_left = [WRITERS]

    def write(writer: int) -> None:
        for n in range(WRITES):
            doc_id = f"w{writer}-{n:04d}"
            try:
                backend.create("needs", need(doc_id, title=f"电池 battery {n}"))
                acknowledged.append(doc_id)
            except SearchUnavailable:
                refused.append(doc_id)
        writers_left.append(writers_left.pop() - 1)

    def search() -> None:
        while writers_left[0] > 0:
            try:
                backend.search("needs", Query(text="电池", filters=[Terms("status", ["open"])], per_page=5))
                searches["answered"] += 1
            except SearchUnavailable as exc:
                searches["failed"].append(str(exc))
            time.sleep(0.01)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)] + [threading.Thread(target=search)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < WRITERS * WRITES // 3 and threads[0].is_alive():
        time.sleep(0.05)
    engine.stop_node(home, victim, sig=signal.SIGKILL)  # kill -9: no goodbye to the cluster
    answered_at_kill = searches["answered"]
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "the load did not finish"

    assert searches["failed"] == [], "searches kept answering while the node was gone"
    assert searches["answered"] > answered_at_kill, "searches went on after the kill"
    assert len(acknowledged) >= WRITERS * WRITES // 2, f"most writes went through ({len(refused)} refused)"

    engine.start_node(home, victim)
    back = time.monotonic()
    wait_for_status(survivor, "green")
    print(f"\n{len(acknowledged)} writes acknowledged, {len(refused)} refused; {searches['answered']} searches "
          f"answered ({searches['answered'] - answered_at_kill} after the kill), none failed; "
          f"green {time.monotonic() - back:.1f} s after node-{victim} came back")
    found = backend.get_many("needs", acknowledged)
    assert sorted(found) == sorted(acknowledged), "no acknowledged write was lost"
    deadline = time.monotonic() + 60
    while backend.store.lag() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert backend.store.lag() == 0, "the outbox drained"
    assert backend.search("needs", Query(filters=[Terms("id", acknowledged)], per_page=0)).total == len(acknowledged)
    hits = backend.search("needs", Query(text="battery", per_page=0)).total
    assert len(acknowledged) <= hits <= len(acknowledged) + len(refused)
    backend.close()
