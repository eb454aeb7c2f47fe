"""A few demo documents, so that the Documents pages have something to show: each of the
first enterprises' business plan (a one-page PDF) and its financial statements (an XLSX of
the yearly figures it filed), put in the store and the records as an upload would, with
fixed keys so that seeding twice leaves one copy."""
from __future__ import annotations

import hashlib
import io

from .. import clock
from ..documents.store import BlobStore
from ..search import SearchBackend

DOCUMENTS = "documents"
DEMO_ENTERPRISES = ("ent-0001", "ent-0002", "ent-0003")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def one_page_pdf(lines: list[str]) -> bytes:
    """A PDF of one page with ``lines`` of ASCII text (Helvetica), with its cross-reference table."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -18 Td" for line in lines)
    stream = f"BT /F1 14 Tf 40 760 Td {text} ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def statements(enterprise: dict) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "财务报表"
    sheet.append(["年度 Year", "营业收入 Revenue (元)", "净利润 Net profit (元)"])
    for year in enterprise.get("financials") or []:
        sheet.append([year.get("year"), year.get("revenue"), year.get("net_profit")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def seed_documents(backend: SearchBackend, store: BlobStore) -> int:
    """The demo documents of :data:`DEMO_ENTERPRISES`; how many were written."""
    stamp = clock.now().isoformat(timespec="seconds")
    written = 0
    for enterprise_id in DEMO_ENTERPRISES:
        enterprise = backend.get("enterprises", enterprise_id)
        if enterprise is None:
            continue
        name_en = enterprise.get("name_en") or enterprise_id
        files = [("business_plan", f"{enterprise['name']}-商业计划书.pdf", "application/pdf",
                  one_page_pdf([f"{name_en}: business plan", f"Industry: {enterprise.get('industry')}",
                                f"Employees: {enterprise.get('employees')}"])),
                 ("financial_statements", f"{enterprise['name']}-财务报表.xlsx", XLSX, statements(enterprise))]
        for category, filename, content_type, data in files:
            key = hashlib.sha256(f"demo-document:{enterprise_id}:{category}".encode()).hexdigest()[:32]
            store.put(key, data)
            backend.bulk_upsert(DOCUMENTS, [{
                "id": key, "enterprise_id": enterprise_id, "enterprise_name": enterprise["name"], "category": category,
                "filename": filename, "content_type": content_type, "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "storage_key": key, "uploaded_by": "demo",
                "uploaded_by_name": enterprise["name"], "created_at": stamp, "updated_at": stamp}])
            written += 1
    return written
