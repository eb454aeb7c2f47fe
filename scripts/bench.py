#!/usr/bin/env python3
"""Load and search benchmarks for the matchmaker.

Loads N synthetic needs (default 100,000) and their enterprises through the same import
path as ``matchmaker import``, then times a set of needs searches, the matches for one
need and the deal flow of one institution of each type through the service layer the API
calls, and prints import rates and p50/p95/p99 latencies.

    .venv/bin/python scripts/bench.py                      # 100,000 needs, SQLite
    .venv/bin/python scripts/bench.py --needs 1000000 --repeat 50
    MATCHMAKER_SEARCH_BACKEND=elasticsearch MATCHMAKER_ES_URL=... scripts/bench.py

The data folder is a fresh temporary one unless --data-dir is given (then a loaded data
set is reused when it already holds enough needs).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker import create_app, demo  # noqa: E402
from matchmaker.accounts.models import User  # noqa: E402
from matchmaker.importexport import import_file  # noqa: E402
from matchmaker.matches.service import MatchService  # noqa: E402
from matchmaker.needs.service import NeedService  # noqa: E402
from matchmaker.scoring.settings import get_settings  # noqa: E402
from matchmaker.search import Query, Terms  # noqa: E402
from matchmaker.storage import get_backend  # noqa: E402

STAFF = User({"id": "bench", "username": "bench", "role": "staff"})
NEED_SEARCHES = {
    "text zh (电池)": {"q": "电池"},
    "text en (software)": {"q": "software"},
    "text zh+en (研发 R&D)": {"q": "研发 R&D"},
    "filters (industry, instrument, status)": {"industry": ["new_energy", "biomedicine"], "instrument": ["equity"], "status": ["open"]},
    "amount range + filters": {"min_amount": 1_000_000, "max_amount": 20_000_000, "instrument": ["debt", "guarantee"]},
    "text + filters + facets": {"q": "扩大 产能", "industry": ["advanced_manufacturing", "new_energy"], "status": ["open"], "min_amount": 500_000},
    "all, page 50, sorted by amount": {"sort": "-amount", "page": 50},
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def write_data_files(folder: Path, needs_wanted: int) -> tuple[Path, Path, int, int]:
    """Demo-like enterprises and needs, written as two JSON Lines files."""
    data = demo.generate(max(1, round(needs_wanted / 1.015)))
    needs = data.needs
    rng = random.Random(7)
    while len(needs) < needs_wanted:  # top up with variants of existing needs
        extra = dict(rng.choice(data.needs), id=f"need-x{len(needs):07d}")
        needs.append(extra)
    needs = needs[:needs_wanted]
    enterprises_file, needs_file = folder / "enterprises.jsonl", folder / "needs.jsonl"
    with enterprises_file.open("w", encoding="utf-8") as out:
        for doc in data.institutions:
            out.write(json.dumps({"kind": "institution", **doc}, ensure_ascii=False) + "\n")
        for doc in data.enterprises:
            out.write(json.dumps({"kind": "enterprise", **doc}, ensure_ascii=False) + "\n")
    with needs_file.open("w", encoding="utf-8") as out:
        for doc in needs:
            out.write(json.dumps({"kind": "need", **doc}, ensure_ascii=False) + "\n")
    return enterprises_file, needs_file, len(data.enterprises), len(needs)


def timed_import(backend, path: Path, label: str, count: int) -> float:
    started = time.perf_counter()
    report = import_file(backend, path, progress=lambda done, total: print(f"  {label}: {done}/{total}", end="\r", file=sys.stderr))
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    if report.rejected:
        print(f"  {label}: {len(report.rejected)} lines rejected, first: {report.rejected[0]}", file=sys.stderr)
    rate = count / elapsed
    print(f"import {label:<12} {count:>9,} docs  {elapsed:7.1f} s  {rate:9,.0f} docs/s")
    return rate


def time_calls(fn, repeat: int) -> list[float]:
    fn()  # warm caches once
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report_latency(label: str, samples: list[float], extra: str = "") -> None:
    print(
        f"{label:<44} p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 95):7.1f} ms  "
        f"p99 {percentile(samples, 99):7.1f} ms {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--needs", type=int, default=100_000, help="number of needs to load (default 100,000)")
    parser.add_argument("--repeat", type=int, default=100, help="timed runs of each search")
    parser.add_argument("--data-dir", type=Path, help="reuse this data folder instead of a temporary one")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="matchmaker-bench-"))
    app = create_app({"DATA_DIR": str(data_dir)})
    backend = get_backend(app)
    backend.init()
    print(f"backend {app.config['SEARCH_BACKEND']}, data folder {data_dir}")

    loaded = backend.count("needs")
    if loaded < args.needs:
        with tempfile.TemporaryDirectory() as folder:
            enterprises_file, needs_file, n_enterprises, n_needs = write_data_files(Path(folder), args.needs)
            timed_import(backend, enterprises_file, "enterprises", n_enterprises + 20)
            timed_import(backend, needs_file, "needs", n_needs)
    print(f"needs in store: {backend.count('needs'):,}")

    service = NeedService(backend)
    for label, params in NEED_SEARCHES.items():
        full = {"page": 1, "per_page": 20, **params}
        result = service.search(STAFF, full)
        samples = time_calls(lambda: service.search(STAFF, full), args.repeat)
        report_latency(f"needs search: {label}", samples, f"({result['total']:,} hits)")

    bench_matches(app, backend, args.repeat)


def bench_matches(app, backend, repeat: int) -> None:
    """Matches for one need (a different open need each call) and the first page of deal
    flow for one institution of each type, through the service the API calls."""
    service = MatchService(backend, get_settings(app))
    args = {"page": 1, "per_page": 20}
    sample = backend.search("needs", Query(filters=[Terms("status", ["open"])], page=7, per_page=200)).items
    if sample:
        needs = iter(sample * (repeat // len(sample) + 2))
        samples = time_calls(lambda: service.matches(STAFF, next(needs)["id"], args), repeat)
        institutions = backend.count("institutions")
        report_latency("matches for one need", samples, f"({institutions} institutions, {len(sample)} needs in turn)")
    first_of_type: dict[str, dict] = {}
    for institution in backend.scan("institutions"):
        first_of_type.setdefault(institution["type"], institution)
    every = []
    for kind, institution in first_of_type.items():
        result = service.dealflow(STAFF, institution["id"], args)
        samples = time_calls(lambda: service.dealflow(STAFF, institution["id"], args), repeat)
        every += samples
        report_latency(f"deal flow: {kind} ({institution['id']})", samples,
                       f"({result['eligible_total']:,} eligible of {result['total']:,} open)")
    if every:
        report_latency(f"deal flow: all {len(first_of_type)} institutions", every)


if __name__ == "__main__":
    main()
