"""Programmes of the special fund: staff and admins create and change them; everyone
signed in reads them (an institution sees which programmes its products take part in).

``committed`` (approved and paid grants) and ``paid`` are kept on the programme by the
grant service, which moves them with a version check so that two approvals at once
cannot both spend the last of the budget.
"""
from __future__ import annotations

from ..core.access import require_staff, require_user
from ..core.users import User
from ..core.search_params import terms_filters
from ..core.service import DocumentService, page_query
from ..errors import Conflict
from ..search import Query, Sort, Terms
from .schemas import ProgrammeSchema

PROGRAMMES = "programmes"


class ProgrammeService(DocumentService):
    index = PROGRAMMES
    schema = ProgrammeSchema
    kept_fields = ("committed", "paid")
    label = "programme"

    def stamp(self, doc: dict, before: dict | None) -> dict:
        if before is None:
            return {"committed": 0, "paid": 0}
        return {}

    def get(self, user: User, doc_id: str) -> dict:
        require_user(user)
        return self.fetch(doc_id)

    def create(self, user: User, data: dict) -> dict:
        require_staff(user, "create special-fund programmes")
        return self.insert(data)

    def update(self, user: User, doc_id: str, changes: dict, expected_version: str | None = None) -> dict:
        require_staff(user, "change special-fund programmes")
        current = self.fetch(doc_id)
        if "budget" in changes and changes["budget"] is not None and changes["budget"] < current.get("committed", 0):
            raise Conflict(f"the budget cannot go below what is already committed ({current.get('committed', 0):,} yuan)",
                           fields={"budget": [f"at least {current.get('committed', 0)}"]})
        return self.modify(doc_id, changes, expected_version)

    def delete(self, user: User, doc_id: str, expected_version: str | None = None) -> None:
        require_staff(user, "delete special-fund programmes")
        self.fetch(doc_id)
        if self.backend.count("grants", Query(filters=[Terms("programme_id", [doc_id])])):
            raise Conflict("a programme with grants cannot be deleted", fields={"id": ["has grants"]})
        self.remove(doc_id, expected_version)

    def search(self, user: User, args: dict) -> dict:
        require_user(user)
        filters = terms_filters(args, {"kind": "kind"})
        if args.get("year"):
            filters.append(Terms("year", [args["year"]]))
        query = page_query(args, filters=filters, sort=[Sort("year", descending=True), Sort("kind")], facets=["kind", "year"])
        return self.search_page(query)

    def all_of_year(self, year: int) -> list[dict]:
        return sorted(self.backend.scan(PROGRAMMES, Query(filters=[Terms("year", [year])])),
                      key=lambda p: (p["kind"], p["name"]))
