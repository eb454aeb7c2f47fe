"""Exports are safe to open in a spreadsheet: no text cell becomes a formula (OWASP CSV injection)."""
from __future__ import annotations

import csv
import io

import pytest

from tests.brokering_helpers import API, ok, propose
from tests.conftest import enterprise_doc, institution_doc, need_doc

ATTACKS = ["=HYPERLINK(\"http://evil.invalid\",\"点我\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tx", "\rx"]


@pytest.fixture
def poisoned(client, actors):
    """A need, an enterprise, an institution and a meeting whose text starts like a formula."""
    staff = actors.as_staff()
    inst = ok(client.post(f"{API}/institutions", json=institution_doc(name=ATTACKS[0]), headers=staff), 201)
    ent = ok(client.post(f"{API}/enterprises", json=enterprise_doc(name=ATTACKS[1]), headers=staff), 201)
    need = ok(client.post(f"{API}/needs", json=need_doc(ent["id"], title=ATTACKS[3]), headers=staff), 201)
    propose(client, staff, need["id"], inst["id"], location=ATTACKS[2], notes=ATTACKS[4])
    return client, staff


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("report", ["needs", "meetings"])
def test_no_csv_cell_starts_like_a_formula(poisoned, report):
    client, staff = poisoned
    cells = [cell for row in _csv(client.get(f"{API}/exports/{report}.csv", headers=staff))[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(c.startswith("'") and c[1:] in ATTACKS for c in cells)


@pytest.mark.parametrize("report", ["needs", "meetings"])
def test_no_xlsx_cell_is_a_formula(poisoned, report):
    from openpyxl import load_workbook

    client, staff = poisoned
    response = client.get(f"{API}/exports/{report}.xlsx", headers=staff)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert ATTACKS[0] in texts or ATTACKS[1] in texts  # kept whole, as text


def test_the_csv_rule_itself():
    from matchmaker.exports.writers import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ATTACKS] == ["'" + v for v in ATTACKS]
    assert spreadsheet_safe("滨海 =1") == "滨海 =1" and spreadsheet_safe(-5) == -5
