"""Storage and search: one interface (:class:`SearchBackend`), several backends.

The backend is chosen by configuration (``SEARCH_BACKEND``) and built here, so nothing
above this package knows which one runs.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError
from .base import SearchBackend
from .mappings import MAPPINGS_DIR, load_indexes
from .query import AnyOf, Boost, Filter, Missing, Not, Query, Range, RankOption, SearchResult, Sort, SumAggregation, Terms

__all__ = [
    "SearchBackend", "Query", "Filter", "Terms", "Range", "Missing", "AnyOf", "Not", "Sort",
    "SumAggregation", "Boost", "RankOption", "SearchResult", "create_backend",
]

BACKENDS = ("embedded", "tantivy", "elasticsearch", "opensearch")
#: Old names still accepted for a backend.
ALIASES = {"sqlite": "embedded"}


def create_backend(config: dict) -> SearchBackend:
    """The backend the configuration names, with the time budget of its searches
    (``SEARCH_TIME_BUDGET_SECONDS``) and of a database server's statements
    (``DATABASE_STATEMENT_TIMEOUT_SECONDS``)."""
    backend = _create_backend(config)
    backend.set_budget(float(config.get("SEARCH_TIME_BUDGET_SECONDS") or 0),
                       float(config.get("DATABASE_STATEMENT_TIMEOUT_SECONDS") or 0))
    return backend


def _create_backend(config: dict) -> SearchBackend:
    """The backend the configuration names, built from ``search_mappings/``.

    The cluster settings are checked here, when the service starts: a mistake is a
    ConfigurationError naming the ``MATCHMAKER_*`` setting."""
    name = str(config.get("SEARCH_BACKEND") or "embedded").strip().lower()
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise ConfigurationError(
            f"MATCHMAKER_SEARCH_BACKEND={name!r} is not a search backend; choose one of {', '.join(BACKENDS)}"
        )
    indexes = load_indexes(Path(config.get("MAPPINGS_DIR") or MAPPINGS_DIR))
    prefix = config.get("INDEX_PREFIX") or "matchmaker"
    if name == "embedded":
        from .sqlite import SQLiteBackend

        return SQLiteBackend(indexes, Path(config["DATA_DIR"]) / "matchmaker.sqlite3")
    if name == "tantivy":
        from ..records import RecordStore, sqlite_url
        from .embedded import EmbeddedBackend

        data_dir = Path(config["DATA_DIR"])
        store = RecordStore(config.get("DATABASE_URL") or sqlite_url(data_dir / "records.sqlite3"))
        return EmbeddedBackend(indexes, store, data_dir / "search", data_dir=data_dir)
    from .cluster_records import records_backed
    from .connection import cluster_settings

    settings = cluster_settings(config, name)
    if name == "elasticsearch":
        from .elasticsearch import ElasticsearchBackend

        return records_backed(config, indexes, ElasticsearchBackend(indexes, settings=settings, prefix=prefix))
    from .opensearch import OpenSearchBackend

    return records_backed(config, indexes, OpenSearchBackend(indexes, settings, prefix=prefix))
