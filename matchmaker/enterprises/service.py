from __future__ import annotations

from .. import clock
from ..core.access import can_read_enterprise, owns_enterprise, require_staff, require_user
from ..core.users import User
from ..core.search_params import sort_from, terms_filters
from ..core.service import DocumentService, page_query
from ..errors import Forbidden
from ..needs.service import NeedService
from ..readiness.service import forget_readiness, track_readiness
from ..search import Query, Terms
from . import privacy
from .claims import review_claims
from .events import designations
from .facts import derived_fields
from .schemas import EnterpriseSchema

FILTER_FIELDS = {"industry": "industry", "stage": "stage", "tier": "tier"}
FACETS = ["industry", "stage", "tier"]


class EnterpriseService(DocumentService):
    index = "enterprises"
    schema = EnterpriseSchema
    derived_fields = ("tier", "latest_year", "latest_revenue", "tier_history", "event_years",
                      "high_tech_certified", "little_giant", "listed", "neeq_quoted")
    label = "enterprise"

    def derive(self, doc: dict) -> dict:
        return derived_fields(doc)

    def has_open_need(self, enterprise_id: str) -> bool:
        query = Query(filters=[Terms("enterprise_id", [enterprise_id]), Terms("status", ["open"])], per_page=0)
        return self.backend.search("needs", query).total > 0

    def fetch(self, doc_id: str) -> dict:
        """The stored enterprise, its designations as of today (a certificate may have
        expired since the last write)."""
        doc = super().fetch(doc_id)
        return {**doc, **designations(doc, clock.today())}

    def get(self, user: User, doc_id: str) -> dict:
        user = require_user(user)
        doc = self.fetch(doc_id)
        if can_read_enterprise(user, doc_id):
            return doc
        if user.role == "institution" and self.has_open_need(doc_id):
            return privacy.visible(user, doc_id, doc)  # no money: see enterprises/privacy.py
        raise Forbidden("you may see an enterprise only through its open funding needs")

    def create(self, user: User, data: dict) -> dict:
        require_staff(user, "register enterprises")
        data = review_claims(user, None, data)
        with self.backend.transaction():
            doc = self.insert(data)
            track_readiness(self.backend, [doc], new=True)
        return doc

    def update(self, user: User, doc_id: str, changes: dict, expected_version: str | None = None) -> dict:
        user = require_user(user)
        if not (user.is_staff or owns_enterprise(user, doc_id)):
            raise Forbidden("you may edit only your own enterprise")
        changes = review_claims(user, self.fetch(doc_id), changes)
        with self.backend.transaction():
            doc = self.modify(doc_id, changes, expected_version)
            NeedService(self.backend).refresh_enterprise_copies(doc)
            track_readiness(self.backend, [doc])
        return doc

    def delete(self, user: User, doc_id: str, expected_version: str | None = None) -> None:
        require_staff(user, "delete enterprises")
        self.fetch(doc_id)
        with self.backend.transaction():
            NeedService(self.backend).delete_for_enterprise(doc_id)
            forget_readiness(self.backend, doc_id)
            self.remove(doc_id, expected_version)

    def search(self, user: User, args: dict) -> dict:
        user = require_user(user)
        if user.role == "institution":
            raise Forbidden("institutions find enterprises through their open needs: search /api/v1/needs")
        filters = terms_filters(args, FILTER_FIELDS)
        for flag in ("little_giant", "high_tech_certified", "listed"):
            if args.get(flag) is not None:
                filters.append(Terms(flag, [args[flag]]))
        if user.role == "enterprise":
            filters.append(Terms("id", [user.enterprise_id]))
        query = page_query(args, text=args.get("q"), sort=sort_from(args.get("sort")), filters=filters, facets=FACETS)
        return self.search_page(query)
