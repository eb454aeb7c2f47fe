"""Claim and report: an institution claims an open need and commits to report progress
every few working days; a report moves the deadline on; an overdue claim lapses (all three
are told) and the need can be claimed again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from matchmaker.brokering.claims import lapse
from tests.brokering_helpers import API, ok, on_day

CST = timezone(timedelta(hours=8))


def test_claim_report_and_lapse(client, backend, actors, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    bank = actors.as_institution(world["inst_b"]["id"])
    with on_day(client.application, "2030-03-04"):  # a Monday: five working days to the end of the next Monday
        claim = ok(client.post(f"{API}/needs/{need['id']}/claim", headers=world["as_inst_a"]), 201)
        assert claim["status"] == "active" and claim["report_due"] == "2030-03-11T16:00:00+00:00"
        taken = client.post(f"{API}/needs/{need['id']}/claim", headers=bank)
        assert taken.status_code == 409 and taken.get_json()["errors"]["json"] == {"need_id": ["already claimed"]}
        told = ok(client.get(f"{API}/notifications", query_string={"kind": "claim_changed"}, headers=world["as_ent_a"]))["items"]
        assert "2030-03-11（北京时间）前报告进展" in told[0]["message_zh"]
        # only the claiming institution reports; others do not see the claim at all
        r = client.post(f"{API}/claims/{claim['id']}/report", json={"progress": "x"}, headers=bank)
        assert r.status_code == 404
        assert ok(client.get(f"{API}/claims", headers=bank))["total"] == 0
    with on_day(client.application, "2030-03-08"):
        reported = ok(client.post(f"{API}/claims/{claim['id']}/report", json={"progress": "已完成尽职调查初稿"},
                                  headers=world["as_inst_a"]))
        assert reported["reports"] == 1 and reported["report_due"] == "2030-03-15T16:00:00+00:00"
    assert lapse(backend, now=datetime(2030, 3, 15, 12, tzinfo=CST)) == 0  # reported in time: still active
    assert lapse(backend, now=datetime(2030, 3, 16, 9, tzinfo=CST)) == 1
    lapsed = ok(client.get(f"{API}/claims", query_string={"need_id": need["id"]}, headers=world["staff"]))["items"][0]
    assert lapsed["status"] == "lapsed" and lapsed["lapsed_at"]
    for headers in (world["as_inst_a"], world["as_ent_a"], world["staff"]):
        notes = ok(client.get(f"{API}/notifications", query_string={"kind": "claim_changed"}, headers=headers))["items"]
        assert any("揭榜已失效" in n["message_zh"] for n in notes)
    assert client.post(f"{API}/claims/{claim['id']}/report", json={"progress": "晚了"}, headers=world["as_inst_a"]).status_code == 409
    with on_day(client.application, "2030-03-18"):
        assert ok(client.post(f"{API}/needs/{need['id']}/claim", headers=bank), 201)["institution_id"] == world["inst_b"]["id"]
