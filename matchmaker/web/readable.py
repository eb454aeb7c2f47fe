"""Stored values as people read them on the pages: the audit log's field names and codes
as labels, and times (stored as UTC ISO text) in the zone's time and format.

The audit log keeps what changed as stored (field names, codes, UTC times): that is its
record.  Here it is only shown: a field's label, a code's label (the code kind found from
the field and the object's kind), a time through :func:`format_when`.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from ..labels import LABELS
from .i18n import format_money, format_when, label

#: Field name -> label, for the fields the audit log shows most.
FIELDS = {
    "status": _l("Status"), "outcome": _l("Outcome"), "amount": _l("Amount"), "instrument": _l("Instrument"),
    "industry": _l("Industry"), "stage": _l("Stage"), "type": _l("Type"), "title": _l("Title"), "name": _l("Name"),
    "name_en": _l("English name"), "description": _l("Description"), "location": _l("Place"), "notes": _l("Notes"),
    "outcome_notes": _l("Notes on the outcome"), "starts_at": _l("Starts"), "ends_at": _l("Ends"),
    "enterprise_answer": _l("Enterprise's answer"), "institution_answer": _l("Institution's answer"),
    "enterprise_answered_at": _l("Enterprise answered at"), "institution_answered_at": _l("Institution answered at"),
    "enterprise_answered_by": _l("Enterprise answered by"), "institution_answered_by": _l("Institution answered by"),
    "enterprise_answer_note": _l("Enterprise's note"), "institution_answer_note": _l("Institution's note"),
    "held_at": _l("Recorded as held at"), "held_by": _l("Recorded by"), "outcome_at": _l("Outcome recorded at"),
    "outcome_by": _l("Outcome recorded by"), "cancelled_at": _l("Cancelled at"), "cancelled_by": _l("Cancelled by"),
    "cancel_reason": _l("Reason for cancelling"), "corrected_at": _l("Corrected at"), "corrected_by": _l("Corrected by"),
    "correction_reason": _l("Reason for the correction"), "corrected_from": _l("Outcome before the correction"),
    "corrected_from_amount": _l("Amount before the correction"), "created_at": _l("Created"),
    "published_at": _l("Published"), "published_month": _l("Month published"), "response": _l("Answer"),
    "reason": _l("Reason"), "note": _l("Note"), "role": _l("Role"), "password_hash": _l("Password"),
    "password": _l("Password"), "session_generation": _l("Sessions"), "enterprise_id": _l("Enterprise"),
    "institution_id": _l("Institution"), "need_id": _l("Need"), "meeting_id": _l("Meeting"),
    "ticket_min": _l("Smallest ticket"), "ticket_max": _l("Largest ticket"), "instruments": _l("Instruments"),
    "industries": _l("Industries"), "stages": _l("Stages"), "brokering": _l("Brokering record"),
    "username": _l("Username"), "display_name": _l("Display name"), "active": _l("Active"),
    "need_amount": _l("Amount sought"), "need_instrument": _l("Instrument sought"), "month": _l("Month"),
}

#: Field -> the label kind of its codes; ``status`` depends on the object.
CODES = {"outcome": "outcome", "corrected_from": "outcome", "instrument": "instrument", "need_instrument": "instrument",
         "instruments": "instrument", "industry": "industry", "industries": "industry", "stage": "stage", "stages": "stage",
         "type": "type", "institution_type": "type", "enterprise_answer": "answer", "institution_answer": "answer",
         "response": "interest", "reason": "decline_reason", "role": "role", "tier": "tier"}
STATUS_CODES = {"need": "need_status", "meeting": "meeting_status", "introduction": "intro_status",
                "institution": "institution_status", "grant": "grant_status", "pool_entry": "entry_status"}
MONEY = {"amount", "need_amount", "ticket_min", "ticket_max", "corrected_from_amount"}
_ISO_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)")


def field_label(name: str) -> str:
    found = FIELDS.get(name)
    return str(found) if found is not None else name.replace("_", " ")


def _code_kind(object_kind: str, name: str) -> str | None:
    if name == "status":
        return STATUS_CODES.get(object_kind)
    return CODES.get(name)


def value_text(object_kind: str, name: str, value) -> str:
    """One stored value as the page shows it."""
    if value is None or value == "":
        return "—"
    kind = _code_kind(object_kind, name)
    if isinstance(value, bool):
        return label("bool", value)
    if isinstance(value, list):
        return "、".join(value_text(object_kind, name, v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "…"
    if kind and kind in LABELS and value in LABELS[kind]:
        return label(kind, value)
    if name in MONEY and isinstance(value, (int, float)):
        return format_money(value)
    if isinstance(value, str):
        return zone_times(value)
    return str(value)


def zone_times(text: str) -> str:
    """Every ISO timestamp in a text (as older notifications carry) in the zone's time and format."""
    return _ISO_TIME.sub(lambda m: format_when(m.group(0).replace("Z", "+00:00")), text or "")
