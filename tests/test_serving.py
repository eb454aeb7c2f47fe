"""``matchmaker serve``'s connections (``serving.channel_class``) in a real waitress server
on a loopback port: whole answers, whatever the socket takes at once, and a main loop that
does not spin while a worker writes; and scripts/loadgen.py, the bench's load, against one."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from matchmaker.serving import QueueDepthReport, channel_class, report_queue_depth

BODY = hashlib.sha256(b"seed").hexdigest().encode() * 40_000  # 2.5 MB, more than a socket takes at once


def chunked(environ, start_response):
    """An answer in 64 KB pieces: each one a write of the worker."""
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BODY)))])
    return (BODY[n : n + 65_536] for n in range(0, len(BODY), 65_536))


def whole(environ, start_response):
    size = int(environ.get("QUERY_STRING") or len(BODY))
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    return [BODY[:size]]


@pytest.fixture
def serve(monkeypatch):
    """Start a server of ``app`` with these adjustments; every server is stopped after the test.

    The main loop waits up to a minute for an event (waitress waits a second): a connection
    whose leftover output nobody wakes the loop for would hang its request past the
    client's timeout, and fail the test, instead of arriving a second late."""
    servers = []

    def start(app, send_buffer: int | None = None, channel=None, threads: int = 4, **adjustments):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = create_server(app, sockets=[sock], threads=threads, asyncore_loop_timeout=60, **adjustments)
        server.channel_class = channel or channel_class()
        if send_buffer:  # each connection's socket takes this much at once
            server.adj.socket_options = [*server.adj.socket_options, (socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)]
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread in servers:
        server.task_dispatcher.shutdown(timeout=1)
        server.trigger.pull_trigger(lambda server=server: close_all(server))  # the loop ends with its last channel
        thread.join(timeout=10)


def close_all(server) -> None:
    """Every connection closed as waitress closes one (its output buffers too: an answer
    past a megabyte waits in a temporary file), then the rest of the server's map."""
    for dispatcher in list(server._map.values()):
        if isinstance(dispatcher, HTTPChannel):
            dispatcher.handle_close()
    wasyncore.close_all(server._map)


def fetch(url: str, slow: bool = False) -> bytes:
    """The answer's body; ``slow`` reads it 8 KB at a time, so the server's socket fills."""
    with requests.get(url, stream=True, timeout=20) as answer:
        answer.raise_for_status()
        return b"".join(answer.iter_content(8_192 if slow else 1 << 20))


def test_answers_bigger_than_the_socket_takes_arrive_whole_to_slow_and_fast_readers(serve):
    url = serve(whole, send_buffer=32_768)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda n: fetch(url, slow=n % 2 == 0), range(16)))
    assert all(body == BODY for body in bodies)


def test_output_past_the_high_watermark_is_sent_while_the_worker_waits_for_it(serve):
    """The worker waits for the main loop to send what is past the watermark: the loop must
    be offered it although the worker is in the middle of writing."""
    url = serve(chunked, send_buffer=16_384, outbuf_high_watermark=100_000)
    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda n: fetch(url, slow=True), range(4)))
    assert all(body == BODY for body in bodies)


def test_leftover_output_is_sent_while_the_worker_makes_the_next_piece(serve):
    """What the socket did not take of a piece goes out while the app works on the next
    one: here the app waits for the client to have the whole first piece."""
    first_received = threading.Event()

    def paused(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(2 * len(BODY)))])
        yield BODY
        first_received.wait(timeout=30)
        yield BODY

    url = serve(paused, send_buffer=16_384)
    with requests.get(url, stream=True, timeout=20) as answer:
        first = answer.raw.read(len(BODY))  # the first piece, and not a byte more
        first_received.set()
        second = answer.raw.read()
    assert first == BODY and second == BODY


def test_a_connection_is_not_offered_to_the_main_loop_while_its_worker_writes(serve):
    """Waitress's loop, offered a connection whose worker holds its output lock to send,
    finds the socket writable, cannot take the lock and goes round again: 38-49 turns a
    request under load, a fifth of the server's CPU.  What the loop is told while a
    worker sends is what decides it."""
    offered_while_sending = []

    class Watched(channel_class()):
        def send(self, data, do_close=True):
            if threading.current_thread() is not threading.main_thread() and self.requests:  # a worker, in a request
                offered_while_sending.append(bool(self.writable()))
            return super().send(data, do_close)

    url = serve(whole, channel=Watched)
    with ThreadPoolExecutor(4) as pool:
        assert all(body == BODY for body in pool.map(lambda n: fetch(url), range(8)))
    assert offered_while_sending and not any(offered_while_sending)


def slow(environ, start_response):
    time.sleep(0.3)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def queue_report():
    """The report ``serve`` puts on waitress's queue logger, taken off after the test."""
    report = report_queue_depth(interval=3600)
    yield report
    report.close()
    logging.getLogger("waitress.queue").removeFilter(report)


def test_requests_waiting_for_a_thread_are_reported_once_an_interval_not_once_each(serve, queue_report, caplog):
    """One thread, six requests at once: waitress says "Task queue depth" for each that
    waits (five lines); the server's log gets the first, the rest are counted."""
    url = serve(slow, threads=1)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: requests.get(url, timeout=30), range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    said = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert len(said) == 1 and said[0].startswith("Task queue depth is"), said
    assert queue_report._held >= 1  # the others were counted, for the next report


def test_the_next_report_says_how_often_and_how_deep_requests_waited():
    now = [100.0]
    report = QueueDepthReport(interval=60, clock=lambda: now[0])

    def warn(depth):
        record = logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, "Task queue depth is %d", (depth,), None)
        return report.filter(record), record.getMessage()

    assert warn(1) == (True, "Task queue depth is 1")
    now[0] = 130.0
    assert [warn(d)[0] for d in (3, 7, 2)] == [False, False, False]
    now[0] = 161.0
    passed, message = warn(1)
    assert passed
    assert message == ("requests waited for a free thread 4 times in the last 61 s, at most 7 at once (now 1); "
                       "more --threads or --workers shorten the wait")
    now[0] = 230.0  # a quiet minute after the report: the next warning is said as waitress says it
    assert warn(2) == (True, "Task queue depth is 2")


def test_a_burst_that_ends_is_reported_when_its_interval_ends(serve, caplog):
    """One thread, six requests at once, then none: the waits are said when the interval
    ends (a line of its own), not left for a next burst that may come hours later."""
    logger = logging.getLogger("waitress.queue")
    report = QueueDepthReport(interval=2)
    logger.addFilter(report)
    try:
        url = serve(slow, threads=1)
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            with ThreadPoolExecutor(6) as pool:
                assert all(a.ok for a in pool.map(lambda _: requests.get(url, timeout=30), range(6)))
            deadline = time.monotonic() + 10
            while len([r for r in caplog.records if r.name == "waitress.queue"]) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        report.close()
        logger.removeFilter(report)
    said = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert len(said) == 2 and said[0].startswith("Task queue depth is"), said
    assert re.fullmatch(r"requests waited for a free thread [1-5] times in the last 2 s, at most [1-5] at once; "
                        r"more --threads or --workers shorten the wait", said[1]), said


def test_the_end_of_an_interval_says_what_was_counted_once(caplog):
    now, waiting = [100.0], []
    report = QueueDepthReport(interval=60, clock=lambda: now[0], later=lambda delay, action: waiting.append((delay, action)))

    def warn(depth):
        return report.filter(logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, "Task queue depth is %d", (depth,), None))

    assert warn(1)
    now[0] = 130.0
    assert not warn(3) and not warn(7)
    assert [delay for delay, _ in waiting] == [30.0]  # one report waits for the interval's end, not one a warning
    now[0] = 160.0
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        waiting[0][1]()
        waiting[0][1]()  # nothing more was counted: nothing more is said
    assert [r.getMessage() for r in caplog.records] == [
        "requests waited for a free thread 2 times in the last 60 s, at most 7 at once; more --threads or --workers shorten the wait"]
    now[0] = 170.0  # within the interval of that report: counted, and said when it ends
    assert not warn(2)
    assert [delay for delay, _ in waiting] == [30.0, 50.0]


def test_the_load_asks_each_path_once_a_pass_over_the_list(serve, tmp_path):
    """Sixteen clients over a list of distinct paths longer than the load's requests: no path
    is asked twice (the bench's "cold distinct" loads), and every request is counted."""
    asked = Counter()
    lock = threading.Lock()

    def counting(environ, start_response):
        with lock:
            asked[environ["PATH_INFO"]] += 1
        time.sleep(0.002)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    url = serve(counting, threads=8)
    paths = tmp_path / "paths.txt"
    paths.write_text("\n".join(f"/p{n}" for n in range(20_000)), encoding="utf-8")
    loadgen = Path(__file__).resolve().parent.parent / "scripts" / "loadgen.py"
    done = subprocess.run([sys.executable, str(loadgen), url, "token", "--seconds", "1", "--clients", "16",
                           "--paths-file", str(paths)], capture_output=True, text=True, timeout=60, check=True)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["errors"] == 0 and summary["requests"] == sum(asked.values()) > 16
    assert max(asked.values()) == 1, asked.most_common(3)
