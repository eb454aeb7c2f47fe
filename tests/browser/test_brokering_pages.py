"""Brokering pages as staff and enterprises read them in Chromium: the menu leads to the
notifications, a meeting cannot be proposed in the past, the audit log and notifications
speak in labels and zone times, the introduction badge is not its button, and the English
dashboard's target labels are drawn whole; staff offer three times and the parties pick."""
from __future__ import annotations

import re

RAW_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def test_staff_reach_notifications_from_the_menu_and_read_zone_times(open_browser):
    staff = open_browser()
    staff.sign_in("staff")
    with staff.page.expect_navigation():
        staff.page.click("nav.mainnav a[href='/notifications']")
    staff.record_timing()
    assert staff.page.locator("nav.mainnav a[href='/notifications']").get_attribute("aria-current") == "page"
    assert "未读" in staff.text()
    assert not RAW_UTC.search(staff.text())
    staff.screenshot("staff-notifications")

    staff.goto("/staff/audit")
    text = staff.text()
    assert not RAW_UTC.search(text)
    assert "用户名" in text and "角色: 园区工作人员" in text  # the demo's audited accounts, in labels
    assert not re.search(r"\b(username|display name|created at|role)\b", text)
    staff.screenshot("audit-labels")


def test_a_meeting_is_not_proposed_in_the_past(open_browser):
    staff = open_browser()
    staff.sign_in("staff")
    staff.goto("/meetings/new?need_id=need-00001&institution_id=inst-002")
    staff.page.fill("#starts_at", "2010-01-04T10:00")
    staff.page.fill("#ends_at", "2010-01-04T11:00")
    staff.submit("[data-testid=propose]")
    assert staff.page.is_visible("#starts_at-error")
    assert "/meetings/new" in staff.page.url


def test_the_introduction_badge_is_not_the_button(open_browser):
    web = open_browser()
    web.sign_in("enterprise1")
    web.goto("/needs/need-00001/matches?per_page=50")
    button = web.page.locator("[data-testid=ask-intro]").first
    button_text = button.inner_text().strip()
    with web.page.expect_navigation():
        button.click()
    web.record_timing()
    badge = web.page.locator("[data-testid=intro-asked]").first.inner_text().strip()
    assert badge == "已申请对接" and badge != button_text


def test_the_english_dashboard_draws_its_target_labels_whole(open_browser):
    staff = open_browser()
    staff.sign_in("staff")
    staff.submit("[data-testid=lang-switch]")
    assert staff.page.get_attribute("html", "lang") == "en"
    staff.goto("/staff/")
    charts = staff.page.locator("svg.chart")
    for i in range(charts.count()):
        frame = charts.nth(i).bounding_box()
        labels = charts.nth(i).locator("text.label")
        for j in range(labels.count()):
            box = labels.nth(j).bounding_box()
            assert box["x"] >= frame["x"] - 0.5, labels.nth(j).inner_text()  # nothing cut off at the left edge
    staff.screenshot("dashboard-en")


def test_staff_offer_three_times_and_the_parties_pick(open_browser):
    staff, enterprise, institution = open_browser(), open_browser(), open_browser()
    staff.sign_in("staff")
    staff.goto("/meetings/new?need_id=need-00001&institution_id=inst-001")
    for suffix, day in (("", "2031-04-07"), ("_2", "2031-04-08"), ("_3", "2031-04-09")):
        if suffix == "_2":
            staff.page.click("details.slots summary")  # the further times are folded away
        staff.page.fill(f"#starts_at{suffix}", f"{day}T10:00")
        staff.page.fill(f"#ends_at{suffix}", f"{day}T11:00")
    staff.submit("[data-testid=propose]")
    assert "提供3个可选时间" in staff.text("h1")
    meeting_url = staff.page.url
    for web, who, ticks in ((enterprise, "enterprise1", (1, 2)), (institution, "institution1", (0, 2))):
        web.sign_in(who)
        web.goto(meeting_url)
        assert web.page.locator("[data-testid=confirm-meeting]").count() == 0
        for tick in ticks:
            web.page.check(f"[data-testid=pick-slots] input[name=slot][value='{tick}']")
        web.submit("[data-testid=send-picks]")
    assert "会面已确认" in institution.text()
    assert "2031-04-09 10:00" in institution.text("h1")
    institution.screenshot("meeting-slots-confirmed")
