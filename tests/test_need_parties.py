"""An institution that answered a need keeps reading it after it leaves `open`; others do not."""
API = "/api/v1"


def test_answering_institution_keeps_reading_the_need_in_talks(client, world, actors):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    other_institution = actors.as_institution(world["inst_b"]["id"])
    r = client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested", "note": "let us talk"},
                    headers=world["as_inst_a"])
    assert r.status_code == 201, r.get_json()
    r = client.patch(f"{API}/needs/{need['id']}", json={"status": "in_talks"}, headers=world["staff"])  # brokering
    assert r.status_code == 200, r.get_json()

    mine = client.get(f"{API}/needs/{need['id']}", headers=world["as_inst_a"])
    assert mine.status_code == 200 and mine.get_json()["status"] == "in_talks"
    assert "brokering" not in mine.get_json()  # the history stays with the enterprise and staff
    assert client.get(f"{API}/needs/{need['id']}", headers=other_institution).status_code == 404
    # the search still lists open needs only
    listed = client.get(f"{API}/needs", query_string={"per_page": 100}, headers=world["as_inst_a"]).get_json()
    assert need["id"] not in [n["id"] for n in listed["items"]]


def test_reimporting_a_need_without_its_history_keeps_the_history(app, client, world, tmp_path):
    import json

    from matchmaker.importexport import import_file
    from matchmaker.storage import get_backend

    need = world["needs"][world["ent_a"]["id"]]["open"]
    assert client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested"},
                       headers=world["as_inst_a"]).status_code == 201
    backend = get_backend(app)
    before = backend.get("needs", need["id"])
    assert before["brokering"] and before["published_at"]
    line = {"kind": "need", **{k: v for k, v in before.items() if k not in ("brokering", "published_at", "version")},
            "title": "改过的标题 retitled"}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    report = import_file(backend, path)
    assert not report.rejected
    after = backend.get("needs", need["id"])
    assert after["title"] == "改过的标题 retitled"
    assert after["brokering"] == before["brokering"] and after["published_at"] == before["published_at"]


def test_deal_flow_does_not_show_other_institutions_answers(client, world, actors):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    # institution B answers; institution A's deal flow must not reveal that
    as_inst_b = actors.as_institution(world["inst_b"]["id"])
    assert client.post(f"{API}/interests", json={"need_id": need["id"], "response": "declined", "reason": "outside_mandate"},
                       headers=as_inst_b).status_code == 201
    flow = client.get(f"{API}/institutions/{world['inst_a']['id']}/dealflow", query_string={"per_page": 100},
                      headers=world["as_inst_a"]).get_json()
    needs = [item["need"] for item in flow["items"]]
    assert need["id"] in [n["id"] for n in needs]
    assert all("brokering" not in n for n in needs)
    staff_view = client.get(f"{API}/institutions/{world['inst_a']['id']}/dealflow", query_string={"per_page": 100},
                            headers=world["staff"]).get_json()
    assert any("brokering" in item["need"] for item in staff_view["items"])
