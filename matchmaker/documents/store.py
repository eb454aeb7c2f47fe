"""Where the bytes of documents live, behind one small interface so that an object store
(S3, MinIO, OSS) can stand in for the data folder without the service changing.

Keys are made by the service (random, never a user's file name), so no name a user sends
reaches the file system.  A file is written to a temporary name and moved into place: a
crash never leaves half a document under its key.
"""
from __future__ import annotations

import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

_KEY = re.compile(r"^[0-9a-f]{32}$")


class BlobStore(ABC):
    """Bytes by key: what the document service needs of a store."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The stored bytes, to read (and close); ``FileNotFoundError`` if there are none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Forget the bytes; nothing happens if there were none."""


class FolderStore(BlobStore):
    """Files under ``root`` (``<data dir>/documents``), two levels of folders by key."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a document key: {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".upload.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(draft, path)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def create_store(config) -> BlobStore:
    """The store the configuration names (the data folder's, for now)."""
    return FolderStore(Path(config["DATA_DIR"]) / "documents")
