"""The API's answers dumped by plain functions made from their marshmallow schemas.

marshmallow dumps each value through five calls (``serialize``, ``get_value``, the
accessor, ``_serialize``, the type's conversion): a page of 20 needs, about 1,000 values,
cost more than the search that found it.  :func:`compile_dump` reads a schema's dump fields
once and makes a function that does what those calls do for the field types the schemas
use (String, Integer, Float, Boolean, Raw, List, Dict, Nested) and for a field that names
its own conversion (``dump_converter``: the API's dates, the reasons' lists); any other
field (a subclass with its own ``_serialize``, a default to dump, a dotted attribute) is
dumped by the field itself, and a schema with dump hooks or its own accessor by marshmallow whole.
So the schema stays the one description of the API's shape, and the output is the same
(``tests/test_dumping.py`` compares both on every role's view).

:class:`CompiledDump` makes a schema's ``dump`` use it; :func:`by_marshmallow` turns it
off (the tests' reference).  :class:`FastJSONProvider` writes the dumped answer.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

import marshmallow as ma
import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider
from marshmallow import fields
from marshmallow.utils import ensure_text_type, get_value

MISSING = ma.missing
Dump = Callable[[Any], Any]
_OFF: ContextVar[bool] = ContextVar("matchmaker_dump_by_marshmallow", default=False)


@contextmanager
def by_marshmallow() -> Iterator[None]:
    """Inside, every :class:`CompiledDump` schema dumps through marshmallow itself."""
    token = _OFF.set(True)
    try:
        yield
    finally:
        _OFF.reset(token)


def _string(value):
    return value if value is None or type(value) is str else ensure_text_type(value)


def _integer(value):
    return value if value is None or type(value) is int else int(value)


def _float(value):
    return value if value is None or type(value) is float else float(value)


def _list(inner: Dump | None) -> Dump:
    if inner is None:
        return lambda value: None if value is None else list(value)
    return lambda value: None if value is None else [inner(each) for each in value]


def _mapping(keys: Dump | None, values: Dump | None) -> Dump:
    def dump(value):
        if value is None:
            return None
        if keys is None and values is None:
            return dict(value)
        return {(keys(k) if keys else k): (values(v) if values else v) for k, v in value.items()}

    return dump


def _nested(field: fields.Nested, within: tuple) -> Dump | None:
    schema = field.schema
    if type(schema) in within:
        return None  # a schema nested in itself: the field dumps that level
    one = compile_dump(schema, within)
    if one is None:
        return None
    if schema.many or field.many:
        return lambda value: None if value is None else [one(each) for each in value]
    return lambda value: None if value is None else one(value)


#: The conversion of a value that needs none (Boolean and Raw dump values as they are).
_AS_IS = object()


def _converter(field: fields.Field, within: tuple):
    """How one value of ``field`` is dumped: a function, :data:`_AS_IS`, or None when
    only the field itself knows (its subclass's own ``_serialize``)."""
    own = getattr(field, "dump_converter", None)
    if own is not None:  # a field of ours that says how its values dump, without marshmallow's calls
        return own()
    kind = type(field)
    if kind is fields.String:
        return _string
    if kind is fields.Integer and not field.as_string:
        return _integer
    if kind is fields.Float and not field.as_string:
        return _float
    if kind in (fields.Boolean, fields.Raw):
        return _AS_IS
    if kind is fields.List:
        inner = _converter(field.inner, within)
        return None if inner is None else _list(None if inner is _AS_IS else inner)
    if kind is fields.Dict:
        keys = _converter(field.key_field, within) if field.key_field is not None else _AS_IS
        values = _converter(field.value_field, within) if field.value_field is not None else _AS_IS
        if keys is None or values is None:
            return None
        return _mapping(None if keys is _AS_IS else keys, None if values is _AS_IS else values)
    if kind is fields.Nested:
        return _nested(field, within)
    return None


def compile_dump(schema: ma.Schema, within: tuple = ()) -> Dump | None:
    """``schema.dump(obj)`` for one object (``many`` aside) as one function, or None when
    the schema has dump hooks or its own accessor (marshmallow then dumps it).  ``within``:
    the schema classes this one is nested in, being compiled."""
    cached = schema.__dict__.get("_compiled_dump", MISSING)
    if cached is not MISSING:
        return cached
    hooks = schema._hooks
    if hooks[ma.decorators.PRE_DUMP] or hooks[ma.decorators.POST_DUMP] or \
            type(schema).get_attribute is not ma.Schema.get_attribute:
        schema._compiled_dump = None
        return None
    within = (*within, type(schema))
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute if field.attribute is not None else name
        convert = _converter(field, within)
        if convert is None or field.dump_default is not MISSING or "." in attribute:
            plan.append((name, key, None, field, False))  # the field dumps itself
        else:
            # what marshmallow reads of a dict without the key is the dict's attribute of that
            # name (``items``, ``keys``): looked for only when a dict has one, since a failed
            # getattr raises and catches an AttributeError (a page of matches lacks 222 keys)
            plan.append((attribute, key, None if convert is _AS_IS else convert, None, hasattr(dict, attribute)))
    plan = tuple(plan)
    accessor = schema.get_attribute

    def dump(obj):
        if type(obj) is not dict:
            return ma.Schema.dump(schema, obj, many=False)
        out = {}
        for attribute, key, convert, field, on_dict in plan:
            if field is not None:
                value = field.serialize(attribute, obj, accessor=accessor)
                if value is not MISSING:
                    out[key] = value
                continue
            value = obj.get(attribute, MISSING)
            if value is MISSING:
                if not on_dict:
                    continue
                value = getattr(obj, attribute)
            out[key] = convert(value) if convert is not None else value
        return out

    schema._compiled_dump = dump
    return dump


class CompiledDump(ma.Schema):
    """A schema whose ``dump`` runs the function :func:`compile_dump` makes of it."""

    def dump(self, obj: Any, *, many: bool | None = None):
        one = None if _OFF.get() else compile_dump(self)
        if one is None:
            return super().dump(obj, many=many)
        many = self.many if many is None else bool(many)
        if many:
            return None if obj is None else [one(each) for each in obj]
        return one(obj)


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON answers written by orjson: the same JSON (keys sorted as Flask sorts
    them, dates, dataclasses and the rest through Flask's own ``default``), non-ASCII text
    as UTF-8 rather than ``\\u`` escapes, about ten times faster (a page of matches, 120 KB:
    0.49 ms by the standard library).  What orjson refuses (an integer past 64 bits, a key
    that is not a string, a lone surrogate) and the indented answers of debug mode are
    written by Flask's provider as before."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        if self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except TypeError:  # orjson.JSONEncodeError is one
            return super().response(*args, **kwargs)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)
