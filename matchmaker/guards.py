"""What every request passes through, whatever its endpoint: bodies the decoders could
choke on are refused, and no answer but a static file may be kept by a cache (the API's
JSON, the token, CSV, XLSX, ICS and the pages all carry a user's data or credentials).

The data folder holds password hashes, tokens, financials and the session key: it is made
0700 and its files 0600 at start, whatever an older version or a careless copy left;
the command line also runs with umask 077, so that what the engine creates later (the
database, its journal, backups) is the owner's only.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Flask, request

PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600


def secure_data_folder(folder: str | Path) -> None:
    """Make ``folder`` (created if missing) 0700 and the files in it 0600."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    for path in [folder, *folder.rglob("*")]:
        try:
            info = path.lstat()
            if info.st_uid != os.getuid() or stat.S_ISLNK(info.st_mode):
                continue  # not ours to change (a link, a file someone else provided)
            wanted = PRIVATE_FOLDER if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
            if stat.S_IMODE(info.st_mode) & 0o077:
                path.chmod(stat.S_IMODE(info.st_mode) & wanted)
        except OSError:
            continue  # a folder we cannot read is reported by the integrity check


def private_umask() -> None:
    """Files and folders this process creates are for its user only."""
    os.umask(0o077)


def init_app(app: Flask) -> None:
    from .core import json_body, rate_limits

    rate_limits.init_app(app)  # before anything reads the body
    json_body.init_app(app)
    secure_data_folder(app.config["DATA_DIR"])

    @app.after_request
    def never_cached(response):
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
        return response
