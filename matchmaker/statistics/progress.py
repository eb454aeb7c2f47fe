"""The year's progress against its plan: every target counts the events dated in the year.

- ``new_smes`` / ``new_smes_large_capital``: enterprises registered in the zone in the year
  (``zone_registered_on``), those with 20 million yuan of registered capital or more apart;
- ``new_little_giants`` / ``new_high_tech``: verified designations granted in the year (a
  claim waiting for staff does not count; a renewal counts only after a lapse);
- ``patent_applications``, ``invention_patents_per_10k_employees``: from the financial year
  equal to the year (patents granted per 10,000 employees of the firms reporting that year);
- ``institutions_entered``: institutions whose ``entered_on`` falls in the year;
- ``new_listings``: enterprises whose first listing on an exchange began in the year;
  ``new_neeq_quotations``: first NEEQ quotations, apart;
- ``special_fund_*``: from the special fund (``matchmaker.fund.summary.fund_totals``) when
  that feature is installed, else 0;
- programme indicators: the sums of what staff entered for the year.

Each event also gives the month it happened in (progress through the year) and the firm
behind it (the list staff open from a figure).
"""
from __future__ import annotations

import importlib
from collections import Counter
from datetime import date

from ..enterprises.events import QUOTATION_MARKETS, as_date, granted_in
from ..enterprises.facts import tier_move
from ..search import Query, Range, SearchBackend, Terms
from ..vocabulary import INDUSTRIES
from .plans import IndicatorService
from .targets import TARGETS

LARGE_CAPITAL = 20_000_000
#: The ids answered in ``progress``, in the order of the plan; the aim and the budget are
#: shown beside their figures rather than as rows of their own.
PROGRESS_IDS = tuple(t for t in TARGETS if t not in ("new_listings_aim", "special_fund_budget"))
#: Ids whose events have a date, so their progress through the year is drawn by month and
#: the firms (or institutions) behind them can be listed.
DATED_IDS = ("new_smes", "new_smes_large_capital", "new_little_giants", "new_high_tech", "institutions_entered",
             "new_listings", "new_neeq_quotations")
#: Ids counted from a financial year's accounts, which come in after the year ends.
ACCOUNTS_IDS = ("patent_applications", "invention_patents_per_10k_employees")
LISTED_IDS = DATED_IDS + ACCOUNTS_IDS
LEADING_INDUSTRIES = tuple(i for i in INDUSTRIES if i != "other")


def _fund_summary():
    """``matchmaker.fund.summary`` when the fund feature is installed; None otherwise."""
    try:
        return importlib.import_module("matchmaker.fund.summary")
    except ModuleNotFoundError as exc:
        if exc.name not in ("matchmaker.fund", "matchmaker.fund.summary"):
            raise  # the fund is there but broken: say so
        return None


def fund_totals(backend: SearchBackend, year: int) -> dict | None:
    """The special fund's budget, committed and paid for ``year`` (None without the fund feature)."""
    summary = _fund_summary()
    return summary.fund_totals(backend, year) if summary else None


def pool_by_stage(backend: SearchBackend) -> dict[str, int]:
    """The curated listing reserve pool's active entries per stage ({} without the fund feature)."""
    summary = _fund_summary()
    return summary.pool_by_stage(backend) if summary else {}


def first_on(listings: list[dict], quoted: bool) -> date | None:
    days = [as_date(item["on"]) for item in listings or [] if (item.get("market") in QUOTATION_MARKETS) == quoted]
    return min(days) if days else None


def enterprise_events(enterprise: dict, year: int) -> dict[str, tuple[str | None, float]]:
    """``{target id: (date or None, amount)}`` for each event of ``year`` this enterprise has."""
    found: dict[str, tuple[str | None, float]] = {}
    registered = enterprise.get("zone_registered_on")
    if registered and as_date(registered).year == year:
        found["new_smes"] = (registered, 1)
        if (enterprise.get("registered_capital") or 0) >= LARGE_CAPITAL:
            found["new_smes_large_capital"] = (registered, 1)
    for kind, target in (("little_giant", "new_little_giants"), ("high_tech", "new_high_tech")):
        if granted_in(enterprise, kind, year):
            days = [c["granted_on"] for c in enterprise.get("certifications") or []
                    if c.get("kind") == kind and c.get("verified") and as_date(c["granted_on"]).year == year]
            found[target] = (min(days), 1)
    for quoted, target in ((False, "new_listings"), (True, "new_neeq_quotations")):
        first = first_on(enterprise.get("listings"), quoted)
        if first and first.year == year:
            found[target] = (first.isoformat(), 1)
    accounts = next((f for f in enterprise.get("financials") or [] if f["year"] == year), None)
    if accounts:
        if accounts.get("patent_applications"):
            found["patent_applications"] = (None, accounts["patent_applications"])
        if accounts.get("invention_patents_granted"):
            found["invention_patents_per_10k_employees"] = (None, accounts["invention_patents_granted"])
    return found


def movement_year(year: int, today: date) -> int:
    """The financial year whose accounts show the tier movements of ``year``: the year
    itself once it is over, else the latest closed one (accounts come after the year)."""
    return year if year < today.year else today.year - 1


class YearProgress:
    """The year's events, counted from the records."""

    def __init__(self, backend: SearchBackend):
        self.backend = backend

    def compute(self, year: int, today: date) -> dict:
        moves_in = movement_year(year, today)
        actual = Counter()
        by_month = {target: Counter() for target in DATED_IDS}
        members: dict[str, list[dict]] = {target: [] for target in LISTED_IDS}
        industries = Counter()
        employees = 0
        moves = Counter()
        movers: list[dict] = []
        query = Query(filters=[Terms("event_years", sorted({year, moves_in}))])
        for enterprise in self.backend.scan("enterprises", query):
            for target, (day, amount) in enterprise_events(enterprise, year).items():
                actual[target] += amount
                if day and target in by_month:
                    by_month[target][day[:7]] += 1
                members[target].append(_member(enterprise, day, amount))
                if target == "new_smes":
                    industries[enterprise.get("industry") or "other"] += 1
            accounts = next((f for f in enterprise.get("financials") or [] if f["year"] == year), None)
            if accounts:
                employees += accounts.get("employees") or enterprise.get("employees") or 0
            move = tier_move(enterprise, moves_in)
            if move:
                moves[f"{move[0]}->{move[1]}"] += 1
                movers.append({**_member(enterprise, None, 1), "from": move[0], "to": move[1]})
        for institution in self.backend.scan("institutions", Query(filters=[
                Range("entered_on", gte=f"{year}-01-01", lte=f"{year}-12-31")])):
            actual["institutions_entered"] += 1
            by_month["institutions_entered"][institution["entered_on"][:7]] += 1
            members["institutions_entered"].append({"id": institution["id"], "name": institution.get("name"),
                                                    "kind": "institution", "on": institution["entered_on"],
                                                    "type": institution.get("type")})
        granted = actual.pop("invention_patents_per_10k_employees", 0)
        actual["invention_patents_per_10k_employees"] = round(10_000 * granted / employees, 1) if employees else 0
        actual.update(IndicatorService(self.backend).totals(year))
        new_smes = actual.get("new_smes", 0)
        shares = {i: {"count": industries.get(i, 0), "share": round(industries.get(i, 0) / new_smes, 4) if new_smes else None}
                  for i in INDUSTRIES}
        leading = sum(industries.get(i, 0) for i in LEADING_INDUSTRIES)
        return {
            "actual": {t: _number(actual.get(t, 0)) for t in PROGRESS_IDS if not t.startswith("special_fund")},
            "by_month": {t: dict(sorted(c.items())) for t, c in by_month.items()},
            "members": members,
            "employees_reporting": employees,
            "invention_patents_granted": granted,
            "industries_of_new_smes": {"by_industry": shares, "leading_five": leading,
                                       "leading_five_share": round(leading / new_smes, 4) if new_smes else None},
            "tier_movements": {"financial_year": moves_in, "counts": dict(moves),
                               "up_to_excel": sum(v for k, v in moves.items() if k.endswith("->excel")),
                               "up": sum(v for k, v in moves.items() if _rank(k.split("->")[1]) > _rank(k.split("->")[0])),
                               "down": sum(v for k, v in moves.items() if _rank(k.split("->")[1]) < _rank(k.split("->")[0])),
                               "enterprises": sorted(movers, key=lambda m: (m["to"], m["name"] or ""))},
        }


def _rank(tier: str) -> int:
    return ("nest", "grow", "excel").index(tier)


def _member(enterprise: dict, day: str | None, amount: float) -> dict:
    return {"id": enterprise["id"], "name": enterprise.get("name"), "kind": "enterprise", "on": day,
            "industry": enterprise.get("industry"), "amount": _number(amount)}


def _number(value):
    return int(value) if float(value).is_integer() else value
