"""HTML forms to and from documents.  The rules are the API's: forms only carry values.

A form is a list of fields with the input's ``name`` (dots for nested objects:
``requirements.min_revenue``) and a kind that says how the text of the input becomes a
value.  ``values_from`` fills the inputs from a stored document; ``data_from`` turns a
posted form into the document the services validate with their marshmallow schemas.  A
value that does not convert (``"12x"`` for an amount) is passed on as typed, so the
schema's own message ("Not a valid integer.") is what the user reads, next to the field,
with what they typed still in it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text, int, money, float, bool, tristate (yes / no / not known), code, codes, date
    nullable: bool = False  # an empty input is sent as null (else left out)


def _number(text: str, kind: str):
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    try:
        if kind == "float":
            return float(cleaned)
        return int(cleaned)
    except ValueError:
        return text  # let the schema say what is wrong with it


def convert(field: Field, form: MultiDict):
    """The value of one field from the posted form; ``...`` when it is to be left out."""
    if field.kind == "bool":
        return field.name in form and form.get(field.name) not in ("", "0", "false", "off")
    if field.kind == "codes":
        return [v for v in form.getlist(field.name) if v]
    text = (form.get(field.name) or "").strip()
    if field.kind == "tristate":
        return {"yes": True, "no": False}.get(text, None if text == "" else text)
    if field.kind == "text":
        return text
    if text == "":
        return None if field.nullable else ...
    if field.kind in ("int", "money", "float"):
        return _number(text, field.kind)
    return text  # code, date


def _put(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _get(doc: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def data_from(fields: list[Field], form: MultiDict) -> dict:
    data: dict = {}
    for field in fields:
        value = convert(field, form)
        if value is not ...:
            _put(data, field.name, value)
    return data


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def values_from(fields: list[Field], doc: dict | None) -> MultiDict:
    """The inputs' values for a stored document (a MultiDict, as a posted form is)."""
    values = MultiDict()
    for field in fields:
        _set_input(values, field.name, field.kind, _get(doc or {}, field.name))
    return values


def _set_input(values: MultiDict, name: str, kind: str, value) -> None:
    """Put a stored value into the inputs as the form posts it (``on``, ``yes``/``no``, a list)."""
    if kind == "codes":
        values.setlist(name, list(value or []))
    elif kind == "bool":
        if value:
            values[name] = "on"
    elif kind == "tristate":
        values[name] = {True: "yes", False: "no"}.get(value, "")
    else:
        values[name] = as_text(value)


def errors_for(errors: dict | None, dotted: str) -> list[str]:
    """The messages for one input (``requirements.min_revenue``, ``financials-0-year``),
    looked up in the schema's nested errors."""
    found = errors or {}
    for part in re.split(r"[.-]", dotted):
        if not isinstance(found, dict):
            return []
        found = found.get(int(part), found.get(part, {})) if part.isdigit() else found.get(part, {})
    if isinstance(found, str):
        return [found]
    if isinstance(found, list):
        return [str(m) for m in found if isinstance(m, str)]
    if isinstance(found, dict):
        return [str(m) for m in found.get("_schema", [])]
    return []


# -- the forms -------------------------------------------------------------------------------
INSTITUTION = [
    Field("name"), Field("name_en"), Field("type", "code"), Field("instruments", "codes"),
    Field("industries", "codes"), Field("stages", "codes"), Field("ticket_min", "money"),
    Field("ticket_max", "money"), Field("description"),
    Field("requirements.min_revenue", "money", nullable=True), Field("requirements.min_years", "int", nullable=True),
    Field("requirements.collateral_required", "bool"), Field("requirements.high_tech_required", "bool"),
    Field("counter_guarantees_accepted", "codes"), Field("net_capital", "money", nullable=True),
    Field("guarantee_outstanding", "money", nullable=True), Field("industry_mandate", "bool"),
]
INSTITUTION_STATUS = Field("status", "code")
#: Staff link a guarantee company to the banks it works with.
INSTITUTION_PARTNERS = Field("partner_banks", "codes")
#: One product's inputs, ``products-<row>-<name>``; its other fields (industries, stages,
#: requirements, programmes) are kept as they are through the API.
PRODUCT = [
    Field("id"), Field("name"), Field("name_en"), Field("instrument", "code", nullable=True),
    Field("ticket_min", "money", nullable=True), Field("ticket_max", "money", nullable=True),
    Field("term_months_max", "int", nullable=True), Field("counter_guarantees_accepted", "codes"), Field("description"),
]


def rows_from(form: MultiDict, prefix: str, fields: list[Field]) -> tuple[list[dict], list[int]]:
    """The rows ``<prefix>-<n>-<field>`` of a form (a row left entirely empty, but for its
    hidden ``id``, is no row), and the row number each came from."""
    numbers = sorted({int(key.split("-")[1]) for key in form.keys()
                      if key.startswith(prefix + "-") and key.split("-")[1].isdigit()})
    found, rows = [], []
    for row in numbers:
        cells = {f.name: convert(Field(f"{prefix}-{row}-{f.name}", f.kind, f.nullable), form) for f in fields}
        if not any(v not in (None, "", [], ...) for k, v in cells.items() if k != "id"):
            continue
        found.append({k: v for k, v in cells.items() if v not in (..., None, "", [])})
        rows.append(row)
    return found, rows


def row_values(prefix: str, fields: list[Field], items: list[dict]) -> MultiDict:
    values = MultiDict()
    for row, item in enumerate(items):
        for f in fields:
            _set_input(values, f"{prefix}-{row}-{f.name}", f.kind, item.get(f.name))
    return values


def row_numbers(values: MultiDict, prefix: str, spare: int = 1) -> list[int]:
    """The rows ``<prefix>-<n>-…`` the inputs hold, and ``spare`` empty ones after them to add to."""
    rows = sorted({int(key.split("-")[1]) for key in values.keys()
                   if key.startswith(prefix + "-") and key.split("-")[1].isdigit()})
    start = (max(rows) + 1) if rows else 0
    return rows + list(range(start, start + spare))


#: One equity financing of the enterprise, ``equity_financings-<row>-<name>`` (NEEQ's 2023
#: standard (4) and the innovation tier read them); a blank choice keeps the schema's default.
EQUITY_FINANCING = [
    Field("kind", "code", nullable=True), Field("amount", "money", nullable=True), Field("closed_on", "date", nullable=True),
    Field("planned", "tristate"), Field("cash", "tristate"), Field("post_money", "money", nullable=True),
]

ENTERPRISE = [
    Field("name"), Field("name_en"), Field("industry", "code"), Field("stage", "code"), Field("founded", "date"),
    Field("registered_capital", "money"), Field("employees", "int"), Field("description"),
    Field("zone_registered_on", "date", nullable=True), Field("invention_patents", "int"),
    Field("has_collateral", "bool"), Field("joint_stock", "bool"), Field("sponsor_engaged", "bool"),
    Field("tutoring_filed", "bool"), Field("application_filed", "bool"), Field("approved", "bool"),
    Field("counter_guarantees_offered", "codes"),
]
#: What the listing boards since 2019 read: registration-era and NEEQ milestones, the
#: expected market value with its basis, governance changes, the NEEQ tier.
READINESS = [
    Field("application_accepted", "bool"), Field("inquiry_answered", "bool"), Field("committee_approved", "bool"),
    Field("registered", "bool"), Field("neeq_broker_engaged", "bool"), Field("neeq_application_filed", "bool"),
    Field("neeq_approved", "bool"), Field("major_product_milestone", "bool"), Field("software_firm", "bool"),
    Field("shareholders", "int", nullable=True), Field("invention_patents_main_business", "int", nullable=True),
    Field("valuation.amount", "money", nullable=True), Field("valuation.as_of", "date", nullable=True),
    Field("valuation.basis", "code", nullable=True),
    Field("governance.controller_changed_on", "date", nullable=True), Field("governance.management_changed_on", "date", nullable=True),
    Field("governance.main_business_changed_on", "date", nullable=True), Field("governance.converted_at_book_value", "tristate"),
    Field("governance.converted_on", "date", nullable=True),
    Field("neeq_tier.tier", "code", nullable=True), Field("neeq_tier.since", "date", nullable=True),
    Field("offering.shares", "int", nullable=True), Field("offering.investors", "int", nullable=True),
]
READINESS_OBJECTS = ("valuation", "governance", "neeq_tier", "offering")


def empty_objects_as_none(data: dict, keys=READINESS_OBJECTS) -> dict:
    """An object whose inputs were all left empty is no object (null), not one of nulls."""
    for key in keys:
        if isinstance(data.get(key), dict) and all(v is None for v in data[key].values()):
            data[key] = None
    return data
FINANCIAL_COLUMNS = ("year", "revenue", "net_profit", "net_profit_deducted", "operating_cash_flow", "net_assets",
                     "intangible_assets", "share_capital", "total_liabilities", "retained_earnings", "land_use_rights",
                     "rd_expenses", "employees", "rd_staff", "patent_applications", "invention_patents_granted")
#: Empty rows offered under the existing years, to add new ones.
SPARE_ROWS = 1


def financial_rows(form: MultiDict) -> list[int]:
    """The row numbers posted (``financials-<n>-year`` ...)."""
    rows = set()
    for key in form.keys():
        if key.startswith("financials-"):
            part = key.split("-")[1]
            if part.isdigit():
                rows.add(int(part))
    return sorted(rows)


def financials_from(form: MultiDict) -> tuple[list[dict], list[int]]:
    """The yearly rows of the form (a row left entirely empty is no row), and the row
    number each came from, to put the schema's messages back on the right row."""
    years, rows = [], []
    for row in financial_rows(form):
        cells = {col: (form.get(f"financials-{row}-{col}") or "").strip() for col in FINANCIAL_COLUMNS}
        if not any(cells.values()):
            continue
        entry = {col: (_number(text, "int") if text else None) for col, text in cells.items()}
        if entry["year"] is None:
            entry.pop("year")
        years.append(entry)
        rows.append(row)
    return years, rows


def errors_by_row(errors: dict, rows: list[int], key: str = "financials") -> dict:
    """The schema's errors of a list (``financials``, ``products``) keyed by form row instead of list position."""
    found = errors.get(key)
    if not isinstance(found, dict):
        return errors
    moved = {(rows[k] if isinstance(k, int) and k < len(rows) else k): v for k, v in found.items()}
    return {**errors, key: moved}


def financial_values(doc: dict | None) -> MultiDict:
    values = MultiDict()
    for row, year in enumerate((doc or {}).get("financials") or []):
        for col in FINANCIAL_COLUMNS:
            values[f"financials-{row}-{col}"] = as_text(year.get(col))
    return values


NEED = [
    Field("title"), Field("description"), Field("amount", "money"), Field("instrument", "code"), Field("purpose"),
    Field("term_months", "int", nullable=True), Field("equity_offered_pct", "float", nullable=True),
]

USER = [Field("display_name"), Field("role", "code"), Field("enterprise_id", "code", nullable=True),
        Field("institution_id", "code", nullable=True), Field("active", "bool")]
