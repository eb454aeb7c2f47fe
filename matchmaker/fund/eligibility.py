"""Which special-fund programmes would back a deal: for matching (a lender says yes more
readily when the zone subsidises the interest or covers part of the loss).

- an interest subsidy or guarantee-fee subsidy covers a need when the need's instrument
  is one of the programme's ``instruments`` and the institution's type one of its
  ``institution_types`` (an empty list: any);
- a risk-compensation pool covers a loan only through the products that take part in it
  (the product's ``programmes[]``, or the institution's when it has no products), with
  the same instrument and type rules;
- angel co-investment (天使跟投: the zone's fund invests beside an angel or VC) backs
  equity in start-ups of the nest tier (筑巢计划), at the stages its ``stages`` rule names
  (an empty list: any);
- listing awards pay for pool stages, not deals: never here.
A programme whose budget is spent backs nothing.  Only the programmes of ``as_of``'s year
count (the fund is budgeted yearly).
"""
from __future__ import annotations

from datetime import date

from .. import clock
from ..search import Query, SearchBackend, Terms
from ..search.filters import holds
from ..search.query import AnyOf, Filter, Not
from .programmes import PROGRAMMES

SUBSIDIES = ("interest_subsidy", "fee_subsidy")


def programmes_of_year(backend: SearchBackend, year: int) -> list[dict]:
    """The year's programmes (a handful), in a stable order."""
    return sorted(backend.scan(PROGRAMMES, Query(filters=[Terms("year", [year])])), key=lambda p: (p["kind"], p["id"]))


def need_clause(programme: dict) -> Filter | None:
    """What the programme asks of the enterprise behind a deal, as a filter on the needs
    index (matching hands it to the engine too); None when it asks nothing."""
    if programme["kind"] != "angel_coinvest":
        return None
    nest = AnyOf((Terms("enterprise.tier", ["nest"]), Terms("tier", ["nest"])))
    stages = (programme.get("rules") or {}).get("stages")
    if not stages:
        return nest
    # both: NOT (NOT nest OR NOT stage), the engine's AND
    return Not(AnyOf((Not(nest), Not(Terms("stage", stages)))))


def offer_covers(programme: dict, instrument: str | None, institution: dict, product: dict | None = None) -> bool:
    """Whether the programme would back a deal of this instrument with this institution
    (product), whatever the enterprise: budget left, instrument, type, pool participation."""
    rules = programme.get("rules") or {}
    if programme.get("committed", 0) >= programme["budget"]:
        return False
    if rules.get("instruments") and instrument not in rules["instruments"]:
        return False
    if rules.get("institution_types") and institution.get("type") not in rules["institution_types"]:
        return False
    kind = programme["kind"]
    if kind in SUBSIDIES or kind == "angel_coinvest":
        return True
    if kind == "risk_pool":
        taking_part = (product or {}).get("programmes")
        if taking_part is None:
            taking_part = institution.get("programmes") or []
        return programme["id"] in taking_part
    return False


def covers(programme: dict, need: dict, institution: dict, product: dict | None = None) -> bool:
    """Whether one programme would back this need funded by this institution (product)."""
    instrument = (product or {}).get("instrument") or need.get("instrument")
    if need.get("instrument") and instrument != need.get("instrument"):
        return False
    if not offer_covers(programme, instrument, institution, product):
        return False
    clause = need_clause(programme)
    return clause is None or holds(clause, need)


def programmes_for_loan(backend: SearchBackend, need: dict, institution: dict, product: dict | None = None,
                        as_of: date | None = None) -> list[dict]:
    """The programmes that would subsidise this deal or whose risk pool covers the product:
    ``[{id, name, name_en, kind, rules}]``, in a stable order."""
    year = (as_of or clock.today()).year
    return [{"id": p["id"], "name": p["name"], "name_en": p.get("name_en"), "kind": p["kind"], "rules": p.get("rules") or {}}
            for p in programmes_of_year(backend, year) if covers(p, need, institution, product)]
