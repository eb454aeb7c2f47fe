"""The overdue queue (waiting list) shows each late need's owner and lets staff assign one."""
from __future__ import annotations

from tests.brokering_helpers import backdate
from tests.web.conftest import signed_in


def test_staff_assign_an_owner_from_the_waiting_list(world_app):
    w = world_app.world
    need = w["needs"]["a_open"]
    backdate(w["backend"], need["id"], 20)
    staff = signed_in(world_app, "staff")
    page = staff.get("/staff/waiting").get_data(as_text=True)
    assert 'data-testid="assign-owner"' in page and "无人负责" in page
    owner_id = w["users"]["staff"]["id"]
    r = staff.post(f"/needs/{need['id']}/owner", {"owner_id": owner_id, "next": "/staff/waiting"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/waiting")
    assert w["backend"].get("need_owners", need["id"])["owner_id"] == owner_id
    page = staff.get("/staff/waiting").get_data(as_text=True)
    assert "无人负责" not in page
    assert staff.post(f"/needs/{need['id']}/owner", {"owner_id": w["users"]["ent_a"]["id"]}).status_code == 302
    assert w["backend"].get("need_owners", need["id"])["owner_id"] == owner_id  # an enterprise user is refused
    assert signed_in(world_app, "ent_a").post(f"/needs/{need['id']}/owner", {"owner_id": owner_id}).status_code == 403
