"""Who may do what with accounts, roles and invitations."""

from __future__ import annotations

from app.auth.models import Role, User


def can_manage_roles(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def can_manage_outbox(user: User) -> bool:
    """Administrators see the mail that has not gone out, send it again or delete it."""
    return user.is_authenticated and user.is_admin


def invitable_roles(user: User) -> list[Role]:
    """Roles this user may hand out by invitation."""
    if not user.is_authenticated:
        return []
    if user.is_admin:
        return list(Role)
    if user.is_staff:
        return [r for r in Role if r is not Role.ADMIN]
    if user.coordinated_circle_ids:
        return [Role.VOLUNTEER]
    return []


def can_invite(user: User, role: Role | None = None, circle_id: int | None = None) -> bool:
    """Staff invite anyone (admins only by admins); coordinators invite volunteers into their own circle."""
    roles = invitable_roles(user)
    if not roles:
        return False
    if role is None:
        return True
    if role not in roles:
        return False
    if user.is_staff:
        return True
    return circle_id is not None and circle_id in user.coordinated_circle_ids
