"""Need owners among staff, the overdue queue that shows them, and escalation to the lead
of needs still unanswered some working days after their deadline (once)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from matchmaker.brokering.owners import escalate
from tests.brokering_helpers import API, backdate, ok


def test_staff_assign_an_owner_who_is_told_and_shown_in_the_queue(client, backend, actors, world):
    staff = world["staff"]
    need = world["needs"][world["ent_a"]["id"]]["open"]
    colleague = actors.user("wang", "staff")
    not_staff = actors.user("zhao", "enterprise", enterprise_id=world["ent_a"]["id"])
    r = client.put(f"{API}/needs/{need['id']}/owner", json={"owner_id": not_staff["id"]}, headers=staff)
    assert r.status_code == 422 and r.get_json()["errors"]["json"] == {"owner_id": ["not a staff account"]}
    assert client.put(f"{API}/needs/nope/owner", json={"owner_id": colleague["id"]}, headers=staff).status_code == 404
    assert client.put(f"{API}/needs/{need['id']}/owner", json={"owner_id": colleague["id"]},
                      headers=world["as_ent_a"]).status_code == 403
    owner = ok(client.put(f"{API}/needs/{need['id']}/owner", json={"owner_id": colleague["id"]}, headers=staff))
    assert (owner["need_id"], owner["owner_id"], owner["owner_name"]) == (need["id"], "wang", "wang")
    backdate(backend, need["id"], 20)
    queue = ok(client.get(f"{API}/waiting", headers=staff))["items"]
    assert [(item["need"]["id"], (item["owner"] or {}).get("owner_id")) for item in queue] == [(need["id"], "wang")]
    audit = ok(client.get(f"{API}/audit", query_string={"object_id": need["id"], "action": "assign"}, headers=staff))["items"]
    assert audit and audit[0]["changes"]["owner_id"] == {"from": None, "to": "wang"}


def test_long_late_needs_are_escalated_to_the_lead_once(client, backend, actors, world):
    lead = actors.user("lead", "staff")
    lead_headers = {"Authorization": f"Bearer {actors.token(lead)}"}
    need = world["needs"][world["ent_a"]["id"]]["open"]
    other = world["needs"][world["ent_b"]["id"]]["open"]
    published = datetime(2030, 3, 4, 9, tzinfo=timezone(timedelta(hours=8)))  # a Monday: due by the end of Thursday
    for n in (need, other):
        backend.replace("needs", n["id"], {**backend.get("needs", n["id"]), "published_at": published.isoformat()})
    ok(client.put(f"{API}/needs/{need['id']}/owner", json={"owner_id": lead["id"]}, headers=world["staff"]))
    with client.application.app_context():
        friday = datetime(2030, 3, 8, 12, tzinfo=timezone(timedelta(hours=8)))  # late, but not long
        assert escalate(backend, 3, 2, "lead", now=friday) == 0
        tuesday = datetime(2030, 3, 12, 12, tzinfo=timezone(timedelta(hours=8)))  # two working days past the deadline
        assert escalate(backend, 3, 2, "lead", now=tuesday) == 2
        assert escalate(backend, 3, 2, "lead", now=tuesday + timedelta(hours=5)) == 0  # told once
    notes = ok(client.get(f"{API}/notifications", query_string={"kind": "need_escalated"}, headers=lead_headers))["items"]
    assert len(notes) == 2
    mine = next(n for n in notes if n["need_id"] == need["id"])
    assert "负责人：lead" in mine["message_zh"] and "2030-03-07" in mine["message_zh"]
    assert "无人负责" in next(n for n in notes if n["need_id"] == other["id"])["message_zh"]
