"""Who may hold API tokens and read what through the API."""

from __future__ import annotations

from app.api.models import AccessToken
from app.auth.models import Role, User


def can_manage_tokens(user: User) -> bool:
    """Everyone signed in may create tokens for their own data."""
    return user.is_authenticated and user.is_enabled


def can_revoke_token(user: User, token: AccessToken) -> bool:
    return user.is_authenticated and token.user_id == user.id


def can_read_assignments(user: User) -> bool:
    """Interpreter assignments are for interpreters."""
    return user.has_role(Role.INTERPRETER)
