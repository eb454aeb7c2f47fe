"""CSV (UTF-8 with BOM: Excel then reads Chinese) and .xlsx (openpyxl) from rows."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

BOM = "\ufeff"


def csv_chunks(headings: list[str], rows: Iterable[list], chunk: int = 500) -> Iterator[bytes]:
    """The file in pieces, so a long report streams instead of filling memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(headings)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
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
        # control characters (other than tab and line breaks) cannot be stored in a worksheet
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
