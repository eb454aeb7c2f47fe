"""The app's storage-and-search backend, built once per app from its configuration."""
from __future__ import annotations

from flask import Flask, current_app

from .search import SearchBackend, create_backend

_KEY = "matchmaker.backend"


def init_app(app: Flask) -> None:
    backend = app.extensions[_KEY] = create_backend(app.config)

    # One request's writes (a record, its audit entry, a notification) are made searchable
    # together, before the response goes out, instead of one after the other.
    app.before_request(backend.hold_indexing)
    app.teardown_request(lambda _error: backend.release_indexing())


def get_backend(app: Flask | None = None) -> SearchBackend:
    return (app or current_app).extensions[_KEY]
