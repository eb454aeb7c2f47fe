"""Writes racing each other through the API, from threads, on each local store.

Two changes of different fields both survive; an institution's answer does not erase
what an enterprise edits at the same moment (nor the reverse); of many overlapping
meeting proposals made at once exactly one is taken.
"""
from __future__ import annotations

import threading

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, at, ok
from tests.conftest import need_doc

ROUNDS = 30
pytestmark = pytest.mark.slow  # 30 rounds of real writes, each indexed before it returns


@pytest.fixture(params=["embedded", "embedded-postgresql"])
def app(request, tmp_path):
    config = {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret",
              "SEARCH_BACKEND": request.param.split("-")[0]}
    if request.param == "embedded-postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = create_app(config)
    get_backend(app).init()
    yield app
    get_backend(app).close()


def together(app, *calls):
    """Run each ``call(client)`` in its own thread, released at one moment; their responses."""
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)

    def run(position, call):
        client = app.test_client()
        barrier.wait()
        responses[position] = call(client)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_two_patches_of_different_fields_both_survive(app, client, world):
    staff, inst = world["staff"], world["inst_a"]["id"]
    for round in range(ROUNDS):
        description, ticket_max = f"round {round} description", 60_000_000 + round
        first, second = together(
            app,
            lambda c: c.patch(f"{API}/institutions/{inst}", json={"description": description}, headers=staff),
            lambda c: c.patch(f"{API}/institutions/{inst}", json={"ticket_max": ticket_max}, headers=staff),
        )
        assert first.status_code == second.status_code == 200, (first.get_json(), second.get_json())
        stored = ok(client.get(f"{API}/institutions/{inst}", headers=staff))
        assert (stored["description"], stored["ticket_max"]) == (description, ticket_max), f"round {round}"


def test_if_match_still_refuses_a_stale_version(app, client, world):
    staff, inst = world["staff"], world["inst_a"]["id"]
    version = ok(client.get(f"{API}/institutions/{inst}", headers=staff))["version"]
    ok(client.patch(f"{API}/institutions/{inst}", json={"description": "first"}, headers=staff))
    stale = client.patch(f"{API}/institutions/{inst}", json={"description": "second"},
                         headers={**staff, "If-Match": f'"{version}"'})
    assert stale.status_code == 409
    assert ok(client.get(f"{API}/institutions/{inst}", headers=staff))["description"] == "first"


def test_an_interest_racing_a_patch_keeps_the_facts_and_the_edit(app, client, world):
    backend = get_backend(app)
    enterprise = world["ent_a"]["id"]
    as_enterprise, as_institution = world["as_ent_a"], world["as_inst_a"]
    for round in range(ROUNDS):
        need = ok(client.post(f"{API}/needs", json=need_doc(enterprise, title=f"需求 {round}"), headers=world["staff"]), 201)
        title = f"edited {round}"
        answer, edit = together(
            app,
            lambda c: c.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested"}, headers=as_institution),
            lambda c: c.patch(f"{API}/needs/{need['id']}", json={"title": title}, headers=as_enterprise),
        )
        assert answer.status_code == 201 and edit.status_code == 200, (answer.get_json(), edit.get_json())
        stored = backend.get("needs", need["id"])
        assert stored["title"] == title, f"round {round}"
        assert stored.get("brokering", {}).get("interested_at"), f"round {round}: the facts were lost"


def test_of_twenty_overlapping_proposals_one_is_taken(app, client, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    institution = world["inst_a"]["id"]
    calls = []
    for n in range(20):
        starts, ends = at("2030-03-04", 10, minute=n, hours=1)
        body = {"need_id": need["id"], "institution_id": institution, "starts_at": starts, "ends_at": ends}
        calls.append(lambda c, body=body: c.post(f"{API}/meetings", json=body, headers=world["staff"]))
    statuses = sorted(r.status_code for r in together(app, *calls))
    assert statuses == [201] + [409] * 19
    assert get_backend(app).count("meetings") == 1
