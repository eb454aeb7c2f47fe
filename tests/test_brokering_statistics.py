"""The zone's numbers for the demo data: the funnel never grows downstream, totals
equal the sums of their parts, and the figures agree with the records they count.  Also the
yearly targets as configuration, and the exports (CSV with BOM, .xlsx) with Chinese headings."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from collections import Counter

import pytest
from openpyxl import load_workbook

from matchmaker import create_app
from matchmaker.core.calendar import year_months
from matchmaker.errors import ConfigurationError
from matchmaker.search import Query
from matchmaker.demo.readiness import enterprises as board_firms
from matchmaker.demo.seeding import seed_demo
from matchmaker.statistics.targets import load_targets
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, ok
from tests.conftest import Actors

YEAR = 2012  # the demo is the zone as of 2012-06-30 (the app reads today as that day)


#: The tests of the seeded demo: seeding its 1,000 enterprises takes ~8 s (and again, ~6)
on_the_demo = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory, password_hash):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("brokering-demo")), "SECRET_KEY": "test",
                      "TODAY": "2012-06-30"})
    backend = get_backend(app)
    backend.init()
    seed_demo(backend)
    client = app.test_client()
    actors = Actors(app, client, password_hash)
    staff = actors.as_staff()
    # the demo history is placed before the day of seeding: it may reach into last year
    years = {YEAR, YEAR - 1}
    stats = {year: ok(client.get(f"{API}/statistics", query_string={"year": year}, headers=staff)) for year in years}
    yield {"app": app, "backend": backend, "client": client, "staff": staff, "stats": stats}
    backend.close()


@pytest.fixture(params=["this_year", "last_year"])
def stats(request, demo):
    return demo["stats"][YEAR if request.param == "this_year" else YEAR - 1]


@on_the_demo
def test_the_demo_has_a_brokering_history(demo):
    total = sum(s["needs"]["totals"]["posted"] for s in demo["stats"].values())
    assert total > 800
    funded = sum(s["needs"]["totals"]["funded"] for s in demo["stats"].values())
    assert funded > 20


@on_the_demo
def test_the_funnel_never_grows_downstream(stats):
    counts = [stage["count"] for stage in stats["funnel"]]
    assert [s["stage"] for s in stats["funnel"]] == ["suggested", "interested", "meeting_held", "funded"]
    assert counts == sorted(counts, reverse=True)
    totals = stats["needs"]["totals"]
    assert totals["posted"] >= totals["answered"] >= totals["answered_in_time"]
    assert totals["answered"] >= totals["interested"] >= totals["met"] >= totals["funded"]


@on_the_demo
@pytest.mark.parametrize("dimension", ["by_month", "by_industry", "by_instrument"])
def test_needs_totals_are_the_sums_of_their_parts(stats, dimension):
    rows = stats["needs"][dimension]
    for measure, total in stats["needs"]["totals"].items():
        assert sum(row[measure] for row in rows.values()) == total, (dimension, measure)
    for key, row in rows.items():  # and every row is a funnel of its own
        assert row["posted"] >= row["answered"] >= row["interested"] >= row["met"] >= row["funded"], key
    if dimension == "by_month":
        assert list(rows) == year_months(stats["year"])


@on_the_demo
def test_other_totals_are_the_sums_of_their_parts(stats):
    pairs = stats["by_institution_type"]
    for measure, total in pairs["totals"].items():
        assert sum(row[measure] for row in pairs["rows"].values()) == total
    inst = stats["institutions"]
    assert sum(inst["by_status"].values()) == inst["total"] == sum(inst["by_type"].values())
    assert inst["entered"] == inst["by_status"]["entered"]
    assert next(r for r in stats["progress"] if r["id"] == "institutions_entered")["target"] == 20
    ent = stats["enterprises"]
    assert sum(ent["by_tier"].values()) == ent["total"]
    listings = stats["listings"]
    assert sum(listings["reserve_pool"].values()) == listings["reserve_pool_total"] < ent["total"]
    meetings = stats["meetings"]
    assert sum(meetings["by_status"].values()) == meetings["total"]
    assert sum(meetings["by_outcome"].values()) <= meetings["by_status"]["held"]


@on_the_demo
def test_the_figures_agree_with_the_records(demo):
    """Counted in the engine, checked here against the stored records one by one."""
    backend, stats = demo["backend"], demo["stats"][YEAR]
    months = set(year_months(YEAR))
    needs = [n for n in backend.scan("needs", Query()) if n.get("published_month") in months]
    meetings = list(backend.scan("meetings", Query()))
    interests = list(backend.scan("interests", Query()))
    by_need_funded = Counter(m["need_id"] for m in meetings if m.get("outcome") == "funded")
    held_needs = {m["need_id"] for m in meetings if m["status"] == "held"}
    totals = stats["needs"]["totals"]
    assert totals["posted"] == len(needs)
    assert totals["met"] == sum(1 for n in needs if n["id"] in held_needs)
    assert totals["funded"] == sum(1 for n in needs if by_need_funded[n["id"]])
    assert totals["amount_funded"] == sum(m["amount"] for m in meetings if m.get("outcome") == "funded" and m.get("need_month") in months)
    answered = {i["need_id"] for i in interests} | {m["need_id"] for m in meetings if m.get("institution_answered_at")}
    assert totals["answered"] == sum(1 for n in needs if n["id"] in answered)
    # every demo need the history funded is funded, and counted once however many meetings it had
    assert all(backend.get("needs", need_id)["status"] == "funded" for need_id in by_need_funded)


@on_the_demo
def test_the_reserve_pool_is_the_pool_staff_run(demo):
    """The pool by stage counts the active entries staff made, not every enterprise's milestones."""
    entries = [e for e in demo["backend"].scan("reserve_pool", Query()) if e["status"] == "active"]
    pool = demo["stats"][YEAR]["listings"]["reserve_pool"]
    assert {k: v for k, v in pool.items() if v} == dict(Counter(e["stage"] for e in entries))
    assert 0 < demo["stats"][YEAR]["listings"]["reserve_pool_total"] == len(entries) < 100
    ready = demo["stats"][YEAR]["listings"]["ready_by_board"]
    boards = {"main", "sme", "chinext", "neeq", "star", "bse", "neeq_innovation"}  # those in force on the day the test runs
    assert set(ready) <= boards and all(v <= 1000 + len(board_firms()) for v in ready.values())


@on_the_demo
def test_the_demo_year_against_the_2012_plan(demo):
    """The demo is the zone half-way through 2012: the year's events against the plan."""
    stats = demo["stats"][YEAR]
    assert stats["targets_year"] == 2012 and stats["as_of"] == "2012-06-30"
    rows = {r["id"]: r for r in stats["progress"]}
    assert (rows["new_smes"]["actual"], rows["new_smes"]["target"]) == (300, 1000)  # registered in the zone in 2012
    assert (rows["new_smes_large_capital"]["actual"], rows["new_smes_large_capital"]["target"]) == (21, 70)
    assert (rows["new_little_giants"]["actual"], rows["new_high_tech"]["actual"]) == (14, 12)  # the 2012 batches
    assert (rows["institutions_entered"]["actual"], rows["new_listings"]["actual"], rows["new_neeq_quotations"]["actual"]) == (6, 1, 0)
    assert rows["patent_applications"]["actual"] == 0  # the 2012 accounts are not in yet: no count stands in for them
    reported = rows["patent_applications"]["last_reported"]
    assert reported["year"] == 2011 and reported["actual"] > 1000  # shown beside it, as what the 2011 accounts say
    moves = stats["tier_movements"]
    assert moves["financial_year"] == 2011 and moves["up_to_excel"] > 0
    assert moves["down"] < moves["up"] + 10  # a start-up's earlier years are no phantom moves
    assert stats["special_fund"]["source"] == "fund" and 0 < stats["special_fund"]["paid"] <= stats["special_fund"]["committed"]
    assert stats["industries_of_new_smes"]["leading_five_share"] > 0.85
    by_month = stats["progress_by_month"]["new_smes"]
    assert by_month["2012-06"] == 300 and all(by_month[f"2012-{m:02d}"] > 0 for m in range(1, 7))
    ent = stats["enterprises"]  # stock figures, as they stand
    assert not board_firms(date(2012, 6, 30))  # the firms of the boards since 2019 are not yet founded
    assert ent["total"] == 1000 and ent["little_giants"]["count"] == 35 and ent["big_capital"]["count"] == 70
    assert 100 <= ent["high_tech"]["count"] <= 250  # about one firm in six holds a certificate in force
    last_year = {r["id"]: r["actual"] for r in demo["stats"][YEAR - 1]["progress"]}
    assert last_year["new_smes"] == 250 and last_year["patent_applications"] > 1000


@on_the_demo
def test_statistics_need_a_valid_year(demo):
    client, staff = demo["client"], demo["staff"]
    assert client.get(f"{API}/statistics", query_string={"year": "soon"}, headers=staff).status_code == 422
    assert client.get(f"{API}/statistics", query_string={"year": 1800}, headers=staff).status_code == 422
    assert ok(client.get(f"{API}/statistics", headers=staff))["year"] == YEAR


# -- targets as configuration ---------------------------------------------------------------
def test_targets_default_to_the_2012_plan():
    targets = load_targets().for_year(2012)
    assert targets.figures == {"new_smes": 1000, "new_smes_large_capital": 70, "new_little_giants": 35, "new_high_tech": 20,
                               "patent_applications": 3000, "invention_patents_per_10k_employees": 30,
                               "institutions_entered": 20, "new_listings": 2, "new_listings_aim": 4, "new_neeq_quotations": 0,
                               "special_fund_budget": 200_000_000, "special_fund_committed": 200_000_000,
                               "special_fund_paid": 200_000_000, "incubator_m2": 100_000, "alliances": 1, "rd_institutions": 5}


def test_a_zone_file_adds_a_year_and_changes_figures(tmp_path, client, actors):
    (tmp_path / "targets.json").write_text(json.dumps({"years": {"2013": {"listings": 3, "institutions_entered": 25}}}))
    targets = load_targets(data_dir=tmp_path)
    assert targets.for_year(2013).figures["new_listings"] == 3  # the first version's names still read
    assert targets.for_year(2013).figures["new_smes"] == 1000  # unchanged figures come from the plan
    assert targets.for_year(2014).year == 2013 and targets.for_year(2012).figures["new_listings"] == 2
    explicit = tmp_path / "zone.json"
    explicit.write_text(json.dumps({"years": {"2012": {"listings": 5}}}))
    assert load_targets(explicit, tmp_path).for_year(2013).year == 2012  # the explicit file wins over the data folder's
    assert load_targets(explicit).for_year(2012).figures["new_listings"] == 5


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"years": {"2013": {"listings": -1}}}', "years.2013.listings"),
    ('{"years": {"2013": {"unicorns": 3}}}', "unknown target"),
    ('{"years": {"next": {}}}', "years.next"),
    ('{"targets": {}}', "years"),
])
def test_bad_target_files_are_named_with_the_key(tmp_path, content, message):
    path = tmp_path / "targets.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        load_targets(path)


def test_the_api_uses_the_data_folders_targets(tmp_path, password_hash):
    (tmp_path / "targets.json").write_text(json.dumps({"years": {str(YEAR): {"listings": 7}}}))
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t"})
    get_backend(app).init()
    client = app.test_client()
    staff = Actors(app, client, password_hash).as_staff()
    body = ok(client.get(f"{API}/statistics/targets", headers=staff))
    assert body["targets_year"] == YEAR and body["targets"]["new_listings"] == 7 and body["targets"]["new_little_giants"] == 35
    progress = ok(client.get(f"{API}/statistics", headers=staff))["progress"]
    assert next(r for r in progress if r["id"] == "new_listings")["target"] == 7
    get_backend(app).close()


# -- exports --------------------------------------------------------------------------------
def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@on_the_demo
def test_needs_csv_has_chinese_headings_and_every_need(demo):
    client, staff = demo["client"], demo["staff"]
    r = client.get(f"{API}/exports/needs.csv", headers=staff)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="needs-')
    rows = read_csv(r)
    assert rows[0][:4] == ["编号", "企业", "需求标题", "金额（元）"]
    assert len(rows) - 1 == demo["backend"].count("needs")
    funded = [row for row in rows[1:] if row[7] == "已融资" and row[-1]]
    assert funded and all(int(row[-1]) > 0 for row in funded)
    only_open = read_csv(client.get(f"{API}/exports/needs.csv", query_string={"status": "open"}, headers=staff))
    assert {row[7] for row in only_open[1:]} == {"征集中"}
    assert client.get(f"{API}/exports/needs.csv", query_string={"status": "lost"}, headers=staff).status_code == 422


@on_the_demo
def test_meetings_xlsx_opens_with_outcomes(demo):
    client, staff = demo["client"], demo["staff"]
    r = client.get(f"{API}/exports/meetings.xlsx", headers=staff)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "对接会面"
    assert rows[0][:3] == ("编号", "需求编号", "需求标题") and "结果" in rows[0]
    assert len(rows) - 1 == demo["backend"].count("meetings")
    outcome = rows[0].index("结果")
    assert "完成融资" in {row[outcome] for row in rows[1:]}


@on_the_demo
def test_statistics_exports_agree_with_the_statistics(demo):
    client, staff = demo["client"], demo["staff"]
    stats = demo["stats"][YEAR]
    rows = read_csv(client.get(f"{API}/exports/statistics.csv", query_string={"year": YEAR}, headers=staff))
    assert rows[0] == ["类别", "项目", "指标", "数值", "目标"]
    figures = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert figures[(f"{YEAR}年融资需求", "合计", "已融资")] == str(stats["needs"]["totals"]["funded"])
    assert figures[("对接漏斗", "推荐", "数量")] == str(stats["funnel"][0]["count"])
    assert figures[("科技型中小企业（现状）", "科技小巨人", "数量")] == "35"
    pool = [int(r[3]) for r in rows[1:] if r[0] == "上市后备企业库" and not r[1].endswith("已达标")]
    assert sum(pool) == stats["listings"]["reserve_pool_total"]  # the pool staff run, as the statistics count it
    new_smes = next(r for r in stats["progress"] if r["id"] == "new_smes")
    assert figures[(f"{YEAR}年目标", "新增科技型中小企业", "当年实际")] == str(new_smes["actual"])
    workbook = load_workbook(io.BytesIO(client.get(f"{API}/exports/statistics.xlsx", headers=staff).data), read_only=True)
    assert next(workbook.active.iter_rows(values_only=True)) == ("类别", "项目", "指标", "数值", "目标")


# -- last: these change the demo data ---------------------------------------------------------
@on_the_demo
def test_seeding_again_leaves_one_copy(demo):
    backend, client, staff = demo["backend"], demo["client"], demo["staff"]
    counts = {index: backend.count(index) for index in ("interests", "meetings", "needs")}
    seed_demo(backend)
    assert {index: backend.count(index) for index in counts} == counts
    again = ok(client.get(f"{API}/statistics", query_string={"year": YEAR}, headers=staff))
    assert again["funnel"] == demo["stats"][YEAR]["funnel"]
    assert again["needs"]["totals"]["amount_funded"] == demo["stats"][YEAR]["needs"]["totals"]["amount_funded"]


@on_the_demo
def test_a_demo_answer_is_the_one_the_institution_changes(demo, password_hash):
    backend, client = demo["backend"], demo["client"]
    interest = next(i for i in backend.scan("interests", Query()) if backend.get("needs", i["need_id"])["status"] == "open")
    institution = Actors(demo["app"], client, password_hash).as_institution(interest["institution_id"])
    changed = ok(client.post(f"{API}/interests", json={"need_id": interest["need_id"], "response": "declined", "reason": "other"},
                             headers=institution), 200)
    assert changed["id"] == interest["id"] and changed["created_at"] == interest["created_at"]
