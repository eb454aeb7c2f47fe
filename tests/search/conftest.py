"""Fixtures of the backend contract suite: one ``backend`` per search backend.

SQLite gets a fresh data folder per test; so does the embedded backend (records in an
SQLite file, search in tantivy), and once more with its records in PostgreSQL when
``MATCHMAKER_TEST_DATABASE_URL`` names a database (emptied before each test).  Elasticsearch runs only when
``MATCHMAKER_ES_URL`` names a cluster; its indices get ``MATCHMAKER_INDEX_PREFIX`` or a
random prefix for this run, are emptied before each test and deleted at the end.
"""
from __future__ import annotations

import os
import uuid

import pytest

from matchmaker.records import RecordStore
from matchmaker.search import create_backend

ES_URL = os.environ.get("MATCHMAKER_ES_URL")
PG_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")


@pytest.fixture
def postgres_url():
    """The test database, emptied: one database serves the whole run."""
    if not PG_URL:
        pytest.skip("MATCHMAKER_TEST_DATABASE_URL is not set: no PostgreSQL to run the contract suite against")
    store = RecordStore(PG_URL)
    store.upgrade()
    store.clear()
    store.set_state("legacy_migrated", None)
    store.close()
    return PG_URL


@pytest.fixture(scope="session")
def es_backend():
    if not ES_URL:
        pytest.skip("MATCHMAKER_ES_URL is not set: no Elasticsearch cluster to run the contract suite against")
    prefix = os.environ.get("MATCHMAKER_INDEX_PREFIX") or f"mmtest-{uuid.uuid4().hex[:10]}"
    backend = create_backend({"SEARCH_BACKEND": "elasticsearch", "ES_URL": ES_URL, "INDEX_PREFIX": prefix})
    backend.init()
    yield backend
    for name in backend.indexes:
        # Concrete names: clusters refuse wildcard deletes (action.destructive_requires_name).
        for index in backend.es.indices.get_alias(name=backend.alias(name)):
            backend.es.indices.delete(index=index)
    backend.close()


@pytest.fixture(params=["sqlite", "embedded", "embedded-postgresql", "elasticsearch"])
def backend(request, tmp_path):
    if request.param == "elasticsearch":
        es = request.getfixturevalue("es_backend")
        es.reset()
        yield es
        return
    if request.param.startswith("embedded"):
        config = {"DATA_DIR": tmp_path, "SEARCH_BACKEND": "embedded"}
        if request.param == "embedded-postgresql":
            config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
        embedded = create_backend(config)
        embedded.init()
        yield embedded
        embedded.close()
        return
    sqlite = create_backend({"DATA_DIR": tmp_path})
    sqlite.init()
    yield sqlite
    sqlite.close()

