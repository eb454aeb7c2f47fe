"""The special fund at a glance: per programme and in total, budget / committed / paid.

Counted from the grants themselves (approved and paid count as committed), so the
figures hold whatever the programmes' running totals say.
"""
from __future__ import annotations

from ..search import Query, SearchBackend, Terms
from .grants import COMMITTED, GRANTS
from .programmes import PROGRAMMES


def fund_totals(backend: SearchBackend, year: int) -> dict:
    """``{"budget", "committed", "paid", "by_programme": [{id, name, name_en, kind, budget,
    committed, paid}]}`` for the programmes of ``year`` (yuan, integers)."""
    programmes = sorted(backend.scan(PROGRAMMES, Query(filters=[Terms("year", [year])])),
                        key=lambda p: (p["kind"], p["name"], p["id"]))
    committed = {p["id"]: 0 for p in programmes}
    paid = dict(committed)
    grants = Query(filters=[Terms("year", [year]), Terms("status", COMMITTED)])
    for grant in backend.scan(GRANTS, grants):
        if grant["programme_id"] in committed:
            committed[grant["programme_id"]] += grant["amount"]
            if grant["status"] == "paid":
                paid[grant["programme_id"]] += grant["amount"]
    rows = [{"id": p["id"], "name": p["name"], "name_en": p.get("name_en"), "kind": p["kind"], "budget": p["budget"],
             "committed": committed[p["id"]], "paid": paid[p["id"]]} for p in programmes]
    return {"year": year, "budget": sum(r["budget"] for r in rows), "committed": sum(committed.values()),
            "paid": sum(paid.values()), "by_programme": rows}


def pool_by_stage(backend: SearchBackend) -> dict[str, int]:
    """How many firms of the listing reserve pool (active entries) stand at each stage,
    in the pool's order: what a dashboard counts instead of every enterprise's milestones."""
    from .pool import POOL
    from .rules import POOL_STAGES

    counts = dict.fromkeys(POOL_STAGES, 0)
    result = backend.search(POOL, Query(filters=[Terms("status", ["active"])], facets=["stage"], per_page=0))
    for stage, count in (result.facets.get("stage") or {}).items():
        counts[stage] = count
    return counts
