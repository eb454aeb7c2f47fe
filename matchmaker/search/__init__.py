"""Storage and search: one interface (:class:`SearchBackend`), two backends.

The backend is chosen by configuration (``SEARCH_BACKEND``) and built here, so nothing
above this package knows which one runs.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError
from .base import SearchBackend
from .mappings import MAPPINGS_DIR, load_indexes
from .query import AnyOf, Boost, Filter, Missing, Not, Query, Range, SearchResult, Sort, SumAggregation, Terms

__all__ = [
    "SearchBackend", "Query", "Filter", "Terms", "Range", "Missing", "AnyOf", "Not", "Sort",
    "SumAggregation", "Boost", "SearchResult", "create_backend",
]

BACKENDS = ("sqlite", "embedded", "elasticsearch")


def create_backend(config: dict) -> SearchBackend:
    """The backend the configuration names, built from ``search_mappings/``."""
    name = (config.get("SEARCH_BACKEND") or "sqlite").lower()
    indexes = load_indexes(Path(config.get("MAPPINGS_DIR") or MAPPINGS_DIR))
    if name == "sqlite":
        from .sqlite import SQLiteBackend

        return SQLiteBackend(indexes, Path(config["DATA_DIR"]) / "matchmaker.sqlite3")
    if name == "embedded":
        from ..records import RecordStore, sqlite_url
        from .embedded import EmbeddedBackend

        data_dir = Path(config["DATA_DIR"])
        store = RecordStore(config.get("DATABASE_URL") or sqlite_url(data_dir / "records.sqlite3"))
        return EmbeddedBackend(indexes, store, data_dir / "search", data_dir=data_dir)
    if name == "elasticsearch":
        url = config.get("ES_URL")
        if not url:
            raise ConfigurationError("MATCHMAKER_SEARCH_BACKEND=elasticsearch needs MATCHMAKER_ES_URL")
        from .elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(indexes, url, prefix=config.get("INDEX_PREFIX") or "matchmaker")
    raise ConfigurationError(f"unknown search backend {name!r}; choose one of {', '.join(BACKENDS)}")
