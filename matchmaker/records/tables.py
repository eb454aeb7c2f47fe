"""The tables of record, as SQLAlchemy Core metadata (the migrations create them).

- ``documents``: every document of every index of ``search_mappings/``, one row each:
  its JSON body (without ``id`` and ``version``) and an integer version that every write
  moves on, so a write can check it read the latest;
- ``outbox``: one row per document write, committed in the same transaction: "bring the
  search index of ``index_name`` in line with the record ``doc_id``".  The indexer applies
  and then deletes it (or marks it applied while a rebuild needs it again);
- ``record_state``: small named facts of the store (a rebuild in progress, a migration done);
- ``derived``: values worked out from one record (``name``: what they are), each valid
  while that record bears the mark (version, write time) it was worked out from and
  while its ``basis`` (the day, the rules) holds: kept so that a bulk reader need not
  read the record and work them out again (what a need copies of its enterprise).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, Index

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("index_name", String(64), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("index_name", String(64), nullable=False),
    Column("doc_id", String(200), nullable=False),
    Column("op", String(8), nullable=False),  # "upsert" or "delete": what the write was
    Column("enqueued_at", String(32), nullable=False),
    Column("applied_at", String(32), nullable=True),
    Index("outbox_pending", "applied_at", "seq"),
)

record_state = Table(
    "record_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

derived = Table(
    "derived",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("index_name", String(64), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("basis", String(200), nullable=False),
    Column("body", Text, nullable=False),
)
