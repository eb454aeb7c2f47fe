"""Institutions' answers to open needs, enterprises' requests for introductions, the
waiting list of late needs and how often each institution answers in time.

An institution answers a need once (``interested`` with a note, or ``declined`` with a
reason from :data:`DECLINE_REASONS` and free text) and may change its answer later; the
record keeps when it first answered and whether that was before the need's response
deadline (``RESPONSE_DEADLINE_WORKING_DAYS`` working days after publication).
Who sees an answer: the institution, the enterprise whose need it is, staff and admins.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from ..core.access import can_read_need, require_staff, require_user
from ..core.users import User
from ..core.schemas import now_iso
from ..core.service import Observer, Service, compact
from ..errors import ConfigurationError, Conflict, Forbidden, InstitutionsOnly, Label, NeedNotOpenForAnswers, NeedNotOpenForIntroductions, NoSuchDocument, NoSuchReference, OwnInstitutionOnly, ValidationError
from ..notifications.service import Notifications
from ..search import Query, SearchBackend, Sort, Terms
from . import deadlines, facts
from ..core.calendar import answered_in_time, now_utc, response_deadline, utc_iso

INTERESTS, INTRODUCTIONS, NEEDS, INSTITUTIONS = "interests", "introductions", "needs", "institutions"
RESPONSES = ("interested", "declined")
DECLINE_REASONS = (
    "outside_mandate",  # 不在投资/业务范围
    "amount_out_of_range",  # 金额不符
    "stage_not_fit",  # 阶段不符
    "industry_not_fit",  # 行业不符
    "insufficient_information",  # 信息不足
    "risk_too_high",  # 风险过高
    "no_capacity",  # 额度已满
    "other",
)
INTRODUCTION_STATUSES = ("requested", "arranged", "declined")
ATTEMPTS = 8


def pair_id(kind: str, need_id: str, institution_id: str, key: str) -> str:
    """The id of the one answer (or request) of a need and an institution.

    Fixed per pair, so that two first answers at once collide on create rather than make
    two; keyed (HMAC-SHA256 with the service's secret), so that it tells nothing of the
    need or the institution and cannot be made up for another pair.  Earlier versions
    used ``need--institution``: such records are still found (:func:`find_pair`)."""
    digest = hmac.new(key.encode(), f"{kind}\0{need_id}\0{institution_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def find_pair(backend: SearchBackend, index: str, doc_id: str, need_id: str, institution_id: str) -> dict | None:
    """The record of the pair: by its id, else one stored under another id (the
    ``need--institution`` ids of earlier versions, an id made with an earlier secret)."""
    found = backend.get(index, doc_id) or backend.get(index, f"{need_id}--{institution_id}")
    if found is None:
        query = Query(filters=[Terms("need_id", [need_id]), Terms("institution_id", [institution_id])])
        found = next(iter(backend.scan(index, query)), None)
    return found


def require_key(key: str | None) -> str:
    if not key:
        raise ConfigurationError("the brokering services need the app's SECRET_KEY to make record ids")
    return key


def acting_institution(user: User, data: dict, what: str) -> str:
    """The institution a user acts for: its own, or (staff) the one named in the body."""
    if user.role == "institution":
        if data.get("institution_id", user.institution_id) != user.institution_id:
            raise OwnInstitutionOnly(what=what)
        return user.institution_id
    if user.is_staff:
        if not data.get("institution_id"):
            raise ValidationError("name the institution", fields={"institution_id": ["required when staff act for an institution"]})
        return data["institution_id"]
    raise InstitutionsOnly(what=what)


class InterestService(Service):
    """Read by the institution, the enterprise whose need it is, and staff (the base's
    ``get`` and ``visibility_filters``, by the parties)."""

    index, label, parties = INTERESTS, "interest", ("enterprise_id", "institution_id")

    def __init__(self, backend: SearchBackend, observers: list[Observer] = (), working_days: int = 3,
                 id_key: str | None = None):
        super().__init__(backend, observers)
        self.working_days = working_days
        self.id_key = id_key

    def search(self, user: User, args: dict) -> dict:
        filters = self.visibility_filters(require_user(user))
        for param in ("need_id", "institution_id", "enterprise_id", "response"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        query = Query(filters=filters, sort=[Sort("responded_at", descending=True)], facets=["response", "institution_type"],
                      page=args.get("page", 1), per_page=args.get("per_page", 20))
        return self.page(query)

    # -- answering ----------------------------------------------------------------------
    def respond(self, user: User, data: dict) -> tuple[dict, bool]:
        """Record an institution's answer; returns it and whether it is the first one."""
        user = require_user(user)
        institution_id = acting_institution(user, data, "answer needs")
        need = self.backend.get(NEEDS, data["need_id"])
        if need is None or not can_read_need(user, need):
            raise NoSuchDocument(kind="need", id=data['need_id'])  # a draft's id is no secret to give away
        if need["status"] != "open":
            raise NeedNotOpenForAnswers(status=Label("need_status", need['status']), need_id=need['id'], fields={"need_id": ["not open"]})
        institution = self.backend.get(INSTITUTIONS, institution_id)
        if institution is None:
            raise NoSuchReference(kind=Label("object_kind", "institution"), id=institution_id, fields={"institution_id": ["no such institution"]})
        response = data["response"]
        if response == "declined" and not data.get("reason"):
            raise ValidationError("say why you decline", fields={"reason": [f"required: one of {', '.join(DECLINE_REASONS)}"]})
        if response == "interested" and (data.get("reason") or data.get("reason_text")):
            raise ValidationError("a reason is for declining", fields={"reason": ["only with response 'declined'"]})

        stamp = utc_iso(now_utc())
        doc_id = pair_id(INTERESTS, need["id"], institution_id, require_key(self.id_key))
        answer = {
            "response": response, "note": data.get("note") or None, "reason": data.get("reason"),
            "reason_text": data.get("reason_text") or None, "responded_at": stamp, "responded_by": user.id,
        }
        for _ in range(ATTEMPTS):
            current = find_pair(self.backend, INTERESTS, doc_id, need["id"], institution_id)
            if current is not None:
                doc_id = current["id"]  # an answer stored under an earlier id keeps it
            else:
                doc = interest_doc(need, institution, answer, stamp, self.working_days)
                try:
                    stored = self.backend.create(INTERESTS, doc, doc_id=doc_id)
                except Conflict:
                    continue
                break
            doc = {**current, **answer, "updated_at": stamp}
            try:
                stored = self.backend.replace(INTERESTS, doc_id, compact(doc), expected_version=current["version"])
            except Conflict:
                continue
            break
        else:
            raise Conflict("this answer is being changed by someone else right now; try again")
        first = current is None
        self.emit("create" if first else "update", doc_id, current, stored)
        facts.record_answer(self.backend, need["id"], stamp, stored["in_time"], interested=response == "interested")
        if current is None or current.get("response") != response:
            self._tell_enterprise(stored, need, user)
        return stored, first

    def _tell_enterprise(self, interest: dict, need: dict, user: User) -> None:
        name = interest["institution_name"]
        if interest["response"] == "interested":
            message, message_zh = f"{name} is interested in your need \"{need['title']}\".", f"{name}对您的融资需求“{need['title']}”有意向。"
        else:
            message, message_zh = f"{name} declined your need \"{need['title']}\".", f"{name}婉拒了您的融资需求“{need['title']}”。"
        Notifications(self.backend).send(
            [f"enterprise:{need['enterprise_id']}"], "interest", subject_kind="interest", subject_id=interest["id"],
            need_id=need["id"], message=message, message_zh=message_zh, actor=user,
            data={"response": interest["response"], "institution_id": interest["institution_id"], "reason": interest.get("reason")},
        )

    # -- how often an institution answers in time ---------------------------------------
    def responsiveness(self, user: User, institution_id: str) -> dict:
        user = require_user(user)
        if not (user.is_staff or (user.role == "institution" and user.institution_id == institution_id)):
            raise Forbidden("an institution's answer record is for itself and zone staff")
        if self.backend.get(INSTITUTIONS, institution_id) is None:
            raise NoSuchDocument(kind="institution", id=institution_id)
        result = self.backend.search(INTERESTS, Query(filters=[Terms("institution_id", [institution_id])],
                                                      facets=["in_time", "response"], per_page=0))
        return rate_entry(institution_id, result.total, result.facets["in_time"].get("true", 0), result.facets["response"])

    def responsiveness_all(self, user: User) -> list[dict]:
        require_staff(user, "compare institutions' answer records")
        every = self.backend.search(INTERESTS, Query(facets=["institution_id"], per_page=0)).facets["institution_id"]
        in_time = self.backend.search(INTERESTS, Query(filters=[Terms("in_time", [True])], facets=["institution_id"], per_page=0)).facets["institution_id"]
        names = self.backend.get_many(INSTITUTIONS, list(every))
        rows = []
        for institution_id, total in every.items():
            entry = rate_entry(institution_id, total, in_time.get(institution_id, 0))
            entry["institution_name"] = names.get(institution_id, {}).get("name")
            rows.append(entry)
        return sorted(rows, key=lambda r: (-(r["rate"] or 0), r["institution_id"]))


def rate_entry(institution_id: str, answers: int, in_time: int, responses: dict | None = None) -> dict:
    entry = {"institution_id": institution_id, "answers": answers, "in_time": in_time, "late": answers - in_time,
             "rate": round(in_time / answers, 4) if answers else None}
    if responses is not None:
        entry["interested"] = responses.get("interested", 0)
        entry["declined"] = responses.get("declined", 0)
    return entry


def interest_doc(need: dict, institution: dict, answer: dict, stamp: str, working_days: int) -> dict:
    """A first answer as stored: the answer, whether it was in time, copies for the statistics."""
    published = published_at(need)
    return compact({
        "need_id": need["id"], "institution_id": institution["id"], "enterprise_id": need["enterprise_id"],
        **answer, "in_time": answered_in_time(published, stamp, working_days),
        "deadline": response_deadline(published, working_days), "need_title": need["title"], "need_published_at": published,
        "need_month": need.get("published_month"), "industry": need.get("industry"),
        "instrument": need["instrument"], "amount": need["amount"], "enterprise_name": need.get("enterprise_name"),
        "institution_name": institution["name"], "institution_type": institution["type"],
        "created_at": stamp, "updated_at": stamp,
    })


def published_at(need: dict) -> str:
    """When the need was published (a need stored before publication was kept: its creation)."""
    return need.get("published_at") or need["created_at"]


class IntroductionService(Service):
    """An enterprise asks staff to introduce it to an institution from its matches.

    Seen by the enterprise and staff (the request is addressed to staff; the institution
    hears of it when staff propose a meeting).  Staff mark it ``arranged`` (proposing a
    meeting with its ``introduction_id`` does so) or ``declined``.
    """

    index, label, noun, parties = INTRODUCTIONS, "introduction", "introduction request", ("enterprise_id",)

    def __init__(self, backend: SearchBackend, observers: list[Observer] = (), id_key: str | None = None):
        super().__init__(backend, observers)
        self.id_key = id_key

    def search(self, user: User, args: dict) -> dict:
        user = require_user(user)
        filters = []
        if user.role == "enterprise":
            filters.append(Terms("enterprise_id", [user.enterprise_id]))
        elif not user.is_staff:
            raise Forbidden("introduction requests are seen by the enterprise that asked and zone staff")
        for param in ("need_id", "institution_id", "status"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        query = Query(filters=filters, sort=[Sort("created_at", descending=True)], facets=["status"],
                      page=args.get("page", 1), per_page=args.get("per_page", 20))
        return self.page(query)

    def request(self, user: User, data: dict) -> dict:
        user = require_user(user)
        need = self.backend.get(NEEDS, data["need_id"])
        if not (user.is_staff or user.role == "enterprise"):
            raise Forbidden("an enterprise asks for introductions for its own needs")
        if need is None or not (user.is_staff or user.enterprise_id == need["enterprise_id"]):
            raise NoSuchDocument(kind="need", id=data['need_id'])  # a rival's need looks like none
        if need["status"] not in ("open", "in_talks"):
            raise NeedNotOpenForIntroductions(status=Label("need_status", need['status']), need_id=need['id'], fields={"need_id": ["not open"]})
        institution = self.backend.get(INSTITUTIONS, data["institution_id"])
        if institution is None:
            raise NoSuchReference(kind=Label("object_kind", "institution"), id=data['institution_id'], fields={"institution_id": ["no such institution"]})
        doc_id = pair_id(INTRODUCTIONS, need["id"], institution["id"], require_key(self.id_key))
        current = find_pair(self.backend, INTRODUCTIONS, doc_id, need["id"], institution["id"])
        if current is not None:
            doc_id = current["id"]  # a request stored under an earlier id keeps it
        if current is not None and current["status"] == "requested":
            raise Conflict("you have already asked for this introduction; staff will answer", fields={"institution_id": ["already requested"]})
        stamp = now_iso()
        doc = compact({
            "need_id": need["id"], "enterprise_id": need["enterprise_id"], "institution_id": institution["id"],
            "status": "requested", "note": data.get("note") or None, "requested_by": user.id,
            "need_title": need["title"], "enterprise_name": need.get("enterprise_name"), "institution_name": institution["name"],
            "created_at": stamp, "updated_at": stamp,
        })
        if current is None:
            stored = self.backend.create(INTRODUCTIONS, doc, doc_id=doc_id)
        else:
            stored = self.backend.replace(INTRODUCTIONS, doc_id, doc, expected_version=current["version"])
        self.emit("create" if current is None else "update", doc_id, current, stored)
        Notifications(self.backend).send(
            ["staff"], "introduction_requested", subject_kind="introduction", subject_id=doc_id, need_id=need["id"],
            message=f"{stored.get('enterprise_name')} asks to be introduced to {institution['name']} for \"{need['title']}\".",
            message_zh=f"{stored.get('enterprise_name')}希望就“{need['title']}”对接{institution['name']}。",
            actor=user, data={"institution_id": institution["id"]},
        )
        return stored

    def handle(self, user: User, intro_id: str, changes: dict, meeting_id: str | None = None) -> dict:
        require_staff(user, "answer introduction requests")
        current = self.get(user, intro_id)
        doc = {**current, "status": changes["status"], "handled_by": user.id, "handled_at": now_iso(), "updated_at": now_iso()}
        if changes.get("staff_note") is not None:
            doc["staff_note"] = changes["staff_note"]
        if meeting_id:
            doc["meeting_id"] = meeting_id
        stored = self.backend.replace(INTRODUCTIONS, intro_id, doc)
        self.emit("update", intro_id, current, stored)
        return stored


def waiting_list(backend: SearchBackend, user: User, args: dict, working_days: int, now: datetime | None = None) -> dict:
    """Staff: open needs nobody answered by their deadline, longest waiting first."""
    require_staff(user, "see the waiting list")
    now = now or now_utc()
    filters = []
    for param in ("industry", "instrument"):
        if args.get(param):
            filters.append(Terms(param, args[param]))
    query = deadlines.waiting_query(now, working_days, args.get("page", 1), args.get("per_page", 20), filters)
    result = backend.search(NEEDS, query)
    owners = backend.get_many("need_owners", [need["id"] for need in result.items]) if result.items else {}
    items = [{"need": need, "deadline": response_deadline(need["published_at"], working_days), "owner": owners.get(need["id"])}
             for need in result.items]
    return {"items": items, "total": result.total, "page": query.page, "per_page": query.per_page, "facets": result.facets}
