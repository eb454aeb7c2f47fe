"""The signed-in user, as flask-login sees it."""
from __future__ import annotations

from flask_login import UserMixin

ROLES = ("enterprise", "institution", "staff", "admin")
STAFF_ROLES = ("staff", "admin")


class User(UserMixin):
    """A thin view of a ``users`` document; the document stays the source of truth."""

    def __init__(self, doc: dict, token_id: str | None = None):
        self.doc = doc
        self.token_id = token_id  # set when the request came with a bearer token

    def get_id(self) -> str:
        # The session carries the id and the user's session generation: bumping the
        # generation (sign-out everywhere, password change) invalidates old cookies.
        return f"{self.doc['id']}:{self.doc.get('session_generation', 0)}"

    @property
    def id(self) -> str:
        return self.doc["id"]

    @property
    def username(self) -> str:
        return self.doc["username"]

    @property
    def role(self) -> str:
        return self.doc["role"]

    @property
    def is_active(self) -> bool:
        return self.doc.get("active", True)

    @property
    def enterprise_id(self) -> str | None:
        return self.doc.get("enterprise_id")

    @property
    def institution_id(self) -> str | None:
        return self.doc.get("institution_id")

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"
