"""What a programme's written rules allow a grant to be, with the calculation shown.

DOMAIN.md, "Policy money around a deal":
- interest subsidy (贴息): ``rate`` × the benchmark interest on the loan for its term
  (the People's Bank benchmark in force on the loan's date, :mod:`.rates`), not the
  rate the bank charged;
- guarantee-fee subsidy (担保费补贴): ``rate`` (percentage points, as a fraction: 0.02 is
  2 points) × the guaranteed amount, per year of the term;
- listing award (上市奖励): the programme's amount for the reserve-pool stage reached;
- risk pool, angel co-investment and other programmes compute nothing: the amount asked
  stands, within the cap.
Every programme's ``cap_per_enterprise`` caps what one enterprise is granted in it
(approved and paid grants count against it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .rates import benchmark

KINDS = ("interest_subsidy", "fee_subsidy", "risk_pool", "listing_award", "angel_coinvest", "other")
#: Kinds whose grant is tied to a funded deal (a held meeting with outcome funded).
DEAL_KINDS = ("interest_subsidy", "fee_subsidy", "risk_pool", "angel_coinvest")
#: Stages of the listing reserve pool, in order (DOMAIN.md, "The listing reserve pool").
POOL_STAGES = ("cultivation", "shareholding_reform", "tutoring", "filed", "review", "listed")
#: Stages a listing award may reward (cultivation is where every entry starts).
AWARD_STAGES = POOL_STAGES[1:]
#: A loan's term when the need does not say it: one year.
DEFAULT_TERM_MONTHS = 12


@dataclass(frozen=True)
class Loan:
    """The funded deal a subsidy is computed on."""

    amount: int
    term_months: int
    on: date
    instrument: str
    term_assumed: bool = False


@dataclass
class Calculation:
    """The most the rules allow (``allowed``; None when they compute nothing and set no
    cap) and each step, in both languages, as the grant shows it."""

    allowed: int | None = None
    computed: int | None = None
    steps: list[dict] = field(default_factory=list)
    benchmark: dict | None = None

    def step(self, en: str, zh: str, value: int | float | None = None) -> None:
        self.steps.append({"text": en, "text_zh": zh, **({"value": value} if value is not None else {})})

    def to_dict(self) -> dict:
        body = {"allowed": self.allowed, "computed": self.computed, "steps": self.steps}
        if self.benchmark:
            body["benchmark"] = self.benchmark
        return {k: v for k, v in body.items() if v is not None}


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _yuan(amount: int) -> str:
    return f"{amount:,}"


def calculate(programme: dict, *, loan: Loan | None = None, stage: str | None = None, already: int = 0) -> Calculation:
    """What the programme allows one grant to be, given what the enterprise already holds
    in it (``already``: its approved and paid grants)."""
    rules = programme.get("rules") or {}
    kind = programme["kind"]
    calc = Calculation()
    if kind == "interest_subsidy" and loan is not None and rules.get("rate") is not None:
        found = benchmark(loan.on, loan.term_months)
        if found is not None:
            years = loan.term_months / 12
            interest = round(loan.amount * found.rate * years)
            calc.benchmark = {"rate": found.rate, "band": found.band, "effective_on": found.effective_on.isoformat(),
                              "source": found.source}
            calc.step(f"Benchmark rate {_pct(found.rate)} ({found.band}, in force from {found.effective_on})",
                      f"基准利率 {_pct(found.rate)}（{found.band}，{found.effective_on} 起执行）", found.rate)
            assumed = " (term assumed: one year)" if loan.term_assumed else ""
            assumed_zh = "（未填期限，按一年计）" if loan.term_assumed else ""
            calc.step(f"Benchmark interest: {_yuan(loan.amount)} × {_pct(found.rate)} × {loan.term_months}/12 = {_yuan(interest)}{assumed}",
                      f"基准利息：{_yuan(loan.amount)} × {_pct(found.rate)} × {loan.term_months}/12 = {_yuan(interest)}{assumed_zh}", interest)
            calc.computed = round(interest * rules["rate"])
            calc.step(f"Subsidy: {_pct(rules['rate'])} of the benchmark interest = {_yuan(calc.computed)}",
                      f"贴息：基准利息的 {_pct(rules['rate'])} = {_yuan(calc.computed)}", calc.computed)
        else:
            calc.step(f"No benchmark rate on record for {loan.on}", f"{loan.on} 无基准利率记录")
    elif kind == "fee_subsidy" and loan is not None and rules.get("rate") is not None:
        years = loan.term_months / 12
        calc.computed = round(loan.amount * rules["rate"] * years)
        calc.step(f"Fee subsidy: {_yuan(loan.amount)} × {_pct(rules['rate'])} × {loan.term_months}/12 = {_yuan(calc.computed)}",
                  f"担保费补贴：{_yuan(loan.amount)} × {_pct(rules['rate'])} × {loan.term_months}/12 = {_yuan(calc.computed)}",
                  calc.computed)
    elif kind == "listing_award" and stage is not None:
        award = (rules.get("amounts_by_stage") or {}).get(stage)
        if award is not None:
            calc.computed = int(award)
            calc.step(f"Listing award for the stage {stage}: {_yuan(calc.computed)}",
                      f"上市奖励（{stage}阶段）：{_yuan(calc.computed)}", calc.computed)
    calc.allowed = calc.computed
    cap = rules.get("cap_per_enterprise")
    if cap is not None:
        room = max(0, int(cap) - already)
        calc.step(f"Cap per enterprise {_yuan(int(cap))}, of which {_yuan(already)} already granted: at most {_yuan(room)}",
                  f"每户上限 {_yuan(int(cap))}，已批 {_yuan(already)}：最多 {_yuan(room)}", room)
        calc.allowed = room if calc.allowed is None else min(calc.allowed, room)
    return calc
