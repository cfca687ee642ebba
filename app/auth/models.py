"""Accounts, roles, spoken languages and invitations."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import UTCDateTime, string_enum, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.places.models import Circle


class Role(enum.StrEnum):
    VOLUNTEER = "volunteer"
    INTERPRETER = "interpreter"
    MODERATOR = "moderator"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def scoped(self) -> bool:
        """A scoped role acts on one circle and needs it named."""
        return self is Role.COORDINATOR


ROLE_LABELS = {
    Role.VOLUNTEER: _l("Volunteer"),
    Role.INTERPRETER: _l("Interpreter"),
    Role.MODERATOR: _l("Dialog moderator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.STAFF: _l("Integration staff"),
    Role.ADMIN: _l("Administrator"),
}


class LanguageLevel(enum.StrEnum):
    BASIC = "basic"
    WORKING = "working"
    FLUENT = "fluent"
    NATIVE = "native"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    LanguageLevel.BASIC: _l("Basic"),
    LanguageLevel.WORKING: _l("Working level"),
    LanguageLevel.FLUENT: _l("Fluent"),
    LanguageLevel.NATIVE: _l("Native speaker"),
}


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    # Rotated on password change and logout-everywhere: sessions carry it instead of the id.
    session_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_session_token)
    is_enabled: Mapped[bool] = mapped_column(default=True, server_default="1")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the account was deleted: the row stays, without personal data, so past totals stay right.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person was told their inactive account will be deleted (retention).
    inactivity_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleGrant.user_id",
        order_by="RoleGrant.id",
    )
    languages: Mapped[list[UserLanguage]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserLanguage.code"
    )

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def has_role(self, role: Role, circle_id: int | None = None) -> bool:
        """True when the user holds the role (for scoped roles: for that circle)."""
        for grant in self.role_grants:
            if grant.role is role and (circle_id is None or grant.circle_id == circle_id):
                return True
        return False

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    @property
    def is_staff(self) -> bool:
        """Staff rights: integration-policy staff, and admins who can do everything staff can."""
        return bool(self.roles & {Role.STAFF, Role.ADMIN})

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def coordinated_circle_ids(self) -> set[int]:
        return {
            grant.circle_id
            for grant in self.role_grants
            if grant.role is Role.COORDINATOR and grant.circle_id is not None
        }

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleGrant(db.Model):
    """One role held by one user; coordinator grants name their circle."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "circle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"))
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])
    circle: Mapped[Circle | None] = relationship(lazy="joined")


class UserLanguage(db.Model):
    """A language a person speaks, as a CLDR code, with how well."""

    __tablename__ = "user_languages"
    __table_args__ = (UniqueConstraint("user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    level: Mapped[LanguageLevel] = mapped_column(string_enum(LanguageLevel, "language_level"))

    user: Mapped[User] = relationship(back_populates="languages")


class Invitation(db.Model):
    """An e-mailed invitation that creates an account with a role (and circle)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # Only a hash of the token is stored: a database leak must not hand out accounts.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"))
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    circle: Mapped[Circle | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_open(self, now: datetime | None = None) -> bool:
        return self.accepted_at is None and (now or utcnow()) < self.expires_at
