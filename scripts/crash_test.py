#!/usr/bin/env python3
"""Crash test: writers through the API, the server killed with SIGKILL at random moments.

Each round starts ``matchmaker serve`` on the same data folder, runs writer threads that
create needs and change their amounts, and kills the server (SIGKILL, no warning) at a
random moment.  After every round it checks, with the server down, that
``PRAGMA integrity_check`` answers ``ok`` and that every write the server acknowledged
with a 2xx is there, with the value acknowledged last.

    .venv/bin/python scripts/crash_test.py                 # 20 rounds of about 2 s
    .venv/bin/python scripts/crash_test.py --rounds 200 --workers 2

Exit status 0 when every round holds; otherwise it prints what was lost and exits 1.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "matchmaker.cli"]
PASSWORD = "crash test password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(data_dir: Path, *args: str, stdin: str = "") -> None:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir)}
    result = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode:
        sys.exit(f"matchmaker {' '.join(args)} failed: {result.stderr.strip()}")


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), "MATCHMAKER_RATE_LIMIT_ENABLED": "false"}  # writers as fast as they go
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1)
            return process
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still opening its indexes
            time.sleep(0.05)
    process.kill()
    sys.exit("the server did not start")


class Ledger:
    """What the server acknowledged: need id -> the amount it last confirmed.

    A change sent but not acknowledged (the server died before answering) may or may
    not have landed; ``pending`` keeps those amounts, so either outcome is accepted.
    """

    def __init__(self):
        self.amounts: dict[str, int] = {}
        self.pending: dict[str, set[int]] = {}
        self.lock = threading.Lock()

    def sending(self, need_id: str, amount: int) -> None:
        with self.lock:
            self.pending.setdefault(need_id, set()).add(amount)

    def record(self, need_id: str, amount: int) -> None:
        with self.lock:
            self.amounts[need_id] = amount
            self.pending.pop(need_id, None)

    def acceptable(self, need_id: str) -> set[int]:
        return {self.amounts[need_id], *self.pending.get(need_id, ())}


def writer(api: str, headers: dict, enterprise_id: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    mine: list[str] = []
    while not stop.is_set():
        try:
            if mine and rng.random() < 0.4:
                need_id = rng.choice(mine)
                amount = rng.randint(1, 10**9)
                ledger.sending(need_id, amount)
                r = session.patch(f"{api}/needs/{need_id}", json={"amount": amount}, headers=headers, timeout=5)
                if r.ok:
                    ledger.record(need_id, r.json()["amount"])
            else:
                amount = rng.randint(1, 10**9)
                body = {"enterprise_id": enterprise_id, "title": "崩溃测试 crash test", "amount": amount,
                        "instrument": "debt", "term_months": 12, "status": "open"}
                r = session.post(f"{api}/needs", json=body, headers=headers, timeout=5)
                if r.ok:
                    ledger.record(r.json()["id"], r.json()["amount"])
                    mine.append(r.json()["id"])
        except requests.RequestException:
            time.sleep(0.01)  # the server is down: the round is ending


def stored_amounts(data_dir: Path) -> tuple[str, dict[str, int]]:
    """The database file's integrity verdict and each stored need's amount, read with the
    server down: the embedded backend's records file."""
    db = sqlite3.connect(data_dir / "records.sqlite3")
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT id, body FROM documents WHERE index_name = 'needs'")
        return verdict, {need_id: json.loads(body).get("amount") for need_id, body in rows}
    finally:
        db.close()


def check(data_dir: Path, ledger: Ledger) -> list[str]:
    """Problems found in the database file after a crash (an empty list when all is well)."""
    problems = []
    verdict, stored = stored_amounts(data_dir)
    if verdict != "ok":
        problems.append(f"integrity_check: {verdict}")
    for need_id, amount in ledger.amounts.items():
        if need_id not in stored:
            problems.append(f"acknowledged need {need_id} is missing")
        elif stored[need_id] not in ledger.acceptable(need_id):
            problems.append(f"need {need_id}: acknowledged amount {amount}, stored {stored[need_id]}")
    return problems


def check_search(data_dir: Path) -> list[str]:
    """After the last round: a start indexes what the kills left in the outbox, so search
    finds every stored need."""
    sys.path.insert(0, str(ROOT))
    from matchmaker.search import Query, create_backend

    backend = create_backend({"DATA_DIR": str(data_dir), "SEARCH_BACKEND": os.environ.get("MATCHMAKER_SEARCH_BACKEND")})
    backend.init()
    try:
        _, stored = stored_amounts(data_dir)
        found = backend.search("needs", Query(per_page=0)).total
        return [] if found == len(stored) else [f"search finds {found} needs of {len(stored)} stored"]
    finally:
        backend.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0, help="longest time before the kill in a round")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--seed", type=int, default=2012)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="matchmaker-crash-"))
    cli(data_dir, "users", "create", "crash-staff", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    ledger = Ledger()
    enterprise_id = None
    started = time.monotonic()
    for number in range(1, args.rounds + 1):
        port = free_port()
        server = start_server(data_dir, port, args.workers)
        api = f"http://127.0.0.1:{port}/api/v1"
        token = requests.post(f"{api}/auth/token", json={"username": "crash-staff", "password": PASSWORD}, timeout=10).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        if enterprise_id is None:
            enterprise = {"name": "崩溃测试科技有限公司", "industry": "software_it", "stage": "growth", "founded": "2010-01-01"}
            enterprise_id = requests.post(f"{api}/enterprises", json=enterprise, headers=headers, timeout=10).json()["id"]
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(api, headers, enterprise_id, ledger, stop, rng.random()))
                   for _ in range(args.writers)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, args.seconds))
        os.killpg(server.pid, signal.SIGKILL)  # the server and its workers, mid-write
        server.wait()
        stop.set()
        for t in threads:
            t.join()
        problems = check(data_dir, ledger)
        print(f"round {number:3d}: killed after writes acknowledged so far: {len(ledger.amounts):6d} needs; "
              f"{'ok' if not problems else 'LOST DATA'}", flush=True)
        if problems:
            print("\n".join(problems[:20]))
            return 1
    problems = check_search(data_dir)
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{args.rounds} rounds, {len(ledger.amounts)} acknowledged needs, all present and searchable; "
          f"integrity ok; {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
