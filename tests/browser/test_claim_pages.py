"""Claim and report in Chromium: an institution claims a need from its deal flow, reads the
day its report is due on its claims page (desktop and phone) and reports progress; the staff
dashboard shows the escalated needs and the institutions' pipelines."""
from __future__ import annotations

import re

from tests.browser.conftest import PHONE


def test_an_institution_claims_and_reports(open_browser):
    bank = open_browser()
    bank.sign_in("institution1")
    bank.goto("/institutions/inst-001/dealflow")
    link = bank.page.locator("main h2 a[href^='/needs/']").nth(2)
    title = link.inner_text().strip()
    with bank.page.expect_navigation():
        link.click()
    bank.record_timing()
    bank.submit("[data-testid=claim-need]")
    assert "您已揭榜该需求" in bank.text()
    assert bank.page.locator("[data-testid=need-claims] [data-testid=claim]").count() == 1
    with bank.page.expect_navigation():
        bank.page.click("nav.mainnav a[href='/claims']")
    bank.record_timing()
    row = bank.page.locator("[data-testid=claim]", has_text=title)
    assert re.search(r"\d{4}-\d\d-\d\d", row.locator("[data-testid=report-due]").inner_text())
    row.locator("textarea").fill("已完成首轮访谈，准备尽调清单")
    with bank.page.expect_navigation():
        row.locator("[data-testid=report-progress]").click()
    assert "进展已报告" in bank.text()
    assert "已完成首轮访谈" in bank.page.locator("[data-testid=claim]", has_text=title).inner_text()
    bank.screenshot("institution-claims")

    phone = open_browser(PHONE)
    phone.sign_in("institution1")
    phone.goto("/claims")
    assert phone.page.locator("[data-testid=claim]", has_text=title).is_visible()
    phone.screenshot("institution-claims")


def test_the_dashboard_shows_escalations_and_pipelines(open_browser):
    staff = open_browser()
    staff.sign_in("staff")
    staff.goto("/staff/")
    total = int(staff.text("[data-testid=escalations-total]").replace(",", ""))
    assert total > 0 and staff.page.locator("[data-testid=escalated-need]").count() == min(total, 8)
    assert staff.page.locator("[data-testid=pipeline-funnel] svg").count() == 1
    assert staff.text("[data-testid=pipeline-screening]").strip().isdigit()
