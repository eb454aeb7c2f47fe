"""Bilingual wording: how figures read in English and Chinese, and how templates are filled.

The templates themselves live in the data files (``defaults/scoring.json``'s ``messages``,
``defaults/readiness.json``); this module only knows how to write a sum of money, a
share or a span of years in each language, so a message reads the same wherever it is
made.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, NamedTuple

WAN = 10_000
YI = 100_000_000
MILLION = 1_000_000


class Text(NamedTuple):
    """The same words in English and in Chinese."""

    en: str
    zh: str


def _trim(number: float, decimals: int = 2, grouping: str = ",") -> str:
    """``1.50`` -> ``1.5``, ``30.00`` -> ``30``; thousands separated by ``grouping``."""
    text = f"{number:{grouping}.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@lru_cache(maxsize=4096)
def money(amount: float | None) -> Text:
    """``1500000`` -> ``1.5 million yuan`` / ``150万元``."""
    if amount is None:
        return Text("not reported", "未填报")
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= MILLION:
        en = f"{sign}{_trim(value / MILLION)} million yuan"
    else:
        en = f"{sign}{_trim(value, 0)} yuan"
    if value >= YI:
        zh = f"{sign}{_trim(value / YI, 2, '')}亿元"
    elif value >= WAN:
        zh = f"{sign}{_trim(value / WAN, 2, '')}万元"
    else:
        zh = f"{sign}{_trim(value, 0, '')}元"
    return Text(en, zh)


@lru_cache(maxsize=4096)
def percent(fraction: float | None) -> Text:
    """``0.305`` -> ``30.5%``."""
    if fraction is None:
        return Text("not known", "未知")
    text = _trim(fraction * 100, 1) + "%"
    return Text(text, text)


def years(count: float) -> Text:
    text = _trim(count, 1)
    return Text(f"{text} year" + ("" if text == "1" else "s"), f"{text}年")


@lru_cache(maxsize=4096)
def number(value: float) -> Text:
    text = _trim(value, 2)
    return Text(text, text)


def plain(value) -> Text:
    text = str(value)
    return Text(text, text)


def join(items: Iterable[Text], *, last_en: str = "and") -> Text:
    """``a, b and c`` / ``a、b和c``."""
    items = list(items)
    if not items:
        return Text("none", "无")
    if len(items) == 1:
        return items[0]
    en = ", ".join(t.en for t in items[:-1]) + f" {last_en} " + items[-1].en
    zh = "、".join(t.zh for t in items)
    return Text(en, zh)


class _Blank(dict):
    """Leaves an unknown placeholder visible instead of failing on an edited template."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: dict, values: dict) -> Text:
    """Fill a ``{"en": ..., "zh": ...}`` template; a :class:`Text` value gives each language its words."""
    en, zh = _Blank(), _Blank()
    for key, value in values.items():
        if isinstance(value, Text):
            en[key], zh[key] = value
        else:
            en[key] = zh[key] = value
    return Text(template["en"].format_map(en), template["zh"].format_map(zh))
