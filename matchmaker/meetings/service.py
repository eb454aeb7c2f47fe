"""Meetings: staff propose, both parties answer, staff record that it was held and how it ended.

States (API.md): ``proposed`` → ``confirmed`` (both parties confirmed) → ``held``; a
proposed or confirmed meeting may be ``cancelled`` (by staff, or by a party declining).
Moving the time sends it back to ``proposed`` with both answers pending.  A cancelled
meeting cannot be held, a meeting is held only once both parties confirmed and its start
time has come (:func:`matchmaker.clock.now`), and an outcome is recorded only after it was
held.  A meeting is proposed (or moved) only to a time still to come.  Illegal steps are 409.

A ``funded`` outcome is not overwritten by a plain new outcome: staff correct it with a
reason (``correction_reason``).  The correction is audited (action ``correct``), the parties
are told it is a correction, and when no funded meeting is left the need goes back to
``in_talks`` and loses its funding facts.

A meeting may not overlap another meeting of the same enterprise or institution that is
not cancelled (other.starts_at < this.ends_at and other.ends_at > this.starts_at): 409.

Only the two parties (the enterprise's users, the institution's users), staff and admins
read a meeting.  The outcome ``funded`` moves the need to ``funded`` through
:class:`~matchmaker.needs.service.NeedService` (its transition rules and audit apply) and
records the funding in the need's brokering facts once.
"""
from __future__ import annotations

from datetime import timedelta

from .. import clock
from ..core.access import require_staff, require_user
from ..core.users import User
from ..brokering import facts
from ..core.calendar import ZONE_TIME, answered_in_time, local_month, now_utc, parse_time, utc_iso
from ..brokering.interests import INTRODUCTIONS, IntroductionService, published_at
from ..core.service import Observer, Service, compact
from ..errors import AnswerForOwnSide, Conflict, Label, MeetingCannotBeCancelled, MeetingClosed, MeetingNotStarted, MeetingOverlap, MeetingStatusByAnswers, MeetingTakesNoAnswers, NeedCannotBeFunded, NeedGone, NeedNotOpenForMeetings, NoSuchDocument, NoSuchReference, OVERLAPS_MEETING, OutcomeBeforeHeld, ValidationError
from ..labels import say
from ..needs.service import TRANSITIONS, NeedService
from ..notifications.service import Notifications
from ..search import AnyOf, Not, Query, Range, SearchBackend, Sort, Terms

MEETINGS, NEEDS, INSTITUTIONS = "meetings", "needs", "institutions"
STATUSES = ("proposed", "confirmed", "held", "cancelled")
OUTCOMES = ("no_further_contact", "follow_up", "term_sheet", "funded", "declined")
ANSWERS = ("pending", "confirmed", "declined")
SIDES = ("enterprise", "institution")
#: Needs staff may broker a meeting for.
BROKERABLE = ("open", "in_talks")
MAX_LENGTH = timedelta(hours=12)
MAX_SLOTS = 3


def party_side(user: User, meeting: dict) -> str | None:
    """Which side of the meeting this user is on, if any."""
    if user.role == "enterprise" and user.enterprise_id == meeting["enterprise_id"]:
        return "enterprise"
    if user.role == "institution" and user.institution_id == meeting["institution_id"]:
        return "institution"
    return None


def answering_side(user: User, meeting: dict, side: str | None) -> str:
    """The side a user answers for: their own, or for staff the one they name."""
    own_side = party_side(user, meeting)
    if own_side is None:
        if not user.is_staff:  # not theirs: they may not even learn that it exists
            raise NoSuchDocument(kind="meeting", id=meeting["id"])
        if side not in SIDES:
            raise ValidationError("say which party you answer for", fields={"side": ["enterprise or institution"]})
        return side
    if side not in (None, own_side):
        raise AnswerForOwnSide(side=Label("object_kind", own_side))
    return own_side


class MeetingService(Service):
    index, label, parties = MEETINGS, "meeting", ("enterprise_id", "institution_id")

    def __init__(self, backend: SearchBackend, observers: list[Observer] = (), working_days: int = 3):
        super().__init__(backend, observers)
        self.working_days = working_days

    # -- reading (get: the base's, by the parties) -------------------------------------
    def search(self, user: User, args: dict) -> dict:
        filters = self.visibility_filters(require_user(user))
        for param in ("status", "outcome", "need_id", "institution_id", "enterprise_id"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        if args.get("starts_from") or args.get("starts_until"):
            filters.append(Range("starts_at", gte=_bound(args.get("starts_from")), lte=_bound(args.get("starts_until"))))
        descending = args.get("sort") == "-starts_at"
        query = Query(filters=filters, sort=[Sort("starts_at", descending=descending)], facets=["status", "outcome"],
                      page=args.get("page", 1), per_page=args.get("per_page", 20))
        return self.page(query)

    # -- proposing and changing ---------------------------------------------------------
    def propose(self, user: User, data: dict) -> dict:
        require_staff(user, "propose meetings")
        need = self.backend.get(NEEDS, data["need_id"])
        if need is None:
            raise NoSuchReference(kind=Label("object_kind", "need"), id=data['need_id'], fields={"need_id": ["no such need"]})
        if need["status"] not in BROKERABLE:
            raise NeedNotOpenForMeetings(status=Label("need_status", need['status']), need_id=need['id'], fields={"need_id": ["not open"]})
        institution = self.backend.get(INSTITUTIONS, data["institution_id"])
        if institution is None:
            raise NoSuchReference(kind=Label("object_kind", "institution"), id=data['institution_id'], fields={"institution_id": ["no such institution"]})
        intro = None
        if data.get("introduction_id"):
            intro = self.backend.get(INTRODUCTIONS, data["introduction_id"])
            if intro is None or intro["need_id"] != need["id"] or intro["institution_id"] != institution["id"]:
                raise ValidationError("the introduction request is for another need or institution",
                                      fields={"introduction_id": ["does not match need_id and institution_id"]})
        offered = offered_times(data)
        for starts, _ in offered:
            _still_to_come(starts)
        starts, ends = offered[0]
        doc = meeting_doc(need, institution, starts, ends, proposed_by=user.id, stamp=utc_iso(now_utc()),
                          location=data.get("location"), notes=data.get("notes"), introduction_id=data.get("introduction_id"))
        if len(offered) > 1:
            doc["slots"] = [{"starts_at": s, "ends_at": e} for s, e in offered]
        with self.backend.transaction():
            for slot_starts, slot_ends in offered:
                self.check_overlap({**doc, "starts_at": slot_starts, "ends_at": slot_ends})
            meeting = self.backend.create(MEETINGS, doc)
        self.emit("create", meeting["id"], None, meeting)
        if intro is not None:
            IntroductionService(self.backend, self.observers).handle(user, intro["id"], {"status": "arranged"}, meeting_id=meeting["id"])
        if meeting.get("slots"):
            times, times_zh = "; ".join(_when(s) for s in meeting["slots"]), "；".join(_when(s) for s in meeting["slots"])
            self._tell(meeting, ["enterprise", "institution"], "meeting_proposed", user,
                       f"Zone staff offer {len(meeting['slots'])} times for a meeting: {times}. Pick the ones that suit you.",
                       f"园区工作人员提供{len(meeting['slots'])}个会面时间：{times_zh}。请选择您方便的时间。")
        else:
            self._tell(meeting, ["enterprise", "institution"], "meeting_proposed", user,
                       f"Zone staff propose a meeting: {_when(meeting)}.", f"园区工作人员提议会面：{_when(meeting)}。")
        return meeting

    def check_overlap(self, meeting: dict, exclude: str | None = None) -> None:
        """409 when another live meeting of either party overlaps this one's time (call it in
        the transaction that writes the meeting)."""
        starts, ends = parse_time(meeting["starts_at"]), parse_time(meeting["ends_at"])
        filters = [
            Not(Terms("status", ["cancelled"])),
            AnyOf((Terms("enterprise_id", [meeting["enterprise_id"]]), Terms("institution_id", [meeting["institution_id"]]))),
            Range("starts_at", lte=utc_iso(ends - timedelta(seconds=1))),  # other starts before this ends
            Range("ends_at", gte=utc_iso(starts + timedelta(seconds=1))),  # and ends after this starts
        ]
        if exclude:
            filters.append(Not(Terms("id", [exclude])))
        # The records, not the index: inside the caller's transaction this sees every
        # committed meeting, so two proposals at the same moment cannot both pass.
        clash = min(self.backend.scan(MEETINGS, Query(filters=filters)), key=lambda m: (m["starts_at"], m["id"]), default=None)
        if clash is not None:
            other = clash
            party = "enterprise" if other["enterprise_id"] == meeting["enterprise_id"] else "institution"
            raise MeetingOverlap(
                party=party, other=other["id"], starts=other["starts_at"], ends=other["ends_at"],
                fields={"starts_at": [OVERLAPS_MEETING(other=other["id"], party=party)]},
            )

    def change(self, user: User, meeting_id: str, changes: dict, expected_version: str | None = None) -> dict:
        """Staff move the time or place, or edit notes; ``status`` cancelled/held does those steps."""
        require_staff(user, "change meetings")
        changes = dict(changes)
        status = changes.pop("status", None)
        expected_version = changes.pop("version", None) or expected_version
        meeting = self.fetch(meeting_id)
        if changes:
            meeting = self._edit(user, meeting, changes, expected_version)
            expected_version = None
        if status is None or status == meeting["status"]:
            return meeting
        if status == "cancelled":
            return self.cancel(user, meeting_id, changes.get("cancel_reason"))
        if status == "held":
            return self.mark_held(user, meeting_id)
        raise MeetingStatusByAnswers(status=Label("meeting_status", status),
                                     fields={"status": ["staff may set cancelled or held"]})

    def _edit(self, user: User, meeting: dict, changes: dict, expected_version: str | None) -> dict:
        if meeting["status"] not in ("proposed", "confirmed"):
            raise MeetingClosed(status=Label("meeting_status", meeting['status']), fields={"status": [meeting["status"]]})
        doc = dict(meeting)
        moved = "starts_at" in changes or "ends_at" in changes
        if moved:
            starts, ends = _times(changes.get("starts_at", meeting["starts_at"]), changes.get("ends_at", meeting["ends_at"]))
            moved = (starts, ends) != (meeting["starts_at"], meeting["ends_at"])
            if moved and starts != meeting["starts_at"]:
                _still_to_come(starts)
            doc.update(starts_at=starts, ends_at=ends, month=local_month(starts))
        for key in ("location", "notes"):
            if key in changes:
                doc[key] = changes[key] or None
        if moved:  # a new time needs both parties' answers again (one time: the offered ones are dropped)
            doc.update(status="proposed", enterprise_answer="pending", institution_answer="pending")
            for key in ("slots", "enterprise_picks", "institution_picks", "chosen_slot", "slots_unmatched"):
                doc.pop(key, None)
            for side in SIDES:
                for suffix in ("answered_at", "answered_by", "answer_note"):
                    doc.pop(f"{side}_{suffix}", None)
        doc["updated_at"] = utc_iso(now_utc())
        with self.backend.transaction():
            if moved:
                self.check_overlap(doc, exclude=meeting["id"])
            stored = self.backend.replace(MEETINGS, meeting["id"], compact(doc), expected_version=expected_version)
        self.emit("update", meeting["id"], meeting, stored)
        what = f"moved to {_when(stored)}" if moved else "changed"
        what_zh = f"改到{_when(stored)}" if moved else "有变更"
        self._tell(stored, ["enterprise", "institution"], "meeting_changed", user,
                   f"Your meeting was {what}.", f"您的会面{what_zh}。")
        return stored

    # -- the parties answer -------------------------------------------------------------
    def answer(self, user: User, meeting_id: str, answer: str, note: str | None = None, side: str | None = None) -> dict:
        user = require_user(user)
        meeting = self.fetch(meeting_id)
        own_side = answering_side(user, meeting, side)
        if meeting["status"] not in ("proposed", "confirmed"):
            raise MeetingTakesNoAnswers(status=Label("meeting_status", meeting['status']), fields={"status": [meeting["status"]]})
        if answer == "confirmed" and meeting.get("slots") and meeting["status"] == "proposed":
            raise Conflict("this meeting offers several times: pick the ones that suit you",
                           fields={"slots": ["pick from the offered times"]})
        if meeting.get(f"{own_side}_answer") == answer:
            return meeting
        stamp = utc_iso(now_utc())
        doc = {**meeting, f"{own_side}_answer": answer, f"{own_side}_answered_at": stamp,
               f"{own_side}_answered_by": user.id, f"{own_side}_answer_note": note or None, "updated_at": stamp}
        other = "institution" if own_side == "enterprise" else "enterprise"
        if answer == "declined":
            doc.update(status="cancelled", cancelled_at=stamp, cancelled_by=user.id,
                       cancel_reason=f"declined by the {own_side}" + (f": {note}" if note else ""))
        elif doc[f"{other}_answer"] == "confirmed":
            doc["status"] = "confirmed"
        stored = self.backend.replace(MEETINGS, meeting_id, compact(doc), expected_version=meeting["version"])
        self.emit("confirm" if answer == "confirmed" else "decline", meeting_id, meeting, stored)
        if own_side == "institution":
            need = self.backend.get(NEEDS, meeting["need_id"])
            if need is not None:
                facts.record_answer(self.backend, need["id"], stamp,
                                    answered_in_time(published_at(need), stamp, self.working_days),
                                    interested=answer == "confirmed")
        verb, verb_zh = ("confirmed", "确认") if answer == "confirmed" else ("declined", "婉拒")
        party = stored.get(f"{own_side}_name") or own_side
        message = f"The {own_side} ({party}) {verb} the meeting of {_when(stored)}."
        message_zh = f"{say('object_kind', own_side)}（{party}）{verb_zh}了{_when(stored)}的会面。"
        if stored["status"] == "confirmed":
            message += " Both parties have confirmed."
            message_zh += "双方均已确认。"
        self._tell(stored, [other, "staff"], "meeting_changed", user, message, message_zh)
        return stored

    def pick(self, user: User, meeting_id: str, picks: list[int], side: str | None = None) -> dict:
        """A party says which of the offered times suit it; the earliest time both picked
        confirms the meeting (both answers confirmed).  With no time in common, staff are told."""
        user = require_user(user)
        meeting = self.fetch(meeting_id)
        own_side = answering_side(user, meeting, side)
        slots = meeting.get("slots") or []
        if not slots:
            raise Conflict("this meeting has one time: confirm or decline it", fields={"slots": ["no times to pick from"]})
        if meeting["status"] != "proposed":
            raise MeetingTakesNoAnswers(status=Label("meeting_status", meeting['status']), fields={"status": [meeting["status"]]})
        wrong = sorted(i for i in picks if not 0 <= i < len(slots))
        if wrong:
            raise ValidationError("pick from the times offered", fields={"slots": [f"positions 0 to {len(slots) - 1}"]})
        other = "institution" if own_side == "enterprise" else "enterprise"
        stamp = utc_iso(now_utc())
        doc = {**meeting, f"{own_side}_picks": sorted(set(picks)), f"{own_side}_answered_at": stamp,
               f"{own_side}_answered_by": user.id, "updated_at": stamp}
        doc.pop("slots_unmatched", None)
        theirs = doc.get(f"{other}_picks")
        common = [i for i in doc[f"{own_side}_picks"] if theirs is not None and i in theirs]
        if common:  # slots are stored earliest first
            chosen = slots[common[0]]
            doc.update(starts_at=chosen["starts_at"], ends_at=chosen["ends_at"], month=local_month(chosen["starts_at"]),
                       chosen_slot=common[0], status="confirmed", enterprise_answer="confirmed", institution_answer="confirmed")
        elif theirs is not None:
            doc["slots_unmatched"] = True
        with self.backend.transaction():
            if common:
                self.check_overlap(doc, exclude=meeting_id)
            stored = self.backend.replace(MEETINGS, meeting_id, compact(doc), expected_version=meeting["version"])
        self.emit("pick", meeting_id, meeting, stored)
        if own_side == "institution":
            need = self.backend.get(NEEDS, meeting["need_id"])
            if need is not None:
                facts.record_answer(self.backend, need["id"], stamp,
                                    answered_in_time(published_at(need), stamp, self.working_days), interested=True)
        party = stored.get(f"{own_side}_name") or own_side
        if common:
            self._tell(stored, ["enterprise", "institution", "staff"], "meeting_changed", user,
                       f"Both parties can meet on {_when(stored)}: the meeting is confirmed.",
                       f"双方均可于{_when(stored)}会面：会面已确认。")
        elif theirs is not None:
            self._tell(stored, ["staff"], "meeting_changed", user,
                       f"The parties picked no time in common for the meeting of {stored.get('enterprise_name')} and "
                       f"{stored.get('institution_name')}: offer other times.",
                       f"{stored.get('enterprise_name')}与{stored.get('institution_name')}的会面没有双方都合适的时间，请另提供时间。")
        else:
            self._tell(stored, [other, "staff"], "meeting_changed", user,
                       f"The {own_side} ({party}) picked the times that suit it; your choice confirms the meeting.",
                       f"{say('object_kind', own_side)}（{party}）已选择合适的会面时间，待您选择后即可确认。")
        return stored

    # -- staff steps --------------------------------------------------------------------
    def cancel(self, user: User, meeting_id: str, reason: str | None = None) -> dict:
        require_staff(user, "cancel meetings")
        meeting = self.fetch(meeting_id)
        if meeting["status"] not in ("proposed", "confirmed"):
            raise MeetingCannotBeCancelled(status=Label("meeting_status", meeting['status']), fields={"status": [meeting["status"]]})
        stamp = utc_iso(now_utc())
        doc = {**meeting, "status": "cancelled", "cancelled_at": stamp, "cancelled_by": user.id,
               "cancel_reason": reason or "cancelled by zone staff", "updated_at": stamp}
        stored = self.backend.replace(MEETINGS, meeting_id, compact(doc), expected_version=meeting["version"])
        self.emit("cancel", meeting_id, meeting, stored)
        self._tell(stored, ["enterprise", "institution"], "meeting_changed", user,
                   f"The meeting of {_when(stored)} is cancelled.", f"{_when(stored)}的会面已取消。")
        return stored

    def mark_held(self, user: User, meeting_id: str) -> dict:
        require_staff(user, "record that meetings were held")
        meeting = self.fetch(meeting_id)
        if meeting["status"] == "cancelled":
            raise Conflict("a cancelled meeting cannot be held", fields={"status": ["cancelled"]})
        if meeting["status"] == "proposed":
            raise Conflict("both parties must confirm before the meeting is held", fields={"status": ["proposed"]})
        if meeting["status"] == "held":
            raise Conflict("the meeting is already recorded as held", fields={"status": ["held"]})
        if not has_started(meeting):
            raise MeetingNotStarted(starts=_when(meeting),
                                    fields={"status": ["not started yet"]})
        stamp = utc_iso(now_utc())
        doc = {**meeting, "status": "held", "held_at": stamp, "held_by": user.id, "updated_at": stamp}
        stored = self.backend.replace(MEETINGS, meeting_id, doc, expected_version=meeting["version"])
        self.emit("held", meeting_id, meeting, stored)
        # held: both confirmed, so the institution showed interest too
        facts.mark(self.backend, meeting["need_id"], first={"interested_at": stamp, "meeting_held_at": meeting["starts_at"]})
        self._tell(stored, ["enterprise", "institution"], "meeting_changed", user,
                   f"The meeting of {_when(stored)} is recorded as held.", f"{_when(stored)}的会面已记录为已举行。")
        return stored

    def record_outcome(self, user: User, meeting_id: str, data: dict) -> dict:
        require_staff(user, "record meeting outcomes")
        meeting = self.fetch(meeting_id)
        if meeting["status"] != "held":
            raise OutcomeBeforeHeld(status=Label("meeting_status", meeting['status']),
                           fields={"status": [meeting["status"]]})
        correcting = meeting.get("outcome") == "funded"
        reason = (data.get("correction_reason") or "").strip() or None
        if correcting and reason is None:
            raise Conflict("a funded outcome is corrected with a reason", fields={"correction_reason": ["required to correct a funded outcome"]})
        outcome = data["outcome"]
        if outcome == "funded":
            missing = {k: ["required for a funded outcome"] for k in ("amount", "instrument") if data.get(k) is None}
            if missing:
                raise ValidationError("say how much was funded and how", fields=missing)
        elif data.get("amount") is not None or data.get("instrument") is not None:
            raise ValidationError("amount and instrument are for a funded outcome",
                                  fields={k: ["only with outcome 'funded'"] for k in ("amount", "instrument") if data.get(k) is not None})
        stamp = utc_iso(now_utc())
        doc = {**meeting, "outcome": outcome, "amount": data.get("amount"), "instrument": data.get("instrument"),
               "outcome_notes": data.get("notes") or None, "outcome_at": stamp, "outcome_by": user.id, "updated_at": stamp}
        if correcting:
            doc.update(corrected_at=stamp, corrected_by=user.id, correction_reason=reason,
                       corrected_from=meeting["outcome"], corrected_from_amount=meeting.get("amount"))
        with self.backend.transaction():
            if outcome == "funded" and not correcting:
                self._fund_need(user, meeting["need_id"])
            stored = self.backend.replace(MEETINGS, meeting_id, compact(doc), expected_version=meeting["version"])
            self.emit("correct" if correcting else "outcome", meeting_id, meeting, stored)
            if outcome == "funded" or correcting:
                self._refresh_funding(user, meeting["need_id"], stamp)
        label = outcome.replace("_", " ")
        if correcting:
            message = (f"Correction: the outcome of the meeting of {_when(stored)} is {label}, not "
                       f"{_outcome_text(meeting, 'en')} as told before. Reason: {reason}")
            message_zh = (f"更正：{_when(stored)}会面的结果为{say('outcome', outcome)}{_amount_zh(stored)}，"
                          f"此前通知的{_outcome_text(meeting, 'zh')}有误。原因：{reason}")
        else:
            message = f"Outcome of the meeting of {_when(stored)}: {label}."
            message_zh = f"{_when(stored)}会面的结果：{say('outcome', outcome)}。"
        self._tell(stored, ["enterprise", "institution"], "meeting_changed", user, message, message_zh)
        return stored

    def _refresh_funding(self, user: User, need_id: str, stamp: str) -> None:
        """The need's funding facts follow its funded meetings; with none left after a
        correction, the need goes back to ``in_talks``."""
        total = self.funded_total(need_id)
        if total:
            facts.mark(self.backend, need_id, first={"funded_at": stamp}, always={"funded_amount": total})
            return
        facts.mark(self.backend, need_id, always={"funded_at": None, "funded_amount": None})
        need = self.backend.get(NEEDS, need_id)
        if need is not None and need["status"] == "funded":
            NeedService(self.backend, self.observers).modify(need_id, {"status": "in_talks"})

    def _fund_need(self, user: User, need_id: str) -> None:
        """Move the need to funded, through the need service (its rules and audit apply)."""
        need = self.backend.get(NEEDS, need_id)
        if need is None:
            raise NeedGone(need_id=need_id)
        if need["status"] == "funded":
            return  # funded already (another institution's meeting): counted once
        if "funded" not in TRANSITIONS[need["status"]]:
            raise NeedCannotBeFunded(status=Label("need_status", need['status']), fields={"outcome": [f"the need is {need['status']}"]})
        NeedService(self.backend, self.observers).update(user, need_id, {"status": "funded"})

    def funded_total(self, need_id: str) -> int:
        """The sum of the need's funded outcomes, from the records: called in the transaction
        that records an outcome, it counts that outcome too (an index may not have it yet)."""
        funded = self.backend.scan(MEETINGS, Query(filters=[Terms("need_id", [need_id]), Terms("outcome", ["funded"])]))
        return int(sum(m.get("amount") or 0 for m in funded))

    # -- telling the parties ------------------------------------------------------------
    def _tell(self, meeting: dict, to: list[str], kind: str, user: User, message: str, message_zh: str) -> None:
        recipients = []
        for who in to:
            if who == "staff":
                recipients.append("staff")
            else:
                recipients.append(f"{who}:{meeting[f'{who}_id']}")
        Notifications(self.backend).send(
            recipients, kind, subject_kind="meeting", subject_id=meeting["id"], need_id=meeting["need_id"],
            meeting_id=meeting["id"], message=message, message_zh=message_zh, actor=user,
            data={"status": meeting["status"], "starts_at": meeting["starts_at"], "ends_at": meeting["ends_at"],
                  "enterprise_name": meeting.get("enterprise_name"), "institution_name": meeting.get("institution_name")},
        )


def meeting_doc(need: dict, institution: dict, starts: str, ends: str, *, proposed_by: str, stamp: str,
                location: str | None = None, notes: str | None = None, introduction_id: str | None = None) -> dict:
    """A newly proposed meeting as stored, with the copies lists and statistics use."""
    return compact({
        "need_id": need["id"], "institution_id": institution["id"], "enterprise_id": need["enterprise_id"],
        "introduction_id": introduction_id,
        "need_title": need["title"], "enterprise_name": need.get("enterprise_name"), "institution_name": institution["name"],
        "institution_type": institution["type"], "industry": need.get("industry"), "need_instrument": need["instrument"],
        "need_amount": need["amount"], "need_month": need.get("published_month"),
        "starts_at": starts, "ends_at": ends, "month": local_month(starts),
        "location": location or None, "notes": notes or None, "status": "proposed",
        "enterprise_answer": "pending", "institution_answer": "pending",
        "proposed_by": proposed_by, "created_at": stamp, "updated_at": stamp,
    })


def _times(starts_at, ends_at) -> tuple[str, str]:
    starts, ends = parse_time(starts_at, "starts_at"), parse_time(ends_at, "ends_at")
    if ends <= starts:
        raise ValidationError("a meeting ends after it starts", fields={"ends_at": ["must be after starts_at"]})
    if ends - starts > MAX_LENGTH:
        raise ValidationError("a meeting lasts at most 12 hours", fields={"ends_at": ["at most 12 hours after starts_at"]})
    return utc_iso(starts), utc_iso(ends)


def offered_times(data: dict) -> list[tuple[str, str]]:
    """The time proposed, or the 2–3 slots offered, as stored text, earliest first."""
    if data.get("slots"):
        times = sorted({_times(slot["starts_at"], slot["ends_at"]) for slot in data["slots"]})
        if not 2 <= len(times) <= MAX_SLOTS:
            raise ValidationError("offer two or three different times", fields={"slots": ["two or three different times"]})
        return times
    if data.get("starts_at") is None or data.get("ends_at") is None:
        raise ValidationError("say when the meeting is, or offer two or three times",
                              fields={k: ["Missing data for required field."] for k in ("starts_at", "ends_at") if data.get(k) is None})
    return [_times(data["starts_at"], data["ends_at"])]


def _still_to_come(starts: str) -> None:
    """A meeting is proposed for a time that has not passed yet (the zone's clock)."""
    if parse_time(starts) < clock.now():
        raise ValidationError("a meeting is proposed for a time still to come",
                              fields={"starts_at": ["must not be in the past"]})


def has_started(meeting: dict) -> bool:
    """Whether the meeting's start time has come (it may then be recorded as held)."""
    return parse_time(meeting["starts_at"]) <= clock.now()


def _outcome_text(meeting: dict, lang: str = "en") -> str:
    outcome = meeting.get("outcome") or ""
    if lang == "zh":
        return say("outcome", outcome) + _amount_zh(meeting)
    text = outcome.replace("_", " ")
    return f"{text} ({meeting['amount']:,} yuan)" if meeting.get("amount") else text


def _amount_zh(meeting: dict) -> str:
    return f"（{meeting['amount']:,}元）" if meeting.get("outcome") == "funded" and meeting.get("amount") else ""


def _bound(value) -> str | None:
    return utc_iso(value) if value is not None else None


def _when(meeting: dict) -> str:
    starts = parse_time(meeting["starts_at"]).astimezone(ZONE_TIME)
    ends = parse_time(meeting["ends_at"]).astimezone(ZONE_TIME)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M} (UTC+8)"
