"""The reserve pool staff run: entry, dated stages forward only, intermediaries, exit,
readiness beside each entry, suggestions, and the listing awards its stages pay."""
from __future__ import annotations

import re

from tests.brokering_helpers import API, ok
from tests.conftest import enterprise_doc


def enter(client, fund, ent_id, status=201, **extra):
    body = {"enterprise_id": ent_id, "target_board": "chinext", "reason": "高新技术企业，收入增长快 fast-growing",
            "entered_on": "2012-01-05", **extra}
    r = client.post(f"{API}/reserve-pool", json=body, headers=fund["staff"])
    assert r.status_code == status, r.get_json()
    return r.get_json()


def patch(client, fund, entry_id, body, status=200, headers=None):
    r = client.patch(f"{API}/reserve-pool/{entry_id}", json=body, headers=headers or fund["staff"])
    assert r.status_code == status, r.get_json()
    return r.get_json()


def test_entry_stages_intermediaries_and_exit(client, fund):
    ent = fund["ent_a"]["id"]
    entry = enter(client, fund, ent, entered_on="2012-01-10")
    assert (entry["stage"], entry["status"], entry["stage_on"]) == ("cultivation", "active", "2012-01-10")
    enter(client, fund, ent, status=409)  # one entry per enterprise
    entry = patch(client, fund, entry["id"], {"stage": "shareholding_reform", "stage_on": "2012-03-01"})
    patch(client, fund, entry["id"], {"stage": "tutoring"}, status=422)  # a stage needs its date
    patch(client, fund, entry["id"], {"stage": "tutoring", "stage_on": "2012-02-01"}, status=422)  # before the last one
    patch(client, fund, entry["id"], {"stage": "cultivation", "stage_on": "2012-04-01"}, status=409)  # forward only
    patch(client, fund, entry["id"], {"stage": "tutoring", "stage_on": "2099-01-01"}, status=422)  # not in the future
    entry = patch(client, fund, entry["id"], {"stage": "tutoring", "stage_on": "2012-05-15",
                                              "intermediaries": {"sponsor": {"name": "渤海证券", "engaged_on": "2012-04-20"},
                                                                 "accountant": {"name": "中审华寅", "engaged_on": "2012-02-01"}}})
    assert [(s["stage"], s["on"]) for s in entry["stages"]] == [
        ("cultivation", "2012-01-10"), ("shareholding_reform", "2012-03-01"), ("tutoring", "2012-05-15")]
    assert entry["intermediaries"]["sponsor"] == {"name": "渤海证券", "engaged_on": "2012-04-20"}
    entry = patch(client, fund, entry["id"], {"intermediaries": {"lawyer": {"name": "金诺", "engaged_on": "2012-05-02"}}})
    assert set(entry["intermediaries"]) == {"sponsor", "accountant", "lawyer"}
    patch(client, fund, entry["id"], {"status": "exited"}, status=422)  # an exit needs its reason
    exited = patch(client, fund, entry["id"], {"status": "exited", "reason": "迁出园区 moved away", "exited_on": "2012-06-01"})
    assert (exited["status"], exited["exit_reason"], exited["exited_on"]) == ("exited", "迁出园区 moved away", "2012-06-01")
    patch(client, fund, entry["id"], {"stage": "filed", "stage_on": "2012-06-02"}, status=409)  # out of the pool
    listing = ok(client.get(f"{API}/reserve-pool", headers=fund["staff"]))
    assert listing["total"] == 0
    assert ok(client.get(f"{API}/reserve-pool?status=exited", headers=fund["staff"]))["total"] == 1
    again = enter(client, fund, ent)  # it may enter again; the earlier spell is kept
    assert again["stage"] == "cultivation" and again["previous"][0]["exit_reason"] == "迁出园区 moved away"


def test_unknown_board_and_enterprise_are_refused(client, fund):
    r = client.post(f"{API}/reserve-pool", json={"enterprise_id": fund["ent_a"]["id"], "target_board": "nasdaq", "reason": "x"},
                    headers=fund["staff"])
    assert r.status_code == 422 and "target_board" in r.get_json()["errors"]["json"]
    r = client.post(f"{API}/reserve-pool", json={"enterprise_id": "nobody", "target_board": "neeq", "reason": "x"}, headers=fund["staff"])
    assert r.status_code == 422


def test_each_entry_shows_its_readiness_and_the_stage_name_of_the_board(client, fund):
    entry = enter(client, fund, fund["ent_a"]["id"])
    listed = ok(client.get(f"{API}/reserve-pool", headers=fund["staff"]))["items"][0]
    assert listed["readiness"]["board"] == "chinext" and isinstance(listed["readiness"]["score"], int)
    assert listed["readiness"]["ready"] is False and listed["readiness"]["unmet"]
    assert listed["stage_label"] == {"en": "Cultivation", "zh": "培育"}
    one = ok(client.get(f"{API}/reserve-pool/{entry['id']}", headers=fund["staff"]))
    assert {c["id"] for c in one["readiness"]["criteria"]} and "history" in one["readiness"]


def test_registration_era_names():
    from datetime import date

    from matchmaker.fund.pool import stage_label
    from matchmaker.scoring.settings import default_settings

    rules = default_settings()
    assert stage_label("filed", "chinext", rules, date(2012, 6, 30)) == {"en": "Application filed", "zh": "申报"}
    assert stage_label("filed", "chinext", rules, date(2021, 1, 1))["zh"] == "受理"
    assert stage_label("review", "star", rules, date(2020, 1, 1))["zh"] == "审核问询/注册"
    assert stage_label("review", "neeq", rules, date(2024, 1, 1))["zh"] == "审核"
    assert stage_label("review", "main", rules, date(2022, 1, 1))["zh"] == "审核"  # approval until 2023-02-17
    assert stage_label("review", "main", rules, date(2023, 3, 1))["zh"] == "审核问询/注册"  # main-2023, and its revision


def test_an_enterprise_sees_its_own_entry_only(client, fund):
    mine = enter(client, fund, fund["ent_a"]["id"])
    other = enter(client, fund, fund["ent_b"]["id"])
    assert [e["id"] for e in ok(client.get(f"{API}/reserve-pool", headers=fund["as_ent_a"]))["items"]] == [mine["id"]]
    assert client.get(f"{API}/reserve-pool/{other['id']}", headers=fund["as_ent_a"]).status_code == 404
    refused = client.get(f"{API}/reserve-pool", headers=fund["as_bank"])
    assert (refused.status_code, refused.get_json()["error"]) == (403, "pool_kept_by_staff")
    patch(client, fund, mine["id"], {"stage": "shareholding_reform", "stage_on": "2012-03-01"}, status=403, headers=fund["as_ent_a"])


def test_suggestions_are_firms_not_in_the_pool_and_can_be_dismissed(client, fund):
    ready = fund["post"]("/enterprises", enterprise_doc(name="就绪股份有限公司", founded="2005-01-01", joint_stock=True,
                                                        sponsor_engaged=True))
    found = ok(client.get(f"{API}/reserve-pool/suggestions?min_score=0&limit=100", headers=fund["staff"]))
    ids = [s["enterprise_id"] for s in found["items"]]
    assert ready["id"] in ids and fund["ent_a"]["id"] in ids
    enter(client, fund, fund["ent_a"]["id"])
    assert client.post(f"{API}/reserve-pool/suggestions/{ready['id']}/dismiss", json={"reason": "规模太小"},
                       headers=fund["staff"]).status_code == 204
    found = ok(client.get(f"{API}/reserve-pool/suggestions?min_score=0&limit=100", headers=fund["staff"]))
    ids = [s["enterprise_id"] for s in found["items"]]
    assert ready["id"] not in ids and fund["ent_a"]["id"] not in ids and fund["ent_b"]["id"] in ids
    # a dismissed firm is not an entry
    assert client.get(f"{API}/reserve-pool/{ready['id']}", headers=fund["staff"]).status_code == 404
    assert ok(client.get(f"{API}/reserve-pool?per_page=100", headers=fund["staff"]))["total"] == 1


def test_listing_awards_pay_for_stages_the_entry_reached(client, fund):
    award, ent = fund["award"]["id"], fund["ent_a"]["id"]

    def claim(stage, status=201):
        r = client.post(f"{API}/grants", json={"programme_id": award, "enterprise_id": ent, "stage": stage}, headers=fund["staff"])
        assert r.status_code == status, r.get_json()
        return r.get_json()

    claim("shareholding_reform", 422)  # not in the pool
    entry = enter(client, fund, ent)
    claim("shareholding_reform", 422)  # not reached yet
    patch(client, fund, entry["id"], {"stage": "shareholding_reform", "stage_on": "2012-03-01"})
    grant = claim("shareholding_reform")
    assert grant["amount"] == 500_000 and grant["stage"] == "shareholding_reform"
    claim("shareholding_reform", 409)  # once per stage
    claim("filed", 422)  # the programme pays nothing for it (and it is not reached)
    r = client.post(f"{API}/grants", json={"programme_id": award, "enterprise_id": ent}, headers=fund["staff"])
    assert r.status_code == 422 and "stage" in r.get_json()["errors"]["json"]
    r = client.post(f"{API}/grants", json={"programme_id": fund["interest"]["id"], "enterprise_id": ent, "stage": "tutoring"},
                    headers=fund["staff"])
    assert r.status_code == 422


def test_pool_steps_are_audited_and_the_enterprise_told(client, fund):
    entry = enter(client, fund, fund["ent_a"]["id"])
    patch(client, fund, entry["id"], {"stage": "shareholding_reform", "stage_on": "2012-03-01"})
    patch(client, fund, entry["id"], {"status": "exited", "reason": "放弃上市计划"})
    log = ok(client.get(f"{API}/audit?object_kind=pool_entry&object_id={entry['id']}", headers=fund["staff"]))
    assert sorted(e["action"] for e in log["items"]) == ["create", "exit", "stage"]
    notes = [n for n in ok(client.get(f"{API}/notifications", headers=fund["as_ent_a"]))["items"] if n["kind"] == "pool_changed"]
    assert len(notes) == 3


def test_pool_by_stage_counts_active_entries(client, fund, backend):
    from matchmaker.fund.summary import pool_by_stage

    entry = enter(client, fund, fund["ent_a"]["id"])
    patch(client, fund, entry["id"], {"stage": "shareholding_reform", "stage_on": "2012-03-01"})
    other = enter(client, fund, fund["ent_b"]["id"])
    assert pool_by_stage(backend) == {"cultivation": 1, "shareholding_reform": 1, "tutoring": 0, "filed": 0, "review": 0, "listed": 0}
    patch(client, fund, other["id"], {"status": "exited", "reason": "迁出"})
    assert pool_by_stage(backend)["cultivation"] == 0


def test_statistics_and_export_count_the_pool_staff_run(client, fund):
    """A firm with a shareholding reform but no entry is not in the pool; the entry staff made is."""
    import csv
    import io

    ok(client.patch(f"{API}/enterprises/{fund['ent_b']['id']}", json={"joint_stock": True}, headers=fund["staff"]))
    entry = enter(client, fund, fund["ent_a"]["id"])
    patch(client, fund, entry["id"], {"stage": "tutoring", "stage_on": "2012-03-01"})
    listings = ok(client.get(f"{API}/statistics?year=2012", headers=fund["staff"]))["listings"]
    assert listings["reserve_pool"] == {"cultivation": 0, "shareholding_reform": 0, "tutoring": 1, "filed": 0,
                                        "review": 0, "listed": 0}
    assert listings["reserve_pool_total"] == 1
    r = client.get(f"{API}/exports/statistics.csv?year=2012", headers=fund["staff"])
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    pool = {row[1]: row[3] for row in rows if row[0] == "上市后备企业库" and not row[1].endswith("已达标")}
    assert pool["辅导期"] == "1" and pool["已股改"] == "0" and pool["审核/注册"] == "0"


def test_a_retired_target_board_answers_a_clear_message(app, client, fund):
    entry = enter(client, fund, fund["ent_a"]["id"], target_board="sme")  # listing in 2012
    early = enter(client, fund, fund["ent_b"]["id"], target_board="star", status=422)  # not before 2019
    assert early["error"] == "board_not_open_yet" and list(early["errors"]["json"]) == ["target_board"], early
    app.config["TODAY"] = "2021-05-01"  # the SME board merged into the Shenzhen main board on 2021-04-06
    for body in (ok(client.get(f"{API}/reserve-pool/{entry['id']}", headers=fund["staff"])),
                 ok(client.get(f"{API}/reserve-pool", headers=fund["staff"]))["items"][0],
                 ok(client.get(f"{API}/reserve-pool/{entry['id']}", headers=fund["as_ent_a"]))):
        readiness = body["readiness"]
        assert (readiness["board"], readiness["in_force"], readiness["retired_on"]) == ("sme", False, "2021-04-06")
        assert "retired on 2021-04-06" in readiness["message"]["en"] and "另选目标板块" in readiness["message"]["zh"]


def test_a_board_not_open_yet_says_why_in_each_language_whole(app, client, fund):
    """Each language's sentence is written whole: no English reason inside the Chinese."""
    app.config["TODAY"] = "2020-03-02"
    entry = enter(client, fund, fund["ent_a"]["id"], target_board="star", entered_on="2020-03-02")
    app.config["TODAY"] = "2019-01-15"  # the STAR market's first rules took effect in 2019-03
    readiness = ok(client.get(f"{API}/reserve-pool/{entry['id']}", headers=fund["staff"]))["readiness"]
    assert (readiness["board"], readiness["in_force"], readiness["retired_on"]) == ("star", False, None)
    assert "no rules in force yet" in readiness["message"]["en"] and "STAR" in readiness["message"]["en"]
    zh = readiness["message"]["zh"]
    assert "科创板" in zh and "尚无有效规则" in zh
    assert not re.search(r"[A-Za-z]{3,}", zh), zh
