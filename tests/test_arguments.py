"""The API's query and body schemas are built once per class, not once a request
(``core/arguments.py``), and every API blueprint parses with that parser."""
from __future__ import annotations

import flask_smorest

from matchmaker.core.arguments import Blueprint
from matchmaker.needs.schemas import NeedSearchSchema


def test_a_query_schema_is_built_once_for_many_requests(client, actors, monkeypatch):
    built = []
    original = NeedSearchSchema.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(NeedSearchSchema, "__init__", counting)
    staff = actors.as_staff()
    for page in (1, 2, 3):
        assert client.get(f"/api/v1/needs?page={page}&status=open", headers=staff).status_code == 200
    assert client.get("/api/v1/needs?status=bogus", headers=staff).status_code == 422  # still validated
    assert built.count(NeedSearchSchema) <= 1


def test_every_api_blueprint_parses_with_the_shared_parser(app):
    api_blueprints = [blp for blp in app.blueprints.values() if isinstance(blp, flask_smorest.Blueprint)]
    assert api_blueprints
    assert [blp.name for blp in api_blueprints if not isinstance(blp, Blueprint)] == []
