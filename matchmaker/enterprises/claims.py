"""What an enterprise may claim about itself, and what only zone staff settle.

An enterprise may add a designation it holds (kind, granted and expiry dates); it counts
for rules and statistics once staff or an admin have verified it (DOMAIN.md).  Listings
are facts of record that staff enter.  Who verified a designation and when are kept on
it (``verified_by``, ``verified_at``) and in the audit log, as every write is.

The listing milestones a regulator or exchange records (tutoring filed with the CSRC
office, an application filed or accepted, approval, the registration steps, the NEEQ's
filing and approval) are facts staff check against the public record: only staff set
them.  The steps the firm takes itself — its shareholding reform and the intermediaries
it engages (sponsor, NEEQ broker) — remain its own claims, as API.md lists them.
"""
from __future__ import annotations

from .. import clock
from ..core.users import User
from ..errors import ValidationError


#: Listing milestones only zone staff and admins set (an enterprise's change is refused per field).
STAFF_MILESTONES = ("tutoring_filed", "application_filed", "approved", "application_accepted", "inquiry_answered",
                    "committee_approved", "registered", "neeq_application_filed", "neeq_approved")


def _key(certification: dict) -> tuple:
    return certification.get("kind"), str(certification.get("granted_on") or "")[:10]


def _same(a: dict | None, b: dict) -> bool:
    return a is not None and _key(a) == _key(b) and (a.get("expires_on") or None) == (b.get("expires_on") or None)


def review_claims(user: User, stored: dict | None, changes: dict) -> dict:
    """``changes`` with the verification stamps set by the server; per-field errors when an
    enterprise sets what only staff set."""
    changes = dict(changes)
    before = {_key(c): c for c in (stored or {}).get("certifications") or []}
    errors: dict = {}
    if "certifications" in changes and isinstance(changes["certifications"], list):
        reviewed = []
        for position, item in enumerate(changes["certifications"]):
            if not isinstance(item, dict):
                reviewed.append(item)
                continue
            item, old = dict(item), before.get(_key(item))
            was_verified = bool(old and old.get("verified") and _same(old, item))
            if item.get("verified") and not was_verified and not user.is_staff:
                errors.setdefault("certifications", {})[position] = {"verified": ["only zone staff verify a designation"]}
            if item.get("verified") and was_verified:
                item["verified_by"], item["verified_at"] = old.get("verified_by"), old.get("verified_at")
            elif item.get("verified"):
                item["verified_by"], item["verified_at"] = user.id, clock.now().isoformat(timespec="seconds")
            else:
                item["verified_by"] = item["verified_at"] = None
            reviewed.append(item)
        changes["certifications"] = reviewed
    if "listings" in changes and not user.is_staff:
        if _listing_keys(changes.get("listings")) != _listing_keys((stored or {}).get("listings")):
            errors["listings"] = ["listings are entered by zone staff"]
    if not user.is_staff:
        for field in STAFF_MILESTONES:
            if field in changes and bool(changes[field]) != bool((stored or {}).get(field)):
                errors[field] = ["set by zone staff, who check it against the regulator's record"]
    if errors:
        raise ValidationError("some fields are set by zone staff only", fields=errors)
    return changes


def _listing_keys(listings) -> list:
    if not isinstance(listings, list):
        return [listings]
    return sorted(str(sorted(item.items())) if isinstance(item, dict) else str(item) for item in listings)


#: Flags older files carry that are derived now, and what to give instead.
DERIVED_FLAGS = {
    "high_tech_certified": "set as a certification with granted_on (kind high_tech)",
    "little_giant": "set as a certification with granted_on (kind little_giant)",
    "listed": "set as a listing with market and on",
    "neeq_quoted": "set as a listing with market neeq and on",
}


def flags_left_out(given: dict, stored: dict) -> list[str]:
    """The derived flags a file says are true that its dated records do not bear out:
    an import leaves them out (a flag has no date to count in a year, and no one verified
    it), and says so for the line rather than dropping them silently."""
    return [f"{flag}: true left out ({instead})" for flag, instead in DERIVED_FLAGS.items()
            if given.get(flag) is True and not stored.get(flag)]
