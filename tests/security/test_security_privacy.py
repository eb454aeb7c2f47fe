"""One field-privacy table for enterprise data, the same in every place an institution
meets an enterprise: the profile, a need's copy of its enterprise, need search, deal flow,
saved-search results and the need page."""
from __future__ import annotations

import pytest

from matchmaker.enterprises import privacy
from matchmaker.enterprises.schemas import EnterpriseSchema
from matchmaker.needs.schemas import EnterpriseSummarySchema
from tests.brokering_helpers import API, ok

MONEY = {"has_collateral", "latest_revenue", "revenue_growth", "registered_capital", "financials", "latest_year"}


def test_the_table_names_every_enterprise_field():
    """A field neither allowed nor named private would be a decision nobody took."""
    fields = set(EnterpriseSchema().fields) | set(EnterpriseSummarySchema().fields) | {"id"}
    assert fields - privacy.PUBLIC_TO_INSTITUTIONS - privacy.PRIVATE == set()
    assert not privacy.PUBLIC_TO_INSTITUTIONS & privacy.PRIVATE
    assert MONEY <= privacy.PRIVATE


def _leaks(doc: dict) -> set:
    return MONEY & set(doc)


def test_an_institution_sees_no_money_anywhere(client, world, actors):
    inst = world["as_inst_a"]
    ent = world["ent_a"]["id"]
    need = world["needs"][ent]["open"]["id"]
    assert not _leaks(ok(client.get(f"{API}/enterprises/{ent}", headers=inst)))
    assert not _leaks(ok(client.get(f"{API}/needs/{need}", headers=inst))["enterprise"])
    for item in ok(client.get(f"{API}/needs", headers=inst))["items"]:
        assert not _leaks(item.get("enterprise", {})), item["id"]
    for item in ok(client.get(f"{API}/institutions/{world['inst_a']['id']}/dealflow", headers=inst))["items"]:
        assert not _leaks(item["need"].get("enterprise", {}))
    saved = ok(client.post(f"{API}/saved-searches", json={"name": "all"}, headers=inst), 201)
    for item in ok(client.get(f"{API}/saved-searches/{saved['id']}/results", query_string={"mark_seen": "false"},
                              headers=inst))["items"]:
        assert not _leaks(item.get("enterprise", {}))


@pytest.mark.parametrize("who", ["staff", "as_ent_a"])
def test_the_owner_and_staff_see_it_all(client, world, who):
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    summary = ok(client.get(f"{API}/needs/{need}", headers=world[who]))["enterprise"]
    assert {"has_collateral", "latest_revenue", "revenue_growth"} <= set(summary)
    assert "financials" in ok(client.get(f"{API}/enterprises/{world['ent_a']['id']}", headers=world[who]))


def test_an_institution_sees_no_equity_financing(client, world):
    """Rounds and their prices are the zone's to broker with, like the financials."""
    ent = world["ent_a"]
    rounds = [{"kind": "round", "amount": 12_000_000, "closed_on": "2012-03-15", "post_money": 150_000_000}]
    ok(client.patch(f"{API}/enterprises/{ent['id']}", json={"equity_financings": rounds, "version": ent["version"]}, headers=world["staff"]))
    need = world["needs"][ent["id"]]["open"]["id"]
    assert "equity_financings" in ok(client.get(f"{API}/enterprises/{ent['id']}", headers=world["as_ent_a"]))
    assert "equity_financings" not in ok(client.get(f"{API}/enterprises/{ent['id']}", headers=world["as_inst_a"]))
    assert "equity_financings" not in ok(client.get(f"{API}/needs/{need}", headers=world["as_inst_a"]))["enterprise"]
