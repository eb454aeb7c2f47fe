"""Who sees which field of an enterprise: one table for the profile, the copy a need
carries (``enterprise`` in a need), search results, deal flow and exports alike.

The enterprise itself (``owner``) and zone staff/admins see everything.  Everyone else
sees only what the table allows them, so a field added later is private until it is
listed here.  Institutions see an enterprise only through its open needs, and then not
its money: no financial history, capital, collateral, revenue or growth (these are for
the zone to broker with, and for the enterprise to share in a meeting).  Other
enterprises see nothing of a rival.

| field | owner | staff/admin | institutions | other enterprises |
|---|---|---|---|---|
| name, name_en, industry, stage, founded, description, employees | yes | yes | yes | no |
| high_tech_certified, little_giant, invention_patents, tier | yes | yes | yes | no |
| joint_stock, sponsor_engaged, tutoring_filed, application_filed, approved, listed | yes | yes | yes | no |
| application_accepted, inquiry_answered, committee_approved, registered, listings | yes | yes | yes | no |
| neeq_broker_engaged, neeq_application_filed, neeq_approved, neeq_tier | yes | yes | yes | no |
| invention_patents_main_business, major_product_milestone, software_firm | yes | yes | yes | no |
| registered_capital, has_collateral, financials, latest_year, latest_revenue, revenue_growth | yes | yes | no | no |
| valuation, offering, shareholders, governance (control and management changes), equity_financings | yes | yes | no | no |
| latest_net_profit, latest_operating_cash_flow, equity_ratio | yes | yes | no | no |
| counter_guarantees_offered, listing_readiness (a score) | yes | yes | yes | no |
| certifications, neeq_quoted, zone_registered_on, event_years | yes | yes | yes | no |
| tier_history (revenue bands year by year) | yes | yes | no | no |
| a need's ``deal`` (revenue cover, earnings yield: the revenue and profit in disguise) | yes | yes | no | no |
| id, version, created_at, updated_at | yes | yes | yes | no |
"""
from __future__ import annotations

from ..core.users import User

PUBLIC_TO_INSTITUTIONS = frozenset({
    "id", "version", "created_at", "updated_at",
    "name", "name_en", "industry", "stage", "founded", "description", "employees",
    "high_tech_certified", "little_giant", "invention_patents", "tier",
    "joint_stock", "sponsor_engaged", "tutoring_filed", "application_filed", "approved", "listed",
    "application_accepted", "inquiry_answered", "committee_approved", "registered", "listings",
    "neeq_broker_engaged", "neeq_application_filed", "neeq_approved", "neeq_tier",
    "invention_patents_main_business", "major_product_milestone", "software_firm",
    "counter_guarantees_offered", "listing_readiness",
    "certifications", "neeq_quoted", "zone_registered_on", "event_years",
})
#: Never shown beyond the owner and staff (the table's "no" for institutions), named so that
#: tests and readers can check the table against the fields that exist.
PRIVATE = frozenset({"registered_capital", "has_collateral", "financials", "latest_year", "latest_revenue", "revenue_growth",
                     "valuation", "offering", "shareholders", "governance", "equity_financings",
                     "latest_net_profit", "latest_operating_cash_flow", "equity_ratio", "tier_history"})
#: Fields of a need worked out from the enterprise's private figures: shown as those are.
NEED_FIELDS_FROM_PRIVATE = ("deal",)

AUDIENCE_FIELDS: dict[str, frozenset[str]] = {
    "institution": PUBLIC_TO_INSTITUTIONS,
    "enterprise": frozenset(),  # another enterprise
}


def audience(user: User | None, enterprise_id: str | None) -> str:
    """``owner``, ``staff``, ``institution`` or ``enterprise`` (another one); ``none`` else."""
    if user is None:
        return "none"
    if user.is_staff:
        return "staff"
    if user.role == "enterprise":
        return "owner" if user.enterprise_id == enterprise_id else "enterprise"
    return user.role if user.role in AUDIENCE_FIELDS else "none"


def visible(user: User | None, enterprise_id: str | None, fields: dict) -> dict:
    """``fields`` of the enterprise ``enterprise_id`` as ``user`` may see them."""
    who = audience(user, enterprise_id)
    if who in ("owner", "staff"):
        return fields
    allowed = AUDIENCE_FIELDS.get(who, frozenset())
    return {k: v for k, v in fields.items() if k in allowed}
