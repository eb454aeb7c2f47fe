"""How ready an enterprise is to list on a board, criterion by criterion.

A board's rule set (:class:`~matchmaker.scoring.config.BoardRules`) is data: a list of
criteria, each of a *kind* this module knows how to evaluate (``net_profit_total`` with
its ``years`` and ``min``, ...), plus milestone weights.  For each criterion the
assessment says whether it is met, the actual and required figures, how close the
enterprise is (0–1) and, in English and Chinese, by how much it falls short.

Conventions:

- "The last N years" are the N most recent *consecutive* fiscal years the enterprise
  reported; a gap in the reports cuts the history there.
- Net profit is the lower of ``net_profit`` and ``net_profit_deducted`` (after
  non-recurring items) when both are known, as the listing rules require.
- Score: criteria share ``100 - milestone points`` by weight, each earning its weight
  times its closeness (a numeric criterion earns ``actual / required``), so a profitable
  company that misses one threshold scores far above a loss-maker; each milestone done
  adds its points.  ``ready`` means every criterion is met.
- The projection extends the reported figures at the enterprise's recent growth (CAGR of
  revenue and net profit over the consecutive years; losses that narrow keep narrowing at
  the same pace) and reports the first fiscal year whose figures would meet every
  criterion, assuming the steps that are the enterprise's own decision are taken by then:
  the shareholding reform, engaging a sponsor and, where the share capital falls short,
  converting net assets into shares (折股) as a reform usually does.  The message names
  the steps it assumed.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Callable

from ..enterprises.facts import sorted_financials
from . import wording
from .config import BoardRules, CriterionSpec
from .dates import add_years, as_date, founded_cutoff, years_between
from .wording import Text

#: Criterion kinds that are the enterprise's own decision, not figures: the projection assumes them done.
ACTION_KINDS = {"joint_stock": "joint_stock", "sponsor_engaged": "sponsor_engaged"}
#: When a fiscal year's audited figures are available to file with (the annual report deadline).
FIGURES_AVAILABLE = (4, 30)


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

    def to_dict(self) -> dict:
        data = asdict(self)
        if not self.parts:
            del data["parts"]
        return data


@dataclass
class Readiness:
    board: str
    score: int
    ready: bool
    criteria: list[Criterion]
    milestones: list[dict]
    projection: dict  # {"year": int | None, "message", "message_zh"}
    notes: list[dict] = field(default_factory=list)  # {"code", "message", "message_zh"}
    rules_year: int | None = None
    as_of: str | None = None

    def to_dict(self) -> dict:
        return {
            "board": self.board,
            "score": self.score,
            "ready": self.ready,
            "criteria": [c.to_dict() for c in self.criteria],
            "milestones": self.milestones,
            "projection": self.projection,
            "notes": self.notes,
            "rules_year": self.rules_year,
            "as_of": self.as_of,
        }


# -- the figures ---------------------------------------------------------------------------
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


class Figures:
    """An enterprise's reported history as the criteria read it, at a date."""

    def __init__(self, enterprise: dict, as_of: date):
        self.enterprise = enterprise
        self.as_of = as_of
        self.reported = sorted_financials(enterprise)
        self.run = consecutive_tail(self.reported)

    def last(self, count: int) -> list[dict]:
        return self.run[-count:]

    @property
    def latest(self) -> dict:
        return self.run[-1] if self.run else {}

    def founded(self) -> date | None:
        value = self.enterprise.get("founded")
        return as_date(value) if value else None


def _span(rows: list[dict]) -> Text:
    if not rows:
        return Text("no year", "无年度")
    first, last = rows[0]["year"], rows[-1]["year"]
    text = str(first) if first == last else f"{first}–{last}"
    return Text(text, text)


def _ratio(actual: float | None, required: float) -> float:
    """Closeness of a figure to a minimum: 0 for nothing or a loss, 1 once reached."""
    if actual is None or actual <= 0:
        return 0.0
    if required <= 0:
        return 1.0
    return min(1.0, actual / required)


def _reaches(actual: float, minimum: float, strict: bool) -> bool:
    return actual > minimum if strict else actual >= minimum


def _comparison(strict: bool) -> Text:
    return Text("above", "超过") if strict else Text("at least", "不低于")


# -- evaluating criteria ----------------------------------------------------------------------
@dataclass
class Outcome:
    """What an evaluator finds; the template named ``template`` turns it into words."""

    met: bool
    actual: Any
    required: Any
    progress: float
    #: the template's values, or a function that makes them (the words cost more than the
    #: figures, and :func:`summarize` never needs them)
    values: dict | Callable[[], dict] = field(default_factory=dict)
    template: str | None = None  # default: "met" or "unmet"
    parts: list[Criterion] = field(default_factory=list)


def _short_history(rows: list[dict], available: int, actual, required, progress: float) -> Outcome:
    """Fewer consecutive years reported than the criterion looks at: unmet, with partial credit."""
    return Outcome(False, actual, required, progress, {"available": available, "span": _span(rows)}, template="short_history")


def _part(rows: list[dict], count: int) -> float:
    """The share of the years a criterion looks at that are reported."""
    return len(rows) / count


def _flag(key: str) -> Callable[[CriterionSpec, Figures], Outcome]:
    def evaluate(spec: CriterionSpec, figures: Figures) -> Outcome:
        done = bool(figures.enterprise.get(key))
        return Outcome(done, done, True, float(done))

    return evaluate


def _years_in_operation(spec: CriterionSpec, figures: Figures) -> Outcome:
    minimum = spec.params["min"]
    founded = figures.founded()
    if founded is None:
        return Outcome(False, None, minimum, 0.0, {"required": wording.years(minimum)}, template="unknown")
    age = round(years_between(founded, figures.as_of), 1)
    met_on = add_years(founded, minimum)
    values = lambda: {"actual": wording.years(age), "required": wording.years(minimum),
              "gap": wording.years(max(0.0, round(minimum - age, 1))), "date": met_on.isoformat()}
    met = founded <= founded_cutoff(figures.as_of, minimum)
    return Outcome(met, age, minimum, _ratio(age, minimum), values)


def _profitable_years(spec: CriterionSpec, figures: Figures) -> Outcome:
    count = spec.params["years"]
    rows = figures.last(count)
    losing = [r for r in rows if (net_profit(r) or 0) <= 0]
    profitable = len(rows) - len(losing)
    if len(rows) < count:
        return _short_history(rows, len(rows), profitable, count, profitable / count)
    values = {"actual": profitable, "span": _span(rows),
              "loss_years": wording.join([wording.plain(r["year"]) for r in losing])}
    return Outcome(not losing, profitable, count, profitable / count, values)


def _total(field_name: str, read: Callable[[dict], float | None]):
    """A criterion on the sum of one figure over the last N years (``min``, optionally strict)."""

    def evaluate(spec: CriterionSpec, figures: Figures) -> Outcome:
        count, minimum, strict = spec.params["years"], spec.params["min"], spec.params["strict"]
        rows = figures.last(count)
        total = sum(read(r) or 0 for r in rows)
        if len(rows) < count:
            return _short_history(rows, len(rows), total, minimum, _ratio(total, minimum) * _part(rows, count))
        values = lambda: {"actual": wording.money(total), "required": wording.money(minimum), "span": _span(rows),
                  "comparison": _comparison(strict), "gap": wording.money(max(0, minimum - total))}
        return Outcome(_reaches(total, minimum, strict), total, minimum, _ratio(total, minimum), values)

    evaluate.__name__ = f"_{field_name}_total"
    return evaluate


def _net_profit_growing(spec: CriterionSpec, figures: Figures) -> Outcome:
    count = spec.params["years"]
    rows = figures.last(count)
    profits = [net_profit(r) or 0 for r in rows]
    rises = [later > earlier for earlier, later in zip(profits, profits[1:])]
    actual = {str(r["year"]): p for r, p in zip(rows, profits)}
    if len(rows) < max(2, count):
        return _short_history(rows, len(rows), actual, "rising", 0.0)
    values = lambda: {"span": _span(rows), "figures": _yearly(rows, profits, wording.money)}
    return Outcome(all(rises), actual, "rising", sum(rises) / len(rises), values)


def _yearly(rows: list[dict], figures: list, fmt: Callable[[Any], Text]) -> Text:
    return wording.join([Text(f"{r['year']}: {fmt(v).en}", f"{r['year']}年{fmt(v).zh}") for r, v in zip(rows, figures)])


def _revenue_growth_min(spec: CriterionSpec, figures: Figures) -> Outcome:
    count, minimum = spec.params["years"], spec.params["min_rate"]
    rows = figures.last(count + 1)  # growth in N years needs N + 1 years of revenue
    rates = [
        (later["revenue"] - earlier["revenue"]) / earlier["revenue"] if earlier.get("revenue") and later.get("revenue") is not None else None
        for earlier, later in zip(rows, rows[1:])
    ]
    known = [r for r in rates if r is not None]
    lowest = min(known) if known else None
    progress = sum(_ratio(r, minimum) for r in known) / count
    if len(rows) < count + 1:
        return _short_history(rows[1:], len(known), lowest, minimum, progress)
    values = lambda: {"actual": wording.percent(lowest), "required": wording.percent(minimum), "span": _span(rows[1:]),
              "figures": _yearly(rows[1:], rates, wording.percent)}
    met = len(known) == count and lowest >= minimum
    return Outcome(met, lowest, minimum, progress, values)


def _cash_flow_or_revenue_total(spec: CriterionSpec, figures: Figures) -> Outcome:
    p = spec.params
    rows = figures.last(p["years"])
    cash_flow = sum(r.get("operating_cash_flow") or 0 for r in rows)
    revenue = sum(r.get("revenue") or 0 for r in rows)
    actual = {"operating_cash_flow": cash_flow, "revenue": revenue}
    required = {"operating_cash_flow": p["min_cash_flow"], "revenue": p["min_revenue"]}
    progress = max(_ratio(cash_flow, p["min_cash_flow"]), _ratio(revenue, p["min_revenue"]))
    if len(rows) < p["years"]:
        return _short_history(rows, len(rows), actual, required, progress * _part(rows, p["years"]))
    values = lambda: {
        "span": _span(rows), "comparison": _comparison(p["strict"]),
        "cash_flow": wording.money(cash_flow), "min_cash_flow": wording.money(p["min_cash_flow"]),
        "cash_flow_gap": wording.money(max(0, p["min_cash_flow"] - cash_flow)),
        "revenue": wording.money(revenue), "min_revenue": wording.money(p["min_revenue"]),
        "revenue_gap": wording.money(max(0, p["min_revenue"] - revenue)),
    }
    met = _reaches(cash_flow, p["min_cash_flow"], p["strict"]) or _reaches(revenue, p["min_revenue"], p["strict"])
    return Outcome(met, actual, required, progress, values)


def _latest(spec: CriterionSpec, figures: Figures, key: str):
    value = figures.latest.get(key)
    if value is None:
        return None, Outcome(False, None, spec.params.get("min"), 0.0, {"figure": key}, template="unknown")
    return value, None


def _share_capital_min(spec: CriterionSpec, figures: Figures) -> Outcome:
    p = spec.params
    current, missing = _latest(spec, figures, "share_capital")
    if missing:
        return missing
    # After the offering: the new shares make up ``new_issue_share`` of the enlarged capital.
    actual = round(current / (1 - p["new_issue_share"])) if p["after_offering"] else current
    values = lambda: {"actual": wording.money(actual), "required": wording.money(p["min"]), "current": wording.money(current),
              "issue": wording.percent(p["new_issue_share"]), "gap": wording.money(max(0, p["min"] - actual))}
    met = actual >= p["min"]
    template = ("met" if met else "unmet") + ("_after_offering" if p["after_offering"] else "")
    return Outcome(met, actual, p["min"], _ratio(actual, p["min"]), values, template=template)


def _intangible_ratio_max(spec: CriterionSpec, figures: Figures) -> Outcome:
    maximum = spec.params["max"]
    net_assets, missing = _latest(spec, figures, "net_assets")
    if missing:
        return missing
    intangible = figures.latest.get("intangible_assets") or 0
    if net_assets <= 0:
        return Outcome(False, None, maximum, 0.0, {"net_assets": wording.money(net_assets)}, template="no_net_assets")
    ratio = intangible / net_assets
    values = lambda: {"actual": wording.percent(round(ratio, 4)), "required": wording.percent(maximum),
              "gap": wording.money(max(0, intangible - maximum * net_assets))}
    progress = 1.0 if ratio <= maximum else maximum / ratio
    return Outcome(ratio <= maximum, round(ratio, 4), maximum, progress, values)


def _no_uncovered_losses(spec: CriterionSpec, figures: Figures) -> Outcome:
    # Approximation: the figures carry no retained earnings, so net assets below share
    # capital are read as accumulated losses not yet made up (capital reserves >= 0).
    net_assets, missing = _latest(spec, figures, "net_assets")
    share_capital = figures.latest.get("share_capital")
    if missing or share_capital is None:
        return missing or Outcome(False, None, None, 0.0, {"figure": "share_capital"}, template="unknown")
    values = lambda: {"actual": wording.money(net_assets), "required": wording.money(share_capital),
              "gap": wording.money(max(0, share_capital - net_assets))}
    return Outcome(net_assets >= share_capital, net_assets, share_capital, _ratio(net_assets, share_capital), values)


def _net_assets_min(spec: CriterionSpec, figures: Figures) -> Outcome:
    minimum = spec.params["min"]
    net_assets, missing = _latest(spec, figures, "net_assets")
    if missing:
        return missing
    values = lambda: {"actual": wording.money(net_assets), "required": wording.money(minimum),
              "gap": wording.money(max(0, minimum - net_assets))}
    return Outcome(net_assets >= minimum, net_assets, minimum, _ratio(net_assets, minimum), values)


def _going_concern(spec: CriterionSpec, figures: Figures) -> Outcome:
    """Revenue in the latest year, and not a run of losses that has eaten the net assets."""
    limit = spec.params["max_consecutive_losses"]
    latest = figures.latest
    has_revenue = bool(latest.get("revenue"))
    losses_in_a_row = 0
    for row in reversed(figures.run):
        if (net_profit(row) or 0) >= 0:
            break
        losses_in_a_row += 1
    insolvent = losses_in_a_row >= limit and (latest.get("net_assets") or 0) < 0
    problems = []
    if not has_revenue:
        problems.append(Text("no revenue in the latest year", "最近一年无营业收入"))
    if insolvent:
        problems.append(Text(f"{losses_in_a_row} loss-making years in a row with negative net assets",
                             f"连续{losses_in_a_row}年亏损且净资产为负"))
    met = not problems
    progress = (int(has_revenue) + int(not insolvent)) / 2
    return Outcome(met, met, True, progress, {"problems": wording.join(problems), "span": _span(figures.run)})


def _any_of(spec: CriterionSpec, figures: Figures) -> Outcome:
    """Met through any one option whose criteria are all met; as close as the closest option."""
    results = []
    for option in spec.options:
        criteria = [evaluate_criterion(c, figures) for c in option.criteria]
        weights = [c.weight for c in option.criteria]
        progress = sum(w * c.progress for w, c in zip(weights, criteria)) / (sum(weights) or 1)
        for criterion in criteria:
            criterion.id = f"{option.id}.{criterion.id}"
        results.append((option, criteria, progress))
    met_options = [(o, cs, p) for o, cs, p in results if all(c.met for c in cs)]
    option, criteria, progress = (met_options or sorted(results, key=lambda r: -r[2]))[0]
    title = Text(option.title["en"], option.title["zh"])
    shortfalls = [Text(c.message, c.message_zh) for c in criteria if not c.met]
    values = {"option": title, "shortfalls": _sentences(shortfalls)}
    parts = [c for _, cs, _ in results for c in cs]
    actual = {o.id: all(c.met for c in cs) for o, cs, _ in results}
    return Outcome(bool(met_options), actual, [o.id for o in spec.options], 1.0 if met_options else progress, values, parts=parts)


def _sentences(items: list[Text]) -> Text:
    return Text(" ".join(t.en for t in items), "".join(t.zh for t in items))


EVALUATORS: dict[str, Callable[[CriterionSpec, Figures], Outcome]] = {
    "joint_stock": _flag("joint_stock"),
    "sponsor_engaged": _flag("sponsor_engaged"),
    "years_in_operation": _years_in_operation,
    "profitable_years": _profitable_years,
    "net_profit_total": _total("net_profit", net_profit),
    "net_profit_growing": _net_profit_growing,
    "revenue_total": _total("revenue", lambda r: r.get("revenue")),
    "revenue_growth_min": _revenue_growth_min,
    "cash_flow_or_revenue_total": _cash_flow_or_revenue_total,
    "share_capital_min": _share_capital_min,
    "intangible_ratio_max": _intangible_ratio_max,
    "no_uncovered_losses": _no_uncovered_losses,
    "net_assets_min": _net_assets_min,
    "going_concern": _going_concern,
    "any_of": _any_of,
}


def evaluate_criterion(spec: CriterionSpec, figures: Figures) -> Criterion:
    outcome = EVALUATORS[spec.kind](spec, figures)
    template_name = outcome.template or ("met" if outcome.met else "unmet")
    template = spec.messages.get(template_name) or spec.messages["met" if outcome.met else "unmet"]
    found = outcome.values() if callable(outcome.values) else outcome.values
    values = {"title": Text(spec.title["en"], spec.title["zh"]), "years": spec.params.get("years"), **found}
    text = wording.render(template, values)
    return Criterion(
        id=spec.id, met=outcome.met, actual=outcome.actual, required=outcome.required,
        message=text.en, message_zh=text.zh, progress=round(max(0.0, min(1.0, outcome.progress)), 4),
        parts=outcome.parts,
    )


# -- the assessment ----------------------------------------------------------------------------
def _say(rules: BoardRules, key: str, **values) -> dict:
    text = wording.render(rules.wording[key], {"board": Text(rules.name_en, rules.name_zh), **values})
    return {"message": text.en, "message_zh": text.zh}


def _milestones(enterprise: dict, rules: BoardRules) -> list[dict]:
    return [
        {"id": name, "done": bool(enterprise.get(name)), "points": points, **_say(rules, f"milestones.{name}")}
        for name, points in rules.milestones.items()
    ]


def _score(criteria: list[Criterion], rules: BoardRules, milestones: list[dict]) -> int:
    done = sum(m["points"] for m in milestones if m["done"])
    return _points([c.progress for c in criteria], rules, done)


def _points(progress: list[float], rules: BoardRules, milestone_points: float) -> int:
    weights = [spec.weight for spec in rules.criteria]
    share = sum(w * p for w, p in zip(weights, progress)) / (sum(weights) or 1)
    criteria_points = 100 - sum(rules.milestones.values())
    return max(0, min(100, round(share * criteria_points + milestone_points)))


def _notes(figures: Figures, rules: BoardRules) -> list[dict]:
    if not figures.reported:
        return [{"code": "no_financials", **_say(rules, "notes.no_financials")}]
    notes = []
    latest = figures.reported[-1]["year"]
    age_months = (figures.as_of.year - latest) * 12 + figures.as_of.month - 12
    if age_months > rules.financials_max_age_months:
        notes.append({"code": "stale_figures", **_say(rules, "notes.stale_figures", year=latest, months=age_months,
                                                      as_of=figures.as_of.isoformat())})
    if len(figures.run) < len(figures.reported):
        missing = figures.run[0]["year"] - 1
        notes.append({"code": "gap_in_figures", **_say(rules, "notes.gap_in_figures", year=missing, span=_span(figures.run))})
    return notes


def evaluate_all(enterprise: dict, rules: BoardRules, as_of: date) -> list[Criterion]:
    figures = Figures(enterprise, as_of)
    return [evaluate_criterion(spec, figures) for spec in rules.criteria]


def assess(enterprise: dict, board_rules: BoardRules, as_of: date | str | None = None) -> Readiness:
    """The enterprise against one board's rule set, at ``as_of`` (default today)."""
    as_of = as_date(as_of)
    criteria = evaluate_all(enterprise, board_rules, as_of)
    milestones = _milestones(enterprise, board_rules)
    ready = all(c.met for c in criteria)
    return Readiness(
        board=board_rules.board,
        score=_score(criteria, board_rules, milestones),
        ready=ready,
        criteria=criteria,
        milestones=milestones,
        projection=project(enterprise, board_rules, as_of, ready),
        notes=_notes(Figures(enterprise, as_of), board_rules),
        rules_year=board_rules.effective_year,
        as_of=as_of.isoformat(),
    )


def summarize(enterprise: dict, board_rules: BoardRules, as_of: date | str | None = None) -> tuple[int, bool]:
    """``(score, ready)`` as :func:`assess` gives them, without sentences or projection.

    Cheap enough to run for every enterprise of a bulk import (readiness snapshots).
    """
    figures = Figures(enterprise, as_date(as_of))
    progress, ready = [], True
    for spec in board_rules.criteria:
        closeness, met = _progress(spec, figures)
        progress.append(closeness)
        ready = ready and met
    done = sum(points for name, points in board_rules.milestones.items() if enterprise.get(name))
    return _points(progress, board_rules, done), ready


def _progress(spec: CriterionSpec, figures: Figures) -> tuple[float, bool]:
    """(progress, met) as :func:`evaluate_criterion` finds them; an either/or criterion's
    options are evaluated the same way, without their sentences."""
    if spec.kind == "any_of":
        options = []
        for option in spec.options:
            results = [_progress(c, figures) for c in option.criteria]
            weights = [c.weight for c in option.criteria]
            closeness = sum(w * p for w, (p, _) in zip(weights, results)) / (sum(weights) or 1)
            options.append((closeness, all(met for _, met in results)))
        met = any(met for _, met in options)
        raw = 1.0 if met else max((p for p, _ in options), default=0.0)
    else:
        outcome = EVALUATORS[spec.kind](spec, figures)
        raw, met = outcome.progress, outcome.met
    return round(max(0.0, min(1.0, raw)), 4), met


def assess_all(enterprise: dict, rules_by_board: dict[str, BoardRules], as_of: date | str | None = None) -> dict[str, Readiness]:
    """The enterprise against every board's rule set."""
    return {board: assess(enterprise, rules, as_of) for board, rules in rules_by_board.items()}


# -- projection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    """How the figures are assumed to move on: yearly rates, or losses narrowing linearly."""

    revenue_rate: float
    profit_rate: float | None  # None: profit moves by ``profit_step`` a year instead
    profit_step: float = 0.0

    def describe(self, rules: BoardRules) -> dict:
        revenue = wording.percent(round(self.revenue_rate, 3))
        if self.profit_rate is not None:
            profit = wording.render(rules.wording["projection.trend_rate"], {"rate": wording.percent(round(self.profit_rate, 3))})
        else:
            profit = wording.render(rules.wording["projection.trend_narrowing"], {"amount": wording.money(round(self.profit_step))})
        return {"revenue_trend": revenue, "profit_trend": profit}


def _cagr(first: float | None, last: float | None, years: int, limits: dict) -> float | None:
    if not first or not last or first <= 0 or last <= 0 or years < 1:
        return None
    rate = (last / first) ** (1 / years) - 1
    return max(limits["min_growth"], min(limits["max_growth"], rate))


def recent_trend(run: list[dict], limits: dict) -> Trend | None:
    """The growth the reported years show; None when losses are not narrowing."""
    first, last, span = run[0], run[-1], len(run) - 1
    revenue_rate = _cagr(first.get("revenue"), last.get("revenue"), span, limits) or 0.0
    first_profit, last_profit = net_profit(first) or 0, net_profit(last) or 0
    profit_rate = _cagr(first_profit, last_profit, span, limits)
    if profit_rate is not None:
        return Trend(revenue_rate, profit_rate)
    if last_profit > 0:  # just turned profitable: assume the margin holds
        return Trend(revenue_rate, revenue_rate)
    if last_profit > first_profit:  # losses narrowing: assume they keep narrowing at the same pace
        return Trend(revenue_rate, None, (last_profit - first_profit) / span)
    return None


def _next_year(row: dict, trend: Trend) -> dict:
    profit = net_profit(row) or 0
    revenue_factor = 1 + trend.revenue_rate
    next_profit = profit * (1 + trend.profit_rate) if trend.profit_rate is not None else profit + trend.profit_step
    cash_flow = row.get("operating_cash_flow") or 0
    return {
        "year": row["year"] + 1,
        "revenue": (row.get("revenue") or 0) * revenue_factor,
        "net_profit": next_profit,
        "operating_cash_flow": cash_flow * revenue_factor if cash_flow > 0 else max(next_profit, 0),
        "net_assets": (row.get("net_assets") or 0) + next_profit,
        "intangible_assets": row.get("intangible_assets") or 0,
        "share_capital": row.get("share_capital") or 0,
    }


def _ready_with_actions(enterprise: dict, rules: BoardRules, as_of: date) -> tuple[bool, list[Criterion]]:
    """Whether every figure-based criterion is met, once the enterprise's own steps are taken."""
    assumed = {**enterprise, **{flag: True for flag in ACTION_KINDS.values()}}
    criteria = evaluate_all(assumed, rules, as_of)
    return all(c.met for c in criteria), criteria


def _with_converted_capital(rows: list[dict]) -> list[dict]:
    """The latest year with its net assets turned into share capital, as a shareholding reform may do (折股)."""
    latest = rows[-1]
    if (latest.get("net_assets") or 0) <= (latest.get("share_capital") or 0):
        return rows
    return rows[:-1] + [{**latest, "share_capital": latest["net_assets"]}]


def _ready_in(enterprise: dict, rows: list[dict], rules: BoardRules, as_of: date) -> tuple[bool, bool, list[Criterion]]:
    """(ready, needs the capital conversion, criteria) for these figures, with the enterprise's own steps taken.

    When even the conversion does not make it ready, the criteria say what is still missing after it.
    """
    ready, criteria = _ready_with_actions({**enterprise, "financials": rows}, rules, as_of)
    if ready:
        return True, False, criteria
    converted, converted_criteria = _ready_with_actions({**enterprise, "financials": _with_converted_capital(rows)}, rules, as_of)
    return converted, converted, converted_criteria


def _pending_steps(enterprise: dict, rules: BoardRules, convert_capital: bool = False) -> Text:
    pending = [
        wording.render(rules.wording[f"projection.step_{kind}"], {})
        for kind in dict.fromkeys(spec.kind for spec in rules.criteria if spec.kind in ACTION_KINDS)
        if not enterprise.get(ACTION_KINDS[kind])
    ]
    if convert_capital:
        pending.append(wording.render(rules.wording["projection.step_share_capital"], {}))
    if not pending:
        return wording.render(rules.wording["projection.step_none"], {})
    return wording.join(pending)


def project(enterprise: dict, rules: BoardRules, as_of: date, ready_now: bool | None = None) -> dict:
    """The first fiscal year whose figures would meet the board at the recent growth, or None and why."""
    figures = Figures(enterprise, as_of)
    run = figures.run
    if ready_now is None:
        ready_now = all(c.met for c in evaluate_all(enterprise, rules, as_of))
    latest_year = run[-1]["year"] if run else None
    if ready_now:
        return {"year": latest_year, **_say(rules, "projection.ready", year=latest_year)}
    if run:
        ready, convert, _ = _ready_in(enterprise, figures.reported, rules, as_of)
        if ready:
            steps = _pending_steps(enterprise, rules, convert)
            return {"year": latest_year, **_say(rules, "projection.figures_ready", year=latest_year, steps=steps)}
    if len(run) < 2:
        return {"year": None, **_say(rules, "projection.no_history")}
    trend = recent_trend(run, rules.projection)
    if trend is None:
        return {"year": None, **_say(rules, "projection.losses", span=_span(run))}
    projected = list(figures.reported)
    unmet: list[Criterion] = []
    for _ in range(rules.projection["horizon_years"]):
        projected.append(_next_year(projected[-1], trend))
        year = projected[-1]["year"]
        filing_date = max(as_of, date(year + 1, *FIGURES_AVAILABLE))
        ready, convert, criteria = _ready_in(enterprise, projected, rules, filing_date)
        if ready:
            steps = _pending_steps(enterprise, rules, convert)
            return {"year": year, **_say(rules, "projection.year", year=year, filing=year + 1, steps=steps, **trend.describe(rules))}
        unmet = [c for c in criteria if not c.met]
    titles = wording.join([Text(spec.title["en"], spec.title["zh"]) for spec in rules.criteria if spec.id in {c.id for c in unmet}])
    return {"year": None, **_say(rules, "projection.never", horizon=rules.projection["horizon_years"], unmet=titles,
                                 **trend.describe(rules))}
