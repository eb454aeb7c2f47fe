"""Schema behaviour found wanting by the property tests (tests/test_properties.py)."""
from __future__ import annotations

from tests.conftest import institution_doc
from matchmaker.core.schemas import validate_with
from matchmaker.institutions.schemas import InstitutionSchema

API = "/api/v1"


def test_institution_without_requirements_loads_like_empty_requirements():
    """The default requirements go through their schema too: a loaded institution validates to itself.

    They were a bare ``{}``, so an institution saved without requirements had none of the
    defaults an institution saved with ``"requirements": {}`` had, until its next edit.
    """
    doc = institution_doc()
    del doc["requirements"]
    loaded = validate_with(InstitutionSchema(), doc)
    assert loaded["requirements"] == validate_with(InstitutionSchema(), {**doc, "requirements": {}})["requirements"]
    assert loaded["requirements"] == {"collateral_required": False, "high_tech_required": False}
    assert validate_with(InstitutionSchema(), loaded) == loaded


def test_institution_created_without_requirements_keeps_them_on_edit(client, actors):
    staff = actors.as_staff()
    doc = institution_doc()
    del doc["requirements"]
    created = client.post(f"{API}/institutions", json=doc, headers=staff).get_json()
    edited = client.patch(f"{API}/institutions/{created['id']}", json={"name_en": "Renamed"}, headers=staff).get_json()
    assert created["requirements"] == edited["requirements"] == {"collateral_required": False, "high_tech_required": False}
