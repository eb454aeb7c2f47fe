"""Every code has its words, in the one labels table (``matchmaker/labels.py``).

The codes come from where they are used, not from the table: the choices every schema
accepts, the statuses the services move records through, the roles, the scoring file's
institution types and factors, the boards of the listing rule files.  A code added to any of them without its Chinese and English
fails here.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import marshmallow as ma
from marshmallow import validate

import matchmaker
from matchmaker.labels import LABELS, W, say

#: schema choices that are not codes shown to a reader (sort keys, the API's own switches)
NOT_WORDS = re.compile(r"^-?(relevance|created_at|ticket_min|ticket_max|latest_revenue|founded|amount|starts_at)$")
CJK = re.compile(r"[\u4e00-\u9fff]")
BOARD_FILES = Path(matchmaker.__file__).parent / "scoring" / "defaults" / "boards"


def _schemas():
    for module in pkgutil.walk_packages(matchmaker.__path__, "matchmaker."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    todo, found = list(ma.Schema.__subclasses__()), []
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [cls for cls in found if cls.__module__.startswith("matchmaker.")]


def _choices() -> dict[str, set]:
    """``Schema.field`` -> the codes its ``OneOf`` accepts (lists and their items alike)."""
    out = {}
    for cls in _schemas():
        for name, field in cls._declared_fields.items():
            for f in (field, getattr(field, "inner", None)):
                for v in getattr(f, "validators", []) if f is not None else []:
                    if isinstance(v, validate.OneOf):
                        out.setdefault(f"{cls.__module__}.{cls.__name__}.{name}", set()).update(
                            c for c in v.choices if isinstance(c, str) and not NOT_WORDS.match(c))
    return out


def test_every_entry_has_chinese_and_english():
    for kind, entries in LABELS.items():
        for code, words in entries.items():
            assert isinstance(words, W), (kind, code)
            assert words.en.strip() and words.zh.strip(), (kind, code)
            assert CJK.search(words.zh), f"{kind}.{code}: {words.zh!r} is not Chinese"
            for form in ("zh_short", "zh_long"):
                assert getattr(words, form) is None or CJK.search(getattr(words, form)), (kind, code, form)


def test_every_code_a_schema_accepts_has_its_words():
    known = {code for entries in LABELS.values() for code in entries}
    missing = {field: sorted(codes - known) for field, codes in _choices().items() if codes - known}
    assert missing == {}, f"add these codes to matchmaker/labels.py: {missing}"


def test_the_statuses_roles_and_scoring_codes_have_their_words():
    from matchmaker.core.users import ROLES
    from matchmaker.brokering.claims import STATUSES as CLAIM_STATUSES
    from matchmaker.fund.grants import TRANSITIONS as GRANT_TRANSITIONS
    from matchmaker.needs.service import TRANSITIONS as NEED_TRANSITIONS
    from matchmaker.scoring.config import FACTORS, load_scoring_config

    config = load_scoring_config()
    used = {
        "role": set(ROLES),
        "need_status": set(NEED_TRANSITIONS) | {s for after in NEED_TRANSITIONS.values() for s in after},
        "grant_status": set(GRANT_TRANSITIONS),
        "claim_status": set(CLAIM_STATUSES),
        "type": set(config.type_defaults or {}),
        "factor": set(FACTORS),
        "board": {json.loads(path.read_text(encoding="utf-8"))["board"] for path in BOARD_FILES.glob("*.json")},
    }
    missing = {kind: sorted(codes - set(LABELS[kind])) for kind, codes in used.items() if codes - set(LABELS[kind])}
    assert missing == {}, f"add these codes to matchmaker/labels.py: {missing}"


def test_each_use_reads_the_same_table():
    """The page, the export and the scoring reason say a code with the table's words."""
    from matchmaker.exports.tables import label as export_label
    from matchmaker.scoring.config import load_scoring_config

    assert say("type", "venture_capital", "zh") == "创业投资" and say("type", "venture_capital", "en") == "Venture capital"
    assert export_label("type", "venture_capital") == "创投" == LABELS["type"]["venture_capital"].zh_short
    assert export_label("need_status", "open") == say("need_status", "open", "zh")
    assert load_scoring_config().label("type", "venture_capital") == {"en": "venture capital firm", "zh": "创投公司"}
    assert say("industry", "no_such_code", "en") == "no such code"


def test_every_kind_the_pages_and_exports_name_is_in_the_table():
    """``label("kind", …)`` / ``choices("kind")`` in a template or module names a kind of the table."""
    root = Path(matchmaker.__file__).parent
    named = set()
    for path in [*root.rglob("*.py"), *(root.parent / "templates").rglob("*.html")]:
        named |= set(re.findall(r"""(?<![.\w])(?:label|choices|say|codes)\(["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert named - set(LABELS) == set()
