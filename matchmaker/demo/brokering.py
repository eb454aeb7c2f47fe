"""A brokering history for the demo data: answers, meetings and outcomes that fit each
need's status, so the dashboard, feeds and waiting list have something to show.

Deterministic (``random.Random(2012)``) apart from being placed relative to the day of
seeding: demo needs are published over the preceding ~six months, answers follow within
days, meetings are held in the past or confirmed for the coming days.  Records have fixed
ids (an answer's drawn from the seeded random numbers, telling nothing of its need or
institution; meetings ``demo-meeting-N``), so seeding again leaves one copy; the needs' facts are then worked
out again from the records (an import replaces the needs without them).

- open needs: about half get one to three answers (mostly in time, a few declined), some
  a proposed meeting;
- in_talks: an interested institution and a confirmed or held meeting (follow-up, term sheet);
  a third of the confirmed ones took place in the last days and wait for staff to record them;
- funded: an interested institution, a held meeting and a funded outcome;
- closed: a held meeting that led nowhere.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from ..meetings.service import meeting_doc
from ..search import Query, SearchBackend
from ..core.calendar import ZONE_TIME, is_working_day, local_month, now_utc, utc_iso
from ..brokering.facts import rebuild
from ..brokering.interests import interest_doc

SEED = 2012
STAFF_ID = "staff"  # the demo staff account
#: Needs are published over this many days before the day of seeding (the demo's 2012
#: dashboard then shows every month from January to June).
DAYS_BACK = 175
LOCATIONS = ("滨海高新区管委会 科技金融服务中心 301", "华苑产业区 海泰发展六道6号 路演厅", "机构办公室 Institution office")


def _fits(institution: dict, need: dict) -> bool:
    return need["instrument"] in institution["instruments"] and institution["ticket_min"] <= need["amount"] <= institution["ticket_max"]


def seed_history(backend: SearchBackend, working_days: int = 3, now: datetime | None = None) -> dict[str, int]:
    rng = random.Random(SEED)
    ids = random.Random(SEED + 1)  # apart, so that the history drawn from ``rng`` is what it was
    now = now or now_utc()
    institutions = sorted(backend.scan("institutions", Query()), key=lambda d: d["id"])
    needs = sorted(backend.scan("needs", Query()), key=lambda d: d["id"])
    if not institutions or not needs:
        return {"interests": 0, "meetings": 0, "needs": 0}
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    interests, meetings, touched = [], [], []
    confirmed = 0

    def book(need: dict, institution: dict, after: datetime) -> tuple[datetime, datetime]:
        """The first free 90-minute slot (10:00, 14:00 or 16:00 zone time, working days) for both."""
        day = after.astimezone(ZONE_TIME).date() + timedelta(days=1)
        while True:
            if is_working_day(day):
                for hour in (10, 14, 16):
                    starts = datetime.combine(day, time(hour), tzinfo=ZONE_TIME)
                    ends = starts + timedelta(minutes=90)
                    parties = (f"e:{need['enterprise_id']}", f"i:{institution['id']}")
                    if all(not (s < ends and e > starts) for p in parties for s, e in busy.get(p, [])):
                        for p in parties:
                            busy.setdefault(p, []).append((starts, ends))
                        return starts, ends
            day += timedelta(days=1)

    def answer(need, institution, published, in_time=True, response="interested"):
        delay = timedelta(hours=rng.randint(2, 40)) if in_time else timedelta(days=rng.randint(6, 12))
        at = min(published + delay, now - timedelta(hours=1))
        fields = {"response": response, "responded_at": utc_iso(at), "responded_by": f"demo-{institution['id']}"}
        if response == "declined":
            fields.update(reason=rng.choice(["amount_out_of_range", "stage_not_fit", "risk_too_high", "no_capacity"]))
        else:
            fields["note"] = "希望进一步了解公司经营情况 We would like to learn more."
        doc = interest_doc(need, institution, fields, utc_iso(at), working_days)
        interests.append({**doc, "id": f"{ids.getrandbits(120):030x}"})  # fixed by the seed, telling nothing
        return at

    def meeting(need, institution, after, state, outcome=None):
        starts, ends = book(need, institution, after)
        doc = meeting_doc(need, institution, utc_iso(starts), utc_iso(ends), proposed_by=STAFF_ID,
                          stamp=utc_iso(after), location=rng.choice(LOCATIONS))
        if state in ("confirmed", "held"):
            for side, hours in (("enterprise", 3), ("institution", 5)):
                doc.update({f"{side}_answer": "confirmed", f"{side}_answered_at": utc_iso(after + timedelta(hours=hours)),
                            f"{side}_answered_by": f"demo-{side}"})
            doc["status"] = "confirmed"
        if state == "held":
            doc.update(status="held", held_at=utc_iso(ends + timedelta(hours=2)), held_by=STAFF_ID)
            if outcome:
                doc.update(outcome=outcome, outcome_at=utc_iso(ends + timedelta(days=2)), outcome_by=STAFF_ID)
                if outcome == "funded":
                    doc.update(amount=max(100_000, int(round(need["amount"] * rng.uniform(0.6, 1.0), -5))), instrument=need["instrument"])
        meetings.append({**doc, "id": f"demo-meeting-{len(meetings) + 1:04d}"})

    for need in needs:
        if need["status"] in ("draft", "withdrawn"):
            continue
        # published over the last ~six months; held meetings need room before today
        days_back = rng.randint(35, DAYS_BACK) if need["status"] in ("funded", "closed", "in_talks") else rng.randint(1, DAYS_BACK)
        published = (now - timedelta(days=days_back, hours=rng.randint(0, 9))).replace(microsecond=0)
        need["published_at"] = utc_iso(published)
        need["published_month"] = local_month(published)
        touched.append(need)
        fitting = [i for i in institutions if _fits(i, need)] or institutions
        status = need["status"]
        if status == "open":
            if days_back < 2 or rng.random() < 0.45:
                continue
            chosen = rng.sample(fitting, k=min(len(fitting), rng.randint(1, 3)))
            for position, institution in enumerate(chosen):
                declined = rng.random() < (0.4 if position else 0.12)
                at = answer(need, institution, published, in_time=rng.random() < 0.75, response="declined" if declined else "interested")
                if position == 0 and not declined and rng.random() < 0.15:
                    meeting(need, institution, max(at, now - timedelta(days=1)), "proposed")
            continue
        institution = rng.choice(fitting)
        at = answer(need, institution, published, in_time=rng.random() < 0.85)
        if status == "in_talks":
            held = rng.random() < 0.5
            if not held:
                confirmed += 1
            # every third confirmed meeting took place in the last days and waits to be recorded as held
            after = at if held else (now - timedelta(days=4) if confirmed % 3 == 1 else now)
            meeting(need, institution, after, "held" if held else "confirmed",
                    outcome=rng.choice(["follow_up", "term_sheet"]) if held else None)
        elif status == "funded":
            meeting(need, institution, at, "held", outcome="funded")
        elif status == "closed":
            meeting(need, institution, at, "held", outcome=rng.choice(["no_further_contact", "declined"]))

    for start in range(0, len(touched), 500):
        backend.bulk_upsert("needs", [{k: v for k, v in n.items() if k != "version"} for n in touched[start:start + 500]])
    for index, docs in (("interests", interests), ("meetings", meetings)):
        fresh = [d for d in docs if backend.get(index, d["id"]) is None]  # seeding again keeps the first copy
        for start in range(0, len(fresh), 500):
            backend.bulk_upsert(index, fresh[start:start + 500])
    rebuild(backend, working_days, [n["id"] for n in touched])
    return {"interests": len(interests), "meetings": len(meetings), "needs": len(touched)}
