"""A cost budget: a cap on search terms (422), request rates per user and per address
shared by every worker (429 with Retry-After), and the sign-in lockout shared by every
process — checked against the real server with two workers."""
from __future__ import annotations

import pytest
import requests

from matchmaker import create_app
from matchmaker.core.schemas import MAX_QUERY_TERMS
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, ok
from tests.conftest import Actors
from tests.server import Server, cli

def _many_terms() -> str:
    return " ".join(f"t{i}x" for i in range(MAX_QUERY_TERMS + 1))


@pytest.mark.parametrize("q", ["".join(chr(0x4e00 + i * 7) for i in range(500)), _many_terms()],
                         ids=["500 Chinese characters", "33 English words"])
def test_too_many_search_terms_is_422_everywhere(client, world, q):
    inst = world["as_inst_a"]
    searches = [
        client.get(f"{API}/needs", query_string={"q": q}, headers=world["staff"]),
        client.get(f"{API}/institutions", query_string={"q": q}, headers=world["staff"]),
        client.get(f"{API}/enterprises", query_string={"q": q}, headers=world["staff"]),
        client.get(f"{API}/institutions/{world['inst_a']['id']}/dealflow", query_string={"q": q}, headers=inst),
        client.post(f"{API}/saved-searches", json={"name": "long", "q": q}, headers=inst),
    ]
    for r in searches:
        assert r.status_code == 422, r.request.path
        location = "json" if r.request.method == "POST" else "query"
        assert "too many search terms" in r.get_json()["errors"][location]["q"][0]


def test_a_short_query_is_searched(client, world):
    assert ok(client.get(f"{API}/needs", query_string={"q": "锂电池 battery"}, headers=world["staff"]))["total"] >= 1


@pytest.fixture
def limited(tmp_path, password_hash):
    """Two apps on one data folder, as two workers of one server, with small budgets."""
    config = {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "RATE_LIMIT_ENABLED": True,
              "RATE_LIMIT_PER_MINUTE": 5, "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": 8, "RATE_LIMIT_SEARCHES_PER_MINUTE": 3}
    apps = [create_app(config), create_app(config)]
    get_backend(apps[0]).init()
    actors = Actors(apps[0], apps[0].test_client(), password_hash)
    yield apps, actors
    for app in apps:
        get_backend(app).close()


def test_rate_limits_are_shared_by_the_workers(limited):
    apps, actors = limited
    alice, bob = actors.as_staff(), actors.as_staff()
    clients = [app.test_client() for app in apps]
    for n in range(5):  # one user's five, spread over both workers
        assert clients[n % 2].get(f"{API}/auth/me", headers=alice, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    refused = clients[1].get(f"{API}/auth/me", headers=alice, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["code"] == 429
    # another user on another address is not held up by alice
    assert clients[0].get(f"{API}/auth/me", headers=bob, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    # an address: 8 a minute, whoever signs in from it
    for _ in range(7):
        clients[0].get(f"{API}/openapi.json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert clients[1].get(f"{API}/openapi.json", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429


def test_searches_have_a_tighter_budget(limited):
    apps, actors = limited
    carol = actors.as_staff()
    client = apps[0].test_client()
    statuses = [client.get(f"{API}/needs", query_string={"q": "电池"}, headers=carol).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_lockout_holds_across_two_worker_processes(tmp_path):
    assert cli(tmp_path, "init").returncode == 0
    with Server(tmp_path, workers=2, extra_env={"MATCHMAKER_RATE_LIMIT_ENABLED": "false"}) as server:
        statuses = []
        for _ in range(8):  # a fresh connection each time: the kernel spreads them over both workers
            with requests.Session() as session:
                r = session.post(server.url + "/api/v1/auth/token", json={"username": "victim", "password": "guess"},
                                 headers={"Connection": "close"}, timeout=10)
                statuses.append(r.status_code)
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 3, statuses
        assert r.headers.get("Retry-After") and r.headers.get("Cache-Control") == "no-store"


@pytest.mark.slow
def test_the_rate_limits_hold_across_two_worker_processes(tmp_path):
    """Flask-Limiter over the shared counters file: one user's budget is the same whichever
    worker answers (counted per process, two workers would let twice as many through)."""
    assert cli(tmp_path, "init").returncode == 0
    made = cli(tmp_path, "users", "create", "dana", "--role", "staff", "--password-stdin", input="a long pass phrase 1\n")
    assert made.returncode == 0, made.stderr
    env = {"MATCHMAKER_RATE_LIMIT_PER_MINUTE": "6", "MATCHMAKER_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0"}
    with Server(tmp_path, workers=2, extra_env=env) as server:
        headers = {**server.token("dana", "a long pass phrase 1"), "Connection": "close"}
        statuses = []
        for _ in range(9):  # a fresh connection each time: the kernel spreads them over both workers
            with requests.Session() as session:
                r = session.get(server.url + "/api/v1/auth/me", headers=headers, timeout=10)
                statuses.append(r.status_code)
                if r.status_code == 429:
                    refused = r
        assert statuses == [200] * 6 + [429] * 3, statuses
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["code"] == 429 and "6 a minute" in refused.json()["message"]
        assert refused.headers.get("Cache-Control") == "no-store"
