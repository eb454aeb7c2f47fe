"""``matchmaker serve``'s connections (``serving.channel_class``) in a real waitress server
on a loopback port: whole answers, whatever the socket takes at once, and a main loop that
does not spin while a worker writes."""
from __future__ import annotations

import hashlib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from matchmaker.serving import channel_class

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

    def start(app, send_buffer: int | None = None, channel=None, **adjustments):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = create_server(app, sockets=[sock], threads=4, asyncore_loop_timeout=60, **adjustments)
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
