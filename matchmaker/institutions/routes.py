"""/api/v1/institutions."""
from flask_smorest import Blueprint

from ..core.api import backend, observers, register_crud
from .schemas import InstitutionSchema, InstitutionSearchSchema, InstitutionUpdateSchema
from .service import InstitutionService

blp = Blueprint("institutions", __name__, url_prefix="/api/v1/institutions", description="Financial institutions and their offers")
register_crud(blp, lambda: InstitutionService(backend(), observers()), InstitutionSchema, InstitutionUpdateSchema, InstitutionSearchSchema, noun="institution")
