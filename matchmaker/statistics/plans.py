"""The zone's yearly plans, set by staff, and the programme indicators they enter.

A plan holds a year's targets (ids of ``targets.TARGETS``).  A year without a plan of its
own takes the latest earlier plan (the zone drafts next year's plan from the last), and
under every plan lie the configured targets (``targets.json``: the 2012 plan by default),
so a plan that names a few figures still answers them all.

Programme indicators are what no record counts by itself — incubator floor space built,
industry–university alliances formed, R&D institutions set up — entered by staff with the
date and a note, and summed over the year.
"""
from __future__ import annotations

from ..core.access import require_staff
from ..core.users import User
from ..core.schemas import now_iso
from ..core.service import Observer, Service
from ..errors import ValidationError
from ..search import Query, Range, SearchBackend, Sort, Terms
from ..search.base import new_id
from .targets import TARGETS, Targets, check_figure

PLANS = "plans"
INDICATORS = "indicators"
#: Programme indicators staff enter, and how a year's entries add up to the figure.
INDICATOR_KINDS = ("incubator_m2", "alliances", "rd_institutions")


def plan_id(year: int) -> str:
    return f"plan-{year}"


class PlanService(Service):
    index, label = PLANS, "plan"

    def __init__(self, backend: SearchBackend, targets: Targets, observers: list[Observer] = ()):
        super().__init__(backend, observers)
        self.targets = targets

    def _latest_plan(self, year: int) -> dict | None:
        query = Query(filters=[Range("year", lte=year)], sort=[Sort("year", descending=True)], per_page=1)
        found = self.backend.search(PLANS, query).items
        return found[0] if found else None

    def for_year(self, year: int) -> dict:
        """``{"year", "targets", "from_year", "source"}``: source is ``plan`` (set for this
        year), ``inherited`` (an earlier year's plan) or ``defaults`` (the configured targets)."""
        configured = self.targets.for_year(year)
        plan = self._latest_plan(year)
        if plan is None or plan["year"] < configured.year:
            return {"year": year, "targets": dict(configured.figures), "from_year": configured.year, "source": "defaults"}
        return {"year": year, "targets": {**configured.figures, **plan["targets"]}, "from_year": plan["year"],
                "source": "plan" if plan["year"] == year else "inherited",
                "updated_by": plan.get("updated_by"), "updated_at": plan.get("updated_at")}

    def set(self, user: User, year: int, targets: dict, notes: str | None = None) -> dict:
        """Set ``year``'s plan: the figures given over the plan the year would inherit."""
        require_staff(user, "set the zone's plan")
        errors = {}
        for name, value in (targets or {}).items():
            if name not in TARGETS:
                errors[name] = [f"unknown target; known: {', '.join(TARGETS)}"]
            elif problem := check_figure(name, value):
                errors[name] = [problem]
        if errors:
            raise ValidationError("the plan has invalid targets", fields={"targets": errors})
        base = self.for_year(year)["targets"]
        before = self.backend.get(PLANS, plan_id(year))
        stamp = now_iso()
        doc = {"year": year, "targets": {**base, **targets}, "notes": notes, "updated_by": user.id,
               "created_at": (before or {}).get("created_at", stamp), "updated_at": stamp}
        if before is None:
            stored = self.backend.create(PLANS, doc, doc_id=plan_id(year))
        else:
            stored = self.backend.replace(PLANS, plan_id(year), doc)
        self.emit("update" if before else "create", plan_id(year), before, stored)
        return self.for_year(year)


class IndicatorService(Service):
    index, label = INDICATORS, "indicator"

    def list(self, user: User, year: int) -> list[dict]:
        require_staff(user, "see the programme indicators")
        entries = self.backend.scan(INDICATORS, Query(filters=[Terms("year", [year])]))
        return sorted(entries, key=lambda e: (e["on"], e.get("created_at") or ""))

    def totals(self, year: int) -> dict[str, float]:
        """Each kind's sum over the entries dated in ``year``."""
        totals = dict.fromkeys(INDICATOR_KINDS, 0)
        for entry in self.backend.scan(INDICATORS, Query(filters=[Terms("year", [year])])):
            totals[entry["kind"]] = totals.get(entry["kind"], 0) + entry["value"]
        return {k: int(v) if float(v).is_integer() else v for k, v in totals.items()}

    def add(self, user: User, data: dict) -> dict:
        """``data``: ``kind``, ``value``, ``on`` (a date) and ``notes``, already validated."""
        require_staff(user, "enter programme indicators")
        stamp = now_iso()
        doc = {**data, "on": data["on"].isoformat(), "year": data["on"].year, "created_by": user.id,
               "created_at": stamp, "updated_at": stamp}
        stored = self.backend.create(INDICATORS, doc, doc_id=new_id())
        self.emit("create", stored["id"], None, stored)
        return stored

    def delete(self, user: User, indicator_id: str) -> None:
        require_staff(user, "remove programme indicators")
        before = self.fetch(indicator_id)
        self.backend.delete(INDICATORS, indicator_id)
        self.emit("delete", indicator_id, before, None)
