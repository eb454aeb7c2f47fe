"""Loading the demo data set through the same path as ``matchmaker import``."""
from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timezone
from pathlib import Path

from .. import clock
from . import dataset
from ..clock import ZONE
from ..accounts.service import USERS, create_user, user_id_for
from ..importexport import ImportReport, import_file, write_jsonl
from ..search import SearchBackend


def demo_moment(day: date = dataset.REFERENCE_DATE) -> datetime:
    """The end of the demo's day (17:30 zone time), when its history stops."""
    return datetime.combine(day, time(17, 30), ZONE).astimezone(timezone.utc)


def seed_demo(backend: SearchBackend, enterprise_count: int = 1000, progress=None,
              day: date | None = None) -> tuple[ImportReport, list[dict]]:
    """Load the demo documents (idempotent: fixed ids) and create missing demo accounts.

    Everything is written as of ``day``, by default the demo's date (30 June 2012):
    designations in force, readiness snapshots, the brokering history and the time stamps."""
    day = day or dataset.REFERENCE_DATE
    with clock.as_of(day):
        return _seed(backend, enterprise_count, progress, day)


def _seed(backend: SearchBackend, enterprise_count: int, progress, day: date) -> tuple[ImportReport, list[dict]]:
    data = dataset.generate(enterprise_count)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.jsonl"
        with path.open("w", encoding="utf-8") as out:
            write_jsonl(dataset.iter_documents(data), out)
        report = import_file(backend, path, progress)
    for account in data.accounts:
        if backend.get(USERS, user_id_for(account["username"])) is None:
            fields = {k: v for k, v in account.items() if v is not None}
            create_user(backend, fields)
    from .brokering import seed_history

    seed_history(backend, now=demo_moment(day))  # answers, meetings and outcomes to go with the needs
    from .fund import seed_fund

    seed_fund(backend)  # the 2012 programmes, the reserve pool and grants (after the deals they pay for)
    return report, data.accounts
