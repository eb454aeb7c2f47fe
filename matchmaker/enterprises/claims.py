"""What an enterprise may claim about itself, and what only zone staff settle.

An enterprise may add a designation it holds (kind, granted and expiry dates); it counts
for rules and statistics once staff or an admin have verified it (DOMAIN.md).  Listings
are facts of record that staff enter.  Who verified a designation and when are kept on
it (``verified_by``, ``verified_at``) and in the audit log, as every write is.
"""
from __future__ import annotations

from .. import clock
from ..accounts.models import User
from ..errors import ValidationError


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
    if errors:
        raise ValidationError("some fields are set by zone staff only", fields=errors)
    return changes


def _listing_keys(listings) -> list:
    if not isinstance(listings, list):
        return [listings]
    return sorted(str(sorted(item.items())) if isinstance(item, dict) else str(item) for item in listings)
