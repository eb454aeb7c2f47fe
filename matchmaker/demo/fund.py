"""The special fund and the listing reserve pool of the demo: the zone in mid-2012.

The plan sets aside 200 million yuan in 2012 "for enterprise financing among other
uses"; the demo takes the finance share as **50 million yuan** (a quarter of it: the rest
goes to incubators, R&D institutions and talent, outside this service) and splits it
over the five programmes of DOMAIN.md: interest subsidy 15 M, guarantee-fee subsidy 8 M,
risk-compensation pool 12 M, listing awards 10 M, angel co-investment 5 M.

The pool holds the three dozen firms most ready on the main, SME or ChiNext board
(NEEQ only opened to the zone in August 2012), each at the stage its milestones show,
with dates and intermediaries from 2011–2012; two have left it.  Grants, in every state,
go to the pool's stages (listing awards) and to the funded deals of the brokering demo
(subsidies, risk pool, co-investment), approved within each budget and cap.

Deterministic (``random.Random(2012)``), with fixed ids (``demo-programme-<kind>``,
``demo-grant-NNN``; a pool entry's id is its enterprise's), so seeding again leaves one
copy.  A deal's loan date is its meeting's, when that falls in 2012; otherwise (the
brokering demo dates meetings from the real day of seeding) a day of spring 2012.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from ..core.calendar import ZONE_TIME, parse_time, utc_iso
from ..readiness.service import INDEX as READINESS, pipeline_stage
from ..search import Query, SearchBackend, Terms
from ..fund.grants import COMMITTED, GRANTS, grant_doc, stepped
from ..fund.pool import POOL
from ..fund.programmes import PROGRAMMES
from ..fund.rules import DEFAULT_TERM_MONTHS, POOL_STAGES, Loan, calculate

SEED = 2012
YEAR = 2012
TODAY = date(2012, 6, 30)
STAFF_ID = "staff"
FINANCE_SHARE = 50_000_000
BOARDS = ("main", "sme", "chinext")
POOL_SIZE = 36
#: Staff have recorded further steps for the three most ready: two applications filed with
#: the CSRC, one under review (the plan's two listings of 2012 would come from these).
ADVANCED = {0: "review", 1: "filed", 2: "filed"}

PROGRAMMES_2012 = [
    {"kind": "interest_subsidy", "name": "科技型中小企业贷款贴息", "name_en": "Interest subsidy for tech SME loans",
     "budget": 15_000_000, "rules": {"rate": 0.5, "cap_per_enterprise": 500_000, "instruments": ["debt"],
                                     "institution_types": ["bank", "microcredit"]},
     "description": "按人民银行同期贷款基准利率计算利息的50%给予贴息，每户每年不超过50万元。"},
    {"kind": "fee_subsidy", "name": "融资担保费补贴", "name_en": "Guarantee-fee subsidy", "budget": 8_000_000,
     "rules": {"rate": 0.02, "cap_per_enterprise": 300_000, "instruments": ["guarantee"], "institution_types": ["guarantee"]},
     "description": "按担保额每年2个百分点给予担保费补贴，每户每年不超过30万元。"},
    {"kind": "risk_pool", "name": "科技型中小企业信贷风险补偿资金池", "name_en": "Risk-compensation pool for tech SME loans",
     "budget": 12_000_000, "rules": {"cap_per_enterprise": 2_000_000, "instruments": ["debt", "guarantee"],
                                     "institution_types": ["bank", "guarantee", "microcredit"]},
     "description": "对合作银行、担保机构向入库科技型中小企业发放贷款形成的损失给予部分补偿。"},
    {"kind": "listing_award", "name": "企业上市奖励", "name_en": "Listing awards", "budget": 10_000_000,
     "rules": {"amounts_by_stage": {"shareholding_reform": 300_000, "tutoring": 500_000, "filed": 1_000_000,
                                    "listed": 2_000_000}},
     "description": "完成股改、辅导备案、申报受理、上市分阶段给予奖励。"},
    {"kind": "angel_coinvest", "name": "天使投资跟投", "name_en": "Angel co-investment", "budget": 5_000_000,
     "rules": {"cap_per_enterprise": 1_000_000, "instruments": ["equity"], "institution_types": ["angel", "venture_capital"]},
     "description": "对筑巢计划企业获得的天使投资按一定比例跟投。"},
]
SPONSORS = ("渤海证券", "国信证券", "中信建投证券", "广发证券", "平安证券")
ACCOUNTANTS = ("中审华寅五洲会计师事务所", "立信会计师事务所", "天健会计师事务所", "信永中和会计师事务所")
LAWYERS = ("天津金诺律师事务所", "北京市君合律师事务所", "国浩律师（天津）事务所")
REASONS = ("营业收入连续三年增长，已完成股改筹备", "高新技术企业，细分行业龙头", "拟在创业板上市，已接洽保荐机构",
           "科技小巨人企业，盈利能力稳定", "园区重点培育企业")


def _stamp(day: date, hour: int = 10) -> str:
    return utc_iso(datetime.combine(day, time(hour), tzinfo=ZONE_TIME))


def seed_fund(backend: SearchBackend) -> dict[str, int]:
    """Programmes, pool entries and grants of the demo; what exists already is kept."""
    rng = random.Random(SEED)
    programmes = _programmes(backend)
    entries = _pool(backend, rng)
    grants = _grants(backend, rng, programmes, entries)
    _totals(backend, programmes)
    return {"programmes": len(programmes), "pool": len(entries), "grants": len(grants)}


def _fresh(backend: SearchBackend, index: str, docs: list[dict]) -> None:
    new = [d for d in docs if backend.get(index, d["id"]) is None]
    if new:
        backend.bulk_upsert(index, new)


def _programmes(backend: SearchBackend) -> dict[str, dict]:
    stamp = _stamp(date(2012, 1, 16))
    docs = [{**spec, "id": f"demo-programme-{spec['kind']}", "year": YEAR, "committed": 0, "paid": 0,
             "created_at": stamp, "updated_at": stamp} for spec in PROGRAMMES_2012]
    assert sum(d["budget"] for d in docs) == FINANCE_SHARE
    _fresh(backend, PROGRAMMES, docs)
    return {d["kind"]: backend.get(PROGRAMMES, d["id"]) for d in docs}


def _pool(backend: SearchBackend, rng: random.Random) -> list[dict]:
    """The firms most ready on a listing board, at the stage their milestones show."""
    query = Query(filters=[Terms("latest", [True]), Terms("board", BOARDS)])
    best: dict[str, dict] = {}
    for snapshot in sorted(backend.scan(READINESS, query), key=lambda s: (-s["score"], s["enterprise_id"], s["board"])):
        best.setdefault(snapshot["enterprise_id"], snapshot)
    ranked = list(best.values())
    enterprises = backend.get_many("enterprises", [s["enterprise_id"] for s in ranked])
    ranked = [s for s in ranked if s["enterprise_id"] in enterprises]
    # the most ready two thirds, and a third still in cultivation
    cultivating = [s for s in ranked if pipeline_stage(enterprises[s["enterprise_id"]]) == "cultivation"]
    chosen = ranked[: POOL_SIZE * 2 // 3]
    chosen += [s for s in cultivating if s not in chosen][: POOL_SIZE - len(chosen)]
    docs = [_entry(rng, enterprises[s["enterprise_id"]], s["board"], number, advanced=ADVANCED.get(number))
            for number, s in enumerate(chosen)]
    _fresh(backend, POOL, docs)
    return [backend.get(POOL, d["id"]) for d in docs]


def _entry(rng: random.Random, enterprise: dict, board: str, number: int, advanced: str | None = None) -> dict:
    reached = POOL_STAGES.index(advanced or pipeline_stage(enterprise))
    entered = date(2011, 3, 1) + timedelta(days=rng.randint(0, 300))
    days = sorted(rng.sample(range(1, (TODAY - entered).days), reached)) if reached else []
    stages = [{"stage": "cultivation", "on": entered.isoformat(), "by": STAFF_ID, "at": _stamp(entered)}]
    for stage, offset in zip(POOL_STAGES[1 : reached + 1], days):
        on = entered + timedelta(days=offset)
        stages.append({"stage": stage, "on": on.isoformat(), "by": STAFF_ID, "at": _stamp(on)})
    intermediaries = {}
    if reached >= 1:
        reform = date.fromisoformat(stages[1]["on"])
        intermediaries["accountant"] = {"name": rng.choice(ACCOUNTANTS), "engaged_on": (reform - timedelta(days=60)).isoformat()}
        intermediaries["lawyer"] = {"name": rng.choice(LAWYERS), "engaged_on": (reform - timedelta(days=45)).isoformat()}
    if reached >= 2:
        tutoring = date.fromisoformat(stages[2]["on"])
        intermediaries["sponsor"] = {"name": rng.choice(SPONSORS), "engaged_on": (tutoring - timedelta(days=30)).isoformat()}
    last = stages[-1]
    doc = {
        "id": enterprise["id"], "enterprise_id": enterprise["id"], "enterprise_name": enterprise["name"],
        "industry": enterprise.get("industry"), "target_board": board, "reason": rng.choice(REASONS), "status": "active",
        "stage": last["stage"], "stage_rank": reached, "stage_on": last["on"], "stages": stages,
        "intermediaries": intermediaries, "entered_on": entered.isoformat(), "entered_by": STAFF_ID,
        "created_at": _stamp(entered), "updated_at": last["at"],
    }
    if number in (POOL_SIZE - 3, POOL_SIZE - 1):  # two firms left the pool
        doc.update(status="exited", exited_on="2012-05-20", exited_by=STAFF_ID,
                   exit_reason=("迁出园区 moved out of the zone" if number == POOL_SIZE - 1 else "企业暂缓上市计划 listing plan postponed"))
    return doc


def _loan_day(meeting: dict, number: int) -> date:
    day = parse_time(meeting["starts_at"]).astimezone(ZONE_TIME).date()
    return day if day.year == YEAR else date(2012, 3, 1) + timedelta(days=(7 * number) % 110)


def _grants(backend: SearchBackend, rng: random.Random, programmes: dict[str, dict], entries: list[dict]) -> list[dict]:
    """Grants in each state, approved only within the budget and the cap."""
    held: dict[tuple[str, str], int] = {}
    committed = {kind: 0 for kind in programmes}
    docs: list[dict] = []

    def add(kind: str, enterprise: dict, tie: dict, calc, applied_on: date, amount: int | None = None, reject: str | None = None):
        programme = programmes[kind]
        amount = amount if amount is not None else calc.allowed
        if not amount or amount <= 0:
            return
        doc = grant_doc(programme, enterprise, tie, calc.to_dict(), amount, by=STAFF_ID, stamp=_stamp(applied_on),
                        stage=tie.get("stage"))
        roll = len(docs) % 4
        if reject:
            doc = stepped(doc, "rejected", by=STAFF_ID, stamp=_stamp(applied_on + timedelta(days=12)), reason=reject)
        elif roll and applied_on + timedelta(days=15) <= TODAY:
            key = (kind, enterprise["id"])
            cap = (programme.get("rules") or {}).get("cap_per_enterprise")
            if committed[kind] + amount <= programme["budget"] and (cap is None or held.get(key, 0) + amount <= cap):
                doc = stepped(doc, "approved", by=STAFF_ID, stamp=_stamp(applied_on + timedelta(days=10)))
                committed[kind] += amount
                held[key] = held.get(key, 0) + amount
                if roll >= 2 and applied_on + timedelta(days=40) <= TODAY:
                    doc = stepped(doc, "paid", by=STAFF_ID, stamp=_stamp(applied_on + timedelta(days=35)))
        docs.append({**doc, "id": f"demo-grant-{len(docs) + 1:03d}"})

    enterprises = backend.get_many("enterprises", [e["enterprise_id"] for e in entries])
    for entry in entries:
        if entry["status"] != "active":
            continue
        for step in entry["stages"][1:]:  # the 2012 programme pays for stages reached in 2012
            if step["on"] >= f"{YEAR}-01-01" and step["stage"] in programmes["listing_award"]["rules"]["amounts_by_stage"]:
                on = min(TODAY, date.fromisoformat(step["on"]) + timedelta(days=20))
                calc = calculate(programmes["listing_award"], stage=step["stage"])
                add("listing_award", enterprises[entry["enterprise_id"]], {"stage": step["stage"]}, calc, on)

    deals = sorted(backend.scan("meetings", Query(filters=[Terms("outcome", ["funded"])])), key=lambda m: m["id"])
    for number, meeting in enumerate(deals):
        enterprise = backend.get("enterprises", meeting["enterprise_id"])
        if enterprise is None:
            continue
        need = backend.get("needs", meeting["need_id"]) or {}
        day = _loan_day(meeting, number)
        loan = Loan(amount=int(meeting.get("amount") or 0), term_months=int(need.get("term_months") or DEFAULT_TERM_MONTHS),
                    on=day, instrument=meeting.get("instrument"), term_assumed=not need.get("term_months"))
        tie = {"meeting_id": meeting["id"], "need_id": meeting["need_id"], "institution_id": meeting["institution_id"],
               "institution_name": meeting.get("institution_name")}
        applied_on = min(TODAY, day + timedelta(days=14))
        for kind in ("interest_subsidy", "fee_subsidy", "angel_coinvest", "risk_pool"):
            rules = programmes[kind]["rules"]
            if loan.instrument not in rules.get("instruments", []) or meeting.get("institution_type") not in rules.get("institution_types", []):
                continue
            calc = calculate(programmes[kind], loan=loan, already=held.get((kind, enterprise["id"]), 0))
            if kind == "angel_coinvest":
                add(kind, enterprise, tie, calc, applied_on, amount=min(calc.allowed or 0, int(round(loan.amount * 0.2, -4))))
            elif kind == "risk_pool":
                if rng.random() < 0.3:  # a loss on a few loans: the zone covers part of it
                    add(kind, enterprise, tie, calc, min(TODAY, applied_on + timedelta(days=30)),
                        amount=min(calc.allowed or 0, int(round(loan.amount * 0.3, -4))))
            else:
                reject = "贷款用途与申报不符 the loan was not used as declared" if number % 9 == 4 else None
                add(kind, enterprise, tie, calc, applied_on, reject=reject)
    _fresh(backend, GRANTS, docs)
    return docs


def _totals(backend: SearchBackend, programmes: dict[str, dict]) -> None:
    """The programmes' running totals, from their grants."""
    for programme in programmes.values():
        grants = list(backend.scan(GRANTS, Query(filters=[Terms("programme_id", [programme["id"]]), Terms("status", COMMITTED)])))
        committed = sum(g["amount"] for g in grants)
        paid = sum(g["amount"] for g in grants if g["status"] == "paid")
        current = backend.get(PROGRAMMES, programme["id"])
        if (current.get("committed"), current.get("paid")) != (committed, paid):
            backend.replace(PROGRAMMES, programme["id"], {**current, "committed": committed, "paid": paid})
