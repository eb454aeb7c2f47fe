"""The health answer: public in one word (a load balancer's probe), whole for staff."""
from __future__ import annotations

from ..core.users import User
from ..search import SearchBackend


def health(backend: SearchBackend, user: User | None) -> dict:
    """``status`` for anyone; the parts and ``unseen`` for staff (how busy the zone's
    writes are is not the public's)."""
    parts = backend.health()
    shown = {"status": "ok" if parts["records"] == parts["search"] == "ok" else "degraded"}
    if user is not None and user.is_staff:
        shown.update(parts)
    return shown
