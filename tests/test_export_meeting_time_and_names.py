"""The needs export says when the meeting took place (its start, in zone time), not when
staff recorded it; export file names carry the year chosen."""
from __future__ import annotations

import csv
import io

from tests.brokering_helpers import API, hold, ok, on_day, propose


def test_the_needs_export_gives_the_meetings_time(client, world):
    staff, need = world["staff"], world["needs"][world["ent_a"]["id"]]["open"]
    meeting = propose(client, staff, need["id"], world["inst_a"]["id"], day="2030-03-04", hour=10)
    for side in ("enterprise", "institution"):
        ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", json={"side": side}, headers=staff))
    hold(client, staff, meeting)  # recorded the day after, 2030-03-05
    r = client.get(f"{API}/exports/needs.csv", headers=staff)
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    column = rows[0].index("会面时间")
    (row,) = [row for row in rows[1:] if row[0] == need["id"]]
    assert row[column] == "2030-03-04 10:00"


def file_name(client, staff, path, **query) -> str:
    r = client.get(f"{API}/exports/{path}", query_string=query, headers=staff)
    r.get_data()  # a streamed export runs to its end
    r.close()
    assert r.status_code == 200
    return r.headers["Content-Disposition"]


def test_export_file_names_carry_the_chosen_year(client, world):
    staff = world["staff"]
    for report, fmt in (("needs", "csv"), ("meetings", "xlsx"), ("statistics", "csv")):
        assert file_name(client, staff, f"{report}.{fmt}", year=2012) == f'attachment; filename="{report}-2012.{fmt}"'
    with on_day(client.application, "2012-06-30"):
        # the statistics are of this year by default; the others are named by the day
        assert file_name(client, staff, "statistics.csv") == 'attachment; filename="statistics-2012.csv"'
        assert file_name(client, staff, "needs.csv") == 'attachment; filename="needs-2012-06-30.csv"'
