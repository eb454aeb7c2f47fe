"""Live search clusters for the tests: where they are, and whether their absence may be skipped.

``MATCHMAKER_TEST_OPENSEARCH_URL`` names an OpenSearch cluster (``scripts/engine.py start``
prints one), ``MATCHMAKER_TEST_ELASTICSEARCH_URL`` (or the old ``MATCHMAKER_ES_URL``) an
Elasticsearch one.  Tests that need a cluster that is not named skip, unless
``MATCHMAKER_REQUIRE_ENGINES`` lists that engine (``opensearch``, ``elasticsearch``, or
``1`` for both): then they fail, so that CI cannot pass by running none of them.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import uuid
from pathlib import Path

import pytest
import requests

ENGINES = ("elasticsearch", "opensearch")
URL_VARIABLES = {
    "opensearch": ("MATCHMAKER_TEST_OPENSEARCH_URL",),
    "elasticsearch": ("MATCHMAKER_TEST_ELASTICSEARCH_URL", "MATCHMAKER_ES_URL"),
}
ENGINE_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "engine.py"


@functools.cache
def engine_script():
    """``scripts/engine.py`` as a module (a script, not a package's): starts and stops
    clusters, and chooses free ports (:func:`free_base_port`)."""
    spec = importlib.util.spec_from_file_location("engine_script", ENGINE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@functools.lru_cache(maxsize=None)
def postgres_url() -> str | None:
    """The PostgreSQL database of this test process: ``MATCHMAKER_TEST_DATABASE_URL``, or,
    in a pytest-xdist worker, a database of the worker's own beside it (``…_gw0``, created
    once), so that two workers never empty each other's records.  None without the variable."""
    base = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker:
        return base
    from sqlalchemy import create_engine, make_url, text

    url = make_url(base)
    name = f"{url.database}_{worker}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
