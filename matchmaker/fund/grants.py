"""Grants of the special fund: an enterprise (or staff for it) applies against a
programme; staff approve, reject (with a reason) or mark paid.

States: ``applied`` → ``approved`` → ``paid``; ``applied`` or ``approved`` →
``rejected`` (a reason is required).  Anything else is 409.

A grant is tied to what it pays for: the funded deal (a held meeting with outcome
``funded``, for the deal kinds of :mod:`.rules`) or the reserve-pool stage its
enterprise's entry has reached (listing awards).  Its amount is what the rules allow
(:func:`.rules.calculate`), shown with the calculation; an applicant may ask for less.

Approving checks, inside one transaction, the programme's budget against every approved
and paid grant, and the enterprise's cap against its own; the programme's running
``committed`` / ``paid`` are written with a version check, so two approvals that race
cannot both pass on a backend without transactions either.  Past either limit: 409.

Who sees what: staff and admins every grant; an enterprise its own (another's is 404);
institutions none (the list is 403, one grant 404).
"""
from __future__ import annotations

from .. import clock
from ..core.access import own_enterprise_filters, require_staff, require_user
from ..core.users import User
from ..core.calendar import ZONE_TIME, parse_time, utc_iso
from ..core.service import Service, compact
from ..errors import Conflict, DealOfAnotherYear, Forbidden, GrantAboveRules, GrantOverBudget, GrantOverCap, GrantStatusRefused, GrantsNotYours, InstrumentNotCovered, Label, Labels, NoAwardForStage, NoSuchReference, PoolStageNotReached, ValidationError
from ..labels import say
from ..notifications.service import Notifications
from ..search import Not, Query, Sort, Terms
from .programmes import PROGRAMMES
from .rules import DEAL_KINDS, DEFAULT_TERM_MONTHS, Loan, calculate

GRANTS = "grants"
COMMITTED = ("approved", "paid")
#: Which status a grant may move to from each status.
TRANSITIONS = {"applied": {"approved", "rejected"}, "approved": {"paid", "rejected"}, "paid": set(), "rejected": set()}


def _stamp() -> str:
    return utc_iso(clock.now())


def grant_doc(programme: dict, enterprise: dict, tie: dict, calculation: dict, amount: int, *, by: str, stamp: str,
              requested: int | None = None, stage: str | None = None, note: str | None = None) -> dict:
    """A new grant as stored (``applied``), with the copies lists and reports use."""
    return compact({
        "programme_id": programme["id"], "programme_name": programme["name"], "programme_name_en": programme.get("name_en"),
        "programme_kind": programme["kind"], "year": programme["year"],
        "enterprise_id": enterprise["id"], "enterprise_name": enterprise["name"],
        "meeting_id": tie.get("meeting_id"), "need_id": tie.get("need_id"), "institution_id": tie.get("institution_id"),
        "institution_name": tie.get("institution_name"), "stage": stage,
        "amount": amount, "requested": requested, "calculation": calculation, "note": note or None, "status": "applied",
        "history": [{"status": "applied", "at": stamp, "by": by}],
        "applied_at": stamp, "applied_by": by, "created_at": stamp, "updated_at": stamp,
    })


def stepped(grant: dict, status: str, *, by: str, stamp: str, reason: str | None = None) -> dict:
    """The grant moved to ``status`` (its time, who, and the step in its history)."""
    doc = {**grant, "status": status, f"{status}_at": stamp, f"{status}_by": by, "updated_at": stamp,
           "history": [*(grant.get("history") or []), compact({"status": status, "at": stamp, "by": by, "reason": reason})]}
    if status == "rejected":
        doc["reason"] = reason.strip()
    return doc


class GrantService(Service):
    """Read by the enterprise that receives the grant and by staff (the base's ``get``)."""

    index, label, parties = GRANTS, "grant", ("enterprise_id",)

    # -- reading ------------------------------------------------------------------------
    def search(self, user: User, args: dict) -> dict:
        filters = own_enterprise_filters(user, GrantsNotYours)
        for param in ("status", "programme_id", "enterprise_id"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        if args.get("year"):
            filters.append(Terms("year", [args["year"]]))
        query = Query(filters=filters, sort=[Sort("applied_at", descending=True)], facets=["status", "programme_kind"],
                      page=args.get("page", 1), per_page=args.get("per_page", 20))
        return self.page(query)

    def held_by(self, programme_id: str, *, enterprise_id: str | None = None, exclude: str | None = None) -> list[dict]:
        """The grants of a programme (of one enterprise) that are approved or paid."""
        filters = [Terms("programme_id", [programme_id]), Terms("status", COMMITTED)]
        if enterprise_id:
            filters.append(Terms("enterprise_id", [enterprise_id]))
        if exclude:
            filters.append(Not(Terms("id", [exclude])))
        return list(self.backend.scan(GRANTS, Query(filters=filters)))

    # -- applying -----------------------------------------------------------------------
    def apply(self, user: User, data: dict) -> dict:
        user = require_user(user)
        enterprise_id = data.get("enterprise_id") or (user.enterprise_id if user.role == "enterprise" else None)
        if not user.is_staff:
            if user.role != "enterprise":
                raise Forbidden("an enterprise applies for a grant, or zone staff for it")
            if enterprise_id != user.enterprise_id:
                raise Forbidden("you apply for your own enterprise only", fields={"enterprise_id": ["not yours"]})
        if not enterprise_id:
            raise ValidationError("say which enterprise applies", fields={"enterprise_id": ["required"]})
        enterprise = self.backend.get("enterprises", enterprise_id)
        if enterprise is None:
            raise NoSuchReference(kind=Label("object_kind", "enterprise"), id=enterprise_id, fields={"enterprise_id": ["no such enterprise"]})
        programme = self.backend.get(PROGRAMMES, data["programme_id"])
        if programme is None:
            raise NoSuchReference(kind=Label("object_kind", "programme"), id=data['programme_id'], fields={"programme_id": ["no such programme"]})
        tie = self._tie(programme, enterprise_id, data)
        already = sum(g["amount"] for g in self.held_by(programme["id"], enterprise_id=enterprise_id))
        calc = calculate(programme, loan=tie.get("loan"), stage=data.get("stage"), already=already)
        amount = self._amount(data.get("amount"), calc)
        doc = grant_doc(programme, enterprise, tie, calc.to_dict(), amount, by=user.id, stamp=_stamp(),
                        requested=data.get("amount"), stage=data.get("stage"), note=data.get("note"))
        with self.backend.transaction():
            self._check_duplicate(doc)
            stored = self.backend.create(GRANTS, doc)
        self.emit("apply", stored["id"], None, stored)
        self._tell(stored, user, ["staff", f"enterprise:{enterprise_id}"],
                   f"Grant application for {programme.get('name_en') or programme['name']}: {amount:,} yuan.",
                   f"专项资金申请（{programme['name']}）：{amount:,}元。")
        return stored

    def _tie(self, programme: dict, enterprise_id: str, data: dict) -> dict:
        """What the grant pays for: the funded deal or the pool stage, checked against the rules."""
        kind, rules = programme["kind"], programme.get("rules") or {}
        if kind in DEAL_KINDS and not data.get("meeting_id"):
            raise ValidationError("this programme pays for a funded deal: name its meeting",
                                  fields={"meeting_id": ["required for this programme"]})
        if kind == "listing_award" and not data.get("stage"):
            raise ValidationError("a listing award pays for a reserve-pool stage: name it", fields={"stage": ["required for a listing award"]})
        if data.get("meeting_id") and data.get("stage"):
            raise ValidationError("a grant pays for a deal or for a stage, not both", fields={"stage": ["give meeting_id or stage"]})
        if data.get("stage"):
            if kind != "listing_award":
                raise ValidationError("only listing awards pay by stage", fields={"stage": ["only for listing awards"]})
            return self._stage_tie(programme, enterprise_id, data["stage"])
        if data.get("meeting_id"):
            return self._deal_tie(programme, rules, enterprise_id, data["meeting_id"])
        return {}

    def _stage_tie(self, programme: dict, enterprise_id: str, stage: str) -> dict:
        from .pool import stages_reached

        reached = stages_reached(self.backend, enterprise_id)
        if not reached:
            raise ValidationError("the enterprise is not in the listing reserve pool", fields={"stage": ["not in the reserve pool"]})
        if stage not in reached:
            raise PoolStageNotReached(stage=Label("pool_stage", stage), fields={"stage": ["not reached yet"]})
        if stage not in (programme.get("rules") or {}).get("amounts_by_stage", {}):
            raise NoAwardForStage(stage=Label("pool_stage", stage), fields={"stage": ["no award for this stage"]})
        return {"stage_on": reached[stage]}

    def _deal_tie(self, programme: dict, rules: dict, enterprise_id: str, meeting_id: str) -> dict:
        meeting = self.backend.get("meetings", meeting_id)
        if meeting is None or meeting["enterprise_id"] != enterprise_id:
            raise ValidationError("no such meeting of this enterprise", fields={"meeting_id": ["no such meeting of this enterprise"]})
        if meeting.get("status") != "held" or meeting.get("outcome") != "funded":
            raise ValidationError("the meeting did not end in a funded deal", fields={"meeting_id": ["not a held meeting with outcome funded"]})
        instrument = meeting.get("instrument")
        if rules.get("instruments") and instrument not in rules["instruments"]:
            raise InstrumentNotCovered(covered=Labels("instrument", rules["instruments"]), instrument=Label("instrument", instrument),
                                       fields={"meeting_id": ["instrument not covered"]})
        if rules.get("institution_types") and meeting.get("institution_type") not in rules["institution_types"]:
            raise ValidationError("the programme does not cover deals with this kind of institution",
                                  fields={"meeting_id": ["institution type not covered"]})
        on = parse_time(meeting["starts_at"]).astimezone(ZONE_TIME).date()
        if on.year != programme["year"]:
            raise DealOfAnotherYear(year=on.year, programme_year=programme["year"],
                                    fields={"meeting_id": [f"deal of {on.year}"]})
        need = self.backend.get("needs", meeting["need_id"]) or {}
        term = need.get("term_months")
        loan = Loan(amount=int(meeting.get("amount") or 0), term_months=int(term or DEFAULT_TERM_MONTHS), on=on,
                    instrument=instrument, term_assumed=not term)
        return {"meeting_id": meeting_id, "need_id": meeting["need_id"], "institution_id": meeting["institution_id"],
                "institution_name": meeting.get("institution_name"), "loan": loan}

    @staticmethod
    def _amount(requested: int | None, calc) -> int:
        if calc.allowed is None:
            if requested is None:
                raise ValidationError("say how much is asked for: this programme's rules compute no amount",
                                      fields={"amount": ["required for this programme"]})
            return requested
        if calc.allowed <= 0:
            raise Conflict("the enterprise has reached its cap in this programme", fields={"amount": ["cap reached"]})
        if requested is None:
            return calc.allowed
        if requested > calc.allowed:
            raise GrantAboveRules(allowed=f"{calc.allowed:,}", fields={"amount": [f"at most {calc.allowed}"]})
        return requested

    def _check_duplicate(self, doc: dict) -> None:
        filters = [Terms("programme_id", [doc["programme_id"]]), Not(Terms("status", ["rejected"]))]
        if doc.get("meeting_id"):
            filters.append(Terms("meeting_id", [doc["meeting_id"]]))
        elif doc.get("stage"):
            filters += [Terms("enterprise_id", [doc["enterprise_id"]]), Terms("stage", [doc["stage"]])]
        else:
            return
        if self.backend.count(GRANTS, Query(filters=filters)):
            raise Conflict("a grant of this programme for the same deal or stage already exists",
                           fields={"programme_id": ["already applied for this deal or stage"]})

    # -- staff steps --------------------------------------------------------------------
    def change(self, user: User, grant_id: str, data: dict, expected_version: str | None = None) -> dict:
        require_staff(user, "approve, reject or pay grants")
        status = data["status"]
        expected_version = data.get("version") or expected_version
        grant = self.fetch(grant_id)
        if status == grant["status"]:
            return grant
        if status not in TRANSITIONS[grant["status"]]:
            allowed = Labels("grant_status", sorted(TRANSITIONS[grant["status"]]), empty="nothing")
            raise GrantStatusRefused(status=Label("grant_status", grant["status"]), allowed=allowed, fields={"status": [f"not from {grant['status']}"]})
        if status == "rejected" and not (data.get("reason") or "").strip():
            raise ValidationError("say why the grant is rejected", fields={"reason": ["required to reject"]})
        doc = stepped(grant, status, by=user.id, stamp=_stamp(), reason=data.get("reason"))
        with self.backend.transaction():
            self._book(grant, status)
            stored = self.backend.replace(GRANTS, grant_id, doc, expected_version=expected_version or grant["version"])
        self.emit({"approved": "approve", "paid": "pay", "rejected": "reject"}[status], grant_id, grant, stored)
        why = f" ({stored['reason']})" if status == "rejected" else ""
        self._tell(stored, user, [f"enterprise:{stored['enterprise_id']}"],
                   f"Your grant of {stored['amount']:,} yuan ({stored.get('programme_name_en') or stored['programme_name']}) is {status}{why}.",
                   f"您的专项资金（{stored['programme_name']}，{stored['amount']:,}元）{say('grant_status', status, form='short')}" + (f"：{stored['reason']}" if why else "") + "。")
        return stored

    def _book(self, grant: dict, status: str) -> None:
        """Check the budget and the cap (approving) and move the programme's running totals."""
        programme = self.backend.get(PROGRAMMES, grant["programme_id"])
        if programme is None:
            raise Conflict("the grant's programme no longer exists")
        others = self.held_by(programme["id"], exclude=grant["id"])
        committed = sum(g["amount"] for g in others)
        paid = sum(g["amount"] for g in others if g["status"] == "paid")
        if status == "approved":
            if committed + grant["amount"] > programme["budget"]:
                left = max(0, programme["budget"] - committed)
                raise GrantOverBudget(amount=f"{grant['amount']:,}", left=f"{left:,}",
                                      fields={"status": [f"budget: {left} yuan left"]})
            cap = (programme.get("rules") or {}).get("cap_per_enterprise")
            if cap is not None:
                held = sum(g["amount"] for g in others if g["enterprise_id"] == grant["enterprise_id"])
                if held + grant["amount"] > cap:
                    raise GrantOverCap(amount=f"{grant['amount']:,}", cap=f"{cap:,}", held=f"{held:,}", fields={"status": [f"cap: {max(0, cap - held)} yuan left"]})
        if status in COMMITTED:
            committed += grant["amount"]
        if status == "paid":
            paid += grant["amount"]
        self.backend.replace(PROGRAMMES, programme["id"], {**programme, "committed": committed, "paid": paid},
                             expected_version=programme["version"])

    # -- telling the enterprise ---------------------------------------------------------
    def _tell(self, grant: dict, user: User, to: list[str], message: str, message_zh: str) -> None:
        Notifications(self.backend).send(
            to, "grant_changed", subject_kind="grant", subject_id=grant["id"], message=message, message_zh=message_zh,
            actor=user, data={"status": grant["status"], "amount": grant["amount"], "programme_id": grant["programme_id"]})

