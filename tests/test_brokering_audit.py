"""The audit log: who changed what and when, for needs, meetings, institutions and
accounts; secrets never written; staff and admins read it, filtered; nobody changes it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from matchmaker.audit.service import AuditLog, diff
from tests.brokering_helpers import API, ok, propose
from tests.conftest import need_doc
from tests.server import cli


def entries(client, headers, **args):
    return ok(client.get(f"{API}/audit", query_string=args, headers=headers))


def test_document_changes_are_recorded_with_actor_and_fields(client, actors, world):
    staff, owner = world["staff"], world["as_ent_a"]
    need = ok(client.post(f"{API}/needs", json=need_doc(world["ent_a"]["id"], status="draft"), headers=owner), 201)
    ok(client.patch(f"{API}/needs/{need['id']}", json={"amount": 12_000_000, "title": "新标题"}, headers=owner))
    ok(client.patch(f"{API}/needs/{need['id']}", json={"status": "open"}, headers=owner))
    assert client.delete(f"{API}/needs/{need['id']}", headers=staff).status_code == 204
    log = entries(client, staff, object_kind="need", object_id=need["id"])["items"]
    assert [e["action"] for e in log] == ["delete", "update", "update", "create"]  # newest first
    create, edit, publish, delete = log[3], log[2], log[1], log[0]
    assert create["actor_role"] == "enterprise" and create["changes"]["title"]["to"] == need["title"]
    assert edit["fields"] == ["amount", "title"]
    assert edit["changes"]["amount"] == {"from": 10_000_000, "to": 12_000_000}
    assert set(publish["fields"]) >= {"status", "published_at", "published_month"}
    assert delete["actor_role"] == "staff" and delete["changes"]["title"] == {"from": "新标题"}
    assert all(e["via"] == "api" and e["at"] for e in log)
    # institutions and enterprises are recorded the same way
    ok(client.patch(f"{API}/institutions/{world['inst_a']['id']}", json={"status": "negotiating"}, headers=staff))
    inst_log = entries(client, staff, object_kind="institution", object_id=world["inst_a"]["id"])["items"]
    assert inst_log[0]["changes"]["status"] == {"from": "entered", "to": "negotiating"}


def test_meeting_steps_are_recorded(client, actors, world):
    staff = world["staff"]
    meeting = propose(client, staff, world["needs"][world["ent_a"]["id"]]["open"]["id"], world["inst_a"]["id"])
    ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=world["as_ent_a"]))
    ok(client.post(f"{API}/meetings/{meeting['id']}/decline", headers=world["as_inst_a"]))
    log = entries(client, staff, object_kind="meeting", object_id=meeting["id"])["items"]
    assert [(e["action"], e["actor_role"]) for e in log] == [("decline", "institution"), ("confirm", "enterprise"), ("create", "staff")]
    assert log[0]["changes"]["status"] == {"from": "proposed", "to": "cancelled"}


def test_accounts_are_recorded_without_secrets(client, actors, world):
    admin = world["admin"]
    created = ok(client.post(f"{API}/users", json={"username": "newstaff", "role": "staff", "password": "a long password 1"},
                             headers=admin), 201)
    ok(client.patch(f"{API}/users/{created['id']}", json={"password": "another long password", "display_name": "王"}, headers=admin))
    log = entries(client, admin, object_kind="account", object_id=created["id"])["items"]
    assert [e["action"] for e in log] == ["update", "create"]
    assert log[0]["changes"]["password_hash"] == {"changed": True}
    assert log[0]["changes"]["display_name"] == {"from": "newstaff", "to": "王"}
    text = repr(log)
    assert "argon2" not in text and "another long password" not in text
    assert log[0]["actor_role"] == "admin"


def test_filters_by_actor_and_time(client, actors, world):
    staff = world["staff"]
    me = ok(client.get(f"{API}/auth/me", headers=staff))
    mine = entries(client, staff, actor=me["id"], per_page=200)
    assert mine["total"] >= 4 and all(e["actor_id"] == me["id"] for e in mine["items"])  # the world was built by staff
    assert mine["facets"]["object_kind"]["institution"] == 2
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    assert entries(client, staff, since=later)["total"] == 0
    assert entries(client, staff, until=later)["total"] == entries(client, staff)["total"]
    assert client.get(f"{API}/audit", query_string={"since": "yesterday"}, headers=staff).status_code == 422
    assert client.get(f"{API}/audit", query_string={"since": "2012-06-01T00:00:00"}, headers=staff).status_code == 422  # needs an offset
    one = mine["items"][0]
    assert ok(client.get(f"{API}/audit/{one['id']}", headers=staff)) == one
    assert client.get(f"{API}/audit/nope", headers=staff).status_code == 404


def test_the_log_offers_no_way_to_change_an_entry():
    assert not any(hasattr(AuditLog, name) for name in ("update", "delete", "remove", "replace", "modify"))
    assert diff({"a": 1, "version": "1", "updated_at": "x"}, {"a": 1, "version": "2", "updated_at": "y"}) == {}
    assert diff({"password_hash": "h1"}, {"password_hash": "h2"}) == {"password_hash": {"changed": True}}
    long = "长" * 1000
    assert len(diff(None, {"description": long})["description"]["to"]) < 400


def test_accounts_made_on_the_command_line_are_recorded(tmp_path):
    assert cli(tmp_path, "init").returncode == 0
    assert cli(tmp_path, "users", "create", "ops", "--role", "admin", "--password-stdin", input="a long password 1\n").returncode == 0
    from matchmaker import create_app
    from matchmaker.search import Query, Terms
    from matchmaker.storage import get_backend

    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "t"})
    backend = get_backend(app)
    (entry,) = backend.scan("audit", Query(filters=[Terms("object_kind", ["account"])]))
    assert (entry["action"], entry["object_id"], entry["via"], entry.get("actor_id")) == ("create", "ops", "cli", None)
    backend.close()
