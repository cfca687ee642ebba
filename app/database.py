"""Column types and helpers shared by all domains."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons identical on
    SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")


def local_today() -> date:
    """Today's date where the city is, not where the server is."""
    return datetime.now(LOCAL_TIMEZONE).date()


def string_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A Python enum stored by its values as a short string (no database enum type to migrate)."""
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
