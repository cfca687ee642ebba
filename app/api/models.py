"""Personal access tokens: only a hash is kept, the token itself is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db

TOKEN_PREFIX = "lotse_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for, no secret)


def token_digest(token: str) -> str:
    """SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough to make a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccessToken(db.Model):
    """A token for the read API, named by its owner, revocable."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The last characters, so the owner can tell tokens apart; useless for guessing the rest.
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[AccessToken, str]:
        """A new token for the user: the row to store and the token to show once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls(user_id=user.id, name=name, token_hash=token_digest(token), hint=token[-4:]), token

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = utcnow()
