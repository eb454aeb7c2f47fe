"""Criterion kinds of the listing rule sets: one function each, registered in :data:`KINDS`.

Modules by concern: :mod:`.status` (legal form, age, governance), :mod:`.history`
(profit, revenue, cash flow, ROE), :mod:`.balance` (capital, net assets, losses,
intangibles), :mod:`.innovation` (R&D, patents), :mod:`.market` (market value,
shareholders, the offering, NEEQ quotation), :mod:`.alternatives` (any one of N).
A new kind is a function with :func:`~.base.kind` in one of them (or a new module
imported here).
"""
from . import alternatives, balance, history, innovation, market, status  # noqa: F401  (they register their kinds)
from .base import KINDS, Criterion, Figures, Kind, Outcome, Param, consecutive_tail, describe, evaluate, evaluate_criterion, net_profit

__all__ = ["KINDS", "Criterion", "Figures", "Kind", "Outcome", "Param", "consecutive_tail", "describe", "evaluate",
           "evaluate_criterion", "net_profit"]
