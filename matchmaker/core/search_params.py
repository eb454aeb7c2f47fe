"""Turning validated query-string arguments into search filters."""
from __future__ import annotations

from ..search import Filter, Range, Sort, Terms


def terms_filters(args: dict, field_by_param: dict[str, str]) -> list[Filter]:
    """One Terms filter per repeated parameter present: OR within a field, AND across fields."""
    return [Terms(field, args[param]) for param, field in field_by_param.items() if args.get(param)]


def sort_from(value: str | None) -> list[Sort]:
    """``"-amount"`` sorts by amount, highest first; ``relevance`` or nothing: the engine's order."""
    if not value or value == "relevance":
        return []
    return [Sort(value.lstrip("-"), descending=value.startswith("-"))]


def amount_range(field: str, low: int | None, high: int | None) -> list[Filter]:
    if low is None and high is None:
        return []
    return [Range(field, gte=low, lte=high)]
