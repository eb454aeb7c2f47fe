"""Where the top-level data folders (``search_mappings/``, ``templates/``) are.

In a source checkout, and so in an editable install, they sit beside the package; an
installed wheel carries them under ``<prefix>/share/matchmaker/`` (``data_files`` in
setup.cfg).
"""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import ConfigurationError


def data_folder(name: str) -> Path:
    beside = Path(__file__).resolve().parent.parent / name
    if beside.is_dir():
        return beside
    installed = Path(sys.prefix) / "share" / "matchmaker" / name
    if installed.is_dir():
        return installed
    raise ConfigurationError(f"cannot find the {name}/ folder beside the package or under {installed.parent}; reinstall matchmaker")
