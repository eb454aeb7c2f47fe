"""The criterion registry and what every criterion kind reads: the figures and the outcome.

A criterion *kind* is one function, registered here with :func:`kind` together with the
parameters a rule file gives it and its default wording.  The rule-file checker
(:mod:`..config`), the assessment and the cheap summary all read :data:`KINDS`, so a new
kind is one function in one module of this package and nothing else.

An evaluator returns an :class:`Outcome` (met, actual, required, progress) without
sentences; :func:`describe` turns it into words only when an answer needs them, so a bulk
summary runs the very same evaluator and skips the wording.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from ...enterprises.facts import sorted_financials
from .. import wording
from ..dates import as_date
from ..wording import Text

if TYPE_CHECKING:
    from ..config import CriterionSpec

# -- parameters -------------------------------------------------------------------------------
YEARS, NUMBER, FRACTION, BOOL, TEXT = "years", "number", "fraction", "bool", "text"


@dataclass(frozen=True)
class Param:
    type: str
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class Kind:
    """A criterion kind: its evaluator, the parameters a rule file gives it, its default wording."""

    name: str
    evaluate: Callable[["CriterionSpec", "Figures"], "Outcome"]
    params: dict[str, Param]
    templates: dict[str, dict[str, str]]
    takes_options: bool = False
    #: the enterprise field a kind reads when it is one of the enterprise's own steps (the
    #: projection assumes those done); a function of the criterion's parameters
    action_field: Callable[[dict], str | None] | None = None


#: Every criterion kind, by name.
KINDS: dict[str, Kind] = {}


def kind(name: str, *, templates: dict | None = None, options: bool = False,
         action: Callable[[dict], str | None] | None = None, **params: Param):
    """Register the decorated evaluator as criterion kind ``name``."""

    def register(evaluate):
        if name in KINDS:
            raise RuntimeError(f"criterion kind {name!r} registered twice")
        KINDS[name] = Kind(name, evaluate, dict(params), templates or {}, options, action)
        return evaluate

    return register


# -- the figures ----------------------------------------------------------------------------
def net_profit(row: dict) -> float | None:
    """The lower of net profit before and after non-recurring items, when both are known."""
    known = [v for v in (row.get("net_profit"), row.get("net_profit_deducted")) if v is not None]
    return min(known) if known else None


def consecutive_tail(rows: list[dict]) -> list[dict]:
    """The most recent run of consecutive fiscal years (oldest first)."""
    run: list[dict] = []
    for row in reversed(rows):
        if run and row["year"] != run[0]["year"] - 1:
            break
        run.insert(0, row)
    return run


def closed_by(rows: list[dict], as_of: date) -> list[dict]:
    """The fiscal years that had closed by ``as_of`` (a year closes on 31 December)."""
    return [r for r in rows if date(r["year"], 12, 31) < as_of]


class Figures:
    """An enterprise's reported history as the criteria read it, at a date: only the fiscal
    years closed by then count."""

    def __init__(self, enterprise: dict, as_of: date):
        self.enterprise = enterprise
        self.as_of = as_of
        self.reported = closed_by(sorted_financials(enterprise), as_of)
        self.run = consecutive_tail(self.reported)

    def last(self, count: int) -> list[dict]:
        return self.run[-count:]

    @property
    def latest(self) -> dict:
        return self.run[-1] if self.run else {}

    def founded(self) -> date | None:
        value = self.enterprise.get("founded")
        return as_date(value) if value else None

    def section(self, key: str) -> dict:
        """An object field of the enterprise (``valuation``, ``governance``), {} when absent."""
        value = self.enterprise.get(key)
        return value if isinstance(value, dict) else {}

    def date_of(self, section: str, key: str) -> date | None:
        value = self.section(section).get(key)
        return as_date(value) if value else None


def span(rows: list[dict]) -> Text:
    if not rows:
        return Text("no year", "无年度")
    first, last = rows[0]["year"], rows[-1]["year"]
    text = str(first) if first == last else f"{first}–{last}"
    return Text(text, text)


def ratio(actual: float | None, required: float) -> float:
    """Closeness of a figure to a minimum: 0 for nothing or a loss, 1 once reached."""
    if actual is None or actual <= 0:
        return 0.0
    if required <= 0:
        return 1.0
    return min(1.0, actual / required)


def reaches(actual: float, minimum: float, strict: bool) -> bool:
    return actual > minimum if strict else actual >= minimum


def comparison(strict: bool) -> Text:
    return Text("above", "超过") if strict else Text("at least", "不低于")


def yearly(rows: list[dict], values: list, fmt: Callable[[Any], Text]) -> Text:
    return wording.join([Text(f"{r['year']}: {fmt(v).en}", f"{r['year']}年{fmt(v).zh}") for r, v in zip(rows, values)])


def sentences(items: list[Text]) -> Text:
    return Text(" ".join(t.en for t in items), "".join(t.zh for t in items))


# -- outcomes and their words ---------------------------------------------------------------------
@dataclass
class Criterion:
    id: str
    met: bool
    actual: Any
    required: Any
    message: str
    message_zh: str
    progress: float = 0.0  # 0–1: how close the enterprise is to meeting it
    parts: list["Criterion"] = field(default_factory=list)  # an either/or criterion's sub-criteria
    options: list[dict] = field(default_factory=list)  # an either/or criterion's ways: {id, title, met, progress}
    #: where the figure comes from: {document, article, date, status (confirmed, corroborated, unconfirmed), note}
    citation: dict | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("parts", "options", "citation"):
            if not data[key]:
                del data[key]
        return data


@dataclass
class Outcome:
    """What an evaluator finds; the template named ``template`` turns it into words."""

    met: bool
    actual: Any
    required: Any
    progress: float
    #: the template's values, or a function that makes them (the words cost more than the
    #: figures, and a summary never needs them)
    values: dict | Callable[[], dict] = field(default_factory=dict)
    template: str | None = None  # default: "met" or "unmet"
    #: an either/or criterion's options: (option, [(criterion spec, outcome)], progress)
    options: list[tuple] = field(default_factory=list)


def short_history(rows: list[dict], available: int, actual, required, progress: float) -> Outcome:
    """Fewer consecutive years reported than the criterion looks at: unmet, with partial credit."""
    return Outcome(False, actual, required, progress, {"available": available, "span": span(rows)}, template="short_history")


def part(rows: list[dict], count: int) -> float:
    """The share of the years a criterion looks at that are reported."""
    return len(rows) / count


def latest_figure(spec: "CriterionSpec", figures: Figures, key: str):
    value = figures.latest.get(key)
    if value is None:
        return None, Outcome(False, None, spec.params.get("min"), 0.0, {"figure": key}, template="unknown")
    return value, None


def clamp(progress: float) -> float:
    return round(max(0.0, min(1.0, progress)), 4)


def evaluate(spec: "CriterionSpec", figures: Figures) -> Outcome:
    return KINDS[spec.kind].evaluate(spec, figures)


def describe(spec: "CriterionSpec", outcome: Outcome) -> Criterion:
    """The outcome in words, with the criterion's template (and its options' criteria)."""
    template_name = outcome.template or ("met" if outcome.met else "unmet")
    template = spec.messages.get(template_name) or spec.messages["met" if outcome.met else "unmet"]
    found = outcome.values() if callable(outcome.values) else outcome.values
    values = {"title": Text(spec.title["en"], spec.title["zh"]), "years": spec.params.get("years"), **found}
    text = wording.render(template, values)
    parts = []
    for option, results, _ in outcome.options:
        for sub, result in results:
            criterion = describe(sub, result)
            criterion.id = f"{option.id}.{criterion.id}"  # "<option>.<criterion>" inside the either/or
            parts.append(criterion)
    options = [{"id": o.id, "title": dict(o.title), "met": all(r.met for _, r in results), "progress": clamp(p)}
               for o, results, p in outcome.options]
    return Criterion(
        id=spec.id, met=outcome.met, actual=outcome.actual, required=outcome.required,
        message=text.en, message_zh=text.zh, progress=clamp(outcome.progress), parts=parts, options=options,
        citation=dict(spec.citation) if spec.citation else None,
    )


def evaluate_criterion(spec: "CriterionSpec", figures: Figures) -> Criterion:
    return describe(spec, evaluate(spec, figures))
