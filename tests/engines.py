"""Live search clusters for the tests: where they are, and whether their absence may be skipped.

``MATCHMAKER_TEST_OPENSEARCH_URL`` names an OpenSearch cluster (``scripts/engine.py start``
prints one), ``MATCHMAKER_TEST_ELASTICSEARCH_URL`` (or the old ``MATCHMAKER_ES_URL``) an
Elasticsearch one.  Tests that need a cluster that is not named skip, unless
``MATCHMAKER_REQUIRE_ENGINES`` lists that engine (``opensearch``, ``elasticsearch``, or
``1`` for both): then they fail, so that CI cannot pass by running none of them.
"""
from __future__ import annotations

import os
import uuid

import pytest
import requests

ENGINES = ("elasticsearch", "opensearch")
URL_VARIABLES = {
    "opensearch": ("MATCHMAKER_TEST_OPENSEARCH_URL",),
    "elasticsearch": ("MATCHMAKER_TEST_ELASTICSEARCH_URL", "MATCHMAKER_ES_URL"),
}


def required(engine: str) -> bool:
    wanted = {w.strip().lower() for w in os.environ.get("MATCHMAKER_REQUIRE_ENGINES", "").split(",") if w.strip()}
    return engine in wanted or bool(wanted & {"1", "true", "all"})


def engine_url(engine: str) -> str:
    """The cluster's URL; skips (or fails, when required) without one."""
    for variable in URL_VARIABLES[engine]:
        if os.environ.get(variable):
            return os.environ[variable].rstrip("/")
    hint = f" (scripts/engine.py start --engine {engine} prints one)"
    message = f"{URL_VARIABLES[engine][0]} is not set: no {engine} cluster{hint}"
    if required(engine):
        pytest.fail(message + ", and MATCHMAKER_REQUIRE_ENGINES requires it")
    pytest.skip(message)


def test_backend() -> str | None:
    """The engine ``MATCHMAKER_TEST_BACKEND`` asks the app-level tests to run on, if any."""
    name = os.environ.get("MATCHMAKER_TEST_BACKEND", "").strip().lower()
    if name in ("", "embedded", "sqlite"):
        return None
    if name not in ENGINES:
        raise pytest.UsageError(f"MATCHMAKER_TEST_BACKEND={name!r}: choose embedded, elasticsearch or opensearch")
    return name


def unique_prefix() -> str:
    return f"mmtest-{uuid.uuid4().hex[:10]}"


def cluster_env(engine: str, prefix: str) -> dict[str, str]:
    """The environment of a matchmaker process that uses the cluster under ``prefix``."""
    return {"MATCHMAKER_SEARCH_BACKEND": engine, "MATCHMAKER_SEARCH_URL": engine_url(engine),
            "MATCHMAKER_INDEX_PREFIX": prefix}


def drop_indices(url: str, prefix: str) -> None:
    """Delete every index named ``<prefix>-…`` (by name: clusters refuse wildcard deletes)."""
    answer = requests.get(f"{url}/_cat/indices/{prefix}-*", params={"format": "json", "h": "index"}, timeout=30)
    for row in answer.json() if answer.ok else []:
        requests.delete(f"{url}/{row['index']}", timeout=30)
