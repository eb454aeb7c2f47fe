from __future__ import annotations

from marshmallow import Schema, fields

PART = ("ok", "unavailable")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={
        "description": "ok, or degraded when a part is unavailable (writes stand while only the search is away)",
        "enum": ["ok", "degraded"]})
    records = fields.String(metadata={"description": "the records database (staff)", "enum": list(PART)})
    search = fields.String(metadata={"description": "the search index or cluster (staff)", "enum": list(PART)})
    unseen = fields.Integer(allow_none=True, metadata={
        "description": "committed writes searches may not see yet: outbox rows and refreshes owed; 0 when all are searchable (staff)"})
