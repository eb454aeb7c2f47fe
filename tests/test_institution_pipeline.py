"""An institution's own pipeline: needs by stage, private notes only its team (and staff)
read, and the stage counts staff see over every institution."""
from __future__ import annotations

from tests.brokering_helpers import API, ok


def test_an_institution_works_its_pipeline_with_private_notes(client, actors, world):
    inst, need = world["inst_a"]["id"], world["needs"][world["ent_a"]["id"]]["open"]
    team = world["as_inst_a"]
    path = f"{API}/institutions/{inst}/pipeline"
    deal = ok(client.put(f"{path}/{need['id']}", json={"stage": "screening", "notes": "管理层背景待核实"}, headers=team))
    assert (deal["stage"], deal["notes"], deal["amount"]) == ("screening", "管理层背景待核实", need["amount"])
    moved = ok(client.put(f"{path}/{need['id']}", json={"stage": "due_diligence"}, headers=team))
    assert moved["stage"] == "due_diligence" and moved["notes"] == "管理层背景待核实"  # notes kept when not given
    assert client.put(f"{path}/{need['id']}", json={"stage": "won"}, headers=team).status_code == 422
    board = ok(client.get(path, headers=team))
    assert [d["need_id"] for d in board["due_diligence"]] == [need["id"]] and board["screening"] == []
    # the enterprise and another institution see nothing of it, not even that it exists
    other = actors.as_institution(world["inst_b"]["id"])
    for headers in (world["as_ent_a"], other):
        assert client.get(path, headers=headers).status_code == 404
        assert client.put(f"{path}/{need['id']}", json={"stage": "passed"}, headers=headers).status_code == 404
    counts = ok(client.get(f"{API}/pipeline-stages", headers=world["staff"]))
    assert counts == {"screening": 0, "due_diligence": 1, "term_sheet": 0, "funded": 0, "passed": 0}
    assert client.get(f"{API}/pipeline-stages", headers=team).status_code == 403
