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
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from ..clock import parse_today, today
from ..errors import BoardNotOpenYet, BoardRetired, ConfigurationError, Label
from .config import BoardRules, ScoringConfig, load_rule_sets, load_scoring_config, rule_set_on


_KEY = "matchmaker.scoring"


@dataclass(frozen=True)
class ScoringSettings:
    config: ScoringConfig
    boards: dict[str, BoardRules]  # board code -> the rule set in force on the day the settings were read
    scoring_file: str | None = None  # the zone's file, when one is used
    boards_dir: str | None = None  # the zone's folder, when one is used
    rule_sets: dict[str, tuple[BoardRules, ...]] | None = None  # board code -> every rule set, oldest first

    def board(self, code: str) -> BoardRules | None:
        return self.boards.get(code)

    @property
    def known_boards(self) -> list[str]:
        """Every board some rule set describes, in force today or not."""
        return list(self.rule_sets or self.boards)

    def rule_set_on(self, code: str, day: date) -> BoardRules | None:
        """The board's newest rule set that had taken effect by ``day``, retired or not."""
        return rule_set_on(self._sets(code), day)

    def _sets(self, code: str) -> tuple[BoardRules, ...]:
        return (self.rule_sets or {}).get(code) or ((self.boards[code],) if code in self.boards else ())

    def board_on(self, code: str, day: date) -> BoardRules:
        """The board's rule set in force on ``day``; :class:`BoardNotInForce` says why there is none."""
        sets = self._sets(code)
        rules = rule_set_on(sets, day)
        board = Label("board", code)
        if rules is None:
            raise BoardNotOpenYet(board=board, day=day.isoformat(), first=sets[0].effective_on.isoformat() if sets else "?")
        if rules.retired_on is not None and day >= rules.retired_on:
            raise BoardRetired(board=board, day=day.isoformat(), retired_on=rules.retired_on.isoformat(), name=rules.name_en,
                               retired=rules)
        return rules


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
    rule_sets = load_rule_sets(boards_dir)
    day = parse_today(app_config.get("TODAY")) or today()
    # the rule sets in force today: one a zone adds for a later date waits for it
    boards = {}
    for code, sets in rule_sets.items():
        rules = rule_set_on(sets, day)
        if rules is not None and rules.in_force(day):
            boards[code] = rules
    return ScoringSettings(
        config=load_scoring_config(scoring_file),
        boards=boards,
        scoring_file=str(scoring_file) if scoring_file else None,
        boards_dir=str(boards_dir) if boards_dir else None,
        rule_sets=rule_sets,
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
