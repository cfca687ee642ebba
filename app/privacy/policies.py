"""Who may read the audit log and delete accounts on request."""

from __future__ import annotations

from app.auth.models import User


def can_read_audit_log(user: User) -> bool:
    return user.is_authenticated and user.is_staff


def can_delete_on_request(user: User, person: User) -> bool:
    """Staff delete accounts when asked to (an administrator's only by an administrator), never their own here."""
    if not (user.is_authenticated and user.is_staff) or person.id == user.id or person.deleted_at is not None:
        return False
    return user.is_admin or not person.is_admin
