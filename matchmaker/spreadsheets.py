"""Institutions, enterprises and needs from the spreadsheets zones keep: ``.csv`` (UTF-8 with
or without BOM, or GB18030/GBK as Chinese Excel saves it) and ``.xlsx``.

The first row names the columns: the field codes of API.md (``name``, ``amount``…) or the
column titles the exports write (``需求标题``, ``金额（元）``…); a ``kind`` column says what
each row is, else ``--kind`` does.  Cells are text: each is turned into the field's type by
the kind's schema (whole numbers, decimals, yes/no, lists split at 、 , ; and JSON for
nested fields), and a code's Chinese or English label into its code.

A row whose ``id`` is already stored changes only the columns whose text differs from what
the export writes for the stored record, so what the exports write imports back unchanged
(their computed columns, such as 首次回应时间, are never read).
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Iterator

from marshmallow import fields, validate

from .core.calendar import ZONE_TIME, utc_iso
from .errors import CsvUnreadable, SpreadsheetUnreadable, UnknownColumns, ValidationError
from .exports import tables
from .labels import LABELS

SUFFIXES = (".csv", ".xlsx")
KINDS = ("institution", "enterprise", "need")
#: The needs export's titles that are fields; its other columns are computed and skipped.
NEED_TITLES = {"编号": "id", "需求标题": "title", "金额（元）": "amount", "融资方式": "instrument", "行业": "industry",
               "阶段": "stage", "状态": "status", "发布时间": "published_at"}
COMPUTED_TITLES = {"企业", "回复期限", "首次回应时间", "按时回应", "有意向时间", "会面时间", "融资完成时间", "到位金额（元）"}
KIND_TITLES = {"kind", "类别", "类型（kind）"}
LIST_SPLIT = re.compile(r"\s*[、,，;；|]\s*")
YES, NO = {"是", "yes", "true", "1", "y", "有"}, {"否", "no", "false", "0", "n", "无"}


def is_spreadsheet(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError("the file is neither UTF-8 nor GB18030/GBK text") from None


def read_table(path: Path) -> list[list[str]]:
    """Every row of the file's first sheet, each cell as text ('' when empty)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: one line, no traceback
            raise SpreadsheetUnreadable(reason=type(exc).__name__) from None
        try:  # read-only mode keeps the file open until closed
            return [[_cell_text(cell) for cell in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    text = decode(path.read_bytes())
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise CsvUnreadable(reason=str(exc)) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def column_codes(headers: list[str], kind: str | None, schemas: dict) -> list[str | None]:
    """The field code of each column (None: a column not read)."""
    known = set().union(*(s.fields for s in schemas.values())) | {"id", "kind"}
    codes = []
    for header in headers:
        header = header.strip()
        if header in KIND_TITLES:
            codes.append("kind")
        elif header in known:
            codes.append(header)
        elif header in NEED_TITLES and kind in (None, "need"):
            codes.append(NEED_TITLES[header])
        else:
            codes.append(None)
    return codes


def records(backend, path: Path, kind: str | None, schemas: dict, working_days: int) -> Iterator[tuple[int, str | None, dict | str]]:
    """(row number, kind, document) for each row, or (row number, None, message) for a row refused."""
    rows = read_table(path)
    if not rows:
        return
    headers = rows[0]
    codes = column_codes(headers, kind, schemas)
    unknown = [h for h, c in zip(headers, codes) if c is None and h.strip() and h.strip() not in COMPUTED_TITLES]
    if unknown:
        raise UnknownColumns(columns=", ".join(unknown))
    if "kind" not in codes and kind is None:
        raise ValidationError("the file has no kind column: say --kind institution, enterprise or need")
    for number, row in enumerate(rows[1:], start=2):
        cells = {code: (row[i].strip() if i < len(row) and row[i] is not None else "")
                 for i, code in enumerate(codes) if code is not None}
        if not any(cells.values()):
            continue
        row_kind = cells.pop("kind", "") or kind
        if row_kind not in KINDS:
            yield number, None, f"kind must be one of {', '.join(KINDS)}, not {row_kind!r}"
            continue
        try:
            yield number, row_kind, document(backend, row_kind, cells, schemas[row_kind], working_days)
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.fields or {}).items())
            yield number, None, problems or exc.message


def document(backend, kind: str, cells: dict[str, str], schema, working_days: int) -> dict:
    """The row as a document; for a stored id, the stored record with the changed columns."""
    stored = backend.get(f"{kind}s", cells["id"]) if cells.get("id") else None
    if stored is not None and kind == "need":
        exported = dict(zip(tables.NEED_HEADINGS, tables.need_row(stored, working_days)))
        titles = {code: title for title, code in NEED_TITLES.items()}
        cells = {code: text for code, text in cells.items() if str(exported.get(titles.get(code), "")) != text}
    doc = {k: v for k, v in (stored or {}).items() if k not in ("version", "updated_at")}
    errors = {}
    for code, text in cells.items():
        if code == "id":
            doc["id"] = text
            continue
        try:
            value = convert(schema.fields.get(code), code, text)
        except ValueError as exc:
            errors[code] = [str(exc)]
            continue
        if value is None:
            doc.pop(code, None)
        else:
            doc[code] = value
    if errors:
        raise ValidationError("cells that are not of their field's type", fields=errors)
    return doc


def convert(field, code: str, text: str):
    """A cell's text as the field's value (None: empty)."""
    if text == "":
        return None
    if code.endswith("_at"):
        return _time(text)
    if field is None:
        return text
    if isinstance(field, fields.List):
        return [convert(field.inner, code, part) for part in LIST_SPLIT.split(text) if part]
    if isinstance(field, (fields.Nested, fields.Dict)):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("not JSON") from None
    if isinstance(field, fields.Boolean):
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError("yes or no (是 / 否)")
    if isinstance(field, fields.Integer):
        try:
            return int(float(text.replace(",", "")))
        except ValueError:
            raise ValueError("not a whole number") from None
    if isinstance(field, fields.Float):
        try:
            return float(text.replace(",", ""))
        except ValueError:
            raise ValueError("not a number") from None
    return _code(field, text)


def _code(field, text: str) -> str:
    """A code's label (Chinese, as the exports write it) as the code."""
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if not choices or text in choices:
        return text
    for entries in LABELS.values():
        for code, words in entries.items():
            if text in (words.zh, words.zh_short) and code in choices:
                return code
    return text


def _time(text: str) -> str:
    """A time as stored (UTC ISO); the exports' ``YYYY-MM-DD HH:MM`` is zone time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a time such as 2012-06-01 09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE_TIME)
    return utc_iso(moment)
