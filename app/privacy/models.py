"""The audit log of privileged actions. Append-only: the application never changes or removes an entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db


class AuditEntry(db.Model):
    """Who did what to which record, when and from where. Ids only: no names or e-mail addresses."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    subject_id: Mapped[int | None] = mapped_column(index=True)  # the person the action concerns, if any
    detail: Mapped[str] = mapped_column(String(300), default="", server_default="")
    ip: Mapped[str] = mapped_column(String(45), default="", server_default="")
    request_id: Mapped[str] = mapped_column(String(64), default="", server_default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class AppendOnly(Exception):
    """Raised when code tries to change or remove an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnly("audit entries can't be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnly("audit entries can't be removed")
