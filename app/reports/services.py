"""The figures of the reports, each counted in SQL (GROUP BY), never by loading rows into Python.

A report reads a fixed number of queries, however many districts, shifts or dialogs there are: each
figure is one grouped query for the whole scope, never one query per district or per month.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, and_, case, distinct, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.auth.models import User
from app.database import utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogStatus, FollowUp, SessionLog
from app.extensions import db
from app.places.models import LARGE_ACCOMMODATION_PLACES, Accommodation, Circle, District, circle_accommodations
from app.proposals.models import GRANTED_STATES, FundingProgramme, Proposal, ProposalState
from app.reports.models import DistrictPopulation
from app.reports.periods import Period, PeriodKind, add_months, local_midnight_utc
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
        query = select(District.id, District.name).order_by(District.name)
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


@dataclass
class Report:
    period: Period
    scope: Scope
    districts: list[DistrictFigures]
    total: DistrictFigures
    tables: dict[str, Table]
    months: list[tuple[date, Decimal, int, int, int]]  # month, hours, volunteers, shifts, dialogs held


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


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _shift_figures(scope: Scope, period: Period) -> dict:
    # Confirmed sign-ups per shift of the period only: the sign-ups of other years are never read.
    confirmed = (
        select(Signup.shift_id, func.count().label("n"))
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.status == SignupStatus.CONFIRMED, _shifts_in(period))
        .group_by(Signup.shift_id)
        .subquery()
    )
    taken = func.coalesce(confirmed.c.n, 0)
    query = (
        select(
            Circle.district_id,
            func.count(Shift.id),
            func.coalesce(func.sum(Shift.capacity), 0),
            func.coalesce(func.sum(taken), 0),
            _count_if(taken >= Shift.capacity),
        )
        .join(Circle, Circle.id == Shift.circle_id)
        .outerjoin(confirmed, confirmed.c.shift_id == Shift.id)
        .where(_shifts_in(period))
        .group_by(Circle.district_id)
    )
    return {row[0]: row[1:] for row in db.session.execute(scope.shifts(query))}


def _signup_query(scope: Scope, period: Period, *columns):
    query = (
        select(*columns)
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Circle, Circle.id == Shift.circle_id)
        .where(_shifts_in(period))
    )
    return scope.shifts(query)


def _signup_figures(scope: Scope, period: Period) -> dict:
    query = _signup_query(
        scope,
        period,
        Circle.district_id,
        func.count(distinct(case((_ACTIVE_SIGNUP, Signup.user_id)))),
        func.coalesce(func.sum(case((Signup.attendance == Attendance.ATTENDED, Signup.hours))), 0),
        _count_if(and_(Signup.status == SignupStatus.CANCELLED, Signup.late_cancellation.is_(True))),
        _count_if(Signup.attendance == Attendance.NO_SHOW),
    ).group_by(Circle.district_id)
    return {row[0]: row[1:] for row in db.session.execute(query)}


def _volunteers_total(scope: Scope, period: Period) -> int:
    """People who helped in two districts are one person in the total."""
    query = _signup_query(scope, period, func.count(distinct(Signup.user_id))).where(_ACTIVE_SIGNUP)
    return int(db.session.scalar(query) or 0)


def _dialog_query(scope: Scope, *columns):
    query = select(*columns).select_from(Dialog).join(Accommodation, Accommodation.id == Dialog.accommodation_id)
    return scope.dialogs(query)


def _dialog_figures(scope: Scope, period: Period, now: datetime) -> dict:
    query = (
        _dialog_query(
            scope,
            Accommodation.district_id,
            func.count(Dialog.id),
            func.count(SessionLog.id),
            func.coalesce(func.sum(SessionLog.refugees), 0),
            func.coalesce(func.sum(SessionLog.volunteers), 0),
            func.coalesce(func.sum(SessionLog.staff), 0),
        )
        .outerjoin(SessionLog, SessionLog.dialog_id == Dialog.id)
        .where(_dialogs_held(period, now))
        .group_by(Accommodation.district_id)
    )
    return {row[0]: row[1:] for row in db.session.execute(query)}


def _follow_up_figures(scope: Scope, period: Period, now: datetime, today: date) -> dict:
    query = (
        _dialog_query(
            scope,
            Accommodation.district_id,
            func.count(FollowUp.id),
            _count_if(FollowUp.done_at.is_(None)),
            _count_if(and_(FollowUp.done_at.is_(None), FollowUp.due_on < today)),
        )
        .join(SessionLog, SessionLog.dialog_id == Dialog.id)
        .join(FollowUp, FollowUp.log_id == SessionLog.id)
        .where(_dialogs_held(period, now))
        .group_by(Accommodation.district_id)
    )
    return {row[0]: row[1:] for row in db.session.execute(query)}


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
    return [tuple(row) for row in db.session.execute(query)]


def _month_bucket(column, months: list[date]):
    """The index of the month (in the city's time zone) a timestamp falls in; NULL outside them all."""
    bounds = [local_midnight_utc(m) for m in months]
    bounds.append(local_midnight_utc(add_months(months[-1], 1)))
    return case(
        *((and_(column >= bounds[i], column < bounds[i + 1]), literal(i)) for i in range(len(months))),
        else_=None,
    )


def _monthly(scope: Scope, period: Period, now: datetime) -> list[tuple[date, Decimal, int, int, int]]:
    months = period.trend_months()
    first, last = local_midnight_utc(months[0]), Period.containing(PeriodKind.MONTH, months[-1]).ends_at
    in_trend = and_(Shift.starts_at >= first, Shift.starts_at < last, Shift.status == ShiftStatus.SCHEDULED)

    signups = scope.shifts(
        select(
            _month_bucket(Shift.starts_at, months).label("month"),
            Signup.user_id,
            Signup.status,
            Signup.attendance,
            Signup.hours,
        )
        .select_from(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Circle, Circle.id == Shift.circle_id)
        .where(in_trend)
    ).subquery()
    active = and_(
        signups.c.status == SignupStatus.CONFIRMED,
        or_(signups.c.attendance.is_(None), signups.c.attendance == Attendance.ATTENDED),
    )
    signup_rows = db.session.execute(
        select(
            signups.c.month,
            func.coalesce(func.sum(case((signups.c.attendance == Attendance.ATTENDED, signups.c.hours))), 0),
            func.count(distinct(case((active, signups.c.user_id)))),
        ).group_by(signups.c.month)
    )
    hours = {row[0]: row[1:] for row in signup_rows}

    shifts = scope.shifts(
        select(_month_bucket(Shift.starts_at, months).label("month"))
        .select_from(Shift)
        .join(Circle, Circle.id == Shift.circle_id)
        .where(in_trend)
    ).subquery()
    shift_counts = dict(db.session.execute(select(shifts.c.month, func.count()).group_by(shifts.c.month)).all())

    dialogs = (
        _dialog_query(scope, _month_bucket(Dialog.starts_at, months).label("month"))
        .where(
            Dialog.starts_at >= first,
            Dialog.starts_at < last,
            Dialog.status == DialogStatus.PLANNED,
            Dialog.ends_at <= now,
        )
        .subquery()
    )
    dialog_counts = dict(db.session.execute(select(dialogs.c.month, func.count()).group_by(dialogs.c.month)).all())

    result = []
    for index, month in enumerate(months):
        month_hours, volunteers = hours.get(index, (0, 0))
        result.append(
            (
                month,
                _hours(month_hours),
                int(volunteers),
                int(shift_counts.get(index, 0)),
                int(dialog_counts.get(index, 0)),
            )
        )
    return result


def activity_report(scope: Scope, period: Period, today: date, now: datetime | None = None) -> Report:
    """Volunteers, hours, shifts, dialogs, interpreting and follow-ups of the scope in the period."""
    now = now or utcnow()
    rows = [DistrictFigures(district_id, name) for district_id, name in db.session.execute(scope.districts())]
    by_id = {row.district_id: row for row in rows}

    for district_id, (count, places, taken, filled) in _shift_figures(scope, period).items():
        if row := by_id.get(district_id):
            row.shifts, row.places, row.taken, row.filled = int(count), int(places), int(taken), int(filled)
    for district_id, (volunteers, hours, late, no_shows) in _signup_figures(scope, period).items():
        if row := by_id.get(district_id):
            row.volunteers, row.hours = int(volunteers), _hours(hours)
            row.late_cancellations, row.no_shows = int(late), int(no_shows)
    for district_id, (count, logged, refugees, volunteers, staff) in _dialog_figures(scope, period, now).items():
        if row := by_id.get(district_id):
            row.dialogs, row.logged = int(count), int(logged)
            row.refugees, row.dialog_volunteers, row.dialog_staff = int(refugees), int(volunteers), int(staff)
    for district_id, (count, open_, overdue) in _follow_up_figures(scope, period, now, today).items():
        if row := by_id.get(district_id):
            row.follow_ups, row.follow_ups_open, row.follow_ups_overdue = int(count), int(open_), int(overdue)

    total = DistrictFigures(0, str(_l("Total")))
    for name in (
        "hours", "shifts", "places", "taken", "filled", "late_cancellations", "no_shows", "dialogs", "logged",
        "refugees", "dialog_volunteers", "dialog_staff", "follow_ups", "follow_ups_open", "follow_ups_overdue",
    ):  # fmt: skip
        setattr(total, name, sum((getattr(row, name) for row in rows), start=type(getattr(total, name))()))
    total.volunteers = _volunteers_total(scope, period)

    months = _monthly(scope, period, now)
    languages = _language_figures(scope, period, now)
    tables = {
        **_district_tables(rows, total),
        "months": _month_table(months),
        "languages": _language_table(languages),
    }
    if scope.has_money:
        tables["proposals"] = _proposal_table(scope, period)
        tables["programmes"], tables["district_budgets"] = _budget_tables(scope, period)
    return Report(period, scope, rows, total, tables, months)


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

    rows = [
        [language_name(code), int(needed), int(covered), int(uncovered_held), int(uncovered_coming), _hours(hours)]
        for code, needed, covered, uncovered_held, uncovered_coming, hours in languages
    ]
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


def _programmes_in(period: Period):
    return FundingProgramme.year.in_(period.years)


def _proposal_table(scope: Scope, period: Period) -> Table:
    query = (
        select(
            District.name,
            Proposal.state,
            func.count(Proposal.id),
            func.coalesce(func.sum(Proposal.requested_cents), 0),
            func.coalesce(func.sum(case((Proposal.state.in_(GRANTED_STATES), Proposal.granted_cents))), 0),
        )
        .join(District, District.id == Proposal.district_id)
        .join(FundingProgramme, FundingProgramme.id == Proposal.programme_id)
        .where(_programmes_in(period))
        .group_by(District.name, Proposal.state)
    )
    if scope.district_id is not None:
        query = query.where(Proposal.district_id == scope.district_id)
    order = {state: index for index, state in enumerate(ProposalState)}
    found = sorted(db.session.execute(query).all(), key=lambda r: (r[0], order[ProposalState(r[1])]))
    rows = [
        [name, ProposalState(state).label, count, requested, granted]
        for name, state, count, requested, granted in found
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


def _budget_tables(scope: Scope, period: Period) -> tuple[Table, Table]:
    programmes = db.session.scalars(
        select(FundingProgramme).where(_programmes_in(period)).order_by(FundingProgramme.year, FundingProgramme.name)
    ).all()
    ids = [p.id for p in programmes]
    granted = db.session.execute(
        select(Proposal.programme_id, Proposal.district_id, func.sum(Proposal.granted_cents))
        .where(Proposal.programme_id.in_(ids), Proposal.state.in_(GRANTED_STATES))
        .group_by(Proposal.programme_id, Proposal.district_id)
    ).all()
    per_programme: dict[int, int] = {}
    per_district: dict[tuple[int, int], int] = {}
    for programme_id, district_id, cents in granted:
        per_programme[programme_id] = per_programme.get(programme_id, 0) + int(cents or 0)
        per_district[(programme_id, district_id)] = int(cents or 0)
    names = dict(db.session.execute(select(District.id, District.name)).all())

    programme_rows = []
    for p in programmes:
        spent = per_programme.get(p.id, 0)
        programme_rows.append(
            [p.display_name(), p.budget_cents, spent, p.budget_cents - spent, _ratio(spent, p.budget_cents)]
        )
    district_rows = []
    for p in programmes:
        budgets = {entry.district_id: entry.budget_cents for entry in p.district_budgets}
        district_ids = set(budgets) | {d for (pid, d) in per_district if pid == p.id}
        if scope.district_id is not None:
            district_ids &= {scope.district_id}
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
