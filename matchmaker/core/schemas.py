"""Schema building blocks shared by every document type."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import fields, validate

from .. import clock
from .dumping import CompiledDump
from ..errors import REQUIRED, SCHEMA_SENTENCES, TOO_MANY_TERMS, ValidationError, YEARS_BETWEEN
from ..errors import Text as Sentence

#: The largest sum of money a document may carry: 10,000 亿 yuan, far above any real ticket.
MAX_MONEY = 10**12
#: The most search terms one query may have (a Chinese run of n characters is n-1 terms):
#: each term costs the engine a posting-list walk, so a long ``q`` is refused, not run.
MAX_QUERY_TERMS = 32


def _with_sentence(validator: type, params) -> None:
    """Make ``validator``'s messages ``Text``s that carry the catalog's sentence and values
    (``errors.SCHEMA_SENTENCES``), so the pages translate them without parsing the English."""
    written = validator._format_error

    def format_error(self, value, *message):
        english = written(self, value, *message)
        template = self.error or (message[0] if message else "")
        sentence = SCHEMA_SENTENCES.get(template)
        if sentence is None:
            return english
        values = params(self)
        if template == getattr(validator, "message_min", None) and values.get("min") == 1:
            sentence = REQUIRED
        return Sentence(sentence, english=english, **values)

    validator._format_error = format_error


_with_sentence(validate.Range, lambda v: {"min": v.min, "max": v.max})
_with_sentence(validate.Length, lambda v: {"min": v.min, "max": v.max})
_with_sentence(validate.OneOf, lambda v: {"choices": v.choices_text})


class StrictSchema(CompiledDump):
    """Unknown fields are refused with a message, never silently dropped; dumped by the
    function compiled from the schema (``core.dumping``)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


def Money(validate_also=None, strict: bool = True, **kwargs) -> fields.Integer:
    """A non-negative amount in yuan, a whole number (``validate_also``: a further rule).

    ``strict=False`` for query-string parameters, which arrive as text ("5000000").
    """
    rules = [validate.Range(min=0, max=MAX_MONEY)] + ([validate_also] if validate_also else [])
    return fields.Integer(strict=strict, validate=rules, **kwargs)


def SignedMoney(**kwargs) -> fields.Integer:
    """An amount in yuan that may be negative (a loss, an outflow)."""
    return fields.Integer(strict=True, validate=validate.Range(min=-MAX_MONEY, max=MAX_MONEY), **kwargs)


class Moment(fields.AwareDateTime):
    """An ISO 8601 time with an offset, between the years 1900 and 2200: a time far outside
    them cannot be turned into UTC or stored, so it is a field error, not a crash."""

    YEARS = (1900, 2200)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        low, high = self.YEARS
        try:
            utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment
        except (OverflowError, ValueError):
            utc = None
        if utc is None or not low <= utc.year <= high:
            raise ma.ValidationError(YEARS_BETWEEN(low=low, high=high))
        return moment


def _few_terms(text: str) -> None:
    from ..search.analysis import tokenize

    terms = len(set(tokenize(text)))
    if terms > MAX_QUERY_TERMS:
        raise ma.ValidationError(TOO_MANY_TERMS(terms=terms, most=MAX_QUERY_TERMS))


def QueryText(**kwargs) -> fields.String:
    """Full text to search: at most 500 characters and :data:`MAX_QUERY_TERMS` terms."""
    kwargs.setdefault("metadata", {"description": f"full text, Chinese or English; at most {MAX_QUERY_TERMS} terms"})
    return fields.String(validate=[validate.Length(max=500), _few_terms], **kwargs)


def Text(max_length: int, required: bool = False, **kwargs) -> fields.String:
    min_length = 1 if required else 0
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


def Code(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def Codes(choices, min_length: int = 0, **kwargs) -> fields.List:
    """A list of codes from ``choices``, without repeats."""
    rules = [_no_repeats]
    if min_length:
        rules.append(validate.Length(min=min_length, error=f"name at least {min_length}"))
    return fields.List(fields.String(validate=validate.OneOf(choices)), validate=rules, **kwargs)


def _no_repeats(values: list) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError("must not repeat a value")


class PageArgs(StrictSchema):
    """``page`` and ``per_page`` of a list: 20 a page by default, 100 at most."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SearchArgs(PageArgs):
    """A search's query string: full text ``q`` besides the page."""

    q = QueryText()


class DocumentSchema(StrictSchema):
    """Fields the server manages on every document."""

    id = fields.String(dump_only=True)
    version = fields.String(dump_only=True, metadata={"description": "changes with every write; send it back (If-Match header or `version`) to refuse stale updates"})
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)


def validate_with(schema: ma.Schema, data, *, partial: bool = False) -> dict:
    """Load ``data`` with ``schema``; marshmallow's errors become our ValidationError."""
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object", fields={"_schema": ["must be a JSON object"]})
    try:
        return schema.load(data, partial=partial)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationError("the document has invalid fields", fields=messages) from None


def now_iso() -> str:
    """A document's time stamp, on the service's today (``matchmaker.clock``)."""
    return clock.now().isoformat(timespec="seconds")


class IsoDate(fields.Date):
    """A date: parsed and checked on load, stored and answered as ``YYYY-MM-DD`` text."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)

    def dump_converter(self):
        """What ``_serialize`` does, as the compiled dump's function (``core.dumping``)."""
        convert = self._serialize
        return lambda value: value if value is None or type(value) is str else convert(value, None, None)


class ProjectedList(fields.List):
    """A list of flat objects our own code builds (match reasons), documented as a list of
    ``schema`` but dumped by picking the schema's keys: marshmallow dumps a few microseconds
    a value, and one page of matches carries hundreds of reasons."""

    def __init__(self, schema: type[ma.Schema], **kwargs):
        super().__init__(fields.Nested(schema), **kwargs)
        self.keys = tuple(schema._declared_fields)

    def _serialize(self, value, attr, obj, **kwargs):
        return self._project(value)

    def _project(self, value):
        """An item that holds the schema's keys and no other, in their order (a reason our
        code built), is already its own projection: kept, not copied (a quarter of a
        microsecond to check, a microsecond to copy, a page of matches holds 280)."""
        if value is None:
            return None
        keys = self.keys
        return [item if tuple(item) == keys else {key: item[key] for key in keys if key in item} for item in value]

    def dump_converter(self):
        """What ``_serialize`` does, as the compiled dump's function (``core.dumping``)."""
        return self._project
