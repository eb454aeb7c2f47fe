"""Response deadlines: working days in the zone's time, the staff waiting list,
"deadline passed" notifications made once, and each institution's answered-in-time record."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from matchmaker.brokering import deadlines
from matchmaker.core.calendar import (
    add_working_days, answered_in_time, local_month, overdue_cutoff, parse_time, response_deadline, utc_iso,
)
from matchmaker.search import Query, Terms
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, backdate, ok
from tests.server import cli


# -- the calendar ---------------------------------------------------------------------------
@pytest.mark.parametrize("start, days, expected", [
    ("2012-06-04", 3, "2012-06-07"),  # Monday -> Thursday
    ("2012-06-07", 3, "2012-06-12"),  # Thursday -> Tuesday, over the weekend
    ("2012-06-08", 3, "2012-06-13"),  # Friday -> Wednesday
    ("2012-06-09", 3, "2012-06-13"),  # Saturday -> Wednesday
    ("2012-06-10", 1, "2012-06-11"),  # Sunday -> Monday
    ("2012-06-04", 5, "2012-06-11"),
])
def test_working_days_skip_weekends(start, days, expected):
    assert add_working_days(date.fromisoformat(start), days) == date.fromisoformat(expected)


def test_deadlines_run_in_zone_time():
    # Friday 2012-06-08 23:30 in Tianjin is still Friday there (15:30 UTC): due by the end of Wednesday
    published = "2012-06-08T15:30:00+00:00"
    assert response_deadline(published, 3) == "2012-06-13T16:00:00+00:00"  # Thursday 00:00 UTC+8
    # 16:30 UTC is already Saturday in Tianjin: the same deadline
    assert response_deadline("2012-06-08T16:30:00+00:00", 3) == "2012-06-13T16:00:00+00:00"
    assert answered_in_time(published, "2012-06-13T15:59:59+00:00", 3)
    assert not answered_in_time(published, "2012-06-13T16:00:00+00:00", 3)
    assert local_month("2012-06-30T16:30:00+00:00") == "2012-07"  # already July in the zone


def test_the_cutoff_selects_exactly_the_late_ones():
    now = datetime(2012, 6, 13, 17, 0, tzinfo=timezone.utc)  # Thursday 01:00 in the zone
    cutoff = overdue_cutoff(now, 3)
    for hours in range(0, 24 * 14):
        published = now - timedelta(hours=hours)
        late = parse_time(response_deadline(published, 3)) <= now
        assert (utc_iso(published) <= cutoff) == late, published


def test_times_are_stored_in_utc_whole_seconds():
    assert utc_iso("2012-06-01T09:30:15.75+08:00") == "2012-06-01T01:30:15+00:00"
    assert utc_iso("2012-06-01T01:30:00") == "2012-06-01T01:30:00+00:00"  # no offset: UTC


# -- the waiting list -----------------------------------------------------------------------
def test_waiting_list_has_open_needs_nobody_answered_in_time(client, backend, actors, world):
    staff = world["staff"]
    need_a = world["needs"][world["ent_a"]["id"]]["open"]
    need_b = world["needs"][world["ent_b"]["id"]]["open"]
    assert ok(client.get(f"{API}/waiting", headers=staff))["total"] == 0  # just published
    backdate(backend, need_a["id"], 10)
    backdate(backend, need_b["id"], 12)
    body = ok(client.get(f"{API}/waiting", headers=staff))
    assert [item["need"]["id"] for item in body["items"]] == [need_b["id"], need_a["id"]]  # longest waiting first
    assert all(parse_time(item["deadline"]) < datetime.now(timezone.utc) for item in body["items"])
    # an answer — even a decline — takes the need off the list; and it came late
    late = ok(client.post(f"{API}/interests", json={"need_id": need_a["id"], "response": "declined", "reason": "no_capacity"},
                          headers=world["as_inst_a"]), 201)
    assert late["in_time"] is False
    assert [item["need"]["id"] for item in ok(client.get(f"{API}/waiting", headers=staff))["items"]] == [need_b["id"]]
    assert ok(client.get(f"{API}/needs/{need_a['id']}", headers=staff))["brokering"]["answered_in_time"] is False
    # filters
    assert ok(client.get(f"{API}/waiting", query_string={"industry": "new_energy"}, headers=staff))["total"] == 0
    assert ok(client.get(f"{API}/waiting", query_string={"industry": "biomedicine"}, headers=staff))["total"] == 1


def test_deadline_passed_is_told_once_to_staff_and_the_enterprise(client, backend, actors, world):
    staff, owner = world["staff"], world["as_ent_a"]
    need = world["needs"][world["ent_a"]["id"]]["open"]
    backdate(backend, need["id"], 10)
    assert deadlines.sweep(backend, 3) == 1  # what `serve` does on its timer, and `notify-deadlines`
    first = ok(client.get(f"{API}/notifications", query_string={"kind": "deadline_passed"}, headers=owner))
    assert [n["need_id"] for n in first["items"]] == [need["id"]]
    assert deadlines.sweep(backend, 3) == 0
    again = ok(client.get(f"{API}/notifications", query_string={"kind": "deadline_passed"}, headers=owner))
    assert again["total"] == 1  # sweeping again makes no second one
    staff_feed = ok(client.get(f"{API}/notifications", query_string={"kind": "deadline_passed"}, headers=staff))
    assert need["id"] in [n["need_id"] for n in staff_feed["items"]]
    assert ok(client.get(f"{API}/needs/{need['id']}", headers=staff))["brokering"]["deadline_notified_at"]
    # other parties hear nothing of it
    assert ok(client.get(f"{API}/notifications", query_string={"kind": "deadline_passed"}, headers=world["as_inst_a"]))["total"] == 0
    # published again (withdrawn, then open): a new deadline, and a new notice when it passes
    ok(client.patch(f"{API}/needs/{need['id']}", json={"status": "withdrawn"}, headers=owner))
    ok(client.patch(f"{API}/needs/{need['id']}", json={"status": "open"}, headers=owner))
    assert "deadline_notified_at" not in (backend.get("needs", need["id"]).get("brokering") or {})
    backdate(backend, need["id"], 9)
    deadlines.sweep(backend, 3)
    assert ok(client.get(f"{API}/notifications", query_string={"kind": "deadline_passed"}, headers=owner))["total"] == 2


def test_the_sweep_is_bounded_and_the_command_does_the_rest(backend, world, client):
    for ent in (world["ent_a"], world["ent_b"]):
        backdate(backend, world["needs"][ent["id"]]["open"]["id"], 20)
    assert deadlines.sweep(backend, 3, limit=1) == 1
    assert deadlines.sweep(backend, 3) == 1
    assert deadlines.sweep(backend, 3) == 0
    count = backend.count("notifications", Query(filters=[Terms("kind", ["deadline_passed"])]))
    assert count == 4  # two needs, each to staff and to its enterprise


def test_working_days_are_configurable(tmp_path, password_hash, backend):
    from tests.conftest import Actors, enterprise_doc, need_doc

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "SECRET_KEY": "t", "RESPONSE_DEADLINE_WORKING_DAYS": 30})
    backend = get_backend(app)
    backend.init()
    client = app.test_client()
    staff = Actors(app, client, password_hash).as_staff()
    ent = ok(client.post(f"{API}/enterprises", json=enterprise_doc(), headers=staff), 201)
    need = ok(client.post(f"{API}/needs", json=need_doc(ent["id"]), headers=staff), 201)
    backdate(backend, need["id"], 10)
    assert ok(client.get(f"{API}/waiting", headers=staff))["total"] == 0  # 10 days < 30 working days
    backdate(backend, need["id"], 50)
    assert ok(client.get(f"{API}/waiting", headers=staff))["total"] == 1
    backend.close()
    # a setting the service cannot run with stops it at start-up, not as a 500 on the waiting list
    with pytest.raises(ConfigurationError, match="MATCHMAKER_RESPONSE_DEADLINE_WORKING_DAYS"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "e"), "SECRET_KEY": "t", "RESPONSE_DEADLINE_WORKING_DAYS": 0})


def test_notify_deadlines_command(tmp_path):
    from tests.conftest import enterprise_doc, need_doc

    assert cli(tmp_path, "init").returncode == 0
    data = tmp_path / "data.jsonl"
    enterprise = {"kind": "enterprise", "id": "ent-1", **enterprise_doc()}
    old = utc_iso(datetime.now(timezone.utc) - timedelta(days=30))
    need = {"kind": "need", "id": "need-1", **need_doc("ent-1"), "published_at": old}
    import json

    data.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in (enterprise, need)) + "\n", encoding="utf-8")
    assert cli(tmp_path, "import", str(data)).returncode == 0
    result = cli(tmp_path, "notify-deadlines")
    assert result.returncode == 0 and "notified 1 late need" in result.stdout
    again = cli(tmp_path, "notify-deadlines").stdout
    assert "notified 0" in again and "reminded the parties of 0 meeting(s)" in again


# -- the answered-in-time record -------------------------------------------------------------
def test_each_institution_has_an_answered_in_time_rate(client, backend, actors, world):
    staff = world["staff"]
    inst = world["inst_a"]
    need_a = world["needs"][world["ent_a"]["id"]]["open"]
    need_b = world["needs"][world["ent_b"]["id"]]["open"]
    record = ok(client.get(f"{API}/institutions/{inst['id']}/responsiveness", headers=world["as_inst_a"]))
    assert record == {"institution_id": inst["id"], "answers": 0, "in_time": 0, "late": 0, "rate": None,
                      "interested": 0, "declined": 0}
    ok(client.post(f"{API}/interests", json={"need_id": need_a["id"], "response": "interested"}, headers=world["as_inst_a"]), 201)
    backdate(backend, need_b["id"], 15)
    ok(client.post(f"{API}/interests", json={"need_id": need_b["id"], "response": "declined", "reason": "industry_not_fit"},
                   headers=world["as_inst_a"]), 201)
    record = ok(client.get(f"{API}/institutions/{inst['id']}/responsiveness", headers=staff))
    assert (record["answers"], record["in_time"], record["late"], record["rate"]) == (2, 1, 1, 0.5)
    assert (record["interested"], record["declined"]) == (1, 1)
    every = ok(client.get(f"{API}/statistics/responsiveness", headers=staff))["items"]
    assert [(r["institution_id"], r["rate"]) for r in every] == [(inst["id"], 0.5)]
    assert client.get(f"{API}/institutions/nope/responsiveness", headers=staff).status_code == 404
