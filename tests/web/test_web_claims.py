"""The claim-and-report pages: an institution claims an open need from its page, sees the
day its report is due, reports progress; a second institution is told the need is taken;
the enterprise and staff see the claim; a lapsed claim is marked and takes no report."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from matchmaker.labels import say
from matchmaker.brokering.claims import lapse
from tests.brokering_helpers import on_day
from tests.web.conftest import signed_in


def test_claim_report_and_lapse_in_the_pages(world_app):
    world = world_app.world
    need = world["needs"]["a_open"]
    path = f"/needs/{need['id']}"
    with on_day(world_app, "2030-03-04"):  # a Monday: the report is due by the next Monday
        bank = signed_in(world_app, "inst_a")
        page = bank.get(path).get_data(as_text=True)
        assert 'data-testid="claim-need"' in page
        r = bank.post(f"{path}/claim", token_from=path)
        assert r.status_code == 302
        page = bank.get(path).get_data(as_text=True)
        assert "请于2030-03-11前报告进展" in page and 'data-testid="claim-need"' not in page
        listed = bank.get("/claims").get_data(as_text=True)
        assert need["title"] in listed and "2030-03-11" in listed and say("claim_status", "active") in listed
        other = signed_in(world_app, "inst_b")
        other.post(f"{path}/claim", token_from=path)
        assert "该需求已被其他机构揭榜" in other.get(path).get_data(as_text=True)
        assert need["title"] not in other.get("/claims").get_data(as_text=True)
        claim_id = world["backend"].search("claims", __import__("matchmaker.search", fromlist=["Query"]).Query()).items[0]["id"]
        # the report form: empty is refused with a message, a real report moves the deadline
        bank.post(f"/claims/{claim_id}/report", data={"progress": "  ", "next": "/claims"}, token_from="/claims")
        assert "请说明进展" in bank.get("/claims").get_data(as_text=True)
    with on_day(world_app, "2030-03-08"):
        r = bank.post(f"/claims/{claim_id}/report", data={"progress": "完成尽调初稿", "next": "/claims"}, token_from="/claims")
        assert r.headers["Location"] == "/claims"
        page = bank.get("/claims").get_data(as_text=True)
        assert "下次报告请于2030-03-15前提交" in page and "完成尽调初稿" in page
        # another institution cannot report on it; the enterprise and staff see it
        assert other.post(f"/claims/{claim_id}/report", data={"progress": "x"}, token_from="/claims").status_code == 404
        assert need["title"] in signed_in(world_app, "ent_a").get("/claims").get_data(as_text=True)
        assert 'data-testid="report-progress"' not in signed_in(world_app, "ent_a").get("/claims").get_data(as_text=True)
        assert need["title"] not in signed_in(world_app, "ent_b").get("/claims").get_data(as_text=True)
    assert lapse(world["backend"], now=datetime(2030, 3, 16, 9, tzinfo=timezone(timedelta(hours=8)))) == 1
    with on_day(world_app, "2030-03-18"):
        staff_page = signed_in(world_app, "staff").get("/claims?status=lapsed").get_data(as_text=True)
        assert need["title"] in staff_page and "已失效" in staff_page
        bank.post(f"/claims/{claim_id}/report", data={"progress": "晚了", "next": "/claims"}, token_from="/claims")
        assert "揭榜已失效" in bank.get("/claims").get_data(as_text=True)
        assert 'data-testid="claim-need"' in other.get(path).get_data(as_text=True)  # free to claim again
