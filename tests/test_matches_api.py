"""Matches over the API: the institutions for a need, an institution's deal flow.

The institution pool is the labelled set's zone of 2012 (matchmaker/scoring/cases/pools); the
needs are ones whose right institution a domain expert names without looking at the
scorer: an early biotech equity round goes to an angel, a small working-capital loan to
a microcredit company, a bank-loan guarantee to a guarantee company, a pre-IPO round to
the fund of its industry, and an amount nobody's range holds to nobody.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker.matches import service as match_service

from tests.conftest import data_builders, data_fixture, enterprise_doc, high_tech_certificate, need_doc

POOL = json.loads((Path(__file__).parents[1] / "matchmaker" / "scoring" / "cases" / "pools" / "zone-2012.json").read_text(encoding="utf-8"))
M = 1_000_000


def year(y, revenue, profit, **extra):
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": profit,
            "net_assets": 3 * revenue // 4, "intangible_assets": revenue // 50, "share_capital": 10 * M, **extra}


def pool_zone(app) -> dict:
    """The pool's twenty institutions, posted by staff; pool id -> stored document."""
    client, actors = data_builders(app)
    staff = actors.as_staff()
    stored = {}
    for inst in POOL["institutions"]:
        body = {k: v for k, v in inst.items() if k != "id"}
        response = client.post("/api/v1/institutions", json=body, headers=staff)
        assert response.status_code == 201, response.get_json()
        stored[inst["id"]] = response.get_json()
    return {"staff": staff, "institutions": stored, "pool_id": {doc["id"]: key for key, doc in stored.items()}}


zone = data_fixture(pool_zone, name="zone")


def post_enterprise(client, staff, **fields) -> dict:
    response = client.post("/api/v1/enterprises", json=enterprise_doc(**fields), headers=staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def post_need(client, staff, enterprise_id, **fields) -> dict:
    response = client.post("/api/v1/needs", json=need_doc(enterprise_id, **fields), headers=staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


#: need -> (its enterprise, the need, the pool ids acceptable first among the eligible)
CASES = {
    "early biotech equity": (
        dict(industry="biomedicine", stage="startup", founded="2010-04-01", has_collateral=False, invention_patents=4,
             description="抗体药物研发 antibody drug discovery", financials=[year(2011, 2 * M, -1 * M)]),
        dict(title="天使轮融资 研发新型抗体药物", description="早期生物医药企业，天使轮股权融资用于临床前研究。",
             amount=2 * M, instrument="equity", purpose="研发 preclinical R&D", equity_offered_pct=15.0),
        {"angel-binhai"},
    ),
    "small working-capital loan": (
        dict(industry="software_it", stage="startup", founded="2009-06-01", has_collateral=False, certifications=[],
             invention_patents=0, financials=[year(2010, 3 * M, 200_000), year(2011, 5 * M, 400_000)]),
        dict(title="流动资金贷款80万元", description="短期周转，采购服务器。", amount=800_000, instrument="debt",
             purpose="流动资金 working capital", term_months=6, equity_offered_pct=None),
        {"micro-tech"},
    ),
    "bank-loan guarantee": (
        dict(industry="advanced_manufacturing", stage="growth", founded="2006-03-01", has_collateral=True,
             financials=[year(2010, 25 * M, 2 * M), year(2011, 32 * M, 3 * M)]),
        dict(title="银行贷款担保500万元", description="申请银行流动资金贷款，需要担保公司提供担保。", amount=5 * M,
             instrument="guarantee", purpose="银行贷款担保 bank loan guarantee", term_months=12, equity_offered_pct=None),
        {"guar-tech", "guar-credit", "guar-ip"},
    ),
    "pre-IPO new energy": (
        dict(industry="new_energy", stage="pre_ipo", founded="2004-01-01", joint_stock=True, invention_patents=20,
             financials=[year(2009, 150 * M, 15 * M), year(2010, 190 * M, 20 * M), year(2011, 240 * M, 26 * M)]),
        dict(title="上市前股权融资5000万元", description="光伏逆变器企业，上市前最后一轮股权融资。", amount=50 * M,
             instrument="equity", purpose="上市前融资 pre-IPO round", equity_offered_pct=8.0),
        {"fund-newenergy"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_right_institution_is_first_among_the_eligible(client, zone, case):
    enterprise_fields, need_fields, expected = CASES[case]
    staff = zone["staff"]
    enterprise = post_enterprise(client, staff, **enterprise_fields)
    need = post_need(client, staff, enterprise["id"], **need_fields)
    body = client.get(f"/api/v1/needs/{need['id']}/matches", headers=staff).get_json()
    assert body["total"] == 20 and len(body["items"]) == 20
    eligible = [item for item in body["items"] if item["eligible"]]
    assert eligible, "somebody should take this need"
    assert zone["pool_id"][eligible[0]["institution"]["id"]] in expected
    # eligible first, best first; every ineligible item names the rule it breaks
    flags = [item["eligible"] for item in body["items"]]
    assert flags == sorted(flags, reverse=True)
    assert [i["score"] for i in eligible] == sorted((i["score"] for i in eligible), reverse=True)
    assert body["eligible_total"] == len(eligible)
    for item in body["items"]:
        assert 0 <= item["score"] <= 100
        if not item["eligible"]:
            assert item["broken_rules"] and item["reasons"][0]["factor"] == item["broken_rules"][0]
            assert item["reasons"][0]["message"]


def test_wrong_instruments_and_amounts_are_ineligible_with_the_rule_named(client, zone):
    staff = zone["staff"]
    enterprise_fields, need_fields, _ = CASES["small working-capital loan"]
    enterprise = post_enterprise(client, staff, **enterprise_fields)
    need = post_need(client, staff, enterprise["id"], **need_fields)
    items = client.get(f"/api/v1/needs/{need['id']}/matches", headers=staff).get_json()["items"]
    by_pool = {zone["pool_id"][i["institution"]["id"]]: i for i in items}
    assert "instrument" in by_pool["vc-general"]["broken_rules"]  # equity investors lend nothing
    assert "ticket_range" in by_pool["bank-tech"]["broken_rules"]  # 800k is below the bank's 1M floor
    assert "collateral" in by_pool["micro-secured"]["broken_rules"]


def small_loan_and_the_bank(client, zone):
    """The bank, and a function answering its match for a fresh 800k working-capital loan
    (below the bank's 1M floor)."""
    staff = zone["staff"]
    enterprise_fields, need_fields, _ = CASES["small working-capital loan"]
    enterprise = post_enterprise(client, staff, **enterprise_fields)
    need = post_need(client, staff, enterprise["id"], **need_fields)
    bank = zone["institutions"]["bank-tech"]

    def bank_item():
        items = client.get(f"/api/v1/needs/{need['id']}/matches?per_page=100", headers=staff).get_json()["items"]
        return next(i for i in items if i["institution"]["id"] == bank["id"])

    return bank, bank_item


def test_matches_follow_a_changed_institution(client, zone):
    """The scorers prepared for the matches of one need serve the next only while the
    institutions are the versions they were prepared from."""
    staff = zone["staff"]
    bank, bank_item = small_loan_and_the_bank(client, zone)
    assert "ticket_range" in bank_item()["broken_rules"]  # 800k is below the bank's 1M floor
    changed = client.patch(f"/api/v1/institutions/{bank['id']}", json={"ticket_min": 500_000}, headers=staff)
    assert changed.status_code == 200, changed.get_json()
    assert "ticket_range" not in bank_item()["broken_rules"]


def test_matches_follow_an_institution_whose_version_came_back_with_other_content(app, backend, client, zone, tmp_path):
    """A version number names a content only within one history: after a restore (or in
    another data folder of the same process) the bank's version 2 can be another bank."""
    staff = zone["staff"]
    bank, bank_item = small_loan_and_the_bank(client, zone)
    with app.app_context():
        backend.backup(tmp_path / "before.backup")
    lowered = client.patch(f"/api/v1/institutions/{bank['id']}", json={"ticket_min": 500_000}, headers=staff)
    assert lowered.get_json()["version"] == "2"
    assert "ticket_range" not in bank_item()["broken_rules"]
    with app.app_context():
        backend.restore(tmp_path / "before.backup")
    renamed = client.patch(f"/api/v1/institutions/{bank['id']}", json={"name": "科技支行（更名）"}, headers=staff)
    assert renamed.get_json()["version"] == "2"  # the same number, the 1M floor kept
    assert "ticket_range" in bank_item()["broken_rules"]


def test_a_deal_flow_prepares_its_institution_once_and_follows_a_change(client, zone, monkeypatch):
    """A deal flow's scorer and queries are made once per content of the institution (the
    other pages and views reuse them) and again when it changes."""
    staff = zone["staff"]
    bank, _ = small_loan_and_the_bank(client, zone)
    made = []
    monkeypatch.setattr(match_service, "_PREPARED", {})
    monkeypatch.setattr(match_service, "dealflow_filters",
                        lambda *args, real=match_service.dealflow_filters: made.append(args[0]["id"]) or real(*args))
    url = f"/api/v1/institutions/{bank['id']}/dealflow?per_page=100"

    def small_loan_too_small() -> bool:
        items = client.get(url, headers=staff).get_json()["items"]
        return "ticket_range" in next(i for i in items if i["need"]["amount"] == 800_000)["broken_rules"]

    assert small_loan_too_small()  # 800k is below the bank's 1M floor
    assert client.get(f"{url}&page=2", headers=staff).status_code == 200
    assert made == [bank["id"]]
    changed = client.patch(f"/api/v1/institutions/{bank['id']}", json={"ticket_min": 500_000}, headers=staff)
    assert changed.status_code == 200, changed.get_json()
    assert not small_loan_too_small()
    assert made == [bank["id"], bank["id"]]


def test_when_nobody_holds_the_amount_every_item_says_why(client, zone):
    staff = zone["staff"]
    enterprise = post_enterprise(client, staff, stage="growth", industry="new_energy")
    need = post_need(client, staff, enterprise["id"], amount=500 * M, title="五亿元股权融资")
    body = client.get(f"/api/v1/needs/{need['id']}/matches", headers=staff).get_json()
    assert body["eligible_total"] == 0
    for item in body["items"]:
        assert item["eligible"] is False
        assert item["broken_rules"], item["institution"]["name"]
        named = {r["factor"] for r in item["reasons"] if r["factor"] in item["broken_rules"]}
        assert named == set(item["broken_rules"])
    equity_investors = [i for i in body["items"] if "equity" in i["institution"]["instruments"]]
    assert all("ticket_range" in i["broken_rules"] for i in equity_investors)
    rule = next(r for r in equity_investors[0]["reasons"] if r["factor"] == "ticket_range")
    assert "500" in rule["message"] or "5亿" in rule["message_zh"]


def test_matches_answer_in_the_language_asked_for(client, zone):
    staff = zone["staff"]
    enterprise = post_enterprise(client, staff)
    need = post_need(client, staff, enterprise["id"])
    url = f"/api/v1/needs/{need['id']}/matches?per_page=3"
    english = client.get(url, headers=staff).get_json()["items"][0]["reasons"]
    chinese = client.get(url, headers={**staff, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_json()["items"][0]["reasons"]
    assert all(r["message"] != r["message_zh"] for r in english)
    assert all(r["message"] == r["message_zh"] for r in chinese)
    assert [r["factor"] for r in english] == [r["factor"] for r in chinese]


def test_matches_page_and_filter(client, zone):
    staff = zone["staff"]
    enterprise_fields, need_fields, _ = CASES["bank-loan guarantee"]
    enterprise = post_enterprise(client, staff, **enterprise_fields)
    need = post_need(client, staff, enterprise["id"], **need_fields)
    url = f"/api/v1/needs/{need['id']}/matches"
    everything = [i["institution"]["id"] for i in client.get(url, headers=staff).get_json()["items"]]
    pages = []
    for page in range(1, 5):
        body = client.get(f"{url}?per_page=6&page={page}", headers=staff).get_json()
        assert (body["page"], body["per_page"], body["total"]) == (page, 6, 20)
        pages += [i["institution"]["id"] for i in body["items"]]
    assert pages == everything
    only = client.get(f"{url}?eligible_only=true", headers=staff).get_json()
    assert only["items"] and all(i["eligible"] for i in only["items"])
    assert only["total"] == only["eligible_total"] == len(only["items"])


def test_who_may_see_the_matches_of_a_need(client, actors, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    url = f"/api/v1/needs/{need['id']}/matches"
    assert client.get(url, headers=world["as_ent_a"]).status_code == 200
    assert client.get(url, headers=world["staff"]).status_code == 200
    assert client.get(url, headers=world["admin"]).status_code == 200
    assert client.get(url, headers=actors.as_enterprise(world["ent_b"]["id"])).status_code == 403
    assert client.get(url, headers=world["as_inst_a"]).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/needs/nope/matches", headers=world["staff"]).status_code == 404
    # the owner sees the matches of its drafts too
    draft = world["needs"][world["ent_a"]["id"]]["draft"]
    assert client.get(f"/api/v1/needs/{draft['id']}/matches", headers=world["as_ent_a"]).status_code == 200


def test_bad_match_parameters_are_refused(client, world):
    need = world["needs"][world["ent_a"]["id"]]["open"]
    for query in ("per_page=0", "per_page=101", "page=0", "eligible_only=perhaps"):
        response = client.get(f"/api/v1/needs/{need['id']}/matches?{query}", headers=world["staff"])
        assert response.status_code == 422, query


# -- deal flow ---------------------------------------------------------------------------------
@data_fixture
def market(app):
    """About forty open needs of every kind, a few drafts and closed ones, on the zone's pool."""
    client = app.test_client()
    zone = pool_zone(app)
    staff = zone["staff"]
    industries = ["new_energy", "software_it", "biomedicine", "advanced_manufacturing", "modern_services", "other"]
    stages = ["seed", "startup", "growth", "expansion", "pre_ipo"]
    offers = [
        ("debt", 300_000, 12), ("debt", 2 * M, 12), ("debt", 800_000, 6), ("guarantee", 5 * M, 12),
        ("guarantee", 30 * M, 24), ("equity", 1 * M, None), ("equity", 8 * M, None), ("equity", 60 * M, None),
        ("leasing", 4 * M, 36), ("convertible", 10 * M, 36),
    ]
    needs = []
    for number in range(40):
        industry, stage = industries[number % 6], stages[number % 5]
        enterprise = post_enterprise(
            client, staff, industry=industry, stage=stage, has_collateral=number % 3 == 0,
            certifications=[high_tech_certificate()] if number % 4 != 1 else [], founded=f"{2002 + number % 8}-05-01",
            financials=[year(2010, (number + 1) * 2 * M, (number % 7 - 1) * 300_000),
                        year(2011, (number + 1) * 3 * M, (number % 7) * 400_000)],
        )
        instrument, amount, term = offers[number % len(offers)]
        fields = dict(amount=amount + number * 1000, instrument=instrument, term_months=term,
                      equity_offered_pct=10.0 if instrument in ("equity", "convertible") else None,
                      title=f"{industry} {instrument} 融资需求 {number}")
        if instrument == "equity":
            fields.pop("term_months")
        needs.append(post_need(client, staff, enterprise["id"], **fields))
    closed = post_need(client, staff, needs[0]["enterprise_id"], status="draft", title="草稿")
    return {**zone, "needs": needs, "draft": closed}


def all_pages(client, url: str, headers: dict, per_page: int) -> list[dict]:
    items, page = [], 1
    while True:
        body = client.get(f"{url}{'&' if '?' in url else '?'}per_page={per_page}&page={page}", headers=headers).get_json()
        items += body["items"]
        if page * per_page >= body["total"]:
            return items
        page += 1


@pytest.mark.parametrize("pool_id", ["micro-tech", "guar-tech", "vc-general", "fund-newenergy", "bank-commercial"])
def test_dealflow_puts_what_the_institution_can_fund_first(client, market, pool_id):
    inst = market["institutions"][pool_id]
    url = f"/api/v1/institutions/{inst['id']}/dealflow"
    body = client.get(f"{url}?per_page=100", headers=market["staff"]).get_json()
    assert body["total"] == 40  # open needs only: the draft is left out
    flags = [item["eligible"] for item in body["items"]]
    assert flags == sorted(flags, reverse=True)
    assert body["eligible_total"] == sum(flags)
    eligible = body["items"][: body["eligible_total"]]
    assert [i["score"] for i in eligible] == sorted((i["score"] for i in eligible), reverse=True)
    for item in eligible:
        assert item["need"]["instrument"] in inst["instruments"]
        assert inst["ticket_min"] <= item["need"]["amount"] <= inst["ticket_max"]
        assert item["need"]["stage"] in inst["stages"]
    for item in body["items"][body["eligible_total"]:]:
        assert item["broken_rules"] and item["reasons"][0]["factor"] in item["broken_rules"]
    # staff see the same as the matches of each need say
    for item in body["items"][:3]:
        matches = client.get(f"/api/v1/needs/{item['need']['id']}/matches", headers=market["staff"]).get_json()["items"]
        mine = next(m for m in matches if m["institution"]["id"] == inst["id"])
        assert (mine["score"], mine["eligible"]) == (item["score"], item["eligible"])


def test_microcredit_deal_flow_starts_with_small_loans(client, market):
    inst = market["institutions"]["micro-tech"]
    body = client.get(f"/api/v1/institutions/{inst['id']}/dealflow", headers=market["staff"]).get_json()
    assert body["eligible_total"] > 0
    top = body["items"][0]["need"]
    assert top["instrument"] == "debt" and top["amount"] <= 5 * M


@pytest.mark.parametrize("block", [3, 100])
@pytest.mark.parametrize("pool_id", ["micro-tech", "vc-general"])
def test_dealflow_pages_are_consistent(client, market, monkeypatch, block, pool_id):
    monkeypatch.setattr(match_service, "RESCORE_BLOCK", block)
    inst = market["institutions"][pool_id]
    url = f"/api/v1/institutions/{inst['id']}/dealflow"
    reference = [i["need"]["id"] for i in all_pages(client, url, market["staff"], 100)]
    assert len(reference) == len(set(reference)) == 40
    for per_page in (1, 4, 7, 20):
        items = all_pages(client, url, market["staff"], per_page)
        assert [i["need"]["id"] for i in items] == reference, per_page
        flags = [i["eligible"] for i in items]
        assert flags == sorted(flags, reverse=True)
    # within each block of the engine's order, the exact score decides
    items = all_pages(client, url, market["staff"], 100)
    eligible_total = sum(i["eligible"] for i in items)
    for low in range(0, eligible_total, block):
        scores = [i["score"] for i in items[low : min(low + block, eligible_total)]]
        assert scores == sorted(scores, reverse=True)


def test_dealflow_eligible_only_and_filters(client, market):
    inst = market["institutions"]["vc-general"]
    url = f"/api/v1/institutions/{inst['id']}/dealflow"
    staff = market["staff"]
    full = client.get(f"{url}?per_page=100", headers=staff).get_json()
    only = client.get(f"{url}?per_page=100&eligible_only=true", headers=staff).get_json()
    assert only["total"] == only["eligible_total"] == full["eligible_total"]
    assert [i["need"]["id"] for i in only["items"]] == [i["need"]["id"] for i in full["items"][: full["eligible_total"]]]
    assert sum(only["facets"]["instrument"].values()) == only["total"]

    assert sum(full["facets"]["industry"].values()) == full["total"] == 40
    debt = client.get(f"{url}?per_page=100&instrument=debt", headers=staff).get_json()
    assert debt["total"] == full["facets"]["instrument"]["debt"] and debt["eligible_total"] == 0
    assert all(i["need"]["instrument"] == "debt" for i in debt["items"])
    window = client.get(f"{url}?per_page=100&min_amount=1000000&max_amount=10000000&industry=software_it&industry=new_energy",
                        headers=staff).get_json()
    assert window["items"] and all(1 * M <= i["need"]["amount"] <= 10 * M for i in window["items"])
    assert all(i["need"]["industry"] in ("software_it", "new_energy") for i in window["items"])
    stage = client.get(f"{url}?per_page=100&stage=growth", headers=staff).get_json()
    assert stage["items"] and all(i["need"]["stage"] == "growth" for i in stage["items"])
    text = client.get(f"{url}?per_page=100&q=equity", headers=staff).get_json()
    assert text["items"] and all("equity" in i["need"]["title"] for i in text["items"])
    assert client.get(f"{url}?min_amount=5&max_amount=1", headers=staff).status_code == 422
    assert client.get(f"{url}?instrument=gold", headers=staff).status_code == 422


def test_who_may_see_a_deal_flow(client, actors, world):
    url = f"/api/v1/institutions/{world['inst_a']['id']}/dealflow"
    assert client.get(url, headers=world["as_inst_a"]).status_code == 200
    assert client.get(url, headers=world["staff"]).status_code == 200
    assert client.get(url, headers=world["admin"]).status_code == 200
    assert client.get(url, headers=actors.as_institution(world["inst_b"]["id"])).status_code == 403
    assert client.get(url, headers=world["as_ent_a"]).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/institutions/nope/dealflow", headers=world["staff"]).status_code == 404
    body = client.get(url, headers=world["as_inst_a"]).get_json()
    assert {i["need"]["status"] for i in body["items"]} == {"open"}  # drafts never show


def test_match_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, schema in (("/api/v1/needs/{need_id}/matches", "InstitutionMatchPage"),
                         ("/api/v1/institutions/{institution_id}/dealflow", "DealflowPage")):
        operation = spec["paths"][path]["get"]
        assert schema in json.dumps(operation["responses"]["200"])
        assert {p["name"] for p in operation["parameters"]} >= {"page", "per_page", "eligible_only"}
    assert "NeedMatch" in spec["components"]["schemas"] and "Reason" in spec["components"]["schemas"]


def test_an_equipment_loan_without_security_answers_a_lease_and_a_guarantee_with_its_partner_bank(client, actors):
    """A loss-making growth firm with patents but no property asks a bank loan to buy
    equipment: no bank lends (a loss in the latest year), while a credit officer would point
    to the leasing company and to the guarantor that takes an IP pledge, with its bank."""
    staff = actors.as_staff()

    def post_institution(**body):
        response = client.post("/api/v1/institutions", json=body, headers=staff)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    bank = post_institution(name="科技支行", name_en="Tech Sub-branch", type="bank", instruments=["debt"], stages=["growth"],
                            ticket_min=1 * M, ticket_max=50 * M, status="entered",
                            products=[{"id": "ip", "name": "知识产权质押贷款", "instrument": "debt", "ticket_max": 10 * M,
                                       "counter_guarantees_accepted": ["ip_pledge"]}])
    guarantor = post_institution(name="科技担保", name_en="Tech Guarantee", type="guarantee", instruments=["guarantee"],
                                 stages=["growth"], ticket_min=1 * M, ticket_max=20 * M, status="entered",
                                 counter_guarantees_accepted=["personal_guarantee", "ip_pledge"], partner_banks=[bank["id"]],
                                 net_capital=200 * M, guarantee_outstanding=500 * M)
    lessor = post_institution(name="滨海租赁", name_en="Binhai Leasing", type="leasing", instruments=["leasing"],
                              stages=["growth"], ticket_min=1 * M, ticket_max=50 * M, status="entered")
    enterprise = post_enterprise(client, staff, industry="advanced_manufacturing", stage="growth", founded="2006-03-01",
                                 has_collateral=False, counter_guarantees_offered=["personal_guarantee", "ip_pledge"],
                                 financials=[year(2010, 20 * M, 1 * M), year(2011, 22 * M, -500_000)])
    need = post_need(client, staff, enterprise["id"], title="购置数控设备贷款", description="购买生产设备，扩大产能。",
                     amount=5 * M, instrument="debt", purpose="购置设备 equipment", term_months=24, equity_offered_pct=None)

    body = client.get(f"/api/v1/needs/{need['id']}/matches", headers=staff).get_json()
    by_id = {item["institution"]["id"]: item for item in body["items"]}
    assert not by_id[bank["id"]]["eligible"] and "profitable" in by_id[bank["id"]]["broken_rules"]
    assert by_id[bank["id"]]["product"]["id"] == "ip"
    assert by_id[guarantor["id"]]["partner_banks"] == [{"id": bank["id"], "name": "科技支行", "name_en": "Tech Sub-branch"}]
    offered = {alt["instrument"]: alt for alt in body["alternatives"]}
    assert offered["leasing"]["institution"]["id"] == lessor["id"]
    assert offered["guarantee"]["institution"]["id"] == guarantor["id"]
    assert "Tech Sub-branch" in offered["guarantee"]["message"]
    zh = client.get(f"/api/v1/needs/{need['id']}/matches", headers={**staff, "Accept-Language": "zh"}).get_json()
    assert "科技支行" in {alt["instrument"]: alt for alt in zh["alternatives"]}["guarantee"]["message"]
    # the alternatives do not change what the need asked for: nobody is eligible for the loan
    assert body["eligible_total"] == 0


def test_a_bank_product_in_the_risk_pool_names_the_programme(app, client, actors):
    """Policy money in the score: the special fund's risk pool, as staff keep it, is named on the
    product that takes part in it, and a subsidy for the instrument counts too."""
    from matchmaker import clock

    staff = actors.as_staff()
    with app.app_context():
        this_year = clock.today().year
    pool = client.post("/api/v1/programmes", headers=staff, json={
        "name": "信贷风险补偿资金池", "name_en": "Loan risk pool", "kind": "risk_pool", "year": this_year, "budget": 10 * M,
        "rules": {"instruments": ["debt"], "institution_types": ["bank"]}})
    assert pool.status_code == 201, pool.get_json()
    bank = client.post("/api/v1/institutions", headers=staff, json={
        "name": "科技支行", "type": "bank", "instruments": ["debt"], "stages": ["growth"], "ticket_min": 1 * M,
        "ticket_max": 20 * M, "status": "entered",
        "products": [{"id": "pool", "name": "风险池信用贷款", "name_en": "Risk-pool credit loan", "ticket_max": 5 * M,
                      "counter_guarantees_accepted": ["personal_guarantee"], "programmes": [pool.get_json()["id"]]},
                     {"id": "plain", "name": "信用贷款", "ticket_max": 5 * M, "counter_guarantees_accepted": ["personal_guarantee"]}]})
    assert bank.status_code == 201, bank.get_json()
    enterprise = post_enterprise(client, staff, industry="software_it", stage="growth", founded="2006-03-01",
                                 counter_guarantees_offered=["personal_guarantee"],
                                 financials=[year(2010, 20 * M, 1 * M), year(2011, 24 * M, 2 * M)])
    need = post_need(client, staff, enterprise["id"], title="信用贷款300万元", description="补充流动资金。", amount=3 * M,
                     instrument="debt", purpose="流动资金", term_months=12, equity_offered_pct=None)
    body = client.get(f"/api/v1/needs/{need['id']}/matches", headers=staff).get_json()
    item = next(i for i in body["items"] if i["institution"]["id"] == bank.get_json()["id"])
    assert item["eligible"] and item["product"]["id"] == "pool"
    policy = next(r for r in item["reasons"] if r["factor"] == "policy")
    assert policy["score"] > 0 and "Loan risk pool" in policy["message"] and "信贷风险补偿资金池" in policy["message_zh"]

