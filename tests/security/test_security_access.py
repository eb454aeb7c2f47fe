"""Status rules by role, and 404 before anything leaks: a rival sees the same answer for
another's interest, introduction or draft need as for an id that does not exist."""
from __future__ import annotations

import pytest

from tests.brokering_helpers import API, ok
from tests.conftest import need_doc


@pytest.mark.parametrize("status", ["funded", "in_talks", "closed", "withdrawn"])
@pytest.mark.parametrize("who", ["staff", "as_ent_a"])
def test_a_new_need_starts_as_draft_or_open(client, world, who, status):
    r = client.post(f"{API}/needs", json=need_doc(world["ent_a"]["id"], status=status), headers=world[who])
    assert r.status_code == 422
    assert "status" in r.get_json()["errors"]["json"]


@pytest.mark.parametrize("status", ["funded", "in_talks"])
def test_an_enterprise_cannot_fund_its_own_need(client, world, backend, status):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    r = client.patch(f"{API}/needs/{need['id']}", json={"status": status}, headers=world["as_ent_a"])
    assert r.status_code == 422 and "status" in r.get_json()["errors"]["json"]
    assert backend.get("needs", need["id"])["status"] == "open"


@pytest.mark.parametrize("status", ["closed", "withdrawn", "draft"])
def test_an_enterprise_withdraws_closes_or_unpublishes_its_need(client, world, status):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    assert ok(client.patch(f"{API}/needs/{need['id']}", json={"status": status}, headers=world["as_ent_a"]))["status"] == status


def test_staff_broker_a_need_into_talks(client, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    assert ok(client.patch(f"{API}/needs/{need['id']}", json={"status": "in_talks"}, headers=world["staff"]))["status"] == "in_talks"


# -- 404 before any leak ----------------------------------------------------------------

def _same_as_missing(response, missing):
    assert response.status_code == missing.status_code == 404
    assert set(response.get_json()) == set(missing.get_json())


def test_a_rival_institution_cannot_tell_who_answered_a_need(client, world, actors):
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    mine = ok(client.post(f"{API}/interests", json={"need_id": need, "response": "interested"}, headers=world["as_inst_a"]), 201)
    rival = actors.as_institution(world["inst_b"]["id"])
    _same_as_missing(client.get(f"{API}/interests/{mine['id']}", headers=rival),
                     client.get(f"{API}/interests/{need}--no-such-institution", headers=rival))


def test_a_rival_enterprise_cannot_tell_who_asked_for_an_introduction(client, world, actors):
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    intro = ok(client.post(f"{API}/introductions", json={"need_id": need, "institution_id": world["inst_a"]["id"]},
                           headers=world["as_ent_a"]), 201)
    rival = actors.as_enterprise(world["ent_b"]["id"])
    institution = actors.as_institution(world["inst_a"]["id"])
    for who in (rival, institution):
        _same_as_missing(client.get(f"{API}/introductions/{intro['id']}", headers=who),
                         client.get(f"{API}/introductions/{need}--nobody", headers=who))


def test_draft_need_ids_do_not_leak(client, world, actors):
    draft = world["needs"][world["ent_b"]["id"]]["draft"]["id"]
    institution = actors.as_institution(world["inst_a"]["id"])
    rival = world["as_ent_a"]
    for who in (institution, rival):
        _same_as_missing(client.get(f"{API}/needs/{draft}", headers=who), client.get(f"{API}/needs/no-such-need", headers=who))
        _same_as_missing(client.patch(f"{API}/needs/{draft}", json={"title": "x"}, headers=who),
                         client.patch(f"{API}/needs/no-such-need", json={"title": "x"}, headers=who))
        _same_as_missing(client.delete(f"{API}/needs/{draft}", headers=who), client.delete(f"{API}/needs/no-such-need", headers=who))
    _same_as_missing(client.post(f"{API}/interests", json={"need_id": draft, "response": "interested"}, headers=institution),
                     client.post(f"{API}/interests", json={"need_id": "no-such-need", "response": "interested"}, headers=institution))
    body = {"institution_id": world["inst_a"]["id"]}
    _same_as_missing(client.post(f"{API}/introductions", json={"need_id": draft, **body}, headers=rival),
                     client.post(f"{API}/introductions", json={"need_id": "no-such-need", **body}, headers=rival))


# -- ids that tell nothing -----------------------------------------------------------------

def test_answer_and_request_ids_name_neither_the_need_nor_the_institution(client, world, app):
    need, institution = world["needs"][world["ent_a"]["id"]]["open"]["id"], world["inst_a"]["id"]
    answer = ok(client.post(f"{API}/interests", json={"need_id": need, "response": "interested"}, headers=world["as_inst_a"]), 201)
    intro = ok(client.post(f"{API}/introductions", json={"need_id": need, "institution_id": institution},
                           headers=world["as_ent_a"]), 201)
    for made in (answer["id"], intro["id"]):
        assert need not in made and institution not in made and "--" not in made
    assert answer["id"] != intro["id"]
    # keyed with the service's secret: the same pair under another key is another id, so no
    # one without the key can work out the id of a pair
    from matchmaker.brokering.interests import pair_id
    assert pair_id("interests", need, institution, app.config["SECRET_KEY"]) == answer["id"]
    assert pair_id("interests", need, institution, "another key") != answer["id"]
    # answering again changes the one answer, under the same id
    again = ok(client.post(f"{API}/interests", json={"need_id": need, "response": "declined", "reason": "no_capacity"},
                           headers=world["as_inst_a"]), 200)
    assert again["id"] == answer["id"]
    assert ok(client.get(f"{API}/interests", query_string={"need_id": need}, headers=world["staff"]))["total"] == 1


def test_records_stored_under_the_old_need_institution_ids_are_still_read_and_changed(client, world, backend, actors):
    """Earlier versions stored answers and requests as ``need--institution``: they keep
    their id, their parties still read them (a rival still gets 404), and a new answer of
    the same pair changes that record rather than making a second one."""
    need, institution = world["needs"][world["ent_a"]["id"]]["open"], world["inst_a"]
    old_id = f"{need['id']}--{institution['id']}"
    first = ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested"},
                           headers=world["as_inst_a"]), 201)
    backend.delete("interests", first["id"])  # as an older version left it: the same record, the old id
    backend.create("interests", {k: v for k, v in first.items() if k not in ("id", "version")}, doc_id=old_id)
    assert ok(client.get(f"{API}/interests/{old_id}", headers=world["as_inst_a"]))["response"] == "interested"
    assert ok(client.get(f"{API}/interests/{old_id}", headers=world["as_ent_a"]))["id"] == old_id
    assert client.get(f"{API}/interests/{old_id}", headers=actors.as_institution(world["inst_b"]["id"])).status_code == 404
    changed = ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "declined", "reason": "no_capacity"},
                             headers=world["as_inst_a"]), 200)
    assert changed["id"] == old_id and changed["response"] == "declined"
    assert [i["id"] for i in backend.scan("interests")] == [old_id]

    request = ok(client.post(f"{API}/introductions", json={"need_id": need["id"], "institution_id": institution["id"]},
                             headers=world["as_ent_a"]), 201)
    backend.delete("introductions", request["id"])
    backend.create("introductions", {**{k: v for k, v in request.items() if k not in ("id", "version")}, "status": "declined"},
                   doc_id=old_id)
    assert ok(client.get(f"{API}/introductions/{old_id}", headers=world["as_ent_a"]))["status"] == "declined"
    again = ok(client.post(f"{API}/introductions", json={"need_id": need["id"], "institution_id": institution["id"]},
                           headers=world["as_ent_a"]), 201)
    assert again["id"] == old_id and again["status"] == "requested"
    assert [i["id"] for i in backend.scan("introductions")] == [old_id]
