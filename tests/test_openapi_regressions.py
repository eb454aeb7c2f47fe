"""Responses that broke the OpenAPI document, found by schemathesis (tests/test_schemathesis.py).

Each test sends the request that failed and validates the answer against the app's own
document with jsonschema-rs (what schemathesis uses), so the document and the code cannot
drift apart again on that point.
"""
from __future__ import annotations

import jsonschema_rs

from conftest import enterprise_doc

API = "/api/v1"


def response_schema(client, path: str, method: str, status: str) -> dict:
    document = client.get(f"{API}/openapi.json").get_json()
    schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    # resolve "#/components/..." references against the whole document
    return {**schema, "components": document["components"]}


def test_enterprise_without_financials_conforms(client, actors):
    """latest_year and latest_revenue are null until a year of financials is given: the document says so."""
    created = client.post(f"{API}/enterprises", json=enterprise_doc(financials=[]), headers=actors.as_staff())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["latest_year"] is None and body["latest_revenue"] is None
    validator = jsonschema_rs.validator_for(response_schema(client, f"{API}/enterprises", "post", "201"))
    assert validator.is_valid(body), list(validator.iter_errors(body))
