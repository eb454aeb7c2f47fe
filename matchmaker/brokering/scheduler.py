"""The deadline sweep, run by the serving process on a timer (``DEADLINE_SWEEP_SECONDS``)
rather than by page views: a GET changes nothing.  ``matchmaker notify-deadlines`` does
the same once, for cron; each late need is told once either way (the notification's id is
fixed per publication and the need is marked)."""
from __future__ import annotations

import threading

from flask import Flask


def start_deadline_sweeper(app: Flask, stop: threading.Event | None = None) -> threading.Thread | None:
    """A daemon thread that sweeps now and every ``DEADLINE_SWEEP_SECONDS`` (0: none)."""
    every = float(app.config.get("DEADLINE_SWEEP_SECONDS") or 0)
    if every <= 0:
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        from ..storage import get_backend
        from ..core import settings
        from .deadlines import sweep

        while not stop.is_set():
            with app.app_context():
                try:
                    sweep(get_backend(), settings.working_days(app.config), limit=settings.sweep_limit(app.config))
                except Exception:  # a passing fault (disk, engine): try again at the next tick
                    app.logger.exception("deadline sweep failed; trying again in %s s", every)
            stop.wait(every)

    thread = threading.Thread(target=loop, name="deadline-sweeper", daemon=True)
    thread.start()
    return thread
