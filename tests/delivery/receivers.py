"""Real local servers the delivery tests send to: an SMTP server (aiosmtpd) and an HTTP
receiver that records each request and answers from a script of status codes."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.server import free_port


class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        self.arrived.set()
        return "250 OK"


@contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        box.port = controller.port
        yield box
    finally:
        controller.stop()


class Receiver:
    def __init__(self, answers: list[tuple[int, dict]] | None = None):
        self.requests: list[dict] = []
        self.answers = list(answers or [])
        self.url = ""

    def answer(self) -> tuple[int, dict]:
        return self.answers.pop(0) if self.answers else (200, {"errcode": 0, "errmsg": "ok"})


@contextmanager
def http_receiver(answers: list[tuple[int, dict]] | None = None):
    receiver = Receiver(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, answer = receiver.answer()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
