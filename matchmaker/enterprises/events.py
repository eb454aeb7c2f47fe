"""An enterprise's dated events: zone registration, designations, listings, yearly figures.

The zone's targets count events of a year (DOMAIN.md "The zone's 2012 targets"), so each
designation carries the date it was granted, each listing the date it began.  The flags
``high_tech_certified``, ``little_giant`` and ``listed`` follow from them on a given day:
a designation counts once zone staff have verified it, and while it is in force.
"""
from __future__ import annotations

from datetime import date


def as_date(value) -> date:
    """A date from a date or an ISO string."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

#: 高新技术企业认定管理办法 (2008, art. 12; 2016, art. 15): a certificate is valid for three
#: years from the date it was issued.  Used when a certificate's expiry is not given.
VALIDITY_YEARS = {"high_tech": 3}
#: 新三板 (NEEQ) quotation is not a listing on an exchange; the plan counts it apart.
QUOTATION_MARKETS = ("neeq",)
#: The derived flag of each designation kind.
FLAGS = {"high_tech": "high_tech_certified", "little_giant": "little_giant"}


def expiry(certification: dict) -> date | None:
    """The last day a certification is in force: given, else the kind's validity, else none."""
    if certification.get("expires_on"):
        return as_date(certification["expires_on"])
    from ..scoring.dates import add_years  # the scoring package reads these facts: import late

    years = VALIDITY_YEARS.get(certification.get("kind"))
    return add_years(as_date(certification["granted_on"]), years) if years else None


def in_force(certification: dict, day: date) -> bool:
    """Verified, granted on or before ``day`` and not yet expired."""
    if not certification.get("verified"):
        return False
    if as_date(certification["granted_on"]) > day:
        return False
    end = expiry(certification)
    return end is None or day < end


def exchange_listings(enterprise: dict, day: date | None = None) -> list[dict]:
    """Listings on an exchange (not NEEQ quotations) begun on or before ``day`` (any day when None)."""
    return [item for item in enterprise.get("listings") or []
            if item.get("market") not in QUOTATION_MARKETS and (day is None or as_date(item["on"]) <= day)]


def designations(enterprise: dict, day: date) -> dict:
    """The derived flags on ``day``: ``high_tech_certified``, ``little_giant``, ``listed``, ``neeq_quoted``."""
    certifications = enterprise.get("certifications") or []
    flags = {flag: any(c.get("kind") == kind and in_force(c, day) for c in certifications) for kind, flag in FLAGS.items()}
    flags["listed"] = bool(exchange_listings(enterprise, day))
    flags["neeq_quoted"] = any(item.get("market") in QUOTATION_MARKETS and as_date(item["on"]) <= day
                               for item in enterprise.get("listings") or [])
    return flags


def event_years(enterprise: dict) -> list[int]:
    """Every year with an event the zone's statistics count: registration in the zone, a
    verified designation granted, a listing, a financial year (patents, employees)."""
    years = set()
    if enterprise.get("zone_registered_on"):
        years.add(as_date(enterprise["zone_registered_on"]).year)
    years.update(as_date(c["granted_on"]).year for c in enterprise.get("certifications") or [] if c.get("verified"))
    years.update(as_date(item["on"]).year for item in enterprise.get("listings") or [])
    years.update(f["year"] for f in enterprise.get("financials") or [])
    return sorted(years)


def granted_in(enterprise: dict, kind: str, year: int) -> bool:
    """A verified designation of ``kind`` granted in ``year`` (a renewal counts as new only
    when the enterprise held none of that kind the day before)."""
    certifications = [c for c in enterprise.get("certifications") or [] if c.get("kind") == kind and c.get("verified")]
    for certification in certifications:
        granted = as_date(certification["granted_on"])
        if granted.year != year:
            continue
        day_before = date.fromordinal(granted.toordinal() - 1)
        if not any(other is not certification and in_force(other, day_before) for other in certifications):
            return True
    return False
