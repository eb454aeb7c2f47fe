"""Listing readiness over time: snapshots, and one board's answer with its history.

Snapshots live in the ``readiness`` index, one document per enterprise, board and change:
``{enterprise_id, board, at, score, ready, rules_year, latest, pipeline_stage,
enterprise_name, industry}``.  A snapshot is recorded when an enterprise is created and
whenever its score or ready state on a board moves: after a change over the API, an
import, or ``matchmaker readiness-snapshot`` (run it after changing the board rules).
Exactly one snapshot per enterprise and board has ``latest: true``; the reserve pool's
suggestions (``matchmaker.fund.pool``) and the statistics' ready-by-board search those.
When only what a snapshot shows of the enterprise changes (its name, industry or
pipeline stage) the latest snapshot is updated in place and history does not grow.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Iterable

from ..core.access import can_read_enterprise, require_user
from ..core.service import Service
from ..core.users import User
from ..clock import now, today
from ..core.language import localize
from ..errors import BoardRequired, Forbidden, NoSuchDocument, SnapshotsNotStored
from ..scoring.readiness import assess, summarize
from ..scoring.settings import ScoringSettings
from ..search import Query, SearchBackend, Terms
from ..search.base import new_id

INDEX = "readiness"
#: Enterprises per lookup of their latest snapshots (and per write of new ones).
BATCH = 500


#: Milestones that mean an application is with the regulator: approval (过会) or, under
#: registration, acceptance (受理) through registration (注册生效).
FILED_MILESTONES = ("application_filed", "approved", "application_accepted", "inquiry_answered", "committee_approved", "registered")


def is_listed(enterprise: dict) -> bool:
    """Listed on an exchange: a listing other than a NEEQ quotation (挂牌 is not 上市), or the
    ``listed`` flag when the enterprise has no listings on record."""
    listings = enterprise.get("listings")
    if listings:
        return any(isinstance(item, dict) and item.get("market") not in (None, "neeq") for item in listings)
    return bool(enterprise.get("listed"))


def pipeline_stage(enterprise: dict) -> str:
    """培育 cultivation → 股改 shareholding reform → 辅导 tutoring → 申报 filed → 上市 listed.

    The furthest step the enterprise has reached: listed (a NEEQ quotation is not a
    listing); an application filed (or approved, or under registration accepted through
    registered); tutoring filed or a sponsor engaged (the sponsor does the tutoring); the
    shareholding reform done; otherwise cultivation.
    """
    if is_listed(enterprise):
        return "listed"
    if any(enterprise.get(m) for m in FILED_MILESTONES):
        return "filed"
    if enterprise.get("tutoring_filed") or enterprise.get("sponsor_engaged"):
        return "tutoring"
    if enterprise.get("joint_stock"):
        return "shareholding_reform"
    return "cultivation"


def _now() -> str:
    return now().isoformat(timespec="microseconds")


def _shown(enterprise: dict) -> dict:
    """What the reserve pool shows of the enterprise, copied into its latest snapshots."""
    return {"enterprise_name": enterprise.get("name"), "industry": enterprise.get("industry"),
            "pipeline_stage": pipeline_stage(enterprise)}


def _scoring_key(rules) -> str:
    """What a rule set's score and ready state depend on: its criteria's kinds, figures and
    weights, and its milestone points (not their wording)."""
    def criterion(spec) -> list:
        return [spec.kind, spec.params, spec.weight, [[criterion(c) for c in o.criteria] for o in spec.options]]

    return json.dumps([[criterion(c) for c in rules.criteria], rules.milestones], sort_keys=True, default=str)


def _snapshot(enterprise: dict, board: str, rules, score: int, ready: bool, shown: dict, now: str) -> dict:
    """A new latest snapshot of the enterprise on a board."""
    return {"id": new_id(), "enterprise_id": enterprise["id"], "board": board, "at": now, "score": score,
            "ready": ready, "rules_year": rules.effective_year, "latest": True, **shown, "created_at": now, "updated_at": now}


class ReadinessTracker:
    """Records readiness snapshots for enterprises that were created or changed."""

    def __init__(self, backend: SearchBackend, settings: ScoringSettings):
        self.backend = backend
        self.settings = settings
        # boards whose rules score alike (the main and SME boards share the 2006 rules) are assessed once
        self._twin: dict[str, str] = {}
        first_by_key: dict = {}
        for board, rules in settings.boards.items():
            self._twin[board] = first_by_key.setdefault(_scoring_key(rules), board)

    def latest(self, enterprise_ids: Iterable[str]) -> dict[tuple[str, str], dict]:
        """(enterprise id, board) -> the latest snapshot."""
        ids = list(dict.fromkeys(enterprise_ids))
        found = {}
        for start in range(0, len(ids), BATCH):
            query = Query(filters=[Terms("enterprise_id", ids[start : start + BATCH]), Terms("latest", [True])])
            for snapshot in self.backend.scan(INDEX, query):
                found[(snapshot["enterprise_id"], snapshot["board"])] = snapshot
        return found

    def assess(self, enterprises: list[dict], as_of: date | None = None) -> dict[str, dict[str, tuple[int, bool]]]:
        """(score, ready) of each enterprise on each board, by enterprise id and board: the
        costly part of :meth:`record`, and a pure one (an import does it in its workers)."""
        as_of = as_of or today()
        scores = {}
        for enterprise in enterprises:
            assessed: dict[str, tuple[int, bool]] = {}
            for board, rules in self.settings.boards.items():
                twin = self._twin[board]
                if twin not in assessed:
                    assessed[twin] = summarize(enterprise, rules, as_of)
            scores[enterprise["id"]] = {board: assessed[self._twin[board]] for board in self.settings.boards}
        return scores

    def record(self, enterprises: list[dict], *, new: bool = False, as_of: date | None = None,
               assessed: dict[str, dict[str, tuple[int, bool]]] | None = None) -> int:
        """Snapshot each enterprise on each board where its score or ready state moved.

        ``new``: the enterprises were just created, so there is nothing to compare with
        (spares a lookup during a bulk import); ``assessed``: what :meth:`assess` gave for
        them on ``as_of``, if done ahead.  Returns how many snapshots were added.
        """
        if not enterprises:
            return 0
        if new:
            snapshots = self.first_snapshots(enterprises, as_of=as_of, assessed=assessed)
            self.write(snapshots)
            return len(snapshots)
        latest = self.latest(e["id"] for e in enterprises)
        now = _now()
        scores = self._scores(enterprises, as_of, assessed)
        writes, added = [], 0
        for enterprise in enterprises:
            shown = _shown(enterprise)
            for board, rules in self.settings.boards.items():
                score, ready = scores[enterprise["id"]][board]
                before = latest.get((enterprise["id"], board))
                if before is not None and before["score"] == score and before["ready"] == ready:
                    current = {**shown, "rules_year": rules.effective_year}
                    if any(before.get(k) != v for k, v in current.items()):
                        writes.append({**before, **current, "updated_at": now})
                    continue
                if before is not None:
                    writes.append({**before, "latest": False, "updated_at": now})
                writes.append(_snapshot(enterprise, board, rules, score, ready, shown, now))
                added += 1
        self.write(writes)
        return added

    def first_snapshots(self, enterprises: list[dict], *, as_of: date | None = None,
                        assessed: dict[str, dict[str, tuple[int, bool]]] | None = None) -> list[dict]:
        """The snapshots :meth:`record` writes for enterprises just created (``new``): one
        on each board, the latest.  Reads nothing stored, so an import makes them in its
        workers and the parent only writes them (:meth:`write`)."""
        scores = self._scores(enterprises, as_of, assessed)
        now = _now()
        snapshots = []
        for enterprise in enterprises:
            shown = _shown(enterprise)
            for board, rules in self.settings.boards.items():
                snapshots.append(_snapshot(enterprise, board, rules, *scores[enterprise["id"]][board], shown, now))
        return snapshots

    def _scores(self, enterprises: list[dict], as_of: date | None, assessed: dict | None) -> dict:
        missing = [e for e in enterprises if assessed is None or e["id"] not in assessed]
        return {**(assessed or {}), **self.assess(missing, as_of)} if missing else assessed

    def write(self, snapshots: list[dict], prepared: list | None = None) -> None:
        """Store snapshots, ``prepared`` being what the backend's ``prepare_bulk`` made of
        them ahead, if it did."""
        for start in range(0, len(snapshots), BATCH):
            ahead = prepared[start : start + BATCH] if prepared is not None else None
            result = self.backend.bulk_upsert(INDEX, snapshots[start : start + BATCH], ahead)
            if result.errors:
                raise SnapshotsNotStored(reason=result.errors[0].message)

    def forget(self, enterprise_id: str) -> int:
        """Delete every snapshot of an enterprise (it is being deleted)."""
        ids = [s["id"] for s in self.backend.scan(INDEX, Query(filters=[Terms("enterprise_id", [enterprise_id])]))]
        for snapshot_id in ids:
            self.backend.delete(INDEX, snapshot_id)
        return len(ids)

    def record_all(self, progress=None) -> tuple[int, int]:
        """Snapshot every enterprise whose readiness moved (after the rules changed, or time
        passed); returns (enterprises looked at, snapshots added)."""
        seen = added = 0
        batch: list[dict] = []
        total = self.backend.count("enterprises")
        for enterprise in self.backend.scan("enterprises"):
            batch.append(enterprise)
            if len(batch) >= BATCH:
                added += self.record(batch)
                seen += len(batch)
                batch = []
                if progress:
                    progress(seen, total)
        added += self.record(batch)
        seen += len(batch)
        if progress:
            progress(seen, total)
        return seen, added


class ReadinessService(Service):
    """What the API answers: one enterprise on one board, and the reserve pool."""

    index, label = INDEX, "readiness"

    def __init__(self, backend: SearchBackend, settings: ScoringSettings):
        super().__init__(backend)
        self.settings = settings

    def board_rules(self, board: str | None, as_of: date | None = None):
        """The board's rule set in force on ``as_of`` (default: today's); 422 for an unknown
        board or one not in force then (the SME board after 2021-04-06)."""
        if not board or board not in self.settings.known_boards:
            known = ", ".join(self.settings.known_boards)
            problem = "required" if not board else f"unknown board {board!r}"
            raise BoardRequired(boards=known, fields={"board": [f"{problem}; one of: {known}"]})
        if as_of is None:
            rules = self.settings.board(board)
            return rules if rules is not None else self.settings.board_on(board, today())
        return self.settings.board_on(board, as_of)

    def history(self, enterprise_id: str, board: str) -> list[dict]:
        query = Query(filters=[Terms("enterprise_id", [enterprise_id]), Terms("board", [board])])
        snapshots = sorted(self.backend.scan(INDEX, query), key=lambda s: (s["at"], s["id"]))
        return [{"at": s["at"], "score": s["score"], "ready": s["ready"], "rules_year": s.get("rules_year")} for s in snapshots]

    def readiness(self, user: User, enterprise_id: str, board: str | None, language: str = "en",
                  as_of: date | None = None) -> dict:
        """The enterprise against the board's rules in force on ``as_of`` (default today), with the
        fiscal years closed by then, and its history: the owner and staff only."""
        user = require_user(user)
        enterprise = self.backend.get("enterprises", enterprise_id)
        if enterprise is None:
            raise NoSuchDocument(kind="enterprise", id=enterprise_id)
        if not can_read_enterprise(user, enterprise_id):
            raise Forbidden("only the enterprise itself and zone staff see its listing readiness")
        day = as_of or today()
        rules = self.board_rules(board, day)
        answer = assess(enterprise, rules, day).to_dict()
        answer["board_name"] = dict(rules.name)
        answer["pipeline_stage"] = pipeline_stage(enterprise)
        answer["history"] = self.history(enterprise_id, rules.board)
        return localize(answer, language)


# -- the hooks document services call -------------------------------------------------------
def readiness_tracker(backend: SearchBackend) -> ReadinessTracker:
    """The tracker of the current app's rules."""
    from ..scoring.settings import get_settings

    return ReadinessTracker(backend, get_settings())


def track_readiness(backend: SearchBackend, enterprises: list[dict], *, new: bool = False) -> int:
    """Snapshot enterprises that were created or changed, with the current app's rules."""
    return readiness_tracker(backend).record(enterprises, new=new)


def forget_readiness(backend: SearchBackend, enterprise_id: str) -> int:
    return readiness_tracker(backend).forget(enterprise_id)
