"""Answers that broke the OpenAPI document or were a 500, found by schemathesis (tests/test_schemathesis.py).

Each test sends the request that failed; the document's answers are validated against the
app's own document with jsonschema-rs (what schemathesis uses), so the document and the
code cannot drift apart again on that point.
"""
from __future__ import annotations

import io

import jsonschema_rs
from openpyxl import load_workbook

from tests.conftest import enterprise_doc, need_doc

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


def test_xlsx_export_of_text_with_control_characters(client, actors):
    """A need whose title holds control characters (the API accepts them) still exports to .xlsx.

    openpyxl refuses such characters in a cell: the export answered 500 until they were dropped.
    """
    staff = actors.as_staff()
    enterprise = client.post(f"{API}/enterprises", json=enterprise_doc(name="控制\x01字符\x1c公司"), headers=staff).get_json()
    need = client.post(f"{API}/needs", json=need_doc(enterprise["id"], title="电池\x00产线\x1b\x7f扩产 tab\there"), headers=staff)
    assert need.status_code == 201, need.get_json()
    response = client.get(f"{API}/exports/needs.xlsx", headers=staff)
    assert response.status_code == 200, response.get_json(silent=True)
    cells = [c for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True) for c in row]
    assert any(isinstance(c, str) and c.startswith("电池产线") and "tab\there" in c for c in cells), cells
    assert "控制字符公司" in cells
    assert client.get(f"{API}/exports/needs.csv", headers=staff).status_code == 200
