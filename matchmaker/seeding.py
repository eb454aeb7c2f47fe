"""Loading the demo data set through the same path as ``matchmaker import``."""
from __future__ import annotations

import tempfile
from pathlib import Path

from . import demo
from .accounts.service import USERS, create_user, user_id_for
from .importexport import ImportReport, import_file, write_jsonl
from .search import SearchBackend


def seed_demo(backend: SearchBackend, enterprise_count: int = 1000, progress=None) -> tuple[ImportReport, list[dict]]:
    """Load the demo documents (idempotent: fixed ids) and create missing demo accounts."""
    data = demo.generate(enterprise_count)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.jsonl"
        with path.open("w", encoding="utf-8") as out:
            write_jsonl(demo.iter_documents(data), out)
        report = import_file(backend, path, progress)
    for account in data.accounts:
        if backend.get(USERS, user_id_for(account["username"])) is None:
            fields = {k: v for k, v in account.items() if v is not None}
            create_user(backend, fields)
    from .brokering.demo import seed_history

    seed_history(backend)  # answers, meetings and outcomes to go with the needs
    from .fund.demo import seed_fund

    seed_fund(backend)  # the 2012 programmes, the reserve pool and grants (after the deals they pay for)
    return report, data.accounts
