from __future__ import annotations

from ..core.access import can_edit_need, can_read_need, owns_enterprise, require_user
from ..core.users import User
from ..core.search_params import amount_range, sort_from, terms_filters
from ..core.schemas import now_iso
from ..core.service import DocumentService, page_query
from ..enterprises import privacy
from ..enterprises.facts import deal_facts, summary, summary_basis
from ..core.calendar import local_month, utc_iso
from ..errors import ALLOWED_STATUSES, Forbidden, Label, Labels, NeedStatusByBrokering, NeedStatusRefused, NewNeedStatus, NoSuchDocument, NoSuchReference, ValidationError
from ..search import Query, Terms
from .schemas import NeedSchema

FILTER_FIELDS = {"industry": "industry", "instrument": "instrument", "stage": "stage", "status": "status", "enterprise_id": "enterprise_id"}
FACETS = ["industry", "instrument", "stage"]
DERIVED = ("industry", "stage", "enterprise_name", "enterprise", "deal")
#: Kept across changes: when the need was last published, and what brokering made of it
#: (``matchmaker.brokering.facts`` writes ``brokering``).
KEPT = ("published_at", "published_month", "brokering")
#: Statuses a need reaches only after it was open.
PAST_OPEN = ("in_talks", "funded", "closed")

#: Which status a need may move to from each status.
TRANSITIONS = {
    "draft": {"open", "withdrawn"},
    "open": {"draft", "in_talks", "funded", "closed", "withdrawn"},
    "in_talks": {"open", "funded", "closed", "withdrawn"},
    "funded": {"closed"},
    "closed": {"open"},
    "withdrawn": {"draft", "open"},
}

#: What a new need may start as: it reaches the other statuses by changes.
CREATE_STATUSES = ("draft", "open")
#: Statuses that brokering (zone staff, a meeting's funded outcome) moves a need to; the
#: enterprise itself drafts, publishes, withdraws and closes.
BROKERING_STATUSES = ("in_talks", "funded")


def check_status_rule(user: User, before: str | None, after: str) -> None:
    """The need's status machine, by role: 422 with the field's message when it is broken."""
    if before is None:
        if after not in CREATE_STATUSES:
            raise NewNeedStatus(status=Label("need_status", after),
                                  fields={"status": [f"a new need is one of: {', '.join(CREATE_STATUSES)}"]})
        return
    if after == before:
        return
    if after not in TRANSITIONS[before]:
        allowed = Labels("need_status", sorted(TRANSITIONS[before]))
        raise NeedStatusRefused(before=Label("need_status", before), after=Label("need_status", after),
                                fields={"status": [ALLOWED_STATUSES(status=Label("need_status", before), allowed=allowed)]})
    if after in BROKERING_STATUSES and not user.is_staff:
        raise NeedStatusByBrokering(status=Label("need_status", after),
                              fields={"status": [f"{after} is set by zone staff through brokering"]})


def enterprise_copy(enterprise: dict) -> dict:
    """The fields a need carries of its enterprise, for search filters and deal flow."""
    return {
        "industry": enterprise["industry"],
        "stage": enterprise["stage"],
        "enterprise_name": enterprise["name"],
        "enterprise": summary(enterprise),
    }


#: What the database of record keeps each enterprise's :func:`enterprise_copy` as
#: (:meth:`~matchmaker.search.SearchBackend.keep_derived`): an import of needs reads it
#: instead of the enterprise and its readiness on each board (most of a need's cost).
KEPT_COPY = "need_copy"


def keep_copies(backend, copies: dict[str, dict]) -> None:
    """Keep these enterprises' copies (by enterprise id), made from them as just stored."""
    backend.keep_derived(KEPT_COPY, "enterprises", copies, summary_basis())


def kept_copies(backend, enterprise_ids) -> dict[str, dict]:
    """The copies kept of these enterprises that are still theirs today (each enterprise
    unchanged since, the same day, rules and release)."""
    return backend.get_derived(KEPT_COPY, "enterprises", enterprise_ids, summary_basis())


def shown_to(user: User, need: dict) -> dict:
    """What a user sees of a need: its brokering history (when institutions answered, met,
    funded) is for the enterprise and staff; an institution sees the need without it, and
    of the enterprise's copy what the field-privacy table allows."""
    if user.role == "institution":
        need = {k: v for k, v in need.items() if k != "brokering" and k not in privacy.NEED_FIELDS_FROM_PRIVATE}
        if isinstance(need.get("enterprise"), dict):
            need["enterprise"] = privacy.visible(user, need.get("enterprise_id"), need["enterprise"])
    return need


class NeedService(DocumentService):
    index = "needs"
    schema = NeedSchema
    derived_fields = DERIVED
    kept_fields = KEPT
    label = "need"

    def enterprise_facts(self, enterprise_id: str) -> dict | None:
        """What a need copies of its enterprise, or None when there is no such enterprise.

        The importer overrides this with a cache filled in batches."""
        enterprise = self.backend.get("enterprises", enterprise_id)
        return enterprise_copy(enterprise) if enterprise is not None else None

    def check_references(self, doc: dict) -> None:
        if not doc.get("enterprise_id"):
            raise ValidationError("a need belongs to an enterprise", fields={"enterprise_id": ["required"]})
        if self.enterprise_facts(doc["enterprise_id"]) is None:
            raise NoSuchReference(kind=Label("object_kind", "enterprise"), id=doc['enterprise_id'], fields={"enterprise_id": ["no such enterprise"]}
            )

    def derive(self, doc: dict) -> dict:
        copy = self.enterprise_facts(doc["enterprise_id"])
        return {**copy, "deal": deal_facts(doc, copy["enterprise"])}

    def stamp(self, doc: dict, before: dict | None) -> dict:
        """``published_at``: when the need last became open (its response deadline runs
        from then).  A new need counts from its creation, so an imported need that is
        already past ``open`` keeps a date in the statistics."""
        published = doc.get("published_at")
        if before is not None and doc["status"] == "open" and before.get("status") != "open":
            published = now_iso()
        elif before is None and not published and (doc["status"] == "open" or doc["status"] in PAST_OPEN):
            published = doc["created_at"]
        if not published:
            return {}
        published = utc_iso(published, "published_at")
        return {"published_at": published, "published_month": local_month(published)}

    def get(self, user: User, doc_id: str) -> dict:
        need = self.fetch(doc_id)
        if not (can_read_need(require_user(user), need) or self.institution_took_part(user, doc_id)):
            raise NoSuchDocument(kind=self.label, id=doc_id)  # the same answer as for no such need
        return shown_to(user, need)

    def hide_unless_readable(self, user: User, need: dict) -> None:
        """404, as for a need that does not exist, to whoever may not even read this one."""
        if not (can_read_need(user, need) or self.institution_took_part(user, need["id"])):
            raise NoSuchDocument(kind=self.label, id=need['id'])

    def institution_took_part(self, user: User, need_id: str) -> bool:
        """An institution that answered a need or met about it keeps reading it after it
        leaves ``open`` (in talks, funded): it is a party to that need's history."""
        if user.role != "institution":
            return False
        mine = [Terms("need_id", [need_id]), Terms("institution_id", [user.institution_id])]
        return any(self.backend.search(index, Query(filters=mine, per_page=0)).total for index in ("interests", "meetings"))

    def create(self, user: User, data: dict) -> dict:
        require_user(user)
        data = dict(data)
        if user.role == "enterprise":
            data.setdefault("enterprise_id", user.enterprise_id)
        if not (user.is_staff or owns_enterprise(user, data.get("enterprise_id"))):
            raise Forbidden("only the enterprise itself or zone staff may post its needs")
        check_status_rule(user, None, data.get("status", "draft"))
        return self.insert(data)

    def update(self, user: User, doc_id: str, changes: dict, expected_version: str | None = None) -> dict:
        current = self.fetch(doc_id)
        if not can_edit_need(require_user(user), current):
            self.hide_unless_readable(user, current)
            raise Forbidden("only the enterprise itself or zone staff may change this need")
        if "enterprise_id" in changes and changes["enterprise_id"] != current["enterprise_id"]:
            raise ValidationError("a need cannot move to another enterprise", fields={"enterprise_id": ["cannot be changed"]})
        check_status_rule(user, current["status"], changes.get("status", current["status"]))
        return self.modify(doc_id, changes, expected_version)

    def delete(self, user: User, doc_id: str, expected_version: str | None = None) -> None:
        current = self.fetch(doc_id)
        if not can_edit_need(require_user(user), current):
            self.hide_unless_readable(user, current)
            raise Forbidden("only the enterprise itself or zone staff may delete this need")
        self.remove(doc_id, expected_version)

    def visibility_filters(self, user: User) -> list:
        """What a user may see of the needs: institutions open ones, enterprises their own."""
        if user.is_staff:
            return []
        if user.role == "enterprise":
            return [Terms("enterprise_id", [user.enterprise_id])]
        if user.role == "institution":
            return [Terms("status", ["open"])]
        return [Terms("id", [])]

    def search_query(self, user: User, args: dict) -> Query:
        filters = self.visibility_filters(require_user(user))
        filters += terms_filters(args, FILTER_FIELDS)
        filters += amount_range("amount", args.get("min_amount"), args.get("max_amount"))
        return page_query(args, text=args.get("q"), sort=sort_from(args.get("sort")), filters=filters, facets=FACETS)

    def search(self, user: User, args: dict) -> dict:
        query = self.search_query(user, args)
        body = self.search_page(query)
        body["items"] = [shown_to(user, need) for need in body["items"]]
        return body

    def refresh_enterprise_copies(self, *enterprises: dict) -> int:
        """Rewrite the enterprises' facts in each of their needs (one scan per 500
        enterprises, and a write only where a copy changed); returns how many changed."""
        changed = 0
        for start in range(0, len(enterprises), 500):
            copies = {e["id"]: enterprise_copy(e) for e in enterprises[start : start + 500]}
            for need in self.backend.scan(self.index, Query(filters=[Terms("enterprise_id", copies)])):
                copy = copies[need["enterprise_id"]]
                copy = {**copy, "deal": deal_facts(need, copy["enterprise"])}
                if any(need.get(k) != v for k, v in copy.items()):
                    self.backend.replace(self.index, need["id"], {**need, **copy})
                    changed += 1
        return changed

    def delete_for_enterprise(self, enterprise_id: str) -> int:
        ids = [n["id"] for n in self.backend.scan(self.index, Query(filters=[Terms("enterprise_id", [enterprise_id])]))]
        for need_id in ids:
            self.backend.delete(self.index, need_id)
        return len(ids)
