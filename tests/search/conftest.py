"""Fixtures of the backend contract suite: one ``backend`` per search backend.

The embedded backend (records in an SQLite file, search in tantivy) gets a fresh data
folder per test, and once more with its records in PostgreSQL when
``MATCHMAKER_TEST_DATABASE_URL`` names a database (emptied before each test; each pytest-xdist
worker has its own beside it, ``tests/engines.postgres_url``).  Elasticsearch and OpenSearch run against the clusters named in the environment
(tests/engines.py: skipped without one, a failure when ``MATCHMAKER_REQUIRE_ENGINES``
requires it); their indices get a random prefix for this run, are emptied before each test
and deleted at the end.
"""
from __future__ import annotations


import pytest

from matchmaker.records import RecordStore
from matchmaker.search import create_backend
from tests.engines import drop_indices, engine_url, postgres_url, unique_prefix

PG_URL = postgres_url()  # this process's own database (one per xdist worker)
CLUSTERS = ("elasticsearch", "opensearch")


def pytest_collection_modifyitems(items):
    """A contract test marked ``rebuilds_indexes`` (reindex, restore) is ``slow`` on a cluster,
    which creates and swaps ~50 indexes for it (10-40 s); on the embedded backends it stays
    in the quick loop."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("rebuilds_indexes") and callspec and callspec.params.get("backend") in CLUSTERS:
            item.add_marker(pytest.mark.slow)


def _cluster_backend(engine: str, data_dir):
    """The engine's backend: its records in an SQLite file of ``data_dir``, its indexes
    in the cluster under a prefix of its own."""
    url = engine_url(engine)
    prefix = unique_prefix()
    backend = create_backend({"SEARCH_BACKEND": engine, "SEARCH_URL": url, "INDEX_PREFIX": prefix, "DATA_DIR": data_dir})
    backend.init()
    return backend, url, prefix


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
def es_backend(tmp_path_factory):
    backend, url, prefix = _cluster_backend("elasticsearch", tmp_path_factory.mktemp("es"))
    yield backend
    backend.close()
    drop_indices(url, prefix)


@pytest.fixture(scope="session")
def os_backend(tmp_path_factory):
    backend, url, prefix = _cluster_backend("opensearch", tmp_path_factory.mktemp("os"))
    yield backend
    backend.close()
    drop_indices(url, prefix)


@pytest.fixture(params=["embedded", "embedded-postgresql", "elasticsearch", "opensearch"])
def backend(request, tmp_path):
    if request.param in CLUSTERS:
        cluster = request.getfixturevalue("es_backend" if request.param == "elasticsearch" else "os_backend")
        cluster.reset()
        yield cluster
        return
    config = {"DATA_DIR": tmp_path}
    if request.param == "embedded-postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    local = create_backend(config)
    local.init()
    yield local
    local.close()
