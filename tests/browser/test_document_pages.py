"""Documents in Chromium: an enterprise uploads a real PDF from its profile, is told on the
page why a program renamed to .pdf is refused, staff find the file among all documents and
download it, and a rival enterprise's user is shown nothing (404)."""
from __future__ import annotations

from pathlib import Path

from tests import document_files as files


def test_an_enterprise_uploads_and_staff_download(open_browser, tmp_path):
    plan, fake = tmp_path / "商业计划书-2012.pdf", tmp_path / "年度报告.pdf"
    plan.write_bytes(files.pdf("Business plan 2012"))
    fake.write_bytes(files.exe())

    owner = open_browser()
    owner.sign_in("enterprise1")
    owner.goto("/enterprises/ent-0001")
    with owner.page.expect_navigation():
        owner.page.click("[data-testid=documents-link]")
    owner.record_timing()
    demo = owner.page.locator("[data-testid=document]", has_text="商业计划书.pdf")
    assert demo.count() == 1  # the demo's own business plan
    owner.page.set_input_files("#file", str(fake))
    owner.page.select_option("#category", "financial_statements")
    owner.submit("[data-testid=upload]")
    assert owner.page.is_visible("#file-error")
    assert "仅接受 PDF、PNG、JPEG、WebP 或 XLSX 文件" in owner.text("#file-error")
    owner.page.set_input_files("#file", str(plan))
    owner.page.select_option("#category", "business_plan")
    owner.submit("[data-testid=upload]")
    assert "商业计划书-2012.pdf已上传" in owner.text()
    row = owner.page.locator("[data-testid=document]", has_text="商业计划书-2012.pdf")
    assert owner.page.locator("[data-testid=document]").count() == 3  # the demo's plan and statements, and the new plan
    assert row.count() == 1 and "商业计划书" in row.inner_text()
    owner.screenshot("enterprise-documents")

    staff = open_browser()
    staff.sign_in("staff")
    staff.goto("/documents")
    link = staff.page.locator("[data-testid=download]", has_text="商业计划书-2012.pdf")
    with staff.page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename == "商业计划书-2012.pdf"
    assert Path(download.path()).read_bytes() == files.pdf("Business plan 2012")
    staff.goto("/staff/audit?action=download")
    assert "已下载" in staff.text()

    rival = open_browser()
    rival.sign_in("enterprise2")
    assert rival.goto("/enterprises/ent-0001/documents").status == 404
    rival.goto("/documents")
    assert "商业计划书-2012.pdf" not in rival.text()
