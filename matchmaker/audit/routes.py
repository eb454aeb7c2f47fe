"""/api/v1/audit: the audit log, read by staff and admins.  Append-only: no write endpoints."""
from __future__ import annotations

from datetime import timezone

from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend, page_schema
from .schemas import AuditEntrySchema, AuditSearchSchema
from .service import AuditLog

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="Who changed what and when: needs, meetings, institutions, enterprises, accounts (staff)")


@blp.route("")
class Entries(MethodView):
    @blp.arguments(AuditSearchSchema, location="query")
    @blp.response(200, page_schema(AuditEntrySchema, "AuditPage"))
    def get(self, args):
        """Audit entries, newest first; filter by object, actor, action and time"""
        for bound in ("since", "until"):
            if args.get(bound) is not None:
                args[bound] = args[bound].astimezone(timezone.utc).isoformat(timespec="microseconds")
        return AuditLog(backend()).search(actor(), args)


@blp.route("/<entry_id>")
class Entry(MethodView):
    @blp.response(200, AuditEntrySchema)
    def get(self, entry_id):
        """One audit entry"""
        return AuditLog(backend()).get(actor(), entry_id)
