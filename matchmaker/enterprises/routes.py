"""/api/v1/enterprises."""
from ..core.arguments import Blueprint

from ..core.api import for_request, register_crud
from .schemas import EnterpriseSchema, EnterpriseSearchSchema, EnterpriseUpdateSchema
from .service import EnterpriseService

blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises", description="Technology SMEs and their financial history")
register_crud(blp, lambda: for_request(EnterpriseService), EnterpriseSchema, EnterpriseUpdateSchema, EnterpriseSearchSchema, noun="enterprise")
