"""Listing readiness over the API: one board's answer, its history, and the reserve pool."""
from __future__ import annotations

import json
import shutil

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from matchmaker.importexport import import_file
from matchmaker.readiness.service import ReadinessTracker, pipeline_stage
from matchmaker.scoring.config import BOARDS_DIR
from matchmaker.scoring.settings import get_settings
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, running_app

M = 1_000_000


def year(y, revenue, profit, cash_flow, net_assets, share_capital=50 * M, intangible=5 * M):
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": cash_flow,
            "net_assets": net_assets, "intangible_assets": intangible, "share_capital": share_capital}


def listed_candidate(**overrides) -> dict:
    """A joint-stock company meeting every main-board and ChiNext criterion on its 2009-2011 figures."""
    fields = dict(
        name="力源电池股份有限公司", industry="new_energy", stage="pre_ipo", founded="2005-05-01", joint_stock=True,
        sponsor_engaged=True, neeq_broker_engaged=True, financials=[
            year(2009, 120 * M, 12 * M, 20 * M, 80 * M),
            year(2010, 150 * M, 15 * M, 22 * M, 95 * M),
            year(2011, 180 * M, 18 * M, 25 * M, 113 * M),
        ],
    )
    fields.update(overrides)
    return enterprise_doc(**fields)


def loss_maker(**overrides) -> dict:
    fields = dict(name="亏损科技有限公司", founded="2010-01-01", financials=[
        year(2010, 5 * M, -3 * M, -2 * M, 8 * M, share_capital=10 * M),
        year(2011, 6 * M, -2 * M, -1 * M, 6 * M, share_capital=10 * M),
    ])
    fields.update(overrides)
    return enterprise_doc(**fields)


@pytest.fixture
def app(tmp_path):
    """The zone on 2012-06-30: the rule sets in force then are today's."""
    with running_app(tmp_path, TODAY="2012-06-30") as app:
        yield app


@pytest.fixture
def staff(actors):
    return actors.as_staff()


def create(client, staff, doc) -> dict:
    response = client.post("/api/v1/enterprises", json=doc, headers=staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def readiness(client, headers, enterprise_id, board, **extra_headers):
    return client.get(f"/api/v1/enterprises/{enterprise_id}/readiness?board={board}", headers={**headers, **extra_headers})


def test_a_company_that_qualifies_is_ready_on_every_board(client, staff):
    ent = create(client, staff, listed_candidate())
    for board in ("main", "sme", "chinext", "neeq"):
        response = readiness(client, staff, ent["id"], board)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["board"] == board and body["ready"] is True, [c for c in body["criteria"] if not c["met"]]
        assert all(c["met"] for c in body["criteria"])
        assert body["score"] >= 90
        assert body["projection"]["year"] == 2011
        assert [h["ready"] for h in body["history"]] == [True]
        assert {c["id"] for c in body["criteria"]} and all(set(c) >= {"id", "met", "actual", "required", "message"} for c in body["criteria"])


def test_a_company_that_does_not_qualify_says_by_how_much(client, staff):
    ent = create(client, staff, listed_candidate(
        joint_stock=False, financials=[year(2010, 60 * M, 6 * M, 8 * M, 40 * M, share_capital=20 * M),
                                       year(2011, 80 * M, 8 * M, 9 * M, 48 * M, share_capital=20 * M)]))
    body = readiness(client, staff, ent["id"], "main").get_json()
    assert body["ready"] is False
    unmet = {c["id"]: c for c in body["criteria"] if not c["met"]}
    assert {"joint_stock", "profitable_years", "net_profit_total", "share_capital"} <= set(unmet)
    assert "30" in unmet["share_capital"]["message"]  # says what is required ...
    assert unmet["share_capital"]["actual"] == 20 * M and unmet["share_capital"]["required"] == 30 * M
    # ... while NEEQ asks for no profit figures: two years in existence, a sponsoring broker and the reform
    neeq = readiness(client, staff, ent["id"], "neeq").get_json()
    assert [c["id"] for c in neeq["criteria"] if not c["met"]] == ["joint_stock"]


def test_scores_order_companies_sensibly(client, staff):
    ready = create(client, staff, listed_candidate())
    near = create(client, staff, listed_candidate(name="差一点股份有限公司", financials=[
        {**row, "share_capital": 20 * M} for row in listed_candidate()["financials"]]))
    losing = create(client, staff, loss_maker())
    for board in ("main", "chinext"):
        scores = [readiness(client, staff, e["id"], board).get_json()["score"] for e in (ready, near, losing)]
        assert scores[0] > scores[1] > scores[2], (board, scores)
        assert scores[1] - scores[2] >= 30, (board, scores)


def test_answers_in_the_language_asked_for(client, staff):
    ent = create(client, staff, loss_maker())
    english = readiness(client, staff, ent["id"], "chinext").get_json()
    chinese = readiness(client, staff, ent["id"], "chinext", **{"Accept-Language": "zh"}).get_json()
    assert all(c["message"] != c["message_zh"] for c in english["criteria"])
    assert all(c["message"] == c["message_zh"] for c in chinese["criteria"])
    assert chinese["projection"]["message"] == chinese["projection"]["message_zh"]


@pytest.mark.parametrize("query", ["board=nasdaq", "board=", ""])
def test_an_unknown_or_missing_board_is_refused(client, staff, query):
    ent = create(client, staff, loss_maker())
    response = client.get(f"/api/v1/enterprises/{ent['id']}/readiness?{query}", headers=staff)
    assert response.status_code == 422
    body = response.get_json()
    assert "board" in body["errors"]["query"]


def test_who_may_see_readiness(client, actors, world):
    ent = world["ent_a"]
    url = f"/api/v1/enterprises/{ent['id']}/readiness?board=main"
    assert client.get(url, headers=world["as_ent_a"]).status_code == 200
    assert client.get(url, headers=world["staff"]).status_code == 200
    assert client.get(url, headers=world["admin"]).status_code == 200
    assert client.get(url, headers=actors.as_enterprise(world["ent_b"]["id"])).status_code == 403
    assert client.get(url, headers=world["as_inst_a"]).status_code == 403  # it has an open need, still private
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/enterprises/nope/readiness?board=main", headers=world["staff"]).status_code == 404


# -- history ----------------------------------------------------------------------------------
def patch(client, headers, ent_id, changes) -> dict:
    response = client.patch(f"/api/v1/enterprises/{ent_id}", json=changes, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(client, headers, ent_id, board="main") -> list[dict]:
    return readiness(client, headers, ent_id, board).get_json()["history"]


def test_history_grows_when_financials_change_and_not_otherwise(client, staff):
    ent = create(client, staff, loss_maker())
    assert len(history(client, staff, ent["id"])) == 1
    patch(client, staff, ent["id"], {"description": "新的描述 a new description", "employees": 120})
    assert len(history(client, staff, ent["id"])) == 1
    # (a 2012 year would not count: on 2012-06-30 that fiscal year has not closed)
    financials = ent["financials"][:-1] + [year(2011, 9 * M, 1 * M, 2 * M, 7 * M, share_capital=10 * M)]
    patch(client, staff, ent["id"], {"financials": financials})
    grown = history(client, staff, ent["id"])
    assert len(grown) == 2 and grown[1]["score"] != grown[0]["score"]
    assert grown[0]["at"] <= grown[1]["at"]
    patch(client, staff, ent["id"], {"tutoring_filed": True})  # a milestone moves the score too
    assert len(history(client, staff, ent["id"])) == 3


def test_gaining_a_profitable_year_and_the_shareholding_reform_makes_a_company_ready(client, actors, staff):
    rows = listed_candidate()["financials"]
    ent = create(client, staff, listed_candidate(joint_stock=False, sponsor_engaged=False, financials=rows[:2]))
    owner = actors.as_enterprise(ent["id"])
    before = readiness(client, owner, ent["id"], "main").get_json()
    assert before["ready"] is False
    assert {c["id"] for c in before["criteria"] if not c["met"]} >= {"joint_stock", "profitable_years"}
    patch(client, owner, ent["id"], {"financials": rows, "joint_stock": True})
    after = readiness(client, owner, ent["id"], "main").get_json()
    assert after["ready"] is True and after["score"] > before["score"]
    assert [h["ready"] for h in after["history"]] == [False, True]


def test_deleting_an_enterprise_deletes_its_snapshots(client, staff, backend):
    ent = create(client, staff, loss_maker())
    assert client.delete(f"/api/v1/enterprises/{ent['id']}", headers=staff).status_code == 204
    assert backend.count("readiness") == 0


def test_importing_enterprises_records_snapshots_once(app, backend, tmp_path):
    path = tmp_path / "enterprises.jsonl"
    docs = [{"kind": "enterprise", "id": "imp-1", **listed_candidate()}, {"kind": "enterprise", "id": "imp-2", **loss_maker()}]
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    with app.app_context():
        assert not import_file(backend, path).rejected
        assert backend.count("readiness") == 8  # two enterprises, four boards
        assert not import_file(backend, path).rejected  # nothing moved: nothing recorded
        assert backend.count("readiness") == 8
        docs[1]["financials"][1]["net_profit"] = 1 * M
        path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
        assert not import_file(backend, path).rejected
        assert backend.count("readiness") > 8


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_a_new_enterprise_twice_in_one_file_has_one_latest_snapshot_per_board_of_the_line_that_stands(app, backend, tmp_path, parallel):
    """The later line replaces the earlier in the records; the readiness shown must be the
    later one's, once per board (not one history per line)."""
    path = tmp_path / "enterprises.jsonl"
    docs = [{"kind": "enterprise", "id": "imp-twice", **loss_maker()}, {"kind": "enterprise", "id": "imp-twice", **listed_candidate()}]
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    with app.app_context():
        assert not import_file(backend, path, parallel=parallel).rejected
        latest = [s for s in backend.scan("readiness") if s["latest"]]
    boards = [s["board"] for s in latest]
    assert sorted(boards) == sorted(set(boards)) and len(boards) == 4
    assert {s["enterprise_name"] for s in latest} == {listed_candidate()["name"]}
    assert any(s["ready"] for s in latest)  # the listed candidate's, not the loss maker's


def test_changed_board_rules_are_recorded_by_the_snapshot_command(tmp_path, client, staff, app):
    ent = create(client, staff, listed_candidate(financials=[
        {**row, "share_capital": 25 * M} for row in listed_candidate()["financials"]]))
    assert readiness(client, staff, ent["id"], "main").get_json()["ready"] is False
    # the zone lowers the main board's share capital threshold (same board and year: replaces the default)
    boards = tmp_path / "boards"
    boards.mkdir()
    rules = json.loads((BOARDS_DIR / "main-2006.json").read_text(encoding="utf-8"))
    for criterion in rules["criteria"]:
        if criterion["id"] in ("share_capital", "share_capital_after_offering"):
            criterion["min"] = 20 * M
    (boards / "main-2006.json").write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    relaxed = create_app({"TESTING": True, "DATA_DIR": app.config["DATA_DIR"], "SECRET_KEY": "test-secret",
                          "BOARD_RULES_DIR": str(boards), "TODAY": "2012-06-30"})
    result = relaxed.test_cli_runner().invoke(args=["readiness-snapshot"])
    assert result.exit_code == 0, result.output
    assert "recorded 1 readiness snapshots" in result.output
    again = relaxed.test_cli_runner().invoke(args=["readiness-snapshot"])
    assert "recorded 0 readiness snapshots" in again.output
    get_backend(relaxed).close()
    assert [h["ready"] for h in history(client, staff, ent["id"])] == [False, True]


# -- the pipeline stage the statistics count -----------------------------------------------
def test_pipeline_stages_follow_the_milestones():
    assert pipeline_stage({}) == "cultivation"
    assert pipeline_stage({"joint_stock": True}) == "shareholding_reform"
    assert pipeline_stage({"joint_stock": True, "sponsor_engaged": True}) == "tutoring"
    assert pipeline_stage({"joint_stock": True, "tutoring_filed": True, "application_filed": True}) == "filed"
    assert pipeline_stage({"joint_stock": True, "approved": True}) == "filed"
    assert pipeline_stage({"listed": True}) == "listed"


def test_readiness_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    readiness_op = spec["paths"]["/api/v1/enterprises/{enterprise_id}/readiness"]["get"]
    assert "Readiness" in json.dumps(readiness_op["responses"]["200"])
    assert {"name": "board", "in": "query"}.items() <= next(p for p in readiness_op["parameters"] if p["name"] == "board").items()


# -- configuration ----------------------------------------------------------------------------
def test_zone_files_in_the_data_folder_are_used(tmp_path):
    (tmp_path / "scoring.json").write_text(json.dumps({"weights": {"text": 0, "industry": 32}}), encoding="utf-8")
    shutil.copytree(BOARDS_DIR, tmp_path / "boards")
    rules = json.loads((BOARDS_DIR / "neeq-2012.json").read_text(encoding="utf-8"))
    rules["effective_year"] = 2023
    (tmp_path / "boards" / "neeq-2023.json").write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    settings = get_settings(app)
    packaged = json.loads((BOARDS_DIR.parent / "scoring.json").read_text(encoding="utf-8"))["weights"]
    total = sum(packaged.values()) - packaged["text"] - packaged["industry"] + 32  # weights are shares of 100 points
    assert settings.config.points["text"] == 0 and settings.config.points["industry"] == pytest.approx(100 * 32 / total)
    assert settings.boards["neeq"].effective_year == 2023
    assert settings.scoring_file == str(tmp_path / "scoring.json") and settings.boards_dir == str(tmp_path / "boards")
    assert get_settings(app) is settings  # loaded once per app


def test_configured_files_that_do_not_exist_are_reported(tmp_path):
    """At start-up, not on the first page that reads them."""
    with pytest.raises(ConfigurationError, match="MATCHMAKER_SCORING_FILE"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "SCORING_FILE": str(tmp_path / "nope.json")})
    with pytest.raises(ConfigurationError, match="MATCHMAKER_BOARD_RULES_DIR"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "BOARD_RULES_DIR": str(tmp_path / "nope")})


def test_the_tracker_records_only_what_moved(backend, app):
    with app.app_context():
        tracker = ReadinessTracker(backend, get_settings())
        ent = {"id": "t-1", **listed_candidate()}
        assert tracker.record([ent], new=True) == 4
        assert tracker.record([ent]) == 0
        assert tracker.record([{**ent, "joint_stock": False}]) == 4  # no board takes a limited company
        assert len(tracker.latest(["t-1"])) == 4
