"""Every error the service raises says what happened by a code and parameters whose sentence
is in the translation catalog, so a page can say it in Chinese without parsing English.

Two checks: every coded error (a ``MatchmakerError`` subclass with a ``template``) and every
field sentence (``errors.Phrase``, marshmallow's sentences) has a Chinese text with the same
placeholders; and every ``raise`` in ``matchmaker/`` either raises a coded error or passes
sentences the catalog has word for word.  ``ConfigurationError`` is for the operator, in English.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

from babel.messages.pofile import read_po

import matchmaker
from matchmaker import errors
from tests.source import parse_source

PACKAGE = Path(matchmaker.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog() -> dict:
    with open(PACKAGE / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and not m.fuzzy}


def _all_errors() -> list[type]:
    for module in pkgutil.walk_packages(matchmaker.__path__, "matchmaker."):
        if ".migrations" not in module.name:  # alembic's scripts run only inside alembic
            importlib.import_module(module.name)
    found, todo = [], [errors.MatchmakerError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _sentences() -> list[tuple[str, str, set]]:
    """(where, sentence, the parameters it may use) of every coded error and field sentence."""
    out = []
    for cls in _all_errors():
        if cls.template:
            names = set(PLACEHOLDER.findall(cls.template))
            out.append((cls.__name__, cls.template, names))
            if cls.page:
                out.append((f"{cls.__name__}.page", cls.page, names))
    for name, phrase in vars(errors).items():
        if isinstance(phrase, errors.Phrase):
            names = set(PLACEHOLDER.findall(phrase.template))
            out += [(name, phrase.template, names)] + ([(f"{name}.page", phrase.page, names)] if phrase.page else [])
    for english, sentence in errors.SCHEMA_SENTENCES.items():
        out.append((english, sentence, set(re.findall(r"\{(\w+)\}", english))))
    return out


def test_every_coded_error_and_sentence_has_its_chinese_with_the_same_placeholders():
    catalog = _catalog()
    missing = [where for where, sentence, _ in _sentences() if not catalog.get(sentence)]
    assert missing == [], "not in the catalog (pybabel extract/update, then translate): " + ", ".join(missing)
    wrong = [where for where, sentence, names in _sentences()
             if not set(PLACEHOLDER.findall(sentence)) <= names
             or set(PLACEHOLDER.findall(catalog[sentence])) != set(PLACEHOLDER.findall(sentence))]
    assert wrong == [], "placeholders differ from the parameters: " + ", ".join(wrong)


def test_every_error_has_a_code():
    codes = {cls: cls.code for cls in _all_errors()}
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in codes.values())
    for cls, code in codes.items():
        if cls is not errors.MatchmakerError and not cls.__dict__.get("variant"):
            assert code not in {c for other, c in codes.items() if other is not cls and not other.__dict__.get("variant")}, cls


def _catalogued(message: ast.expr, catalog: dict, phrases: set) -> bool:
    """A sentence of the catalog, a phrase with parameters, or a field's messages
    (``{"rules": {"rate": [...]}}``) all of which are."""
    if isinstance(message, ast.Constant):
        return message.value in catalog
    if isinstance(message, ast.Call):
        return getattr(message.func, "id", None) in phrases
    if isinstance(message, ast.Dict):
        return all(_catalogued(value, catalog, phrases) for value in message.values)
    if isinstance(message, (ast.List, ast.Tuple)):
        return bool(message.elts) and all(_catalogued(item, catalog, phrases) for item in message.elts)
    return False


def _uncatalogued(sources=None) -> list[str]:
    """``file: message`` of every ``raise`` whose message neither is coded nor in the catalog,
    in ``sources`` ((file, its text) pairs; by default every module of the package)."""
    catalog = _catalog()
    names = {cls.__name__ for cls in _all_errors()} | {"ValidationError"}  # and marshmallow's
    operator = {cls.__name__ for cls in _all_errors() if issubclass(cls, errors.ConfigurationError)}
    phrases = {name for name, value in vars(errors).items() if isinstance(value, errors.Phrase)}
    if sources is None:
        sources = [(path.relative_to(PACKAGE.parent).as_posix(), path.read_text(encoding="utf-8"))
                   for path in sorted(PACKAGE.rglob("*.py"))]
    found = []
    for relative, text in sources:
        for node in ast.walk(parse_source(text)):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in names or name in operator or not node.exc.args:
                continue
            message = node.exc.args[0]
            if not _catalogued(message, catalog, phrases):
                found.append(f"{relative}: {ast.unparse(message)[:60]}")
    return found


def test_no_error_is_raised_without_a_catalog_entry():
    found = _uncatalogued()
    assert found == [], ("raise a coded error from errors.py (a code, parameters and its sentence in the catalog) "
                         "instead of an English message:\n" + "\n".join(found))


def test_the_check_sees_an_english_message():
    """The scan finds plain English however it is passed (so the test above can fail), and
    takes coded errors, phrases and field messages the catalog has."""
    source = '''
def refuse(need_id, problems, message):
    raise ValidationError(f"need {need_id} is not open")
    raise Forbidden(message)
    raise ValidationError({"rules": {"rate": ["no rate given"]}})
    raise ValidationError(problems)
    raise NeedNotOpen(need_id=need_id)
    raise ValidationError("must not repeat a value")
    raise ValidationError(AT_LEAST_CHARACTERS(min=10))
    raise ValidationError({"rules": {"rate": ["required for this kind of programme"]}})
'''
    assert _uncatalogued([("example.py", source)]) == [
        "example.py: f'need {need_id} is not open'", "example.py: message",
        "example.py: {'rules': {'rate': ['no rate given']}}", "example.py: problems"]


def test_a_coded_error_is_said_in_the_readers_language(app):
    """The page's sentence of a coded error in Chinese and English, its codes as labels."""
    from matchmaker.errors import Label, MeetingTakesNoAnswers, NeedStatusRefused
    from matchmaker.web.i18n import translate_message

    closed = MeetingTakesNoAnswers(status=Label("meeting_status", "cancelled"))
    assert closed.message == "a cancelled meeting takes no more answers" and closed.code == "meeting_closed"
    refused = NeedStatusRefused(before=Label("need_status", "draft"), after=Label("need_status", "funded"))
    with app.test_request_context(headers={"Cookie": "lang=zh"}):
        assert translate_message(closed.message) == "该会面已不能再更改。"
        assert translate_message(refused.message) == "该需求不能变更为此状态。"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert translate_message(closed.message) == "This meeting can no longer be changed."
