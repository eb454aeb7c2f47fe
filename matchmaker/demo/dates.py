"""The demo's dated events: the zone as of 30 June 2012 (DOMAIN.md "The demo's date").

``matchmaker.demo`` draws the enterprises; this gives them the dates the zone's targets
count (DOMAIN.md "The zone's 2012 targets"), from a random generator of its own so the
rest of the data stays as it was:

- registration in the zone: about 300 in the first half of 2012 and 250 in 2011 (the
  plan's 1,000 new SMEs a year, half-way through 2012), the others between founding and 2010;
  newcomers lean young, and about 7% of them hold 20 million yuan or more of capital;
- 国家级高新技术企业 certificates (three years valid): about one firm in six holds one in
  force, more among the larger; the first 2012 batch (April) adds a dozen; a few claims
  wait for staff verification; some older certificates have lapsed;
- 科技小巨人 (Tianjin: revenue of 100 million yuan or more): 35 among the firms that qualify,
  14 of them in the 2012 batch (May);
- listings: one on the SME board (2011), one on ChiNext (April 2012); no NEEQ quotation
  (the NEEQ opened to the Binhai zone only in August 2012);
- per financial year: head count, patent applications and invention patents granted;
- institutions: the date each entered institution came into the zone (six in 2012).
"""
from __future__ import annotations

import random
from datetime import date, timedelta

SEED = 20120630
REFERENCE_DATE = date(2012, 6, 30)
NEW_IN_2012 = 300
NEW_IN_2011 = 250
EXCEL_REVENUE = 100_000_000
BIG_CAPITAL = 20_000_000
LITTLE_GIANTS = 35
LITTLE_GIANTS_2012 = 14
HIGH_TECH_2012 = 12
HIGH_TECH_PENDING = 6
#: Probability of a high-tech certificate by stage (national shares among tech SMEs are low;
#: larger firms with R&D staff and IP qualify more often).
HIGH_TECH_SHARE = {"seed": 0.0, "startup": 0.05, "growth": 0.2, "expansion": 0.4, "pre_ipo": 0.7}
BATCH_2012_HIGH_TECH = date(2012, 4, 26)
BATCH_2012_LITTLE_GIANT = date(2012, 5, 18)
#: Earlier batches: high-tech certificates (Tianjin's batches of the late year) and little giants.
HIGH_TECH_BATCHES = [date(2008, 12, 10), date(2009, 11, 20), date(2010, 11, 25), date(2011, 10, 28)]
LITTLE_GIANT_BATCHES = [date(2010, 6, 8), date(2011, 5, 20)]
LISTINGS = [("sme", date(2011, 9, 16), "002625"), ("chinext", date(2012, 4, 18), "300316")]
#: Institutions that entered in 2012, by their number in ``matchmaker.demo.INSTITUTIONS``'s
#: entered ones (the others entered 2009–2011).
ENTERED_2012 = 6
CLAIM_SENTENCES = ("已获得国家级高新技术企业认定。", "入选滨海高新区科技小巨人企业。")


def date_events(institutions: list[dict], enterprises: list[dict]) -> None:
    """Give the demo documents their dated events (in place)."""
    rng = random.Random(SEED)
    _institutions_entered(rng, institutions)
    _zone_registration(rng, enterprises)
    giants = _little_giants(rng, enterprises)
    _high_tech(rng, enterprises, giants)
    _listings(enterprises)
    for enterprise in enterprises:
        _yearly_figures(rng, enterprise)
        enterprise.pop("high_tech_certified", None)
        enterprise.pop("little_giant", None)
        _describe_designations(enterprise)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _institutions_entered(rng: random.Random, institutions: list[dict]) -> None:
    entered = [i for i in institutions if i["status"] == "entered"]
    for position, institution in enumerate(entered):
        if position < ENTERED_2012:
            institution["entered_on"] = _day_between(rng, date(2012, 1, 9), REFERENCE_DATE - timedelta(days=10)).isoformat()
        else:
            institution["entered_on"] = _day_between(rng, date(2009, 3, 1), date(2011, 12, 20)).isoformat()


def _zone_registration(rng: random.Random, enterprises: list[dict]) -> None:
    """Newcomers of 2011–2012 lean young (later founding first); the firms with 20 million
    yuan of capital or more come in at the plan's share (70 of 1,000)."""
    big = [e for e in enterprises if e["registered_capital"] >= BIG_CAPITAL]
    small = [e for e in enterprises if e["registered_capital"] < BIG_CAPITAL]
    share = len(big) / max(len(enterprises), 1)
    for group in (big, small):
        keyed = sorted(group, key=lambda e: e["founded"], reverse=True)
        order = sorted(range(len(keyed)), key=lambda i: i + rng.randint(0, len(keyed) // 2))
        in_2012 = round(NEW_IN_2012 * (share if group is big else 1 - share))
        in_2011 = round(NEW_IN_2011 * (share if group is big else 1 - share))
        for position, enterprise in enumerate(keyed[i] for i in order):
            founded = date.fromisoformat(enterprise["founded"])
            if position < in_2012:
                start, end = max(founded, date(2012, 1, 4)), REFERENCE_DATE
            elif position < in_2012 + in_2011:
                start, end = max(founded, date(2011, 1, 4)), date(2011, 12, 30)
            else:
                start, end = founded, max(founded, date(2010, 12, 30))
            if start > end:  # founded after the window: registers when founded
                start = end = founded
            enterprise["zone_registered_on"] = _day_between(rng, start, end).isoformat()


def _little_giants(rng: random.Random, enterprises: list[dict]) -> set[str]:
    """Tianjin's 科技小巨人 needs revenue of 100 million yuan or more."""
    qualifying = [e for e in enterprises if e["financials"] and e["financials"][-1]["revenue"] >= EXCEL_REVENUE]
    chosen = rng.sample(qualifying, min(LITTLE_GIANTS, len(qualifying)))
    chosen.sort(key=lambda e: e["zone_registered_on"], reverse=True)  # the latest newcomers make the 2012 batch
    for position, enterprise in enumerate(chosen):
        if position < LITTLE_GIANTS_2012:
            granted = BATCH_2012_LITTLE_GIANT
        else:
            granted = rng.choice([b for b in LITTLE_GIANT_BATCHES if b >= date.fromisoformat(enterprise["zone_registered_on"])]
                                 or [BATCH_2012_LITTLE_GIANT])
        enterprise.setdefault("certifications", []).append(
            {"kind": "little_giant", "granted_on": granted.isoformat(), "verified": True, "verified_by": "staff",
             "verified_at": f"{granted.isoformat()}T10:00:00+08:00"})
    return {e["id"] for e in chosen}


def _high_tech(rng: random.Random, enterprises: list[dict], giants: set[str]) -> None:
    """Certificates in force, lapsed ones, the 2012 batch and claims waiting for staff."""
    batch_2012 = pending = 0
    for enterprise in enterprises:
        founded = date.fromisoformat(enterprise["founded"])
        share = max(HIGH_TECH_SHARE[enterprise["stage"]], 0.9 if enterprise["id"] in giants else 0.0)
        if rng.random() >= share:
            continue
        # registered at least a year before the certificate (认定办法: 注册成立一年以上)
        eligible = [b for b in HIGH_TECH_BATCHES if b >= founded + timedelta(days=366)]
        if batch_2012 < HIGH_TECH_2012 and rng.random() < 0.25 and founded <= date(2011, 4, 1):
            granted, batch_2012 = BATCH_2012_HIGH_TECH, batch_2012 + 1
        elif eligible:
            granted = rng.choice(eligible)
        else:
            continue
        certificate = {"kind": "high_tech", "granted_on": granted.isoformat(), "verified": True, "verified_by": "staff",
                       "verified_at": f"{granted.isoformat()}T10:00:00+08:00"}
        enterprise.setdefault("certifications", []).insert(0, certificate)
        if granted.year == 2008 and rng.random() < 0.6:  # renewed in 2011 when it lapsed
            renewal = date(2011, 10, 28)
            enterprise["certifications"].insert(1, {**certificate, "granted_on": renewal.isoformat(),
                                                    "verified_at": f"{renewal.isoformat()}T10:00:00+08:00"})
    for enterprise in enterprises:  # a few claims of the 2012 batch wait for staff
        if pending >= HIGH_TECH_PENDING:
            break
        if enterprise["stage"] == "growth" and not enterprise.get("certifications") and rng.random() < 0.05:
            enterprise["certifications"] = [{"kind": "high_tech", "granted_on": BATCH_2012_HIGH_TECH.isoformat(),
                                             "verified": False}]
            pending += 1


def _listings(enterprises: list[dict]) -> None:
    candidates = sorted((e for e in enterprises if e["stage"] == "pre_ipo" and e["joint_stock"] and e["financials"]
                         and all(f["net_profit"] > 0 for f in e["financials"])),
                        key=lambda e: -sum(f["net_profit"] for f in e["financials"]))
    for enterprise, (market, on, code) in zip(candidates, LISTINGS):
        enterprise["listings"] = [{"market": market, "on": on.isoformat(), "code": code}]
        enterprise["sponsor_engaged"] = True


def _yearly_figures(rng: random.Random, enterprise: dict) -> None:
    """Head count by year (growing with revenue), patent applications and grants."""
    financials = enterprise["financials"]
    if not financials:
        return
    latest_revenue = financials[-1]["revenue"] or 1
    per_head = enterprise["employees"] / latest_revenue
    patents_left = enterprise["invention_patents"]
    for position, year in enumerate(reversed(financials)):
        year["employees"] = max(3, round(year["revenue"] * per_head)) if position else enterprise["employees"]
        scale = 1 + year["employees"] / 40
        year["patent_applications"] = int(rng.uniform(0, 2.5) * scale) if enterprise["industry"] != "modern_services" else int(rng.uniform(0, 0.6) * scale)
        granted = min(patents_left, int(rng.random() * 0.5 * scale))
        year["invention_patents_granted"] = granted
        patents_left -= granted


def _describe_designations(enterprise: dict) -> None:
    """The description says what the firm holds on the demo's date."""
    text = enterprise["description"]
    for sentence in CLAIM_SENTENCES:
        text = text.replace(sentence, "")
    kinds = {c["kind"] for c in enterprise.get("certifications") or [] if c.get("verified") and _in_force(c)}
    extra = ("已获得国家级高新技术企业认定。" if "high_tech" in kinds else "") + ("入选滨海高新区科技小巨人企业。" if "little_giant" in kinds else "")
    cut = text.find("The company")
    enterprise["description"] = (text[:cut] + extra + text[cut:]) if cut >= 0 else text + extra


def _in_force(certification: dict) -> bool:
    granted = date.fromisoformat(certification["granted_on"])
    years = 3 if certification["kind"] == "high_tech" else None
    return granted <= REFERENCE_DATE and (years is None or REFERENCE_DATE < granted.replace(year=granted.year + years))
