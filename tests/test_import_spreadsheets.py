"""Import from the spreadsheets zones keep: CSV in UTF-8 (with or without BOM) or GBK, and
XLSX; headers as field codes or as the exports' titles; per-row messages with row numbers;
what the needs export writes imports back unchanged; a GBK file never gives a traceback."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from matchmaker.importexport import import_file
from tests.brokering_helpers import API, ok
from tests.conftest import enterprise_doc, institution_doc, need_doc
from tests.server import cli

INSTITUTION_HEADERS = ["kind", "id", "name", "name_en", "type", "instruments", "industries", "stages", "ticket_min",
                       "ticket_max", "description", "status", "requirements"]


def institution_row(**overrides) -> list[str]:
    doc = {**institution_doc(), "kind": "institution", "id": "inst-gbk", **overrides}
    doc["requirements"] = '{"min_years": 1}'
    return [", ".join(doc[h]) if isinstance(doc[h], list) else str(doc[h]) for h in INSTITUTION_HEADERS]


def write_csv(path, rows, encoding):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def test_a_gbk_csv_from_chinese_excel_imports_through_the_cli(tmp_path):
    path = tmp_path / "机构.csv"
    rows = [INSTITUTION_HEADERS, institution_row(), institution_row(id="inst-bad", type="哪种都不是", ticket_min="两百万")]
    write_csv(path, rows, "gbk")
    result = cli(tmp_path, "import", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}:3: ticket_min: not a whole number" in result.stderr
    assert "imported 1 institutions" in result.stderr and "rejected 1 line(s): 3" in result.stderr
    exported = cli(tmp_path, "export", str(tmp_path / "out.jsonl"))
    assert exported.returncode == 0
    assert "滨海新能源创业投资有限公司" in (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    # a file that is no spreadsheet at all: one line, no traceback
    (tmp_path / "junk.xlsx").write_bytes(b"\xff\xfe not a workbook")
    junk = cli(tmp_path, "import", str(tmp_path / "junk.xlsx"))
    assert junk.returncode == 1 and "Traceback" not in junk.stderr and len(junk.stderr.strip().splitlines()) == 1


def test_utf8_with_or_without_bom_and_kind_from_the_command(app, backend, tmp_path):
    headers = ["id", "name", "name_en", "industry", "stage", "founded", "registered_capital", "employees", "description",
               "joint_stock", "sponsor_engaged", "invention_patents", "has_collateral"]
    doc = enterprise_doc()
    row = ["ent-csv", doc["name"], doc["name_en"], "新能源", "成长期", "2008-03-01", "10,000,000", "80", doc["description"],
           "否", "否", "6", "是"]
    for encoding in ("utf-8-sig", "utf-8"):
        path = tmp_path / f"enterprises-{encoding}.csv"
        write_csv(path, [headers, row], encoding)
        with app.app_context():
            report = import_file(backend, path, kind="enterprise")
        assert report.rejected == []
        stored = backend.get("enterprises", "ent-csv")
        assert (stored["industry"], stored["stage"], stored["registered_capital"]) == ("new_energy", "growth", 10_000_000)
        assert stored["has_collateral"] is True and stored["joint_stock"] is False
    with app.app_context():
        try:
            import_file(backend, path)  # no kind column and no --kind
        except Exception as exc:
            assert "--kind" in str(exc)
        else:
            raise AssertionError("a file without kinds was imported")


def test_xlsx_of_needs_with_labels_and_row_numbers(app, backend, client, world, tmp_path):
    enterprise = world["ent_a"]["id"]
    book = Workbook()
    sheet = book.active
    sheet.append(["kind", "enterprise_id", "title", "description", "amount", "instrument", "status"])
    base = need_doc(enterprise)
    sheet.append(["need", enterprise, "新产线 XLSX line", base["description"], 3_000_000, "股权", "征集中"])
    sheet.append(["need", enterprise, "", base["description"], "很多", "股权", "open"])
    path = tmp_path / "needs.xlsx"
    book.save(path)
    with app.app_context():
        report = import_file(backend, path)
    assert [r.line for r in report.rejected] == [3]
    assert "amount" in report.rejected[0].message
    found = ok(client.get(f"{API}/needs", query_string={"q": "XLSX"}, headers=world["staff"]))["items"]
    assert [(n["title"], n["amount"], n["instrument"], n["status"]) for n in found] == [("新产线 XLSX line", 3_000_000, "equity", "open")]


def test_the_needs_export_imports_back_unchanged(app, backend, client, world, tmp_path):
    staff = world["staff"]
    before = {n["id"]: n for n in backend.scan("needs", __import__("matchmaker.search", fromlist=["Query"]).Query())}
    r = client.get(f"{API}/exports/needs.csv", headers=staff)
    path = tmp_path / "needs.csv"
    path.write_bytes(r.data)
    with app.app_context():
        report = import_file(backend, path, kind="need")
    assert report.rejected == []
    after = {n["id"]: n for n in backend.scan("needs", __import__("matchmaker.search", fromlist=["Query"]).Query())}
    strip = lambda doc: {k: v for k, v in doc.items() if k not in ("version", "updated_at")}  # noqa: E731
    assert {k: strip(v) for k, v in after.items()} == {k: strip(v) for k, v in before.items()}
    # a changed cell changes that field only
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    rows[1][2] = "改过的标题 changed title"
    write_csv(path, rows, "gbk")
    with app.app_context():
        assert import_file(backend, path, kind="need").rejected == []
    changed = backend.get("needs", rows[1][0])
    assert changed["title"] == "改过的标题 changed title"
    assert strip({**changed, "title": before[rows[1][0]]["title"]}) == strip(before[rows[1][0]])


def test_a_gbk_json_lines_file_is_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "机构.jsonl"
    path.write_bytes('{"kind": "institution", "name": "滨海创投"}\n'.encode("gbk"))
    result = cli(tmp_path, "import", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "not UTF-8" in result.stderr


def test_an_unreadable_file_and_an_unknown_column_are_coded_errors(tmp_path):
    """What the operator reads when a file cannot be imported: a code and parameters, the same
    English sentence as before, and its Chinese in the catalog (no English-only message)."""
    import pytest

    from matchmaker import spreadsheets
    from matchmaker.errors import ValidationError
    from matchmaker.importexport import _parse
    from matchmaker.institutions.service import InstitutionService

    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    unknown = tmp_path / "unknown.csv"
    write_csv(unknown, [["kind", "name", "colour"], ["institution", "x", "blue"]], "utf-8")
    with pytest.raises(ValidationError) as workbook:
        spreadsheets.read_table(damaged)
    with pytest.raises(ValidationError) as columns:
        list(spreadsheets.records(None, unknown, None, {"institution": InstitutionService.schema_instance()}, 3))
    with pytest.raises(ValidationError) as line:
        _parse(1, "{not json")
    with pytest.raises(ValidationError) as kind:
        _parse(1, '{"kind": "planet"}')
    assert (workbook.value.code, workbook.value.message) == ("spreadsheet_unreadable", f"not a readable .xlsx workbook ({workbook.value.params['reason']})")
    assert columns.value.code == "unknown_columns" and columns.value.message.startswith("unknown column(s): colour (use field codes")
    assert line.value.code == "import_line_not_json" and line.value.message.startswith("not valid JSON (")
    assert kind.value.code == "import_kind_unknown" and kind.value.message.endswith(", not 'planet'")
