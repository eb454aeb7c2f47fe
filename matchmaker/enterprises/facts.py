"""Facts derived from an enterprise's profile and financial history (no I/O).

These are computed, never entered: the programme tier of the zone's plan, the latest
fiscal year's figures, growth.  The needs index carries a copy of them (``summary``) so
that deal flow can filter and rank needs without reading every enterprise.
"""
from __future__ import annotations

import hashlib
from datetime import date
from importlib import metadata
from functools import lru_cache

from .. import clock
from . import events

#: 卓越计划 "excel" starts at annual revenue of 100 million yuan (1亿).
EXCEL_REVENUE = 100_000_000
#: Stages the plan's 筑巢计划 "nest" programme is for.
NEST_STAGES = ("seed", "startup")


#: What each programme of the plan offers a firm in its tier (the 2012 work plan, items 2–4:
#: 筑巢计划 初创企业+创业导师+天使资金; 培增计划 市场开拓、专业培训、小巨人企业家培训、市场化融资;
#: 卓越计划 产业化研究、企业家培训、新产品市场培育、兼并重组、股份制改造和上市融资).
TIER_SERVICES = {
    "nest": ("incubator_space", "startup_mentor", "angel_fund"),
    "grow": ("market_development", "professional_training", "entrepreneur_training", "market_financing",
             "little_giant_cultivation"),
    "excel": ("industrialization_research", "entrepreneur_training", "new_product_market", "mergers_and_groups",
              "shareholding_reform_and_listing"),
}


def sorted_financials(enterprise: dict) -> list[dict]:
    """Yearly financials, oldest first."""
    return sorted(enterprise.get("financials") or [], key=lambda f: f["year"])


def latest_financials(enterprise: dict) -> dict | None:
    years = sorted_financials(enterprise)
    return years[-1] if years else None


def revenue_growth(enterprise: dict) -> float | None:
    """Revenue growth of the latest year over the year before it, as a fraction."""
    years = sorted_financials(enterprise)
    if len(years) < 2 or years[-2]["year"] != years[-1]["year"] - 1:
        return None
    before, latest = years[-2].get("revenue"), years[-1].get("revenue")
    if not before or latest is None or before <= 0:
        return None
    return round((latest - before) / before, 4)


def derive_tier(enterprise: dict) -> str:
    """``excel`` from 100M revenue in the latest year; ``nest`` for start-ups; else ``grow``."""
    latest = latest_financials(enterprise)
    revenue = latest.get("revenue") if latest else None
    if revenue is not None and revenue >= EXCEL_REVENUE:
        return "excel"
    if revenue is None or enterprise.get("stage") in NEST_STAGES:
        return "nest"
    return "grow"


def year_tier(enterprise: dict, financial_year: dict) -> str:
    """The tier a year's accounts put a firm in, by the rule of ``derive_tier`` (the stage,
    known only as it is now, applies to every year: a start-up was one before)."""
    return derive_tier({"stage": enterprise.get("stage"), "financials": [financial_year]})


def tier_history(enterprise: dict) -> list[dict]:
    """``[{"year", "tier"}]`` per financial year, oldest first; the latest is the current tier."""
    return [{"year": f["year"], "tier": year_tier(enterprise, f)} for f in sorted_financials(enterprise)]


def tier_move(enterprise: dict, financial_year: int) -> tuple[str, str] | None:
    """(tier before, tier after) when the accounts of ``financial_year`` moved the firm
    from the tier of the year before; None when it stayed or a year is missing."""
    tiers = {row["year"]: row["tier"] for row in tier_history(enterprise)}
    before, after = tiers.get(financial_year - 1), tiers.get(financial_year)
    if before is None or after is None or before == after:
        return None
    return before, after


def derived_fields(enterprise: dict, day: date | None = None) -> dict:
    """The read-only fields stored with an enterprise document (designations as of ``day``)."""
    latest = latest_financials(enterprise)
    return {
        "tier": derive_tier(enterprise),
        "latest_year": latest["year"] if latest else None,
        "latest_revenue": latest.get("revenue") if latest else None,
        "tier_history": tier_history(enterprise),
        "event_years": events.event_years(enterprise),
        **events.designations(enterprise, day or clock.today()),
    }


def counter_guarantees_offered(enterprise: dict) -> list[str]:
    """What the enterprise offers as security.  A profile that does not say (one from before
    the field existed) is read for what it evidently has: the actual controller's guarantee
    (DOMAIN.md: nearly universal), a property mortgage when it said it has collateral, and
    an IP pledge when it holds invention patents."""
    offered = enterprise.get("counter_guarantees_offered")
    if offered is not None:
        return list(offered)
    evident = ["personal_guarantee"]
    if enterprise.get("has_collateral"):
        evident.append("real_estate_mortgage")
    if (enterprise.get("invention_patents") or 0) > 0:
        evident.append("ip_pledge")
    return evident


def net_profit(year: dict) -> int | None:
    """The lower of net profit before and after non-recurring items, when both are known."""
    known = [year.get(k) for k in ("net_profit", "net_profit_deducted") if year.get(k) is not None]
    return min(known) if known else None


def equity_ratio(year: dict) -> float | None:
    """Net assets over total assets (net assets plus liabilities): what a lender reads as leverage."""
    assets, liabilities = year.get("net_assets"), year.get("total_liabilities")
    if assets is None or liabilities is None or assets + liabilities <= 0:
        return None
    return round(assets / (assets + liabilities), 4)


#: Stages at which an investor reads the firm's listing readiness (pre-IPO and industry funds).
READINESS_STAGES = ("expansion", "pre_ipo")
#: The boards a zone firm of those stages aims at; the best of them is the readiness signal.
READINESS_BOARDS = ("main", "chinext", "star")


@lru_cache(maxsize=8)
def _board_rules(year: int) -> tuple:
    from ..scoring.config import load_board_rules

    return tuple(rules for board, rules in load_board_rules(year=year).items() if board in READINESS_BOARDS)


def listing_readiness(enterprise: dict) -> int | None:
    """How far the enterprise is toward listing, 0-100: on its best board today, the average
    progress over that board's criteria as the readiness engine evaluates them
    (:func:`matchmaker.scoring.readiness.progress_all`, without the projection a readiness
    answer adds); None before expansion stage."""
    if enterprise.get("stage") not in READINESS_STAGES or not enterprise.get("financials"):
        return None
    from .. import clock
    from ..scoring.readiness import progress_all

    today = clock.today()
    scores = []
    for rules in _board_rules(today.year):
        progress = progress_all(enterprise, rules, today)
        if progress:
            scores.append(round(100 * sum(progress) / len(progress)))
    return max(scores) if scores else None


@lru_cache(maxsize=8)
def _rules_digest(year: int) -> str:
    return hashlib.sha256(repr(_board_rules(year)).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _release() -> str:
    try:
        return metadata.version("matchmaker")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "source"


def summary_basis() -> str:
    """What :func:`summary` depends on besides the enterprise: the day (readiness counts
    years and certificates as of today), the board rules in force that year, and the
    release that works it out.  A summary kept on another basis is worked out again."""
    today = clock.today()
    return f"{today.isoformat()} {_rules_digest(today.year)} {_release()}"


def summary(enterprise: dict) -> dict:
    """What a need carries of its enterprise: the fields deal flow filters and ranks on."""
    latest = latest_financials(enterprise)
    return {
        "listing_readiness": listing_readiness(enterprise),
        "counter_guarantees_offered": counter_guarantees_offered(enterprise),
        "latest_net_profit": net_profit(latest) if latest else None,
        "latest_operating_cash_flow": latest.get("operating_cash_flow") if latest else None,
        "equity_ratio": equity_ratio(latest) if latest else None,
        "founded": enterprise.get("founded"),
        "latest_revenue": latest.get("revenue") if latest else None,
        "revenue_growth": revenue_growth(enterprise),
        "has_collateral": bool(enterprise.get("has_collateral")),
        "high_tech_certified": bool(enterprise.get("high_tech_certified")),
        "little_giant": bool(enterprise.get("little_giant")),
        "invention_patents": enterprise.get("invention_patents") or 0,
        "tier": derive_tier(enterprise),
    }


def deal_facts(need: dict, facts: dict) -> dict:
    """What a need's amount says against its enterprise's figures (``facts`` is :func:`summary`):

    - ``revenue_cover``: last year's revenue over the amount (a lender reads the loan as
      ``1 / cover`` times revenue; a bank sizes working capital from turnover);
    - ``earnings_yield``: last year's net profit over the valuation implied by the stake
      offered (``amount / share``), the inverse of the P/E an investor pays.
    """
    amount, revenue, profit = need.get("amount"), facts.get("latest_revenue"), facts.get("latest_net_profit")
    cover = round(revenue / amount, 4) if amount and revenue is not None else None
    share = need.get("equity_offered_pct")
    earnings_yield = None
    if amount and share and profit is not None:
        earnings_yield = round(profit / (amount * 100 / share), 6)
    return {"revenue_cover": cover, "earnings_yield": earnings_yield}
