"""The whole search cluster goes away under writes, and nothing acknowledged is lost.

The records are in the database (an SQLite file here) and the cluster holds only the
indexes fed by the outbox, so while every node is down a write still commits (201), its
row waits in the outbox, and searches answer 503 with Retry-After; once the cluster is
started again the outbox drains by itself -- the service is not restarted -- and every
acknowledged need is found.  The node is one this test starts itself with
``scripts/engine.py`` (never the shared one), on a port of its own.

Needs Java and Maven (as ``scripts/engine.py`` does); skipped without them unless
MATCHMAKER_REQUIRE_ENGINES requires opensearch.
"""
from __future__ import annotations

import shutil
import threading
import time

import pytest

from matchmaker.storage import get_backend
from matchmaker.search import Query, Terms
from tests.conftest import enterprise_doc, need_doc, running_app
from tests.engines import engine_script, required

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory):
    if not (shutil.which("java") and shutil.which("mvn")):
        (pytest.fail if required("opensearch") else pytest.skip)("Java and Maven are needed to start a cluster")
    engine = engine_script()
    home = tmp_path_factory.mktemp("own-cluster")
    port = engine.free_base_port(1)
    url = engine.start("opensearch", 1, port, home)
    try:
        yield engine, home, port, url
    finally:
        engine.stop(home)


@pytest.fixture
def app(tmp_path, own_cluster):
    _, _, _, url = own_cluster
    with running_app(tmp_path, SEARCH_BACKEND="opensearch", SEARCH_URL=url, INDEX_PREFIX="down") as app:
        yield app


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_writes_stand_while_the_whole_cluster_is_down_and_are_indexed_when_it_returns(app, actors, own_cluster):
    engine, home, port, _ = own_cluster
    backend = get_backend(app)
    staff = actors.as_staff()
    client = app.test_client()
    enterprise = client.post("/api/v1/enterprises", json=enterprise_doc(), headers=staff).get_json()
    acknowledged: list[str] = []
    other: list[int] = []
    stop = threading.Event()

    def write() -> None:
        writer = app.test_client()
        n = 0
        while not stop.is_set():
            r = writer.post("/api/v1/needs", json=need_doc(enterprise["id"], title=f"电池 battery {n}"), headers=staff)
            (acknowledged.append(r.get_json()["id"]) if r.status_code == 201 else other.append(r.status_code))
            n += 1
            time.sleep(0.02)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        wait_until(lambda: len(acknowledged) >= 5, 60, "writes went through while the cluster was up")
        engine.stop(home)  # every node: the cluster is gone
        at_stop = len(acknowledged)
        wait_until(lambda: len(acknowledged) >= at_stop + 10, 120, "writes are acknowledged while the cluster is down")

        r = client.get("/api/v1/needs", query_string={"q": "battery"}, headers=staff)
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, r.get_json()
        assert backend.store.lag() > 0, "the rows of the writes made meanwhile wait in the outbox"
        down_time_write = acknowledged[-1]
        assert client.get(f"/api/v1/needs/{down_time_write}", headers=staff).status_code == 200  # read from the records

        assert engine.start("opensearch", 1, port, home)  # the same node, its data folder kept
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive()
    assert set(other) <= {503}, f"a write failed otherwise than unavailable: {other}"

    # unseen: the outbox's rows and the refreshes a drain still owes (a refresh the returning
    # cluster refused is retried): 0 once every acknowledged write is searchable
    wait_until(lambda: backend.unseen() == 0, 120, "every write was indexed and refreshed once the cluster was back")
    found = backend.search("needs", Query(filters=[Terms("id", acknowledged)], per_page=0)).total
    assert found == len(acknowledged), f"{len(acknowledged) - found} acknowledged needs are not searchable"
    r = client.get("/api/v1/needs", query_string={"q": "battery", "per_page": 1}, headers=staff)
    assert r.status_code == 200 and r.get_json()["total"] >= len(acknowledged)
    print(f"\n{len(acknowledged)} needs acknowledged ({len(acknowledged) - at_stop} while the cluster was down), "
          f"{len(other)} answered 503; all searchable after the cluster came back")
