"""The deadline sweep, run by the serving process on a timer (``DEADLINE_SWEEP_SECONDS``)
rather than by page views: a GET changes nothing.  ``matchmaker notify-deadlines`` does
the same once, for cron; each late need is told once either way (the notification's id is
fixed per publication and the need is marked)."""
from __future__ import annotations

import threading

from flask import Flask


def start_deadline_sweeper(app: Flask, stop: threading.Event | None = None) -> threading.Thread | None:
    """A daemon thread that sweeps now and every ``DEADLINE_SWEEP_SECONDS`` (0: none)."""
    from ..core.timer import start_timer

    def work() -> None:
        from ..storage import get_backend
        from ..core import settings
        from .deadlines import sweep

        sweep(get_backend(), settings.working_days(app.config), limit=settings.sweep_limit(app.config))

    return start_timer(app, float(app.config.get("DEADLINE_SWEEP_SECONDS") or 0), "deadline-sweeper", work, stop)
