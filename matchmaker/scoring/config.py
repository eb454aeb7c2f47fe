"""The zone-editable files scoring runs on, read and checked once.

- ``defaults/scoring.json``: factor weights, factor parameters, which hard rules apply,
  the enterprise signals the needs index carries, labels and message templates.  A zone
  file (``MATCHMAKER_SCORING_FILE``) is merged over the defaults, so it holds only what
  it changes.
- ``defaults/boards/*.json``: one listing rule set per file (board, the date it took
  effect and, where it ended, was retired; its common criteria, its alternative
  ``standards`` of which one must be met, milestone weights, and a ``citation`` per
  figure).  ``defaults/readiness.json`` holds the wording shared by every rule set (over
  each criterion kind's own) and the projection settings.  A zone folder adds rule sets
  or replaces a default one with the same board and ``effective_on``.

Every problem is reported as a :class:`~matchmaker.errors.ConfigurationError` naming the
file and the key, e.g. ``scoring.json: weights.industry: must be a number >= 0``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..labels import words
from ..search.analysis import tokenize
from ..search.mappings import load_indexes
from .criteria import KINDS
from . import wording
from .wording import Text
from .criteria.base import BOOL, FRACTION, NUMBER, TEXT, YEARS, Param  # noqa: F401  (re-exported)

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
SCORING_FILE = DEFAULTS_DIR / "scoring.json"
BOARDS_DIR = DEFAULTS_DIR / "boards"
READINESS_FILE = DEFAULTS_DIR / "readiness.json"

#: The factors the scorer computes; ``weights`` gives each its share of 100 points.
FACTORS = ("industry", "stage", "ticket", "text", "strength", "credit", "valuation", "policy", "designations", "term", "presence", "cost")
#: The hard rules; ``rules`` switches each on or off.
RULES = (
    "instrument", "ticket_range", "stage", "min_revenue", "min_years", "collateral", "high_tech",
    "industry_mandate", "counter_guarantee", "profitable", "cash_flow", "term_max", "minority_stake",
    "single_borrower_cap", "guarantee_capacity",
)
#: Messages the scorer uses; each needs ``en`` and ``zh``.
MATCH_MESSAGES = (
    "rule.instrument", "rule.ticket_range.below", "rule.ticket_range.above", "rule.ticket_range.missing",
    "rule.stage", "rule.min_revenue", "rule.min_years", "rule.min_years.missing", "rule.collateral",
    "rule.high_tech", "rule.industry_mandate", "rule.counter_guarantee", "rule.profitable", "rule.cash_flow", "rule.term_max",
    "rule.minority_stake", "rule.single_borrower_cap", "rule.guarantee_capacity",
    "factor.credit", "factor.credit.any", "factor.valuation.any", "factor.valuation.early", "factor.valuation.missing",
    "factor.valuation.loss", "factor.valuation.pe", "factor.valuation.flag", "factor.policy.some", "factor.policy.none", "value.times_revenue", "value.no_revenue", "alternative.no_partner",
    "factor.industry.match", "factor.industry.miss", "factor.industry.any",
    "factor.stage.match", "factor.stage.miss", "factor.stage.any",
    "factor.ticket.band", "factor.ticket.outside", "factor.ticket.open",
    "factor.text.shared", "factor.text.none", "factor.strength",
    "factor.designations.some", "factor.designations.none",
    "factor.term.within", "factor.term.outside", "factor.term.missing", "factor.term.any",
    "factor.presence", "factor.cost.default", "status.unknown", "value.missing", "value.yes", "value.no",
)

SIGNAL_FORMATS = ("money", "percent", "count", "flag", "cover")

# -- the criterion vocabulary of board rule sets --------------------------------------

#: Criterion kinds the readiness engine evaluates, and the parameters each takes (a view of
#: the registry in :mod:`.criteria`).  A new rule set is a JSON file; a new kind of rule is
#: one registered function.
CRITERION_KINDS: dict[str, dict[str, Param]] = {name: k.params for name, k in KINDS.items()}
#: Milestones that add to a readiness score (DOMAIN.md's listing steps).
MILESTONES = (
    "sponsor_engaged", "tutoring_filed", "application_filed", "approved",
    # under registration (注册制): 受理 → 问询 → 上市委审议 → 注册生效, instead of 过会
    "application_accepted", "inquiry_answered", "committee_approved", "registered",
    # NEEQ quotation (挂牌), not a listing: its own broker and steps
    "neeq_broker_engaged", "neeq_application_filed", "neeq_approved",
)
_CRITERION_KEYS = ("id", "kind", "title_en", "title_zh", "weight", "messages", "citation")
_BOARD_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# -- reading and checking ---------------------------------------------------------------
class _Checker:
    """Reads typed values out of one file's data; every failure names file and key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str):
        raise ConfigurationError(f"{self.source}: {key}: {problem}")

    def get(self, data: dict, key: str, path: str, *, required: bool = True, default=None):
        if not isinstance(data, dict):
            self.fail(path.rsplit(".", 1)[0] if "." in path else path, "must be an object")
        if key not in data or data[key] is None:
            if required:
                self.fail(path, "is missing")
            return default
        return data[key]

    def mapping(self, data: dict, key: str, path: str, *, required: bool = True) -> dict:
        value = self.get(data, key, path, required=required, default={})
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
        return value

    def number(self, data: dict, key: str, path: str, *, low=None, high=None, required=True, default=None) -> float:
        value = self.get(data, key, path, required=required, default=default)
        if value is None:
            return value
        self.check_number(value, path, low=low, high=high)
        return value

    def check_number(self, value, path: str, *, low=None, high=None) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number, not {value!r}")
        if low is not None and value < low:
            self.fail(path, f"must be >= {low}, not {value!r}")
        if high is not None and value > high:
            self.fail(path, f"must be <= {high}, not {value!r}")

    def integer(self, data: dict, key: str, path: str, *, low=None, high=None, required=True, default=None) -> int:
        value = self.number(data, key, path, low=low, high=high, required=required, default=default)
        if value is not None and not isinstance(value, int):
            self.fail(path, f"must be a whole number, not {value!r}")
        return value

    def boolean(self, data: dict, key: str, path: str, *, required=True, default=None) -> bool:
        value = self.get(data, key, path, required=required, default=default)
        if value is not None and not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {value!r}")
        return value

    def string(self, data: dict, key: str, path: str, *, required=True, default=None) -> str:
        value = self.get(data, key, path, required=required, default=default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            self.fail(path, f"must be a non-empty string, not {value!r}")
        return value

    def listing(self, data: dict, key: str, path: str, *, required=True) -> list:
        value = self.get(data, key, path, required=required, default=[])
        if not isinstance(value, list):
            self.fail(path, "must be a list")
        return value

    def bilingual(self, data: dict, key: str, path: str) -> dict:
        value = self.mapping(data, key, path)
        for lang in ("en", "zh"):
            self.string(value, lang, f"{path}.{lang}")
        return {"en": value["en"], "zh": value["zh"]}

    def known_keys(self, data: dict, allowed, path: str, what: str) -> None:
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            self.fail(f"{path}.{unknown[0]}" if path else unknown[0], f"unknown {what}; known: {', '.join(allowed)}")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: must hold a JSON object")
    return data


def _without_comments(value):
    """The data with every ``_comment``-style key (a leading underscore) left out."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_without_comments(v) for v in value]
    return value


def _merge(base: dict, override: dict) -> dict:
    """``override`` over ``base``: objects merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# -- match scoring ------------------------------------------------------------------------
@dataclass(frozen=True)
class Signal:
    """A fact about the enterprise, read from the need's ``enterprise`` copy.

    Numeric signals climb ``steps`` ([threshold, share] pairs: the share reached at or
    above each threshold); boolean ones give share 1 when the field ``equals`` the value.
    """

    name: str
    field: str
    format: str = "flag"  # how a value reads in a message: money, percent, count or flag
    steps: tuple[tuple[float, float], ...] = ()
    equals: Any = None
    missing_share: float = 0.0


@dataclass(frozen=True)
class CapRules:
    """A dated set of regulatory limits on one institution type's single deal (DOMAIN.md).

    ``single_share``: one borrower or client at most this share of the net capital (资本净额 /
    net assets); ``multiple``: outstanding guarantees at most this many times net assets
    (``multiple_small_micro`` for a company serving mainly small and micro enterprises).
    """

    id: str
    type: str
    effective_on: str  # ISO date
    source: dict[str, str]  # {"en", "zh"}: the regulation, as a reason cites it
    single_share: float | None = None
    multiple: float | None = None
    multiple_small_micro: float | None = None


@dataclass(frozen=True)
class ScoringConfig:
    points: dict[str, float]  # factor -> the points it is worth; they add up to 100
    rules: dict[str, bool]
    ineligible_multipliers: dict[str, float]  # rule -> what a broken rule multiplies the score by
    factors: dict[str, dict]
    signals: dict[str, Signal]
    labels: dict[str, dict[str, dict[str, str]]]
    messages: dict[str, dict[str, str]]
    ignored_tokens: frozenset[str] = frozenset()  # text-relevance tokens too common to count
    source: str = "scoring.json"
    caps: tuple[CapRules, ...] = ()  # regulatory limits, oldest first
    type_defaults: dict[str, dict] = None  # type -> flags an institution of it has unless it says otherwise
    alternatives: tuple[dict, ...] = ()  # other ways to fund a need (see matchmaker.scoring.alternatives)

    def caps_for(self, institution_type: str | None, on) -> CapRules | None:
        """The limits in force on ``on`` (a date) for the type: the newest that took effect by then."""
        day = on.isoformat()
        found = None
        for rules in self.caps:
            if rules.type == institution_type and rules.effective_on <= day:
                found = rules
        return found

    def type_default(self, institution_type: str | None, flag: str) -> bool:
        return bool(((self.type_defaults or {}).get(institution_type) or {}).get(flag, False))

    def rule_applies(self, rule: str) -> bool:
        return self.rules.get(rule, True)

    @cached_property
    def _label_texts(self) -> dict:
        return {}

    def label_text(self, group: str, code) -> Text:
        """:meth:`label` as wording's ``Text``, kept once made (the configuration is
        frozen; every match's reasons name the same few dozen codes)."""
        try:
            return self._label_texts[group, code]
        except KeyError:
            pass
        except TypeError:  # a code that is no dictionary key: worded, not kept
            return self._worded(group, code)
        text = self._label_texts[group, code] = self._worded(group, code)
        return text

    def _worded(self, group: str, code) -> Text:
        words = self.label(group, code)
        return Text(words["en"], words["zh"])

    @cached_property
    def _sentences(self) -> dict:
        return {}

    def sentence(self, key: str) -> Text:
        """The message ``key`` with no values to fill, kept once made: a quarter of a
        match's sentences (no programme applies, no designation held, a yes or a no)."""
        try:
            return self._sentences[key]
        except KeyError:
            text = self._sentences[key] = wording.render(self.messages[key], {})
            return text

    def label(self, group: str, code) -> dict[str, str]:
        """``{"en", "zh"}`` words for a code inside a sentence: the file's (a zone may word
        them its own way), else the labels table's long form, else the code itself."""
        found = self.labels.get(group, {}).get(code)
        if found:
            return found
        table = words(group, code)
        return (table and table.both("long")) or {"en": str(code), "zh": str(code)}


def load_scoring_config(path: str | Path | None = None) -> ScoringConfig:
    """The defaults, with the zone's file at ``path`` (if any) merged over them."""
    if not path:
        return _packaged_scoring_config()
    return parse_scoring_config(_merge(_read_json(SCORING_FILE), _read_json(Path(path))), str(path))


@lru_cache(maxsize=1)
def _packaged_scoring_config() -> ScoringConfig:
    """The packaged defaults, read once per process (they ship with the code; every app
    without a scoring file of its own shares them, frozen)."""
    return parse_scoring_config(_read_json(SCORING_FILE), SCORING_FILE.name)


def parse_scoring_config(data: dict, source: str = "scoring.json") -> ScoringConfig:
    check = _Checker(source)
    data = _without_comments(data)
    weights = check.mapping(data, "weights", "weights")
    check.known_keys(weights, FACTORS, "weights", "factor")
    for name in FACTORS:
        check.number(weights, name, f"weights.{name}", low=0)
    total = sum(weights.values())
    if total <= 0:
        check.fail("weights", "at least one factor needs a weight above 0")
    rules = check.mapping(data, "rules", "rules")
    check.known_keys(rules, RULES, "rules", "rule")
    for name in RULES:
        check.boolean(rules, name, f"rules.{name}")
    ineligible = check.mapping(data, "ineligible", "ineligible")
    default_multiplier = check.number(ineligible, "multiplier_per_broken_rule", "ineligible.multiplier_per_broken_rule", low=0, high=1)
    rule_multipliers = check.mapping(ineligible, "rule_multipliers", "ineligible.rule_multipliers", required=False)
    check.known_keys(rule_multipliers, RULES, "ineligible.rule_multipliers", "rule")
    for rule in rule_multipliers:
        check.number(rule_multipliers, rule, f"ineligible.rule_multipliers.{rule}", low=0, high=1)
    labels = _parse_labels(check, data)
    signals = _parse_signals(check, data)
    factors = _parse_factors(check, data, signals, labels)
    messages = check.mapping(data, "messages", "messages")
    for key in MATCH_MESSAGES:
        check.bilingual(messages, key, f"messages.{key}")
    caps = _parse_caps(check, data)
    type_defaults = check.mapping(data, "type_defaults", "type_defaults", required=False)
    for type_name, flags in type_defaults.items():
        for flag in check.mapping(type_defaults, type_name, f"type_defaults.{type_name}"):
            check.boolean(flags, flag, f"type_defaults.{type_name}.{flag}")
    alternatives = _parse_alternatives(check, data, messages)
    return ScoringConfig(
        points={name: 100.0 * weights[name] / total for name in FACTORS},
        rules=dict(rules),
        ineligible_multipliers={rule: rule_multipliers.get(rule, default_multiplier) for rule in RULES},
        factors=factors,
        signals=signals,
        labels=labels,
        messages={k: {"en": v["en"], "zh": v["zh"]} for k, v in messages.items() if isinstance(v, dict)},
        ignored_tokens=frozenset(t for word in factors["text"].get("ignore", []) for t in tokenize(word)),
        source=source,
        caps=caps,
        type_defaults={k: dict(v) for k, v in type_defaults.items()},
        alternatives=alternatives,
    )


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_caps(check: _Checker, data: dict) -> tuple[CapRules, ...]:
    parsed = []
    for i, entry in enumerate(check.listing(data, "caps", "caps", required=False)):
        path = f"caps[{i}]"
        effective = check.string(entry, "effective_on", f"{path}.effective_on")
        if not _ISO_DATE.match(effective):
            check.fail(f"{path}.effective_on", f"must be a date such as 2008-05-04, not {effective!r}")
        parsed.append(CapRules(
            id=check.string(entry, "id", f"{path}.id"),
            type=check.string(entry, "type", f"{path}.type"),
            effective_on=effective,
            source=check.bilingual(entry, "source", f"{path}.source"),
            single_share=check.number(entry, "single_share", f"{path}.single_share", low=0, high=1, required=False),
            multiple=check.number(entry, "multiple", f"{path}.multiple", low=0, required=False),
            multiple_small_micro=check.number(entry, "multiple_small_micro", f"{path}.multiple_small_micro", low=0, required=False),
        ))
    return tuple(sorted(parsed, key=lambda rules: rules.effective_on))


def _parse_alternatives(check: _Checker, data: dict, messages: dict) -> tuple[dict, ...]:
    parsed = []
    for i, entry in enumerate(check.listing(data, "alternatives", "alternatives", required=False)):
        path = f"alternatives[{i}]"
        check.string(entry, "id", f"{path}.id")
        check.string(entry, "instrument", f"{path}.instrument")
        message = check.string(entry, "message", f"{path}.message")
        check.bilingual(messages, message, f"messages.{message}")
        when = check.mapping(entry, "when", f"{path}.when")
        check.known_keys(when, ("instruments", "stages", "purpose_terms", "unsecured"), f"{path}.when", "condition")
        parsed.append(dict(entry))
    return tuple(parsed)


def _parse_labels(check: _Checker, data: dict) -> dict:
    labels = check.mapping(data, "labels", "labels")
    parsed = {}
    for group, entries in labels.items():
        entries = check.mapping(labels, group, f"labels.{group}")
        parsed[group] = {code: check.bilingual(entries, code, f"labels.{group}.{code}") for code in entries}
    return parsed


def _needs_fields() -> set[str]:
    return set(load_indexes()["needs"].fields)


def _parse_signals(check: _Checker, data: dict) -> dict[str, Signal]:
    signals = check.mapping(data, "signals", "signals")
    fields = _needs_fields()
    parsed = {}
    for name in signals:
        path = f"signals.{name}"
        spec = check.mapping(signals, name, path)
        field_path = check.string(spec, "field", f"{path}.field")
        if field_path not in fields:
            check.fail(f"{path}.field", f"the needs index has no field {field_path!r}")
        value_format = check.string(spec, "format", f"{path}.format", required=False, default="flag")
        if value_format not in SIGNAL_FORMATS:
            check.fail(f"{path}.format", f"must be one of {', '.join(SIGNAL_FORMATS)}")
        if "equals" in spec:
            parsed[name] = Signal(name, field_path, format=value_format, equals=spec["equals"])
            continue
        steps = check.listing(spec, "steps", f"{path}.steps")
        if not steps:
            check.fail(f"{path}.steps", "needs at least one [threshold, share] pair (or give 'equals')")
        previous = None
        for i, step in enumerate(steps):
            if not (isinstance(step, list) and len(step) == 2):
                check.fail(f"{path}.steps[{i}]", "must be a [threshold, share] pair")
            check.check_number(step[0], f"{path}.steps[{i}][0]")
            check.check_number(step[1], f"{path}.steps[{i}][1]", low=0, high=1)
            if previous is not None and step[0] <= previous:
                check.fail(f"{path}.steps[{i}]", "thresholds must rise")
            previous = step[0]
        missing = check.number(spec, "missing_share", f"{path}.missing_share", low=0, high=1, required=False, default=0.0)
        parsed[name] = Signal(name, field_path, format=value_format, steps=tuple((s[0], s[1]) for s in steps), missing_share=missing)
    return parsed


def _parse_factors(check: _Checker, data: dict, signals: dict[str, Signal], labels: dict) -> dict[str, dict]:
    factors = check.mapping(data, "factors", "factors")
    messages = check.mapping(data, "messages", "messages")
    share = {"low": 0, "high": 1}
    for name in ("industry", "stage"):
        spec = check.mapping(factors, name, f"factors.{name}")
        for key in ("focus_discount", "min_share", "any_share"):
            check.number(spec, key, f"factors.{name}.{key}", **share)
    _parse_ticket(check, check.mapping(factors, "ticket", "factors.ticket"), labels)
    text = check.mapping(factors, "text", "factors.text")
    check.number(text, "saturation", "factors.text.saturation", low=1)
    for i, word in enumerate(check.listing(text, "ignore", "factors.text.ignore", required=False)):
        if not isinstance(word, str):
            check.fail(f"factors.text.ignore[{i}]", "must be a string")
    strength = check.mapping(factors, "strength", "factors.strength")
    profiles = check.mapping(strength, "profiles", "factors.strength.profiles")
    if "default" not in profiles:
        check.fail("factors.strength.profiles.default", "is missing (used for institution types not listed)")
    for type_name in profiles:
        _parse_signal_weights(check, profiles, type_name, f"factors.strength.profiles.{type_name}", signals)
    _parse_signal_weights(check, factors, "designations", "factors.designations", signals)
    valuation = check.mapping(factors, "valuation", "factors.valuation")
    for key in ("any_share", "early_share", "missing_share"):
        check.number(valuation, key, f"factors.valuation.{key}", **share)
    check.number(valuation, "flag_pe", "factors.valuation.flag_pe", low=1)
    for stage, steps in check.mapping(valuation, "stages", "factors.valuation.stages").items():
        if not (isinstance(steps, list) and all(isinstance(s, list) and len(s) == 2 for s in steps)):
            check.fail(f"factors.valuation.stages.{stage}", "must be a list of [earnings yield, share] pairs")
    check.number(check.mapping(factors, "policy", "factors.policy"), "share", "factors.policy.share", **share)
    credit = check.mapping(factors, "credit", "factors.credit")
    check.number(credit, "any_share", "factors.credit.any_share", **share)
    for type_name, profile in check.mapping(credit, "profiles", "factors.credit.profiles").items():
        here = f"factors.credit.profiles.{type_name}"
        check.number(profile, "floor", f"{here}.floor", **share)
        _parse_signal_weights(check, profile, "signals", f"{here}.signals", signals)
    term = check.mapping(factors, "term", "factors.term")
    months = check.mapping(term, "typical_months", "factors.term.typical_months")
    for type_name, span in months.items():
        path = f"factors.term.typical_months.{type_name}"
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(m, int) and m >= 0 for m in span) and span[0] <= span[1]):
            check.fail(path, "must be [shortest, longest] whole months")
    check.number(term, "missing_share", "factors.term.missing_share", **share)
    presence = check.mapping(factors, "presence", "factors.presence")
    for status in presence:
        check.number(presence, status, f"factors.presence.{status}", **share)
    cost = check.mapping(factors, "cost", "factors.cost")
    types = check.mapping(cost, "types", "factors.cost.types")
    for type_name in types:
        _parse_cost(check, types, type_name, f"factors.cost.types.{type_name}", messages)
    _parse_cost(check, cost, "default", "factors.cost.default", messages)
    return factors


def _parse_cost(check: _Checker, parent: dict, key: str, path: str, messages: dict) -> None:
    entry = check.mapping(parent, key, path)
    check.number(entry, "share", f"{path}.share", low=0, high=1)
    message = check.string(entry, "message", f"{path}.message")
    if message not in messages:
        check.fail(f"{path}.message", f"no message {message!r} in messages")
    check.bilingual(messages, message, f"messages.{message}")


def _parse_ticket(check: _Checker, ticket: dict, labels: dict) -> None:
    bands = check.listing(ticket, "bands", "factors.ticket.bands")
    if not bands:
        check.fail("factors.ticket.bands", "needs at least one band")
    previous = None
    for i, band in enumerate(bands):
        path = f"factors.ticket.bands[{i}]"
        start = check.number(band, "from", f"{path}.from", low=0, high=1)
        check.number(band, "share", f"{path}.share", low=0, high=1)
        name = check.string(band, "name", f"{path}.name")
        if name not in labels.get("band", {}):
            check.fail(f"{path}.name", f"needs a label in labels.band.{name}")
        if i == 0 and start != 0:
            check.fail(f"{path}.from", "the first band must start at 0")
        if previous is not None and start <= previous:
            check.fail(f"{path}.from", "bands must start at rising positions")
        previous = start
    check.number(ticket, "open_range_share", "factors.ticket.open_range_share", low=0, high=1)


def _parse_signal_weights(check: _Checker, parent: dict, key: str, path: str, signals: dict) -> None:
    weights = check.mapping(parent, key, path)
    for signal in weights:
        if signal not in signals:
            check.fail(f"{path}.{signal}", f"unknown signal; known: {', '.join(signals)}")
        check.number(weights, signal, f"{path}.{signal}", low=0)


# -- listing rule sets ---------------------------------------------------------------------
@dataclass(frozen=True)
class CriterionSpec:
    """One criterion of a rule set: what the readiness engine evaluates and how it reads."""

    id: str
    kind: str
    params: dict[str, Any]
    title: dict[str, str]  # {"en", "zh"}
    messages: dict[str, dict[str, str]]  # template name -> {"en", "zh"}
    weight: float = 1.0
    options: tuple["Option", ...] = ()  # for ``any_of``
    citation: dict | None = None  # {document, article, date, status}: where the figure comes from


@dataclass(frozen=True)
class Option:
    """One way of meeting an ``any_of`` criterion: every criterion in it must be met."""

    id: str
    title: dict[str, str]
    criteria: tuple[CriterionSpec, ...]


#: The id of the criterion a rule set's ``standards`` (alternative listing standards) become.
STANDARDS = "standards"


@dataclass(frozen=True)
class BoardRules:
    board: str
    effective_on: date
    name: dict[str, str]  # {"en", "zh"}
    criteria: tuple[CriterionSpec, ...]
    milestones: dict[str, float]  # milestone -> points it adds when done
    financials_max_age_months: int
    projection: dict[str, float]  # horizon_years, max_growth, min_growth
    wording: dict[str, dict[str, str]]  # notes, projection and milestone templates
    source: str = ""  # the file it was read from
    retired_on: date | None = None  # the day the board (or this rule set's board) ended
    document: str = ""  # the official text(s) the rule set follows
    rule_set_id: str = ""
    #: How listings under this rule set are reviewed: "registration" (注册制) or "approval" (核准制)
    review: str = "approval"

    @property
    def effective_year(self) -> int:
        return self.effective_on.year

    @property
    def id(self) -> str:
        return self.rule_set_id or f"{self.board}-{self.effective_on.isoformat()}"

    @property
    def name_en(self) -> str:
        return self.name["en"]

    @property
    def name_zh(self) -> str:
        return self.name["zh"]

    @property
    def standards(self) -> CriterionSpec | None:
        """The alternative listing standards (one of which must be met), when the board has them."""
        return next((c for c in self.criteria if c.id == STANDARDS and c.kind == "any_of"), None)

    def in_force(self, day: date) -> bool:
        return self.effective_on <= day and (self.retired_on is None or day < self.retired_on)


def load_rule_sets(directory: str | Path | None = None) -> dict[str, tuple[BoardRules, ...]]:
    """Every rule set of every board, oldest first.

    The default rule sets are always read; files in ``directory`` add to them, and one
    with the same board and ``effective_on`` replaces the default.
    """
    if not directory:
        return _packaged_rule_sets()
    return _read_rule_sets(directory)


@lru_cache(maxsize=1)
def _packaged_rule_sets() -> dict[str, tuple[BoardRules, ...]]:
    """The packaged rule sets, read and checked once per process (they ship with the code;
    parsing them was most of an app's start-up)."""
    return _read_rule_sets(None)


def _read_rule_sets(directory: str | Path | None) -> dict[str, tuple[BoardRules, ...]]:
    wording = _load_readiness_wording()
    rule_sets: dict[tuple[str, date], BoardRules] = {}
    folders = [BOARDS_DIR] + ([Path(directory)] if directory else [])
    files: dict[str, tuple[str, dict]] = {}  # rule set id (or file name) -> (file name, data)
    for folder in folders:
        if not folder.is_dir():
            raise ConfigurationError(f"{folder}: board rules folder not found")
        for path in sorted(folder.glob("*.json")):
            data = _read_json(path)
            files[str(data.get("id") or path.name)] = (path.name, data)
    for key, (name, data) in files.items():
        rules = parse_board_rules(_revised(key, files), wording, source=name)
        rule_sets[(rules.board, rules.effective_on)] = rules
    by_board: dict[str, list[BoardRules]] = {}
    for (board, _), rules in sorted(rule_sets.items()):
        by_board.setdefault(board, []).append(rules)
    return {board: tuple(sets) for board, sets in by_board.items()}


REVISION_KEYS = ("revises", "remove_criteria", "remove_standards")
#: How a rule set's listings are reviewed: by the CSRC's approval (核准制) or by registration (注册制)
REVIEWS = ("approval", "registration")


def _revised(key: str, files: dict[str, tuple[str, dict]], seen: tuple[str, ...] = ()) -> dict:
    """A rule set's data with the one it ``revises`` underneath: a revision names only what
    changed — its own dates, source and wording; ``criteria`` and ``standards`` that replace
    the earlier ones of the same id or are added after them; ``remove_criteria`` and
    ``remove_standards`` (ids) that no longer apply.  A rule set without ``revises`` is whole."""
    name, data = files[key]
    base_id = data.get("revises")
    if base_id is None:
        return data
    check = _Checker(name)
    if base_id not in files:
        check.fail("revises", f"names {base_id!r}, which no rule file defines")
    if key in seen:
        check.fail("revises", "rule sets revise each other in a circle: " + " → ".join(seen + (key,)))
    base = _revised(base_id, files, seen + (key,))
    if base.get("board") != data.get("board", base.get("board")):
        check.fail("board", f"a revision of {base_id!r} must stay on its board {base.get('board')!r}")
    merged = {k: v for k, v in base.items() if k not in ("criteria", "standards", "retired_on", "_comment")}
    merged.update({k: v for k, v in data.items() if k not in ("criteria", "standards") + REVISION_KEYS})
    for section, removed in (("criteria", "remove_criteria"), ("standards", "remove_standards")):
        gone = set(check.listing(data, removed, removed, required=False) or [])
        unknown = gone - {item.get("id") for item in base.get(section) or []}
        if unknown:
            check.fail(removed, f"{base_id!r} has no {section} {sorted(unknown)}")
        items = [item for item in base.get(section) or [] if item.get("id") not in gone]
        for item in check.listing(data, section, section, required=False) or []:
            at = next((i for i, old in enumerate(items) if old.get("id") == item.get("id")), None)
            if at is None:
                items.append(item)
            else:
                items[at] = item
        if items:
            merged[section] = items
    return merged


def rule_set_on(rule_sets: tuple[BoardRules, ...], day: date) -> BoardRules | None:
    """The newest rule set that had taken effect by ``day`` (retired or not), or None."""
    found = None
    for rules in rule_sets:
        if rules.effective_on <= day:
            found = rules
    return found


def load_board_rules(directory: str | Path | None = None, year: int | None = None,
                     on: date | None = None) -> dict[str, BoardRules]:
    """The rule set in force for each board on ``on`` (or at the end of ``year``; with
    neither, the newest of each board).  A board with no rule set in force is left out."""
    every = load_rule_sets(directory)
    if on is None and year is None:
        return {board: sets[-1] for board, sets in every.items() if sets[-1].retired_on is None}
    day = on or date(year, 12, 31)
    in_force = {}
    for board, sets in every.items():
        rules = rule_set_on(sets, day)
        if rules is not None and rules.in_force(day):
            in_force[board] = rules
    return in_force


def _load_readiness_wording() -> dict:
    data = _without_comments(_read_json(READINESS_FILE))
    check = _Checker(READINESS_FILE.name)
    file_criteria = check.mapping(data, "criteria", "criteria")
    check.known_keys(file_criteria, tuple(KINDS), "criteria", "criterion kind")
    criteria = {}
    for name, registered in KINDS.items():
        # the kind's own wording, with the file's templates over it
        templates = {**registered.templates, **(file_criteria.get(name) or {})}
        for template in ("met", "unmet"):
            check.bilingual(templates, template, f"criteria.{name}.{template}")
        criteria[name] = templates
    wording = {}
    for section in ("notes", "projection", "milestones"):
        entries = check.mapping(data, section, section)
        wording.update({f"{section}.{k}": check.bilingual(entries, k, f"{section}.{k}") for k in entries})
    settings = check.mapping(data, "settings", "settings")
    check.integer(settings, "financials_max_age_months", "settings.financials_max_age_months", low=1)
    check.integer(settings, "horizon_years", "settings.horizon_years", low=1, high=50)
    check.number(settings, "max_growth", "settings.max_growth", low=0)
    check.number(settings, "min_growth", "settings.min_growth", low=-1, high=0)
    return {"criteria": criteria, "templates": wording, "settings": settings}


def _date(check: _Checker, data: dict, key: str, *, required: bool = True) -> date | None:
    value = check.get(data, key, key, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        check.fail(key, f"must be a date such as 2019-03-01, not {value!r}")


def parse_board_rules(data: dict, wording: dict | None = None, source: str = "board rules") -> BoardRules:
    """A rule set from its JSON data (``wording`` defaults to ``defaults/readiness.json``)."""
    wording = wording or _load_readiness_wording()
    check = _Checker(source)
    data = _without_comments(data)
    board = check.string(data, "board", "board")
    if not _BOARD_CODE.match(board):
        check.fail("board", f"must be a lower-case code such as 'chinext', not {board!r}")
    if data.get("effective_on") is not None:
        effective_on = _date(check, data, "effective_on")
    elif data.get("effective_year") is not None:
        effective_on = date(check.integer(data, "effective_year", "effective_year", low=1990, high=2100), 1, 1)
    else:
        check.fail("effective_on", "is missing (the date the rule set took effect; or give effective_year)")
    retired_on = _date(check, data, "retired_on", required=False)
    if retired_on is not None and retired_on <= effective_on:
        check.fail("retired_on", "must be after effective_on")
    name = {"en": check.string(data, "name_en", "name_en"), "zh": check.string(data, "name_zh", "name_zh")}
    criteria = _parse_criteria(check, check.listing(data, "criteria", "criteria"), "criteria", wording["criteria"])
    standards = check.listing(data, "standards", "standards", required=False)
    if standards:
        criteria += (_standards(check, data, standards, wording["criteria"]),)
    if not criteria:
        check.fail("criteria", "a rule set needs at least one criterion")
    milestones = check.mapping(data, "milestones", "milestones", required=False)
    check.known_keys(milestones, MILESTONES, "milestones", "milestone")
    for key in milestones:
        check.number(milestones, key, f"milestones.{key}", low=0)
        if f"milestones.{key}" not in wording["templates"]:
            check.fail(f"milestones.{key}", f"readiness.json has no wording milestones.{key}")
    if sum(milestones.values()) >= 100:
        check.fail("milestones", "milestone points must add up to less than 100")
    settings = wording["settings"]
    max_age = check.integer(
        data, "financials_max_age_months", "financials_max_age_months", low=1, required=False,
        default=settings["financials_max_age_months"],
    )
    review = data.get("review", "approval")
    if review not in REVIEWS:
        check.fail("review", f"must be one of {', '.join(REVIEWS)}, not {review!r}")
    document = data.get("source")
    if isinstance(document, dict):
        document = "; ".join(str(v) for v in document.values())
    return BoardRules(
        board=board,
        effective_on=effective_on,
        retired_on=retired_on,
        name=name,
        criteria=criteria,
        milestones=dict(milestones),
        financials_max_age_months=max_age,
        projection={k: settings[k] for k in ("horizon_years", "max_growth", "min_growth")},
        wording=wording["templates"],
        source=source,
        document=document or "",
        rule_set_id=check.string(data, "id", "id", required=False) or "",
        review=review,
    )


def _standards(check: _Checker, data: dict, standards: list, kind_wording: dict) -> CriterionSpec:
    """The alternative listing standards as one either/or criterion (``standards``)."""
    title = check.mapping(data, "standards_title", "standards_title", required=False)
    item = {
        "id": STANDARDS, "kind": "any_of", "options": standards,
        "title_en": title.get("en") or "One of the listing standards", "title_zh": title.get("zh") or "上市标准（满足其一）",
        "weight": data.get("standards_weight", 3),
    }
    return _parse_criteria(check, [item], "", kind_wording)[0]


def _parse_criteria(check: _Checker, items: list, path: str, kind_wording: dict) -> tuple[CriterionSpec, ...]:
    parsed, seen = [], set()
    for i, item in enumerate(items):
        here = f"{path}[{i}]" if path else STANDARDS
        if not isinstance(item, dict):
            check.fail(here, "must be an object")
        criterion_id = check.string(item, "id", f"{here}.id")
        if criterion_id in seen:
            check.fail(f"{here}.id", f"{criterion_id!r} is used twice")
        seen.add(criterion_id)
        here = f"{path}.{criterion_id}" if path else STANDARDS
        kind = check.string(item, "kind", f"{here}.kind")
        if kind not in KINDS:
            check.fail(f"{here}.kind", f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        allowed = _CRITERION_KEYS + tuple(KINDS[kind].params) + (("options",) if KINDS[kind].takes_options else ())
        check.known_keys(item, allowed, here, f"key for a {kind} criterion")
        overrides = check.mapping(item, "messages", f"{here}.messages", required=False)
        messages = dict(kind_wording[kind])
        for name in overrides:
            messages[name] = check.bilingual(overrides, name, f"{here}.messages.{name}")
        citation = check.mapping(item, "citation", f"{here}.citation", required=False) or None
        parsed.append(
            CriterionSpec(
                id=criterion_id,
                kind=kind,
                params=_parse_params(check, item, kind, here),
                title={"en": check.string(item, "title_en", f"{here}.title_en"),
                       "zh": check.string(item, "title_zh", f"{here}.title_zh")},
                messages=messages,
                weight=check.number(item, "weight", f"{here}.weight", low=0, required=False, default=1.0),
                options=_parse_options(check, item, here, kind_wording) if KINDS[kind].takes_options else (),
                citation=citation,
            )
        )
    return tuple(parsed)


def _parse_params(check: _Checker, item: dict, kind: str, path: str) -> dict[str, Any]:
    params = {}
    for key, spec in KINDS[kind].params.items():
        where = f"{path}.{key}"
        if spec.type == BOOL:
            value = check.boolean(item, key, where, required=spec.required, default=spec.default)
        elif spec.type == YEARS:
            value = check.integer(item, key, where, low=1, high=20, required=spec.required, default=spec.default)
        elif spec.type == FRACTION:
            value = check.number(item, key, where, low=0, high=1, required=spec.required, default=spec.default)
        elif spec.type == TEXT:
            value = check.string(item, key, where, required=spec.required, default=spec.default)
        else:
            value = check.number(item, key, where, required=spec.required, default=spec.default)
        params[key] = value
    return params


def _parse_options(check: _Checker, item: dict, path: str, kind_wording: dict) -> tuple[Option, ...]:
    options = check.listing(item, "options", f"{path}.options")
    if len(options) < 2:
        check.fail(f"{path}.options", "an any_of criterion needs at least two options")
    parsed = []
    for i, option in enumerate(options):
        here = f"{path}.options[{i}]"
        criteria = _parse_criteria(check, check.listing(option, "criteria", f"{here}.criteria"), f"{here}.criteria", kind_wording)
        if not criteria:
            check.fail(f"{here}.criteria", "an option needs at least one criterion")
        parsed.append(
            Option(
                id=check.string(option, "id", f"{here}.id"),
                title={"en": check.string(option, "title_en", f"{here}.title_en"),
                       "zh": check.string(option, "title_zh", f"{here}.title_zh")},
                criteria=criteria,
            )
        )
    return tuple(parsed)
