"""Ending a user's browser sessions (signing out everywhere)."""
from __future__ import annotations

from ..core.schemas import now_iso
from ..search import SearchBackend
from .service import USERS, get_user


def end_sessions(backend: SearchBackend, user_id: str) -> dict:
    """Sign the user out of every browser session: the session generation moves on, so
    each cookie issued before (``User.get_id`` embeds the generation) stops working.

    A read-modify-write in one transaction, so a change made at the same moment (a new
    password, a new role) is neither lost nor allowed to keep the old generation."""
    get_user(backend, user_id)  # NotFound in the words of accounts

    def next_generation(current: dict) -> dict:
        return {**current, "session_generation": current.get("session_generation", 0) + 1, "updated_at": now_iso()}

    return backend.update(USERS, user_id, next_generation)
