"""/api/v1/institutions."""
from ..core.arguments import Blueprint

from ..core.api import for_request, register_crud
from .schemas import InstitutionSchema, InstitutionSearchSchema, InstitutionUpdateSchema
from .service import InstitutionService

blp = Blueprint("institutions", __name__, url_prefix="/api/v1/institutions", description="Financial institutions and their offers")
register_crud(blp, lambda: for_request(InstitutionService), InstitutionSchema, InstitutionUpdateSchema, InstitutionSearchSchema, noun="institution")
