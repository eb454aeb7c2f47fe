"""Meeting slots through the pages: staff offer three times on the form, each party ticks
the ones that suit it, the earliest common one confirms the meeting."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.web.conftest import signed_in


def day(n: int) -> str:
    return (datetime.now() + timedelta(days=n)).date().isoformat()


def test_staff_offer_times_and_each_party_picks(world_app):
    w = world_app.world
    backend = w["backend"]
    staff, ent, inst = signed_in(world_app, "staff"), signed_in(world_app, "ent_a"), signed_in(world_app, "inst_a")
    form = {"need_id": w["needs"]["a_open"]["id"], "institution_id": w["inst_a"]["id"],
            "starts_at": f"{day(5)}T10:00", "ends_at": f"{day(5)}T11:00",
            "starts_at_2": f"{day(6)}T14:00", "ends_at_2": f"{day(6)}T15:00",
            "starts_at_3": f"{day(7)}T09:00", "ends_at_3": ""}
    r = staff.post("/meetings/new", form)
    assert r.status_code == 422 and 'id="ends_at_3-error"' in r.get_data(as_text=True)  # the third time has no end
    r = staff.post("/meetings/new", {**form, "ends_at_3": f"{day(7)}T10:00"})
    assert r.status_code == 302
    meeting_id = r.headers["Location"].rsplit("/", 1)[1]
    assert len(backend.get("meetings", meeting_id)["slots"]) == 3

    page = ent.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert 'data-testid="pick-slots"' in page and 'data-testid="confirm-meeting"' not in page
    assert f"{day(6)} 14:00" in page
    assert ent.post(f"/meetings/{meeting_id}/pick", {}).status_code == 302  # nothing ticked: a message, nothing saved
    assert "enterprise_picks" not in backend.get("meetings", meeting_id)
    assert ent.post(f"/meetings/{meeting_id}/pick", {"slot": ["1", "2"]}).status_code == 302
    assert inst.post(f"/meetings/{meeting_id}/pick", {"slot": ["0", "2"]}).status_code == 302
    stored = backend.get("meetings", meeting_id)
    assert stored["status"] == "confirmed" and stored["chosen_slot"] == 2
    page = staff.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert re.search(r'class="chosen">' + re.escape(f"{day(7)} 09:00"), page)
