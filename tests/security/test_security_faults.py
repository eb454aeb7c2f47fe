"""Out of space and broken data folders: 507/503 with a sentence in the API, one line
naming the path in the CLI (no traceback), no ``.partial`` left behind, a warning at the
start of ``serve`` and a full report from ``matchmaker check``.

The full disk is real: a 4 MiB tmpfs mounted for the test (it needs root and mount, as
on this project's machines and CI; elsewhere these tests skip).  A read-only folder is
the same tmpfs remounted read-only (as root, file modes alone stop nothing)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from matchmaker import create_app
from matchmaker.faults import check_data_folder
from matchmaker.storage import get_backend
from tests.conftest import Actors, institution_doc
from tests.server import cli_without_test_settings as cli

API = "/api/v1"


def _mount(point: Path, options: str) -> bool:
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    point = tmp_path / "disk"
    point.mkdir()
    if os.geteuid() != 0 or not _mount(point, "size=4m"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(folder: Path) -> None:
    """Fill the disk to the last byte."""
    for size in (65536, 512, 1):
        try:
            with (folder / f"filler-{size}").open("wb", buffering=0) as f:
                while True:
                    f.write(b"\0" * size)
        except OSError:
            pass


def one_line_naming(result: subprocess.CompletedProcess, path: Path | tuple, words: str) -> None:
    """Exit 1 with one line that names ``path`` (or one of several) and says ``words``."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    paths = path if isinstance(path, tuple) else (path,)
    assert len(lines) == 1 and any(f"Error: {p}:" in lines[0] for p in paths) and words in lines[0], result.stderr


@pytest.fixture
def world_on_disk(small_disk, password_hash):
    data = small_disk / "data"
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})  # makes the session key file, as a first start does
    get_backend(app).init()
    client = app.test_client()
    staff = Actors(app, client, password_hash).as_staff()
    assert client.post(f"{API}/institutions", json=institution_doc(), headers=staff).status_code == 201
    yield app, client, staff, small_disk
    get_backend(app).close()


def test_a_write_on_a_full_disk_is_507_and_reads_go_on(world_on_disk):
    app, client, staff, disk = world_on_disk
    fill(disk)
    r = client.post(f"{API}/institutions", json=institution_doc(name="满盘", description="x" * 5000), headers=staff)
    assert r.status_code == 507
    assert r.is_json and "disk space" in r.get_json()["message"]
    assert client.get(f"{API}/institutions", headers=staff).status_code == 200


def test_backup_export_reindex_import_on_a_full_disk_say_one_line(world_on_disk, tmp_path):
    app, client, staff, disk = world_on_disk
    get_backend(app).close()
    data = disk / "data"
    fill(disk)
    # the file being written, or the data folder when the disk is too full to even open the database
    for args, named in [(("backup", str(disk / "copy.db")), (disk / "copy.db", data)),
                        (("export", str(disk / "all.jsonl")), (disk / "all.jsonl", data)),
                        (("reindex",), data)]:
        one_line_naming(cli(data, *args), named, "no space left")
    assert not list(disk.glob("*.partial")), list(disk.iterdir())
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(f'{{"kind": "institution", "id": "i{n}", "name": "机构{n}", "type": "bank", "instruments": ["debt"],'
                             f' "industries": [], "stages": ["growth"], "ticket_min": 1, "ticket_max": 2, "description": "{"x" * 4000}"}}\n'
                             for n in range(200)))
    one_line_naming(cli(data, "import", str(lines)), data, "no space left")


def test_a_read_only_folder_is_503_and_one_line(world_on_disk):
    app, client, staff, disk = world_on_disk
    get_backend(app).close()
    assert subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode == 0
    r = client.post(f"{API}/institutions", json=institution_doc(name="只读"), headers=staff)
    assert r.status_code in (503, 507) and r.is_json and "data folder" in r.get_json()["message"]
    one_line_naming(cli(disk / "data", "reindex"), disk / "data", "cannot read or write")


def _damage(path: Path, at: int, size: int = 16) -> None:
    data = bytearray(path.read_bytes())
    data[at:at + size] = b"\xa5" * size
    path.write_bytes(bytes(data))


@pytest.fixture
def stopped_world(tmp_path, password_hash):
    data = tmp_path / "data"
    assert cli(data, "init").returncode == 0
    app = create_app({"TESTING": True, "DATA_DIR": str(data), "SECRET_KEY": "t"})
    client = app.test_client()
    staff = Actors(app, client, password_hash).as_staff()
    for n in range(30):
        client.post(f"{API}/institutions", json=institution_doc(name=f"机构{n}", description="长" * 2000), headers=staff)
    get_backend(app).close()
    (database,) = [p for p in data.iterdir() if p.suffix in (".db", ".sqlite", ".sqlite3") and "counters" not in p.name]
    return data, database


def test_a_damaged_header_is_503_and_one_line_naming_the_file(stopped_world):
    data, database = stopped_world
    _damage(database, 0)
    app = create_app({"TESTING": True, "DATA_DIR": str(data), "SECRET_KEY": "t"})
    r = app.test_client().post(f"{API}/auth/token", json={"username": "a", "password": "b"})
    assert r.status_code == 503 and "damaged" in r.get_json()["message"]
    one_line_naming(cli(data, "reindex"), database, "damaged header")
    report = cli(data, "check")
    assert report.returncode == 1 and str(database) in report.stderr and "Traceback" not in report.stderr


def test_damaged_pages_are_told_at_start_and_by_check(stopped_world):
    data, database = stopped_world
    assert cli(data, "check").returncode == 0
    assert check_data_folder(data) == []
    page = int.from_bytes(database.read_bytes()[16:18], "big")
    for number in range(1, database.stat().st_size // page):  # the page headers of every page but the first
        _damage(database, number * page, 8)
    problems = check_data_folder(data)
    assert problems and str(database) in problems[0] and "damaged" in problems[0]
    report = cli(data, "check")
    assert report.returncode == 1 and "damaged" in report.stderr and "Traceback" not in report.stderr


def test_serve_warns_at_start_of_a_damaged_database(stopped_world):
    from tests.server import free_port

    data, database = stopped_world
    page = int.from_bytes(database.read_bytes()[16:18], "big")
    for number in range(1, database.stat().st_size // page):
        _damage(database, number * page, 8)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHMAKER_", "FLASK_"))}
    env["MATCHMAKER_DATA_DIR"] = str(data)
    server = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "serve", "--port", str(free_port())],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = server.stderr.readline()  # the start-up check speaks before anything is served
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert first.startswith("warning:") and str(database) in first and "damaged" in first, first


def test_reads_go_on_when_the_disk_was_full_before_the_start(world_on_disk, monkeypatch):
    """The service stopped, the disk filled, the service started again: SQLite's WAL needs
    its ``-shm`` file, which there is no room to make; the records open read-only instead,
    so reads answer (and writes say 507, as on a disk that filled while running)."""
    app, client, staff, disk = world_on_disk
    get_backend(app).close()
    data = disk / "data"
    assert not list(data.glob("*-shm")), list(data.iterdir())  # a clean stop leaves none
    fill(disk)
    monkeypatch.setattr("matchmaker.records.store.READ_ONLY_SECONDS", 0)  # each use tries for a writable one: no waiting here
    again = create_app({"TESTING": True, "DATA_DIR": str(data)})
    try:
        client = again.test_client()
        r = client.get(f"{API}/institutions", headers=staff)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["total"] == 1
        assert client.get(f"{API}/auth/me", headers=staff).status_code == 200
        r = client.post(f"{API}/institutions", json=institution_doc(name="满盘"), headers=staff)
        assert r.status_code == 507 and "disk space" in r.get_json()["message"]
        # room again: the next connection is a writable one
        for filler in disk.glob("filler-*"):
            filler.unlink()
        assert client.post(f"{API}/institutions", json=institution_doc(name="有空间"), headers=staff).status_code == 201
        assert client.get(f"{API}/institutions", headers=staff).get_json()["total"] == 2
    finally:
        get_backend(again).close()


@pytest.mark.slow
def test_the_server_started_on_a_full_disk_serves_reads(small_disk):
    """``matchmaker serve`` (two workers) on a disk that filled while it was stopped: it
    warns, and answers reads; a write is 507."""
    from tests.server import Server

    data = small_disk / "data"
    assert cli(data, "init").returncode == 0
    made = subprocess.run([sys.executable, "-m", "matchmaker.cli", "users", "create", "erin", "--role", "staff",
                           "--password-stdin"], input="a long pass phrase 2\n", capture_output=True, text=True,
                          env={**os.environ, "MATCHMAKER_DATA_DIR": str(data)}, timeout=120)
    assert made.returncode == 0, made.stderr
    env = {"MATCHMAKER_RATE_LIMIT_ENABLED": "false"}
    with Server(data, workers=2, extra_env=env) as server:
        headers = server.token("erin", "a long pass phrase 2")
        assert requests.post(server.url + f"{API}/institutions", json=institution_doc(), headers=headers, timeout=10).status_code == 201
    # the last connection to close checkpoints the WAL and removes -wal and -shm (whatever
    # the stopped workers left): the state of a clean stop
    import sqlite3
    last = sqlite3.connect(data / "records.sqlite3")
    last.execute("SELECT count(*) FROM sqlite_master").fetchone()
    last.close()
    assert not list(data.glob("records.sqlite3-*")), list(data.iterdir())
    fill(small_disk)
    with Server(data, workers=2, extra_env=env) as server:
        server.process.terminate()
        said = server.process.communicate(timeout=30)[0]
    assert "0 MiB free" in said and "damaged" not in said, said  # full, and the database is sound
    with Server(data, workers=2, extra_env=env) as server:
        for _ in range(4):  # fresh connections: both workers
            r = requests.get(server.url + f"{API}/institutions", headers={**headers, "Connection": "close"}, timeout=10)
            assert r.status_code == 200 and r.json()["total"] == 1, r.text
        r = requests.post(server.url + f"{API}/institutions", json=institution_doc(name="满盘"), headers=headers, timeout=10)
        assert r.status_code == 507 and "disk space" in r.json()["message"]
