"""Running the real ``matchmaker`` command and server in subprocesses, for end-to-end tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.engines import engine_script

CLI = [sys.executable, "-m", "matchmaker.cli"]


def cli(data_dir: Path, *args: str, input: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run([*CLI, *args], input=input, capture_output=True, text=True, env=env, timeout=300)


def cli_without_test_settings(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI with no ``MATCHMAKER_``/``FLASK_`` variable of the test run: only the data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHMAKER_", "FLASK_"))}
    env["MATCHMAKER_DATA_DIR"] = str(data_dir)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])


#: What starts a real process: a test that calls one is marked ``slow`` (tests/conftest.py).
REAL_PROCESSES = (cli, cli_without_test_settings)


def free_port() -> int:
    return engine_script().free_port()


class Server:
    """``matchmaker serve`` on a free loopback port, stopped when the block ends."""

    def __init__(self, data_dir: Path, extra_env: dict | None = None, workers: int = 1):
        self.data_dir, self.port, self.workers = data_dir, free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), **(extra_env or {})}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--workers", str(self.workers)], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stdout.read()}")
            try:
                requests.get(self.url + "/api/v1/openapi.json", timeout=1)
                return self
            except (requests.ConnectionError, requests.ReadTimeout):  # not up, or still starting
                time.sleep(0.1)
        raise RuntimeError("server did not start within 30 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.stdout.close()

    def token(self, username: str, password: str) -> dict:
        r = requests.post(self.url + "/api/v1/auth/token", json={"username": username, "password": password}, timeout=10)
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['token']}"}


REAL_PROCESSES += (Server, subprocess)  # and a test that starts one with subprocess itself
