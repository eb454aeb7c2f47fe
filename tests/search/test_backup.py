"""Online backup and restore: the copy is one committed state, and restoring brings it back."""
import threading

import pytest

from matchmaker.errors import ValidationError
from matchmaker.search import Query, create_backend
from matchmaker.search.base import SearchBackend


def make_backend(folder, kind="embedded"):
    backend = create_backend({"DATA_DIR": str(folder), "SEARCH_BACKEND": kind})
    backend.init()
    return backend


def need(i: int) -> dict:
    return {"id": f"n{i:05d}", "title": f"需要资金 {i}", "amount": 1000 + i, "instrument": "debt", "status": "open"}


def everything(backend) -> dict:
    return {name: {d["id"]: {k: v for k, v in d.items() if k != "version"} for d in backend.scan(name)} for name in backend.indexes}


def test_backup_during_writes_restores_a_consistent_state(tmp_path):
    live = make_backend(tmp_path / "live")
    live.bulk_upsert("needs", [need(i) for i in range(3000)])
    stop = threading.Event()
    written = []

    def writer():
        backend = live  # one backend, a connection per thread
        i = 3000
        while not stop.is_set():
            backend.create("needs", need(i))
            written.append(i)
            i += 1
        backend.close()

    thread = threading.Thread(target=writer)
    thread.start()
    copy_file = tmp_path / f"copy{live.backup_suffix}"
    try:
        live.backup(copy_file)
    finally:
        stop.set()
        thread.join()
    copy = make_backend(tmp_path / "restored")
    copy.restore(copy_file)
    ids = sorted(d["id"] for d in copy.scan("needs"))
    # every document of the copy is whole, and the copy holds a prefix of the writes
    assert ids == [f"n{i:05d}" for i in range(len(ids))] and len(ids) >= 3000
    assert copy.search("needs", Query(text="需要资金", per_page=0)).total == len(ids)
    assert copy.get("needs", ids[-1])["amount"] == 1000 + len(ids) - 1


def test_generic_json_lines_backup_round_trips(tmp_path):
    live = make_backend(tmp_path / "live")
    live.bulk_upsert("needs", [need(i) for i in range(1500)])
    live.create("institutions", {"name": "担保公司", "type": "guarantee", "instruments": ["guarantee"], "stages": ["growth"],
                                 "ticket_min": 1, "ticket_max": 2, "status": "entered"}, doc_id="i1")
    counts = SearchBackend.backup(live, tmp_path / "all.jsonl.gz")
    assert counts["needs"] == 1500 and counts["institutions"] == 1
    other = make_backend(tmp_path / "other")
    other.create("needs", need(99999))  # restore replaces what was there
    other.restore(tmp_path / "all.jsonl.gz")
    assert everything(other) == everything(live)
    assert [d["id"] for d in other.search("institutions", Query(text="担保")).items] == ["i1"]


@pytest.mark.parametrize("content", [b"", b"not a backup", b"\x1f\x8bbroken gzip"])
def test_restore_refuses_what_is_not_a_backup_and_keeps_the_data(tmp_path, content):
    live = make_backend(tmp_path / "live")
    live.create("needs", need(1))
    bad = tmp_path / "bad"
    bad.write_bytes(content)
    with pytest.raises(ValidationError):
        live.restore(bad)
    assert live.get("needs", "n00001") is not None


@pytest.mark.parametrize("harm", ["truncated", "no end", "bad line"])
def test_a_damaged_json_lines_backup_is_refused_and_the_data_kept(tmp_path, harm):
    import gzip

    source = create_backend({"DATA_DIR": str(tmp_path / "source")})
    source.init()
    source.bulk_upsert("needs", [need(i) for i in range(2000)])
    good = tmp_path / "all.jsonl.gz"
    SearchBackend.backup(source, good)
    bad = tmp_path / "bad.jsonl.gz"
    if harm == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        lines = gzip.open(good, "rt", encoding="utf-8").read().splitlines(keepends=True)
        lines = lines[:-1] if harm == "no end" else lines[:100] + ['{"index": "needs", "doc": {"title": "no id"}}\n'] + lines[100:]
        with gzip.open(bad, "wt", encoding="utf-8") as out:
            out.writelines(lines)
    live = create_backend({"DATA_DIR": str(tmp_path / "live")})
    live.init()
    live.create("needs", need(99999))
    with pytest.raises(ValidationError):
        live.restore(bad)
    assert [d["id"] for d in live.scan("needs")] == ["n99999"]
    assert live.count("needs") == 1
    live.restore(good)  # the good file goes in whole
    assert live.count("needs") == 2000 and live.get("needs", "n99999") is None
    assert live.search("needs", Query(text="需要资金", per_page=0)).total == 2000
