"""Programmes and grants over the API: amounts from the rules, budget and cap refusals,
the steps and who may see and do what."""
from __future__ import annotations

from tests.brokering_helpers import API, ok


def apply(client, fund, headers=None, status=201, **body):
    response = client.post(f"{API}/grants", json=body, headers=headers or fund["staff"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def move(client, fund, grant_id, status, expect=200, **extra):
    response = client.patch(f"{API}/grants/{grant_id}", json={"status": status, **extra}, headers=fund["staff"])
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_interest_subsidy_is_half_the_benchmark_interest_of_the_loan_date(client, fund):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    # 2012-06-20: the 1-year benchmark is 6.31% (from 2012-06-08); 5,000,000 × 6.31% = 315,500; half of it
    assert grant["amount"] == 157_750
    assert grant["status"] == "applied" and grant["enterprise_id"] == fund["ent_a"]["id"]
    calc = grant["calculation"]
    assert calc["benchmark"]["rate"] == 0.0631 and calc["benchmark"]["effective_on"] == "2012-06-08"
    assert calc["computed"] == 157_750 and any("315,500" in step["text"] for step in calc["steps"])


def test_benchmark_rate_follows_its_dates():
    from datetime import date

    from matchmaker.fund.rates import benchmark

    assert benchmark(date(2012, 6, 7), 12).rate == 0.0656
    assert benchmark(date(2012, 6, 8), 12).rate == 0.0631
    assert benchmark(date(2012, 7, 6), 12).rate == 0.0600
    assert benchmark(date(2012, 7, 6), 36).rate == 0.0615
    assert benchmark(date(2011, 1, 1), 12) is None


def test_fee_subsidy_is_percentage_points_of_the_guarantee(client, fund):
    grant = apply(client, fund, programme_id=fund["fee"]["id"], enterprise_id=fund["ent_a"]["id"], meeting_id=fund["guarantee"]["id"])
    assert grant["amount"] == 80_000  # 4,000,000 × 2 points × 12/12


def test_amount_may_be_less_but_not_more_than_the_rules_allow(client, fund):
    body = {"programme_id": fund["interest"]["id"], "meeting_id": fund["loan"]["id"]}
    refused = apply(client, fund, fund["as_ent_a"], status=422, amount=200_000, **body)
    assert "amount" in refused["errors"]["json"]
    assert apply(client, fund, fund["as_ent_a"], amount=100_000, **body)["amount"] == 100_000


def test_the_deal_must_be_funded_and_covered(client, fund):
    # the guarantee deal is not a bank loan: the interest subsidy covers debt with banks only
    refused = apply(client, fund, programme_id=fund["interest"]["id"], enterprise_id=fund["ent_a"]["id"],
                    meeting_id=fund["guarantee"]["id"], status=422)
    assert "meeting_id" in refused["errors"]["json"]
    # another enterprise's deal
    apply(client, fund, programme_id=fund["interest"]["id"], enterprise_id=fund["ent_b"]["id"], meeting_id=fund["loan"]["id"], status=422)
    # a deal programme needs a deal
    apply(client, fund, programme_id=fund["interest"]["id"], enterprise_id=fund["ent_a"]["id"], status=422)
    # one grant per programme and deal
    apply(client, fund, programme_id=fund["interest"]["id"], enterprise_id=fund["ent_a"]["id"], meeting_id=fund["loan"]["id"])
    apply(client, fund, programme_id=fund["interest"]["id"], enterprise_id=fund["ent_a"]["id"], meeting_id=fund["loan"]["id"], status=409)


def test_steps_applied_approved_paid_and_totals(client, fund, backend):
    from matchmaker.fund.summary import fund_totals

    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "paid", expect=409)  # paid only after approved
    approved = move(client, fund, grant["id"], "approved")
    assert approved["approved_at"] and [h["status"] for h in approved["history"]] == ["applied", "approved"]
    programme = ok(client.get(f"{API}/programmes/{fund['interest']['id']}", headers=fund["staff"]))
    assert programme["committed"] == 157_750 and programme["paid"] == 0
    move(client, fund, grant["id"], "paid")
    totals = fund_totals(backend, 2012)
    row = next(r for r in totals["by_programme"] if r["id"] == fund["interest"]["id"])
    assert (row["budget"], row["committed"], row["paid"]) == (1_000_000, 157_750, 157_750)
    assert totals["budget"] == 1_000_000 + 200_000 + 3_000_000 and totals["paid"] == 157_750
    assert fund_totals(backend, 2013) == {"year": 2013, "budget": 0, "committed": 0, "paid": 0, "by_programme": []}
    move(client, fund, grant["id"], "rejected", expect=409, reason="too late")  # paid is final


def test_reject_needs_a_reason_and_frees_the_commitment(client, fund):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "approved")
    refused = move(client, fund, grant["id"], "rejected", expect=422)
    assert "reason" in refused["errors"]["json"]
    rejected = move(client, fund, grant["id"], "rejected", reason="贷款已提前归还 loan repaid early")
    assert rejected["reason"].startswith("贷款")
    assert ok(client.get(f"{API}/programmes/{fund['interest']['id']}", headers=fund["staff"]))["committed"] == 0


def test_approving_past_the_budget_is_409(client, fund):
    small = fund["post"]("/programmes", {"name": "风险补偿", "name_en": "Risk pool", "kind": "risk_pool", "year": 2012,
                                         "budget": 300_000, "rules": {}})
    first = apply(client, fund, programme_id=small["id"], enterprise_id=fund["ent_a"]["id"], meeting_id=fund["loan"]["id"], amount=200_000)
    second = apply(client, fund, programme_id=small["id"], enterprise_id=fund["ent_a"]["id"], meeting_id=fund["guarantee"]["id"], amount=150_000)
    move(client, fund, first["id"], "approved")
    refused = move(client, fund, second["id"], "approved", expect=409)
    assert "budget" in refused["message"]
    assert ok(client.get(f"{API}/grants/{second['id']}", headers=fund["staff"]))["status"] == "applied"
    assert ok(client.get(f"{API}/programmes/{small['id']}", headers=fund["staff"]))["committed"] == 200_000


def test_approving_past_the_enterprise_cap_is_409(client, fund):
    capped = fund["post"]("/programmes", {"name": "天使跟投", "name_en": "Other support", "kind": "other", "year": 2012,
                                          "budget": 5_000_000, "rules": {"cap_per_enterprise": 250_000}})
    first = apply(client, fund, programme_id=capped["id"], enterprise_id=fund["ent_a"]["id"], amount=200_000)
    second = apply(client, fund, programme_id=capped["id"], enterprise_id=fund["ent_a"]["id"], amount=100_000)
    other = apply(client, fund, programme_id=capped["id"], enterprise_id=fund["ent_b"]["id"], amount=200_000)
    move(client, fund, first["id"], "approved")
    refused = move(client, fund, second["id"], "approved", expect=409)
    assert "cap" in refused["message"]
    move(client, fund, other["id"], "approved")  # the cap is per enterprise
    # applying for more than the room left is refused at once
    assert apply(client, fund, programme_id=capped["id"], enterprise_id=fund["ent_a"]["id"], amount=60_000, status=422)


def test_stale_version_is_409(client, fund):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "approved")
    move(client, fund, grant["id"], "paid", expect=409, version=grant["version"])


def test_budget_cannot_drop_below_committed(client, fund):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "approved")
    r = client.patch(f"{API}/programmes/{fund['interest']['id']}", json={"budget": 100_000}, headers=fund["staff"])
    assert r.status_code == 409
    r = client.patch(f"{API}/programmes/{fund['interest']['id']}", json={"committed": 0}, headers=fund["staff"])
    assert r.status_code == 422


def test_programme_rules_fit_the_kind(client, fund):
    r = client.post(f"{API}/programmes", json={"name": "贴息", "kind": "interest_subsidy", "year": 2012, "budget": 1}, headers=fund["staff"])
    assert r.status_code == 422 and "rules" in r.get_json()["errors"]["json"]
    r = client.post(f"{API}/programmes", json={"name": "奖励", "kind": "listing_award", "year": 2012, "budget": 1,
                                               "rules": {"amounts_by_stage": {"cultivation": 5}}}, headers=fund["staff"])
    assert r.status_code == 422


def test_who_sees_and_does_what(client, fund, actors):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    url = f"{API}/grants/{grant['id']}"
    # enterprise: its own only
    assert ok(client.get(url, headers=fund["as_ent_a"]))["id"] == grant["id"]
    assert client.get(url, headers=fund["as_ent_b"]).status_code == 404
    assert ok(client.get(f"{API}/grants", headers=fund["as_ent_b"]))["total"] == 0
    assert ok(client.get(f"{API}/grants", headers=fund["as_ent_a"]))["total"] == 1
    assert client.patch(url, json={"status": "approved"}, headers=fund["as_ent_a"]).status_code == 403
    assert client.post(f"{API}/grants", json={"programme_id": fund["interest"]["id"], "enterprise_id": fund["ent_a"]["id"],
                                              "meeting_id": fund["loan"]["id"]}, headers=fund["as_ent_b"]).status_code == 403
    # institutions: none
    refused = client.get(f"{API}/grants", headers=fund["as_bank"])
    assert (refused.status_code, refused.get_json()["error"]) == (403, "grants_not_yours")
    assert client.get(url, headers=fund["as_bank"]).status_code == 404
    assert client.post(f"{API}/grants", json={"programme_id": fund["interest"]["id"], "enterprise_id": fund["ent_a"]["id"]},
                       headers=fund["as_bank"]).status_code == 403
    assert client.patch(url, json={"status": "approved"}, headers=fund["as_bank"]).status_code == 403
    # anonymous
    assert client.get(f"{API}/grants").status_code == 401
    assert client.get(f"{API}/programmes").status_code == 401
    # programmes: everyone signed in reads, only staff and admins write
    assert ok(client.get(f"{API}/programmes", headers=fund["as_bank"]))["total"] == 3
    assert ok(client.get(f"{API}/programmes?year=2012&kind=fee_subsidy", headers=fund["as_ent_a"]))["total"] == 1
    body = {"name": "x", "kind": "other", "year": 2012, "budget": 1}
    for who in ("as_ent_a", "as_bank"):
        assert client.post(f"{API}/programmes", json=body, headers=fund[who]).status_code == 403
        assert client.patch(f"{API}/programmes/{fund['fee']['id']}", json={"budget": 2}, headers=fund[who]).status_code == 403
        assert client.delete(f"{API}/programmes/{fund['fee']['id']}", headers=fund[who]).status_code == 403
    assert client.post(f"{API}/programmes", json=body, headers=fund["admin"]).status_code == 201
    # admin approves too
    assert move(client, {**fund, "staff": fund["admin"]}, grant["id"], "approved")["status"] == "approved"


def test_every_step_is_audited_and_the_enterprise_told(client, fund):
    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "approved")
    move(client, fund, grant["id"], "paid")
    log = ok(client.get(f"{API}/audit?object_kind=grant&object_id={grant['id']}", headers=fund["staff"]))
    assert sorted(e["action"] for e in log["items"]) == ["apply", "approve", "pay"]
    feed = ok(client.get(f"{API}/notifications", headers=fund["as_ent_a"]))
    grant_notes = [n for n in feed["items"] if n["kind"] == "grant_changed"]
    assert len(grant_notes) == 3 and any("已拨付" in n["message_zh"] for n in grant_notes)
    assert not [n for n in ok(client.get(f"{API}/notifications", headers=fund["as_ent_b"]))["items"] if n["kind"] == "grant_changed"]


def test_exports_list_the_grants_and_the_fund(client, fund):
    import csv
    import io

    grant = apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    move(client, fund, grant["id"], "approved")
    r = client.get(f"{API}/exports/grants.csv?year=2012", headers=fund["staff"])
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["编号", "年度", "项目", "类别"] and len(rows) == 2
    assert rows[1][2] == "科技型中小企业贷款贴息" and rows[1][7] == "157750" and rows[1][8] == "已批准" and "基准利息" in rows[1][13]
    assert client.get(f"{API}/exports/grants.csv?status=maybe", headers=fund["staff"]).status_code == 422
    r = client.get(f"{API}/exports/fund.csv?year=2012", headers=fund["staff"])
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[-1] == ["2012", "合计", "", "4200000", "157750", "0", "4042250"]
    assert client.get(f"{API}/exports/fund.xlsx?year=2012", headers=fund["staff"]).status_code == 200
    assert client.get(f"{API}/exports/grants.csv", headers=fund["as_ent_a"]).status_code == 403


def test_approvals_racing_for_the_last_of_the_budget_cannot_all_pass(app, client, fund, backend):
    """Eight staff approving at once, each 200,000 against a budget of 1,000,000: five pass."""
    from concurrent.futures import ThreadPoolExecutor

    from matchmaker.core.users import User
    from matchmaker.errors import Conflict
    from matchmaker.fund.grants import GrantService

    programme = fund["post"]("/programmes", {"name": "其他", "kind": "other", "year": 2012, "budget": 1_000_000})
    ids = [apply(client, fund, programme_id=programme["id"], enterprise_id=fund["ent_a"]["id"], amount=200_000)["id"]
           for _ in range(8)]
    staff = User(backend.get("users", next(u["id"] for u in backend.scan("users") if u["role"] == "staff")))

    def approve(grant_id):
        with app.app_context():
            try:
                GrantService(backend).change(staff, grant_id, {"status": "approved"})
                return "approved"
            except Conflict:
                return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(approve, ids))
    assert outcomes == ["approved"] * 5 + ["refused"] * 3
    assert backend.get("programmes", programme["id"])["committed"] == 1_000_000


def test_a_programme_with_grants_is_not_deleted(client, fund):
    apply(client, fund, fund["as_ent_a"], programme_id=fund["interest"]["id"], meeting_id=fund["loan"]["id"])
    assert client.delete(f"{API}/programmes/{fund['interest']['id']}", headers=fund["staff"]).status_code == 409
    assert client.delete(f"{API}/programmes/{fund['fee']['id']}", headers=fund["staff"]).status_code == 204
