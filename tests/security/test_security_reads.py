"""A GET changes nothing: reading a saved search leaves its mark, reading feeds, pages and
the waiting list writes no notification; the serving process sweeps deadlines on a timer."""
from __future__ import annotations

import threading

from matchmaker.brokering.scheduler import start_deadline_sweeper
from matchmaker.search import Query, Terms
from tests.brokering_helpers import API, backdate, ok
from tests.web.conftest import Pages


def _versions(backend) -> dict:
    return {index: sorted((d["id"], d["version"]) for d in backend.scan(index))
            for index in ("saved_searches", "notifications", "needs")}


def test_reading_changes_no_stored_document(app, client, world, backend, actors):
    inst = world["as_inst_a"]
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    saved = ok(client.post(f"{API}/saved-searches", json={"name": "all"}, headers=inst), 201)
    backdate(backend, need, 10)  # its response deadline has passed
    before = _versions(backend)
    for path, headers in [(f"/saved-searches/{saved['id']}/results", inst), (f"/saved-searches/{saved['id']}", inst),
                          ("/notifications", world["as_ent_a"]), ("/notifications", world["staff"]),
                          ("/waiting", world["staff"])]:
        assert client.get(API + path, headers=headers).status_code == 200, path
    user = actors.user("reader_inst", "institution", institution_id=world["inst_a"]["id"])
    pages = Pages(app.test_client())
    assert pages.sign_in(user["username"]).status_code == 302
    for path in (f"/saved-searches/{saved['id']}", "/notifications"):
        assert pages.get(path).status_code == 200, path
    assert _versions(backend) == before


def test_the_look_is_recorded_by_a_post(client, world):
    inst = world["as_inst_a"]
    saved = ok(client.post(f"{API}/saved-searches", json={"name": "all"}, headers=inst), 201)
    seen = ok(client.post(f"{API}/saved-searches/{saved['id']}/seen", headers=inst))
    assert seen["last_seen_at"] and seen["new"] == 0
    assert client.post(f"{API}/saved-searches/{saved['id']}/seen", headers=world["staff"]).status_code == 403


def test_the_serving_process_sweeps_deadlines_on_a_timer(app, world, backend):
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    backdate(backend, need, 10)
    app.config["DEADLINE_SWEEP_SECONDS"] = 3600  # the first sweep runs at once
    stop = threading.Event()
    thread = start_deadline_sweeper(app, stop)
    try:
        for _ in range(200):
            if backend.count("notifications", Query(filters=[Terms("kind", ["deadline_passed"])])):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert backend.count("notifications", Query(filters=[Terms("kind", ["deadline_passed"])])) == 2  # staff, enterprise
    app.config["DEADLINE_SWEEP_SECONDS"] = 0
    assert start_deadline_sweeper(app) is None
