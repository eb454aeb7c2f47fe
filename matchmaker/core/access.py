"""Who may read and change what.  Every service calls these; views never decide alone.

The rules:
- institutions: everyone signed in reads; staff and admin create and delete; an
  institution user edits only its own institution (and not its zone recruitment status);
- enterprises and their financials: the owner and staff/admin; institutions see an
  enterprise's profile only through its open needs;
- needs: the owner sees all of its own; institutions see only open needs (and, one by
  one, the needs they answered or met about, whatever their status); staff see all;
  only the owning enterprise (or staff/admin) creates and changes a need.
"""
from __future__ import annotations

from .users import User
from ..errors import AdminOnly, Forbidden, NotAuthenticated, StaffOnly


def require_user(user: User | None) -> User:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>' or use a session")
    return user


def require_staff(user: User, action: str) -> None:
    if not require_user(user).is_staff:
        raise StaffOnly(action=action)


def require_admin(user: User, action: str) -> None:
    if not require_user(user).is_admin:
        raise AdminOnly(action=action)


def owns_enterprise(user: User, enterprise_id: str) -> bool:
    return user.role == "enterprise" and user.enterprise_id == enterprise_id


def owns_institution(user: User, institution_id: str) -> bool:
    return user.role == "institution" and user.institution_id == institution_id


def can_edit_institution(user: User, institution_id: str) -> bool:
    return user.is_staff or owns_institution(user, institution_id)


def can_read_enterprise(user: User, enterprise_id: str) -> bool:
    """Full profile with financials: the owner and staff."""
    return user.is_staff or owns_enterprise(user, enterprise_id)


def can_read_need(user: User, need: dict) -> bool:
    if user.is_staff or owns_enterprise(user, need["enterprise_id"]):
        return True
    return user.role == "institution" and need.get("status") == "open"


def can_edit_need(user: User, need: dict) -> bool:
    return user.is_staff or owns_enterprise(user, need["enterprise_id"])


def own_enterprise_filters(user: User, refused: type[Forbidden]) -> list:
    """Search filters for records kept per enterprise: staff see all, an enterprise its own;
    anyone else is refused with the error ``refused`` (its code says which records)."""
    from ..search import Terms

    user = require_user(user)
    if user.is_staff:
        return []
    if user.role == "enterprise":
        return [Terms("enterprise_id", [user.enterprise_id])]
    raise refused()
