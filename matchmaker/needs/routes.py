"""/api/v1/needs."""
from ..core.arguments import Blueprint

from ..core.api import for_request, register_crud
from .schemas import NeedSchema, NeedSearchSchema, NeedUpdateSchema
from .service import NeedService

blp = Blueprint("needs", __name__, url_prefix="/api/v1/needs", description="Enterprises' funding needs: the deal flow")
register_crud(blp, lambda: for_request(NeedService), NeedSchema, NeedUpdateSchema, NeedSearchSchema, noun="funding need")
