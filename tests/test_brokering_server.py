"""The brokering path against the real server over HTTP, set up the way an operator
does: ``matchmaker init``, ``import``, ``users create``, ``serve``; then ``requests``."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests
from icalendar import Calendar

from tests.conftest import enterprise_doc, institution_doc, need_doc
from tests.server import CLI, Server

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")

PASSWORD = "brokering password 2012"
USERS = (("zone-staff", "staff", ()), ("battery-cfo", "enterprise", ("--enterprise", "ent-battery")),
         ("vc-partner", "institution", ("--institution", "inst-vc")), ("other-bank", "institution", ("--institution", "inst-bank")))


def run_side_by_side(data_dir, *commands: list[str]) -> None:
    """Run ``matchmaker`` commands at the same time (each pays the start-up once, in parallel)."""
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir)}
    runs = [subprocess.Popen([*CLI, *command], env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for command in commands]
    for command, run in zip(commands, runs):
        _, err = run.communicate(PASSWORD + "\n" if "--password-stdin" in command else "", timeout=120)
        assert run.returncode == 0, (command, err)


def create_user(username: str, role: str, binding=()) -> list[str]:
    return ["users", "create", username, "--role", role, *binding, "--password-stdin"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("brokering-e2e")
    documents = [
        {"kind": "institution", "id": "inst-vc", **institution_doc()},
        {"kind": "institution", "id": "inst-bank", **institution_doc(name="滨海科技支行", type="bank", instruments=["debt"])},
        {"kind": "enterprise", "id": "ent-battery", **enterprise_doc(name="天津电池科技有限公司")},
    ]
    path = data_dir / "zone.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    (staff_name, staff_role, _), *bound = USERS
    run_side_by_side(data_dir, ["import", str(path)], create_user(staff_name, staff_role))
    run_side_by_side(data_dir, *(create_user(*user) for user in bound))  # bound to what the import made
    with Server(data_dir) as running:
        yield running


def test_need_to_funding_over_http(server):
    api = server.url + "/api/v1"
    staff, owner, vc, bank = (server.token(name, PASSWORD) for name, _, _ in USERS)

    def call(method, path, headers, status=200, base=None, **kwargs):
        r = requests.request(method, (base or api) + path, headers=headers, timeout=10, **kwargs)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        return r.json() if r.headers.get("Content-Type", "").startswith("application/json") else r

    year = call("get", "/statistics", staff)["year"]
    need = call("post", "/needs", owner, 201, json=need_doc("ent-battery", title="动力电池产线 battery line"))
    assert need["status"] == "open" and need["published_at"]
    interest = call("post", "/interests", vc, 201, json={"need_id": need["id"], "response": "interested", "note": "约个时间"})
    assert interest["in_time"] is True
    times = {"starts_at": "2030-06-04T10:00:00+08:00", "ends_at": "2030-06-04T11:30:00+08:00"}
    meeting = call("post", "/meetings", staff, 201, json={"need_id": need["id"], "institution_id": "inst-vc", "location": "管委会", **times})
    overlap = {"starts_at": "2030-06-04T11:00:00+08:00", "ends_at": "2030-06-04T12:00:00+08:00"}
    call("post", "/meetings", staff, 409, json={"need_id": need["id"], "institution_id": "inst-bank", **overlap})
    call("get", f"/meetings/{meeting['id']}", bank, 404)  # a third party reads nothing of it, not even that it exists
    call("post", f"/meetings/{meeting['id']}/held", staff, 409)  # not confirmed yet
    call("post", f"/meetings/{meeting['id']}/confirm", owner)
    assert call("post", f"/meetings/{meeting['id']}/confirm", vc)["status"] == "confirmed"

    ics = call("get", f"/meetings/{meeting['id']}.ics", owner)
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart").isoformat() == "2030-06-04T02:00:00+00:00"
    assert {str(a.params["CN"]) for a in event["attendee"]} == {"天津电池科技有限公司", "滨海新能源创业投资有限公司"}

    call("post", f"/meetings/{meeting['id']}/held", staff, 409)  # not before it has taken place
    # the day after: a second server on the same data, its clock on 2030-06-05, records it held
    with Server(server.data_dir, extra_env={"MATCHMAKER_TODAY": "2030-06-05"}) as later:
        call("post", f"/meetings/{meeting['id']}/held", staff, base=later.url + "/api/v1")
    call("post", f"/meetings/{meeting['id']}/outcome", staff, json={"outcome": "funded", "amount": 9_500_000, "instrument": "equity"})
    assert call("get", f"/needs/{need['id']}", owner)["status"] == "funded"

    stats = call("get", "/statistics", staff, params={"year": year})
    assert stats["needs"]["totals"]["posted"] == 1
    assert stats["needs"]["totals"]["funded"] == 1 and stats["needs"]["totals"]["amount_funded"] == 9_500_000
    assert [s["count"] for s in stats["funnel"]] == [1, 1, 1, 1]
    assert stats["by_institution_type"]["rows"]["venture_capital"]["funded"] == 1
    # the funded outcome is final; the report for the leaders carries it
    call("post", f"/meetings/{meeting['id']}/outcome", staff, 409, json={"outcome": "declined"})
    report = call("get", "/exports/meetings.csv", staff)
    assert report.content.startswith(b"\xef\xbb\xbf") and "完成融资" in report.content.decode("utf-8-sig")
    call("get", "/exports/meetings.csv", owner, 403)
    # the enterprise was told along the way; the other institution was not
    kinds = {n["kind"] for n in call("get", "/notifications", owner)["items"]}
    assert {"interest", "meeting_proposed", "meeting_changed"} <= kinds
    assert call("get", "/notifications", bank)["total"] == 0
    audit = call("get", "/audit", staff, params={"object_id": need["id"]})
    assert {e["action"] for e in audit["items"]} == {"create", "update"}


def test_brokering_endpoints_are_in_the_openapi_document(server):
    paths = requests.get(server.url + "/api/v1/openapi.json", timeout=10).json()["paths"]
    for path in ("/api/v1/meetings", "/api/v1/meetings/{meeting_id}", "/api/v1/meetings/{meeting_id}.ics",
                 "/api/v1/meetings/{meeting_id}/outcome", "/api/v1/interests", "/api/v1/introductions", "/api/v1/waiting",
                 "/api/v1/notifications", "/api/v1/saved-searches/{saved_id}/results", "/api/v1/statistics",
                 "/api/v1/exports/needs.xlsx", "/api/v1/audit", "/api/v1/institutions/{institution_id}/responsiveness"):
        assert path in paths, path
    responses = paths["/api/v1/meetings/{meeting_id}"]["get"]["responses"]
    assert "schema" in responses["200"]["content"]["application/json"]
