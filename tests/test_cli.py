"""The real ``matchmaker`` command line, run in a subprocess on a temporary data folder.

What it stores is checked with the app itself, opened on the same data folder.
"""
from __future__ import annotations

import json
from datetime import date
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from matchmaker import create_app
from matchmaker.enterprises.service import EnterpriseService
from matchmaker.demo.readiness import enterprises as board_firms
from matchmaker.storage import get_backend
from tests.conftest import enterprise_doc, institution_doc, need_doc

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")

INDEXES = ("institutions", "enterprises", "needs")
PASSWORD = "a long enough password"


def start(data_dir: Path, *args: str) -> subprocess.Popen:
    """``matchmaker ARGS`` with MATCHMAKER_DATA_DIR=data_dir and no other MATCHMAKER_ setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHMAKER_", "FLASK_"))}
    env["MATCHMAKER_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, cwd=data_dir,
    )


def finish(process: subprocess.Popen, input: str | None = "") -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(input, timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run(data_dir: Path, *args: str, input: str | None = "") -> subprocess.CompletedProcess:
    return finish(start(data_dir, *args), input)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """A failed command: non-zero exit, no traceback, exactly one line on stderr."""
    assert result.returncode != 0, (result.args, result.stdout)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@contextmanager
def app_on(data_dir: Path):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "cli-tests"})
    backend = get_backend(app)
    try:
        yield app, backend
    finally:
        backend.close()


def write_jsonl(path: Path, lines: list) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
    return path


def documents(backend) -> dict:
    """Every stored document by index, without what a write renews (version, updated_at)."""
    return {index: {d["id"]: {k: v for k, v in d.items() if k not in ("version", "updated_at")}
                    for d in backend.scan(index)}
            for index in INDEXES}


# -- init ------------------------------------------------------------------------------------
def test_init_is_idempotent(tmp_path):
    first = ok(run(tmp_path, "init"))
    assert str(tmp_path) in first.stdout
    assert (tmp_path / "records.sqlite3").exists() and (tmp_path / "search" / "CURRENT").exists()
    with app_on(tmp_path) as (app, backend):
        stored = EnterpriseService(backend).insert(enterprise_doc())
    ok(run(tmp_path, "init"))
    with app_on(tmp_path) as (app, backend):
        assert backend.get("enterprises", stored["id"]) == stored  # a second init keeps the data


# -- users ------------------------------------------------------------------------------------
def test_users_create_reads_the_password_from_stdin(tmp_path):
    with app_on(tmp_path) as (app, backend):
        backend.init()
        enterprise = EnterpriseService(backend).insert(enterprise_doc())
    result = ok(run(tmp_path, "users", "create", "Lishen", "--role", "enterprise", "--enterprise", enterprise["id"],
                    "--password-stdin", input=PASSWORD + "\n"))
    assert PASSWORD not in result.stdout + result.stderr
    with app_on(tmp_path) as (app, backend):
        stored = backend.get("users", "lishen")
        assert stored["password_hash"].startswith("$argon2id$")
        assert PASSWORD not in json.dumps(stored)
        client = app.test_client()
        r = client.post("/api/v1/auth/token", json={"username": "lishen", "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.get_json()['token']}"}).get_json()
        assert (me["role"], me["enterprise_id"]) == ("enterprise", enterprise["id"])
        # the newline that ended the password is not part of it
        r = client.post("/api/v1/auth/token", json={"username": "lishen", "password": PASSWORD + "\n"})
        assert r.status_code == 401


CLI_ERRORS = [
    ("unknown enterprise", ["users", "create", "user1", "--role", "enterprise", "--enterprise", "no-such",
                            "--password-stdin"], PASSWORD + "\n", "no-such"),
    ("enterprise role without enterprise", ["users", "create", "user1", "--role", "enterprise", "--password-stdin"],
     PASSWORD + "\n", "enterprise"),
    ("institution role with an enterprise", ["users", "create", "user1", "--role", "institution", "--enterprise", "ent",
                                             "--password-stdin"], PASSWORD + "\n", "institution"),
    ("duplicate user", ["users", "create", "TAKEN", "--role", "staff", "--password-stdin"], PASSWORD + "\n", "taken"),
    ("empty stdin", ["users", "create", "user1", "--role", "staff", "--password-stdin"], "", "password"),
    ("blank line on stdin", ["users", "create", "user1", "--role", "staff", "--password-stdin"], "\n", "password"),
    ("short password", ["users", "create", "user1", "--role", "staff", "--password-stdin"], "short\n", "password"),
    ("bad role", ["users", "create", "user1", "--role", "wizard", "--password-stdin"], PASSWORD + "\n", "wizard"),
    ("bad username", ["users", "create", "x!", "--role", "staff", "--password-stdin"], PASSWORD + "\n", "username"),
    ("missing import file", ["import", "no-such-file.jsonl"], "", "no-such-file.jsonl"),
    ("export into a missing folder", ["export", "no/such/folder/out.jsonl"], "", "no/such/folder"),
    ("seed without --demo", ["seed"], "", "--demo"),
    ("unknown command", ["frobnicate"], "", "frobnicate"),
]


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory):
    """Each failing command of CLI_ERRORS, run at the same time, each on its own copy of a
    data folder that holds enterprise ``ent`` and user ``taken``."""
    template = tmp_path_factory.mktemp("template")
    with app_on(template) as (app, backend):
        backend.init()
        EnterpriseService(backend).insert(enterprise_doc(), doc_id="ent")
        backend.create("users", {"username": "taken", "role": "staff", "active": True, "password_hash": "x",
                                 "session_generation": 0}, doc_id="taken")
    runs = {}
    for name, args, stdin, _ in CLI_ERRORS:
        data_dir = tmp_path_factory.mktemp("error")
        shutil.copytree(template, data_dir, dirs_exist_ok=True)
        runs[name] = (data_dir, start(data_dir, *args), stdin)
    return {name: (data_dir, finish(process, stdin)) for name, (data_dir, process, stdin) in runs.items()}


@pytest.mark.parametrize("name,mentions", [(c[0], c[3]) for c in CLI_ERRORS], ids=[c[0] for c in CLI_ERRORS])
def test_errors_are_one_line(error_runs, name, mentions):
    data_dir, result = error_runs[name]
    line = one_line_error(result)
    assert mentions.lower() in line.lower(), line
    assert PASSWORD not in line
    with app_on(data_dir) as (app, backend):
        assert [u["id"] for u in backend.scan("users")] == ["taken"]
        assert [e["id"] for e in backend.scan("enterprises")] == ["ent"]


# -- import ------------------------------------------------------------------------------------
def test_import_reports_each_bad_line_and_keeps_the_good_ones(tmp_path):
    ok(run(tmp_path, "init"))
    lines = [
        {"kind": "need", **need_doc("ent-late", title="先于企业的需求 need before its enterprise"), "id": "need-early"},  # 1
        {"kind": "institution", **institution_doc(), "id": "inst-1"},  # 2
        '{"kind": "enterprise", "name": "broken',  # 3: invalid JSON
        {"kind": "enterprise", **enterprise_doc(name="好企业 Good Co."), "id": "ent-good"},  # 4
        {"kind": "investor", "name": "x"},  # 5: unknown kind
        {"kind": "enterprise", **enterprise_doc(founded="2999-01-01"), "id": "ent-future"},  # 6: a field error
        "",  # 7: blank, skipped
        {"kind": "need", **need_doc("ent-nowhere"), "id": "need-orphan"},  # 8: its enterprise is nowhere
        {"kind": "enterprise", **enterprise_doc(industry="biomedicine", stage="expansion"), "id": "ent-late"},  # 9
        "[1, 2, 3]",  # 10: not an object
        {"kind": "need", **need_doc("ent-good", instrument="debt"), "id": "need-bad-terms"},  # 11: equity share on debt
        {"kind": "need", **need_doc("ent-good"), "id": "need-good"},  # 12
        {"kind": "institution", **institution_doc(ticket_min=5, ticket_max=1), "id": "inst-bad"},  # 13
        {"name": "no kind at all"},  # 14
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    result = run(tmp_path, "import", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    bad = {3, 5, 6, 8, 10, 11, 13, 14}
    reported = {int(line.split(":")[1]) for line in result.stderr.splitlines() if line.startswith(f"{path}:")}
    assert reported == bad, result.stderr
    for number in bad:
        assert f"{path}:{number}:" in result.stderr

    with app_on(tmp_path) as (app, backend):
        assert sorted(d["id"] for d in backend.scan("institutions")) == ["inst-1"]
        assert sorted(d["id"] for d in backend.scan("enterprises")) == ["ent-good", "ent-late"]
        assert sorted(d["id"] for d in backend.scan("needs")) == ["need-early", "need-good"]
        early = backend.get("needs", "need-early")
        # the need that came first carries the facts of the enterprise that came later
        assert (early["industry"], early["stage"]) == ("biomedicine", "expansion")
        assert backend.get("enterprises", "ent-late")["tier"] == "grow"


def test_a_clean_import_exits_zero_and_is_searchable(tmp_path):
    path = write_jsonl(tmp_path / "clean.jsonl", [
        {"kind": "need", **need_doc("e1", title="新能源汽车电池生产线"), "id": "n1"},
        {"kind": "enterprise", **enterprise_doc(), "id": "e1"},
        {"kind": "institution", **institution_doc(), "id": "i1"},
    ])
    result = ok(run(tmp_path, "import", str(path)))
    assert "1 institutions, 1 enterprises, 1 needs" in result.stdout
    ok(run(tmp_path, "import", str(path)))  # again: the ids make it an update, not a copy
    with app_on(tmp_path) as (app, backend):
        assert [backend.count(i) for i in INDEXES] == [1, 1, 1]


def test_an_old_file_s_undated_designation_flags_are_reported_per_line(tmp_path):
    """A flag with no dated, verified record behind it cannot count in any year: the firm is
    imported, the flag left out, and the line says what to give instead."""
    path = write_jsonl(tmp_path / "old.jsonl", [
        {"kind": "enterprise", **enterprise_doc(certifications=[]), "high_tech_certified": True, "listed": True, "id": "e-old"},
        {"kind": "enterprise", **enterprise_doc(), "high_tech_certified": True, "id": "e-exported"},  # backed by its certificate
    ])
    result = ok(run(tmp_path, "import", str(path)))
    assert "2 enterprises" in result.stdout and "with a flag left out: 1" in result.stdout
    notes = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(notes) == 1 and notes[0].startswith(f"{path}:1: imported; ")
    assert "high_tech_certified: true left out (set as a certification with granted_on (kind high_tech))" in notes[0]
    assert "listed: true left out (set as a listing with market and on)" in notes[0]
    with app_on(tmp_path) as (app, backend):
        old, exported = backend.get("enterprises", "e-old"), backend.get("enterprises", "e-exported")
        assert (old["high_tech_certified"], old["listed"], old["certifications"]) == (False, False, [])
        assert exported["high_tech_certified"] is True


# -- demo data, export, reindex ------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A data folder seeded twice with the demo data (once per module: it takes seconds)."""
    data_dir = tmp_path_factory.mktemp("seeded")
    first = ok(run(data_dir, "seed", "--demo"))
    with app_on(data_dir) as (app, backend):
        counts_first = {i: backend.count(i) for i in (*INDEXES, "users")}
    second = ok(run(data_dir, "seed", "--demo"))
    with app_on(data_dir) as (app, backend):
        counts_second = {i: backend.count(i) for i in (*INDEXES, "users")}
    return {"dir": data_dir, "first": first, "second": second, "counts": (counts_first, counts_second)}


def _accounts(output: str) -> list[list[str]]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("demo accounts"))
    return [line.split() for line in lines[start + 1:] if line.strip()]


def test_seed_twice_leaves_one_copy(seeded):
    first, second = seeded["counts"]
    assert first == second
    # the firms of the boards since 2019 come with a demo seeded on a later day, none in 2012's
    assert (first["institutions"], first["enterprises"]) == (20, 1000 + len(board_firms(date(2012, 6, 30))))
    assert first["needs"] > 0
    assert first["users"] == len(_accounts(seeded["first"].stdout))


def test_seed_prints_demo_accounts_that_work(seeded):
    accounts = _accounts(seeded["first"].stdout)
    assert accounts == _accounts(seeded["second"].stdout)
    roles = {account[2] for account in accounts}
    assert {"admin", "staff", "enterprise", "institution"} <= roles
    with app_on(seeded["dir"]) as (app, backend):
        client = app.test_client()
        enterprise = next(a for a in accounts if a[2] == "enterprise")
        username, password, _, bound = enterprise[:4]
        r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.get_json()['token']}"}).get_json()
        assert me["enterprise_id"] == bound
        assert backend.get("enterprises", bound) is not None
        for account in accounts:
            assert account[3] == "-" or backend.get(
                "enterprises" if account[2] == "enterprise" else "institutions", account[3]) is not None


def test_export_then_import_gives_the_same_documents(seeded, tmp_path):
    exported = tmp_path / "export.jsonl"
    result = ok(run(seeded["dir"], "export", str(exported)))
    lines = exported.read_text(encoding="utf-8").splitlines()
    counts = seeded["counts"][1]
    assert len(lines) == sum(counts[i] for i in INDEXES)
    assert str(len(lines)) in result.stdout
    assert {json.loads(line)["kind"] for line in lines} == {"institution", "enterprise", "need"}

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    # designations in force depend on the day: the copy runs on the demo's date too
    (fresh / "today").write_text((seeded["dir"] / "today").read_text())
    ok(run(fresh, "import", str(exported)))
    with app_on(seeded["dir"]) as (app, backend):
        original = documents(backend)
    with app_on(fresh) as (app, backend):
        copied = documents(backend)
    for index in INDEXES:
        assert copied[index].keys() == original[index].keys(), index
        assert copied[index] == original[index], index


def test_reindex_rebuilds_the_search_structures(tmp_path):
    path = write_jsonl(tmp_path / "docs.jsonl", [
        {"kind": "institution", **institution_doc(name="华苑科技融资担保有限公司", type="guarantee",
                                                   instruments=["guarantee"]), "id": "guarantor"},
        {"kind": "institution", **institution_doc(), "id": "vc"},
    ])
    ok(run(tmp_path, "import", str(path)))

    def find(q=None, **filters):
        with app_on(tmp_path) as (app, backend):
            client = app.test_client()
            user = {"username": "searcher", "role": "staff", "active": True, "password_hash": "x", "session_generation": 0}
            if backend.get("users", "searcher") is None:
                backend.create("users", user, doc_id="searcher")
            from matchmaker.core.users import User
            from matchmaker.accounts.service import issue_token
            token = issue_token(backend, User(backend.get("users", "searcher")), 1)["token"]
            r = client.get("/api/v1/institutions", query_string={"q": q, **filters} if q else filters,
                           headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.get_json()
            return [item["id"] for item in r.get_json()["items"]]

    assert find("担保") == ["guarantor"]
    # lose the full-text index behind the backend's back, as a crash or a bad upgrade might
    with app_on(tmp_path) as (app, backend):
        index = backend.folders.live()["institutions"]
        index.clear()
        index.commit()
        index.close()
    assert find("担保") == []

    result = ok(run(tmp_path, "reindex"))
    assert "2 institutions" in result.stdout
    assert find("担保") == ["guarantor"]
    assert find(type="venture_capital") == ["vc"]
    assert sorted(find()) == ["guarantor", "vc"]


def test_the_seeded_demo_reads_today_as_its_date(seeded):
    """A demo deployment needs no setting: the seed keeps the demo's date in the data folder."""
    from datetime import date

    from matchmaker import clock

    assert "demo date: 2012-06-30" in seeded["first"].stdout
    with app_on(seeded["dir"]) as (app, backend):
        with app.app_context():
            assert clock.today() == date(2012, 6, 30)
        from matchmaker.search import Query

        needs = [n for n in backend.scan("needs", Query()) if n.get("published_month")]
        assert needs and all(n["published_month"].startswith("2012-") for n in needs)
        meetings = list(backend.scan("meetings", Query()))
        assert meetings and all(m["starts_at"] < "2012-08" for m in meetings)
