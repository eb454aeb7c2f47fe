"""Real files for the document tests, made rather than kept as binaries: a PDF that
readers open, a PNG, an XLSX saved by openpyxl, a Windows program renamed to .pdf."""
from __future__ import annotations

import io
import struct
import zlib


def pdf(text: str = "Business plan 2030") -> bytes:
    """A one-page PDF with a correct cross-reference table (the demo's maker)."""
    from matchmaker.demo.documents import one_page_pdf

    return one_page_pdf([text])


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def xlsx() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["年度", "营业收入", "净利润"])
    sheet.append([2029, 48_000_000, 5_200_000])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def exe() -> bytes:
    """The start of a Windows program (an MZ header pointing at a PE header)."""
    header = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 56)
    header[0x3C:0x40] = struct.pack("<I", 64)
    return bytes(header) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
