"""Each role's main journey in a real browser against the real server with the demo data:
sign in, search, open matches, ask for an introduction; an institution finds
and marks a need; staff propose a meeting, both parties confirm, the outcome is funded
and the dashboard counts it; the language switch; CSRF refusal; other parties' pages
refused; sign-out ends copied sessions; sign-in lockout; phone layouts."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_enterprise_publishes_a_need_searches_and_asks_for_an_introduction(open_browser):
    web = open_browser()
    web.sign_in("enterprise3")
    assert re.search(r"/enterprises/ent-\d+$", web.page.url)
    web.screenshot("enterprise-profile")

    # the institutions directory: full text and a facet
    web.goto("/institutions")
    web.page.fill("[data-testid=directory-search]", "担保")
    web.submit(".searchbar button")
    assert "担保" in web.text("[data-testid=institution]")
    before = int(re.search(r"\d+", web.text("[data-testid=result-count]")).group())
    facet = "input[type=checkbox][name=type][value=guarantee]"
    with web.page.expect_navigation():
        web.page.click(facet)  # a facet submits itself
    assert web.page.is_checked(facet)
    web.record_timing()
    after = int(re.search(r"\d+", web.text("[data-testid=result-count]")).group())
    assert 0 < after <= before
    web.screenshot("institutions-directory")

    # a new need: the form keeps what was typed and says what is wrong
    web.page.click("nav.mainnav a:nth-child(2)")
    web.page.wait_for_load_state("load")
    web.page.click("text=发布融资需求")
    web.page.wait_for_load_state("load")
    web.page.fill("#title", "知识产权质押贷款 IP-backed loan")
    web.page.fill("#amount", "五百万")
    web.page.select_option("#instrument", "debt")
    web.page.fill("#term_months", "12")
    web.submit("button[name=publish]")
    assert web.page.is_visible("#amount-error")
    assert web.page.input_value("#title") == "知识产权质押贷款 IP-backed loan"
    web.page.fill("#amount", "5000000")
    web.submit("button[name=publish]")
    assert "500万元" in web.text() and "需求已发布" in web.text()
    web.screenshot("need")

    # its matches, with the reasons, and an introduction
    web.submit("[data-testid=open-matches]")
    assert web.page.locator("[data-testid=match]").count() > 0
    assert "评分依据" in web.text()
    web.screenshot("matches")
    asked = web.page.locator("[data-testid=intro-asked]").count()
    web.submit("[data-testid=ask-intro] >> nth=0")
    assert "已请园区工作人员为您对接" in web.text()
    assert web.page.locator("[data-testid=intro-asked]").count() == asked + 1

    # listing readiness with its chart
    web.page.click("nav.mainnav >> text=上市准备")
    web.page.wait_for_load_state("load")
    web.record_timing()
    assert web.page.locator("main svg.chart").count() == 1
    assert web.text("[data-testid=readiness-score]").isdigit()
    web.screenshot("readiness")


def test_institution_finds_and_marks_a_need(open_browser):
    web = open_browser()
    web.sign_in("institution2")
    assert web.page.url.endswith("/dealflow")
    web.screenshot("dealflow")
    web.page.fill("[data-testid=dealflow-search]", "设备")
    web.submit(".searchbar button")
    assert web.page.locator("[data-testid=dealflow-need]").count() > 0
    eligible_box = "input[type=checkbox][name=eligible_only]"
    with web.page.expect_navigation():
        web.page.click(eligible_box)  # the box submits its form; the new page has it checked
    assert "eligible_only=true" in web.page.url
    assert web.page.is_checked(eligible_box)
    web.record_timing()
    first = web.page.locator("[data-testid=dealflow-need] h2 a").first
    title = first.inner_text()
    with web.page.expect_navigation():
        first.click()
    web.record_timing()
    web.page.fill("#note", "请提供近两年审计报告")
    web.submit("[data-testid=mark-interested]")
    assert "已记录您的意向" in web.text()
    assert "请提供近两年审计报告" in web.text()
    web.screenshot("need-answered")

    # back in the deal flow the need carries the mark; the search can be saved
    web.page.go_back()
    web.page.go_back()
    web.page.reload()
    web.page.wait_for_load_state("load")
    card = web.page.locator("[data-testid=dealflow-need]", has_text=title)
    assert card.locator(".badge.interest-interested").count() == 1
    web.page.fill("#search-name", "设备类项目")
    web.submit("text=保存此搜索")
    assert "设备类项目" in web.text()
    web.screenshot("saved-search")


def test_staff_broker_a_meeting_to_funding_and_the_dashboard_counts_it(open_browser):
    staff, enterprise, institution = open_browser(), open_browser(), open_browser()
    staff.sign_in("staff")
    funded_before = int(staff.text("[data-testid=stat-funded]").replace(",", ""))
    staff.screenshot("dashboard")

    # from the need's matches, straight to a meeting with institution1 (inst-001)
    staff.goto("/needs/need-00001/matches?per_page=50")
    card = staff.page.locator("[data-testid=match]", has=staff.page.locator("a[href='/institutions/inst-001']"))
    with staff.page.expect_navigation():
        card.locator("[data-testid=propose-meeting]").click()
    staff.record_timing()
    staff.page.fill("#starts_at", "2030-03-15T10:00")
    staff.page.fill("#ends_at", "2030-03-15T11:30")
    staff.page.fill("#location", "滨海高新区服务中心302会议室")
    staff.submit("[data-testid=propose]")
    assert "已向双方发出会面提议" in staff.text()
    meeting_url = staff.page.url
    staff.screenshot("meeting-proposed")

    # each party confirms from their own meetings page
    for web, who in ((enterprise, "enterprise1"), (institution, "institution1")):
        web.sign_in(who)
        web.goto(meeting_url)
        web.submit("[data-testid=confirm-meeting]")
        assert "您已确认会面" in web.text()
    staff.goto(meeting_url)
    assert staff.page.locator(".badge.answer-confirmed").count() == 2
    # not held before it starts: the page says when it can be
    assert staff.page.locator("[data-testid=mark-held]").count() == 0
    assert "会面开始后" in staff.text("[data-testid=held-later]")

    # a confirmed meeting of the last days (the demo has some) is recorded as held, then funded
    staff.goto("/meetings?status=confirmed&sort=starts_at")
    with staff.page.expect_navigation():
        staff.page.locator("[data-testid=meeting-row] a").first.click()
    meeting_url = staff.page.url
    need_url = staff.page.locator(".page-head .sub a").first.get_attribute("href")
    staff.submit("[data-testid=mark-held]")
    assert staff.page.locator("#outcome").input_value() == ""  # no outcome is chosen for staff
    staff.submit("[data-testid=record-outcome]")
    assert staff.page.is_visible("#outcome-error")
    assert staff.page.locator(".badge.outcome-no_further_contact").count() == 0
    staff.page.select_option("#outcome", "funded")
    staff.submit("[data-testid=record-outcome]")
    assert staff.page.is_visible("#amount-error")  # a funded outcome says how much
    staff.page.select_option("#outcome", "funded")
    staff.page.fill("#amount", "700000")
    staff.page.select_option("#instrument", "convertible")
    staff.submit("[data-testid=record-outcome]")
    assert "结果已记录" in staff.text() and "70万元" in staff.text()
    staff.screenshot("meeting-funded")

    staff.goto(need_url)
    assert "已融资" in staff.text()
    staff.goto("/staff/")
    assert int(staff.text("[data-testid=stat-funded]").replace(",", "")) == funded_before + 1

    # staff correct the amount: the parties are told it is a correction
    staff.goto(meeting_url)
    staff.page.select_option("#outcome", "funded")
    staff.page.fill("#amount", "600000")
    staff.page.select_option("#instrument", "convertible")
    staff.page.fill("#correction_reason", "录入有误")
    staff.submit("[data-testid=record-outcome]")
    assert "60万元" in staff.text() and "录入有误" in staff.text("[data-testid=outcome-corrected]")


def test_staff_pages_render(open_browser):
    web = open_browser()
    web.sign_in("staff")
    for path, name in (("/staff/pipeline", "pipeline"), ("/staff/brokering", "brokering"), ("/staff/waiting", "waiting"),
                       ("/staff/reserve-pool", "reserve-pool"), ("/staff/exports", "exports"), ("/staff/audit", "audit"),
                       ("/meetings", "meetings"), ("/enterprises", None), ("/needs", None)):
        assert web.goto(path).status == 200
        if name:
            web.screenshot(name)
    web = open_browser()
    web.sign_in("admin")
    assert web.page.url.endswith("/admin/users")
    web.screenshot("admin-accounts")
    web.goto("/admin/users/enterprise1")
    assert web.page.input_value("#enterprise_id") == "ent-0001"


def test_language_switch(open_browser):
    web = open_browser()
    web.goto("/sign-in")
    assert web.page.get_attribute("html", "lang") == "zh-Hans"
    assert web.page.is_visible("text=用户名")
    web.submit("[data-testid=lang-switch]")
    assert web.page.get_attribute("html", "lang") == "en"
    assert web.page.is_visible("text=Username")
    web.sign_in("enterprise1")
    assert "Funding needs" in web.text("nav.mainnav")
    web.goto("/needs/need-00001")
    assert "CNY 700,000" in web.text()
    web.screenshot("need-english")
    web.submit("[data-testid=lang-switch]")
    assert web.page.url.endswith("/needs/need-00001")  # the same page, now in Chinese
    assert "70万元" in web.text()


def test_an_institution_edits_a_products_industries_stages_and_requirements(open_browser):
    web = open_browser()
    web.sign_in("institution3")
    inst = web.page.url.split("/institutions/")[1].split("/")[0]
    web.goto(f"/institutions/{inst}/edit")
    row = web.page.locator("[data-testid=product-row]").count() - 1  # the empty row, to add a product
    web.page.fill(f"[name='products-{row}-name']", "测试订单贷款")
    web.page.check(f"[name='products-{row}-industries'][value=biomedicine]")
    web.page.check(f"[name='products-{row}-stages'][value=growth]")
    web.page.fill(f"[name='products-{row}-requirements.min_years']", "两年")
    web.page.select_option(f"[name='products-{row}-requirements.cash_flow_required']", "no")
    web.submit("main form button[type=submit]")
    assert web.page.is_visible(f"[id='products-{row}-requirements.min_years-error']")  # the message by its field
    assert web.page.input_value(f"[name='products-{row}-requirements.min_years']") == "两年"
    web.page.fill(f"[name='products-{row}-requirements.min_years']", "2")
    web.submit("main form button[type=submit]")
    assert "已保存" in web.text()
    web.goto(f"/institutions/{inst}/edit")
    assert web.page.is_checked(f"[name='products-{row}-industries'][value=biomedicine]")
    assert web.page.input_value(f"[name='products-{row}-requirements.cash_flow_required']") == "no"
    assert web.page.input_value(f"[name='products-{row}-requirements.min_years']") == "2"
    web.submit("[data-testid=lang-switch]")
    assert web.page.is_visible("text=A negative operating cash flow excludes the borrower")
    web.submit("[data-testid=lang-switch]")
    # empty the row again: the product is removed, the demo as it was for the other journeys
    web.page.fill(f"[name='products-{row}-name']", "")
    web.page.uncheck(f"[name='products-{row}-industries'][value=biomedicine]")
    web.page.uncheck(f"[name='products-{row}-stages'][value=growth]")
    web.page.fill(f"[name='products-{row}-requirements.min_years']", "")
    web.page.select_option(f"[name='products-{row}-requirements.cash_flow_required']", "")
    web.submit("main form button[type=submit]")
    assert "测试订单贷款" not in web.text()


def test_a_form_posted_without_its_token_is_refused(open_browser):
    web = open_browser()
    web.sign_in("enterprise1")
    web.goto("/enterprises/ent-0001/edit")
    web.page.evaluate("() => document.querySelector('main form input[name=csrf_token]').remove()")
    web.page.fill("#employees", "999")
    response_status = []
    web.page.on("response", lambda r: response_status.append(r.status) if r.request.method == "POST" else None)
    web.submit("main form button[type=submit]")
    assert response_status == [400]
    assert "400" in web.text(".error-code")
    web.goto("/enterprises/ent-0001")
    assert "999" not in web.text()


def test_other_parties_pages_are_refused(open_browser):
    web = open_browser()
    web.sign_in("enterprise1")
    for path in ("/enterprises/ent-0002", "/enterprises/ent-0002/readiness", "/institutions/inst-001/dealflow",
                 "/staff/", "/admin/users"):
        assert web.goto(path).status == 403, path
        assert web.page.is_visible(".error-page")
    web.screenshot("refused")
    web = open_browser()
    web.sign_in("institution1")
    for path in ("/institutions/inst-009/dealflow", "/institutions/inst-009/edit", "/enterprises/ent-0001/edit"):
        assert web.goto(path).status == 403, path


def test_sign_out_ends_a_copied_session(open_browser):
    web = open_browser()
    web.sign_in("staff")
    copy = open_browser()
    copy.context.add_cookies(web.context.cookies())
    assert copy.goto("/staff/pipeline").status == 200
    web.submit("[data-testid=sign-out]")
    assert "/sign-in" in web.page.url
    copy.goto("/staff/pipeline")
    assert "/sign-in" in copy.page.url


def test_failed_sign_ins_lock_the_account(open_browser):
    web = open_browser()
    for _ in range(5):
        web.sign_in("locked-out", "not the password")
        assert web.page.is_visible("[data-testid=sign-in-error]")
    web.sign_in("locked-out", "a password for lockouts")
    assert "登录失败次数过多" in web.text("[data-testid=sign-in-error]")


@pytest.mark.parametrize("who,paths", [
    ("enterprise1", ["/enterprises/ent-0001", "/needs/need-00001", "/enterprises/ent-0001/readiness", "/institutions"]),
    ("institution1", ["/institutions/inst-001/dealflow", "/meetings"]),
    ("staff", ["/staff/", "/staff/pipeline", "/staff/reserve-pool"]),
])
def test_pages_fit_a_phone(open_browser, who, paths):
    web = open_browser(PHONE)
    web.sign_in(who)
    for path in paths:
        web.goto(path)
        overflow = web.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
        web.screenshot(f"{who}-{path.strip('/').replace('/', '-') or 'home'}")
