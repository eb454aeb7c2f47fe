"""The listing reserve pool (上市后备企业库) as staff run it.

An enterprise enters (入库) by a staff decision, with a target board and a reason, at
``cultivation``; staff record each stage it reaches with its date (培育 → 股改 → 辅导 →
申报 → 审核/注册 → 上市, forward only), the intermediaries it engaged (sponsor broker,
accountant, lawyer) with the dates, and its exit (出库) with a reason.  One entry per
enterprise: its id is the enterprise's id, so two staff entering the same firm at once
cannot make two.  An exited firm may enter again; its earlier spell is kept in
``previous``.

Beside each entry: the enterprise's readiness on its target board today, from the
readiness service.  Suggestions are firms not in the pool whose latest readiness on some
board is ready or nearly so; staff accept one (an entry) or dismiss it (kept as an entry
with status ``dismissed``, which the pool's lists leave out).
"""
from __future__ import annotations

from datetime import date

from .. import clock
from ..core.access import own_enterprise_filters, require_staff, require_user
from ..core.users import User
from ..core.calendar import utc_iso
from ..core.service import Observer, Service, envelope
from ..labels import say
from ..errors import BoardNotInForce, Conflict, DateAfterToday, Label, MatchmakerError, NoSuchDocument, NoSuchReference, PoolKeptByStaff, PoolStageBackwards, UnknownBoard, ValidationError
from ..notifications.service import Notifications
from ..readiness.service import INDEX as READINESS, ReadinessService
from ..scoring.settings import ScoringSettings
from ..search import Query, Range, SearchBackend, Sort, Terms
from .rules import POOL_STAGES

POOL = "reserve_pool"
ROLES = ("sponsor", "accountant", "lawyer")

STAGE_NAMES = {
    "cultivation": {"en": "Cultivation", "zh": "培育"},
    "shareholding_reform": {"en": "Shareholding reform", "zh": "股改"},
    "tutoring": {"en": "Tutoring (filed with the local CSRC office)", "zh": "辅导备案"},
    "filed": {"en": "Application filed", "zh": "申报"},
    "review": {"en": "Review (CSRC approval)", "zh": "审核"},
    "listed": {"en": "Listed", "zh": "上市"},
}
#: The same steps under registration: application accepted → enquiries, listing committee, registration.
REGISTRATION_NAMES = {
    "filed": {"en": "Application accepted", "zh": "受理"},
    "review": {"en": "Enquiries, listing committee and CSRC registration", "zh": "审核问询/注册"},
}


def registration_era(settings: ScoringSettings, board: str, on: date) -> bool:
    """Whether listings on ``board`` were reviewed by registration (注册制) on ``on``: the
    rule set of that day says so (its ``review``; STAR 2019, ChiNext 2020, the BSE 2021, the
    main boards 2023), else by the CSRC's approval (核准制)."""
    rules = settings.rule_set_on(board, on)
    return rules is not None and rules.review == "registration"


def stage_label(stage: str, board: str, settings: ScoringSettings, on: date | None = None) -> dict:
    """The stage's name on the board, in both languages, in the era of ``on`` (today)."""
    if registration_era(settings, board, on or clock.today()) and stage in REGISTRATION_NAMES:
        return dict(REGISTRATION_NAMES[stage])
    return dict(STAGE_NAMES[stage])


def board_not_in_force(board: str, exc: BoardNotInForce) -> dict:
    """What an entry shows in place of readiness when its target board is closed (the SME
    board after 2021-04-06) or not open yet: the reason, in both languages, and what to do
    (each language's sentence written whole, the board by its name in that language)."""
    en, zh = say("board", board, "en"), say("board", board, "zh")
    retired = exc.retired
    if retired is None:
        first = exc.params.get("first", "?")
        return {"board": board, "in_force": False, "retired_on": None, "error": exc.message,
                "message": {"en": f"The target board, the {en}, has no rules in force yet: its first rule set takes "
                                  f"effect on {first}. Choose a target board open today.",
                            "zh": f"目标板块“{zh}”目前尚无有效规则：其首套规则自{first}起施行。请另选目前开放的目标板块。"}}
    day = retired.retired_on.isoformat()
    return {"board": board, "in_force": False, "retired_on": day, "error": exc.message,
            "message": {"en": f"The target board, the {en}, was retired on {day}: readiness cannot be "
                              "assessed on it. Choose a new target board for this entry.",
                        "zh": f"目标板块“{zh}”已于{day}停止运行，无法评估上市准备度。请为该企业另选目标板块。"}}


def stages_reached(backend: SearchBackend, enterprise_id: str) -> dict[str, str]:
    """The stages an enterprise's active pool entry reached, with their dates (what listing awards pay for)."""
    entry = backend.get(POOL, enterprise_id)
    if entry is None or entry.get("status") != "active":
        return {}
    return {s["stage"]: s["on"] for s in entry.get("stages") or []}


def _stamp() -> str:
    return utc_iso(clock.now())


def _not_future(value: date, field: str) -> None:
    if value > clock.today():
        raise DateAfterToday(field=field, fields={field: ["must not be after today"]})


class PoolService(Service):
    """The listing reserve pool: staff keep it; an enterprise reads its own entry."""

    index = POOL
    label = "pool_entry"
    noun = "pool entry"
    parties = ("enterprise_id",)

    def __init__(self, backend: SearchBackend, settings: ScoringSettings, observers: list[Observer] = ()):
        super().__init__(backend, observers)
        self.settings = settings
        self.readiness = ReadinessService(backend, settings)  # beside every entry shown

    # -- reading ------------------------------------------------------------------------
    def fetch(self, entry_id: str) -> dict:
        """The entry; a dismissed suggestion is no entry."""
        entry = super().fetch(entry_id)
        if entry.get("status") == "dismissed":
            raise self.not_found(entry_id)
        return entry

    def get(self, user: User, entry_id: str, language: str = "en") -> dict:
        user = require_user(user)
        entry = self.fetch(entry_id)
        if not self.can_read(user, entry):
            raise self.not_found(entry_id)
        return self.shown(user, entry, language, full=True)

    def search(self, user: User, args: dict, language: str = "en") -> dict:
        filters = own_enterprise_filters(user, PoolKeptByStaff)
        filters.append(Terms("status", args.get("status") or ["active"]))
        for param in ("stage", "target_board", "enterprise_id"):
            if args.get(param):
                filters.append(Terms(param, args[param]))
        query = Query(filters=filters, sort=[Sort("stage_rank", descending=True), Sort("stage_on")],
                      facets=["stage", "target_board", "status"], page=args.get("page", 1), per_page=args.get("per_page", 20))
        body = envelope(self.backend.search(POOL, query), query)
        body["items"] = [self.shown(user, e, language) for e in body["items"]]
        return body

    def shown(self, user: User, entry: dict, language: str, full: bool = False) -> dict:
        """The entry with its stage's name on the board and the readiness beside it."""
        shown = {k: v for k, v in entry.items() if k != "stage_rank"}
        shown["stage_label"] = stage_label(entry["stage"], entry["target_board"], self.settings)
        try:
            answer = self.readiness.readiness(
                user, entry["enterprise_id"], entry["target_board"], language, as_of=clock.today())
        except BoardNotInForce as exc:
            shown["readiness"] = board_not_in_force(entry["target_board"], exc)
            return shown
        except MatchmakerError as exc:
            shown["readiness"] = {"board": entry["target_board"], "error": exc.message}
            return shown
        if full:
            shown["readiness"] = answer
        else:
            unmet = [{"id": c["id"], "message": c.get("message")} for c in answer.get("criteria", []) if not c.get("met")]
            shown["readiness"] = {"board": answer["board"], "score": answer["score"], "ready": answer["ready"], "unmet": unmet}
        return shown

    # -- staff decisions ----------------------------------------------------------------
    def _board(self, board: str) -> str:
        """A target board must be one listing today (``clock.today()``, not the day the settings were read)."""
        if board not in self.settings.known_boards:
            known = ", ".join(self.settings.known_boards)
            raise UnknownBoard(board=board, fields={"target_board": [f"one of: {known}"]})
        try:
            self.settings.board_on(board, clock.today())
        except BoardNotInForce as exc:
            raise exc.said_of("target_board")
        return board

    def enter(self, user: User, data: dict) -> dict:
        require_staff(user, "enter enterprises into the listing reserve pool")
        enterprise = self.backend.get("enterprises", data["enterprise_id"])
        if enterprise is None:
            raise NoSuchReference(kind=Label("object_kind", "enterprise"), id=data['enterprise_id'], fields={"enterprise_id": ["no such enterprise"]})
        board = self._board(data["target_board"])
        entered_on = data.get("entered_on") or clock.today()
        _not_future(entered_on, "entered_on")
        stamp = _stamp()
        doc = {
            "enterprise_id": enterprise["id"], "enterprise_name": enterprise["name"], "industry": enterprise.get("industry"),
            "target_board": board, "reason": data["reason"], "status": "active", "stage": "cultivation", "stage_rank": 0,
            "stage_on": entered_on.isoformat(), "entered_on": entered_on.isoformat(), "entered_by": user.id,
            "stages": [{"stage": "cultivation", "on": entered_on.isoformat(), "by": user.id, "at": stamp}],
            "intermediaries": {}, "created_at": stamp, "updated_at": stamp,
        }
        existing = self.backend.get(POOL, enterprise["id"])
        if existing is None:
            stored = self.backend.create(POOL, doc, doc_id=enterprise["id"])  # Conflict when someone else just did
        elif existing["status"] == "active":
            raise Conflict("the enterprise is already in the reserve pool", fields={"enterprise_id": ["already in the pool"]})
        else:
            if existing["status"] == "exited":
                doc["previous"] = [*(existing.get("previous") or []), {
                    k: existing.get(k) for k in ("target_board", "entered_on", "exited_on", "exit_reason", "stage", "stages")}]
            doc["created_at"] = existing.get("created_at", stamp)
            stored = self.backend.replace(POOL, enterprise["id"], doc, expected_version=existing["version"])
        self.emit("create", stored["id"], None, stored)
        self._tell(stored, user, f"Your enterprise entered the listing reserve pool (target: {board}).",
                   f"贵企业已入选上市后备企业库（目标板块：{board}）。")
        return stored

    def change(self, user: User, entry_id: str, data: dict, expected_version: str | None = None) -> dict:
        require_staff(user, "run the listing reserve pool")
        entry = self.fetch(entry_id)
        expected_version = data.get("version") or expected_version or entry["version"]
        if entry["status"] != "active":
            raise Conflict("the enterprise has left the reserve pool; enter it again first", fields={"status": [entry["status"]]})
        if data.get("status") == "exited" and (set(data) - {"status", "reason", "exited_on", "version"}):
            raise ValidationError("an exit is recorded on its own", fields={"status": ["send status, reason and exited_on only"]})
        doc, stamp, action = dict(entry), _stamp(), "update"
        if "target_board" in data:
            doc["target_board"] = self._board(data["target_board"])
        if "stage" in data:
            self._stage(doc, data, user, stamp)
            action = "stage"
        elif "stage_on" in data:
            raise ValidationError("stage_on goes with stage", fields={"stage": ["required with stage_on"]})
        if "intermediaries" in data:
            engaged = dict(doc.get("intermediaries") or {})
            for role in ROLES:
                if role not in data["intermediaries"]:
                    continue
                value = data["intermediaries"][role]
                if value is None:
                    engaged.pop(role, None)
                    continue
                _not_future(value["engaged_on"], f"intermediaries.{role}.engaged_on")
                engaged[role] = {"name": value["name"], "engaged_on": value["engaged_on"].isoformat()}
            doc["intermediaries"] = engaged
        if data.get("status") == "exited":
            if not (data.get("reason") or "").strip():
                raise ValidationError("say why the enterprise leaves the pool", fields={"reason": ["required to exit"]})
            exited_on = data.get("exited_on") or clock.today()
            _not_future(exited_on, "exited_on")
            if exited_on.isoformat() < entry["stage_on"]:
                raise ValidationError("the exit is dated before the last stage", fields={"exited_on": [f"on or after {entry['stage_on']}"]})
            doc.update(status="exited", exited_on=exited_on.isoformat(), exit_reason=data["reason"].strip(), exited_by=user.id)
            action = "exit"
        doc["updated_at"] = stamp
        stored = self.backend.replace(POOL, entry_id, doc, expected_version=expected_version)
        self.emit(action, entry_id, entry, stored)
        if action == "stage":
            label = STAGE_NAMES[stored["stage"]]
            self._tell(stored, user, f"Reserve pool: your enterprise reached the stage {label['en']} on {stored['stage_on']}.",
                       f"上市后备企业库：贵企业于{stored['stage_on']}进入“{label['zh']}”阶段。")
        elif action == "exit":
            self._tell(stored, user, f"Your enterprise left the listing reserve pool: {stored['exit_reason']}.",
                       f"贵企业已移出上市后备企业库：{stored['exit_reason']}。")
        return stored

    @staticmethod
    def _stage(doc: dict, data: dict, user: User, stamp: str) -> None:
        stage = data["stage"]
        if data.get("stage_on") is None:
            raise ValidationError("say when the stage was reached", fields={"stage_on": ["required with stage"]})
        on = data["stage_on"]
        _not_future(on, "stage_on")
        rank, current = POOL_STAGES.index(stage), POOL_STAGES.index(doc["stage"])
        if rank <= current:
            raise PoolStageBackwards(stage=Label("pool_stage", doc["stage"]), fields={"stage": [f"after {doc['stage']}"]})
        if on.isoformat() < doc["stage_on"]:
            raise ValidationError("a stage is reached on or after the one before", fields={"stage_on": [f"on or after {doc['stage_on']}"]})
        doc.update(stage=stage, stage_rank=rank, stage_on=on.isoformat(),
                   stages=[*(doc.get("stages") or []), {"stage": stage, "on": on.isoformat(), "by": user.id, "at": stamp}])

    # -- suggestions --------------------------------------------------------------------
    def suggestions(self, user: User, args: dict) -> dict:
        """Firms not in the pool (nor dismissed) whose latest readiness on some board is
        ready or at least ``min_score``: the best board of each, most ready first."""
        require_staff(user, "see suggestions for the reserve pool")
        query = Query(filters=[Terms("latest", [True]), Range("score", gte=args.get("min_score", 70))],
                      sort=[Sort("score", descending=True)], per_page=500)
        best: dict[str, dict] = {}
        for snapshot in self.backend.search(READINESS, query).items:
            best.setdefault(snapshot["enterprise_id"], snapshot)
        known = self.backend.get_many(POOL, best)
        items = [{"enterprise_id": s["enterprise_id"], "enterprise_name": s.get("enterprise_name"), "industry": s.get("industry"),
                  "board": s["board"], "score": s["score"], "ready": s["ready"]}
                 for eid, s in best.items() if eid not in known]
        items.sort(key=lambda s: (not s["ready"], -s["score"], s["enterprise_name"] or ""))
        limit = args.get("limit", 20)
        return {"items": items[:limit], "total": len(items)}

    def dismiss(self, user: User, enterprise_id: str, reason: str | None = None) -> dict:
        require_staff(user, "dismiss suggestions for the reserve pool")
        enterprise = self.backend.get("enterprises", enterprise_id)
        if enterprise is None:
            raise NoSuchDocument(kind="enterprise", id=enterprise_id)
        if self.backend.get(POOL, enterprise_id) is not None:
            raise Conflict("the enterprise is in the pool or was dismissed already", fields={"enterprise_id": ["known to the pool"]})
        stamp = _stamp()
        stored = self.backend.create(POOL, {
            "enterprise_id": enterprise_id, "enterprise_name": enterprise["name"], "industry": enterprise.get("industry"),
            "target_board": "", "reason": reason or "", "status": "dismissed", "stage": "cultivation", "stage_rank": 0,
            "stage_on": clock.today().isoformat(), "dismissed_by": user.id, "created_at": stamp, "updated_at": stamp,
        }, doc_id=enterprise_id)
        self.emit("dismiss", enterprise_id, None, stored)
        return stored

    def _tell(self, entry: dict, user: User, message: str, message_zh: str) -> None:
        Notifications(self.backend).send(
            [f"enterprise:{entry['enterprise_id']}"], "pool_changed", subject_kind="pool_entry", subject_id=entry["id"],
            message=message, message_zh=message_zh, actor=user, data={"stage": entry["stage"], "status": entry["status"]})
