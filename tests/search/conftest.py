"""Fixtures of the backend contract suite: one ``backend`` per search backend.

SQLite gets a fresh data folder per test.  Elasticsearch and OpenSearch run against the
clusters named in the environment (tests/engines.py: skipped without one, a failure when
``MATCHMAKER_REQUIRE_ENGINES`` requires it); their indices get a random prefix for this
run, are emptied before each test and deleted at the end.
"""
from __future__ import annotations

import pytest

from matchmaker.search import create_backend
from tests.engines import drop_indices, engine_url, unique_prefix


def _cluster_backend(engine: str):
    url = engine_url(engine)
    prefix = unique_prefix()
    backend = create_backend({"SEARCH_BACKEND": engine, "SEARCH_URL": url, "INDEX_PREFIX": prefix})
    backend.init()
    return backend, url, prefix


@pytest.fixture(scope="session")
def es_backend():
    backend, url, prefix = _cluster_backend("elasticsearch")
    yield backend
    backend.close()
    drop_indices(url, prefix)


@pytest.fixture(scope="session")
def os_backend():
    backend, url, prefix = _cluster_backend("opensearch")
    yield backend
    backend.close()
    drop_indices(url, prefix)


@pytest.fixture(params=["sqlite", "elasticsearch", "opensearch"])
def backend(request, tmp_path):
    if request.param in ("elasticsearch", "opensearch"):
        cluster = request.getfixturevalue("es_backend" if request.param == "elasticsearch" else "os_backend")
        cluster.reset()
        yield cluster
        return
    sqlite = create_backend({"DATA_DIR": tmp_path})
    sqlite.init()
    yield sqlite
    sqlite.close()
