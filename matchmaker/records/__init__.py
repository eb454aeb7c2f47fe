"""The database of record (SQLAlchemy Core, Alembic migrations): see :mod:`.store`."""
from .store import RecordStore, sqlite_url

__all__ = ["RecordStore", "sqlite_url"]
