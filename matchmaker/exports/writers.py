"""CSV (UTF-8 with BOM: Excel then reads Chinese) and .xlsx (openpyxl) from rows.

Every text cell is kept as text, never a formula (OWASP's CSV injection rule): in a CSV a
cell that starts with ``= + - @``, a tab or a carriage return gets a leading apostrophe,
and in a workbook every text cell is stored as a string cell, whatever it starts with.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet shows as the text it is: a formula start gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(headings: list[str], rows: Iterable[list], chunk: int = 500) -> Iterator[bytes]:
    """The file in pieces, so a long report streams instead of filling memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(headings)
    for count, row in enumerate(rows, start=1):
        writer.writerow([spreadsheet_safe(v) for v in row])
        if count % chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(title: str, headings: list[str], rows: Iterable[list]) -> bytes:
    from openpyxl import Workbook  # imported when a workbook is asked for: it is slow to load
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_text_cell(sheet, v, ILLEGAL_CHARACTERS_RE) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cell(sheet, value: str, illegal):
    """A string cell (data type ``s``): openpyxl would make ``=…`` a live formula.
    Control characters other than tab and line breaks cannot be stored in a worksheet."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=illegal.sub("", value))
    cell.data_type = "s"
    return cell
