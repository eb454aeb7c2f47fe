"""The staff dashboard's brokering figures: the institutions' pipelines as a funnel (each
stage counts the deals that reached it; passed apart; only the year's deals), in the API and
on the page; and the needs escalated to the lead, with who owns them."""
from __future__ import annotations

import re

from tests.brokering_helpers import on_day
from tests.conftest import Actors
from tests.web.conftest import signed_in


def figure(page: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}">([\d,]+)<', page)
    assert found, testid
    return int(found.group(1).replace(",", ""))


def test_pipelines_feed_the_funnel_of_their_year(world_app, password_hash):
    w = world_app.world
    client = world_app.test_client()
    actors = Actors(world_app, client, password_hash)
    staff = actors.as_staff()
    a, b = w["needs"]["a_open"]["id"], w["needs"]["b_open"]["id"]
    moves = [("2029-11-20", w["inst_b"], b, "screening"),  # a deal of the year before: not counted
             ("2030-03-02", w["inst_a"], a, "screening"), ("2030-03-09", w["inst_a"], a, "funded"),
             ("2030-03-03", w["inst_b"], a, "due_diligence"), ("2030-04-01", w["inst_a"], b, "passed")]
    for day, inst, need_id, stage in moves:
        with on_day(world_app, day):
            r = client.put(f"/api/v1/institutions/{inst['id']}/pipeline/{need_id}", json={"stage": stage},
                           headers=actors.as_institution(inst["id"]))
            assert r.status_code == 200, r.get_json()
    with on_day(world_app, "2030-06-30"):
        stats = client.get("/api/v1/statistics", query_string={"year": 2030}, headers=staff).get_json()
        assert stats["pipeline_funnel"] == {"deals": 3, "passed": 1, "stages": [
            {"stage": "screening", "count": 2, "share_of_previous": None},
            {"stage": "due_diligence", "count": 2, "share_of_previous": 1.0},
            {"stage": "term_sheet", "count": 1, "share_of_previous": 0.5},
            {"stage": "funded", "count": 1, "share_of_previous": 1.0}]}
        page = signed_in(world_app, "staff").get("/staff/?year=2030").get_data(as_text=True)
        assert [figure(page, f"pipeline-{s}") for s in ("screening", "due_diligence", "term_sheet", "funded", "passed")] == [2, 2, 1, 1, 1]
        assert "机构自有项目管道" in page
        assert client.get("/api/v1/statistics", query_string={"year": 2029}, headers=staff).get_json()["pipeline_funnel"]["deals"] == 1


def test_escalated_needs_on_the_dashboard(world_app, password_hash):
    w = world_app.world
    client = world_app.test_client()
    staff_headers = Actors(world_app, client, password_hash).as_staff()
    pages = signed_in(world_app, "staff")
    page = pages.get("/staff/").get_data(as_text=True)
    assert figure(page, "escalations-total") == 0  # published today: nothing is late yet
    with on_day(world_app, "2030-06-03"):  # years later, nobody answered either need
        page = pages.get("/staff/").get_data(as_text=True)
        assert figure(page, "escalations-total") == 2 and page.count('data-testid="escalated-need"') == 2
        assert "其中2项无人负责" in page
        r = client.put(f"/api/v1/needs/{w['needs']['a_open']['id']}/owner", json={"owner_id": w["users"]["staff"]["id"]},
                       headers=staff_headers)
        assert r.status_code == 200, r.get_json()
        page = pages.get("/staff/").get_data(as_text=True)
        assert "其中1项无人负责" in page
        row = [r for r in page.split('data-testid="escalated-need"')[1:] if w["needs"]["a_open"]["title"] in r.split("</tr>")[0]][0]
        assert (w["users"]["staff"].get("display_name") or w["users"]["staff"]["username"]) in row.split("</tr>")[0]
        # an answer takes the need off the list
        r = client.post("/api/v1/interests", json={"need_id": w["needs"]["b_open"]["id"], "response": "interested",
                                                   "institution_id": w["inst_a"]["id"]}, headers=staff_headers)
        assert r.status_code == 201, r.get_json()
        assert figure(pages.get("/staff/").get_data(as_text=True), "escalations-total") == 1
