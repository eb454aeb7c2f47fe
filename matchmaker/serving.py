"""``matchmaker serve``: waitress, in one process or several sharing one listening socket.

Waitress is a threaded server in one process; Python threads share one core for Python
code.  With ``workers > 1`` the parent binds the socket once and forks that many
children, each building its own app (and so its own SQLite connections: a connection
must never cross a fork) and serving the shared socket; the kernel hands each new
connection to one of them.  The parent restarts a child that dies and stops them all on
SIGTERM or SIGINT.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
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


def serve_socket(app: Flask, sock: socket.socket, threads: int) -> None:
    from waitress import serve

    serve(app, sockets=[sock], threads=threads, ident="matchmaker", channel_timeout=60, connection_limit=1000)


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
