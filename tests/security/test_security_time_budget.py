"""A time budget inside the engine: a search that would run past it is stopped by the
engine and answers 503 with Retry-After, and the worker goes on serving; on PostgreSQL,
the server itself ends a statement past ``statement_timeout``.  Real engines: the
embedded backend (tantivy cannot be interrupted inside a query: a search past its budget
is stopped before its page is read), a PostgreSQL server (``MATCHMAKER_TEST_DATABASE_URL``, which
``.ci/run`` starts), an OpenSearch cluster when one is configured."""
from __future__ import annotations


import pytest
from sqlalchemy import text

from matchmaker.faults import storage_fault
from matchmaker.records import RecordStore
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, ok
from tests.conftest import Actors, enterprise_doc, need_doc, running_app
from tests.engines import postgres_url

PG_URL = postgres_url()  # this process's own database (one per xdist worker)
#: A budget no search can keep: the engine looks at it every 1,000 SQLite instructions,
#: and the first look already finds it spent (a budget, not a measured time, decides).
SPENT = 1e-9


@pytest.fixture
def busy(tmp_path, password_hash):
    with running_app(tmp_path) as app:
        client = app.test_client()
        actors = Actors(app, client, password_hash)
        staff = actors.as_staff()
        enterprise = ok(client.post(f"{API}/enterprises", json=enterprise_doc(), headers=staff), 201)
        backend = get_backend(app)
        backend.bulk_upsert("needs", [{**need_doc(enterprise["id"], title=f"锂电池储能项目 battery storage {n}"),
                                       "id": f"n{n}", "enterprise_name": enterprise["name"]} for n in range(300)])
        yield app, client, staff, backend


def test_a_search_past_its_budget_is_stopped_with_503_and_the_worker_goes_on(busy):
    app, client, staff, backend = busy
    search = {"q": " ".join(["锂电池", "battery", "storage", "储能", "项目"] * 6)}  # 30 terms over 300 needs
    assert ok(client.get(f"{API}/needs", query_string=search, headers=staff))["total"] == 300  # within the default budget
    backend.set_budget(SPENT)
    r = client.get(f"{API}/needs", query_string={**search, "page": 2}, headers=staff)  # another page: not a cached answer
    assert r.status_code == 503, r.get_json()
    assert r.headers["Retry-After"] == "5" and "budget" in r.get_json()["message"]
    # the same connection serves the next request: nothing stalled, nothing left half-open
    assert client.get(f"{API}/auth/me", headers=staff).status_code == 200
    backend.set_budget(10)
    assert ok(client.get(f"{API}/needs", query_string={**search, "page": 2}, headers=staff))["total"] == 300
    assert not backend.store.in_transaction


def test_the_budget_is_a_setting_the_backend_is_made_with(tmp_path):
    with running_app(tmp_path, SEARCH_TIME_BUDGET_SECONDS="2.5", DATABASE_STATEMENT_TIMEOUT_SECONDS=0) as app:
        backend = get_backend(app)
        assert backend.time_budget == 2.5 and backend.statement_timeout is None


def test_a_bad_budget_setting_stops_the_start(tmp_path):
    from matchmaker import create_app
    from matchmaker.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="MATCHMAKER_SEARCH_TIME_BUDGET_SECONDS"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "SEARCH_TIME_BUDGET_SECONDS": -1})


@pytest.fixture
def postgres():
    if not PG_URL:
        pytest.skip("MATCHMAKER_TEST_DATABASE_URL is not set: no PostgreSQL (bash .ci/postgres start)")
    store = RecordStore(PG_URL)
    store.statement_timeout = 0.2
    store.upgrade()  # migrations run with no limit
    yield store
    store.close()


def test_postgresql_ends_a_statement_past_the_timeout(postgres):
    with postgres.reading() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "200ms"
    with pytest.raises(Exception) as caught:
        with postgres.reading() as conn:
            conn.execute(text("SELECT pg_sleep(3)"))
    fault = storage_fault(caught.value)
    assert fault is not None and fault.status == 503 and fault.kind == "slow", caught.value
    with postgres.reading() as conn:  # the pool's connection is usable again at once
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_a_statement_past_the_timeout_answers_503_through_the_service(tmp_path, password_hash):
    if not PG_URL:
        pytest.skip("MATCHMAKER_TEST_DATABASE_URL is not set: no PostgreSQL (bash .ci/postgres start)")
    store = RecordStore(PG_URL)
    store.upgrade()
    store.clear()
    store.close()
    with running_app(tmp_path, SEARCH_BACKEND="tantivy", DATABASE_URL=PG_URL, DATABASE_STATEMENT_TIMEOUT_SECONDS=0.2) as app:
        backend = get_backend(app)
        assert backend.store.statement_timeout == 0.2

        @app.get("/api/v1/test-slow")  # a statement as slow as a pathological one, run by the real store
        def slow():
            with backend.store.reading() as conn:
                conn.execute(text("SELECT pg_sleep(3)"))
            return {}

        client = app.test_client()
        staff = Actors(app, client, password_hash).as_staff()
        r = client.get("/api/v1/test-slow", headers=staff)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.get_json()
        assert "took longer" in r.get_json()["message"]
        assert client.get(f"{API}/auth/me", headers=staff).status_code == 200
