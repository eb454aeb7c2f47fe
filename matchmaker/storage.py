"""The app's storage-and-search backend, built once per app from its configuration."""
from __future__ import annotations

from flask import Flask, current_app

from .search import SearchBackend, create_backend

_KEY = "matchmaker.backend"


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = create_backend(app.config)


def get_backend(app: Flask | None = None) -> SearchBackend:
    return (app or current_app).extensions[_KEY]
