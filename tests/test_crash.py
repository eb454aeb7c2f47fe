"""The crash test of scripts/crash_test.py in its short form: 20 SIGKILLs mid-write."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crash_test.py"


def test_acknowledged_writes_survive_sigkill(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "20", "--seconds", "1.0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "20 rounds" in result.stdout and "all present and searchable; integrity ok" in result.stdout
    assert result.stdout.count("; ok") == 20


def test_an_import_killed_half_way_is_completed_by_running_it_again(tmp_path):
    import json
    import signal
    import time

    from matchmaker.search import Query, create_backend
    from tests.conftest import enterprise_doc, need_doc

    lines = [{"kind": "enterprise", "id": f"e{e}", **enterprise_doc(name=f"企业{e}")} for e in range(20)]
    lines += [{"kind": "need", **need_doc(f"e{n % 20}", title=f"需求 {n}", amount=1_000_000 + n)} for n in range(20_000)]
    path = tmp_path / "needs.jsonl"  # needs without ids: each gets one from its content
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "matchmaker.cli", "import", str(path)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    store = create_backend({"DATA_DIR": str(data)})
    store.init()
    try:
        assert store.count("needs") == 20_000 == len({d["title"] for d in store.scan("needs")})
        assert store.search("needs", Query(text="需求", per_page=0)).total == 20_000
    finally:
        store.close()
