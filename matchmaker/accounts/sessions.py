"""Ending a user's browser sessions (signing out everywhere)."""
from __future__ import annotations

from ..common.schemas import now_iso
from ..errors import Conflict
from ..search import SearchBackend
from .service import USERS, get_user

ATTEMPTS = 5


def end_sessions(backend: SearchBackend, user_id: str) -> dict:
    """Sign the user out of every browser session: the session generation moves on, so
    each cookie issued before (``User.get_id`` embeds the generation) stops working.

    Written against the version read, so a change made at the same moment (a new
    password, a new role) is neither lost nor allowed to keep the old generation."""
    for attempt in range(ATTEMPTS):
        current = get_user(backend, user_id)
        doc = {**current, "session_generation": current.get("session_generation", 0) + 1, "updated_at": now_iso()}
        try:
            return backend.replace(USERS, user_id, doc, expected_version=current["version"])
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
