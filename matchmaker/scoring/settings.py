"""The scoring files an app runs on, found from its configuration and loaded once per app.

- ``SCORING_FILE`` (``MATCHMAKER_SCORING_FILE``): factor weights and hard rules merged
  over the packaged defaults; default ``<data dir>/scoring.json`` when that file exists.
- ``BOARD_RULES_DIR`` (``MATCHMAKER_BOARD_RULES_DIR``): listing rule sets added to (or
  replacing) the packaged ones; default ``<data dir>/boards/`` when that folder exists.

The files are read on first use and kept with the app (``app.extensions``): a change takes
effect when the service restarts.  Outside an app (scripts, bare backends) the packaged
defaults apply.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from .. import clock
from ..errors import ConfigurationError
from .config import BoardRules, ScoringConfig, load_board_rules, load_scoring_config

_KEY = "matchmaker.scoring"


@dataclass(frozen=True)
class ScoringSettings:
    config: ScoringConfig
    boards: dict[str, BoardRules]  # board code -> the rule set in effect
    scoring_file: str | None = None  # the zone's file, when one is used
    boards_dir: str | None = None  # the zone's folder, when one is used

    def board(self, code: str) -> BoardRules | None:
        return self.boards.get(code)


def resolve_paths(app_config: Mapping) -> tuple[Path | None, Path | None]:
    """(scoring file, board rules folder) the configuration names or the data folder holds."""
    data_dir = Path(app_config["DATA_DIR"]) if app_config.get("DATA_DIR") else None
    scoring_file = app_config.get("SCORING_FILE")
    if scoring_file:
        scoring_file = Path(scoring_file)
        if not scoring_file.is_file():
            raise ConfigurationError(f"MATCHMAKER_SCORING_FILE: {scoring_file}: file not found")
    elif data_dir and (data_dir / "scoring.json").is_file():
        scoring_file = data_dir / "scoring.json"
    boards_dir = app_config.get("BOARD_RULES_DIR")
    if boards_dir:
        boards_dir = Path(boards_dir)
        if not boards_dir.is_dir():
            raise ConfigurationError(f"MATCHMAKER_BOARD_RULES_DIR: {boards_dir}: folder not found")
    elif data_dir and (data_dir / "boards").is_dir():
        boards_dir = data_dir / "boards"
    return scoring_file or None, boards_dir or None


def load_settings(app_config: Mapping) -> ScoringSettings:
    """Read and check the files; a problem is a ConfigurationError naming file and key."""
    scoring_file, boards_dir = resolve_paths(app_config)
    return ScoringSettings(
        config=load_scoring_config(scoring_file),
        # the rule set in effect this year: one a zone adds for a later year waits for it
        boards=load_board_rules(boards_dir, year=clock.today().year),
        scoring_file=str(scoring_file) if scoring_file else None,
        boards_dir=str(boards_dir) if boards_dir else None,
    )


@lru_cache(maxsize=1)
def default_settings() -> ScoringSettings:
    return load_settings({})


def get_settings(app=None) -> ScoringSettings:
    """The settings of ``app`` (default: the current app, if any), loaded on first use."""
    if app is None:
        from flask import current_app, has_app_context

        if not has_app_context():
            return default_settings()
        app = current_app._get_current_object()
    settings = app.extensions.get(_KEY)
    if settings is None:
        settings = app.extensions[_KEY] = load_settings(app.config)
    return settings
