"""A small world for the special fund and the reserve pool: a bank, a guarantee company,
two enterprises, a funded one-year bank loan of 5 million and a funded guarantee of
4 million (both in June 2012), and the 2012 programmes."""
from __future__ import annotations

import pytest

from tests.brokering_helpers import API, hold, ok, propose
from tests.conftest import data_builders, data_fixture, enterprise_doc, institution_doc, need_doc

MID_2012 = "2012-06-30"


def funded_meeting(client, staff, need, institution, as_ent, as_inst, amount, instrument, day, hour=10):
    meeting = propose(client, staff, need["id"], institution["id"], day=day, hour=hour)
    ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=as_ent))
    ok(client.post(f"{API}/meetings/{meeting['id']}/confirm", headers=as_inst))
    hold(client, staff, meeting)
    return ok(client.post(f"{API}/meetings/{meeting['id']}/outcome",
                          json={"outcome": "funded", "amount": amount, "instrument": instrument}, headers=staff))


@pytest.fixture(autouse=True)
def mid_2012(app):
    """The zone in mid-2012, as the demo has it: stages and entries are dated then."""
    app.config["TODAY"] = MID_2012


def poster(client, staff):
    """POST a body as staff (or ``headers``), expecting 201; the stored document."""

    def post(path, body, headers=staff):
        return ok(client.post(f"{API}{path}", json=body, headers=headers), 201)

    return post


def fund_zone(app) -> dict:
    client, actors = data_builders(app)
    staff = actors.as_staff()
    post = poster(client, staff)

    bank = post("/institutions", institution_doc(name="滨海科技支行", name_en="Binhai Tech Branch", type="bank",
                                                 instruments=["debt"], industries=[], ticket_min=1_000_000, ticket_max=50_000_000))
    guarantor = post("/institutions", institution_doc(name="华苑担保", name_en="Huayuan Guarantee", type="guarantee",
                                                      instruments=["guarantee"], industries=[], ticket_min=1_000_000,
                                                      ticket_max=20_000_000))
    ent_a = post("/enterprises", enterprise_doc(name="天津甲科技有限公司"))
    ent_b = post("/enterprises", enterprise_doc(name="天津乙科技有限公司"))
    loan_need = post("/needs", need_doc(ent_a["id"], instrument="debt", amount=5_000_000, term_months=12,
                                        equity_offered_pct=None, title="流动资金贷款 working capital"))
    guarantee_need = post("/needs", need_doc(ent_a["id"], instrument="guarantee", amount=4_000_000, term_months=12,
                                             equity_offered_pct=None, title="担保贷款 guaranteed loan"))
    as_ent_a, as_ent_b = actors.as_enterprise(ent_a["id"]), actors.as_enterprise(ent_b["id"])
    as_bank, as_guarantor = actors.as_institution(bank["id"]), actors.as_institution(guarantor["id"])
    loan = funded_meeting(client, staff, loan_need, bank, as_ent_a, as_bank, 5_000_000, "debt", "2012-06-20")
    guarantee = funded_meeting(client, staff, guarantee_need, guarantor, as_ent_a, as_guarantor, 4_000_000, "guarantee",
                               "2012-06-21")
    interest = post("/programmes", {"name": "科技型中小企业贷款贴息", "name_en": "Loan interest subsidy", "kind": "interest_subsidy",
                                    "year": 2012, "budget": 1_000_000,
                                    "rules": {"rate": 0.5, "cap_per_enterprise": 500_000, "instruments": ["debt"],
                                              "institution_types": ["bank"]}})
    fee = post("/programmes", {"name": "担保费补贴", "name_en": "Guarantee-fee subsidy", "kind": "fee_subsidy", "year": 2012,
                               "budget": 200_000, "rules": {"rate": 0.02, "cap_per_enterprise": 100_000, "instruments": ["guarantee"]}})
    award = post("/programmes", {"name": "上市奖励", "name_en": "Listing awards", "kind": "listing_award", "year": 2012,
                                 "budget": 3_000_000, "rules": {"amounts_by_stage": {"shareholding_reform": 500_000,
                                                                                     "tutoring": 1_000_000}}})
    return {"staff": staff, "admin": actors.as_admin(), "bank": bank, "guarantor": guarantor, "ent_a": ent_a, "ent_b": ent_b,
            "as_ent_a": as_ent_a, "as_ent_b": as_ent_b, "as_bank": as_bank, "loan": loan, "guarantee": guarantee,
            "loan_need": loan_need, "interest": interest, "fee": fee, "award": award}


_fund_data = data_fixture(fund_zone, name="fund_data", TODAY=MID_2012)


@pytest.fixture
def fund(fund_data, client):
    return {**fund_data, "post": poster(client, fund_data["staff"])}
