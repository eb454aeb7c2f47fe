"""The session signing key in the data folder: made once, private, and the same for
processes that start together on a new folder (``serve --workers`` forks them at once)."""
import multiprocessing
import os
import stat

from matchmaker.config import load_secret_key

import pytest

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


def _load_after(barrier, folder, out):
    barrier.wait()  # every process reaches the missing key at the same moment
    try:
        out.put(load_secret_key(folder))
    except Exception as exc:  # reported, not raised: the parent asserts on it
        out.put(f"error: {exc!r}")


def test_processes_starting_together_agree_on_one_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        folder = tmp_path / f"data{attempt}"
        barrier, out = context.Barrier(8), context.Queue()
        processes = [context.Process(target=_load_after, args=(barrier, folder, out)) for _ in range(8)]
        for p in processes:
            p.start()
        keys = [out.get(timeout=30) for _ in processes]
        for p in processes:
            p.join(timeout=30)
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert (folder / "secret_key").read_text().strip() == keys[0]
        assert sorted(os.listdir(folder)) == ["secret_key"]  # no drafts left behind


def test_the_key_is_private_and_kept(tmp_path):
    key = load_secret_key(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert load_secret_key(tmp_path) == key
