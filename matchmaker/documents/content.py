"""What an uploaded file really is, read from its bytes (never its name or the type the
browser claims): PDF, PNG, JPEG, WebP or XLSX.  ``filetype`` reads the magic numbers; a
PDF must also end as PDFs do and an XLSX must open as a workbook (``openpyxl``), after its
zip is checked to unpack to a sane size (a zip bomb is refused before it is opened)."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype

from ..errors import FileEmpty, FileTypeRefused, PdfDamaged, ValidationError, WorkbookDamaged, WorkbookTooLargeUnpacked

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: content type -> the extension a download is given
ALLOWED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", XLSX: "xlsx"}
#: an XLSX may unpack to this many times its size, and never beyond MAX_UNPACKED bytes
MAX_RATIO, MAX_UNPACKED = 100, 200 * 1024 * 1024
ACCEPTED_WORDS = "PDF, PNG, JPEG, WebP or XLSX"
ONLY_ACCEPTED = "only PDF, PNG, JPEG, WebP or XLSX files are accepted"  # the field's message (web/messages.py)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


def detect(data: bytes) -> Kind:
    """The file's kind, or a ValidationError naming the field ``file``."""
    if not data:
        raise FileEmpty(on_field="file")
    guess = filetype.guess(data[:8192] if not data.startswith(b"PK") else data)
    if guess is None or guess.mime not in ALLOWED:
        raise FileTypeRefused(fields={"file": [ONLY_ACCEPTED]}, accepted=ACCEPTED_WORDS,
                              found=guess.mime if guess is not None else "unknown")
    if guess.mime == "application/pdf" and b"%%EOF" not in data[-2048:]:
        raise PdfDamaged(on_field="file")
    if guess.mime == XLSX:
        _check_workbook(data)
    return Kind(guess.mime, ALLOWED[guess.mime])


def _check_workbook(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > min(MAX_UNPACKED, MAX_RATIO * len(data)):
                raise WorkbookTooLargeUnpacked(on_field="file")
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        workbook.close()
    except ValidationError:
        raise
    except Exception:  # openpyxl and zipfile raise many kinds for a damaged file
        raise WorkbookDamaged(on_field="file") from None
