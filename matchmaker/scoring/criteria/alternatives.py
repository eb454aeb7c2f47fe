"""Alternative ways of meeting a criterion (any one of N): a board's listing standards."""
from __future__ import annotations

from ..wording import Text
from .base import Outcome, describe, evaluate, kind, sentences


def _option_progress(option, results) -> float:
    weights = [c.weight for c in option.criteria]
    return sum(w * o.progress for w, (_, o) in zip(weights, results)) / (sum(weights) or 1)


@kind("any_of", options=True)
def any_of(spec, figures) -> Outcome:
    """Met through any one option whose criteria are all met; as close as the closest option."""
    evaluated = []
    for option in spec.options:
        results = [(c, evaluate(c, figures)) for c in option.criteria]
        evaluated.append((option, results, _option_progress(option, results)))
    met_options = [e for e in evaluated if all(o.met for _, o in e[1])]
    nearest = (met_options or sorted(evaluated, key=lambda e: -e[2]))[0]

    def values() -> dict:
        option, results, _ = nearest
        shortfalls = [Text(d.message, d.message_zh) for d in (describe(c, o) for c, o in results if not o.met)]
        return {"option": Text(option.title["en"], option.title["zh"]), "shortfalls": sentences(shortfalls)}

    actual = {o.id: all(r.met for _, r in results) for o, results, _ in evaluated}
    progress = 1.0 if met_options else nearest[2]
    return Outcome(bool(met_options), actual, [o.id for o in spec.options], progress, values, options=evaluated)


