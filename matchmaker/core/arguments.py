"""The API's blueprints, whose query and body schemas are built once, not once a request.

flask-smorest hands ``@blp.arguments(TheSchema)`` to webargs, which makes a new instance
of a schema class on every request it parses: its fields copied and bound again, 60 µs
for the matches' page arguments, 200 µs for the needs search's (4% of a cold search).
A schema instance keeps nothing of what it loads, so one per class serves every request
and thread alike (webargs and flask-smorest take instances too); a view's arguments and
their errors are the same.
"""
from __future__ import annotations

import threading

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


class SchemaOnceParser(FlaskParser):
    """webargs' Flask parser, keeping one instance of each schema class it is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[ma.Schema], ma.Schema] = {}
        self._lock = threading.Lock()

    def _get_schema(self, argmap, req) -> ma.Schema:
        if not (isinstance(argmap, type) and issubclass(argmap, ma.Schema)):
            return super()._get_schema(argmap, req)
        schema = self._schemas.get(argmap)
        if schema is None:
            with self._lock:
                schema = self._schemas.setdefault(argmap, argmap())
        return schema


class Blueprint(flask_smorest.Blueprint):
    """What every API module makes its routes on (``flask_smorest.Blueprint`` otherwise)."""

    ARGUMENTS_PARSER = SchemaOnceParser()
