"""``matchmaker serve``: waitress, in one process or several sharing one listening socket.

Waitress is a threaded server in one process; Python threads share one core for Python
code.  With ``workers > 1`` the parent binds the socket once and forks that many
children, each building its own app (and so its own SQLite connections: a connection
must never cross a fork) and serving the shared socket; the kernel hands each new
connection to one of them.  The parent restarts a child that dies and stops them all on
SIGTERM or SIGINT.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Callable

from flask import Flask

AppFactory = Callable[[], Flask]
#: Work one process of the server does beside serving (the deadline sweep), given its app.
Background = Callable[[Flask], object]


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def serve_socket(app: Flask, sock: socket.socket, threads: int, **adjustments) -> None:
    """Serve ``app`` on ``sock`` until stopped: waitress, its connections made by :func:`channel_class`."""
    from waitress.server import create_server

    logging.basicConfig()  # as waitress.serve does: its warnings reach standard error
    report_queue_depth()
    server = create_server(app, sockets=[sock], threads=threads, ident="matchmaker", channel_timeout=60,
                           connection_limit=1000, **adjustments)
    server.channel_class = channel_class()
    server.print_listen("Serving on http://{}:{}")
    server.run()


#: How often, at most, the server says that requests wait for a free thread.
QUEUE_REPORT_SECONDS = 60.0
#: The report's words: how often requests waited since the last report, and what helps.
_WAITED = "requests waited for a free thread %d times in the last %.0f s, at most %d at once"
_ADVICE = "; more --threads or --workers shorten the wait"
#: The attribute that marks the report's own records (the filter lets them through).
_SUMMARY = "queue_depth_summary"
#: The logger waitress says "Task queue depth" on, where the report sits and speaks.
_QUEUE_LOGGER = "waitress.queue"


def _later(delay: float, action: Callable[[], None]) -> threading.Timer:
    """``action`` in ``delay`` seconds, on a thread that does not keep the process alive."""
    timer = threading.Timer(max(delay, 0.0), action)
    timer.daemon = True
    timer.start()
    return timer


class QueueDepthReport(logging.Filter):
    """Waitress's "Task queue depth is N", said once a minute instead of once a request.

    Waitress warns each time a request arrives while every thread is busy: 3,500 lines in
    45 s of a 16-client load on 2 workers of 8 threads, the log of an ordinary busy
    minute.  The first warning passes as it is; later ones are counted, and when
    ``interval`` seconds have passed since the last report a line says how many there
    were and the deepest queue (what tells whether ``--threads`` or ``--workers`` is
    short): the next warning's, or at the end of the interval if none comes (``later``
    runs that; a burst that ends is said within a minute, not at the next burst)."""

    def __init__(self, interval: float = QUEUE_REPORT_SECONDS, clock: Callable[[], float] = time.monotonic,
                 later: Callable[[float, Callable[[], None]], object] = _later):
        super().__init__()
        self.interval, self.clock, self.later = interval, clock, later
        self._lock = threading.Lock()
        self._reported_at: float | None = None
        self._held = self._deepest = 0
        self._waiting = False  # a report waits for the end of the interval
        self._due = None  # what ``later`` returned for it (a timer to cancel)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SUMMARY, False):
            return True
        depth = record.args[0] if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], int) else 0
        with self._lock:
            now = self.clock()
            if self._reported_at is not None and now - self._reported_at < self.interval:
                self._held += 1
                self._deepest = max(self._deepest, depth)
                if not self._waiting:
                    self._waiting = True
                    self._due = self.later(self._reported_at + self.interval - now, self.flush)
                return False
            if self._reported_at is not None and self._held:
                record.msg = _WAITED + " (now %d)" + _ADVICE
                record.args = (self._held + 1, now - self._reported_at, max(self._deepest, depth), depth)
            self._reported_at, self._held, self._deepest = now, 0, 0
            return True

    def flush(self) -> None:
        """Say what was counted since the last report, if anything: the end of an interval."""
        with self._lock:
            self._waiting, self._due = False, None
            if not self._held:
                return
            now = self.clock()
            args = (self._held, now - self._reported_at, self._deepest)
            self._reported_at, self._held, self._deepest = now, 0, 0
        logging.getLogger(_QUEUE_LOGGER).warning(_WAITED + _ADVICE, *args, extra={_SUMMARY: True})

    def close(self) -> None:
        """Cancel the report waiting for the end of its interval (a test's report, taken off)."""
        with self._lock:
            due, self._waiting, self._due = self._due, False, None
        if hasattr(due, "cancel"):
            due.cancel()


def report_queue_depth(interval: float = QUEUE_REPORT_SECONDS) -> QueueDepthReport:
    """Put a :class:`QueueDepthReport` on waitress's queue logger (once per process)."""
    logger = logging.getLogger(_QUEUE_LOGGER)
    for found in logger.filters:
        if isinstance(found, QueueDepthReport):
            return found
    report = QueueDepthReport(interval)
    logger.addFilter(report)
    return report


def channel_class():
    """Waitress's connection, not polled for writing while its worker thread writes to it.

    A worker sends a response itself, holding the connection's output lock while it does;
    waitress's main loop meanwhile sees output waiting, finds the socket writable, fails
    to take the lock and goes round again: 38-49 turns of the loop a request, a fifth of
    the server's CPU under load.  While the worker writes, this connection tells the loop
    it has nothing to write, and once the worker is done it wakes the loop for what the
    socket did not take.  Output past waitress's high watermark, which the worker waits
    for the loop to send, is always offered."""
    from waitress.channel import HTTPChannel

    class WorkerWritesChannel(HTTPChannel):
        worker_writing = False  # one task at a time writes to a connection

        def write_soon(self, data):
            self.worker_writing = True
            try:
                return super().write_soon(data)
            finally:
                self.worker_writing = False
                if self.total_outbufs_len:
                    self.server.pull_trigger()

        def writable(self):
            if self.worker_writing and self.total_outbufs_len <= self.adj.outbuf_high_watermark:
                return False
            return super().writable()

    return WorkerWritesChannel


def run(make_app: AppFactory, host: str, port: int, threads: int = 8, workers: int = 1,
        background: Background | None = None) -> None:
    """``background`` runs in the single process, or in worker 0 only (one sweeper, not N)."""
    sock = bind(host, port)

    def app_for(number: int) -> Flask:
        app = make_app()
        if background is not None and number == 0:
            background(app)
        return app

    if workers <= 1:
        serve_socket(app_for(0), sock, threads)
        return
    children: dict[int, int] = {}  # pid -> worker number
    stopping = False

    def start(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the child: its own app, its own connections
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                serve_socket(app_for(number), sock, threads)
            finally:
                os._exit(0)
        children[pid] = number

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for number in range(workers):
        start(number)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        number = children.pop(pid, None)
        if number is not None and not stopping:
            print(f"worker {number} (pid {pid}) exited with status {status}; starting a new one", file=sys.stderr)
            time.sleep(0.5)
            start(number)
    sock.close()
