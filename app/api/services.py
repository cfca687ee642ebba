"""Issuing, revoking and checking personal access tokens."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.api.models import AccessToken, token_digest
from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db

MAX_TOKENS = 20
# Writing last_used_at on every request would turn every read into a write; to the minute is enough to tell.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_token(user: User, name: str) -> tuple[AccessToken, str]:
    """Issue a token for the user; returns the stored row and the token, which is never shown again."""
    active = db.session.scalar(
        select(func.count())
        .select_from(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
    )
    if active >= MAX_TOKENS:
        raise DomainError(_("You have %(count)d active tokens; please revoke one first.", count=active), 409, "name")
    row, token = AccessToken.issue(user, name.strip())
    db.session.add(row)
    db.session.flush()
    return row, token


def revoke_token(by: User, token: AccessToken) -> None:
    """Revoke a token: requests with it are refused from now on."""
    token.revoke()
    db.session.flush()


def tokens_of(user: User) -> list[AccessToken]:
    """The user's tokens, newest first, revoked ones included (they say since when)."""
    return list(
        db.session.scalars(select(AccessToken).where(AccessToken.user_id == user.id).order_by(AccessToken.id.desc()))
    )


def user_for_token(token: str) -> tuple[User | None, bool]:
    """The enabled owner of an unrevoked token (with their roles), or None; and whether the token's last use was
    noted now (a write the request must commit)."""
    row = (
        db.session.scalars(
            select(AccessToken)
            .options(joinedload(AccessToken.user).joinedload(User.role_grants))
            .where(AccessToken.token_hash == token_digest(token), AccessToken.revoked_at.is_(None))
        )
        .unique()
        .one_or_none()
    )
    if row is None or not row.user.is_enabled:
        return None, False
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at <= LAST_USED_RESOLUTION:
        return row.user, False
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.id == row.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return row.user, True
