"""The zone's numbers for a year, counted in the search engine (facets and sums).

Needs are counted as a *cohort*: the needs published in the year, by the month they were
published in (zone time), by industry and by instrument.  For each: ``posted``,
``answered`` (some institution answered), ``answered_in_time`` (the first answer came by
the deadline), ``interested``, ``met`` (a meeting was held), ``funded`` and
``amount_funded`` — from the facts each need keeps (``need.brokering``), each set once, so
a need funded by two institutions counts once (its amount is the sum of both).

The funnel follows the same needs: suggested (published: put in the deal flow and the
saved searches of the institutions it fits) → interested → meeting held → funded.  A
later stage implies the earlier ones (a meeting is held only after the institution
confirmed it, which counts as interest), so the funnel never grows downstream.

By institution type the unit is the pair (need × institution): answers, answers in time,
meetings held, funded outcomes and their amounts.

The year's targets (its plan, ``matchmaker.statistics.plans``) are set against the events
dated in the year (``matchmaker.statistics.progress``): ``progress``.  Enterprises,
institutions and listings are also counted as they stand (stock figures, no target).
"""
from __future__ import annotations

from .. import clock
from ..core.access import require_staff
from ..core.service import Service
from ..core.users import User
from ..core.calendar import year_months
from ..brokering.pipeline import pipeline_funnel
from ..errors import NoSuchList
from ..search import Query, Range, SearchBackend, SumAggregation, Terms
from ..vocabulary import INDUSTRIES, INSTITUTION_STATUSES, INSTITUTION_TYPES, INSTRUMENTS, TIERS
from .plans import PlanService
from .progress import ACCOUNTS_IDS, DATED_IDS, LISTED_IDS, PROGRESS_IDS, YearProgress, fund_totals, pool_by_stage
from .targets import TARGETS, Targets


def cumulative(by_month: dict[str, int], months: list[str]) -> dict[str, int]:
    """The running total at the end of each month of the year."""
    total, out = 0, {}
    for month in months:
        total += by_month.get(month, 0)
        out[month] = total
    return out

NEED_MEASURES = ("posted", "answered", "answered_in_time", "interested", "met", "funded", "amount_funded")
FUNNEL = ("suggested", "interested", "meeting_held", "funded")
PAIR_MEASURES = ("answers", "answered_in_time", "meetings_held", "funded", "amount_funded")
BIG_CAPITAL = 20_000_000
DIMENSIONS = {"month": "published_month", "industry": "industry", "instrument": "instrument"}


def _exists(field: str) -> Range:
    return Range(field)  # no bounds: the field has a value


def _true(field: str) -> Terms:
    return Terms(field, [True])


class StatisticsService(Service):
    """Reads only: the figures are counted from the other indexes on every call."""

    def __init__(self, backend: SearchBackend, targets: Targets):
        super().__init__(backend)
        self.targets = targets

    def compute(self, user: User, year: int) -> dict:
        require_staff(user, "see the zone's statistics")
        plan = PlanService(self.backend, self.targets).for_year(year)
        months = year_months(year)
        needs = self.needs(months)
        year_events = YearProgress(self.backend).compute(year, clock.today())
        fund = self.fund(year, plan["targets"])
        return {
            "year": year,
            "as_of": clock.today().isoformat(),
            "targets_year": plan["from_year"],
            "plan_source": plan["source"],
            "targets": plan["targets"],
            "progress": self.progress(year, plan["targets"], year_events, fund,
                                      YearProgress(self.backend).compute(year - 1, clock.today()), self.fund(year - 1, {})),
            "progress_by_month": {t: cumulative(year_events["by_month"][t], months) for t in DATED_IDS},
            "industries_of_new_smes": year_events["industries_of_new_smes"],
            "tier_movements": {k: v for k, v in year_events["tier_movements"].items() if k != "enterprises"},
            "special_fund": fund,
            "needs": needs,
            "funnel": self.funnel(needs["totals"]),
            "pipeline_funnel": pipeline_funnel(self.backend, year),
            "by_institution_type": self.by_institution_type(months),
            "institutions": self.institutions(),
            "enterprises": self.enterprises(),
            "listings": self.listings(),
            "meetings": self.meetings(months),
        }

    # -- the plan's targets against the year's events -------------------------------------
    def progress(self, year: int, targets: dict, year_events: dict, fund: dict,
                 previous_events: dict, previous_fund: dict) -> list[dict]:
        """Each target with the year's actual and, beside it, the same figure for the year before."""
        def actual_of(target: str, events: dict, money: dict):
            if target.startswith("special_fund"):
                return money[target.removeprefix("special_fund_")]
            return events["actual"].get(target, 0)

        rows = []
        for target in PROGRESS_IDS:
            row = {"id": target, "target": targets.get(target, 0), "actual": actual_of(target, year_events, fund),
                   "description": TARGETS[target],
                   "previous_year": {"year": year - 1, "actual": actual_of(target, previous_events, previous_fund)}}
            if target in LISTED_IDS:
                row["list"] = f"/api/v1/statistics/progress/{target}?year={year}"
            if target == "new_listings":
                row["aim"] = targets.get("new_listings_aim")
            if target in ACCOUNTS_IDS and year >= clock.today().year:  # the year's accounts come after it
                row["last_reported"] = row["previous_year"]
            rows.append(row)
        return rows

    def fund(self, year: int, targets: dict) -> dict:
        """The special fund's figures: from the fund's grants when that feature is there."""
        totals = fund_totals(self.backend, year)
        if totals is None:
            return {"source": "plan", "budget": targets.get("special_fund_budget", 0), "committed": 0, "paid": 0}
        return {"source": "fund", "budget": totals.get("budget", 0) or targets.get("special_fund_budget", 0),
                "committed": totals.get("committed", 0), "paid": totals.get("paid", 0),
                "by_programme": totals.get("by_programme", [])}

    def members(self, user: User, target: str, year: int) -> list[dict]:
        """The firms (or institutions) behind one figure of ``progress``."""
        require_staff(user, "see the zone's statistics")
        if target not in LISTED_IDS:
            raise NoSuchList(target=target, lists=", ".join(LISTED_IDS))
        found = YearProgress(self.backend).compute(year, clock.today())["members"][target]
        return sorted((dict(m) for m in found), key=lambda m: (m.get("on") or "", m.get("name") or ""))

    def tier_movers(self, user: User, year: int) -> dict:
        require_staff(user, "see the zone's statistics")
        return YearProgress(self.backend).compute(year, clock.today())["tier_movements"]

    # -- needs --------------------------------------------------------------------------
    def needs(self, months: list[str]) -> dict:
        cohort = [Terms("published_month", months)]
        stages = {
            "posted": [],
            "answered": [_exists("brokering.first_response_at")],
            "answered_in_time": [_true("brokering.answered_in_time")],
            "interested": [_exists("brokering.interested_at")],
            "met": [_exists("brokering.meeting_held_at")],
            "funded": [_exists("brokering.funded_at")],
        }
        facets = list(DIMENSIONS.values())
        keys = {"month": months, "industry": list(INDUSTRIES), "instrument": list(INSTRUMENTS)}
        rows = {dim: {key: dict.fromkeys(NEED_MEASURES, 0) for key in keys[dim]} for dim in DIMENSIONS}
        totals = dict.fromkeys(NEED_MEASURES, 0)
        for measure, extra in stages.items():
            sums = [SumAggregation(dim, field, "brokering.funded_amount") for dim, field in DIMENSIONS.items()] if measure == "funded" else []
            result = self.backend.search("needs", Query(filters=cohort + extra, facets=facets, sums=sums, per_page=0))
            totals[measure] = result.total
            for dim, field in DIMENSIONS.items():
                for key, count in result.facets[field].items():
                    rows[dim].setdefault(key, dict.fromkeys(NEED_MEASURES, 0))[measure] = count
                for key, bucket in result.sums.get(dim, {}).items():
                    rows[dim][key]["amount_funded"] = int(bucket["sum"])
            if measure == "funded":
                totals["amount_funded"] = sum(int(b["sum"]) for b in result.sums.get("month", {}).values())
        return {"cohort": "needs published in the year, by month of publication (UTC+8)", "totals": totals,
                "by_month": rows["month"], "by_industry": rows["industry"], "by_instrument": rows["instrument"]}

    @staticmethod
    def funnel(totals: dict) -> list[dict]:
        counts = [totals["posted"], totals["interested"], totals["met"], totals["funded"]]
        stages = []
        for position, (stage, count) in enumerate(zip(FUNNEL, counts)):
            previous = counts[position - 1] if position else None
            share = round(count / previous, 4) if previous else None
            stages.append({"stage": stage, "count": count, "share_of_previous": share})
        return stages

    def by_institution_type(self, months: list[str]) -> dict:
        rows = {t: dict.fromkeys(PAIR_MEASURES, 0) for t in INSTITUTION_TYPES}
        cohort = [Terms("need_month", months)]
        answers = self.backend.search("interests", Query(filters=cohort, facets=["institution_type"], per_page=0))
        in_time = self.backend.search("interests", Query(filters=cohort + [_true("in_time")], facets=["institution_type"], per_page=0))
        held = self.backend.search("meetings", Query(filters=cohort + [Terms("status", ["held"])], facets=["institution_type"], per_page=0))
        funded = self.backend.search("meetings", Query(
            filters=cohort + [Terms("outcome", ["funded"])], per_page=0,
            sums=[SumAggregation("funded", "institution_type", "amount")]))
        for measure, result in (("answers", answers), ("answered_in_time", in_time), ("meetings_held", held)):
            for key, count in result.facets["institution_type"].items():
                rows.setdefault(key, dict.fromkeys(PAIR_MEASURES, 0))[measure] = count
        for key, bucket in funded.sums["funded"].items():
            row = rows.setdefault(key, dict.fromkeys(PAIR_MEASURES, 0))
            row["funded"], row["amount_funded"] = bucket["count"], int(bucket["sum"])
        totals = {m: sum(r[m] for r in rows.values()) for m in PAIR_MEASURES}
        return {"unit": "need × institution", "totals": totals, "rows": rows}

    # -- institutions, enterprises, listings (as they stand) ---------------------------
    def institutions(self) -> dict:
        result = self.backend.search("institutions", Query(facets=["status", "type"], per_page=0))
        by_status = {s: result.facets["status"].get(s, 0) for s in INSTITUTION_STATUSES}
        by_type = {t: result.facets["type"].get(t, 0) for t in INSTITUTION_TYPES}
        return {"scope": "as they stand", "total": result.total, "by_status": by_status, "by_type": by_type,
                "entered": by_status["entered"]}

    def enterprises(self) -> dict:
        result = self.backend.search("enterprises", Query(
            facets=["tier", "little_giant", "high_tech_certified"], per_page=0,
            sums=[SumAggregation("patents", "tier", "invention_patents")]))
        big = self.backend.count("enterprises", Query(filters=[Range("registered_capital", gte=BIG_CAPITAL)]))
        return {
            "scope": "as they stand (designations in force when last written)",
            "total": result.total,
            "by_tier": {t: result.facets["tier"].get(t, 0) for t in TIERS},
            "big_capital": {"count": big, "threshold": BIG_CAPITAL},
            "little_giants": {"count": result.facets["little_giant"].get("true", 0)},
            "high_tech": {"count": result.facets["high_tech_certified"].get("true", 0)},
            "invention_patents": {"count": int(sum(b["sum"] for b in result.sums["patents"].values())),
                                  "note": "invention patents the enterprises hold, as they report them"},
        }

    def listings(self) -> dict:
        """Listed firms as they stand; the reserve pool as staff run it (its active entries
        by stage, ``matchmaker.fund.pool``), not every enterprise's milestones."""
        listed = self.backend.count("enterprises", Query(filters=[_true("listed")]))
        pool = pool_by_stage(self.backend)
        # readiness per board: the latest snapshot of each enterprise (matchmaker.readiness)
        latest = self.backend.search("readiness", Query(filters=[Terms("latest", [True]), _true("ready")],
                                                        facets=["board"], per_page=0))
        return {"listed": listed,
                "reserve_pool": pool, "reserve_pool_total": sum(pool.values()), "ready_by_board": latest.facets["board"]}

    def meetings(self, months: list[str]) -> dict:
        result = self.backend.search("meetings", Query(filters=[Terms("month", months)], facets=["status", "outcome"], per_page=0))
        return {"scope": "meetings starting in the year (UTC+8)", "total": result.total,
                "by_status": {s: result.facets["status"].get(s, 0) for s in ("proposed", "confirmed", "held", "cancelled")},
                "by_outcome": result.facets["outcome"]}
