"""Several worker processes on one SQLite file: no lost updates, no "database is locked"."""
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import enterprise_doc, need_doc
from tests.server import Server, cli

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("workers")
    assert cli(data_dir, "users", "create", "staff1", "--role", "staff", "--password-stdin", input="staff password 1\n").returncode == 0
    with Server(data_dir, workers=2) as running:
        yield running


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_two_worker_processes_serve(server):
    assert len(children_of(server.process.pid)) == 2


def test_concurrent_writers_through_two_workers_all_succeed(server):
    staff = server.token("staff1", "staff password 1")
    api = server.url + "/api/v1"
    enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()

    def post(i):
        with requests.Session() as s:  # a connection each: the kernel spreads them over the workers
            return s.post(api + "/needs", json=need_doc(enterprise["id"], title=f"需要 {i}"), headers=staff, timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(post, range(200)))
    assert codes == [201] * 200
    total = requests.get(api + "/needs", params={"enterprise_id": enterprise["id"], "per_page": 1}, headers=staff, timeout=10).json()["total"]
    assert total == 200


def test_two_clients_editing_the_same_need_lose_no_update(server):
    staff = server.token("staff1", "staff password 1")
    api = server.url + "/api/v1"
    enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()
    need = requests.post(api + "/needs", json=need_doc(enterprise["id"]), headers=staff, timeout=10).json()

    def edit(amount):
        with requests.Session() as s:
            r = s.patch(api + f"/needs/{need['id']}", json={"amount": amount}, headers={**staff, "If-Match": f'"{need["version"]}"'}, timeout=30)
            return r.status_code, amount

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(edit, [1_000_000 + i for i in range(8)]))
    winners = [amount for code, amount in results if code == 200]
    assert len(winners) == 1 and sorted(code for code, _ in results) == [200] + [409] * 7
    assert requests.get(api + f"/needs/{need['id']}", headers=staff, timeout=10).json()["amount"] == winners[0]


def test_every_worker_answers_a_search_with_the_last_write(server):
    """Each worker keeps search results in its own cache; a write through either one must
    reach the next search on both."""
    staff = server.token("staff1", "staff password 1")
    api = server.url + "/api/v1"
    enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()
    need = requests.post(api + "/needs", json=need_doc(enterprise["id"], amount=3_000_000), headers=staff, timeout=10).json()
    search = {"enterprise_id": enterprise["id"], "min_amount": 2_000_000}

    def answers() -> set:
        def one(_):
            with requests.Session() as s:  # a connection each: both workers answer some
                body = s.get(api + "/needs", params=search, headers=staff, timeout=30).json()
                return body["total"], tuple(sorted(body["facets"]["instrument"].items()))

        with ThreadPoolExecutor(8) as pool:
            return set(pool.map(one, range(40)))

    assert answers() == {(1, (("equity", 1),))}  # now cached in both workers
    for amount, expected in ((1_000_000, {(0, ())}), (5_000_000, {(1, (("equity", 1),))})):
        current = requests.get(api + f"/needs/{need['id']}", headers=staff, timeout=10).json()
        changed = requests.patch(api + f"/needs/{need['id']}", json={"amount": amount},
                                 headers={**staff, "If-Match": f'"{current["version"]}"'}, timeout=10)
        assert changed.status_code == 200
        assert answers() == expected
