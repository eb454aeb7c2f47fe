"""What a need keeps of its way through brokering (``need["brokering"]``).

The facts are written as things happen: the first institution answer (and whether it came
before the response deadline), the first interest, the first meeting held, the funding.
Each is set once, so a need counts once in every stage of the funnel however many
institutions answer or meet; only ``funded_amount`` follows the sum of funded outcomes.
Statistics and the waiting list then filter and count needs in the search engine.

Each write is a read-modify-write of the need in one transaction (``SearchBackend.update``),
so an enterprise editing its need at the same moment loses nothing, and neither do the facts.
"""
from __future__ import annotations

from typing import Callable

from ..errors import NotFound
from ..search import SearchBackend

NEEDS = "needs"


def update_facts(backend: SearchBackend, need_id: str, change: Callable[[dict, dict], dict]) -> dict | None:
    """Apply ``change(need, facts) -> new facts`` to the need; the stored need, or None if gone."""

    def mutate(need: dict) -> dict | None:
        facts = dict(need.get("brokering") or {})
        new = change(need, dict(facts))
        return None if new == facts else {**need, "brokering": new}

    try:
        return backend.update(NEEDS, need_id, mutate)
    except NotFound:
        return None


def mark(backend: SearchBackend, need_id: str, first: dict | None = None, always: dict | None = None) -> dict | None:
    """Set each of ``first`` unless already set, and each of ``always``; None values clear."""

    def change(need: dict, facts: dict) -> dict:
        for key, value in (first or {}).items():
            if facts.get(key) is None:
                facts[key] = value
        facts.update(always or {})
        return {k: v for k, v in facts.items() if v is not None}

    return update_facts(backend, need_id, change)


def record_answer(backend: SearchBackend, need_id: str, at: str, in_time: bool, interested: bool) -> dict | None:
    """An institution answered the need (interest, decline, or an answer to a meeting)."""
    first = {"first_response_at": at}
    if interested:
        first["interested_at"] = at

    def change(need: dict, facts: dict) -> dict:
        if facts.get("first_response_at") is None:
            facts["answered_in_time"] = in_time
        for key, value in first.items():
            if facts.get(key) is None:
                facts[key] = value
        return facts

    return update_facts(backend, need_id, change)


def facts_from_records(need: dict, interests: list[dict], meetings: list[dict], working_days: int) -> dict:
    """A need's brokering facts worked out again from its answers and meetings."""
    from ..core.calendar import answered_in_time

    answers = [i["created_at"] for i in interests]
    answers += [m["institution_answered_at"] for m in meetings if m.get("institution_answered_at")]
    interested = [i["responded_at"] for i in interests if i["response"] == "interested"]
    interested += [m["institution_answered_at"] for m in meetings
                   if m.get("institution_answer") == "confirmed" and m.get("institution_answered_at")]
    held = [m["held_at"] for m in meetings if m.get("held_at")]
    interested += held
    met = [m["starts_at"] for m in meetings if m.get("held_at")]  # the meeting's time, not when it was recorded
    funded = [m for m in meetings if m.get("outcome") == "funded"]
    facts = {}
    if answers:
        first = min(answers)
        published = need.get("published_at") or need["created_at"]
        facts.update(first_response_at=first, answered_in_time=answered_in_time(published, first, working_days))
    if interested:
        facts["interested_at"] = min(interested)
    if held:
        facts["meeting_held_at"] = min(met)
    if funded:
        facts["funded_at"] = min(m["outcome_at"] for m in funded)
        facts["funded_amount"] = sum(m["amount"] for m in funded)
    notified = (need.get("brokering") or {}).get("deadline_notified_at")
    if notified:
        facts["deadline_notified_at"] = notified
    return facts


def rebuild(backend: SearchBackend, working_days: int, need_ids: list[str] | None = None) -> int:
    """Work every need's facts out again from the answers and meetings (after an import that
    replaced needs without their ``brokering``); returns how many needs changed."""
    from ..search import Query

    wanted = set(need_ids) if need_ids is not None else None
    by_need: dict[str, tuple[list, list]] = {}
    for index, slot in (("interests", 0), ("meetings", 1)):
        for doc in backend.scan(index, Query()):
            if wanted is None or doc["need_id"] in wanted:
                by_need.setdefault(doc["need_id"], ([], []))[slot].append(doc)
    targets = wanted if wanted is not None else set(by_need)
    changed = []
    for need in backend.get_many(NEEDS, sorted(targets)).values():
        interests, meetings = by_need.get(need["id"], ([], []))
        facts = facts_from_records(need, interests, meetings, working_days)
        if facts != (need.get("brokering") or {}):
            changed.append({**{k: v for k, v in need.items() if k != "version"}, "brokering": facts})
    for start in range(0, len(changed), 500):
        backend.bulk_upsert(NEEDS, changed[start:start + 500])
    return len(changed)
