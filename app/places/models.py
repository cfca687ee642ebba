"""Districts, accommodations, circles (Freundeskreise), memberships and vetting records."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, string_enum, utcnow
from app.errors import DomainError
from app.extensions import db

# The city avoids accommodations with more planned places than this (Stuttgarter Weg).
LARGE_ACCOMMODATION_PLACES = 250


class AccommodationKind(enum.StrEnum):
    REGULAR = "regular"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    AccommodationKind.REGULAR: _l("Community accommodation"),
    AccommodationKind.EMERGENCY: _l("Emergency shelter"),
}


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    MembershipStatus.PENDING: _l("Requested"),
    MembershipStatus.ACTIVE: _l("Member"),
    MembershipStatus.DECLINED: _l("Declined"),
}


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    accommodations: Mapped[list[Accommodation]] = relationship(back_populates="district", order_by="Accommodation.name")
    circles: Mapped[list[Circle]] = relationship(back_populates="district", order_by="Circle.name")


class Accommodation(db.Model):
    __tablename__ = "accommodations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[AccommodationKind] = mapped_column(string_enum(AccommodationKind, "accommodation_kind"))
    planned_places: Mapped[int]
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")

    district: Mapped[District] = relationship(back_populates="accommodations")
    circles: Mapped[list[Circle]] = relationship(secondary="circle_accommodations", back_populates="accommodations")

    @property
    def is_large(self) -> bool:
        """Over the size the city avoids."""
        return self.planned_places > LARGE_ACCOMMODATION_PLACES


circle_accommodations = Table(
    "circle_accommodations",
    db.Model.metadata,
    Column("circle_id", ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True),
    Column("accommodation_id", ForeignKey("accommodations.id", ondelete="CASCADE"), primary_key=True),
)


class Circle(db.Model):
    """A Freundeskreis: the volunteers around one or more accommodations of a district."""

    __tablename__ = "circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    district: Mapped[District] = relationship(back_populates="circles")
    accommodations: Mapped[list[Accommodation]] = relationship(
        secondary=circle_accommodations, back_populates="circles", order_by="Accommodation.name"
    )
    memberships: Mapped[list[CircleMembership]] = relationship(back_populates="circle", cascade="all, delete-orphan")


class CircleMembership(db.Model):
    __tablename__ = "circle_memberships"
    __table_args__ = (UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(string_enum(MembershipStatus, "membership_status"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    circle: Mapped[Circle] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def approve(self, by: User) -> None:
        """Accept a pending join request."""
        if self.status is not MembershipStatus.PENDING:
            raise DomainError(str(_l("This request has already been decided.")))
        self.status = MembershipStatus.ACTIVE
        self.decided_at = utcnow()
        self.decided_by_id = by.id

    def decline(self, by: User) -> None:
        """Turn down a pending join request."""
        if self.status is not MembershipStatus.PENDING:
            raise DomainError(str(_l("This request has already been decided.")))
        self.status = MembershipStatus.DECLINED
        self.decided_at = utcnow()
        self.decided_by_id = by.id

    def reopen(self) -> None:
        """A declined volunteer may ask again; an active or pending one may not."""
        if self.status is MembershipStatus.ACTIVE:
            raise DomainError(str(_l("You are already a member of this circle.")))
        if self.status is MembershipStatus.PENDING:
            raise DomainError(str(_l("Your request to join is already waiting for a coordinator.")))
        self.status = MembershipStatus.PENDING
        self.requested_at = utcnow()
        self.decided_at = None
        self.decided_by_id = None


class VettingRecord(db.Model):
    """The record that a coordinator saw a valid certificate of good conduct: never the document itself."""

    __tablename__ = "vetting_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="SET NULL"))
    seen_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    circle: Mapped[Circle | None] = relationship()

    def is_valid_on(self, day: date) -> bool:
        return self.seen_on <= day <= self.valid_until
