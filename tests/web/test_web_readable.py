"""What staff read on the pages is in people's words: a menu link to their notifications,
times in the zone's time and format, the audit log's fields and codes as labels, the
introduction badge apart from its button, dashboard labels that fit."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from matchmaker.brokering import deadlines
from matchmaker.notifications.service import Notifications
from tests.brokering_helpers import backdate
from tests.web.conftest import signed_in

RAW_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def test_staff_have_a_menu_link_to_their_notifications(world_app):
    page = signed_in(world_app, "staff").get("/staff/").get_data(as_text=True)
    nav = page[page.index('class="mainnav"'):page.index("</nav>")]
    assert 'href="/notifications"' in nav


def test_deadline_notifications_show_the_zone_day_not_utc(world_app):
    w = world_app.world
    backend, need = w["backend"], w["needs"]["a_open"]
    backdate(backend, need["id"], 20)
    with world_app.app_context():
        assert deadlines.sweep(backend, 3) == 1
    (note,) = [n for n in backend.scan("notifications", __import__("matchmaker.search", fromlist=["Query"]).Query())
               if n["kind"] == "deadline_passed" and n["recipient"] == "staff"]
    assert not RAW_UTC.search(note["message"] + note["message_zh"])
    assert re.search(r"回复期限（\d{4}-\d\d-\d\d，北京时间）", note["message_zh"])
    # an older notification that carries a raw UTC time is shown in zone time
    Notifications(backend).send(["staff"], "deadline_passed", subject_kind="need", subject_id=need["id"], need_id=need["id"],
                                message="deadline (2026-11-23T16:00:00+00:00)", message_zh="回复期限（2026-11-23T16:00:00+00:00）")
    page = signed_in(world_app, "staff").get("/notifications").get_data(as_text=True)
    assert not RAW_UTC.search(page)
    assert "回复期限（2026-11-24 00:00）" in page


def test_the_audit_log_shows_labels_and_zone_times(world_app):
    w = world_app.world
    staff = signed_in(world_app, "staff")
    day = (datetime.now() + timedelta(days=6)).date().isoformat()
    r = staff.post("/meetings/new", {"need_id": w["needs"]["a_open"]["id"], "institution_id": w["inst_a"]["id"],
                                     "starts_at": f"{day}T10:00", "ends_at": f"{day}T11:00"})
    meeting_id = r.headers["Location"].rsplit("/", 1)[1]
    assert staff.post(f"/meetings/{meeting_id}/cancel", {"reason": "改期"}).status_code == 302
    page = staff.get("/staff/audit").get_data(as_text=True)
    row = next(tr for tr in page.split('data-testid="audit-entry"')[1:] if meeting_id in tr and "已取消" in tr)
    assert "<strong data-field=\"status\">状态</strong>: 待确认 → 已取消" in row
    assert "cancelled_at" not in row.replace('data-field="cancelled_at"', "")
    assert ">取消原因</strong>" in row or ">取消时间</strong>" in row
    assert not RAW_UTC.search(page)
    assert re.search(r">取消时间</strong>: \d{4}-\d\d-\d\d \d\d:\d\d", row)


def test_the_introduction_badge_differs_from_the_button(world_app):
    w = world_app.world
    need, inst = w["needs"]["a_open"], w["inst_a"]
    ent = signed_in(world_app, "ent_a")
    before = ent.get(f"/needs/{need['id']}/matches").get_data(as_text=True)
    button = re.search(r'data-testid="ask-intro"[^>]*>([^<]+)<', before)
    ent.post(f"/needs/{need['id']}/introductions", {"institution_id": inst["id"], "next": f"/needs/{need['id']}/matches"})
    after = ent.get(f"/needs/{need['id']}/matches").get_data(as_text=True)
    badge = re.search(r'data-testid="intro-asked">([^<]+)<', after).group(1).strip()
    assert badge == "已申请对接" and (button is None or button.group(1).strip() != badge)


def test_the_english_dashboard_fits_its_target_labels(world_app):
    staff = signed_in(world_app, "staff")
    staff.client.set_cookie("lang", "en")
    page = staff.get("/staff/").get_data(as_text=True)
    svg = re.search(r'<svg class="chart"[^>]*aria-label="Progress towards[^"]*".*?</svg>', page, re.S).group(0)
    labels = re.findall(r'<text class="label" x="([\d.]+)"[^>]*>([^<]+)</text>', svg)
    assert labels and max(len(name) for _, name in labels) > 20  # English labels run long
    # each label is drawn right-aligned at x: it fits when x is at least its drawn width
    for x, name in labels:
        assert float(x) >= len(name.replace("&#43;", "+")) * 12.5 * 0.55, name


def test_status_words_are_the_same_on_screen_in_exports_and_in_notifications(shared_app):
    from flask_babel import force_locale

    from matchmaker.exports.tables import label as exported
    from matchmaker.labels import LABELS
    from matchmaker.meetings.service import _outcome_text
    from matchmaker.web.i18n import label

    with shared_app.test_request_context(), force_locale("zh"):
        for group in ("need_status", "meeting_status", "answer", "outcome"):
            for code in LABELS[group]:
                assert label(group, code) == exported(group, code), (group, code)
        for code in LABELS["outcome"]:
            assert _outcome_text({"outcome": code}, "zh") == exported("outcome", code)
