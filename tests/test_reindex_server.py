"""`matchmaker reindex` beside a running server (two workers) on the embedded backend (records + tantivy):
writes go on while the new index is built and swapped in, none fails, none is lost."""
from __future__ import annotations

import threading

import pytest
import requests

from matchmaker import create_app
from matchmaker.search import Query
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, need_doc
from tests.server import Server, cli

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


def test_reindex_while_the_server_takes_writes(tmp_path):
    data = tmp_path / "data"
    assert cli(data, "users", "create", "staff1", "--role", "staff", "--password-stdin", input="staff password 1\n").returncode == 0
    with Server(data, workers=2) as server:
        staff = server.token("staff1", "staff password 1")
        api = server.url + "/api/v1"
        enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()
        for i in range(200):
            assert requests.post(api + "/needs", json=need_doc(enterprise["id"], title=f"重建前 {i}"), headers=staff,
                                 timeout=10).status_code == 201
        stop, acknowledged, failures = threading.Event(), [], []

        def keep_writing():
            while not stop.is_set():
                r = requests.post(api + "/needs", json=need_doc(enterprise["id"], title="重建中 during"), headers=staff, timeout=30)
                (acknowledged if r.status_code == 201 else failures).append(r.json()["id"] if r.ok else r.status_code)

        writers = [threading.Thread(target=keep_writing) for _ in range(2)]
        for writer in writers:
            writer.start()
        try:
            for _ in range(2):
                result = cli(data, "reindex")
                assert result.returncode == 0, result.stderr
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        assert failures == [] and acknowledged
        seen = requests.get(api + "/needs", params={"q": "during", "per_page": 1}, headers=staff, timeout=10).json()
        assert seen["total"] == len(acknowledged)  # from the server, after the swaps
    backend = get_backend(create_app({"DATA_DIR": str(data)}))
    backend.init()
    try:
        assert set(acknowledged) <= {d["id"] for d in backend.scan("needs")}
        assert backend.count("needs", Query(text="during")) == len(acknowledged)
    finally:
        backend.close()
