"""Every JSON body is checked before a view or schema reads it, so that what Python's own
decoder would choke on answers 400/422 with a message instead of a 500:

- nesting deeper than :data:`MAX_DEPTH` (the C decoder recurses, and a few thousand ``[``
  end in ``RecursionError``);
- integers beyond a 64-bit database integer (a 5,000-digit number is a ``ValueError`` in
  ``int()`` and would never fit a column anyway), and ``NaN``/``Infinity``;
- text that is not UTF-8, and lone surrogates (``"\\ud800"`` is valid JSON but cannot be
  encoded, stored or sent back).

The body is parsed once more by the schema afterwards; this pass only refuses.
"""
from __future__ import annotations

import json
import math

from flask import Flask, request

from ..errors import ValidationError

MAX_DEPTH = 32
MAX_INT = 2**63 - 1


class _Refused(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path, self.message = path, message


class _Bad:
    """Stands in for a number the decoder met and the service cannot take, so that the
    walk below can name the field it was in."""

    def __init__(self, message: str):
        self.message = message


def _int(text: str):
    digits = text.lstrip("-")
    if len(digits) > 19 or abs(int(text)) > MAX_INT:
        return _Bad(f"a {len(digits)}-digit number: integers must lie within ±{MAX_INT}")
    return int(text)


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Bad("numbers must be finite")


def _constant(name: str):
    return _Bad(f"{name} is not a number JSON allows")


def _walk(value, path: str = "") -> None:
    """Depth and text of every value, without recursion (the value may be deep)."""
    stack = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused(where or "_schema", f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, _Bad):
            raise _Refused(where or "_schema", item.message)
        if isinstance(item, str):
            _text(item, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                _text(key, where or "_schema")
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{i}" if where else str(i), depth + 1) for i, child in enumerate(item))


def _text(text: str, where: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(where or "_schema", "contains a lone surrogate (\\ud800-\\udfff): not text") from None


def check(body: bytes) -> None:
    """Raise :class:`ValidationError` (422, the field named) when ``body`` is JSON the
    service cannot take; a body that is not JSON at all is left to the schema (400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the body is not UTF-8 text", fields={"_schema": ["must be UTF-8"]}) from None
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
        _walk(value)
    except _Refused as refused:
        raise ValidationError("the request has invalid fields", fields={refused.path: [refused.message]}) from None
    except RecursionError:
        raise ValidationError("the request has invalid fields",
                              fields={"_schema": [f"nested deeper than {MAX_DEPTH} levels"]}) from None
    except ValueError:
        return  # not JSON: the schema's parser answers 400 with its own message


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_unsafe_json():
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
            body = request.get_data(cache=True)
            if body:
                check(body)
