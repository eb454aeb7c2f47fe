"""Languages of the pages: Simplified Chinese by default, English one click away.

The choice lives in a ``lang`` cookie (a year, HttpOnly, SameSite=Lax), so it outlasts
signing in and out; there is no guessing from ``Accept-Language``: the zone's users read
Chinese first.  Labels and messages go through Flask-Babel's catalog
(``matchmaker/translations``); the scoring and readiness services write each sentence in
both languages themselves (``message`` / ``message_zh``).

Money is shown the way each language writes it: ``1,500万元`` and ``2.3亿元`` in Chinese,
``CNY 15.0 million`` in English.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import request
from jinja2 import Undefined
from flask_babel import format_datetime as babel_datetime
from flask_babel import format_decimal, get_locale, gettext, lazy_gettext as _l

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"
COOKIE = "lang"


def select_locale() -> str:
    """The language of this request: the ``lang`` cookie if it names one we have, else Chinese."""
    chosen = request.cookies.get(COOKIE) if request else None
    return chosen if chosen in LANGUAGES else DEFAULT


def language() -> str:
    """``zh`` or ``en``, for the services that answer in both."""
    return "en" if str(get_locale() or DEFAULT).startswith("en") else "zh"


# -- numbers and money -----------------------------------------------------------------------
def _missing(value) -> bool:
    return value is None or value == "" or isinstance(value, Undefined)


def _trim(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(amount, lang: str | None = None) -> str:
    """Yuan as each language writes it: ``1,500万元`` / ``2.3亿元`` / ``8,000元``, or
    ``CNY 15.0 million`` / ``CNY 1.2 billion`` / ``CNY 8,000``."""
    if _missing(amount):
        return "—"
    try:
        amount = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    lang = lang or language()
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    if lang == "zh":
        if value >= 100_000_000:
            return f"{sign}{_trim(value / 100_000_000, 2)}亿元"
        if value >= 10_000:
            return f"{sign}{_trim(value / 10_000, 2)}万元"
        return f"{sign}{_trim(value, 0)}元"
    if value >= 1_000_000_000:
        return f"{sign}CNY {value / 1_000_000_000:,.2f} billion"
    if value >= 1_000_000:
        return f"{sign}CNY {value / 1_000_000:,.1f} million"
    return f"{sign}CNY {value:,.0f}"


def format_number(value, digits: int = 0) -> str:
    if _missing(value):
        return "—"
    try:
        return format_decimal(round(float(value), digits), format="#,##0" + ("." + "#" * digits if digits else ""))
    except (TypeError, ValueError):
        return str(value)


def format_percent(value, digits: int = 1) -> str:
    """``value`` in percent already (12.5 -> 12.5%)."""
    if _missing(value):
        return "—"
    return f"{_trim(float(value), digits)}%"


def format_when(value, with_time: bool = True) -> str:
    """An ISO date or timestamp in the zone's time, as the language writes it."""
    if _missing(value) or not value:
        return "—"
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if ("T" in value or " " in value) else date.fromisoformat(value)
    except ValueError:
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
        return babel_datetime(value, "yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd")
    return value.isoformat()


# -- the vocabulary of DOMAIN.md ---------------------------------------------------------------
LABELS = {
    "type": {
        "venture_capital": _l("Venture capital"), "angel": _l("Angel investment"), "guarantee": _l("Financing guarantee"),
        "microcredit": _l("Microcredit"), "industry_fund": _l("Industry fund"), "bank": _l("Bank / tech sub-branch"),
        "leasing": _l("Financial leasing"),
    },
    "instrument": {
        "equity": _l("Equity"), "convertible": _l("Convertible"), "debt": _l("Loan"), "guarantee": _l("Guarantee"),
        "leasing": _l("Leasing"),
    },
    "industry": {
        "new_energy": _l("New energy"), "advanced_manufacturing": _l("Advanced manufacturing"),
        "modern_services": _l("Modern services"), "software_it": _l("Software and IT"), "biomedicine": _l("Biomedicine"),
        "other": _l("Other"),
    },
    "stage": {
        "seed": _l("Seed"), "startup": _l("Start-up"), "growth": _l("Growth"), "expansion": _l("Expansion"),
        "pre_ipo": _l("Pre-IPO"),
    },
    "need_status": {
        "draft": _l("Draft"), "open": _l("Open"), "in_talks": _l("In talks"), "funded": _l("Funded"),
        "closed": _l("Closed"), "withdrawn": _l("Withdrawn"),
    },
    "institution_status": {"target": _l("Target"), "negotiating": _l("Negotiating"), "entered": _l("Entered the zone")},
    "tier": {"nest": _l("Nest (start-ups)"), "grow": _l("Grow (under 100 million)"), "excel": _l("Excel (100 million and more)")},
    "role": {"enterprise": _l("Enterprise"), "institution": _l("Institution"), "staff": _l("Zone staff"), "admin": _l("Administrator")},
    "pipeline_stage": {
        "cultivation": _l("Cultivation"), "shareholding_reform": _l("Shareholding reform"), "tutoring": _l("Tutoring"),
        "filed": _l("Application filed"), "listed": _l("Listed"),
    },
    "meeting_status": {"proposed": _l("Proposed"), "confirmed": _l("Confirmed"), "held": _l("Held"), "cancelled": _l("Cancelled")},
    "answer": {"pending": _l("No answer yet"), "confirmed": _l("Confirmed"), "declined": _l("Declined")},
    "outcome": {
        "no_further_contact": _l("No further contact"), "follow_up": _l("Follow-up"), "term_sheet": _l("Term sheet"),
        "funded": _l("Funding completed"), "declined": _l("Declined"),
    },
    "interest": {"interested": _l("Interested"), "declined": _l("Declined")},
    "factor": {
        "industry": _l("Industry"), "stage": _l("Stage"), "ticket": _l("Amount"), "text": _l("Description"),
        "strength": _l("Strength"), "designations": _l("Designations"), "term": _l("Term"), "presence": _l("In the zone"),
        "cost": _l("Cost"), "instrument": _l("Instrument"), "ticket_range": _l("Ticket range"),
        "min_revenue": _l("Minimum revenue"), "min_years": _l("Years in business"), "collateral": _l("Collateral"),
        "high_tech": _l("High-tech certificate"), "single_borrower": _l("Single-borrower limit"),
    },
    "decline_reason": {
        "outside_mandate": _l("Outside our mandate"), "amount_out_of_range": _l("Amount outside our range"),
        "stage_not_fit": _l("Stage does not fit"), "industry_not_fit": _l("Industry does not fit"),
        "insufficient_information": _l("Not enough information"), "risk_too_high": _l("Risk too high"),
        "no_capacity": _l("No capacity left"), "other": _l("Another reason"),
    },
    "intro_status": {"requested": _l("Requested"), "arranged": _l("Meeting arranged"), "declined": _l("Declined")},
    "notification_kind": {
        "saved_search_match": _l("New need for a saved search"), "interest": _l("Answer to a need"),
        "introduction_requested": _l("Introduction requested"), "meeting_proposed": _l("Meeting proposed"),
        "meeting_changed": _l("Meeting changed"), "deadline_passed": _l("Response deadline passed"),
        "grant_changed": _l("Special-fund grant"), "pool_changed": _l("Listing reserve pool"), "meeting_reminder": _l("Meeting reminder"),
        "need_assigned": _l("Need assigned to you"), "need_escalated": _l("Late need escalated"),
        "claim_changed": _l("Claim on a need"),
    },
    "audit_action": {
        "create": _l("created"), "update": _l("changed"), "delete": _l("deleted"), "confirm": _l("confirmed"),
        "decline": _l("declined"), "cancel": _l("cancelled"), "held": _l("recorded as held"), "outcome": _l("outcome recorded"),
        "correct": _l("outcome corrected"), "pick": _l("times picked"), "assign": _l("owner assigned"), "report": _l("progress reported"), "lapse": _l("claim lapsed"),
        "apply": _l("applied"), "approve": _l("approved"), "reject": _l("rejected"), "pay": _l("paid"),
        "stage": _l("stage recorded"), "exit": _l("left the pool"), "dismiss": _l("suggestion dismissed"),
    },
    "object_kind": {
        "need": _l("Need"), "meeting": _l("Meeting"), "institution": _l("Institution"), "enterprise": _l("Enterprise"),
        "account": _l("Account"), "interest": _l("Answer"), "introduction": _l("Introduction"), "saved_search": _l("Saved search"),
        "plan": _l("Yearly plan"), "indicator": _l("Programme indicator"),
        "claim": _l("Claim"), "deal": _l("Pipeline deal"), "programme": _l("Programme"), "grant": _l("Grant"), "pool_entry": _l("Reserve-pool entry"),
    },
    "deal_stage": {"screening": _l("Screening"), "due_diligence": _l("Due diligence"), "term_sheet": _l("Term sheet"),
                   "funded": _l("Funded"), "passed": _l("Passed")},
    "bool": {True: _l("Yes"), False: _l("No")},
    "progress": {
        "new_smes": _l("New tech SMEs"), "new_smes_large_capital": _l("of them with 20 million+ capital"),
        "new_little_giants": _l("New tech little giants"), "new_high_tech": _l("New high-tech enterprises"),
        "patent_applications": _l("Patent applications"),
        "invention_patents_per_10k_employees": _l("Invention patents per 10,000 employees"),
        "institutions_entered": _l("Institutions entered"), "new_listings": _l("New listings"),
        "new_neeq_quotations": _l("New NEEQ quotations"), "special_fund_committed": _l("Special fund committed"),
        "special_fund_paid": _l("Special fund paid"), "incubator_m2": _l("Incubator space built (m²)"),
        "alliances": _l("Industry–university alliances"), "rd_institutions": _l("R&D institutions"),
        "new_listings_aim": _l("New listings, the aim"), "special_fund_budget": _l("Special fund budget"),
    },
    "certification_kind": {
        "high_tech": _l("National high-tech enterprise"), "little_giant": _l("Tech little giant"),
        "tech_sme": _l("Tech SME (national evaluation)"), "specialized": _l("Specialized and innovative (专精特新)"),
    },
    "listing_market": {
        "sse_main": _l("Shanghai main board"), "szse_main": _l("Shenzhen main board"), "sme": _l("SME board"),
        "chinext": _l("ChiNext"), "star": _l("STAR market"), "bse": _l("Beijing Stock Exchange"), "neeq": _l("NEEQ"),
        "hkex": _l("Hong Kong"), "overseas": _l("Overseas"),
    },
    "tier_service": {
        "incubator_space": _l("Incubator space"), "startup_mentor": _l("A start-up mentor"),
        "angel_fund": _l("Angel money"), "market_development": _l("Help opening markets"),
        "professional_training": _l("Professional training"), "entrepreneur_training": _l("Training for entrepreneurs"),
        "market_financing": _l("Support for market financing"), "little_giant_cultivation": _l("Little-giant cultivation"),
        "industrialization_research": _l("Funds for industrialization research"),
        "new_product_market": _l("Funds for bringing new products to market"),
        "mergers_and_groups": _l("Funds for mergers, restructuring and group development"),
        "shareholding_reform_and_listing": _l("Support for shareholding reform and listing"),
    },
    "plan_source": {"plan": _l("set for this year"), "inherited": _l("taken over from an earlier year"),
                    "defaults": _l("the configured defaults")},
    "counter_guarantee": {
        "personal_guarantee": _l("Controller's personal guarantee"), "equity_pledge": _l("Equity pledge"),
        "receivables_pledge": _l("Receivables pledge"), "ip_pledge": _l("IP pledge"),
        "equipment_mortgage": _l("Equipment mortgage"), "real_estate_mortgage": _l("Real-estate mortgage"),
    },
    "programme_kind": {
        "interest_subsidy": _l("Interest subsidy"), "fee_subsidy": _l("Guarantee-fee subsidy"),
        "risk_pool": _l("Risk-compensation pool"), "listing_award": _l("Listing award"),
        "angel_coinvest": _l("Angel co-investment"), "other": _l("Other support"),
    },
    "grant_status": {"applied": _l("Applied"), "approved": _l("Approved"), "paid": _l("Paid"), "rejected": _l("Rejected")},
    "pool_stage": {
        "cultivation": _l("Cultivation"), "shareholding_reform": _l("Shareholding reform"), "tutoring": _l("Tutoring"),
        "filed": _l("Application filed"), "review": _l("Review"), "listed": _l("Listed"),
    },
    "entry_status": {"active": _l("In the pool"), "exited": _l("Left the pool")},
    "intermediary": {"sponsor": _l("Sponsoring broker"), "accountant": _l("Accountant"), "lawyer": _l("Lawyer")},
}
LABELS["factor"].update({
    "credit": _l("Credit"), "industry_mandate": _l("Industry mandate"), "counter_guarantee": _l("Counter-guarantee"),
    "profitable": _l("Profit in the latest year"), "cash_flow": _l("Operating cash flow"), "term_max": _l("Longest term"), "minority_stake": _l("Minority stake"),
    "single_borrower_cap": _l("Single-borrower limit"), "guarantee_capacity": _l("Guarantee leverage limit"),
})


def label(kind: str, code) -> str:
    """The translated label of a code (``label("industry", "new_energy")``); the code itself if unknown."""
    if _missing(code):
        return "—"
    found = LABELS.get(kind, {}).get(code)
    return str(found) if found is not None else str(code).replace("_", " ")


def choices(kind: str) -> list[tuple[str, str]]:
    return [(code, str(text)) for code, text in LABELS[kind].items()]


def pick(doc: dict | None, zh_key: str, en_key: str) -> str:
    """The field for the language, falling back to the other (``name`` / ``name_en``)."""
    if not doc:
        return ""
    first, second = (en_key, zh_key) if language() == "en" else (zh_key, en_key)
    return doc.get(first) or doc.get(second) or ""


def bilingual(value) -> str:
    """``{"en": ..., "zh": ...}`` in the page's language."""
    if isinstance(value, dict):
        return value.get(language()) or value.get("en") or value.get("zh") or ""
    return value or ""


# -- messages from the services and from marshmallow ----------------------------------------
#: Messages with values in them: a pattern and the catalog's sentence with placeholders.
_PATTERNS = [
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), _l("Must be one of: %(choices)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"),
     _l("Must be between %(min)s and %(max)s.")),
    (re.compile(r"^Must be greater than (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"),
     _l("Must be above %(min)s and at most %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"), _l("Must be at least %(min)s.")),
    (re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"), _l("Must be at most %(max)s.")),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"), _l("Must have %(min)s to %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length 1\.$"), _l("Required.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), _l("Must have at least %(min)s characters.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), _l("Must have at most %(max)s characters.")),
    (re.compile(r"^must have at least (?P<min>\d+) characters$"), _l("Must have at least %(min)s characters.")),
    (re.compile(r"^must have at most (?P<max>\d+) characters$"), _l("Must have at most %(max)s characters.")),
    (re.compile(r"^each year once; repeated: (?P<years>.*)$"), _l("Each year only once; repeated: %(years)s")),
    (re.compile(r"^from (?P<status>\w+) it can go to: (?P<allowed>.*)$"), _l("From this status it can go to: %(allowed)s")),
    (re.compile(r"^a need cannot go from (?P<before>\w+) to (?P<after>\w+)$"), _l("The need cannot move to that status.")),
    (re.compile(r"^a \w+ user is not bound to an enterprise$"), _l("Only enterprise users are bound to an enterprise.")),
    (re.compile(r"^a \w+ user is not bound to an institution$"), _l("Only institution users are bound to an institution.")),
    (re.compile(r"^(enterprise|institution) \S+ does not exist$"), _l("There is no such enterprise or institution.")),
    (re.compile(r"^user \S+ already exists$"), _l("This username is already taken.")),
    (re.compile(r"^overlaps meeting \S+ of the same (?P<party>enterprise|institution)$"),
     _l("Overlaps another meeting of the same party.")),
    (re.compile(r"^the (enterprise|institution) already has meeting \S+ from .*$"),
     _l("One of the parties already has a meeting at that time.")),
    (re.compile(r"^(only open needs take answers|introductions are for open needs|meetings are brokered for open needs); this one is \w+$"),
     _l("This need is no longer open.")),
    (re.compile(r"^a \w+ meeting (takes no more answers|cannot be cancelled|cannot be changed)$"),
     _l("This meeting can no longer be changed.")),
    (re.compile(r"^an outcome is recorded after the meeting is held; this one is \w+$"),
     _l("An outcome is recorded after the meeting is held.")),
    (re.compile(r"^the need is \w+: it cannot become funded$"), _l("The need cannot become funded from its present status.")),
    (re.compile(r"^\w+ \S+ not found$"), _l("It does not exist or was deleted.")),
    (re.compile(r"^only zone staff and admins may .*$"), _l("Only zone staff may do this.")),
    (re.compile(r"^only admins may .*$"), _l("Only administrators may do this.")),
    (re.compile(r"^a financial year after the current one \((?P<year>\d+)\)$"),
     _l("A financial year after the current one (%(year)s) cannot be entered.")),
    (re.compile(r"^too many failed sign-ins; try again in (?P<seconds>\d+) seconds$"),
     _l("Too many failed sign-ins. Try again in %(seconds)s seconds.")),
]


def translate_message(message) -> str:
    """A message from a service or a schema, in the page's language when the catalog has it."""
    if message is None:
        return ""
    text = str(message)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, sentence in _PATTERNS:
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            if "allowed" in values:
                separator = "、" if language() == "zh" else ", "
                values["allowed"] = separator.join(label("need_status", s.strip()) for s in values["allowed"].split(","))
            return str(sentence) % values if values else str(sentence)
    return text
