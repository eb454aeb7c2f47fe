"""An institution's pipeline board: add a need from its page, move it, keep private notes."""
from __future__ import annotations

from tests.web.conftest import signed_in


def test_an_institution_moves_a_need_through_its_board(world_app):
    w = world_app.world
    need, inst = w["needs"]["a_open"], w["inst_a"]
    team = signed_in(world_app, "inst_a")
    assert 'data-testid="add-to-pipeline"' in team.get(f"/needs/{need['id']}").get_data(as_text=True)
    r = team.post(f"/institutions/{inst['id']}/pipeline/{need['id']}", {"stage": "screening"})
    assert r.status_code == 302
    r = team.post(f"/institutions/{inst['id']}/pipeline/{need['id']}", {"stage": "term_sheet", "notes": "估值分歧较大"})
    board = team.get(f"/institutions/{inst['id']}/pipeline").get_data(as_text=True)
    column = board.split('data-testid="stage-term_sheet"')[1].split("</section>")[0]
    assert need["title"] in column and "估值分歧较大" in column and "投资意向书" in board
    for who in ("ent_a", "inst_b"):
        assert signed_in(world_app, who).get(f"/institutions/{inst['id']}/pipeline").status_code == 404
