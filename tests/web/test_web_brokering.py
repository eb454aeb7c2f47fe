"""Brokering through the pages: an institution marks a need, an enterprise asks for an
introduction, staff propose a meeting, both parties confirm, staff record it held and
funded, and the dashboard counts it; each party is refused the others' objects."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.brokering_helpers import on_day
from tests.conftest import need_doc
from tests.web.conftest import signed_in


def meeting_times(days_ahead: int = 3, hour: int = 10) -> dict:
    day = (datetime.now() + timedelta(days=days_ahead)).date().isoformat()
    return {"starts_at": f"{day}T{hour:02d}:00", "ends_at": f"{day}T{hour + 1:02d}:00"}


def test_the_whole_brokering_path_through_the_pages(world_app):
    w = world_app.world
    backend = w["backend"]
    need, inst = w["needs"]["a_open"], w["inst_a"]
    ent, institution, staff = signed_in(world_app, "ent_a"), signed_in(world_app, "inst_a"), signed_in(world_app, "staff")

    # the institution finds the need in its deal flow and marks it
    flow = institution.get(f"/institutions/{inst['id']}/dealflow?q=扩产").get_data(as_text=True)
    assert need["title"] in flow
    r = institution.post(f"/needs/{need['id']}/interest", {"response": "declined"})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    r = institution.post(f"/needs/{need['id']}/interest", {"response": "interested", "note": "请提供审计报告"})
    assert r.status_code == 302
    assert "请提供审计报告" in ent.get(f"/needs/{need['id']}").get_data(as_text=True)
    assert 'class="badge interest-interested"' in institution.get(f"/institutions/{inst['id']}/dealflow").get_data(as_text=True)

    # the enterprise asks for an introduction from its matches
    matches = ent.get(f"/needs/{need['id']}/matches").get_data(as_text=True)
    assert 'data-testid="ask-intro"' in matches
    r = ent.post(f"/needs/{need['id']}/introductions", {"institution_id": inst["id"], "next": f"/needs/{need['id']}/matches"})
    assert r.status_code == 302
    assert 'data-testid="intro-asked"' in ent.get(f"/needs/{need['id']}/matches").get_data(as_text=True)

    # staff see the request in the console and propose a meeting from it
    console = staff.get("/staff/brokering").get_data(as_text=True)
    link = re.search(r'href="(/meetings/new\?[^"]+)"[^>]*data-testid="console-propose"', console).group(1).replace("&amp;", "&")
    assert staff.get(link).status_code == 200
    intro_id = re.search(r"introduction_id=([^&]+)", link).group(1)
    form = {"need_id": need["id"], "institution_id": inst["id"], "introduction_id": intro_id, "location": "园区服务中心"}
    r = staff.post("/meetings/new", {**form, "starts_at": "", "ends_at": ""})
    assert r.status_code == 422 and 'id="starts_at-error"' in r.get_data(as_text=True)
    r = staff.post("/meetings/new", {**form, **meeting_times()})
    assert r.status_code == 302
    meeting_id = r.headers["Location"].rsplit("/", 1)[1]
    assert backend.get("introductions", intro_id)["status"] == "arranged"
    # an overlapping meeting of the same institution is refused, with the reason on the form
    r = staff.post("/meetings/new", {"need_id": w["needs"]["b_open"]["id"], "institution_id": inst["id"], **meeting_times()})
    assert r.status_code == 422 or r.status_code == 409
    assert 'class="alert error"' in r.get_data(as_text=True)

    # both parties confirm; staff record it held, then the outcome
    assert ent.post(f"/meetings/{meeting_id}/answer", {"answer": "confirmed"}).status_code == 302
    assert backend.get("meetings", meeting_id)["status"] == "proposed"
    assert institution.post(f"/meetings/{meeting_id}/answer", {"answer": "confirmed"}).status_code == 302
    assert backend.get("meetings", meeting_id)["status"] == "confirmed"
    # not before it starts: the page offers no button and says when; a post is refused
    page = staff.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert 'data-testid="mark-held"' not in page and 'data-testid="held-later"' in page
    assert staff.post(f"/meetings/{meeting_id}/held").status_code == 409
    assert backend.get("meetings", meeting_id)["status"] == "confirmed"
    with on_day(world_app, (datetime.now() + timedelta(days=4)).date()):
        assert 'data-testid="mark-held"' in staff.get(f"/meetings/{meeting_id}").get_data(as_text=True)
        assert staff.post(f"/meetings/{meeting_id}/held").status_code == 302
    # the outcome has no default: saving without choosing is a message, nothing is saved
    page = staff.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert re.search(r'<select id="outcome"[^>]*>\s*<option value="">', page)
    r = staff.post(f"/meetings/{meeting_id}/outcome", {"outcome": ""})
    assert r.status_code == 422 and 'id="outcome-error"' in r.get_data(as_text=True)
    assert "outcome" not in backend.get("meetings", meeting_id)
    r = staff.post(f"/meetings/{meeting_id}/outcome", {"outcome": "funded"})
    assert r.status_code == 422 and 'id="amount-error"' in r.get_data(as_text=True)
    r = staff.post(f"/meetings/{meeting_id}/outcome", {"outcome": "funded", "amount": "8,000,000", "instrument": "equity"})
    assert r.status_code == 302
    assert backend.get("needs", need["id"])["status"] == "funded"

    dashboard = staff.get("/staff/").get_data(as_text=True)
    assert re.search(r'data-testid="stat-funded">1<', dashboard)
    assert re.search(r'data-testid="funnel-funded">1<', dashboard)
    assert "800万元" in dashboard

    # the parties were told, in their feeds
    assert "会面" in ent.get("/notifications").get_data(as_text=True)
    # and the audit log has it all
    audit = staff.get("/staff/audit").get_data(as_text=True)
    assert meeting_id in audit and need["id"] in audit


def test_others_cannot_reach_a_meeting_or_answer_for_a_party(world_app):
    w = world_app.world
    staff = signed_in(world_app, "staff")
    r = staff.post("/meetings/new", {"need_id": w["needs"]["a_open"]["id"], "institution_id": w["inst_a"]["id"], **meeting_times(5)})
    meeting_id = r.headers["Location"].rsplit("/", 1)[1]
    for who in ("ent_b", "inst_b"):
        other = signed_in(world_app, who)
        assert other.get(f"/meetings/{meeting_id}").status_code == 404  # not theirs: as if it did not exist
        assert other.post(f"/meetings/{meeting_id}/answer", {"answer": "declined"}).status_code == 404
        assert other.post(f"/meetings/{meeting_id}/held").status_code == 403
        assert other.get(f"/meetings/new?need_id={w['needs']['a_open']['id']}&institution_id={w['inst_a']['id']}").status_code in (403,)
        assert other.get("/staff/brokering").status_code == 403
        assert other.get("/staff/waiting").status_code == 403
        assert other.get("/staff/audit").status_code == 403
        assert other.get("/staff/exports").status_code == 403
    assert w["backend"].get("meetings", meeting_id)["status"] == "proposed"
    # a party may not record what staff record
    ent = signed_in(world_app, "ent_a")
    assert ent.post(f"/meetings/{meeting_id}/cancel").status_code == 403
    assert ent.post(f"/meetings/{meeting_id}/outcome", {"outcome": "funded", "amount": "1", "instrument": "equity"}).status_code == 403


def test_an_enterprise_cannot_answer_needs_or_ask_for_others(world_app):
    w = world_app.world
    ent_a = signed_in(world_app, "ent_a")
    assert ent_a.post(f"/needs/{w['needs']['b_open']['id']}/interest", {"response": "interested"}).status_code == 403
    # another enterprise's need: as if there were none
    assert ent_a.post(f"/needs/{w['needs']['b_open']['id']}/introductions", {"institution_id": w["inst_a"]["id"]}).status_code == 404
    assert w["backend"].count("interests") == 0 and w["backend"].count("introductions") == 0


def test_saved_searches_show_what_is_new(world_app, password_hash):
    from tests.conftest import Actors

    w = world_app.world
    institution = signed_in(world_app, "inst_a")
    r = institution.post(f"/institutions/{w['inst_a']['id']}/saved-searches", {"name": "电池项目", "q": "扩产", "instrument": ["equity"]})
    assert r.status_code == 302
    saved_id = r.headers["Location"].rsplit("/", 1)[1]
    page = institution.get(f"/saved-searches/{saved_id}").get_data(as_text=True)
    assert "电池项目" in page and w["needs"]["a_open"]["title"] in page

    staff_api = Actors(world_app, world_app.test_client(), password_hash).as_staff()
    created = world_app.test_client().post("/api/v1/needs", json=need_doc(w["ent_b"]["id"], title="第二条扩产线"), headers=staff_api)
    assert created.status_code == 201
    listing = institution.get("/saved-searches").get_data(as_text=True)
    assert 'data-testid="new-count"' in listing  # (needs published in the second of the last look count too)
    assert "第二条扩产线" in institution.get(f"/saved-searches/{saved_id}").get_data(as_text=True)

    # another institution sees none of it
    other = signed_in(world_app, "inst_b")
    assert other.get(f"/saved-searches/{saved_id}").status_code == 403
    assert "电池项目" not in other.get("/saved-searches").get_data(as_text=True)
    assert other.post(f"/institutions/{w['inst_a']['id']}/saved-searches", {"name": "x"}).status_code == 403


def test_waiting_list_and_exports_pages_for_staff(world_app):
    staff = signed_in(world_app, "staff")
    assert staff.get("/staff/waiting").status_code == 200
    page = staff.get("/staff/exports").get_data(as_text=True)
    link = re.search(r'href="(/api/v1/exports/needs\.xlsx\?year=\d+)"', page).group(1)
    r = staff.get(link)  # the export endpoint, with the session cookie
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    r.close()
