"""Report periods: a month, a quarter, a year or a custom span of days, in the city's time zone."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from babel import dates
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.database import LOCAL_TIMEZONE
from app.errors import DomainError

# A custom period longer than this would make the month trend unreadable.
MAX_CUSTOM_DAYS = 3 * 366


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return str(PERIOD_LABELS[self])


PERIOD_LABELS = {
    PeriodKind.MONTH: _l("Month"),
    PeriodKind.QUARTER: _l("Quarter"),
    PeriodKind.YEAR: _l("Year"),
    PeriodKind.CUSTOM: _l("From – to"),
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight_utc(day: date) -> datetime:
    """The moment a local day begins, in UTC (a day is 23 or 25 hours long at a daylight-saving change)."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first: date  # the first day, included
    last: date  # the last day, included

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        """The month, quarter or year the day falls in."""
        if kind is PeriodKind.MONTH:
            first = _month_start(day)
            return cls(kind, first, add_months(first, 1) - timedelta(days=1))
        if kind is PeriodKind.QUARTER:
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, first, add_months(first, 3) - timedelta(days=1))
        if kind is PeriodKind.YEAR:
            return cls(kind, date(day.year, 1, 1), date(day.year, 12, 31))
        raise ValueError("a custom period needs its own days")

    @classmethod
    def custom(cls, first: date, last: date) -> Period:
        if last < first:
            raise DomainError(str(_l("The period must not end before it begins.")), 422, "to")
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise DomainError(str(_l("A period can be at most three years long.")), 422, "to")
        return cls(PeriodKind.CUSTOM, first, last)

    @property
    def starts_at(self) -> datetime:
        return local_midnight_utc(self.first)

    @property
    def ends_at(self) -> datetime:
        """The moment after the period: shifts and dialogs starting before it are in."""
        return local_midnight_utc(self.last + timedelta(days=1))

    @property
    def years(self) -> list[int]:
        return list(range(self.first.year, self.last.year + 1))

    def shifted(self, steps: int) -> Period:
        """The period `steps` before (negative) or after this one, of the same kind and length."""
        if self.kind is PeriodKind.CUSTOM:
            length = (self.last - self.first).days + 1
            return Period(
                self.kind, self.first + timedelta(days=steps * length), self.last + timedelta(days=steps * length)
            )
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        return Period.containing(self.kind, add_months(self.first, steps * months))

    def trend_months(self) -> list[date]:
        """The months a trend line shows: those of the period, or the twelve up to a single month."""
        first = _month_start(self.first)
        if self.kind is PeriodKind.MONTH:
            first = add_months(first, -11)
        months = []
        while first <= self.last:
            months.append(first)
            first = add_months(first, 1)
        return months

    @property
    def slug(self) -> str:
        """The period in a file name: 2026-11, 2026-Q4, 2026, 2026-01-05_2026-03-01."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.YEAR:
            return str(self.first.year)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def label(self) -> str:
        """The period in words of the user's language: "November 2026", "Q4 2026", "2026", "5.–31. Jan. 2026"."""
        locale = get_locale()
        if self.kind is PeriodKind.MONTH:
            return dates.format_skeleton("yMMMM", self.first, locale=locale)
        if self.kind is PeriodKind.QUARTER:
            return dates.format_skeleton("yQQQ", self.first, locale=locale)
        if self.kind is PeriodKind.YEAR:
            return dates.format_skeleton("y", self.first, locale=locale)
        return dates.format_interval(self.first, self.last, "yMMMd", locale=locale)

    def query_args(self) -> dict[str, str]:
        """The URL parameters that name this period."""
        if self.kind is PeriodKind.CUSTOM:
            return {"period": self.kind.value, "from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": self.kind.value, "on": self.first.isoformat()}


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_period(args, today: date) -> Period:
    """The period the URL asks for; this month when it asks for none or for something unreadable."""
    try:
        kind = PeriodKind(args.get("period", PeriodKind.MONTH.value))
    except ValueError:
        kind = PeriodKind.MONTH
    if kind is PeriodKind.CUSTOM:
        first, last = _parse_day(args.get("from")), _parse_day(args.get("to"))
        if first is None or last is None:
            raise DomainError(str(_l("Please give the first and the last day of the period.")), 422, "from")
        return Period.custom(first, last)
    day = _parse_day(args.get("on")) or today
    if not 1900 <= day.year <= 2999:
        day = today
    return Period.containing(kind, day)
