#!/usr/bin/env python3
"""Load and search benchmarks for the matchmaker.

Loads N synthetic needs (default 100,000) and their enterprises through the same import
path as ``matchmaker import``, then times a set of needs searches, the matches for one
need and the deal flow of one institution of each type through the service layer the API
calls, and prints import rates and p50/p95/p99 latencies.  Latencies are cold (the result
cache emptied before each call); "cached" is the same call again.  ``--http`` adds the real
server: latencies of requests not asked before, three loads from a second process, and the
server's peak memory.

    .venv/bin/python scripts/bench.py                      # 100,000 needs, SQLite
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
import sqlite3
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker import create_app  # noqa: E402
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


def time_calls(fn, repeat: int, before=None) -> list[float]:
    """Milliseconds of ``repeat`` calls after one warm-up call; ``before`` runs untimed
    ahead of each (to empty the result cache, say)."""
    fn()  # warm the page cache once
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_cold_and_warm(backend, fn, repeat: int) -> tuple[list[float], list[float]]:
    """Calls that compute everything (the backend's result cache emptied before each),
    and the same calls answered from that cache (what a repeated request costs)."""
    cold = time_calls(fn, repeat, before=backend.derived.clear)
    warm = time_calls(fn, repeat)
    return cold, warm


def report_latency(label: str, samples: list[float], extra: str = "", warm: list[float] | None = None) -> None:
    cached = f"  cached p50 {statistics.median(warm):5.1f} ms" if warm else ""
    print(
        f"{label:<44} p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 95):7.1f} ms  "
        f"p99 {percentile(samples, 99):7.1f} ms{cached} {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--needs", type=int, default=100_000, help="number of needs to load (default 100,000)")
    parser.add_argument("--repeat", type=int, default=100, help="timed runs of each search")
    parser.add_argument("--enterprises", type=int, help="enterprises to load (default: about one per need)")
    parser.add_argument("--data-dir", type=Path, help="reuse this data folder instead of a temporary one")
    parser.add_argument("--http", action="store_true", help="also time the real server over HTTP, under load")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes for --http")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for the load in --http")
    parser.add_argument("--seconds", type=float, default=15, help="how long the load runs in --http")
    parser.add_argument("--beside", type=Path, metavar="DIR",
                        help="load the same data into the embedded engine's data folder DIR too (kept for next time), run "
                             "the same workloads on both and print them side by side, with whether their hits agree")
    parser.add_argument("--tantivy", action="store_true",
                        help="only time text searches on a tantivy index of the same needs: SQLite vs the module vs raw tantivy")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="matchmaker-bench-"))
    app = create_app({"DATA_DIR": str(data_dir)})
    backend = get_backend(app)
    print(f"backend {app.config['SEARCH_BACKEND']}, data folder {data_dir}")

    load(backend, app.config["SEARCH_BACKEND"], args)
    print(f"needs in store: {backend.count('needs'):,}")
    if args.beside:
        other = create_app({"DATA_DIR": str(args.beside), "SEARCH_BACKEND": "embedded"})
        load(get_backend(other), "embedded", args)
        side_by_side(other, app, args.repeat)
        return
    if args.tantivy:
        bench_tantivy(backend, data_dir, args.repeat, get_settings(app).config)
        return

    service = NeedService(backend)
    for label, params in NEED_SEARCHES.items():
        full = {"page": 1, "per_page": 20, **params}
        result = service.search(STAFF, full)
        cold, warm = time_cold_and_warm(backend, lambda: service.search(STAFF, full), args.repeat)
        relaxed = ", any-word fallback" if result.get("relaxed") else ""
        report_latency(f"needs search: {label}", cold, f"({result['total']:,} hits{relaxed})", warm)

    bench_matches(app, backend, args.repeat)
    raw_ratio(backend, service, NEED_SEARCHES[RATIO_SEARCH], args.repeat)
    if args.http:
        backend.close()
        bench_http(data_dir, args)


def load(backend, name: str, args) -> None:
    """Import the synthetic data set unless the data folder holds enough needs already."""
    backend.init()
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
        cold = time_calls(lambda: service.matches(STAFF, next(needs)["id"], args), repeat, before=backend.derived.clear)
        warm = time_calls(lambda: service.matches(STAFF, sample[0]["id"], args), repeat)  # the same need again
        institutions = backend.count("institutions")
        report_latency("matches for one need", cold, f"({institutions} institutions, {len(sample)} needs in turn)", warm)
    first_of_type: dict[str, dict] = {}
    for institution in backend.scan("institutions"):
        first_of_type.setdefault(institution["type"], institution)
    every = []
    for kind, institution in first_of_type.items():
        result = service.dealflow(STAFF, institution["id"], args)
        cold, warm = time_cold_and_warm(backend, lambda: service.dealflow(STAFF, institution["id"], args), repeat)
        every += cold
        report_latency(f"deal flow: {kind} ({institution['id']})", cold,
                       f"({result['eligible_total']:,} eligible of {result['total']:,} open)", warm)
    if every:
        report_latency(f"deal flow: all {len(first_of_type)} institutions", every)


RATIO_SEARCH = "text + filters + facets"


def raw_ratio(backend, service, params: dict, repeat: int) -> None:
    """Time the SQL statements one needs search runs, replayed on a bare connection, and
    print how much the whole search (validation, access, JSON) costs on top of them."""
    if not hasattr(backend, "db"):
        return  # not the SQLite backend
    args = {"page": 1, "per_page": 20, **params}
    statements: list[str] = []
    backend.derived.clear()
    backend.db.set_trace_callback(statements.append)
    service.search(STAFF, args)
    backend.db.set_trace_callback(None)
    raw = sqlite3.connect(backend.path)
    raw.execute("PRAGMA cache_size=-65536")
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    raw_samples = time_calls(lambda: [raw.execute(sql).fetchall() for sql in selects], repeat)
    full_samples = time_calls(lambda: service.search(STAFF, args), repeat, before=backend.derived.clear)
    raw.close()
    report_latency(f"raw SQL of '{RATIO_SEARCH}' ({len(selects)} statements)", raw_samples)
    ratio = statistics.median(full_samples) / max(statistics.median(raw_samples), 1e-6)
    print(f"needs search end-to-end (service) / raw SQL, p50: {ratio:.2f}x")


TANTIVY_TEXTS = ["电池", "研发 R&D", "新能源 汽车", "产能 扩张", "equity financing", "loan"]
TANTIVY_FACETS = ["industry", "instrument", "stage"]


def bench_tantivy(backend, data_dir: Path, repeat: int, config) -> None:
    """Top 20 + count + three facets for a few texts, cold, side by side: the SQLite
    backend (its result cache emptied each time), :class:`TantivyIndex` over the same
    needs, and raw tantivy queries on that index (what the engine alone costs)."""
    import tantivy

    from matchmaker.search.analysis import tokenize
    from matchmaker.search.tantivy_index import TantivyIndex

    folder = data_dir / "tantivy-bench" / "needs"
    index = TantivyIndex(folder, backend.spec("needs"))
    if index.count() < backend.count("needs"):
        index.clear()
        started, batch, done = time.perf_counter(), [], 0
        for doc in backend.scan("needs"):
            batch.append(doc)
            if len(batch) == 5000:
                index.upsert(batch)
                done += len(batch)
                batch = []
        index.upsert(batch)
        index.commit()
        done += len(batch)
        elapsed = time.perf_counter() - started
        print(f"tantivy index of {done:,} needs built in {elapsed:.1f} s ({done / elapsed:,.0f} docs/s, read from SQLite included)")
    raw_index = tantivy.Index.open(str(folder))
    schema = raw_index.schema
    weights = {f"text__{path}": w for path, w in backend.spec("needs").search_fields.items()}

    def raw(text: str) -> tuple[int, list]:
        searcher = raw_index.searcher()
        Q = tantivy.Query
        per_token = [Q.boolean_query([(tantivy.Occur.Should, Q.boost_query(Q.term_query(schema, name, t, index_option="freq"), w))
                                      for name, w in weights.items()]) for t in dict.fromkeys(tokenize(text))]
        q = Q.boolean_query([(tantivy.Occur.Must, p) for p in per_token])
        hits = searcher.search(q, 20, count=True)
        ids = [searcher.doc(address).get_first("id") for _, address in hits.hits]
        searcher.aggregate(q, {f: {"terms": {"field": f, "size": 1000}} for f in TANTIVY_FACETS})
        return hits.count, ids

    for text in TANTIVY_TEXTS:
        query = Query(text=text, per_page=20, facets=TANTIVY_FACETS)
        sqlite_total = backend.search("needs", query).total
        module_total = index.search(query).total
        sqlite = time_calls(lambda: backend.search("needs", query), repeat, before=backend.derived.clear)
        module = time_calls(lambda: index.search(query), repeat)
        bare = time_calls(lambda: raw(text), repeat)
        print(f"{text!r:<14} hits sqlite {sqlite_total:>7,} tantivy {module_total:>7,}   p50 ms: sqlite "
              f"{statistics.median(sqlite):7.2f}  module {statistics.median(module):6.2f}  raw {statistics.median(bare):6.2f}"
              f"   module/sqlite {statistics.median(module) / statistics.median(sqlite):.3f}x"
              f"  module/raw {statistics.median(module) / statistics.median(bare):.2f}x")
    bench_tantivy_dealflow(backend, index, repeat, config)
    index.close()


def bench_tantivy_dealflow(backend, index, repeat: int, config) -> None:
    """The deal flow's two ranked queries (eligible needs, the others) for one institution
    of each type: SQLite and the tantivy module, which must give the same page."""
    from matchmaker.scoring.matching import dealflow_boosts, dealflow_complement, dealflow_filters, ordering_boosts

    first_of_type: dict[str, dict] = {}
    for institution in backend.scan("institutions"):
        first_of_type.setdefault(institution["type"], institution)
    for kind, institution in first_of_type.items():
        eligible = dealflow_filters(institution, config)
        others, other_boosts = dealflow_complement(institution, config)
        for label, filters, boosts in (("eligible", eligible, ordering_boosts(dealflow_boosts(institution, config), eligible)),
                                       ("others", others, ordering_boosts(other_boosts, others))):
            query = Query(filters=filters, boosts=boosts)
            expected, got = backend.search("needs", query), index.search(query)
            same = [d["id"] for d in expected.items] == got.ids and expected.total == got.total
            sqlite = time_calls(lambda: backend.search("needs", query), repeat, before=backend.derived.clear)
            module = time_calls(lambda: index.search(query), repeat)
            print(f"deal flow {kind:<16} {label:<8} {got.total:>7,} hits, same page {same}   p50 ms: sqlite "
                  f"{statistics.median(sqlite):7.2f}  module {statistics.median(module):6.2f}")


def ensure_bench_user(data_dir: Path) -> None:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "matchmaker.cli", "users", "create", BENCH_USER, "--role", "staff",
                    "--password-stdin"], input=BENCH_PASSWORD + "\n", env=env, capture_output=True, text=True)


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) != pid and int(fields[1]) != pid:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, ValueError):
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
                               str(args.workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
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
        # Each timed call asks something not asked before (another page, need or institution),
        # so that the server's result cache does not answer it.
        workloads = {
            "needs search (text + filters + facets)": lambda i: ("/api/v1/needs", {**search, "page": 1 + i % 50}),
            "institution search (text + facets)": lambda i: ("/api/v1/institutions", {"q": "担保 贷款"}),
            "matches for one need": lambda i: (f"/api/v1/needs/{open_needs[i % len(open_needs)]['id']}/matches", {}),
            "deal flow for one institution": lambda i: (f"/api/v1/institutions/{institutions[i % len(institutions)]['id']}/dealflow",
                                                        {"page": 1 + i // len(institutions) % 10}),
        }
        print(f"over HTTP: matchmaker serve --workers {args.workers}")
        for label, request in workloads.items():
            counter = iter(range(10**9))

            def call():
                path, params = request(next(counter))
                assert api.get(url + path, params=params, timeout=30).ok

            report_latency(f"HTTP {label}", time_calls(call, args.repeat))
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
        for label, paths in ((f"searches only, {len(popular)} popular ones over and over", popular),
                             ("22 paths over and over (the result cache answers most)", repeated),
                             (f"{len(distinct):,} different searches and matches (the cache rarely helps)", distinct)):
            figures = run_load(url, token, paths, args)
            print(f"HTTP under load, {label}: {args.clients} clients for {args.seconds:.0f} s: "
                  f"{figures['per_second']} req/s, {figures['errors']} errors of {figures['requests']} {figures['error_kinds'] or ''}, "
                  f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
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
        load = subprocess.run([sys.executable, str(Path(__file__).with_name("loadgen.py")), url, token, "--seconds",
                               str(args.seconds), "--clients", str(args.clients), "--paths-file", listing.name],
                              capture_output=True, text=True, timeout=args.seconds + 120)
    if load.returncode:
        raise SystemExit(f"loadgen failed: {load.stderr.strip()}")
    return json.loads(load.stdout.strip().splitlines()[-1])


def signed_in_browser_session(url: str) -> requests.Session:
    """A cookie session signed in through the sign-in form, as a browser does."""
    session = requests.Session()
    page = session.get(url + "/sign-in", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = session.post(url + "/sign-in", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": csrf},
                     headers={"Referer": url + "/sign-in"}, timeout=10)
    r.raise_for_status()
    return session


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/api/v1/openapi.json", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BENCH_USER, BENCH_PASSWORD = "bench-staff", "bench staff password"


if __name__ == "__main__":
    main()
