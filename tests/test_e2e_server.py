"""The real server over HTTP, set up the way an operator does: init, users create, serve."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import enterprise_doc, institution_doc, need_doc
from tests.engines import cluster_env, drop_indices, unique_prefix
from tests.server import Server, cli

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


@pytest.fixture(scope="module", params=["embedded", "opensearch"])
def server(request, tmp_path_factory):
    """The server on the embedded backend, and on a live OpenSearch cluster (tests/engines.py)."""
    data_dir = tmp_path_factory.mktemp("e2e")
    env = cluster_env(request.param, prefix := unique_prefix()) if request.param != "embedded" else {}
    try:
        assert cli(data_dir, "init", env=env).returncode == 0
        created = cli(data_dir, "users", "create", "zone-staff", "--role", "staff", "--password-stdin",
                      input="staff password 2012\n", env=env)
        assert created.returncode == 0, created.stderr
        with Server(data_dir, extra_env=env) as running:
            yield running
    finally:
        if env:
            drop_indices(env["MATCHMAKER_SEARCH_URL"], prefix)


def test_operator_path_token_crud_search_and_conflicts(server):
    staff = server.token("zone-staff", "staff password 2012")
    api = server.url + "/api/v1"

    def post(path, body):
        r = requests.post(api + path, json=body, headers=staff, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()

    guarantee = post("/institutions", institution_doc(
        name="华苑科技融资担保有限公司", name_en="Huayuan Technology Guarantee", type="guarantee",
        instruments=["guarantee"], stages=["growth", "expansion"], ticket_min=1_000_000, ticket_max=20_000_000,
        description="为科技型中小企业的银行贷款提供融资担保。Guarantees for bank loans."))
    venture = post("/institutions", institution_doc())
    enterprise = post("/enterprises", enterprise_doc(name="天津电池科技有限公司"))
    need = post("/needs", need_doc(enterprise["id"], title="新能源汽车电池扩产", status="open"))

    # search in Chinese and English; facets count what was found
    r = requests.get(api + "/institutions", params={"q": "担保"}, headers=staff, timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert [i["id"] for i in body["items"]][0] == guarantee["id"]
    assert body["facets"]["type"] == {"guarantee": 1}
    r = requests.get(api + "/needs", params={"q": "电池", "instrument": ["equity", "debt"]}, headers=staff, timeout=10)
    assert [n["id"] for n in r.json()["items"]] == [need["id"]]
    r = requests.get(api + "/institutions", params={"amount": 30_000_000}, headers=staff, timeout=10)
    assert [i["id"] for i in r.json()["items"]] == [venture["id"]]

    # optimistic concurrency: the stale writer gets 409 and the first change stays
    first = requests.patch(api + f"/needs/{need['id']}", json={"amount": 12_000_000}, headers={**staff, "If-Match": f'"{need["version"]}"'}, timeout=10)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{first.json()["version"]}"'
    stale = requests.patch(api + f"/needs/{need['id']}", json={"amount": 9_000_000, "version": need["version"]}, headers=staff, timeout=10)
    assert stale.status_code == 409
    assert requests.get(api + f"/needs/{need['id']}", headers=staff, timeout=10).json()["amount"] == 12_000_000

    # bad input: a 4xx with field messages, never a 5xx
    bad = requests.post(api + "/institutions", json=institution_doc(ticket_min=5, ticket_max=1), headers=staff, timeout=10)
    assert bad.status_code == 422 and "ticket_min" in bad.json()["errors"]["json"]
    junk = requests.post(api + "/needs", data=b"{not json", headers={**staff, "Content-Type": "application/json"}, timeout=10)
    assert 400 <= junk.status_code < 500

    # delete, then it is gone; no token, no entry
    assert requests.delete(api + f"/institutions/{venture['id']}", headers=staff, timeout=10).status_code == 204
    assert requests.get(api + f"/institutions/{venture['id']}", headers=staff, timeout=10).status_code == 404
    assert requests.get(api + "/institutions", timeout=10).status_code == 401


def test_matches_dealflow_and_versions_across_a_reindex(server):
    staff = server.token("zone-staff", "staff password 2012")
    api = server.url + "/api/v1"
    bank = requests.post(api + "/institutions", json=institution_doc(
        name="滨海科技银行", name_en="Binhai Tech Bank", type="bank", instruments=["debt"], industries=["new_energy"],
        ticket_min=1_000_000, ticket_max=30_000_000), headers=staff, timeout=10)
    assert bank.status_code == 201, bank.text
    bank = bank.json()
    enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()
    need = requests.post(api + "/needs", json=need_doc(enterprise["id"], instrument="debt", amount=5_000_000,
                                                      equity_offered_pct=None), headers=staff, timeout=10)
    assert need.status_code == 201, need.text
    need = need.json()

    matches = requests.get(api + f"/needs/{need['id']}/matches", headers=staff, timeout=10)
    assert matches.status_code == 200, matches.text
    assert bank["id"] in [m["institution"]["id"] for m in matches.json()["items"]]
    again = requests.get(api + f"/needs/{need['id']}/matches", headers=staff, timeout=10)
    assert again.json()["items"] == matches.json()["items"]
    dealflow = requests.get(api + f"/institutions/{bank['id']}/dealflow", headers=staff, timeout=10)
    assert dealflow.status_code == 200, dealflow.text
    assert need["id"] in [d["need"]["id"] for d in dealflow.json()["items"]]

    # a version read before a reindex still guards a write after it
    assert cli(server.data_dir, "reindex", env=server.env).returncode == 0
    kept = requests.patch(api + f"/needs/{need['id']}", json={"amount": 6_000_000},
                          headers={**staff, "If-Match": f'"{need["version"]}"'}, timeout=10)
    assert kept.status_code == 200, kept.text
    stale = requests.patch(api + f"/needs/{need['id']}", json={"amount": 7_000_000},
                           headers={**staff, "If-Match": f'"{need["version"]}"'}, timeout=10)
    assert stale.status_code == 409
    found = requests.get(api + "/needs", params={"q": "batteries"}, headers=staff, timeout=10).json()
    assert [n["id"] for n in found["items"]] == [need["id"]] and found["items"][0]["amount"] == 6_000_000


def test_revoked_token_stops_working(server):
    headers = server.token("zone-staff", "staff password 2012")
    assert requests.get(server.url + "/api/v1/auth/me", headers=headers, timeout=10).status_code == 200
    assert requests.delete(server.url + "/api/v1/auth/token", headers=headers, timeout=10).status_code == 204
    assert requests.get(server.url + "/api/v1/auth/me", headers=headers, timeout=10).status_code == 401


def test_server_is_waitress_not_the_development_server(server):
    r = requests.get(server.url + "/api/v1/openapi.json", timeout=10)
    assert r.headers.get("Server") == "matchmaker"  # waitress's ident, set by `serve`
