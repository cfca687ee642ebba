"""The figures of the reports, each counted in SQL (GROUP BY), never by loading rows into Python.

A report reads a fixed number of queries, however many districts, shifts or dialogs there are: all figures
per district are one statement (a grouped subquery each), the month trend another, never one query per
district or per month. The figures carry no words of any language, so they can be kept for a short time
(`kept_report_figures`) and put into the reader's language afterwards (`report_from`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import Float, and_, case, distinct, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogStatus, FollowUp, SessionLog
from app.extensions import cache, db
from app.names import NamedInLanguages
from app.places.models import LARGE_ACCOMMODATION_PLACES, Accommodation, Circle, District, circle_accommodations
from app.proposals.models import GRANTED_STATES, DistrictBudget, FundingProgramme, Proposal, ProposalState
from app.reports.models import DistrictPopulation
from app.reports.periods import Period, add_months, local_midnight_utc
from app.shifts.models import Attendance, Shift, ShiftStatus, Signup, SignupStatus

# A district holds more (or fewer) accommodation places than its share of the population by more than this
# fraction: placement there is not proportional.
DISPROPORTION = Decimal("0.5")


# --- hours between two timestamps, on either database ------------------------------------------------------


class hours_between(FunctionElement):
    """Hours from the first timestamp to the second, as a number."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def _hours(value) -> Decimal:
    return Decimal(str(round(float(value or 0), 2))).quantize(Decimal("0.01"))


# --- scope ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a report covers: the whole city, one district, or some circles (a coordinator's own)."""

    district_id: int | None = None
    circle_ids: tuple[int, ...] | None = None

    @property
    def is_city(self) -> bool:
        return self.district_id is None and self.circle_ids is None

    @property
    def key(self) -> str:
        """The scope in a cache key."""
        if self.circle_ids is not None:
            return "circles-" + "-".join(map(str, self.circle_ids))
        return f"district-{self.district_id}" if self.district_id is not None else "city"

    @property
    def has_money(self) -> bool:
        """Proposals and budgets belong to districts, not to circles: circle reports leave them out."""
        return self.circle_ids is None

    def shifts(self, query):
        """Narrow a query that joins Shift and Circle to the scope."""
        if self.circle_ids is not None:
            query = query.where(Shift.circle_id.in_(self.circle_ids))
        if self.district_id is not None:
            query = query.where(Circle.district_id == self.district_id)
        return query

    def dialogs(self, query):
        """Narrow a query that joins Dialog and Accommodation: a circle's dialogs are those where it serves."""
        if self.circle_ids is not None:
            served = select(circle_accommodations.c.accommodation_id).where(
                circle_accommodations.c.circle_id.in_(self.circle_ids)
            )
            query = query.where(Dialog.accommodation_id.in_(served))
        if self.district_id is not None:
            query = query.where(Accommodation.district_id == self.district_id)
        return query

    def districts(self):
        """The districts the report has a row for."""
        query = select(District.id, District.name)
        if self.district_id is not None:
            query = query.where(District.id == self.district_id)
        if self.circle_ids is not None:
            query = query.where(District.id.in_(select(Circle.district_id).where(Circle.id.in_(self.circle_ids))))
        return query


# --- tables --------------------------------------------------------------------------------------------------


class Kind(enum.StrEnum):
    TEXT = "text"
    COUNT = "count"
    HOURS = "hours"
    PERCENT = "percent"  # a fraction: 0.25 is 25 %
    MONEY = "money"  # cents
    MONTH = "month"  # a date, shown as month and year


@dataclass
class Column:
    label: str
    kind: Kind = Kind.COUNT


@dataclass
class Table:
    """A table of the report: shown on the page, and downloadable as CSV and XLSX under its key."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None


# --- the activity report ---------------------------------------------------------------------------------------

# Part of the cache key: figures of another shape, kept by an earlier deploy in a shared cache, are never read.
FIGURES_VERSION = 1
T = TypeVar("T")


@dataclass
class DistrictFigures:
    district_id: int
    name: str
    volunteers: int = 0
    hours: Decimal = Decimal("0.00")
    shifts: int = 0
    places: int = 0
    taken: int = 0
    filled: int = 0
    late_cancellations: int = 0
    no_shows: int = 0
    dialogs: int = 0
    logged: int = 0
    refugees: int = 0
    dialog_volunteers: int = 0
    dialog_staff: int = 0
    follow_ups: int = 0
    follow_ups_open: int = 0
    follow_ups_overdue: int = 0

    @property
    def fill_rate(self) -> Decimal | None:
        return _ratio(self.taken, self.places)

    @property
    def participants(self) -> int:
        return self.refugees + self.dialog_volunteers + self.dialog_staff


def _ratio(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


class ProgrammeName(NamedTuple):
    locale: str
    name: str


@dataclass
class ProgrammeFigures(NamedInLanguages):
    """A funding programme as the budget tables need it, detached from the database so that it can be kept."""

    id: int
    name: str
    names: list[ProgrammeName]
    year: int
    budget_cents: int
    district_budgets: dict[int, int]  # district id: budget in cents

    display_name = FundingProgramme.display_name


@dataclass
class Figures:
    """What a report counts, before any of it is put into words: the same for every reader, so it can be kept."""

    scope: Scope
    period: Period
    computed_at: datetime
    districts: list[DistrictFigures]
    volunteers_total: int  # people who helped in two districts are one person here
    months: list[tuple[date, Decimal, int, int, int]]  # month, hours, volunteers, shifts, dialogs held
    languages: list[tuple[str, int, int, int, int, Decimal]]  # code, needed, covered, held/coming uncovered, hours
    proposals: list[tuple[int, int, ProposalState, int, int, int]] = field(default_factory=list)
    programmes: list[ProgrammeFigures] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    scope: Scope
    districts: list[DistrictFigures]
    total: DistrictFigures
    tables: dict[str, Table]
    months: list[tuple[date, Decimal, int, int, int]]  # month, hours, volunteers, shifts, dialogs held
    computed_at: datetime


def _shifts_in(period: Period):
    return and_(
        Shift.starts_at >= period.starts_at, Shift.starts_at < period.ends_at, Shift.status == ShiftStatus.SCHEDULED
    )


def _dialogs_held(period: Period, now: datetime):
    """Dialogs that took place in the period: not cancelled, and over by now."""
    return and_(
        Dialog.starts_at >= period.starts_at,
        Dialog.starts_at < period.ends_at,
        Dialog.status == DialogStatus.PLANNED,
        Dialog.ends_at <= now,
    )


# Confirmed and not marked as a no-show: whoever is down to help, or helped.
_ACTIVE_SIGNUP = and_(
    Signup.status == SignupStatus.CONFIRMED,
    or_(Signup.attendance.is_(None), Signup.attendance == Attendance.ATTENDED),
)
_ATTENDED_HOURS = case((Signup.attendance == Attendance.ATTENDED, Signup.hours))


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _zero(column):
    return func.coalesce(column, 0)


def _signup_query(scope: Scope, period: Period, *columns):
    query = (
        select(*columns)
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Circle, Circle.id == Shift.circle_id)
        .where(_shifts_in(period))
    )
    return scope.shifts(query)


def _dialog_query(scope: Scope, *columns):
    query = select(*columns).select_from(Dialog).join(Accommodation, Accommodation.id == Dialog.accommodation_id)
    return scope.dialogs(query)


def _district_figures(scope: Scope, period: Period, now: datetime, today: date) -> tuple[list[DistrictFigures], int]:
    """Every per-district figure and the city's helpers in one statement: each part grouped in a subquery."""
    # The sign-ups are read once, per shift; a shift's figures then add up per district.
    per_shift = (
        _signup_query(
            scope,
            period,
            Signup.shift_id.label("shift_id"),
            _count_if(Signup.status == SignupStatus.CONFIRMED).label("taken"),
            func.sum(_ATTENDED_HOURS).label("hours"),
            _count_if(and_(Signup.status == SignupStatus.CANCELLED, Signup.late_cancellation.is_(True))).label("late"),
            _count_if(Signup.attendance == Attendance.NO_SHOW).label("no_shows"),
        )
        .group_by(Signup.shift_id)
        .subquery()
    )
    taken = _zero(per_shift.c.taken)
    shifts = scope.shifts(
        select(
            Circle.district_id.label("district_id"),
            func.count(Shift.id).label("shifts"),
            func.sum(Shift.capacity).label("places"),
            func.sum(taken).label("taken"),
            _count_if(taken >= Shift.capacity).label("filled"),
            func.sum(per_shift.c.hours).label("hours"),
            func.sum(per_shift.c.late).label("late"),
            func.sum(per_shift.c.no_shows).label("no_shows"),
        )
        .select_from(Shift)
        .join(Circle, Circle.id == Shift.circle_id)
        .outerjoin(per_shift, per_shift.c.shift_id == Shift.id)
        .where(_shifts_in(period))
        .group_by(Circle.district_id)
    ).subquery()
    # Who helped, each person once per district, and once in the whole scope.
    volunteers = (
        _signup_query(
            scope, period, Circle.district_id.label("district_id"), func.count(distinct(Signup.user_id)).label("n")
        )
        .where(_ACTIVE_SIGNUP)
        .group_by(Circle.district_id)
        .subquery()
    )
    everyone = (
        _signup_query(scope, period, func.count(distinct(Signup.user_id))).where(_ACTIVE_SIGNUP).scalar_subquery()
    )
    dialogs = (
        _dialog_query(
            scope,
            Accommodation.district_id.label("district_id"),
            func.count(Dialog.id).label("dialogs"),
            func.count(SessionLog.id).label("logged"),
            func.sum(SessionLog.refugees).label("refugees"),
            func.sum(SessionLog.volunteers).label("volunteers"),
            func.sum(SessionLog.staff).label("staff"),
        )
        .outerjoin(SessionLog, SessionLog.dialog_id == Dialog.id)
        .where(_dialogs_held(period, now))
        .group_by(Accommodation.district_id)
        .subquery()
    )
    follow_ups = (
        _dialog_query(
            scope,
            Accommodation.district_id.label("district_id"),
            func.count(FollowUp.id).label("total"),
            _count_if(FollowUp.done_at.is_(None)).label("open"),
            _count_if(and_(FollowUp.done_at.is_(None), FollowUp.due_on < today)).label("overdue"),
        )
        .join(SessionLog, SessionLog.dialog_id == Dialog.id)
        .join(FollowUp, FollowUp.log_id == SessionLog.id)
        .where(_dialogs_held(period, now))
        .group_by(Accommodation.district_id)
        .subquery()
    )
    districts = scope.districts().subquery()
    query = (
        select(
            districts.c.id,
            districts.c.name,
            _zero(volunteers.c.n),
            _zero(shifts.c.hours),
            _zero(shifts.c.shifts),
            _zero(shifts.c.places),
            _zero(shifts.c.taken),
            _zero(shifts.c.filled),
            _zero(shifts.c.late),
            _zero(shifts.c.no_shows),
            _zero(dialogs.c.dialogs),
            _zero(dialogs.c.logged),
            _zero(dialogs.c.refugees),
            _zero(dialogs.c.volunteers),
            _zero(dialogs.c.staff),
            _zero(follow_ups.c.total),
            _zero(follow_ups.c.open),
            _zero(follow_ups.c.overdue),
            everyone,
        )
        .select_from(districts)
        .outerjoin(shifts, shifts.c.district_id == districts.c.id)
        .outerjoin(volunteers, volunteers.c.district_id == districts.c.id)
        .outerjoin(dialogs, dialogs.c.district_id == districts.c.id)
        .outerjoin(follow_ups, follow_ups.c.district_id == districts.c.id)
        .order_by(districts.c.name)
    )
    rows, total = [], 0
    for district_id, name, volunteer_count, hours, *counts, helpers_total in db.session.execute(query):
        rows.append(DistrictFigures(district_id, name, int(volunteer_count), _hours(hours), *map(int, counts)))
        total = int(helpers_total or 0)
    return rows, total


def _language_figures(scope: Scope, period: Period, now: datetime) -> list[tuple]:
    """Per language: needed in dialogs of the period, covered, held or coming without interpreter, hours."""
    held = Dialog.ends_at <= now
    interpreted = and_(held, DialogLanguage.interpreter_id.is_not(None))
    duration = hours_between(
        func.coalesce(SessionLog.started_at, Dialog.starts_at), func.coalesce(SessionLog.ended_at, Dialog.ends_at)
    )
    query = (
        _dialog_query(
            scope,
            DialogLanguage.code,
            func.count(DialogLanguage.id),
            func.count(DialogLanguage.interpreter_id),
            _count_if(and_(held, DialogLanguage.interpreter_id.is_(None))),
            _count_if(and_(~held, DialogLanguage.interpreter_id.is_(None))),
            func.coalesce(func.sum(case((interpreted, duration))), 0),
        )
        .join(DialogLanguage, DialogLanguage.dialog_id == Dialog.id)
        .outerjoin(SessionLog, SessionLog.dialog_id == Dialog.id)
        .where(
            Dialog.starts_at >= period.starts_at,
            Dialog.starts_at < period.ends_at,
            Dialog.status == DialogStatus.PLANNED,
        )
        .group_by(DialogLanguage.code)
        .order_by(DialogLanguage.code)
    )
    return [
        (code, int(needed), int(covered), int(held_uncovered), int(coming_uncovered), _hours(hours))
        for code, needed, covered, held_uncovered, coming_uncovered, hours in db.session.execute(query)
    ]


def _month_bounds(months: list[date]):
    """The trend's months as rows (index, first moment, moment after) in UTC."""
    bounds = [local_midnight_utc(m) for m in months]
    bounds.append(local_midnight_utc(add_months(months[-1], 1)))
    rows = [
        select(
            literal(index).label("month"),
            literal(bounds[index], UTCDateTime()).label("begins"),
            literal(bounds[index + 1], UTCDateTime()).label("ends"),
        )
        for index in range(len(months))
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("months")


def _monthly(scope: Scope, period: Period, now: datetime) -> list[tuple[date, Decimal, int, int, int]]:
    """Hours, helpers, shifts and dialogs held per month of the trend, in one statement.

    Each month counts in subqueries of its own that find the month's shifts and dialogs through the index on
    their start (a join on the months' bounds instead leaves SQLite to build an index of its own every time).
    """
    months = period.trend_months()
    bounds = _month_bounds(months)

    def shifts_of_month(*columns):
        return scope.shifts(
            select(*columns)
            .select_from(Shift)
            .join(Circle, Circle.id == Shift.circle_id)
            .where(
                Shift.starts_at >= bounds.c.begins,
                Shift.starts_at < bounds.c.ends,
                Shift.status == ShiftStatus.SCHEDULED,
            )
        )

    def signups_of_month(*columns):
        return shifts_of_month(*columns).join(Signup, Signup.shift_id == Shift.id)

    dialogs = _dialog_query(scope, func.count(Dialog.id)).where(
        Dialog.starts_at >= bounds.c.begins,
        Dialog.starts_at < bounds.c.ends,
        Dialog.status == DialogStatus.PLANNED,
        Dialog.ends_at <= now,
    )
    query = select(
        bounds.c.month,
        signups_of_month(func.sum(_ATTENDED_HOURS)).scalar_subquery(),
        signups_of_month(func.count(distinct(Signup.user_id))).where(_ACTIVE_SIGNUP).scalar_subquery(),
        shifts_of_month(func.count(Shift.id)).scalar_subquery(),
        dialogs.scalar_subquery(),
    ).order_by(bounds.c.month)
    found = {int(index): rest for index, *rest in db.session.execute(query)}
    result = []
    for index, month in enumerate(months):
        hours, volunteers, shift_count, dialog_count = found.get(index, (0, 0, 0, 0))
        result.append((month, _hours(hours), int(volunteers or 0), int(shift_count or 0), int(dialog_count or 0)))
    return result


def _programmes_in(period: Period):
    return FundingProgramme.year.in_(period.years)


def _proposal_figures(period: Period) -> list[tuple[int, int, ProposalState, int, int, int]]:
    """Proposals to the period's programmes per programme, district and state: count, requested and granted.

    All districts: a programme's granted total is the city's, also in a district's report.
    """
    query = (
        select(
            Proposal.programme_id,
            Proposal.district_id,
            Proposal.state,
            func.count(Proposal.id),
            func.coalesce(func.sum(Proposal.requested_cents), 0),
            func.coalesce(func.sum(Proposal.granted_cents), 0),
        )
        .join(FundingProgramme, FundingProgramme.id == Proposal.programme_id)
        .where(_programmes_in(period))
        .group_by(Proposal.programme_id, Proposal.district_id, Proposal.state)
    )
    return [
        (programme_id, district_id, ProposalState(state), int(count), int(requested), int(granted))
        for programme_id, district_id, state, count, requested, granted in db.session.execute(query)
    ]


def _programme_figures(period: Period) -> list[ProgrammeFigures]:
    """The period's programmes with their names and district budgets, read in one statement."""
    query = (
        select(FundingProgramme)
        .where(_programmes_in(period))
        .order_by(FundingProgramme.year, FundingProgramme.name)
        .options(
            joinedload(FundingProgramme.names),
            joinedload(FundingProgramme.district_budgets).lazyload(DistrictBudget.district),
        )
    )
    return [
        ProgrammeFigures(
            p.id,
            p.name,
            [ProgrammeName(entry.locale, entry.name) for entry in p.names],
            p.year,
            p.budget_cents,
            {entry.district_id: entry.budget_cents for entry in p.district_budgets},
        )
        for p in db.session.scalars(query).unique()
    ]


def report_figures(scope: Scope, period: Period, today: date, now: datetime | None = None) -> Figures:
    """Count volunteers, hours, shifts, dialogs, interpreting, follow-ups and money of the scope in the period."""
    now = now or utcnow()
    districts, volunteers_total = _district_figures(scope, period, now, today)
    figures = Figures(
        scope,
        period,
        now,
        districts,
        volunteers_total,
        _monthly(scope, period, now),
        _language_figures(scope, period, now),
    )
    if scope.has_money:
        figures.proposals = _proposal_figures(period)
        figures.programmes = _programme_figures(period)
    return figures


def kept(key: str, compute: Callable[[], T]) -> T:
    """What `compute` gives, kept for REPORT_CACHE_SECONDS under `key` (in Redis when it is configured).

    Computed anew when keeping is off, and when the store cannot be reached: reports are slower while Redis is
    down, never broken."""
    seconds = current_app.config["REPORT_CACHE_SECONDS"]
    if seconds <= 0:
        return compute()
    try:
        value = cache.get(key)
    except RedisError as error:
        current_app.logger.warning("report cache unreachable, counting anew: %s", error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=seconds)
        except RedisError as error:
            current_app.logger.warning("report cache unreachable, not keeping: %s", error)
    return value


def kept_report_figures(scope: Scope, period: Period, today: date) -> Figures:
    """The figures, counted at most REPORT_CACHE_SECONDS ago: the page and its downloads read the same ones."""
    key = f"report-figures:v{FIGURES_VERSION}:{scope.key}:{period.kind.value}:{period.first}:{period.last}:{today}"
    return kept(key, lambda: report_figures(scope, period, today))


def report_from(figures: Figures) -> Report:
    """The report's totals and tables, in the reader's language, from figures counted now or kept."""
    rows = figures.districts
    total = DistrictFigures(0, str(_l("Total")))
    for name in (
        "hours", "shifts", "places", "taken", "filled", "late_cancellations", "no_shows", "dialogs", "logged",
        "refugees", "dialog_volunteers", "dialog_staff", "follow_ups", "follow_ups_open", "follow_ups_overdue",
    ):  # fmt: skip
        setattr(total, name, sum((getattr(row, name) for row in rows), start=type(getattr(total, name))()))
    total.volunteers = figures.volunteers_total
    tables = {
        **_district_tables(rows, total),
        "months": _month_table(figures.months),
        "languages": _language_table(figures.languages),
    }
    if figures.scope.has_money:
        names = {row.district_id: row.name for row in rows}
        tables["proposals"] = _proposal_table(figures, names)
        tables["programmes"], tables["district_budgets"] = _budget_tables(figures, names)
    return Report(figures.period, figures.scope, rows, total, tables, figures.months, figures.computed_at)


def activity_report(scope: Scope, period: Period, today: date, now: datetime | None = None) -> Report:
    """Volunteers, hours, shifts, dialogs, interpreting and follow-ups of the scope in the period, counted now."""
    return report_from(report_figures(scope, period, today, now))


def _district_table(key: str, title, columns: list[tuple], rows: list[DistrictFigures], total: DistrictFigures):
    """A table with a row per district (and the total) of the figures named in `columns`."""

    def line(row: DistrictFigures) -> list:
        return [row.name, *(getattr(row, name) for name, _label, _kind in columns)]

    return Table(
        key,
        str(title),
        [Column(str(_l("District")), Kind.TEXT), *(Column(str(label), kind) for _name, label, kind in columns)],
        [line(row) for row in rows],
        line(total),
    )


def _district_tables(rows: list[DistrictFigures], total: DistrictFigures) -> dict[str, Table]:
    tables = [
        _district_table(
            "volunteers",
            _l("Volunteers per district"),
            [
                ("volunteers", _l("Active volunteers"), Kind.COUNT),
                ("hours", _l("Volunteer hours"), Kind.HOURS),
                ("late_cancellations", _l("Late cancellations"), Kind.COUNT),
                ("no_shows", _l("No-shows"), Kind.COUNT),
            ],
            rows,
            total,
        ),
        _district_table(
            "shifts",
            _l("Shifts per district"),
            [
                ("shifts", _l("Shifts offered"), Kind.COUNT),
                ("filled", _l("Shifts filled"), Kind.COUNT),
                ("places", _l("Places offered"), Kind.COUNT),
                ("taken", _l("Places taken"), Kind.COUNT),
                ("fill_rate", _l("Fill rate"), Kind.PERCENT),
            ],
            rows,
            total,
        ),
        _district_table(
            "dialogs",
            _l("Dialogs and participants per district"),
            [
                ("dialogs", _l("Dialogs held"), Kind.COUNT),
                ("logged", _l("With a log"), Kind.COUNT),
                ("refugees", _l("Refugees"), Kind.COUNT),
                ("dialog_volunteers", _l("Volunteers"), Kind.COUNT),
                ("dialog_staff", _l("Staff"), Kind.COUNT),
            ],
            rows,
            total,
        ),
        _district_table(
            "follow_ups",
            _l("Follow-ups per district"),
            [
                ("follow_ups", _l("Follow-ups"), Kind.COUNT),
                ("follow_ups_open", _l("Open"), Kind.COUNT),
                ("follow_ups_overdue", _l("Overdue"), Kind.COUNT),
            ],
            rows,
            total,
        ),
    ]
    return {table.key: table for table in tables}


def _month_table(months: list[tuple[date, Decimal, int, int, int]]) -> Table:
    return Table(
        "months",
        str(_l("Month by month")),
        [
            Column(str(_l("Month")), Kind.MONTH),
            Column(str(_l("Volunteer hours")), Kind.HOURS),
            Column(str(_l("Active volunteers"))),
            Column(str(_l("Shifts offered"))),
            Column(str(_l("Dialogs held"))),
        ],
        [list(month) for month in months],
    )


def _language_table(languages: list[tuple]) -> Table:
    from app.i18n import language_name

    rows = [[language_name(code), *counts] for code, *counts in languages]
    total = None
    if rows:
        total = [str(_l("Total")), *(sum(row[i] for row in rows) for i in range(1, 6))]
    return Table(
        "languages",
        str(_l("Interpreting per language")),
        [
            Column(str(_l("Language")), Kind.TEXT),
            Column(str(_l("Needed"))),
            Column(str(_l("Covered"))),
            Column(str(_l("Held without interpreter"))),
            Column(str(_l("Coming, still uncovered"))),
            Column(str(_l("Interpreter hours")), Kind.HOURS),
        ],
        rows,
        total,
    )


def _proposal_table(figures: Figures, names: dict[int, str]) -> Table:
    sums: dict[tuple[str, ProposalState], list[int]] = {}
    for _programme_id, district_id, state, count, requested, granted in figures.proposals:
        if figures.scope.district_id is not None and district_id != figures.scope.district_id:
            continue
        entry = sums.setdefault((names[district_id], state), [0, 0, 0])
        entry[0] += count
        entry[1] += requested
        entry[2] += granted if state in GRANTED_STATES else 0
    order = {state: index for index, state in enumerate(ProposalState)}
    rows = [
        [name, state.label, *entry]
        for (name, state), entry in sorted(sums.items(), key=lambda item: (item[0][0], order[item[0][1]]))
    ]
    total = None
    if rows:
        total = [str(_l("Total")), "", *(sum(row[i] for row in rows) for i in (2, 3, 4))]
    return Table(
        "proposals",
        str(_l("Proposals by state")),
        [
            Column(str(_l("District")), Kind.TEXT),
            Column(str(_l("State")), Kind.TEXT),
            Column(str(_l("Proposals"))),
            Column(str(_l("Requested")), Kind.MONEY),
            Column(str(_l("Granted")), Kind.MONEY),
        ],
        rows,
        total,
    )


def _budget_tables(figures: Figures, names: dict[int, str]) -> tuple[Table, Table]:
    per_programme: dict[int, int] = {}
    per_district: dict[tuple[int, int], int] = {}
    for programme_id, district_id, state, _count, _requested, granted in figures.proposals:
        if state in GRANTED_STATES:
            per_programme[programme_id] = per_programme.get(programme_id, 0) + granted
            per_district[(programme_id, district_id)] = per_district.get((programme_id, district_id), 0) + granted

    programme_rows = []
    for p in figures.programmes:
        spent = per_programme.get(p.id, 0)
        programme_rows.append(
            [p.display_name(), p.budget_cents, spent, p.budget_cents - spent, _ratio(spent, p.budget_cents)]
        )
    district_rows = []
    for p in figures.programmes:
        budgets = p.district_budgets
        district_ids = set(budgets) | {d for (pid, d) in per_district if pid == p.id}
        if figures.scope.district_id is not None:
            district_ids &= {figures.scope.district_id}
        for district_id in sorted(district_ids, key=lambda d: names[d]):
            spent = per_district.get((p.id, district_id), 0)
            budget = budgets.get(district_id)
            district_rows.append(
                [
                    p.display_name(),
                    names[district_id],
                    budget,
                    spent,
                    None if budget is None else budget - spent,
                    _ratio(spent, budget),
                ]
            )
    money_columns = [
        Column(str(_l("Budget")), Kind.MONEY),
        Column(str(_l("Granted")), Kind.MONEY),
        Column(str(_l("Remaining")), Kind.MONEY),
        Column(str(_l("Share granted")), Kind.PERCENT),
    ]
    programme_table = Table(
        "programmes",
        str(_l("Granted and budget per programme")),
        [Column(str(_l("Programme")), Kind.TEXT), *money_columns],
        programme_rows,
    )
    district_table = Table(
        "district_budgets",
        str(_l("Granted and budget per programme and district")),
        [Column(str(_l("Programme")), Kind.TEXT), Column(str(_l("District")), Kind.TEXT), *money_columns],
        district_rows,
    )
    return programme_table, district_table


# --- Stuttgarter Weg: placement against population ------------------------------------------------------------


@dataclass
class Placement:
    district_id: int
    name: str
    population: int | None
    places: int
    accommodations: int
    large: int
    population_share: Decimal | None = None
    places_share: Decimal | None = None
    proportional_places: int | None = None

    @property
    def ratio(self) -> Decimal | None:
        """Places share over population share: 1 is proportional."""
        if self.population_share is None or self.places_share is None or not self.population_share:
            return None
        return (self.places_share / self.population_share).quantize(Decimal("0.01"))

    @property
    def tone(self) -> str:
        """ "over" or "under" where placement is not proportional, "" where it is (or can't be told)."""
        ratio = self.ratio
        if ratio is None:
            return ""
        if ratio > 1 + DISPROPORTION:
            return "over"
        if ratio < 1 - DISPROPORTION:
            return "under"
        return ""


def population_years() -> list[int]:
    return list(db.session.scalars(select(DistrictPopulation.year).distinct().order_by(DistrictPopulation.year.desc())))


def placement_report(year: int | None) -> tuple[list[Placement], Table, Table]:
    """Per district: planned places next to the district's share of the population in that year."""
    places = (
        select(
            Accommodation.district_id,
            func.sum(Accommodation.planned_places).label("places"),
            func.count(Accommodation.id).label("accommodations"),
            _count_if(Accommodation.planned_places > LARGE_ACCOMMODATION_PLACES).label("large"),
        )
        .group_by(Accommodation.district_id)
        .subquery()
    )
    population = (
        select(DistrictPopulation.district_id, DistrictPopulation.population)
        .where(DistrictPopulation.year == (year if year is not None else -1))
        .subquery()
    )
    query = (
        select(
            District.id,
            District.name,
            population.c.population,
            func.coalesce(places.c.places, 0),
            func.coalesce(places.c.accommodations, 0),
            func.coalesce(places.c.large, 0),
        )
        .outerjoin(places, places.c.district_id == District.id)
        .outerjoin(population, population.c.district_id == District.id)
        .order_by(District.name)
    )
    rows = [
        Placement(district_id, name, pop, int(total), int(count), int(large))
        for district_id, name, pop, total, count, large in db.session.execute(query)
    ]
    total_population = sum(r.population for r in rows if r.population is not None)
    total_places = sum(r.places for r in rows)
    for row in rows:
        if row.population is not None and total_population:
            row.population_share = _ratio(row.population, total_population)
            row.proportional_places = round(total_places * row.population / total_population)
        if total_places:
            row.places_share = _ratio(row.places, total_places)

    labels = {"over": str(_l("More than proportional")), "under": str(_l("Less than proportional")), "": ""}
    table = Table(
        "placement",
        str(_l("Accommodation places and population per district")),
        [
            Column(str(_l("District")), Kind.TEXT),
            Column(str(_l("Population"))),
            Column(str(_l("Share of the population")), Kind.PERCENT),
            Column(str(_l("Planned places"))),
            Column(str(_l("Share of the places")), Kind.PERCENT),
            Column(str(_l("Proportional places"))),
            Column(str(_l("Accommodations"))),
            Column(str(_l("Over 250 places"))),
            Column(str(_l("Placement")), Kind.TEXT),
        ],
        [
            [
                r.name,
                r.population,
                r.population_share,
                r.places,
                r.places_share,
                r.proportional_places,
                r.accommodations,
                r.large,
                labels[r.tone],
            ]
            for r in rows
        ],
        [
            str(_l("Total")),
            total_population or None,
            Decimal(1) if total_population else None,
            total_places,
            Decimal(1) if total_places else None,
            total_places if total_population else None,
            sum(r.accommodations for r in rows),
            sum(r.large for r in rows),
            "",
        ],
    )
    large = db.session.execute(
        select(Accommodation.name, District.name, Accommodation.kind, Accommodation.planned_places)
        .join(District, District.id == Accommodation.district_id)
        .where(Accommodation.planned_places > LARGE_ACCOMMODATION_PLACES)
        .order_by(Accommodation.planned_places.desc(), Accommodation.name)
    ).all()
    large_table = Table(
        "large_accommodations",
        str(_l("Accommodations over 250 places")),
        [
            Column(str(_l("Accommodation")), Kind.TEXT),
            Column(str(_l("District")), Kind.TEXT),
            Column(str(_l("Kind")), Kind.TEXT),
            Column(str(_l("Planned places"))),
        ],
        [[name, district, kind.label, planned] for name, district, kind, planned in large],
    )
    return rows, table, large_table


def populations(year: int) -> dict[int, int]:
    """The population entered per district for the year."""
    query = select(DistrictPopulation.district_id, DistrictPopulation.population).where(DistrictPopulation.year == year)
    return dict(db.session.execute(query).all())


def save_populations(by: User, year: int, figures: dict[int, int | None]) -> int:
    """Enter the year's population per district; an empty figure removes the district's entry. Flushes."""
    existing = {
        entry.district_id: entry
        for entry in db.session.scalars(select(DistrictPopulation).where(DistrictPopulation.year == year))
    }
    changed = 0
    for district_id, population in figures.items():
        entry = existing.get(district_id)
        if population is None:
            if entry is not None:
                db.session.delete(entry)
                changed += 1
            continue
        if entry is None:
            db.session.add(
                DistrictPopulation(district_id=district_id, year=year, population=population, updated_by_id=by.id)
            )
            changed += 1
        elif entry.population != population:
            entry.population, entry.updated_by_id, entry.updated_at = population, by.id, utcnow()
            changed += 1
    db.session.flush()
    return changed


# --- what a person may pick -------------------------------------------------------------------------------------


def circles_for(user: User) -> list[Circle]:
    """The circles a user may report on: every circle for staff, the coordinated ones otherwise."""
    query = select(Circle).order_by(Circle.name)
    if not user.is_staff:
        query = query.where(Circle.id.in_(user.coordinated_circle_ids))
    return list(db.session.scalars(query))


def all_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))
