"""The outbox: mail written in the transaction that caused it, kept until it has gone out."""

from __future__ import annotations

import email
from datetime import datetime
from email.policy import default as default_policy

from sqlalchemy import JSON, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime
from app.extensions import db


class OutboxMail(db.Model):
    """A mail to send: committed with the change it tells of, so that neither is kept without the other.

    It holds either the mail as it goes over the wire (`message`) or the name of a writer and what it writes the
    mail from (`writer`, `payload`), for mails better written when they go out. It is deleted once sent; while
    sending fails it stays, with its error, until `due_at` comes round again, and after the last attempt it is
    kept as given up (`failed_at`) for the purge to remove."""

    __tablename__ = "outbox_mails"
    __table_args__ = (Index("ix_outbox_mails_waiting", "failed_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    message: Mapped[bytes | None] = mapped_column(LargeBinary())
    writer: Mapped[str | None] = mapped_column(String(60))
    payload: Mapped[dict | None] = mapped_column(JSON())
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the mail may be sent (again): a request sending its own mail holds it a while, so that a mailer
    # running meanwhile leaves it alone.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def given_up(self) -> bool:
        return self.failed_at is not None

    def subject(self) -> str | None:
        """The subject of a mail written already (a mail its writer writes when it goes out has none yet)."""
        if self.message is None:
            return None
        head = self.message.split(b"\r\n\r\n", 1)[0]
        return str(email.message_from_bytes(head, policy=default_policy).get("Subject", "")) or None

    def send_again(self, due_at: datetime) -> None:
        """Take the mail up again as if it were new, with all its attempts ahead of it, due at `due_at`."""
        self.failed_at = None
        self.attempts = 0
        self.due_at = due_at
