"""Shifts of the circles, recurring series, sign-ups with waitlist, attendance and calendar feeds."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event, inspect, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, string_enum, utcnow
from app.errors import DomainError
from app.extensions import db
from app.names import NamedInLanguages
from app.places.models import Accommodation, Circle

# Cancelling less than this long before the start is a late cancellation.
LATE_CANCELLATION = timedelta(hours=24)


class ShiftStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(SIGNUP_STATUS_LABELS[self])


# The words the shift pages already use for these states.
SIGNUP_STATUS_LABELS = {
    SignupStatus.CONFIRMED: _l("Signed up"),
    SignupStatus.WAITLISTED: _l("Waitlist"),
    SignupStatus.CANCELLED: _l("Cancelled"),
}


class Attendance(enum.StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return str(ATTENDANCE_LABELS[self])


ATTENDANCE_LABELS = {Attendance.ATTENDED: _l("Attended"), Attendance.NO_SHOW: _l("Did not come")}


class ActivityType(NamedInLanguages, db.Model):
    """A kind of volunteer work (homework help, language café ...), named in every language."""

    __tablename__ = "activity_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # German, the default language
    names: Mapped[list[ActivityTypeName]] = relationship(
        back_populates="activity_type", cascade="all, delete-orphan", lazy="selectin"
    )


class ActivityTypeName(db.Model):
    __tablename__ = "activity_type_names"
    __table_args__ = (UniqueConstraint("activity_type_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80))

    activity_type: Mapped[ActivityType] = relationship(back_populates="names")


class ShiftSeries(db.Model):
    """The rule a set of recurring shifts was made from (RFC 5545, in Europe/Berlin wall-clock time)."""

    __tablename__ = "shift_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    rrule: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    circle: Mapped[Circle] = relationship()
    shifts: Mapped[list[Shift]] = relationship(back_populates="series", order_by="Shift.starts_at")


def place_line(accommodation: str | None, address: str | None, place_text: str) -> str:
    """Where to go, in one line: the accommodation with its address, or else the free text."""
    if accommodation is not None:
        return ", ".join(part for part in (accommodation, address) if part)
    return place_text


class ShiftTiming:
    """What a shift's state and times tell, for the mapped Shift and for ShiftRow (a shift as lists read it).
    Both have `status`, `starts_at`, `ends_at` and `signup_opens_hours`."""

    @property
    def is_cancelled(self) -> bool:
        return self.status is ShiftStatus.CANCELLED

    @property
    def signup_opens_at(self) -> datetime | None:
        if self.signup_opens_hours is None:
            return None
        return self.starts_at - timedelta(hours=self.signup_opens_hours)

    def has_started(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.starts_at

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at


class Shift(ShiftTiming, db.Model):
    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_starts_at_status", "starts_at", "status"),
        # The shifts open to all circles, by circle: a district's list reads them apart from its own circles'. A
        # database uses it for a query that says `open_to_all == True` as the district's list does, not for one
        # that says `open_to_all.is_(True)`: the list without a district reads the start-time index in order, and
        # SQLite would read every shift open to all to come through this one instead and sort them.
        Index(
            "ix_shifts_open_to_all_circle_id_starts_at",
            "circle_id",
            "starts_at",
            postgresql_where=text("open_to_all"),
            sqlite_where=text("open_to_all = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("shift_series.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    accommodation_id: Mapped[int | None] = mapped_column(ForeignKey("accommodations.id", ondelete="SET NULL"))
    place_text: Mapped[str] = mapped_column(String(200), default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    required_language: Mapped[str | None] = mapped_column(String(12))
    requires_vetting: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Open to volunteers of every circle, not only the circle's own members.
    open_to_all: Mapped[bool] = mapped_column(default=False, server_default="0")
    signup_opens_hours: Mapped[int | None]
    status: Mapped[ShiftStatus] = mapped_column(string_enum(ShiftStatus, "shift_status"), default=ShiftStatus.SCHEDULED)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Bumped by every change to sign-ups: the row everyone who signs up must lock first.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The confirmed sign-ups, counted by the database: triggers on `signups` (migration 0012) follow every insert,
    # change of status and delete, whoever makes it. Never written here; read it from a row read after the change
    # (the shift's lock returns it as the lock found it, and a flush of sign-ups expires it in the session).
    confirmed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    circle: Mapped[Circle] = relationship()
    series: Mapped[ShiftSeries | None] = relationship(back_populates="shifts")
    activity_type: Mapped[ActivityType] = relationship()
    accommodation: Mapped[Accommodation | None] = relationship()
    signups: Mapped[list[Signup]] = relationship(back_populates="shift", cascade="all, delete-orphan")

    @property
    def place(self) -> str:
        """Where to go: the accommodation with its address, or the free text."""
        if self.accommodation is not None:
            return place_line(self.accommodation.name, self.accommodation.address, self.place_text)
        return self.place_text

    @property
    def circle_name(self) -> str:
        return self.circle.name

    @property
    def duration_hours(self) -> Decimal:
        return (Decimal((self.ends_at - self.starts_at).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))

    def cancel(self, reason: str) -> None:
        """Call the shift off; sign-ups stay for the record."""
        if self.is_cancelled:
            raise DomainError(str(_l("This shift is already cancelled.")))
        if self.has_ended():
            raise DomainError(str(_l("A shift that is over can't be cancelled.")))
        self.status = ShiftStatus.CANCELLED
        self.cancel_reason = reason


class ShiftRow(NamedTuple):
    """A shift as the lists read it, from one row of plain columns (`services.open_shifts`): what its card, the
    API and the sign-up checks need, without mapped objects for the shift, its circle and its place. A tuple,
    made in one step from the row: a list makes a hundred."""

    id: int
    title: str
    activity_type_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    required_language: str | None
    requires_vetting: bool
    open_to_all: bool
    signup_opens_hours: int | None
    status: ShiftStatus
    circle_id: int
    circle_name: str
    place: str
    district_name: str | None

    # What a shift's state and times tell, as for the mapped Shift.
    is_cancelled = ShiftTiming.is_cancelled
    signup_opens_at = ShiftTiming.signup_opens_at
    has_started = ShiftTiming.has_started
    has_ended = ShiftTiming.has_ended


# The shift's own columns of a ShiftRow, in the order a list's statement reads them first.
SHIFT_ROW_COLUMNS = ShiftRow._fields[: ShiftRow._fields.index("circle_id") + 1]


class Signup(db.Model):
    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("shift_id", "user_id"),
        Index("ix_signups_user_status", "user_id", "status"),
        Index("ix_signups_shift_status", "shift_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[SignupStatus] = mapped_column(string_enum(SignupStatus, "signup_status"))
    # Waitlist order: earlier requests first.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late_cancellation: Mapped[bool] = mapped_column(default=False, server_default="0")
    attendance: Mapped[Attendance | None] = mapped_column(string_enum(Attendance, "attendance"))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    attendance_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shift: Mapped[Shift] = relationship(back_populates="signups")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def record_attendance(self, by: User, attendance: Attendance, hours: Decimal | None) -> None:
        """After the shift: attended (with hours) or no-show; hours become volunteer hours."""
        if self.shift.is_cancelled:
            raise DomainError(str(_l("The shift was cancelled: there is no attendance to record.")))
        if not self.shift.has_ended():
            raise DomainError(str(_l("Attendance can be recorded once the shift is over.")))
        if self.status is not SignupStatus.CONFIRMED:
            raise DomainError(str(_l("Only confirmed sign-ups have an attendance.")))
        if attendance is Attendance.ATTENDED:
            hours = (self.shift.duration_hours if hours is None else hours).quantize(Decimal("0.01"))
            if hours <= 0 or hours > 24:
                raise DomainError(str(_l("Hours must be more than 0 and at most 24.")), 422)
        else:
            hours = None
        self.attendance = attendance
        self.hours = hours
        self.attendance_recorded_by_id = by.id


@event.listens_for(Session, "after_flush")
def _note_counted_shifts(session: Session, _context) -> None:
    """Note the shifts whose `confirmed_count` a flush of sign-ups changed in the database (the shift a sign-up
    moved from too): after the flush their copies in the session are expired, and the next read loads the count."""
    noted = session.info.setdefault("counted_shifts", set())
    for signup in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(signup, Signup):
            continue
        shift = signup.__dict__.get("shift")  # the shift it was given, new in this flush or not (no loading here)
        if shift is not None:
            noted.add(shift)
        noted.update(
            shift_id
            for shift_id in (signup.shift_id, *inspect(signup).attrs.shift_id.history.deleted)
            if shift_id is not None
        )


@event.listens_for(Session, "after_flush_postexec")
def _expire_counted_shifts(session: Session, _context) -> None:
    for noted in session.info.pop("counted_shifts", ()):
        shift = noted if isinstance(noted, Shift) else session.identity_map.get(session.identity_key(Shift, noted))
        if shift is not None and inspect(shift).persistent:
            session.expire(shift, ["confirmed_count"])


class AttendanceSubmission(db.Model):
    """One attendance form as it was sent, by the key its client made: a repeat gets the stored result."""

    __tablename__ = "attendance_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    payload_digest: Mapped[str] = mapped_column(String(64))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    people: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarFeed(db.Model):
    """A private calendar feed URL per user; revoking replaces the token."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def renew(self) -> None:
        self.token = secrets.token_urlsafe(32)
        self.created_at = utcnow()
