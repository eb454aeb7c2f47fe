"""Ranking quality on labelled cases: does the scorer put first what a domain expert would?

A case file (JSON) holds one case or ``{"pool": ..., "as_of": ..., "cases": [...]}``.  Each
case has a ``description``, a ``need`` (the needs-index shape), an institution ``pool``
(a list, or the name of ``pools/<name>.json`` next to the case files), ``expected_first``
(the ids acceptable at rank 1; empty when nobody should be eligible), ``relevant`` (graded
relevance for NDCG, ``{id: 3|2|1}``), ``must_be_ineligible`` (ids) and optionally
``ineligible_because`` (``{id: [rule, ...]}``: rules the reasons must name), and
optionally ``programmes``: the special fund's programmes of the year, as the fund records
them (``{id, kind, name, budget, committed, rules}``), for policy money in the score.

Metrics, over the cases with an ``expected_first``:

- precision@1: the top institution is one of ``expected_first``;
- precision@3: relevant institutions in the top 3, out of ``min(3, number relevant)``
  (relevant: graded above 0, or acceptable first);
- NDCG@5: graded relevance (gain ``2^grade - 1``), ``expected_first`` counting 3 unless graded;
- ineligible accuracy, over every case: the share of ``must_be_ineligible`` institutions
  the scorer calls ineligible, for the rules ``ineligible_because`` names.

Run ``python -m matchmaker.scoring.evaluate [CASES_DIR] [--config FILE]`` for a report.
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import ConfigurationError
from .config import ScoringConfig, load_scoring_config
from .dates import as_date
from .matching import MatchResult, rank_institutions

DEFAULT_CASES_DIR = Path(__file__).resolve().parent / "cases"  # packaged: evaluate works from the wheel
#: The grade an ``expected_first`` institution counts with when ``relevant`` does not grade it.
FIRST_GRADE = 3


@dataclass
class Case:
    id: str
    description: str
    need: dict
    pool: list[dict]
    as_of: date
    expected_first: list[str] = field(default_factory=list)
    relevant: dict[str, int] = field(default_factory=dict)
    must_be_ineligible: list[str] = field(default_factory=list)
    ineligible_because: dict[str, list[str]] = field(default_factory=dict)
    programmes: list[dict] | None = None  # the special fund's programmes, when the case names them

    def grades(self) -> dict[str, int]:
        grades = {i: FIRST_GRADE for i in self.expected_first}
        grades.update({i: g for i, g in self.relevant.items() if g > 0})
        return grades


@dataclass
class Metrics:
    precision_at_1: float
    precision_at_3: float
    ndcg_at_5: float
    ineligible_accuracy: float
    n: int
    misses: list[str] = field(default_factory=list)  # one line per case or rule the scorer got wrong


# -- loading ---------------------------------------------------------------------------------
def _load_pool(value, directory: Path, source: str) -> list[dict]:
    if isinstance(value, list):
        return value
    path = directory / "pools" / f"{value}.json"
    if not path.exists():
        raise ConfigurationError(f"{source}: pool {value!r} not found at {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["institutions"] if isinstance(data, dict) else data


def _case(raw: dict, defaults: dict, directory: Path, source: str, position: int) -> Case:
    merged = {**defaults, **raw}
    for key in ("need", "pool"):
        if key not in merged:
            raise ConfigurationError(f"{source}: case {position}: {key} is missing")
    pool = _load_pool(merged["pool"], directory, source)
    known = {str(i["id"]) for i in pool}
    case = Case(
        id=str(merged.get("id") or f"{Path(source).stem}#{position}"),
        description=merged.get("description", ""),
        need=merged["need"],
        pool=pool,
        as_of=as_date(merged.get("as_of")),
        expected_first=list(merged.get("expected_first", [])),
        relevant=dict(merged.get("relevant", {})),
        must_be_ineligible=list(merged.get("must_be_ineligible", [])),
        ineligible_because=dict(merged.get("ineligible_because", {})),
        programmes=merged.get("programmes"),
    )
    named = set(case.expected_first) | set(case.relevant) | set(case.must_be_ineligible) | set(case.ineligible_because)
    unknown = sorted(named - known)
    if unknown:
        raise ConfigurationError(f"{source}: case {case.id}: ids not in its pool: {', '.join(unknown)}")
    return case


def load_cases(directory: str | Path = DEFAULT_CASES_DIR) -> list[Case]:
    """Every case in the ``*.json`` files of ``directory`` (pools live in ``directory/pools``)."""
    directory = Path(directory)
    cases = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        defaults = {k: data[k] for k in ("pool", "as_of", "programmes") if k in data}
        raw_cases = data["cases"] if "cases" in data else [data]
        cases.extend(_case(raw, defaults, directory, path.name, i) for i, raw in enumerate(raw_cases))
    return cases


# -- metrics ---------------------------------------------------------------------------------
def _dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg(ranked_ids: list[str], grades: dict[str, int], k: int = 5) -> float:
    ideal = _dcg(sorted(grades.values(), reverse=True)[:k])
    return _dcg([grades.get(i, 0) for i in ranked_ids[:k]]) / ideal if ideal else 0.0


def precision_at(ranked_ids: list[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked_ids[:k]) & relevant) / min(k, len(relevant))


def _ineligible_checks(case: Case, results: dict[str, MatchResult]) -> list[tuple[bool, str]]:
    """(correct, what was checked) for each institution the case says must be ineligible."""
    checks = []
    for inst_id in case.must_be_ineligible:
        result = results[inst_id]
        broken = set(result.broken_rules)
        wanted = set(case.ineligible_because.get(inst_id, []))
        correct = not result.eligible and wanted <= broken
        checks.append((correct, f"{case.id}: {inst_id} should be ineligible ({', '.join(sorted(wanted)) or 'any rule'}); "
                                f"scorer says eligible={result.eligible}, broken={sorted(broken)}"))
    return checks


def evaluate(cases: list[Case], config: ScoringConfig) -> Metrics:
    p1, p3, ndcg5, ineligible, misses = [], [], [], [], []
    for case in cases:
        ranking = rank_institutions(case.need, case.pool, config, case.as_of, programmes=case.programmes)
        ranked_ids = [str(inst["id"]) for inst, _ in ranking]
        results = {str(inst["id"]): result for inst, result in ranking}
        for correct, message in _ineligible_checks(case, results):
            ineligible.append(correct)
            if not correct:
                misses.append(message)
        if not case.expected_first:
            continue
        grades = case.grades()
        top = ranked_ids[0]
        p1.append(top in case.expected_first and results[top].eligible)
        p3.append(precision_at(ranked_ids, set(grades), 3))
        ndcg5.append(ndcg(ranked_ids, grades, 5))
        if not p1[-1]:
            misses.append(f"{case.id}: first is {top} ({results[top].score}), expected {' or '.join(case.expected_first)}; "
                          f"top 3: {', '.join(f'{i} ({results[i].score})' for i in ranked_ids[:3])}")
    mean = lambda values: sum(values) / len(values) if values else 0.0  # noqa: E731
    return Metrics(
        precision_at_1=mean(p1), precision_at_3=mean(p3), ndcg_at_5=mean(ndcg5),
        ineligible_accuracy=mean(ineligible), n=len(cases), misses=misses,
    )


def format_report(metrics: Metrics) -> str:
    lines = [
        f"cases:               {metrics.n}",
        f"precision@1:         {metrics.precision_at_1:.3f}",
        f"precision@3:         {metrics.precision_at_3:.3f}",
        f"NDCG@5:              {metrics.ndcg_at_5:.3f}",
        f"ineligible accuracy: {metrics.ineligible_accuracy:.3f}",
    ]
    if metrics.misses:
        lines.append("misses:")
        lines.extend(f"  - {m}" for m in metrics.misses)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure match ranking quality on labelled cases.")
    parser.add_argument("cases", nargs="?", default=str(DEFAULT_CASES_DIR), help="folder of case files")
    parser.add_argument("--config", help="a scoring file merged over the defaults")
    args = parser.parse_args(argv)
    print(format_report(evaluate(load_cases(args.cases), load_scoring_config(args.config))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- the whole demo ----------------------------------------------------------------------------
LENDER_TYPES = ("bank",)


@dataclass
class DemoAudit:
    """What a domain reviewer checks over every open need of the demo (DOMAIN.md's rules,
    counted independently of the scorer's own rule list)."""

    open_needs: int
    mandate_violations: list[str] = field(default_factory=list)  # "need: institution" eligible outside its mandate
    guarantee_needs: int = 0
    guarantee_unmatched: list[str] = field(default_factory=list)  # "need: why each guarantor says no"
    loss_making_loans: int = 0  # debt needs of borrowers with a loss in the latest year
    bank_first_for_losses: list[str] = field(default_factory=list)  # of those, the ones a bank tops
    loans_over_revenue: int = 0  # debt and guarantee needs above a whole year's revenue
    loans: int = 0

    @property
    def guarantee_unmatched_share(self) -> float:
        return len(self.guarantee_unmatched) / self.guarantee_needs if self.guarantee_needs else 0.0


def _indexed(need: dict, enterprise: dict) -> dict:
    """The need as the needs index stores it (the enterprise's copy and the deal's facts)."""
    from ..enterprises.facts import deal_facts
    from ..needs.service import enterprise_copy

    copy = enterprise_copy(enterprise)
    return {**need, **copy, "deal": deal_facts(need, copy["enterprise"])}


def audit_demo(config: ScoringConfig, data, as_of: date) -> DemoAudit:
    """Every open need of a data set (the demo's ``institutions``, ``enterprises`` and
    ``needs``) against every institution in it, on ``as_of`` (the demo's date)."""
    from .matching import InstitutionScorer, flag

    institutions = data.institutions
    scorers = [InstitutionScorer(i, config, as_of) for i in institutions]
    enterprises = {e["id"]: e for e in data.enterprises}
    audit = DemoAudit(open_needs=0)
    for raw in data.needs:
        if raw.get("status") != "open":
            continue
        need = _indexed(raw, enterprises[raw["enterprise_id"]])
        audit.open_needs += 1
        ranking = rank_institutions(need, institutions, config, as_of, scorers)
        for inst, result in ranking:
            if result.eligible and flag(inst, "industry_mandate", config) and inst.get("industries") \
                    and need["industry"] not in inst["industries"]:
                audit.mandate_violations.append(f"{need['id']}: {inst['id']}")
        facts = need["enterprise"]
        if need["instrument"] in ("debt", "guarantee"):
            audit.loans += 1
            revenue = facts.get("latest_revenue")
            if revenue is not None and need.get("amount") and need["amount"] > revenue:
                audit.loans_over_revenue += 1
        if need["instrument"] == "debt" and (facts.get("latest_net_profit") or 0) < 0:
            audit.loss_making_loans += 1
            top = ranking[0]
            if top[1].eligible and top[0].get("type") in LENDER_TYPES:
                audit.bank_first_for_losses.append(f"{need['id']}: {top[0]['id']} ({top[1].score})")
        if need["instrument"] == "guarantee":
            audit.guarantee_needs += 1
            guarantors = [(inst, result) for inst, result in ranking if inst.get("type") == "guarantee"]
            if not any(result.eligible for _, result in guarantors):
                why = "; ".join(f"{inst['id']} {'+'.join(result.broken_rules)}" for inst, result in guarantors)
                audit.guarantee_unmatched.append(f"{need['id']} ({wording_money(need.get('amount'))}): {why}")
    return audit


def wording_money(amount) -> str:
    from .wording import money

    return money(amount).en


def format_audit(audit: DemoAudit) -> str:
    lines = [
        f"demo open needs:     {audit.open_needs}",
        f"mandate violations:  {len(audit.mandate_violations)}",
        f"guarantee needs without an eligible guarantor: {len(audit.guarantee_unmatched)} of {audit.guarantee_needs}"
        f" ({audit.guarantee_unmatched_share:.1%})",
        f"loss-making borrowers' loans topped by a bank: {len(audit.bank_first_for_losses)} of {audit.loss_making_loans}",
        f"loan and guarantee needs above a year's revenue: {audit.loans_over_revenue} of {audit.loans}",
    ]
    lines += [f"  - mandate: {m}" for m in audit.mandate_violations]
    lines += [f"  - no guarantor: {m}" for m in audit.guarantee_unmatched]
    lines += [f"  - bank first despite a loss: {m}" for m in audit.bank_first_for_losses]
    return "\n".join(lines)
