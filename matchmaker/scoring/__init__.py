"""Scoring: how well a funding need fits an institution, and how ready an enterprise is to list.

Everything here takes plain data (dicts, dataclasses) and knows nothing of Flask or of a
database, so the API, the CLI and the tests call the same functions:

- :mod:`.config` loads the zone-editable files (weights, hard rules, board rule sets);
- :mod:`.matching` scores a need against an institution, ranks institutions for a need,
  and turns an institution's hard rules and factors into search-engine filters and boosts
  for its deal flow;
- :mod:`.readiness` assesses an enterprise against a board's listing rules;
- :mod:`.products` turns an institution's products into the offers matching scores;
- :mod:`.alternatives` offers the other ways an expert would fund a need;
- :mod:`.evaluate` measures ranking quality on the labelled cases in ``cases/`` and audits the demo.
"""
from __future__ import annotations

from .config import BoardRules, ScoringConfig, load_board_rules, load_scoring_config
from .matching import (
    MatchResult,
    Reason,
    dealflow_boosts,
    dealflow_filters,
    rank_institutions,
    score_match,
)
from .readiness import Criterion, Readiness, assess, assess_all

__all__ = [
    "ScoringConfig", "BoardRules", "load_scoring_config", "load_board_rules",
    "Reason", "MatchResult", "score_match", "rank_institutions", "dealflow_filters", "dealflow_boosts",
    "Criterion", "Readiness", "assess", "assess_all",
]
