"""`matchmaker backup` during writes through the real server, then `matchmaker restore`."""
import threading

import requests

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, need_doc
from tests.server import Server, cli

import pytest

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


def test_online_backup_during_writes_restores_and_compares(tmp_path):
    live_dir, restored_dir = tmp_path / "live", tmp_path / "restored"
    assert cli(live_dir, "users", "create", "staff1", "--role", "staff", "--password-stdin", input="staff password 1\n").returncode == 0
    acknowledged_before_backup = []
    with Server(live_dir) as server:
        staff = server.token("staff1", "staff password 1")
        api = server.url + "/api/v1"
        enterprise = requests.post(api + "/enterprises", json=enterprise_doc(), headers=staff, timeout=10).json()
        for i in range(50):
            r = requests.post(api + "/needs", json=need_doc(enterprise["id"], title=f"备份前 {i}"), headers=staff, timeout=10)
            assert r.status_code == 201
            acknowledged_before_backup.append(r.json()["id"])
        stop = threading.Event()

        def keep_writing():
            while not stop.is_set():
                requests.post(api + "/needs", json=need_doc(enterprise["id"], title="备份中"), headers=staff, timeout=10)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            result = cli(live_dir, "backup", str(tmp_path / "backup.jsonl.gz"))
        finally:
            stop.set()
            writer.join()
    assert result.returncode == 0, result.stderr
    assert cli(restored_dir, "restore", str(tmp_path / "backup.jsonl.gz"), "--yes").returncode == 0

    live = get_backend(create_app({"DATA_DIR": str(live_dir)}))
    restored = get_backend(create_app({"DATA_DIR": str(restored_dir)}))
    restored_needs = {d["id"]: d for d in restored.scan("needs")}
    assert set(acknowledged_before_backup) <= set(restored_needs)
    for need_id, doc in restored_needs.items():  # whatever the copy holds is whole and equal to the live one
        assert live.get("needs", need_id) == doc
    assert restored.get("users", "staff1")["role"] == "staff"
    assert restored.get("enterprises", enterprise["id"]) == live.get("enterprises", enterprise["id"])


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    result = cli(tmp_path / "data", "restore", str(junk), "--yes")
    assert result.returncode != 0 and "not a matchmaker backup" in result.stderr and "Traceback" not in result.stderr


def test_restore_keeps_the_data_it_replaces_as_a_dated_safety_copy(tmp_path):
    data = tmp_path / "data"
    backend = get_backend(create_app({"DATA_DIR": str(data)}))
    backend.init()
    backend.create("needs", need_doc("e1", title="在备份里"), doc_id="in-backup")
    backend.backup(tmp_path / "backup.jsonl.gz")
    backend.create("needs", need_doc("e1", title="备份之后"), doc_id="after-backup")
    backend.close()
    result = cli(data, "restore", str(tmp_path / "backup.jsonl.gz"), "--yes")
    assert result.returncode == 0, result.stderr
    (safety,) = (data / "safety").glob("before-restore-*.jsonl.gz")
    assert str(safety) in result.stdout
    restored = get_backend(create_app({"DATA_DIR": str(data)}))
    assert restored.get("needs", "after-backup") is None and restored.get("needs", "in-backup")
    assert cli(data, "restore", str(safety), "--yes").returncode == 0  # the safety copy brings it back
    assert restored.get("needs", "after-backup")["title"] == "备份之后"
