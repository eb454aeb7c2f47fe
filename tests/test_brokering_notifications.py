"""Notifications and saved searches: each user's feed, read state per user,
saved searches matched when a need becomes open, and what is new since the last look."""
from __future__ import annotations

import pytest

from tests.brokering_helpers import API, backdate, ok, propose
from tests.conftest import need_doc


def feed(client, headers, **args):
    return ok(client.get(f"{API}/notifications", query_string=args, headers=headers))


@pytest.fixture
def institution(actors, world):
    return actors.as_institution(world["inst_a"]["id"])


def save(client, headers, status=201, **params):
    return ok(client.post(f"{API}/saved-searches", json={"name": "watch", **params}, headers=headers), status)


def test_a_need_becoming_open_is_matched_against_saved_searches(client, world, institution):
    staff, owner = world["staff"], world["as_ent_a"]
    ent = world["ent_a"]["id"]
    hits = [
        save(client, institution, name="all"),
        save(client, institution, industry=["new_energy", "software_it"], instrument=["equity"]),
        save(client, institution, q="电池", min_amount=5_000_000, max_amount=20_000_000),
        save(client, institution, stage=["growth"]),
    ]
    misses = [
        save(client, institution, industry=["biomedicine"]),
        save(client, institution, instrument=["debt"]),
        save(client, institution, q="芯片"),
        save(client, institution, min_amount=50_000_000),
        save(client, institution, max_amount=1_000_000),
    ]
    before = {n["id"] for n in feed(client, institution)["items"]}
    draft = ok(client.post(f"{API}/needs", json=need_doc(ent, status="draft", title="电池扩产"), headers=owner), 201)
    assert {n["id"] for n in feed(client, institution)["items"]} == before  # a draft tells nobody
    ok(client.patch(f"{API}/needs/{draft['id']}", json={"status": "open"}, headers=owner))
    new = [n for n in feed(client, institution, kind="saved_search_match")["items"] if n["need_id"] == draft["id"]]
    assert {n["saved_search_id"] for n in new} == {s["id"] for s in hits}
    assert all(n["recipient"] == f"institution:{world['inst_a']['id']}" and not n["read"] for n in new)
    assert "电池扩产" in new[0]["message_zh"]
    # a change that keeps it open tells nobody again
    ok(client.patch(f"{API}/needs/{draft['id']}", json={"amount": 12_000_000}, headers=owner))
    assert len([n for n in feed(client, institution, kind="saved_search_match")["items"] if n["need_id"] == draft["id"]]) == len(hits)
    # nobody else hears of it
    assert feed(client, world["as_ent_a"], kind="saved_search_match")["total"] == 0
    assert feed(client, staff, kind="saved_search_match")["total"] == 0
    assert misses


def test_new_since_last_look(client, backend, world, institution):
    saved = save(client, institution, industry=["new_energy"])
    need = world["needs"][world["ent_a"]["id"]]["open"]
    backdate(backend, need["id"], 3)  # published before the search was saved
    listed = ok(client.get(f"{API}/saved-searches", headers=institution))["items"]
    assert [(s["id"], s["new"]) for s in listed] == [(saved["id"], 0)]
    fresh = ok(client.post(f"{API}/needs", json=need_doc(world["ent_a"]["id"], title="新需求"), headers=world["as_ent_a"]), 201)
    assert ok(client.get(f"{API}/saved-searches/{saved['id']}", headers=institution))["new"] == 1
    peek = ok(client.get(f"{API}/saved-searches/{saved['id']}/results", query_string={"only_new": True, "mark_seen": False},
                         headers=institution))
    assert [n["id"] for n in peek["items"]] == [fresh["id"]] and peek["new"] == 1
    everything = ok(client.get(f"{API}/saved-searches/{saved['id']}/results", headers=institution))
    assert {n["id"] for n in everything["items"]} == {need["id"], fresh["id"]}
    assert everything["facets"]["industry"] == {"new_energy": 2}
    # reading changed nothing; the institution records its look with a POST
    assert ok(client.get(f"{API}/saved-searches/{saved['id']}", headers=institution))["new"] == 1
    assert ok(client.post(f"{API}/saved-searches/{saved['id']}/seen", headers=institution))["new"] == 0
    backdate(backend, fresh["id"], 1)
    assert ok(client.get(f"{API}/saved-searches/{saved['id']}", headers=institution))["new"] == 0
    # staff may look without moving the institution's mark
    backdate(backend, fresh["id"], -1)  # "published" after the look
    ok(client.get(f"{API}/saved-searches/{saved['id']}/results", headers=world["staff"]))
    assert ok(client.get(f"{API}/saved-searches/{saved['id']}", headers=institution))["new"] == 1


def test_saved_searches_are_validated_and_editable(client, world, institution):
    for body, field in (({"name": "x", "industry": ["space"]}, "industry"), ({"name": "x", "min_amount": 5, "max_amount": 1}, "min_amount"),
                        ({"industry": ["new_energy"]}, "name"), ({"name": "x", "colour": "red"}, "colour")):
        r = client.post(f"{API}/saved-searches", json=body, headers=institution)
        assert r.status_code == 422 and field in r.get_json()["errors"]["json"], body
    saved = save(client, institution, industry=["new_energy"])
    changed = ok(client.patch(f"{API}/saved-searches/{saved['id']}", json={"instrument": ["equity"], "name": "股权"}, headers=institution))
    assert (changed["name"], changed["industry"], changed["instrument"]) == ("股权", ["new_energy"], ["equity"])
    assert client.patch(f"{API}/saved-searches/{saved['id']}", json={"institution_id": world["inst_b"]["id"]},
                        headers=world["staff"]).status_code == 422
    assert client.delete(f"{API}/saved-searches/{saved['id']}", headers=institution).status_code == 204
    assert client.get(f"{API}/saved-searches/{saved['id']}", headers=institution).status_code == 404
    # staff save a search for an institution, naming it
    assert client.post(f"{API}/saved-searches", json={"name": "x"}, headers=world["staff"]).status_code == 422
    for_b = save(client, world["staff"], institution_id=world["inst_b"]["id"])
    assert for_b["institution_id"] == world["inst_b"]["id"]


def test_read_state_is_per_user(client, actors, world):
    inst_id = world["inst_a"]["id"]
    alice, bob = actors.as_institution(inst_id), actors.as_institution(inst_id)
    meeting = propose(client, world["staff"], world["needs"][world["ent_a"]["id"]]["open"]["id"], inst_id)
    mine = feed(client, alice, kind="meeting_proposed")["items"]
    assert [n["meeting_id"] for n in mine] == [meeting["id"]] and not mine[0]["read"]
    assert feed(client, alice)["unread"] == 1
    marked = ok(client.post(f"{API}/notifications/{mine[0]['id']}/read", headers=alice))
    assert marked["read"] is True and "read_by" not in marked
    assert feed(client, alice)["unread"] == 0 and feed(client, alice, unread=True)["total"] == 0
    assert feed(client, bob)["unread"] == 1  # a colleague keeps his own
    assert ok(client.get(f"{API}/notifications/{mine[0]['id']}", headers=bob))["read"] is False
    ok(client.post(f"{API}/notifications/{mine[0]['id']}/read", headers=alice))  # twice: still read once
    assert ok(client.post(f"{API}/notifications/read-all", headers=bob)) == {"marked": 1}
    assert feed(client, bob, unread=True)["total"] == 0
    assert client.get(f"{API}/notifications/nope", headers=bob).status_code == 404


def test_meeting_changes_reach_both_parties_and_staff_hears_the_answers(client, actors, world):
    staff, owner, inst = world["staff"], world["as_ent_a"], world["as_inst_a"]
    meeting = propose(client, staff, world["needs"][world["ent_a"]["id"]]["open"]["id"], world["inst_a"]["id"])
    ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=owner))
    inst_feed = [n for n in feed(client, inst)["items"] if n["meeting_id"] == meeting["id"]]
    assert [n["kind"] for n in inst_feed] == ["meeting_changed", "meeting_proposed"]  # newest first
    assert "confirmed" in inst_feed[0]["message"]
    staff_feed = [n for n in feed(client, staff)["items"] if n.get("meeting_id") == meeting["id"]]
    assert [n["kind"] for n in staff_feed] == ["meeting_changed"]
    owner_feed = [n for n in feed(client, owner)["items"] if n.get("meeting_id") == meeting["id"]]
    assert [n["kind"] for n in owner_feed] == ["meeting_proposed"]  # not told of its own answer
