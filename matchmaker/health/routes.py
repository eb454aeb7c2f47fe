"""/api/v1/health: whether the service serves (200 while it does, even degraded)."""
from __future__ import annotations

from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend
from .schemas import HealthSchema
from .service import health

blp = Blueprint("health", __name__, url_prefix="/api/v1/health",
                description="Whether the records and the search answer, and the writes not yet searchable (staff)")


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """ok or degraded for anyone; the records, the search and the unseen writes for staff"""
        return health(backend(), actor())
