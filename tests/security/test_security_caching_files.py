"""No cache keeps a user's data (``Cache-Control: no-store`` on every answer but static
files); the data folder is 0700 and what is in it 0600, backups too."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from matchmaker import create_app
from tests.brokering_helpers import API, ok, propose
from tests.conftest import PASSWORD


def test_every_authenticated_answer_says_no_store(client, world, actors, backend):
    staff = world["staff"]
    need = world["needs"][world["ent_a"]["id"]]["open"]["id"]
    meeting = propose(client, staff, need, world["inst_a"]["id"])
    actors.user("cachestaff", "staff")
    answers = {
        "token": client.post(f"{API}/auth/token", json={"username": "cachestaff", "password": PASSWORD}),
        "json": client.get(f"{API}/needs", headers=staff),
        "one json": client.get(f"{API}/needs/{need}", headers=staff),
        "error": client.get(f"{API}/needs/no-such", headers=staff),
        "csv": client.get(f"{API}/exports/needs.csv", headers=staff),
        "xlsx": client.get(f"{API}/exports/meetings.xlsx", headers=staff),
        "ics": client.get(f"{API}/meetings/{meeting['id']}.ics", headers=staff),
        "me": client.get(f"{API}/auth/me", headers=staff),
        "page": client.get("/sign-in"),
    }
    assert answers["token"].status_code == 200
    for what, response in answers.items():
        assert response.headers.get("Cache-Control") == "no-store", what


def test_static_files_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"
    response.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHMAKER_", "FLASK_"))}
    env["MATCHMAKER_DATA_DIR"] = str(data_dir)
    result = subprocess.run([sys.executable, "-m", "matchmaker.cli", *args], capture_output=True, text=True, env=env,
                            timeout=120, cwd=data_dir.parent)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow  # the real CLI, in processes of its own (_cli)
def test_the_data_folder_and_its_files_are_the_owners_only(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        data = tmp_path / "data"
        _cli(data, "init")
        _cli(data, "backup", str(tmp_path / "copy.db"))
    finally:
        os.umask(old)
    assert _mode(data) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix in (".db", ".sqlite", ".sqlite3") or "db" in p.name for p in files), files
    assert {str(p): _mode(p) for p in files if _mode(p) & 0o077} == {}
    assert _mode(tmp_path / "copy.db") & 0o077 == 0


def test_an_old_world_readable_folder_is_closed_at_start(tmp_path):
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "matchmaker.db").write_bytes(b"")
    os.chmod(data, 0o755)
    os.chmod(data / "matchmaker.db", 0o644)
    create_app({"TESTING": True, "DATA_DIR": str(data), "SECRET_KEY": "x"})
    assert _mode(data) == 0o700 and _mode(data / "matchmaker.db") == 0o600
