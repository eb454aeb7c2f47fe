#!/usr/bin/env python3
"""A bounded load on a matchmaker server on loopback: concurrent clients for some seconds.

    scripts/loadgen.py URL TOKEN --seconds 10 --clients 16 --path '/api/v1/needs?q=电池' ...
    scripts/loadgen.py URL TOKEN --paths-file paths.txt

Each client thread loops over the paths with its own keep-alive connection until the time
is up, client n of C asking paths n, n + C, n + 2C and so on: each path once in each pass
over the list (a list of distinct paths at least as long as the requests is a load of
requests not asked before) (plain ``http.client``: the load generator shares the machine's cores with the server
and should take as little of them as it can), then the process prints one JSON line: requests, errors (non-2xx or exceptions),
requests per second and latency percentiles in milliseconds.  Only loopback hosts are
accepted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--path", action="append", default=[], help="a path to request (repeatable)")
    parser.add_argument("--paths-file", type=argparse.FileType(encoding="utf-8"), help="more paths, one a line")
    args = parser.parse_args()
    if args.paths_file:
        args.path += [line.strip() for line in args.paths_file if line.strip()]
    if not args.path:
        sys.exit("give the paths to request with --path or --paths-file")
    if urlsplit(args.url).hostname not in LOOPBACK:
        sys.exit("loadgen only targets a server on this machine's loopback")
    if not 0 < args.seconds <= 300 or not 0 < args.clients <= 256:
        sys.exit("--seconds must be in (0, 300] and --clients in (0, 256]")

    deadline = time.monotonic() + args.seconds
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}  # what the errors were: a status code or an exception's name
    lock = threading.Lock()

    target = urlsplit(args.url)
    headers = {"Authorization": f"Bearer {args.token}", "Accept": "application/json"}

    def client(offset: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        mine, failed, i = [], 0, offset
        while time.monotonic() < deadline:
            path = target.path.rstrip("/") + args.path[i % len(args.path)]
            i += args.clients
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                kind = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()  # reconnects on the next request
                ok, kind = False, type(exc).__name__
            mine.append((time.perf_counter() - started) * 1000)
            if not ok:
                failed += 1
                with lock:
                    kinds[kind] = kinds.get(kind, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]
    print(json.dumps({
        "requests": len(latencies),
        "errors": errors,
        "error_kinds": kinds,
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
    }))


if __name__ == "__main__":
    main()
