"""What the reports need beyond the other domains' records: the population per district and year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import UTCDateTime, utcnow
from app.dialogs.models import Dialog
from app.extensions import db
from app.places.models import District
from app.shifts.models import Shift, Signup


class DistrictPopulation(db.Model):
    """How many people live in a district in a year, as staff entered it from the city's statistics."""

    __tablename__ = "district_populations"
    __table_args__ = (
        UniqueConstraint("district_id", "year"),
        CheckConstraint("population >= 0", name="population_not_negative"),
        Index("ix_district_populations_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    year: Mapped[int]
    population: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    district: Mapped[District] = relationship()


# A year's report of one circle or district reads shifts and dialogs by their place and start: these
# indices let it find them without scanning every shift and dialog of the city.
Index("ix_shifts_circle_id_starts_at", Shift.circle_id, Shift.starts_at)
Index("ix_dialogs_accommodation_id_starts_at", Dialog.accommodation_id, Dialog.starts_at)
# The reports add up every sign-up of a period, shift by shift: with all the columns they read in the index,
# they never visit the table's rows.
Index(
    "ix_signups_shift_report",
    Signup.shift_id,
    Signup.status,
    Signup.attendance,
    Signup.user_id,
    Signup.hours,
    Signup.late_cancellation,
)
