"""The dump compiled from a schema (``core.dumping``) answers what marshmallow answers."""
from __future__ import annotations

import marshmallow as ma
import pytest
from marshmallow import fields

from matchmaker.core.dumping import CompiledDump, by_marshmallow, compile_dump
from matchmaker.core.schemas import IsoDate, ProjectedList


class Text(str):
    """A str subclass (as the catalog's sentences are)."""


class Part(ma.Schema):
    name = fields.String()
    weight = fields.Float(allow_none=True)


class Hooked(ma.Schema):
    value = fields.String()

    @ma.post_dump
    def shout(self, data, **kwargs):
        return {k: v.upper() if isinstance(v, str) else v for k, v in data.items()}


class Tree(ma.Schema):
    label = fields.String()
    children = fields.List(fields.Nested(lambda: Tree()))


class Everything(CompiledDump):
    text = fields.String()
    count = fields.Integer()
    counted = fields.Integer(as_string=True)
    ratio = fields.Float()
    flag = fields.Boolean()
    raw = fields.Raw()
    words = fields.List(fields.String())
    anything = fields.List(fields.Raw())
    parts = fields.List(fields.Nested(Part))
    many_parts = fields.Nested(Part, many=True)
    part = fields.Nested(Part)
    only_name = fields.Nested(Part, only=("name",))
    tally = fields.Dict(keys=fields.String(), values=fields.Integer())
    loose = fields.Dict()
    renamed = fields.String(data_key="renamedKey")
    sourced = fields.String(attribute="source")
    dotted = fields.String(attribute="part.name")
    defaulted = fields.String(dump_default="none given")
    day = IsoDate()
    reasons = ProjectedList(Part)
    hooked = fields.Nested(Hooked)
    tree = fields.Nested(Tree)
    secret = fields.String(load_only=True)
    items = fields.Raw()  # a dict without the key: marshmallow reads the dict's method of that name


OBJECTS = [
    {},
    {"text": None, "count": None, "ratio": None, "parts": None, "part": None, "tally": None, "words": None},
    {
        "text": Text("句子"), "count": True, "counted": 7, "ratio": 2, "flag": "yes", "raw": {"a": [1, 2]},
        "words": ["a", 3, None, b"bytes"], "anything": [1, "x", None], "parts": [{"name": "p", "weight": 1}, {}],
        "many_parts": [{"name": 5}], "part": {"name": "n", "weight": "2.5", "extra": "dropped"},
        "only_name": {"name": "n", "weight": 3.0}, "tally": {"a": "3", "b": 4.9}, "loose": {"x": object.__name__},
        "renamed": "r", "source": "from source", "sourced": "not this", "day": "2026-12-03", "reasons": [
            {"name": "a", "weight": 1.5, "more": 1}], "hooked": {"value": "quiet"},
        "tree": {"label": "root", "children": [{"label": "leaf", "children": []}]}, "secret": "never dumped",
        "unknown": "not a field", "items": ["a key of that name"],
    },
    {"count": 3.9, "text": 12, "flag": 0, "ratio": "1e3", "tally": {}, "words": (), "parts": []},
]
OBJECTS[2]["part"]["name"] = "n"
OBJECTS.append({"part": {"name": "only via dotted"}, "defaulted": None})


@pytest.mark.parametrize("obj", OBJECTS)
def test_every_field_kind_dumps_as_marshmallow_does(obj):
    schema = Everything()
    with by_marshmallow():
        expected = schema.dump(obj)
    got = schema.dump(obj)
    assert got == expected
    assert list(got) == list(expected)  # the same keys in the same order
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
    assert schema.dump([obj, obj], many=True) == [expected, expected]


def test_a_schema_with_hooks_or_its_own_accessor_is_dumped_by_marshmallow():
    class Accessor(CompiledDump):
        name = fields.String()

        def get_attribute(self, obj, attr, default):
            return "always"

    class Hooks(CompiledDump):
        name = fields.String()

        @ma.pre_dump
        def rename(self, data, **kwargs):
            return {"name": "hooked"}

    assert compile_dump(Accessor()) is None and Accessor().dump({"name": "x"}) == {"name": "always"}
    assert compile_dump(Hooks()) is None and Hooks().dump({"name": "x"}) == {"name": "hooked"}
    assert compile_dump(Everything()) is not None


def test_an_object_that_is_not_a_dict_is_dumped_by_marshmallow():
    class Thing:
        text, count = "t", "4"

    assert Everything().dump(Thing()) == {"text": "t", "count": 4, "defaulted": "none given"}


# -- every role's view through the API ---------------------------------------------------------
def _views(world) -> list[tuple[str, dict]]:
    ent_a, ent_b, inst_a, inst_b = world["ent_a"], world["ent_b"], world["inst_a"], world["inst_b"]
    need_a = world["needs"][ent_a["id"]]["open"]["id"]
    need_b = world["needs"][ent_b["id"]]["open"]["id"]
    paths = ["/api/v1/needs", "/api/v1/needs?q=电池&per_page=5", f"/api/v1/needs/{need_a}", f"/api/v1/needs/{need_b}",
             f"/api/v1/needs/{need_a}/matches", f"/api/v1/institutions/{inst_a['id']}/dealflow",
             f"/api/v1/institutions/{inst_b['id']}/dealflow", "/api/v1/institutions", f"/api/v1/institutions/{inst_b['id']}",
             "/api/v1/enterprises", f"/api/v1/enterprises/{ent_a['id']}", f"/api/v1/enterprises/{ent_b['id']}"]
    roles = [world["staff"], world["admin"], world["as_ent_a"], world["as_inst_a"]]
    return [(path, headers) for path in paths for headers in roles]


def test_every_roles_view_is_the_same_as_marshmallows(client, world):
    statuses = set()
    for path, headers in _views(world):
        with by_marshmallow():
            expected = client.get(path, headers=headers)
        got = client.get(path, headers=headers)
        assert got.status_code == expected.status_code, path
        assert got.data == expected.data, path
        statuses.add(got.status_code)
    assert 200 in statuses


def test_the_api_pages_are_compiled(app):
    """The schemas the searches answer with are dumped by the compiled function."""
    from matchmaker.needs.routes import blp  # noqa: F401  (the page schemas are made with the routes)
    from matchmaker.core.api import page_schema
    from matchmaker.matches.schemas import InstitutionMatchPageSchema
    from matchmaker.needs.schemas import NeedSchema

    assert compile_dump(page_schema(NeedSchema, "NeedPageForTest")()) is not None
    assert compile_dump(InstitutionMatchPageSchema()) is not None


# -- the JSON written and read back -------------------------------------------------------------
def test_answers_are_the_json_flask_writes(app):
    import json
    from datetime import date, datetime, timezone
    from decimal import Decimal

    from flask.json.provider import DefaultJSONProvider

    values = [
        {"b": 1, "a": [1.5, None, True, "电池 \u00e9"], "nested": {"z": 1, "y": {"x": 2}}},
        {"when": datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc), "day": date(2026, 12, 3), "money": Decimal("1.10")},
        {"big": 2**70, "text": Text("句子")},  # past 64 bits: Flask's provider writes it
        {1: "a key that is not a string"},
        "\ud800",  # a lone surrogate
    ]
    flask_json = DefaultJSONProvider(app)
    with app.test_request_context():
        for value in values:
            got, expected = app.json.response(value), flask_json.response(value)
            assert json.loads(got.get_data()) == json.loads(expected.get_data()), value
            assert got.mimetype == expected.mimetype == "application/json"
        assert app.json.response(values[0]).get_data() == b'{"a":[1.5,null,true,"\xe7\x94\xb5\xe6\xb1\xa0 \xc3\xa9"],"b":1,"nested":{"y":{"x":2},"z":1}}\n'



def test_fields_that_name_their_conversion_are_compiled_not_dumped_by_marshmallow(monkeypatch):
    """A page of matches holds a reasons list per institution: its field's own
    ``serialize`` (five calls a value) is not what dumps it."""

    def refuse(*args, **kwargs):
        raise AssertionError("dumped through the field's serialize")

    monkeypatch.setattr(ProjectedList, "serialize", refuse)
    monkeypatch.setattr(IsoDate, "serialize", refuse)

    class Page(CompiledDump):
        day = IsoDate(allow_none=True)
        when = IsoDate()
        reasons = ProjectedList(Part)

    from datetime import date

    page = {"day": None, "when": date(2026, 1, 2), "reasons": [{"name": "a", "weight": 1.5, "extra": 2}, {"name": "b"}]}
    assert Page().dump(page) == {"day": None, "when": "2026-01-02", "reasons": [{"name": "a", "weight": 1.5}, {"name": "b"}]}
    assert Page().dump({"when": "2026-03-04", "reasons": None}) == {"when": "2026-03-04", "reasons": None}


def test_a_projected_item_with_exactly_the_schemas_keys_is_kept_not_copied():
    class Page(CompiledDump):
        reasons = ProjectedList(Part)

    exact, reordered, more = {"name": "a", "weight": 1.0}, {"weight": 2.0, "name": "b"}, {"name": "c", "weight": None, "x": 1}
    dumped = Page().dump({"reasons": [exact, reordered, more]})["reasons"]
    assert dumped == [exact, {"name": "b", "weight": 2.0}, {"name": "c", "weight": None}]
    assert dumped[0] is exact
    assert list(dumped[1]) == ["name", "weight"]  # the schema's order, as marshmallow writes it
    with by_marshmallow():
        assert Page().dump({"reasons": [exact, reordered, more]})["reasons"] == dumped
