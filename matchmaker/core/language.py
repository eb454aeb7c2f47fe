"""The language of an answer: English unless the request prefers Chinese.

Scoring and readiness write every sentence in both languages (``message`` and
``message_zh``).  An answer keeps both and puts the one the caller asked for
(``Accept-Language``) in ``message``.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")


def request_language() -> str:
    """``zh`` when ``Accept-Language`` prefers Chinese (``zh``, ``zh-CN``, ``zh-Hans``...), else ``en``."""
    from flask import request

    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def localize(value, language: str):
    """``value`` with ``message`` set to ``message_zh`` throughout, when ``language`` is ``zh``."""
    if language != "zh":
        return value
    if isinstance(value, list):
        return [localize(v, language) for v in value]
    if isinstance(value, dict):
        out = {k: localize(v, language) for k, v in value.items()}
        if "message_zh" in out and "message" in out:
            out["message"] = out["message_zh"]
        return out
    return value
