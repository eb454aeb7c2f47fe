"""/api/v1/enterprises."""
from flask_smorest import Blueprint

from ..core.api import backend, observers, register_crud
from .schemas import EnterpriseSchema, EnterpriseSearchSchema, EnterpriseUpdateSchema
from .service import EnterpriseService

blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises", description="Technology SMEs and their financial history")
register_crud(blp, lambda: EnterpriseService(backend(), observers()), EnterpriseSchema, EnterpriseUpdateSchema, EnterpriseSearchSchema, noun="enterprise")
