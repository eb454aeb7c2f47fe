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

from datetime import date, datetime

from flask import request
from jinja2 import Undefined
from flask_babel import format_datetime as babel_datetime
from flask_babel import format_decimal, get_locale, gettext

from ..errors import Label, Labels, Text
from ..labels import LABELS, say

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


# -- the words of the codes: the labels table (``labels.py``) --------------------------------
def label(kind: str, code, form: str = "label") -> str:
    """The words of a code in the page's language (``label("industry", "new_energy")``); the
    code itself if unknown."""
    if _missing(code):
        return "—"
    return say(kind, code, language(), form)


def choices(kind: str) -> list[tuple[str, str]]:
    return [(code, label(kind, code)) for code in LABELS[kind]]


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
def _parameter(value) -> str:
    """A parameter of a message in the page's language: codes become their labels."""
    if isinstance(value, Labels):
        separator = "、" if language() == "zh" else ", "
        return separator.join(label(value.kind, code) for code in value) or str(value)
    if isinstance(value, Label):
        return label(value.kind, str(value))
    return "—" if value is None else str(value)


def translate_message(message) -> str:
    """A message from a service or a schema in the page's language: a ``Text`` (an error's
    sentence with its values, ``errors.py``) through the catalog's sentence and its values,
    a plain message when the catalog has it word for word; else as written."""
    if message is None:
        return ""
    if isinstance(message, Text):
        translated = gettext(message.page or message.sentence)
        return translated % {k: _parameter(v) for k, v in message.params.items()} if message.params else translated
    return gettext(str(message))
