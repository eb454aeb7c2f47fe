"""The crash test of scripts/crash_test.py in its short form: 20 SIGKILLs mid-write."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crash_test.py"


def test_acknowledged_writes_survive_sigkill(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "20", "--seconds", "1.0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "20 rounds" in result.stdout and "all present; integrity ok" in result.stdout
    assert result.stdout.count("; ok") == 20
