"""The readiness page: staff pick the date and the board; the nearest standard and each shortfall."""
from __future__ import annotations

from tests.web.conftest import signed_in


def test_staff_pick_the_date_and_see_the_rule_set_then(world_app):
    staff = signed_in(world_app, "staff")
    staff.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    page = staff.get(f"/enterprises/{ent}/readiness?board=sme&as_of=2012-06-30")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="readiness-date"' in text
    assert "Rule set sme-2006, in force from 2006-05-18; assessed as of 2012-06-30." in text
    retired = staff.get(f"/enterprises/{ent}/readiness?board=sme&as_of=2022-01-01")
    assert retired.status_code == 422 and "retired on 2021-04-06" in retired.get_data(as_text=True)
    bad = staff.get(f"/enterprises/{ent}/readiness?board=main&as_of=someday")
    assert bad.status_code == 422 and "Not a date" in bad.get_data(as_text=True)


def test_the_nearest_standard_is_shown_with_its_shortfalls(world_app):
    staff = signed_in(world_app, "staff")
    staff.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    text = staff.get(f"/enterprises/{ent}/readiness?board=star&as_of=2023-06-30").get_data(as_text=True)
    assert 'data-testid="standards"' in text and 'data-testid="nearest-standard"' in text
    assert "short" in text  # each unmet criterion says by how much


def test_an_enterprise_sees_today_whatever_date_it_asks(world_app):
    mine = signed_in(world_app, "ent_a")
    mine.client.set_cookie("lang", "en")
    ent = world_app.world["ent_a"]["id"]
    text = mine.get(f"/enterprises/{ent}/readiness?board=main&as_of=2012-06-30").get_data(as_text=True)
    assert 'data-testid="readiness-date"' not in text and "assessed as of 2012-06-30" not in text
