"""How well a funding need fits an institution, in both directions.

A match is **eligible** unless the institution's hard rules exclude the need (it does not
offer the instrument, the amount is outside its ticket range, the stage is not one it
works with, or an explicit requirement is unmet).  Its **score** (0–100) adds up weighted
factors; every factor and every broken rule appears in ``reasons`` with its points and a
sentence in English and Chinese.

Each hard rule and each step of a structured factor is written once, as a filter on the
needs index.  :func:`score_match` evaluates those filters in Python
(each clause compiled once, :func:`~matchmaker.scoring.clauses.compile_clause`, the one
evaluation of a filter); :func:`dealflow_filters` and
:func:`dealflow_boosts` hand the same filters to the search engine.  So for an
institution's deal flow the engine keeps exactly the eligible needs and orders them by
exactly the Python score without its text factor; re-sorting a page by the full score
can move a need by at most the text factor's points (:func:`text_points`).

An institution with products is scored as its best-fitting product
(:mod:`~matchmaker.scoring.products`): the engine keeps exactly the needs some product
takes and orders them by the best of the products' totals (:func:`dealflow_best_of`);
an engine that cannot rank by such a maximum (the tantivy index) orders them by the
institution's profile instead.  The special fund's programmes (:func:`policy_programmes`)
are known to the Python score only; the re-sorting of each block puts that right.

Scoring works from the need as the needs index stores it: the ``industry``, ``stage`` and
``enterprise`` fields are the copy :func:`matchmaker.enterprises.facts.summary` makes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from ..search.analysis import tokenize
from ..search.mappings import get_value
from ..search.query import AnyOf, Boost, Filter, Missing, Not, Range, RankOption, Terms
from . import wording
from .clauses import compile_clause
from .config import ScoringConfig, Signal
from .products import offers
from .dates import as_date, founded_cutoff, years_between
from .wording import Text

#: A filter every stored need satisfies: carries the boosts that do not depend on the need.
EVERY_NEED = Not(Missing("id"))


@dataclass
class Reason:
    factor: str  # a factor name, or the id of a broken hard rule
    score: float  # points this factor adds to the score (0 for a broken rule)
    message: str
    message_zh: str

    def to_dict(self) -> dict:
        return {"factor": self.factor, "score": self.score, "message": self.message, "message_zh": self.message_zh}


@dataclass
class MatchResult:
    score: int
    eligible: bool
    reasons: list[Reason] = field(default_factory=list)
    broken_rules: list[str] = field(default_factory=list)  # the first reasons, one per broken rule
    product: dict | None = None  # {id, name}: the institution's product this result is for
    total: float = 0.0  # the score before rounding: breaks ties between equal rounded scores

    def to_dict(self) -> dict:
        data = {
            "score": self.score,
            "eligible": self.eligible,
            "reasons": [r.to_dict() for r in self.reasons],
            "broken_rules": list(self.broken_rules),
        }
        if self.product is not None:
            data["product"] = dict(self.product)
        return data


@dataclass(frozen=True)
class Step:
    """Part of a factor: ``share`` of its points when ``clause`` holds (always, if None)."""

    clause: Filter | None
    share: float


@dataclass(frozen=True)
class HardRule:
    rule: str  # the reason's factor when broken: instrument, ticket_range, stage, ...
    clause: Filter  # what an eligible need satisfies


# -- hard rules ----------------------------------------------------------------------------
def _all_of(clauses: list[Filter]) -> Filter:
    """``c1 AND c2 ...`` in the engine's clauses: ``NOT (NOT c1 OR NOT c2 ...)``; every need when empty."""
    if not clauses:
        return EVERY_NEED
    if len(clauses) == 1:
        return clauses[0]
    return Not(AnyOf(tuple(Not(c) for c in clauses)))


def flag(institution: dict, name: str, config: ScoringConfig) -> bool:
    """An institution's yes/no setting, or its type's default (``type_defaults``) when unset."""
    value = institution.get(name)
    if value is None:
        value = (institution.get("requirements") or {}).get(name)
    return config.type_default(institution.get("type"), name) if value is None else bool(value)


def caps(institution: dict, config: ScoringConfig, as_of: date) -> dict:
    """The regulatory limits on one deal of this institution in force on ``as_of``, in yuan:
    ``single`` (one borrower or client) and ``room`` (what the guarantee leverage limit leaves)."""
    rules = config.caps_for(institution.get("type"), as_of)
    net = institution.get("net_capital")
    if rules is None or not net:
        return {}
    found = {"rules": rules}
    if rules.single_share is not None:
        found["single"] = math.floor(rules.single_share * net)
    outstanding = institution.get("guarantee_outstanding")
    if rules.multiple is not None and outstanding is not None:
        multiple = rules.multiple
        if rules.multiple_small_micro is not None and institution.get("small_micro_focus"):
            multiple = rules.multiple_small_micro
        found["multiple"] = multiple
        found["room"] = math.floor(multiple * net - outstanding)
    return found


def hard_rules(institution: dict, config: ScoringConfig, as_of: date) -> list[HardRule]:
    """The rules the institution (one offer of it) sets, as filters a need must satisfy (rules switched off are left out)."""
    requirements = institution.get("requirements") or {}
    rules = [HardRule("instrument", Terms("instrument", institution.get("instruments") or []))]
    low, high = institution.get("ticket_min"), institution.get("ticket_max")
    if low is not None or high is not None:
        rules.append(HardRule("ticket_range", Range("amount", gte=low, lte=high)))
    if institution.get("stages"):
        rules.append(HardRule("stage", Terms("stage", institution["stages"])))
    if requirements.get("min_revenue"):
        rules.append(HardRule("min_revenue", Range("enterprise.latest_revenue", gte=requirements["min_revenue"])))
    if requirements.get("min_years"):
        cutoff = founded_cutoff(as_of, requirements["min_years"])
        rules.append(HardRule("min_years", Range("enterprise.founded", lte=cutoff.isoformat())))
    accepted = institution.get("counter_guarantees_accepted") or []
    if accepted:
        rules.append(HardRule("counter_guarantee", Terms("enterprise.counter_guarantees_offered", accepted)))
    elif requirements.get("collateral_required"):  # a profile from before counter-guarantees were listed
        rules.append(HardRule("collateral", Terms("enterprise.has_collateral", [True])))
    if requirements.get("high_tech_required"):
        rules.append(HardRule("high_tech", Terms("enterprise.high_tech_certified", [True])))
    if institution.get("industries") and flag(institution, "industry_mandate", config):
        rules.append(HardRule("industry_mandate", Terms("industry", institution["industries"])))
    if flag(institution, "profitable_required", config):
        # a reported loss excludes; a need indexed before profits were copied is judged on the rest
        rules.append(HardRule("profitable", AnyOf((Missing("enterprise.latest_net_profit"),
                                                   Range("enterprise.latest_net_profit", gte=1)))))
    if flag(institution, "cash_flow_required", config):
        # a bank lends on the cash flow that repays it: an operating outflow excludes, like a loss
        rules.append(HardRule("cash_flow", AnyOf((Missing("enterprise.latest_operating_cash_flow"),
                                                  Range("enterprise.latest_operating_cash_flow", gte=0)))))
    if institution.get("term_months_max"):
        rules.append(HardRule("term_max", AnyOf((Missing("term_months"), Range("term_months", lte=institution["term_months_max"])))))
    if flag(institution, "minority_only", config):
        limit = config.factors.get("minority_stake", {}).get("max_pct", 30)
        rules.append(HardRule("minority_stake", AnyOf((Missing("equity_offered_pct"), Range("equity_offered_pct", lte=limit)))))
    limits = caps(institution, config, as_of)
    if "single" in limits:
        rules.append(HardRule("single_borrower_cap", Range("amount", lte=limits["single"])))
    if "room" in limits:
        rules.append(HardRule("guarantee_capacity", Range("amount", lte=limits["room"])))
    return [rule for rule in rules if config.rule_applies(rule.rule)]


# -- structured factors: steps on the needs index ----------------------------------------
def _focus_share(count: int, params: dict) -> float:
    """A specialist (few industries or stages) fits better than a generalist."""
    return max(params["min_share"], 1.0 - params["focus_discount"] * (count - 1))


def _listed_steps(field_name: str, listed: list, params: dict) -> list[Step]:
    if not listed:
        return [Step(None, params["any_share"])]
    return [Step(Terms(field_name, listed), _focus_share(len(listed), params))]


def ticket_band_starts(institution: dict, config: ScoringConfig) -> list[tuple[int, dict]] | None:
    """(first amount, band) for each band of the ticket range; None when the range is open."""
    low, high = institution.get("ticket_min"), institution.get("ticket_max")
    if low is None or high is None or high < low:
        return None
    base = max(low, 1)
    starts = []
    for band in config.factors["ticket"]["bands"]:
        start = low if band["from"] == 0 else math.ceil(base * (high / base) ** band["from"])
        starts.append((start, band))
    return starts


def _ticket_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    low, high = institution.get("ticket_min"), institution.get("ticket_max")
    starts = ticket_band_starts(institution, config)
    if starts is None:
        return [Step(Range("amount", gte=low, lte=high), config.factors["ticket"]["open_range_share"])]
    steps, previous_share = [], 0.0
    for start, band in starts:  # each band adds what it gives beyond the band below it
        steps.append(Step(Range("amount", gte=start, lte=high), band["share"] - previous_share))
        previous_share = band["share"]
    return steps


@lru_cache(maxsize=4096)
def _signal_steps(signal: Signal, scale: float) -> tuple[Step, ...]:
    """A signal's steps at a scale: the same for every institution of a type, so made once."""
    if signal.equals is not None:
        return (Step(Terms(signal.field, [signal.equals]), scale),)
    steps, previous_share = [], 0.0
    for threshold, share in signal.steps:
        steps.append(Step(Range(signal.field, gte=threshold), (share - previous_share) * scale))
        previous_share = share
    if signal.missing_share:
        steps.append(Step(Missing(signal.field), signal.missing_share * scale))
    return tuple(steps)


def strength_profile(institution: dict, config: ScoringConfig) -> dict[str, float]:
    """Signal -> weight (adding up to 1) for what this type of institution looks at."""
    profiles = config.factors["strength"]["profiles"]
    profile = profiles.get(institution.get("type")) or profiles["default"]
    total = sum(profile.values()) or 1.0
    return {name: weight / total for name, weight in profile.items()}


def _strength_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    profile = strength_profile(institution, config)
    return [step for name, weight in profile.items() for step in _signal_steps(config.signals[name], weight)]


def credit_profile(institution: dict, config: ScoringConfig) -> tuple[float, dict[str, float]] | None:
    """(floor share, signal -> weight adding up to the rest) for a lender's type; None for investors."""
    profile = config.factors["credit"]["profiles"].get(institution.get("type"))
    if profile is None:
        return None
    total = sum(profile["signals"].values()) or 1.0
    rest = 1.0 - profile["floor"]
    return profile["floor"], {name: rest * weight / total for name, weight in profile["signals"].items()}


def _credit_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    profile = credit_profile(institution, config)
    if profile is None:
        return [Step(None, config.factors["credit"]["any_share"])]
    floor, weights = profile
    steps = [Step(None, floor)] if floor else []
    return steps + [step for name, weight in weights.items() for step in _signal_steps(config.signals[name], weight)]


def _valuation_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    """An investor's price check: the earnings yield the stake implies, by stage (see scoring.json)."""
    spec = config.factors["valuation"]
    if institution.get("type") not in spec["types"]:
        return [Step(None, spec["any_share"])]
    steps = [Step(Terms("stage", spec["early_stages"]), spec["early_share"])]
    for stage, thresholds in spec["stages"].items():
        at_stage = Terms("stage", [stage])
        steps.append(Step(_all_of([at_stage, Missing("deal.earnings_yield")]), spec["missing_share"]))
        previous = 0.0
        for threshold, share in thresholds:
            steps.append(Step(_all_of([at_stage, Range("deal.earnings_yield", gte=threshold)]), share - previous))
            previous = share
    return steps


def policy_programmes(offer: dict, programmes: list[dict]) -> list[dict]:
    """The special-fund programmes that would back a deal of this offer, per instrument it
    lends (the fund's own rules, :mod:`matchmaker.fund.eligibility`): ``[{id, name, name_en,
    kind, instruments, clause}]``, ``clause`` being what the programme asks of the enterprise
    (angel co-investment: a nest-tier start-up), None when nothing."""
    from ..fund.eligibility import need_clause, offer_covers

    found = []
    for programme in programmes:
        lent = [i for i in offer.get("instruments") or []
                if offer_covers(programme, i, offer, {"instrument": i, "programmes": offer.get("programmes") or []})]
        if lent:
            found.append({"id": programme["id"], "name": programme.get("name"), "name_en": programme.get("name_en"),
                          "kind": programme.get("kind"), "instruments": lent, "clause": need_clause(programme)})
    return found


def _programme_clause(programme: dict) -> Filter:
    """The needs a programme of the offer backs: the instruments it lends, and what it asks of the enterprise."""
    lent = Terms("instrument", programme["instruments"])
    return lent if programme.get("clause") is None else _all_of([lent, programme["clause"]])


def _policy_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    """The offer's special-fund programmes count for a need they would back: as the fund's
    records say (``policy_programmes``, set when they are known), else by the product's own
    ``programmes[]`` for every instrument it lends."""
    share = config.factors["policy"]["share"]
    if "policy_programmes" in institution:
        clauses = list(dict.fromkeys(_programme_clause(p) for p in institution["policy_programmes"]))
        if not clauses:
            return []
        return [Step(clauses[0] if len(clauses) == 1 else AnyOf(tuple(clauses)), share)]
    instruments = institution.get("instruments") or [] if institution.get("programmes") else []
    return [Step(Terms("instrument", instruments), share)] if instruments else []


def _designation_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    shares = config.factors["designations"]
    return [step for name, share in shares.items() for step in _signal_steps(config.signals[name], share)]


def _typical_term(institution: dict, config: ScoringConfig) -> list[int] | None:
    return config.factors["term"]["typical_months"].get(institution.get("type"))


def _term_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    span = _typical_term(institution, config)
    if span is None:
        return [Step(None, 1.0)]
    return [
        Step(Range("term_months", gte=span[0], lte=span[1]), 1.0),
        Step(Missing("term_months"), config.factors["term"]["missing_share"]),
    ]


def _presence_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    return [Step(None, config.factors["presence"].get(institution.get("status"), 0.0))]


def _cost_entry(institution: dict, config: ScoringConfig) -> dict:
    cost = config.factors["cost"]
    return cost["types"].get(institution.get("type")) or cost["default"]


def _cost_steps(institution: dict, config: ScoringConfig) -> list[Step]:
    return [Step(None, _cost_entry(institution, config)["share"])]


_STRUCTURED_FACTORS = {
    "industry": lambda inst, cfg: _listed_steps("industry", inst.get("industries") or [], cfg.factors["industry"]),
    "stage": lambda inst, cfg: _listed_steps("stage", inst.get("stages") or [], cfg.factors["stage"]),
    "ticket": _ticket_steps,
    "strength": _strength_steps,
    "credit": _credit_steps,
    "valuation": _valuation_steps,
    "policy": _policy_steps,
    "designations": _designation_steps,
    "term": _term_steps,
    "presence": _presence_steps,
    "cost": _cost_steps,
}


def structured_steps(institution: dict, config: ScoringConfig) -> dict[str, list[Step]]:
    """Every factor except text relevance, as steps the engine can add up."""
    return {name: build(institution, config) for name, build in _STRUCTURED_FACTORS.items()}


def _compiled_steps(steps) -> list[tuple[float, object]]:
    """(share, test) per step, each clause compiled once (:func:`compile_clause`); None: always."""
    return [(step.share, None if step.clause is None else compile_clause(step.clause)) for step in steps]


def _share(steps, need: dict) -> float:
    return sum(share for share, test in _compiled_steps(steps) if test is None or test(need))


# -- text relevance ------------------------------------------------------------------------
def _need_text(need: dict) -> str:
    return " ".join(str(need.get(k) or "") for k in ("title", "description", "purpose"))


def _institution_text(institution: dict) -> str:
    return " ".join(str(institution.get(k) or "") for k in ("name", "name_en", "description"))


def shared_terms(need: dict, institution: dict, config: ScoringConfig) -> list[str]:
    """Distinct tokens (CJK bigrams, stemmed English words) both texts use, minus the ignored ones."""
    return _shared(need_tokens(need), frozenset(tokenize(_institution_text(institution))), config)


def _shared(tokens, institution_tokens: frozenset, config: ScoringConfig) -> list[str]:
    """The need's ``tokens`` (in its order) the institution's text also uses, minus the ignored ones."""
    ignored = config.ignored_tokens
    return [t for t in tokens if t in institution_tokens and t not in ignored]


def text_points(config: ScoringConfig) -> float:
    """The most the text factor can add: how far re-sorting an engine-ordered page can move a need."""
    return config.points["text"]


def _text_share(terms: list[str], config: ScoringConfig) -> float:
    return min(1.0, len(terms) / config.factors["text"]["saturation"])


# -- messages ------------------------------------------------------------------------------
def _labels(config: ScoringConfig, group: str, codes) -> Text:
    return wording.join([config.label_text(group, c) for c in codes or []], last_en="or")


def _say(config: ScoringConfig, key: str, **values) -> Text:
    return wording.render(config.messages[key], values) if values else config.sentence(key)


def _explain_rule(rule: str, need: dict, institution: dict, config: ScoringConfig, as_of: date) -> Text:
    requirements = institution.get("requirements") or {}
    enterprise = need.get("enterprise") or {}
    if rule == "instrument":
        return _say(config, "rule.instrument", offered=_labels(config, "instrument", institution.get("instruments")),
                    asked=config.label_text("instrument", need.get("instrument")))
    if rule == "ticket_range":
        amount, low, high = need.get("amount"), institution.get("ticket_min"), institution.get("ticket_max")
        bounds = {"amount": wording.money(amount), "min": wording.money(low), "max": wording.money(high)}
        if amount is None:
            return _say(config, "rule.ticket_range.missing", **bounds)
        return _say(config, "rule.ticket_range.below" if low is not None and amount < low else "rule.ticket_range.above", **bounds)
    if rule == "stage":
        return _say(config, "rule.stage", stages=_labels(config, "stage", institution.get("stages")),
                    stage=config.label_text("stage", need.get("stage")))
    if rule == "min_revenue":
        return _say(config, "rule.min_revenue", min=wording.money(requirements.get("min_revenue")),
                    actual=wording.money(enterprise.get("latest_revenue")))
    if rule == "min_years":
        minimum = wording.years(requirements.get("min_years"))
        founded = enterprise.get("founded")
        if not founded:
            return _say(config, "rule.min_years.missing", min=minimum)
        age = years_between(as_date(founded), as_of)
        return _say(config, "rule.min_years", min=minimum, founded=str(founded)[:10], actual=wording.years(round(age, 1)))
    if rule == "industry_mandate":
        return _say(config, "rule.industry_mandate", industries=_labels(config, "industry", institution.get("industries")),
                    industry=config.label_text("industry", need.get("industry")))
    if rule == "counter_guarantee":
        return _say(config, "rule.counter_guarantee",
                    accepted=_labels(config, "counter_guarantee", institution.get("counter_guarantees_accepted")),
                    offered=_labels(config, "counter_guarantee", enterprise.get("counter_guarantees_offered")))
    if rule == "profitable":
        return _say(config, "rule.profitable", profit=wording.money(enterprise.get("latest_net_profit")))
    if rule == "cash_flow":
        return _say(config, "rule.cash_flow", cash_flow=wording.money(enterprise.get("latest_operating_cash_flow")))
    if rule == "term_max":
        return _say(config, "rule.term_max", term=need.get("term_months"), max=institution.get("term_months_max"))
    if rule == "minority_stake":
        return _say(config, "rule.minority_stake", max=config.factors.get("minority_stake", {}).get("max_pct", 30),
                    pct=wording.number(need.get("equity_offered_pct") or 0))
    if rule in ("single_borrower_cap", "guarantee_capacity"):
        limits = caps(institution, config, as_of)
        rules = limits["rules"]
        return _say(config, f"rule.{rule}", amount=wording.money(need.get("amount")), net=wording.money(institution.get("net_capital")),
                    share=wording.percent(rules.single_share), cap=wording.money(limits.get("single")),
                    outstanding=wording.money(institution.get("guarantee_outstanding")),
                    room=wording.money(max(limits.get("room", 0), 0)), multiple=wording.number(limits.get("multiple") or 0),
                    source=wording.Text(rules.source["en"], rules.source["zh"]))
    return _say(config, f"rule.{rule}")


def _signal_value(signal: Signal, value, config: ScoringConfig) -> Text:
    if value is None:
        return _say(config, "value.missing")
    if signal.format == "money":
        return wording.money(value)
    if signal.format == "percent":
        return wording.percent(value)
    if signal.format == "count":
        return wording.number(value)
    if signal.format == "cover":  # revenue over the amount, read the way a lender says it
        if not value:
            return _say(config, "value.no_revenue")
        return _say(config, "value.times_revenue", times=wording.number(round(1 / value, 1)))
    held = value == signal.equals if signal.equals is not None else bool(value)
    return _say(config, "value.yes" if held else "value.no")


def _signal_summary(names, need: dict, config: ScoringConfig) -> Text:
    parts = []
    for name in names:
        signal = config.signals[name]
        label = config.label_text("signal", name)
        value = _signal_value(signal, get_value(need, signal.field), config)
        parts.append(Text(f"{label.en}: {value.en}", f"{label.zh}{value.zh}"))
    return wording.join(parts)


#: The message placeholder for the institution's list of each kind ("{industries}").
_PLURAL = {"industry": "industries", "stage": "stages"}


def _explain_listed(kind: str, need: dict, listed: list, config: ScoringConfig) -> Text:
    code = need.get(kind)
    if not listed:
        return _say(config, f"factor.{kind}.any")
    if code in listed:
        return _say(config, f"factor.{kind}.match", **{kind: config.label_text(kind, code)}, count=len(listed))
    return _say(config, f"factor.{kind}.miss", **{kind: config.label_text(kind, code)}, **{_PLURAL[kind]: _labels(config, kind, listed)})


def _explain_ticket(need: dict, institution: dict, config: ScoringConfig) -> Text:
    amount, low, high = need.get("amount"), institution.get("ticket_min"), institution.get("ticket_max")
    values = {"amount": wording.money(amount), "min": wording.money(low), "max": wording.money(high)}
    starts = ticket_band_starts(institution, config)
    if starts is None:
        return _say(config, "factor.ticket.open", **values)
    if amount is None or amount < low or amount > high:
        return _say(config, "factor.ticket.outside", **values)
    band = [b for start, b in starts if amount >= start][-1]
    return _say(config, "factor.ticket.band", band=config.label_text("band", band["name"]), **values)


def _explain_term(need: dict, institution: dict, config: ScoringConfig) -> Text:
    span = _typical_term(institution, config)
    kind = config.label_text("type", institution.get("type") or "default")
    if span is None:
        return _say(config, "factor.term.any", type=kind)
    term = need.get("term_months")
    values = {"type": kind, "low": span[0], "high": span[1], "term": term}
    if term is None:
        return _say(config, "factor.term.missing", **values)
    return _say(config, "factor.term.within" if span[0] <= term <= span[1] else "factor.term.outside", **values)


def _explain_text(terms: list[str], config: ScoringConfig) -> Text:
    if not terms:
        return _say(config, "factor.text.none")
    return _say(config, "factor.text.shared", count=len(terms), terms=wording.plain(", ".join(terms[:8])))


def _explain_strength(need: dict, institution: dict, config: ScoringConfig) -> Text:
    kind = config.label_text("type", institution.get("type") or "default")
    signals = _signal_summary(strength_profile(institution, config), need, config)
    return _say(config, "factor.strength", type=kind, signals=signals)


def _explain_credit(need: dict, institution: dict, config: ScoringConfig) -> Text:
    kind = config.label_text("type", institution.get("type") or "default")
    profile = credit_profile(institution, config)
    if profile is None:
        return _say(config, "factor.credit.any", type=kind)
    return _say(config, "factor.credit", type=kind, signals=_signal_summary(profile[1], need, config))


def _explain_valuation(need: dict, institution: dict, config: ScoringConfig) -> Text:
    spec = config.factors["valuation"]
    kind = config.label_text("type", institution.get("type") or "default")
    if institution.get("type") not in spec["types"]:
        return _say(config, "factor.valuation.any", type=kind)
    stage = config.label_text("stage", need.get("stage"))
    if need.get("stage") in spec["early_stages"]:
        return _say(config, "factor.valuation.early", stage=stage)
    earnings_yield = (need.get("deal") or {}).get("earnings_yield")
    amount, pct = need.get("amount"), need.get("equity_offered_pct")
    if earnings_yield is None or not amount or not pct:
        return _say(config, "factor.valuation.missing")
    values = {"pct": wording.number(pct), "amount": wording.money(amount), "valuation": wording.money(round(amount * 100 / pct)),
              "stage": stage}
    if earnings_yield <= 0:
        return _say(config, "factor.valuation.loss", **values)
    pe = 1 / earnings_yield
    key = "factor.valuation.flag" if pe >= spec["flag_pe"] else "factor.valuation.pe"
    return _say(config, key, pe=wording.number(round(pe)), **values)


def _explain_policy(need: dict, institution: dict, config: ScoringConfig) -> Text:
    """Names the programmes by their names in ``config.labels["programme"]`` when known, else by id."""
    instrument = need.get("instrument")
    if "policy_programmes" in institution:
        names = [Text(p.get("name_en") or p.get("name") or p["id"], p.get("name") or p["id"])
                 for p in institution["policy_programmes"] if compile_clause(_programme_clause(p))(need)]
    elif instrument in (institution.get("instruments") or []):
        names = [config.label_text("programme", c) for c in institution.get("programmes") or []]
    else:
        names = []
    if not names:
        return _say(config, "factor.policy.none")
    product = institution.get("product") or {"name": institution.get("name"), "name_en": institution.get("name_en")}
    return _say(config, "factor.policy.some", programmes=wording.join(names),
                product=Text(product.get("name_en") or product.get("name") or "", product.get("name") or ""))


def _explain_designations(need: dict, config: ScoringConfig) -> Text:
    held = [n for n in config.factors["designations"] if _share(_signal_steps(config.signals[n], 1.0), need) > 0]
    if not held:
        return _say(config, "factor.designations.none")
    return _say(config, "factor.designations.some", designations=wording.join([config.label_text("signal", n) for n in held]))


def _explain_presence(institution: dict, config: ScoringConfig) -> Text:
    status_key = f"status.{institution.get('status')}"
    return _say(config, "factor.presence", status=_say(config, status_key if status_key in config.messages else "status.unknown"))


#: factor -> its sentence, from (need, institution, config, shared terms).
_EXPLAINERS = {
    "industry": lambda need, inst, cfg, terms: _explain_listed("industry", need, inst.get("industries") or [], cfg),
    "stage": lambda need, inst, cfg, terms: _explain_listed("stage", need, inst.get("stages") or [], cfg),
    "ticket": lambda need, inst, cfg, terms: _explain_ticket(need, inst, cfg),
    "text": lambda need, inst, cfg, terms: _explain_text(terms, cfg),
    "strength": lambda need, inst, cfg, terms: _explain_strength(need, inst, cfg),
    "credit": lambda need, inst, cfg, terms: _explain_credit(need, inst, cfg),
    "valuation": lambda need, inst, cfg, terms: _explain_valuation(need, inst, cfg),
    "policy": lambda need, inst, cfg, terms: _explain_policy(need, inst, cfg),
    "designations": lambda need, inst, cfg, terms: _explain_designations(need, cfg),
    "term": lambda need, inst, cfg, terms: _explain_term(need, inst, cfg),
    "presence": lambda need, inst, cfg, terms: _explain_presence(inst, cfg),
    "cost": lambda need, inst, cfg, terms: _say(cfg, _cost_entry(inst, cfg)["message"]),
}


#: Factors whose sentence depends on the institution only.
_NEED_FREE = ("presence", "cost")


# -- scoring -------------------------------------------------------------------------------
def need_tokens(need: dict) -> tuple[str, ...]:
    """The distinct tokens of what the need says, in order (tokenize once, score against many)."""
    return tuple(dict.fromkeys(tokenize(_need_text(need))))


def _held_points(weight: float, tests: list, held: dict) -> float:
    """A factor's points for a need: its weight times the shares of the steps whose test
    holds (``held``: each compiled test's answer for the need; a step without one holds)."""
    return weight * sum(share for share, test in tests if test is None or held[test])


class OfferScorer:
    """One offer's side of every match (the institution, or one of its products), prepared
    once: its hard rules, the steps of its factors and the tokens of its text."""

    def __init__(self, institution: dict, config: ScoringConfig, as_of: date | str | None = None):
        self.institution = institution
        self.config = config
        self.as_of = as_date(as_of)
        self.rules = hard_rules(institution, config, self.as_of)
        self.steps = structured_steps(institution, config)
        self.tokens = frozenset(tokenize(_institution_text(institution)))
        # the same clauses as tests on a need, prepared once (see compile_clause)
        self._rule_tests = [(rule.rule, compile_clause(rule.clause)) for rule in self.rules]
        # sentences that say the same whatever the need: written once
        self._fixed = {name: _EXPLAINERS[name]({}, institution, config, []) for name in _NEED_FREE if name in config.points}
        self._step_tests = {name: _compiled_steps(steps) for name, steps in self.steps.items()}
        # each factor's points and its step tests, in the config's order (None: the text's)
        self._factors = [(config.points[name], None if name == "text" else self._step_tests[name]) for name in config.points]

    def shared_terms(self, need: dict, tokens: tuple[str, ...] | None = None) -> list[str]:
        return _shared(need_tokens(need) if tokens is None else tokens, self.tokens, self.config)

    def broken_rules(self, need: dict, held: dict | None = None) -> list[str]:
        """``held``: each of :meth:`tests` made of this need once for all the offers of one
        institution (their clauses are mostly the same)."""
        if held is None:
            return [rule for rule, test in self._rule_tests if not test(need)]
        return [rule for rule, test in self._rule_tests if not held[test]]

    def tests(self) -> list:
        """The compiled clause tests this offer makes of a need: its rules' and its steps'."""
        return [test for _, test in self._rule_tests] + [
            test for tests in self._step_tests.values() for _, test in tests if test is not None]

    def points(self, need: dict, terms: list[str], held: dict | None = None) -> dict[str, float]:
        """What :func:`factor_points` gives, from the prepared steps."""
        return dict(zip(self.config.points, self._earned(need, terms, held)))

    def factor_keys(self) -> list[tuple | None]:
        """Each factor's weight and step tests, in the config's order (None: the text's): the
        offers of one institution share most (the profile's steps, compiled once)."""
        return [None if tests is None else (weight, tuple(tests)) for weight, tests in self._factors]

    def _text_points(self, terms: list[str]) -> float:
        return self.config.points["text"] * _text_share(terms, self.config)

    def _earned(self, need: dict, terms: list[str], held: dict | None) -> list[float]:
        """The points of each factor, in the config's order (:meth:`points` without the dict)."""
        text = self._text_points(terms)
        if held is None:
            return [text if tests is None else weight * sum(share for share, test in tests if test is None or test(need))
                    for weight, tests in self._factors]
        return [text if tests is None else _held_points(weight, tests, held) for weight, tests in self._factors]

    def _multiplier(self, broken: list[str]) -> float:
        return math.prod(self.config.ineligible_multipliers[rule] for rule in broken)

    def score(self, need: dict, tokens: tuple[str, ...] | None = None, held: dict | None = None,
              earned: list | None = None) -> tuple[int, bool]:
        """``(score, eligible)`` as :meth:`match` gives them, without the sentences: for sorting.

        ``earned``: each factor's points but the text's (None), when the caller has them
        (:meth:`InstitutionScorer.best` works each out once for all the offers that share it)."""
        broken = self.broken_rules(need, held)
        terms = self.shared_terms(need, tokens)
        if earned is None:
            earned = self._earned(need, terms, held)
        else:
            text = self._text_points(terms)
            earned = [text if points is None else points for points in earned]
        total = sum(earned) * self._multiplier(broken)
        return max(0, min(100, round(total))), not broken

    def match(self, need: dict, tokens: tuple[str, ...] | None = None, held: dict | None = None) -> MatchResult:
        config, institution = self.config, self.institution
        broken = self.broken_rules(need, held)
        terms = self.shared_terms(need, tokens)
        points = self.points(need, terms, held)
        # An ineligible match keeps a reduced score, so "nearly eligible" still sorts before "far off".
        multiplier = self._multiplier(broken)
        reasons = [Reason(rule, 0, *_explain_rule(rule, need, institution, config, self.as_of)) for rule in broken]
        for name, earned in points.items():
            sentence = self._fixed.get(name) or _EXPLAINERS[name](need, institution, config, terms)
            reasons.append(Reason(name, round(earned * multiplier, 1), *sentence))
        total = sum(points.values()) * multiplier
        return MatchResult(score=max(0, min(100, round(total))), eligible=not broken, reasons=reasons, broken_rules=broken,
                           product=institution.get("product"), total=total)


class InstitutionScorer:
    """One institution's side of every match: a prepared :class:`OfferScorer` per product
    (or for the institution itself), the best-fitting offer answering for it — eligible
    before ineligible, then the higher score, then the product listed first.

    Scoring many needs against one institution (deal flow) or one need against every
    institution (matches) reuses it; :func:`score_match` is ``InstitutionScorer(...).match``.
    """

    def __init__(self, institution: dict, config: ScoringConfig, as_of: date | str | None = None,
                 programmes: list[dict] | None = None):
        """``programmes``: the special fund's programmes of the year, when known (see :func:`policy_programmes`)."""
        self.institution = institution
        self.config = config
        self.as_of = as_date(as_of)
        found = offers(institution)
        if programmes is not None:
            found = [{**offer, "policy_programmes": policy_programmes(offer, programmes)} for offer in found]
        self.offers = [OfferScorer(offer, config, self.as_of) for offer in found]
        #: the distinct compiled clause tests its offers make of a need
        self.tests = list(dict.fromkeys(test for offer in self.offers for test in offer.tests()))
        # the distinct factors of its offers (weight and step tests), and each offer's by position
        factors: dict = {}
        self._factor_slots = [[None if key is None else factors.setdefault(key, len(factors)) for key in offer.factor_keys()]
                              for offer in self.offers]
        self._factors = list(factors)

    def _best(self, need: dict, tokens, held: dict | None = None) -> OfferScorer:
        return self.best(need, tokens, held)[0]

    def best(self, need: dict, tokens: tuple[str, ...] | None = None,
             held: dict | None = None) -> tuple[OfferScorer, int, bool]:
        """The offer that answers for the institution, with its ``(score, eligible)``.

        Each clause is tested once for all the offers (they share most: the profile's
        steps are the same objects, compiled once); ``held``: those answers, when the
        caller has them (:func:`clause_answers`)."""
        if len(self.offers) == 1:
            return (self.offers[0], *self.offers[0].score(need, tokens, held))
        tokens = need_tokens(need) if tokens is None else tokens
        if held is None:
            held = {test: test(need) for test in self.tests}
        # each distinct factor's points once (the four products of a bank share all but their ticket's)
        points = [_held_points(weight, tests, held) for weight, tests in self._factors]
        best, best_key = None, None
        for offer, slots in zip(self.offers, self._factor_slots):
            score, eligible = offer.score(need, tokens, held, [None if slot is None else points[slot] for slot in slots])
            if best_key is None or (eligible, score) > best_key:
                best, best_key = offer, (eligible, score)
        return best, best_key[1], best_key[0]

    def broken_rules(self, need: dict) -> list[str]:
        return self._best(need, None).broken_rules(need)

    def offers_instrument(self, instrument: str) -> bool:
        """Whether any product (or the institution itself) provides the instrument."""
        return any(instrument in (offer.institution.get("instruments") or []) for offer in self.offers)

    def score(self, need: dict, tokens: tuple[str, ...] | None = None) -> tuple[int, bool]:
        return self._best(need, tokens).score(need, tokens)

    def match(self, need: dict, tokens: tuple[str, ...] | None = None, held: dict | None = None) -> MatchResult:
        """``held``: the answers of :func:`clause_answers` for this need, when the caller has them."""
        return self._best(need, tokens, held).match(need, tokens, held)


def clause_answers(need: dict, scorers: list[InstitutionScorer]) -> dict:
    """Each distinct clause test of the ``scorers`` applied to the need once: the
    institutions of a zone state mostly the same rules and steps (compiled once, shared), so
    ranking them all for one need tests each clause once instead of once per offer."""
    held: dict = {}
    for scorer in scorers:
        for test in scorer.tests:
            if test not in held:
                held[test] = test(need)
    return held


def factor_points(need: dict, institution: dict, config: ScoringConfig, terms: list[str] | None = None) -> dict[str, float]:
    """The points each factor earns before any ineligibility reduction (unrounded), for the
    institution's profile (its products aside): :meth:`OfferScorer.points`.

    Without ``text`` they add up to what :func:`dealflow_boosts` gives the need in the engine.
    ``terms`` are the :func:`shared_terms`, when the caller has them already.
    """
    scorer = OfferScorer(institution, config)
    return scorer.points(need, scorer.shared_terms(need) if terms is None else terms)


def broken_rules(need: dict, institution: dict, config: ScoringConfig, as_of: date | str | None = None) -> list[str]:
    """The hard rules the need breaks for this institution (its best-fitting product), in rule order."""
    return InstitutionScorer(institution, config, as_of).broken_rules(need)


def eligibility_clauses(institution: dict, config: ScoringConfig, as_of: date) -> list[Filter]:
    """Filters a need satisfies exactly when some offer of the institution takes it: the hard
    rules themselves for an institution without products, else one clause, "any product's rules"."""
    found = offers(institution)
    if len(found) == 1:
        return [rule.clause for rule in hard_rules(found[0], config, as_of)]
    return [AnyOf(tuple(_all_of([rule.clause for rule in hard_rules(offer, config, as_of)]) for offer in found))]


def score_match(need: dict, institution: dict, config: ScoringConfig, as_of: date | str | None = None) -> MatchResult:
    """Score one need against one institution (``as_of``, default today, dates "years since founding")."""
    return InstitutionScorer(institution, config, as_of).match(need)


def rank_institutions(
    need: dict, institutions: list[dict], config: ScoringConfig, as_of: date | str | None = None,
    scorers: list[InstitutionScorer] | None = None, programmes: list[dict] | None = None,
) -> list[tuple[dict, MatchResult]]:
    """Every institution scored for the need: eligible ones first, then best score, then id.

    ``scorers`` (one per institution, in the same order) are used when the caller keeps them;
    else they are made with the special fund's ``programmes`` (when known).
    """
    as_of = as_date(as_of)
    if scorers is None:
        scorers = [InstitutionScorer(institution, config, as_of, programmes) for institution in institutions]
    tokens = need_tokens(need)
    held = clause_answers(need, scorers)
    scored = [(institution, scorer.match(need, tokens, held)) for institution, scorer in zip(institutions, scorers)]
    return sorted(scored, key=lambda pair: (not pair[1].eligible, -pair[1].score, -pair[1].total, str(pair[0].get("id", ""))))


def dealflow_filters(institution: dict, config: ScoringConfig, as_of: date | str | None = None) -> list[Filter]:
    """Filters on the needs index that keep exactly the open needs the institution may take."""
    return [Terms("status", ["open"])] + eligibility_clauses(institution, config, as_date(as_of))


def dealflow_boosts(institution: dict, config: ScoringConfig) -> list[Boost]:
    """Boosts whose total for a need is its Python score without the text factor.

    For an institution with products the boosts are those of its profile: the stand-in
    for :func:`dealflow_best_of` where the engine cannot rank by a best of.
    Steps that hold for every need (the institution's own presence, say) carry the
    :data:`EVERY_NEED` filter: they do not change the order, but keep the engine's total
    equal to the structured score.
    """
    return _offer_boosts({k: v for k, v in institution.items() if k != "products"}, config)


def _offer_boosts(offer: dict, config: ScoringConfig) -> list[Boost]:
    boosts = []
    for name, steps in structured_steps(offer, config).items():
        for step in steps:
            weight = config.points[name] * step.share
            if weight:
                boosts.append(Boost(step.clause if step.clause is not None else EVERY_NEED, weight))
    return boosts


def dealflow_best_of(institution: dict, config: ScoringConfig, as_of: date | str | None = None) -> list[RankOption]:
    """The eligible needs of an institution with products ranked as the Python score
    ranks them, by the best-fitting product (``Query.best_of``): per product, its boosts,
    counted where its hard rules hold.  Empty for an institution without products (its
    :func:`dealflow_boosts` are exact)."""
    found = offers(institution)
    if len(found) == 1:
        return []
    as_of = as_date(as_of)
    return [RankOption(_all_of([rule.clause for rule in hard_rules(offer, config, as_of)]), tuple(_offer_boosts(offer, config)))
            for offer in found]


#: The points of a typical match: the scale on which the engine weighs a broken rule (below).
TYPICAL_POINTS = 60.0
#: A multiplier of 0 would weigh infinitely: rules are weighed as if it were this at least.
_MIN_MULTIPLIER = 1e-3


def dealflow_complement(
    institution: dict, config: ScoringConfig, as_of: date | str | None = None
) -> tuple[list[Filter], list[Boost]]:
    """Filters and boosts for the open needs the institution may *not* take.

    The filters are the complement of :func:`dealflow_filters` among open needs: status
    open and at least one hard rule broken (``NOT (r1 AND r2 ...)`` written as
    ``ANY OF (NOT r1, NOT r2, ...)``), so the two queries split the open needs between them.

    An ineligible need scores its points times a multiplier per broken rule.  A product
    is no sum of boosts, so the engine orders by a first-order stand-in: the structured
    boosts plus, for each rule the need keeps, what breaking it would cost a typical match
    on a log scale (``-ln(multiplier) * TYPICAL_POINTS``).  Re-sorting by the Python
    score corrects the order locally.
    """
    as_of = as_date(as_of)
    if len(offers(institution)) > 1:
        return [Terms("status", ["open"]), Not(eligibility_clauses(institution, config, as_of)[0])], dealflow_boosts(institution, config)
    rules = hard_rules(institution, config, as_of)
    filters: list[Filter] = [Terms("status", ["open"]), AnyOf(tuple(Not(rule.clause) for rule in rules))]
    return filters, _complement_boosts(institution, config, rules)


def _complement_boosts(offer: dict, config: ScoringConfig, rules) -> list[Boost]:
    """An offer's boosts, plus for each rule a need keeps what breaking it would cost."""
    boosts = _offer_boosts(offer, config)
    for rule in rules:
        multiplier = max(config.ineligible_multipliers[rule.rule], _MIN_MULTIPLIER)
        weight = -math.log(multiplier) * TYPICAL_POINTS
        if weight:
            boosts.append(Boost(rule.clause, weight))
    return boosts


def complement_best_of(institution: dict, config: ScoringConfig, as_of: date | str | None = None) -> list[RankOption]:
    """The needs no product of the institution takes, ranked by the best of its products'
    stand-ins (:func:`dealflow_complement`'s, one per product); empty without products."""
    found = offers(institution)
    if len(found) == 1:
        return []
    as_of = as_date(as_of)
    return [RankOption(None, tuple(_complement_boosts(offer, config, hard_rules(offer, config, as_of)))) for offer in found]


def ordering_boosts(boosts: list[Boost], filters: list[Filter]) -> list[Boost]:
    """The boosts that order a query's hits differently, for the engine to evaluate.

    A boost every hit satisfies (:data:`EVERY_NEED`, or a clause that is also one of the
    query's filters) adds the same to every hit and is left out; boosts on the same clause
    are merged.  The order of the hits is unchanged; the engine computes less.
    """
    constant = {EVERY_NEED, *filters}
    merged: dict = {}
    for boost in boosts:
        if boost.clause not in constant:
            merged[boost.clause] = merged.get(boost.clause, 0.0) + boost.weight
    return [Boost(clause, weight) for clause, weight in merged.items() if weight]
