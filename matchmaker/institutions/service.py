from __future__ import annotations

from ..core.access import can_edit_institution, require_staff, require_user
from ..core.users import User
from ..core.search_params import sort_from, terms_filters
from ..core.service import DocumentService, page_query
from ..errors import Forbidden
from ..search import Range
from .schemas import InstitutionSchema

FILTER_FIELDS = {"type": "type", "industry": "industries", "instrument": "instruments", "stage": "stages", "status": "status"}
FACETS = ["type", "industries", "instruments", "stages"]


class InstitutionService(DocumentService):
    index = "institutions"
    schema = InstitutionSchema
    label = "institution"

    def get(self, user: User, doc_id: str) -> dict:
        require_user(user)
        return self.fetch(doc_id)

    def create(self, user: User, data: dict) -> dict:
        require_staff(user, "add institutions")
        return self.insert(data)

    def update(self, user: User, doc_id: str, changes: dict, expected_version: str | None = None) -> dict:
        require_user(user)
        if not can_edit_institution(user, doc_id):
            raise Forbidden("you may edit only your own institution")
        current = self.fetch(doc_id)
        if not user.is_staff and "status" in changes and changes["status"] != current.get("status"):
            raise Forbidden("the zone recruitment status is set by zone staff", fields={"status": ["set by zone staff"]})
        return self.modify(doc_id, changes, expected_version)

    def delete(self, user: User, doc_id: str, expected_version: str | None = None) -> None:
        require_staff(user, "delete institutions")
        self.remove(doc_id, expected_version)

    def search(self, user: User, args: dict) -> dict:
        require_user(user)
        filters = terms_filters(args, FILTER_FIELDS)
        if args.get("amount") is not None:
            filters += [Range("ticket_min", lte=args["amount"]), Range("ticket_max", gte=args["amount"])]
        query = page_query(args, text=args.get("q"), sort=sort_from(args.get("sort")), filters=filters, facets=FACETS)
        return self.search_page(query)
