"""Work a serving process does on a timer, beside serving (the deadline sweep, sending the
notifications queue): a daemon thread that runs it now and then every N seconds, in an app
context, logging a failure and trying again at the next tick."""
from __future__ import annotations

import threading
from typing import Callable

from flask import Flask


def start_timer(app: Flask, every: float, name: str, work: Callable[[], object],
                stop: threading.Event | None = None) -> threading.Thread | None:
    """The started thread, or None when ``every`` is 0 (the work is left to a command)."""
    if every <= 0:
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    work()
                except Exception:  # a passing fault (disk, engine, network): the next tick tries again
                    app.logger.exception("%s failed; trying again in %s s", name, every)
            stop.wait(every)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
