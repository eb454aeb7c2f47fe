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

from dataclasses import dataclass, field
from datetime import date

from ..clock import today
from . import wording
from .config import BoardRules
from .criteria import KINDS, Criterion, Figures, consecutive_tail, evaluate, evaluate_criterion, net_profit
from .criteria.base import clamp, span as _span
from .dates import as_date
from .wording import Text

__all__ = ["Criterion", "Readiness", "assess", "assess_all", "summarize", "project", "consecutive_tail", "net_profit",
           "evaluate_criterion", "EVALUATORS"]

#: When a fiscal year's audited figures are available to file with (the annual report deadline).
FIGURES_AVAILABLE = (4, 30)
#: Each criterion kind's evaluator, by name (the registry's view; see :mod:`.criteria`).
EVALUATORS = {name: registered.evaluate for name, registered in KINDS.items()}


def action_fields(rules: BoardRules) -> dict[str, str]:
    """criterion id -> the enterprise field of each criterion that is the enterprise's own step
    (the shareholding reform, engaging a sponsor or NEEQ broker): the projection assumes them done."""
    found = {}
    for spec in rules.criteria:
        action = KINDS[spec.kind].action_field
        field_name = action(spec.params) if action else None
        if field_name:
            found[spec.id] = field_name
    return found


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
    rule_set: dict = field(default_factory=dict)  # {id, effective_on, retired_on, source}
    standards: list[dict] = field(default_factory=list)  # [{id, title, met, progress, nearest, criteria}]

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
            "rule_set": self.rule_set,
            "standards": self.standards,
        }


def rule_set_summary(rules: BoardRules) -> dict:
    return {"id": rules.id, "effective_on": rules.effective_on.isoformat(),
            "retired_on": rules.retired_on.isoformat() if rules.retired_on else None,
            "source": rules.document or rules.source, "file": rules.source}


def standards_of(criteria: list[Criterion], rules: BoardRules) -> list[dict]:
    """The board's alternative standards, each with its criteria; the nearest unmet one (when
    none is met) is marked, and its criteria say by how much each falls short."""
    spec = rules.standards
    found = next((c for c in criteria if spec is not None and c.id == spec.id), None)
    if found is None:
        return []
    met_any = any(o["met"] for o in found.options)
    nearest = None if met_any else max(found.options, key=lambda o: o["progress"])["id"]
    return [
        {**option, "nearest": option["id"] == nearest,
         "criteria": [{**c.to_dict(), "id": c.id.split(".", 1)[1]} for c in found.parts if c.id.startswith(option["id"] + ".")]}
        for option in found.options
    ]


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
    stale = _stale_valuation(figures, rules)
    if stale:
        notes.append({"code": "stale_valuation", **_say(rules, "notes.stale_valuation", **stale)})
    return notes


#: A valuation older than this, on a board that reads the expected market value, should be refreshed.
VALUATION_MAX_AGE_MONTHS = 12


def _uses(rules: BoardRules, kind: str) -> bool:
    specs = list(rules.criteria)
    while specs:
        spec = specs.pop()
        if spec.kind == kind:
            return True
        specs.extend(c for option in spec.options for c in option.criteria)
    return False


def _stale_valuation(figures: Figures, rules: BoardRules) -> dict | None:
    """The valuation's date and age when a market-value board reads one older than a year."""
    on = figures.date_of("valuation", "as_of")
    if on is None or on > figures.as_of or not _uses(rules, "market_value_min"):
        return None
    months = (figures.as_of.year - on.year) * 12 + figures.as_of.month - on.month
    if months <= VALUATION_MAX_AGE_MONTHS:
        return None
    return {"date": on.isoformat(), "months": months, "as_of": figures.as_of.isoformat()}


def evaluate_all(enterprise: dict, rules: BoardRules, as_of: date) -> list[Criterion]:
    figures = Figures(enterprise, as_of)
    return [evaluate_criterion(spec, figures) for spec in rules.criteria]


def progress_all(enterprise: dict, rules: BoardRules, as_of: date) -> list[float]:
    """Each criterion's progress, 1.0 when met, as :func:`evaluate_all` finds them, without
    putting them into words (an import computes this for every enterprise: the wording was
    most of its cost)."""
    figures = Figures(enterprise, as_of)
    outcomes = [evaluate(spec, figures) for spec in rules.criteria]
    return [1.0 if o.met else clamp(o.progress) for o in outcomes]


def assess(enterprise: dict, board_rules: BoardRules, as_of: date | str | None = None) -> Readiness:
    """The enterprise against one board's rule set, at ``as_of`` (default today): only the
    fiscal years closed by then count."""
    as_of = as_date(as_of) if as_of is not None else today()
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
        rule_set=rule_set_summary(board_rules),
        standards=standards_of(criteria, board_rules),
    )


def summarize(enterprise: dict, board_rules: BoardRules, as_of: date | str | None = None) -> tuple[int, bool]:
    """``(score, ready)`` as :func:`assess` gives them: the same evaluators, without their
    sentences or the projection.  Cheap enough for every enterprise of a bulk import.
    """
    figures = Figures(enterprise, as_date(as_of) if as_of is not None else today())
    outcomes = [evaluate(spec, figures) for spec in board_rules.criteria]
    progress = [round(max(0.0, min(1.0, o.progress)), 4) for o in outcomes]
    done = sum(points for name, points in board_rules.milestones.items() if enterprise.get(name))
    return _points(progress, board_rules, done), all(o.met for o in outcomes)


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
    """The year after ``row`` at the trend: revenue-linked figures grow with revenue, profit
    adds to net assets and retained earnings, the rest stays."""
    profit = net_profit(row) or 0
    revenue_factor = 1 + trend.revenue_rate
    next_profit = profit * (1 + trend.profit_rate) if trend.profit_rate is not None else profit + trend.profit_step
    cash_flow = row.get("operating_cash_flow") or 0
    projected = {
        **{k: v for k, v in row.items() if k not in ("net_profit_deducted",)},
        "year": row["year"] + 1,
        "revenue": (row.get("revenue") or 0) * revenue_factor,
        "net_profit": next_profit,
        "operating_cash_flow": cash_flow * revenue_factor if cash_flow > 0 else max(next_profit, 0),
        "net_assets": (row.get("net_assets") or 0) + next_profit,
        "intangible_assets": row.get("intangible_assets") or 0,
        "share_capital": row.get("share_capital") or 0,
    }
    if row.get("retained_earnings") is not None:
        projected["retained_earnings"] = row["retained_earnings"] + next_profit
    if row.get("rd_expenses") is not None:
        projected["rd_expenses"] = row["rd_expenses"] * revenue_factor
    return projected


def _ready_with_actions(enterprise: dict, rules: BoardRules, as_of: date) -> tuple[bool, list[Criterion]]:
    """Whether every figure-based criterion is met, once the enterprise's own steps are taken."""
    assumed = {**enterprise, **{flag: True for flag in action_fields(rules).values()}}
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
    titles = {spec.id: spec.title for spec in rules.criteria}
    pending = []
    for criterion_id, field_name in action_fields(rules).items():
        if enterprise.get(field_name):
            continue
        key = f"projection.step_{field_name}"
        pending.append(wording.render(rules.wording[key], {}) if key in rules.wording
                       else Text(titles[criterion_id]["en"], titles[criterion_id]["zh"]))
    pending = list(dict.fromkeys(pending))
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
