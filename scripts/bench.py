#!/usr/bin/env python3
"""Load and search benchmarks for the matchmaker.

Loads N synthetic needs (default 100,000) and their enterprises through the same import
path as ``matchmaker import``, then times a set of needs searches, the matches for one
need and the deal flow of one institution of each type through the service layer the API
calls, and prints import rates and p50/p95/p99 latencies (nothing is cached: every call
asks the engine), and the product's cost over raw tantivy for the same text query with
facets.  Every search must find what its label says: one with no hits, or one whose words
were relaxed to any-word, stops the run.  ``--http`` adds the real server: latencies of
requests not asked before, four loads from a second process (the last two: cold distinct
searches, then cold distinct searches and matches, per second), with the server's CPU time
per request (which other work on the machine does not inflate as it does the rates), and
the server's peak memory.

    .venv/bin/python scripts/bench.py                      # 100,000 needs, embedded (records + tantivy)
    .venv/bin/python scripts/bench.py --needs 1000000 --repeat 50
    MATCHMAKER_SEARCH_BACKEND=opensearch MATCHMAKER_SEARCH_URL=... scripts/bench.py

The data folder is a fresh temporary one unless --data-dir is given (then a loaded data
set is reused when it already holds enough needs).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker import clock, create_app  # noqa: E402
from matchmaker.cli import demo_today  # noqa: E402
from matchmaker.demo import dataset  # noqa: E402
from matchmaker.core.users import User  # noqa: E402
from matchmaker.errors import MatchmakerError  # noqa: E402
from matchmaker.importexport import import_file  # noqa: E402
from matchmaker.matches.service import MatchService  # noqa: E402
from matchmaker.needs.service import NeedService  # noqa: E402
from matchmaker.scoring.settings import get_settings  # noqa: E402
from matchmaker.search import Query, Terms  # noqa: E402
from matchmaker.storage import get_backend  # noqa: E402

STAFF = User({"id": "bench", "username": "bench", "role": "staff"})
NEED_SEARCHES = {
    "text zh (电池)": {"q": "电池"},
    "text en (financing)": {"q": "financing"},
    "text zh+en (研发 R&D)": {"q": "研发 R&D"},
    "filters (industry, instrument, status)": {"industry": ["new_energy", "biomedicine"], "instrument": ["equity"], "status": ["open"]},
    "amount range + filters": {"min_amount": 1_000_000, "max_amount": 20_000_000, "instrument": ["debt", "guarantee"]},
    "text + filters + facets": {"q": "产能 扩张", "industry": ["advanced_manufacturing", "new_energy"], "status": ["open"], "min_amount": 500_000},
    "all, page 50, sorted by amount": {"sort": "-amount", "page": 50},
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def write_data_files(folder: Path, needs_wanted: int, enterprises: int | None = None) -> tuple[Path, Path, int, int]:
    """Demo-like enterprises (about one per need unless ``enterprises`` says how many) and
    needs, written as two JSON Lines files."""
    data = dataset.generate(max(1, enterprises or round(needs_wanted / 1.015)))
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


def time_calls(fn, repeat: int, before=None, warm_ups: int = 1) -> list[float]:
    """Milliseconds of ``repeat`` calls after ``warm_ups`` untimed ones; ``before`` runs
    untimed ahead of each (to empty the result cache, say)."""
    for _ in range(warm_ups):  # the page cache, and what a process prepares once
        fn()
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_in_turn(first, second, repeat: int) -> tuple[list[float], list[float]]:
    """Milliseconds of ``repeat`` calls of each, one of each in turn (after one warm-up
    call each): on a machine others share, both see the same load."""
    first(), second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, into in ((first, samples[0]), (second, samples[1])):
            started = time.perf_counter()
            fn()
            into.append((time.perf_counter() - started) * 1000)
    return samples


def report_latency(label: str, samples: list[float], extra: str = "") -> None:
    print(
        f"{label:<44} p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 95):7.1f} ms  "
        f"p99 {percentile(samples, 99):7.1f} ms {extra}"
    )


def check_finds(label: str, result: dict) -> None:
    """A bench query must find what its label says: hits, and every word of its text."""
    if not result["total"] or result.get("relaxed"):
        raise SystemExit(f"bench query {label!r} found {result['total']} hits{' (relaxed to any word)' if result.get('relaxed') else ''}:"
                         " choose words the data holds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--needs", type=int, default=100_000, help="number of needs to load (default 100,000)")
    parser.add_argument("--repeat", type=int, default=100, help="timed runs of each search")
    parser.add_argument("--enterprises", type=int, help="enterprises to load (default: about one per need)")
    parser.add_argument("--data-dir", type=Path, help="reuse this data folder instead of a temporary one")
    parser.add_argument("--http", action="store_true", help="also time the real server over HTTP, under load")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes for --http")
    parser.add_argument("--threads", type=int, default=8, help="threads of each server worker for --http (serve's default: 8)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for the load in --http")
    parser.add_argument("--seconds", type=float, default=15, help="how long the load runs in --http")
    parser.add_argument("--beside", type=Path, metavar="DIR",
                        help="load the same data into the embedded engine's data folder DIR too (kept for next time), run "
                             "the same workloads on both and print them side by side, with whether their hits agree")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="matchmaker-bench-"))
    app = create_app({"DATA_DIR": str(data_dir)})
    backend = get_backend(app)
    day = keep_demo_date(app, backend)
    print(f"backend {app.config['SEARCH_BACKEND']}, data folder {data_dir}, today {day.isoformat()}")
    with clock.as_of(day):
        run(app, backend, data_dir, args)


def keep_demo_date(app, backend):
    """The day the synthetic data is as of, kept in the data folder as ``seed --demo`` keeps
    it, for this process and the server: the demo's zone of 2012 read in another year has
    every high-tech certificate lapsed and its accounts years old, and no bank could take a
    single need.  A folder loaded before the day was kept is refused (its needs carry their
    enterprises' facts as of the day they were loaded)."""
    backend.init()
    if clock.stored_today(app.config["DATA_DIR"]) is None and backend.count("needs"):
        raise SystemExit(f"bench: {app.config['DATA_DIR']} holds needs loaded without the demo's date; "
                         "remove the folder (or give another --data-dir) to load them again")
    return demo_today(app)


def run(app, backend, data_dir: Path, args) -> None:
    load(backend, app.config["SEARCH_BACKEND"], args)
    print(f"needs in store: {backend.count('needs'):,}")
    if args.beside:
        other = create_app({"DATA_DIR": str(args.beside), "SEARCH_BACKEND": "embedded"})
        keep_demo_date(other, get_backend(other))
        load(get_backend(other), "embedded", args)
        side_by_side(other, app, args.repeat)
        return

    service = NeedService(backend)
    for label, params in NEED_SEARCHES.items():
        full = {"page": 1, "per_page": 20, **params}
        result = service.search(STAFF, full)
        check_finds(label, result)
        report_latency(f"needs search: {label}", time_calls(lambda: service.search(STAFF, full), args.repeat),
                       f"({result['total']:,} hits)")

    bench_matches(app, backend, args.repeat)
    raw_ratio(backend, service, args.repeat)
    if args.http:
        backend.close()
        bench_http(data_dir, args)


def load(backend, name: str, args) -> None:
    """Import the synthetic data set unless the data folder holds enough needs already
    (the backend is initialised: :func:`keep_demo_date`)."""
    if backend.count("needs") >= args.needs:
        return
    with tempfile.TemporaryDirectory() as folder:
        enterprises_file, needs_file, n_enterprises, n_needs = write_data_files(Path(folder), args.needs, args.enterprises)
        timed_import(backend, enterprises_file, f"{name} enterprises", n_enterprises + 20)
        timed_import(backend, needs_file, f"{name} needs", n_needs)


def side_by_side(embedded_app, cluster_app, repeat: int) -> None:
    """The same workloads on the embedded engine and on the cluster, one line each: cold
    p50/p95 (result cache emptied before each call), hits, and whether the first page is
    the same (ids in order), else how many of its ids both have (text relevance is each
    engine's own BM25: equal hits, not always an equal order)."""
    engines = [(embedded_app, get_backend(embedded_app)), (cluster_app, get_backend(cluster_app))]
    names = [app.config["SEARCH_BACKEND"] for app, _ in engines]
    print(f"{'workload':<46} {names[0] + ' p50/p95 ms':>22} {names[1] + ' p50/p95 ms':>24}   hits {names[0]} / {names[1]}   first page")
    workloads = [(f"needs search: {label}", lambda app, backend, params=params: _page(
        NeedService(backend).search(STAFF, {"page": 1, "per_page": 20, **params}), "id"))
        for label, params in NEED_SEARCHES.items()]
    embedded = engines[0][1]
    sample = [d["id"] for d in embedded.search("needs", Query(filters=[Terms("status", ["open"])], page=7, per_page=50)).items]
    turn = iter(range(10**9))
    workloads.append((f"matches for one need ({len(sample)} in turn)", lambda app, backend: _page(
        MatchService(backend, get_settings(app)).matches(STAFF, sample[next(turn) % len(sample)], {"page": 1, "per_page": 20}),
        "institution")))
    first_of_type: dict[str, str] = {}
    for institution in embedded.scan("institutions"):
        first_of_type.setdefault(institution["type"], institution["id"])
    for kind, institution_id in first_of_type.items():
        workloads.append((f"deal flow: {kind} ({institution_id})", lambda app, backend, i=institution_id: _page(
            MatchService(backend, get_settings(app)).dealflow(STAFF, i, {"page": 1, "per_page": 20}), "need")))
    for label, work in workloads:
        cells, pages = [], []
        for app, backend in engines:
            with app.app_context():
                turn = iter(range(10**9))  # both engines see the same needs in turn
                try:
                    page = work(app, backend)
                    samples = time_calls(lambda: work(app, backend), repeat, before=backend.derived.clear)
                except MatchmakerError as exc:  # over the search budget, say: what the API would answer
                    pages.append(((), None))
                    cells.append(f"refused: {exc.code}")
                    continue
            pages.append(page)
            cells.append(f"{statistics.median(samples):8.1f} / {percentile(samples, 95):7.1f}")
        shared = len(set(pages[0][0]) & set(pages[1][0]))
        same = "same" if pages[0] == pages[1] else f"{shared}/{len(pages[0][0])} shared"
        hits = [f"{n:,}" if n is not None else "-" for _, n in pages]
        print(f"{label:<46} {cells[0]:>22} {cells[1]:>24}   {hits[0]:>9} / {hits[1]:<9}  {same}")


def _page(result: dict, kind: str) -> tuple[tuple, int]:
    """The ids of a page in order, and the hits (a deal flow's: the eligible needs)."""
    ids = tuple(item[kind]["id"] if kind != "id" else item["id"] for item in result["items"])
    return ids, result.get("eligible_total", result["total"])


def bench_matches(app, backend, repeat: int) -> None:
    """Matches for one need (a different open need each call) and the first page of deal
    flow for one institution of each type, through the service the API calls."""
    service = MatchService(backend, get_settings(app))
    args = {"page": 1, "per_page": 20}
    sample = backend.search("needs", Query(filters=[Terms("status", ["open"])], page=7, per_page=200)).items
    if sample:
        needs = iter(sample * (repeat // len(sample) + 2))
        cold = time_calls(lambda: service.matches(STAFF, next(needs)["id"], args), repeat)
        institutions = backend.count("institutions")
        report_latency("matches for one need", cold, f"({institutions} institutions, {len(sample)} needs in turn)")
    first_of_type: dict[str, dict] = {}
    for institution in backend.scan("institutions"):
        first_of_type.setdefault(institution["type"], institution)
    every, every_cpu = [], []
    for kind, institution in first_of_type.items():
        result = service.dealflow(STAFF, institution["id"], args)
        cpu: list[float] = []
        cold = time_calls(on_cpu(lambda: service.dealflow(STAFF, institution["id"], args), cpu), repeat)
        every += cold
        every_cpu += cpu[1:]
        report_latency(f"deal flow: {kind} ({institution['id']})", cold,
                       f"({result['eligible_total']:,} eligible of {result['total']:,} open; CPU p50 {statistics.median(cpu[1:]):.1f} ms)")
    if every:
        report_latency(f"deal flow: all {len(first_of_type)} institutions", every, f"(CPU p50 {statistics.median(every_cpu):.1f} ms)")


def on_cpu(fn, samples: list[float]):
    """``fn``, adding the CPU milliseconds of each call to ``samples``: on a machine others
    share, the figure the load changes least."""
    def timed():
        started = time.process_time()
        fn()
        samples.append((time.process_time() - started) * 1000)
    return timed


RATIO_SEARCH = "text + filters + facets"
#: Text searches with the needs page's three facets, timed as the product and as raw tantivy.
RATIO_TEXTS = ["电池", "研发 R&D", "产能 扩张", "equipment"]
RATIO_FACETS = ["industry", "instrument", "stage"]


def raw_ratio(backend, service, repeat: int) -> None:
    """The needs search of the service (validation, access, the records read for the page)
    over raw tantivy on the same live index: the same tokens in the same weighted fields,
    top 20 by score, the count and the three facets, the ids of the page read back."""
    import tantivy

    from matchmaker.search.analysis import tokenize

    if not hasattr(backend, "folders"):
        return  # a cluster backend: no tantivy folder to compare with
    folder = backend.folders.root / backend.folders.current_name() / "needs"
    raw_index = tantivy.Index.open(str(folder))
    schema = raw_index.schema
    weights = {f"text__{path}": w for path, w in backend.spec("needs").search_fields.items()}
    Q = tantivy.Query

    def raw(text: str) -> int:
        searcher = raw_index.searcher()
        per_token = [Q.boolean_query([(tantivy.Occur.Should, Q.boost_query(Q.term_query(schema, name, t, index_option="freq"), w))
                                      for name, w in weights.items()]) for t in dict.fromkeys(tokenize(text))]
        q = Q.boolean_query([(tantivy.Occur.Must, p) for p in per_token])
        hits = searcher.search(q, 20, count=True)
        [searcher.doc(address).get_first("id") for _, address in hits.hits]
        searcher.aggregate(q, {f: {"terms": {"field": f, "size": 1000}} for f in RATIO_FACETS})
        return hits.count

    ratios, cpu_ratios = [], []
    for text in RATIO_TEXTS:
        args = {"q": text, "page": 1, "per_page": 20}
        result = service.search(STAFF, args)
        check_finds(f"text {text}", result)
        cpu_product, cpu_bare = [], []  # the process's CPU, its helper threads' too
        product, bare = time_in_turn(on_cpu(lambda: service.search(STAFF, args), cpu_product),
                                     on_cpu(lambda: raw(text), cpu_bare), repeat)
        ratio = statistics.median(product) / max(statistics.median(bare), 1e-6)
        cpu_ratio = statistics.median(cpu_product) / max(statistics.median(cpu_bare), 1e-6)
        ratios.append(ratio)
        cpu_ratios.append(cpu_ratio)
        print(f"text {text!r:<12} hits product {result['total']:>7,} raw {raw(text):>7,}   p50 ms: product "
              f"{statistics.median(product):6.2f}  raw tantivy {statistics.median(bare):6.2f}   product/raw {ratio:.2f}x"
              f"   CPU {cpu_ratio:.2f}x")
    print(f"product / raw tantivy, median of the texts: {statistics.median(ratios):.2f}x "
          f"(CPU, helper threads too: {statistics.median(cpu_ratios):.2f}x)")


#: The filters the cold distinct searches vary, besides their text (none, then each value).
DISTINCT_FILTERS = [{}, {"status": ["open"]}, *({"instrument": [v]} for v in dataset.INSTRUMENT_WORDS),
                    *({"industry": [v]} for v in dataset.NAME_WORDS)]
#: Pages of each text and filter the cold distinct searches ask, at most.
DISTINCT_PAGES = 30


def distinct_searches(api: requests.Session, url: str) -> list[str]:
    """Needs searches no two alike, each a full page of hits that have all its words: the
    demo's words (each in Chinese and English) times :data:`DISTINCT_FILTERS` times the
    pages they fill, in a fixed shuffled order (more than a 15 s load asks)."""
    pairs = [pair for group in dataset.NAME_WORDS.values() for pair in group]
    pairs += [*dataset.PURPOSES.values(), *dataset.INSTRUMENT_WORDS.values()]
    found = []
    for text in dict.fromkeys(word for pair in pairs for word in pair):
        for filters in DISTINCT_FILTERS:
            params = {"q": text, **filters, "per_page": 20}
            answer = api.get(url + "/api/v1/needs", params={**params, "per_page": 1}, timeout=30).json()
            if answer.get("relaxed"):  # no need has every word: not what the label says
                continue
            found += [f"/api/v1/needs?{urlencode({**params, 'page': page}, doseq=True)}"
                      for page in range(1, min(DISTINCT_PAGES, answer["total"] // 20) + 1)]
    random.Random(5).shuffle(found)
    return found


def ensure_bench_user(data_dir: Path) -> None:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "matchmaker.cli", "users", "create", BENCH_USER, "--role", "staff",
                    "--password-stdin"], input=BENCH_PASSWORD + "\n", env=env, capture_output=True, text=True)


def _family(pid: int) -> list[Path]:
    """/proc folders of a process and its children (the server and its workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            found.append(stat.parent)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server and its workers have used so far: divided by
    the requests a load made, the server's cost per request, whatever else the machine runs."""
    ticks = 0
    for folder in _family(pid):
        try:
            fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0
    for folder in _family(pid):
        try:
            status = (folder / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def bench_http(data_dir: Path, args) -> None:
    """The real server (``matchmaker serve``) over HTTP: latencies, throughput, memory."""
    ensure_bench_user(data_dir)
    port = free_port()
    # a load from one address is the point here: the per-address rate limits would refuse it
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), "MATCHMAKER_RATE_LIMIT_ENABLED": "false"}
    log = (data_dir / "bench-server.log").open("w")  # where to look when a load reports errors
    server = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "serve", "--port", str(port), "--workers",
                               str(args.workers), "--threads", str(args.threads)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url)
        token = requests.post(url + "/api/v1/auth/token", json={"username": BENCH_USER, "password": BENCH_PASSWORD},
                              timeout=10).json()["token"]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        institutions = api.get(url + "/api/v1/institutions", params={"per_page": 100}, timeout=10).json()["items"]
        open_needs = [need for page in range(1, 21) for need in api.get(
            url + "/api/v1/needs", params={"status": "open", "per_page": 100, "page": page}, timeout=10).json()["items"]]
        search = {"page": 1, "per_page": 20, **NEED_SEARCHES[RATIO_SEARCH]}
        # Each timed call asks something not asked before (another page, need or institution):
        # what the engine's own caches have seen does not flatter the figures.
        workloads = {
            "needs search (text + filters + facets)": lambda i: ("/api/v1/needs", {**search, "page": 1 + i % 50}),
            "institution search (text + facets)": lambda i: ("/api/v1/institutions", {"q": "担保 贷款"}),
            "matches for one need": lambda i: (f"/api/v1/needs/{open_needs[i % len(open_needs)]['id']}/matches", {}),
            "deal flow for one institution": lambda i: (f"/api/v1/institutions/{institutions[i % len(institutions)]['id']}/dealflow",
                                                        {"page": 1 + i // len(institutions) % 10}),
        }
        print(f"over HTTP: matchmaker serve --workers {args.workers} --threads {args.threads}")
        for label, request in workloads.items():
            counter = iter(range(10**9))

            def call():
                path, params = request(next(counter))
                assert api.get(url + path, params=params, timeout=30).ok

            # each worker prepares an institution's rules, a schema's dumper, once: the
            # timed calls start after a pass over the institutions (as the service's do after one)
            report_latency(f"HTTP {label}", time_calls(call, args.repeat, warm_ups=len(institutions)))
        web = signed_in_browser_session(url)
        pages = iter(range(10**9))
        report_latency("HTTP web page: /needs (staff, HTML)", time_calls(
            lambda: web.get(url + "/needs", params={"page": 1 + next(pages) % 50}, timeout=30).raise_for_status(), args.repeat))

        repeated = [f"/api/v1/needs?{urlencode(search, doseq=True)}", "/api/v1/institutions?q=%E6%8B%85%E4%BF%9D",
                    *(f"/api/v1/needs/{n['id']}/matches" for n in open_needs[:20])]
        popular = [f"/api/v1/needs?{urlencode({**params, 'page': page, 'per_page': 20}, doseq=True)}"
                   for params in NEED_SEARCHES.values() for page in (1, 2, 3)]
        popular += [f"/api/v1/institutions?{urlencode({'q': q})}" for q in ("担保", "贷款", "venture", "科技 银行")]
        searches = [{**params, "page": page, "per_page": 20} for params in NEED_SEARCHES.values() for page in range(1, 41)]
        distinct = [f"/api/v1/needs?{urlencode(params, doseq=True)}" for params in searches]
        distinct += [f"/api/v1/needs/{n['id']}/matches" for n in open_needs]
        random.Random(3).shuffle(distinct)
        cold_searches = distinct_searches(api, url)
        for label, paths in ((f"searches only, {len(popular)} popular ones over and over", popular),
                             ("22 paths over and over", repeated),
                             (f"{len(cold_searches):,} cold distinct searches", cold_searches),
                             (f"{len(distinct):,} cold distinct searches and matches", distinct)):
            used = cpu_seconds(server.pid)
            figures = run_load(url, token, paths, args)
            per_request = (cpu_seconds(server.pid) - used) * 1000 / max(figures["requests"], 1)
            print(f"HTTP under load, {label}: {args.clients} clients for {args.seconds:.0f} s: "
                  f"{figures['per_second']} req/s, {figures['errors']} errors of {figures['requests']} {figures['error_kinds'] or ''}, "
                  f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms; "
                  f"server CPU {per_request:.2f} ms a request (load {os.getloadavg()[0]:.1f})")
        print(f"server peak memory (all processes): {peak_memory_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def run_load(url: str, token: str, paths: list[str], args) -> dict:
    """scripts/loadgen.py in a second process: its one-line JSON summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as listing:
        listing.write("\n".join(paths))
        listing.flush()
        # the token after "--": one that starts with "-" is no option
        load = subprocess.run([sys.executable, str(Path(__file__).with_name("loadgen.py")), "--seconds", str(args.seconds),
                               "--clients", str(args.clients), "--paths-file", listing.name, "--", url, token],
                              capture_output=True, text=True, timeout=args.seconds + 120)
    if load.returncode:
        raise SystemExit(f"loadgen failed: {load.stderr.strip()}")
    return json.loads(load.stdout.strip().splitlines()[-1])


def signed_in_browser_session(url: str) -> requests.Session:
    """A cookie session signed in through the sign-in form, as a browser does."""
    session = requests.Session()
    page = session.get(url + "/sign-in", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # the cookie comes with the redirect: the landing page it names is not what is timed here
    r = session.post(url + "/sign-in", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": csrf},
                     headers={"Referer": url + "/sign-in"}, timeout=10, allow_redirects=False)
    r.raise_for_status()
    if not r.is_redirect:
        raise SystemExit(f"signing in to the web pages failed: {r.status_code}")
    return session


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 300  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/api/v1/openapi.json", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BENCH_USER, BENCH_PASSWORD = "bench-staff", "bench staff password"


if __name__ == "__main__":
    main()
