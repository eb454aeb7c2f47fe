"""Alembic's environment: the connection is handed in by :func:`matchmaker.records.store.upgrade`."""
from __future__ import annotations

from alembic import context

from matchmaker.records.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
