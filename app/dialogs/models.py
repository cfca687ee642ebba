"""Refugee dialogs: moderated sessions in accommodations, their interpreters and their logs.

A session log holds counts, languages, topics, a summary and follow-ups: it has no field for names or
other personal data of refugees, on purpose.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, exists
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, string_enum, utcnow
from app.errors import DomainError
from app.extensions import db
from app.names import NamedInLanguages
from app.places.models import Accommodation

# A dialog held this long ago without a log is overdue: its moderators and staff see it, a reminder goes out.
LOG_DUE_AFTER = timedelta(hours=48)


class DialogStatus(enum.StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class ModeratorRole(enum.StrEnum):
    LEAD = "lead"
    CO = "co"
    TRAINEE = "trainee"

    @property
    def label(self) -> str:
        return str(MODERATOR_ROLE_LABELS[self])


MODERATOR_ROLE_LABELS = {
    ModeratorRole.LEAD: _l("Moderator"),
    ModeratorRole.CO: _l("Co-moderator"),
    ModeratorRole.TRAINEE: _l("Trainee moderator"),
}


class RequestStatus(enum.StrEnum):
    ASKED = "asked"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Coverage(enum.StrEnum):
    """How far a needed language is covered: an interpreter took it, one was asked, or nobody yet."""

    COVERED = "covered"
    REQUESTED = "requested"
    UNCOVERED = "uncovered"

    @property
    def label(self) -> str:
        return str(COVERAGE_LABELS[self])

    @property
    def badge_style(self) -> str:
        """The badge a page shows it in: ok, warn or danger."""
        return COVERAGE_BADGE_STYLES[self]


COVERAGE_LABELS = {
    Coverage.COVERED: _l("Covered"),
    Coverage.REQUESTED: _l("Interpreter requested"),
    Coverage.UNCOVERED: _l("Uncovered"),
}
COVERAGE_BADGE_STYLES = {Coverage.COVERED: "ok", Coverage.REQUESTED: "warn", Coverage.UNCOVERED: "danger"}


class Dialog(db.Model):
    __tablename__ = "dialogs"
    __table_args__ = (Index("ix_dialogs_starts_at_status", "starts_at", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    accommodation_id: Mapped[int] = mapped_column(ForeignKey("accommodations.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    topic: Mapped[str] = mapped_column(String(200))
    expected_participants: Mapped[int | None]
    status: Mapped[DialogStatus] = mapped_column(
        string_enum(DialogStatus, "dialog_status"), default=DialogStatus.PLANNED
    )
    cancel_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Bumped by every change to the dialog and its log: the row a writer locks first.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    log_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    accommodation: Mapped[Accommodation] = relationship(lazy="joined")
    moderators: Mapped[list[DialogModerator]] = relationship(
        back_populates="dialog", cascade="all, delete-orphan", order_by="DialogModerator.id"
    )
    languages: Mapped[list[DialogLanguage]] = relationship(
        back_populates="dialog", cascade="all, delete-orphan", order_by="DialogLanguage.id"
    )
    log: Mapped[SessionLog | None] = relationship(back_populates="dialog", cascade="all, delete-orphan")

    @property
    def is_cancelled(self) -> bool:
        return self.status is DialogStatus.CANCELLED

    @property
    def place(self) -> str:
        parts = [self.accommodation.name, self.accommodation.address]
        return ", ".join(p for p in parts if p)

    def has_started(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.starts_at

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at

    def log_overdue(self, now: datetime | None = None) -> bool:
        """Held, not logged, and the end is more than 48 hours ago."""
        return not self.is_cancelled and self.log is None and (now or utcnow()) >= self.ends_at + LOG_DUE_AFTER

    def moderator_ids(self, *roles: ModeratorRole) -> set[int]:
        roles = roles or tuple(ModeratorRole)
        return {m.user_id for m in self.moderators if m.role in roles}

    def cancel(self, reason: str) -> None:
        """Call the dialog off; who was booked stays on record."""
        if self.is_cancelled:
            raise DomainError(str(_l("This dialog is already cancelled.")))
        if self.has_started():
            raise DomainError(str(_l("A dialog that has started can't be cancelled.")))
        self.status = DialogStatus.CANCELLED
        self.cancel_reason = reason

    def check_can_change(self) -> None:
        if self.is_cancelled:
            raise DomainError(str(_l("A cancelled dialog can't be changed.")))
        if self.has_started():
            raise DomainError(str(_l("A dialog that has started can't be changed.")))


class DialogRow:
    """A dialog as the dialog list reads it, from plain columns (`services.dialog_list`): what its card or line
    shows, without mapped objects for the dialog, its accommodation and its languages, which cost several times as
    much. `languages` are LanguageRows; a held dialog in the list of those without a log has none, and says whether
    its log is overdue (`log_overdue`, as `Dialog.log_overdue` at the time the list was read)."""

    __slots__ = (
        "accommodation_name",
        "ends_at",
        "id",
        "is_cancelled",
        "languages",
        "log_overdue",
        "place",
        "starts_at",
        "topic",
    )

    def __init__(
        self,
        id: int,
        topic: str,
        starts_at: datetime,
        ends_at: datetime,
        is_cancelled: bool,
        accommodation_name: str,
        place: str,
        log_overdue: bool = False,
    ):
        self.id, self.topic, self.starts_at, self.ends_at = id, topic, starts_at, ends_at
        self.is_cancelled, self.accommodation_name, self.place = is_cancelled, accommodation_name, place
        self.log_overdue = log_overdue
        self.languages: list[LanguageRow] = []

    @property
    def languages_covered(self) -> int:
        """How many of the languages an interpreter took."""
        return sum(language.interpreter_id is not None for language in self.languages)


class DialogModerator(db.Model):
    __tablename__ = "dialog_moderators"
    __table_args__ = (UniqueConstraint("dialog_id", "user_id"), Index("ix_dialog_moderators_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dialog_id: Mapped[int] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[ModeratorRole] = mapped_column(string_enum(ModeratorRole, "moderator_role"))

    dialog: Mapped[Dialog] = relationship(back_populates="moderators")
    user: Mapped[User] = relationship(lazy="joined")


class LanguageCoverage:
    """How far a needed language is covered, for the mapped DialogLanguage and for LanguageRow (a language as the
    dialog list reads it). Both tell who interprets it (`interpreter_id`), whether it was posted to every eligible
    interpreter (`is_posted`) and whether an interpreter was asked and has not answered yet (`interpreter_asked`)."""

    __slots__ = ()

    @property
    def coverage(self) -> Coverage:
        if self.interpreter_id is not None:
            return Coverage.COVERED
        if self.is_posted or self.interpreter_asked():
            return Coverage.REQUESTED
        return Coverage.UNCOVERED


class DialogLanguage(LanguageCoverage, db.Model):
    """A language the dialog needs, and who interprets it (an in-training interpreter may shadow)."""

    __tablename__ = "dialog_languages"
    __table_args__ = (
        UniqueConstraint("dialog_id", "code"),
        Index("ix_dialog_languages_interpreter", "interpreter_id"),
        Index("ix_dialog_languages_shadow", "shadow_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialog_id: Mapped[int] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    # Taken by a conditional UPDATE (... WHERE interpreter_id IS NULL): of two accepts, one wins.
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shadow_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Posted to every eligible interpreter, not only to those asked.
    open_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shadow_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    dialog: Mapped[Dialog] = relationship(back_populates="languages")
    interpreter: Mapped[User | None] = relationship(foreign_keys=[interpreter_id])
    shadow: Mapped[User | None] = relationship(foreign_keys=[shadow_id])
    requests: Mapped[list[InterpreterRequest]] = relationship(
        back_populates="dialog_language", cascade="all, delete-orphan", order_by="InterpreterRequest.id"
    )

    @property
    def is_posted(self) -> bool:
        return self.open_since is not None

    def interpreter_asked(self) -> bool:
        return any(r.status is RequestStatus.ASKED for r in self.requests)


class LanguageRow(LanguageCoverage):
    """A needed language of a dialog as the dialog list reads it (`services.dialog_list`): its code, and what
    tells its coverage, with `asked` read in the same statement (`ASKED_INTERPRETER`)."""

    __slots__ = ("asked", "code", "interpreter_id", "is_posted")

    def __init__(self, code: str, interpreter_id: int | None, is_posted: bool, asked: bool):
        self.code, self.interpreter_id, self.is_posted, self.asked = code, interpreter_id, is_posted, asked

    def interpreter_asked(self) -> bool:
        return self.asked


class InterpreterRequest(db.Model):
    """A moderator asked this interpreter for a language; or the interpreter turned an open request down."""

    __tablename__ = "interpreter_requests"
    __table_args__ = (
        UniqueConstraint("dialog_language_id", "interpreter_id"),
        Index("ix_interpreter_requests_interpreter", "interpreter_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialog_language_id: Mapped[int] = mapped_column(ForeignKey("dialog_languages.id", ondelete="CASCADE"))
    interpreter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RequestStatus] = mapped_column(string_enum(RequestStatus, "request_status"))
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    dialog_language: Mapped[DialogLanguage] = relationship(back_populates="requests")
    interpreter: Mapped[User] = relationship(foreign_keys=[interpreter_id])


# For `LanguageRow.asked`: a request to an interpreter for the language that is still waiting for an answer.
ASKED_INTERPRETER = exists().where(
    InterpreterRequest.dialog_language_id == DialogLanguage.id, InterpreterRequest.status == RequestStatus.ASKED
)


class InterpreterTraining(db.Model):
    """An interpreter who is in training: they shadow an experienced interpreter instead of interpreting."""

    __tablename__ = "interpreter_trainings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Topic(NamedInLanguages, db.Model):
    """A topic a dialog can be about (housing, school, work ...), named in every language."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # German, the default language
    names: Mapped[list[TopicName]] = relationship(back_populates="topic", cascade="all, delete-orphan", lazy="selectin")


class TopicName(db.Model):
    __tablename__ = "topic_names"
    __table_args__ = (UniqueConstraint("topic_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80))

    topic: Mapped[Topic] = relationship(back_populates="names")


session_log_topics = db.Table(
    "session_log_topics",
    db.Column("log_id", ForeignKey("session_logs.id", ondelete="CASCADE"), primary_key=True),
    db.Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SessionLog(db.Model):
    """What happened in a dialog. Counts and tags only: no names or personal data of refugees."""

    __tablename__ = "session_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialog_id: Mapped[int] = mapped_column(ForeignKey("dialogs.id", ondelete="CASCADE"), unique=True)
    # Made by the client for each log it sends: a repeat of the same submission is stored once.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    payload_digest: Mapped[str] = mapped_column(String(64))
    refugees: Mapped[int]
    volunteers: Mapped[int]
    staff: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    dialog: Mapped[Dialog] = relationship(back_populates="log")
    written_by: Mapped[User | None] = relationship()
    languages: Mapped[list[SessionLogLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="SessionLogLanguage.code", lazy="selectin"
    )
    topics: Mapped[list[Topic]] = relationship(secondary=session_log_topics, order_by=Topic.name, lazy="selectin")
    tags: Mapped[list[SessionLogTag]] = relationship(
        cascade="all, delete-orphan", order_by="SessionLogTag.tag", lazy="selectin"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="log", cascade="all, delete-orphan", order_by="FollowUp.due_on", lazy="selectin"
    )

    @property
    def duration_minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    @property
    def participants(self) -> int:
        return self.refugees + self.volunteers + self.staff


class SessionLogLanguage(db.Model):
    __tablename__ = "session_log_languages"
    __table_args__ = (UniqueConstraint("log_id", "code"), Index("ix_session_log_languages_code", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("session_logs.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))


class SessionLogTag(db.Model):
    """A free tag the moderator added beside the managed topics."""

    __tablename__ = "session_log_tags"
    __table_args__ = (UniqueConstraint("log_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("session_logs.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))


class FollowUp(db.Model):
    """An action agreed in a dialog: what, who takes care of it, by when; marked done later."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_open_due", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("session_logs.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(300))
    responsible: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    log: Mapped[SessionLog] = relationship(back_populates="follow_ups")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_done and self.due_on < today

    def mark(self, by: User, done: bool) -> None:
        """Tick the follow-up off, or open it again."""
        if done and self.is_done:
            raise DomainError(str(_l("This follow-up is already done.")))
        if not done and not self.is_done:
            raise DomainError(str(_l("This follow-up is still open.")))
        self.done_at = utcnow() if done else None
        self.done_by_id = by.id if done else None
