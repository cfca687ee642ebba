"""Planning shifts and series, signing up with a waitlist, attendance, reminders and calendar files.

Every change to a shift's sign-ups first locks the shift's row (an UPDATE of its version), so that
concurrent sign-ups and cancellations for one shift take turns on SQLite and PostgreSQL alike: the
capacity holds however many people tap at the same moment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import Message
from functools import cache
from itertools import islice
from typing import NamedTuple

from dateutil.rrule import WEEKLY, rrule, rrulestr
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from sqlalchemy import (
    Date,
    Integer,
    Row,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import LanguageLevel, Role, RoleGrant, User, UserLanguage
from app.database import LOCAL_TIMEZONE, UTCDateTime, local_today, utcnow
from app.dialogs.bookings import dialog_bookings_query
from app.dialogs.models import Dialog
from app.errors import DomainError
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import language_name, ngettext
from app.mail import mail_writer, queue_mail, queue_written_mail, write_mail
from app.names import save_names
from app.places.models import Accommodation, Circle, CircleMembership, District, MembershipStatus, VettingRecord
from app.shifts.models import (
    LATE_CANCELLATION,
    SHIFT_ROW_COLUMNS,
    ActivityType,
    ActivityTypeName,
    Attendance,
    AttendanceSubmission,
    Shift,
    ShiftRow,
    ShiftSeries,
    ShiftStatus,
    Signup,
    SignupStatus,
    place_line,
)
from app.views import public_url

MAX_SERIES_OCCURRENCES = 200
MAX_SHIFT_HOURS = 24
PAST_SHIFTS_SHOWN = 50
WORKING_LEVELS = (LanguageLevel.WORKING, LanguageLevel.FLUENT, LanguageLevel.NATIVE)

DEFAULT_ACTIVITIES = {
    # German name: translations
    "Hausaufgabenhilfe": {
        "en": "Homework help",
        "ar": "المساعدة في الواجبات المدرسية",
        "fa": "کمک در تکالیف مدرسه",
        "uk": "Допомога з домашніми завданнями",
        "tr": "Ödev yardımı",
    },
    "Sprachcafé": {
        "en": "Language café",
        "ar": "مقهى اللغة",
        "fa": "کافه زبان",
        "uk": "Мовне кафе",
        "tr": "Dil kafesi",
    },
    "Begleitung zu Behörden": {
        "en": "Accompaniment to authorities",
        "ar": "المرافقة إلى الدوائر الرسمية",
        "fa": "همراهی به ادارات",
        "uk": "Супровід до установ",
        "tr": "Resmi dairelere refakat",
    },
    "Kinderbetreuung": {
        "en": "Childcare",
        "ar": "رعاية الأطفال",
        "fa": "مراقبت از کودکان",
        "uk": "Догляд за дітьми",
        "tr": "Çocuk bakımı",
    },
    "Sport": {"en": "Sports", "ar": "رياضة", "fa": "ورزش", "uk": "Спорт", "tr": "Spor"},
    "Fahrradwerkstatt": {
        "en": "Bicycle workshop",
        "ar": "ورشة الدراجات",
        "fa": "کارگاه دوچرخه",
        "uk": "Велосипедна майстерня",
        "tr": "Bisiklet atölyesi",
    },
}


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Europe/Berlin as UTC."""
    return value.replace(tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def utc_to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TIMEZONE)


def shift_times(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Start and end in UTC for a day's local times; an end before the start means the next day."""
    starts = datetime.combine(day, start)
    ends = datetime.combine(day, end)
    if ends <= starts:
        ends += timedelta(days=1)
    return local_to_utc(starts), local_to_utc(ends)


# --- activity types ----------------------------------------------------------------------------------------


def seed_activity_types() -> int:
    """Add the usual kinds of volunteer work that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(ActivityType.name)))
    added = 0
    for name, translations in DEFAULT_ACTIVITIES.items():
        if name in existing:
            continue
        activity = ActivityType(name=name)
        activity.names = [ActivityTypeName(locale=code, name=text) for code, text in translations.items()]
        db.session.add(activity)
        added += 1
    db.session.flush()
    return added


def save_activity_type(by: User, names: dict[str, str], activity: ActivityType | None = None) -> ActivityType:
    """Create or rename an activity type; the German name is required and unique."""
    return save_names(
        ActivityType,
        ActivityTypeName,
        names,
        activity,
        lambda name: _("An activity named %(name)s already exists.", name=name),
    )


# --- planning ----------------------------------------------------------------------------------------------


@dataclass
class ShiftDetails:
    """What a coordinator fills in for a shift (or every shift of a series)."""

    title: str
    activity_type: ActivityType
    accommodation_id: int | None
    place_text: str
    start: time
    end: time
    capacity: int
    description: str = ""
    required_language: str | None = None
    requires_vetting: bool = False
    open_to_all: bool = False
    signup_opens_hours: int | None = None

    def check(self, circle: Circle) -> None:
        if self.accommodation_id is not None and self.accommodation_id not in {a.id for a in circle.accommodations}:
            raise DomainError(_("Choose one of the circle's accommodations."), 422, "accommodation")
        if self.accommodation_id is None and not self.place_text.strip():
            raise DomainError(_("Choose an accommodation or enter an address."), 422, "place_text")
        if self.capacity < 1:
            raise DomainError(_("A shift needs at least one place."), 422, "capacity")

    def apply(self, shift: Shift, day: date) -> None:
        shift.title = self.title.strip()
        shift.activity_type = self.activity_type
        shift.accommodation_id = self.accommodation_id
        shift.place_text = "" if self.accommodation_id else self.place_text.strip()
        shift.starts_at, shift.ends_at = shift_times(day, self.start, self.end)
        shift.capacity = self.capacity
        shift.description = self.description.strip()
        shift.required_language = self.required_language or None
        shift.requires_vetting = self.requires_vetting
        shift.open_to_all = self.open_to_all
        shift.signup_opens_hours = self.signup_opens_hours


def create_shift(by: User, circle: Circle, day: date, details: ShiftDetails) -> Shift:
    """Plan one shift."""
    details.check(circle)
    shift = Shift(circle=circle, created_by_id=by.id)
    details.apply(shift, day)
    if shift.has_started():
        raise DomainError(_("The shift would start in the past."), 422, "day")
    db.session.add(shift)
    db.session.flush()
    return shift


def series_dates(first: date, until: date, weekdays: Iterable[int], interval: int, limit: int) -> list[date]:
    """The days of a weekly or biweekly rule (RFC 5545 via dateutil), at most `limit` of them."""
    rule = rrule(
        WEEKLY,
        interval=interval,
        byweekday=sorted(weekdays),
        dtstart=datetime.combine(first, time()),
        until=datetime.combine(until, time()),
    )
    return [occurrence.date() for occurrence in islice(rule, limit)]


def create_series(
    by: User,
    circle: Circle,
    details: ShiftDetails,
    *,
    first: date,
    until: date,
    weekdays: list[int],
    interval: int,
    skip: Iterable[date] = (),
) -> ShiftSeries:
    """Plan a recurring series: one shift per matching day, at the same local time across DST changes."""
    details.check(circle)
    if until < first:
        raise DomainError(_("The series must end on or after its first day."), 422, "until")
    if not weekdays:
        raise DomainError(_("Choose at least one weekday."), 422, "weekdays")
    skip = set(skip)
    # One more than allowed is enough to know the series is too long.
    limit = MAX_SERIES_OCCURRENCES + len(skip) + 1
    days = [d for d in series_dates(first, until, weekdays, interval, limit) if d not in skip]
    days = [d for d in days if shift_times(d, details.start, details.end)[0] > utcnow()]
    if not days:
        raise DomainError(_("The series has no future dates."), 422, "until")
    if len(days) > MAX_SERIES_OCCURRENCES:
        raise DomainError(
            _("A series can have at most %(count)d shifts; choose an earlier end.", count=MAX_SERIES_OCCURRENCES),
            422,
            "until",
        )
    rule = rrule(
        WEEKLY,
        interval=interval,
        byweekday=sorted(weekdays),
        dtstart=datetime.combine(first, details.start),
        until=datetime.combine(until, details.start),
    )
    series = ShiftSeries(circle=circle, rrule=str(rule), created_by_id=by.id)
    db.session.add(series)
    for day in days:
        shift = Shift(circle=circle, series=series, created_by_id=by.id)
        details.apply(shift, day)
        db.session.add(shift)
    db.session.flush()
    return series


def series_rule_text(series: ShiftSeries) -> str:
    """The stored rule, re-read by dateutil (it must stay valid RFC 5545)."""
    return str(rrulestr(series.rrule))


def shifts_in_scope(shift: Shift, scope: str) -> list[Shift]:
    """This shift alone, or it and the later shifts of its series that are not cancelled."""
    if scope != "following" or shift.series_id is None:
        return [shift]
    return list(
        db.session.scalars(
            select(Shift)
            .where(Shift.series_id == shift.series_id, Shift.starts_at >= shift.starts_at)
            .where(Shift.status == ShiftStatus.SCHEDULED)
            .order_by(Shift.starts_at)
        )
    )


def update_shift(by: User, shift: Shift, details: ShiftDetails, day: date, scope: str = "this") -> list[Shift]:
    """Change a shift (or it and the following ones of its series); helpers are told of new times or places."""
    details.check(shift.circle)
    changed = []
    for target in shifts_in_scope(shift, scope):
        lock_shift(target)
        if target.is_cancelled:  # re-read under the lock: a cancellation may have come first
            raise DomainError(_("A cancelled shift can't be changed."))
        before = (target.starts_at, target.ends_at, target.place)
        target_day = day if target is shift else utc_to_local(target.starts_at).date()
        confirmed = target.confirmed_count  # as the lock found it
        details.apply(target, target_day)
        if target.capacity < confirmed:
            raise DomainError(
                ngettext(
                    "%(num)d person is already signed up; the capacity can't be lower.",
                    "%(num)d people are already signed up; the capacity can't be lower.",
                    confirmed,
                ),
                422,
                "capacity",
            )
        if target is shift and target.has_started():
            raise DomainError(_("The shift would start in the past."), 422, "day")
        if (target.starts_at, target.ends_at) != before[:2]:
            # Nobody confirmed may end up in two places at once (another shift or a dialog).
            for signup in active_signups(target):
                if signup.status is not SignupStatus.CONFIRMED:
                    continue
                clash = Eligibility.of(signup.user).clash(target)
                if clash is not None:
                    raise DomainError(
                        _(
                            "%(name)s is already booked for %(title)s at that time.",
                            name=signup.user.name,
                            title=clash,
                        ),
                        409,
                        "day",
                    )
            # A reminder sent for the old time says nothing about the new one.
            db.session.execute(
                update(Signup)
                .where(Signup.shift_id == target.id)
                .values(reminder_sent_at=None)
                .execution_options(synchronize_session="fetch")
            )
        _promote_waitlist(target)
        if (target.starts_at, target.ends_at, target.place) != before:
            _tell_helpers(target, "shifts/mail/shift_changed.txt", _l("Changed: %(title)s", title=target.title))
        changed.append(target)
    if scope == "this" and shift.series_id is not None:
        shift.series_id = None  # an exception: it no longer follows the series
    db.session.flush()
    return changed


def cancel_shift(by: User, shift: Shift, reason: str, scope: str = "this") -> list[Shift]:
    """Call off a shift (or it and the following ones of its series) and tell everyone signed up."""
    cancelled = []
    for target in shifts_in_scope(shift, scope):
        lock_shift(target)
        target.cancel(reason.strip())
        _tell_helpers(target, "shifts/mail/shift_cancelled.txt", _l("Cancelled: %(title)s", title=target.title))
        cancelled.append(target)
    db.session.flush()
    return cancelled


def message_helpers(by: User, shift: Shift, subject: str, text: str) -> int:
    """A coordinator's message to everyone signed up for the shift; returns how many were written to."""
    signups = [signup for signup in active_signups(shift) if signup.user.is_enabled]
    for signup in signups:
        queue_mail(
            signup.user.email,
            subject,
            "shifts/mail/message.txt",
            locale=signup.user.locale,
            shift=shift,
            sender=by,
            text=text,
            link=_shift_link(shift),
        )
    return len(signups)


# --- sign-ups ----------------------------------------------------------------------------------------------


# The statements of signing up and cancelling are built once, with parameters: built anew for every request, each
# cost SQLAlchemy more to key and look up than PostgreSQL took to run it.


@cache
def _lock_shift_statement():
    table = Shift.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("shift_id"))
        .values(version=table.c.version + 1)
        .returning(*(attribute.columns[0] for attribute in Shift.__mapper__.column_attrs))
    )


def lock_shift(shift: Shift) -> None:
    """Take the shift's row lock for the rest of the transaction and re-read the shift.

    An UPDATE locks the row on PostgreSQL and takes SQLite's write lock, so every sign-up change for
    the shift waits for the one before it to commit. It returns the row as the lock found it, which replaces the
    shift's columns in the session, its confirmed count among them; what was loaded with the shift (its circle)
    stays. (What else a sign-up needs, such as the person's own sign-up, is read in statements of its own: on
    PostgreSQL only a statement begun after the lock was granted sees what the transaction before it committed.)
    """
    row = db.session.execute(_lock_shift_statement(), {"shift_id": shift.id}).one()
    for attribute, value in zip(Shift.__mapper__.column_attrs, row, strict=True):
        set_committed_value(shift, attribute.key, value)


def _waiting_ahead_of(shift_id, requested_at, signup_id):
    """How many wait for the shift ahead of a sign-up asked for at `requested_at` with the id `signup_id` (earlier,
    or at the same moment with a lower id): its place on the waitlist, less one. A scalar subquery."""
    other = aliased(Signup)
    return (
        select(func.count())
        .select_from(other)
        .where(
            other.shift_id == shift_id,
            other.status == SignupStatus.WAITLISTED,
            (other.requested_at < requested_at) | and_(other.requested_at == requested_at, other.id < signup_id),
        )
        .scalar_subquery()
    )


@cache
def _confirmed_count_statement():
    return select(Shift.confirmed_count).where(Shift.id == bindparam("shift_id"))


def confirmed_count(shift: Shift) -> int:
    """The shift's confirmed sign-ups as the database has them now (the copy in the session may be older)."""
    return db.session.scalar(_confirmed_count_statement(), {"shift_id": shift.id})


def active_signups(shift: Shift) -> list[Signup]:
    return list(
        db.session.scalars(
            select(Signup)
            .where(Signup.shift_id == shift.id, Signup.status != SignupStatus.CANCELLED)
            .order_by(Signup.requested_at, Signup.id)
        )
    )


@cache
def _waiting_ahead_statement():
    requested_at = bindparam("requested_at", type_=UTCDateTime())
    return select(_waiting_ahead_of(bindparam("shift_id"), requested_at, bindparam("signup_id")))


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first person waiting, None when not on the waitlist."""
    if signup.status is not SignupStatus.WAITLISTED:
        return None
    params = {"shift_id": signup.shift_id, "requested_at": signup.requested_at, "signup_id": signup.id}
    return db.session.scalar(_waiting_ahead_statement(), params) + 1


class OwnSignup(NamedTuple):
    """What a list's card shows of the person's own sign-up (`open_shifts`)."""

    status: SignupStatus


@dataclass
class SignupStats:
    """For a list of shifts: confirmed counts, one person's own sign-ups and their waitlist places."""

    counts: dict[int, int]
    own: dict[int, Row]
    positions: dict[int, int]


@cache
def _signup_stats_statement():
    return (
        select(Signup.id, Signup.shift_id, Signup.user_id, Signup.status)
        .where(Signup.shift_id.in_(bindparam("shift_ids", expanding=True)), Signup.status != SignupStatus.CANCELLED)
        .order_by(Signup.shift_id, Signup.requested_at, Signup.id)
    )


def signup_stats(user: User, shift_ids: list[int]) -> SignupStats:
    """Read the active sign-ups of the shifts once (a few columns each) and count them here."""
    stats = SignupStats({}, {}, {})
    if not shift_ids:
        return stats
    rows = db.session.execute(_signup_stats_statement(), {"shift_ids": list(shift_ids)}).all()
    waiting: dict[int, int] = {}
    user_id = user.id  # once: the user may be a proxy that looks itself up at every attribute
    for row in rows:
        if row.status is SignupStatus.CONFIRMED:
            stats.counts[row.shift_id] = stats.counts.get(row.shift_id, 0) + 1
        else:
            waiting[row.shift_id] = waiting.get(row.shift_id, 0) + 1
            stats.positions[row.id] = waiting[row.shift_id]
        if row.user_id == user_id:
            stats.own[row.shift_id] = row
    return stats


@dataclass(frozen=True)
class ShiftListFilter:
    """What narrows a list of open shifts (each optional): the circles of a district, a circle, an activity, a first
    and a last moment (UTC), and "only those the person could take"."""

    district_circle_ids: tuple[int, ...] | None = None
    circle_id: int | None = None
    activity_id: int | None = None
    since: datetime | None = None
    before: datetime | None = None
    takeable: bool = False
    # The start and id of the last shift of the page before: the shifts after it (the API's pages).
    after: tuple[datetime, int] | None = None


@cache
def _open_shifts_statement(
    dialect: str,
    with_district: bool,
    by_district: bool,
    by_circle: bool,
    by_activity: bool,
    since: bool,
    before: bool,
    takeable: bool,
    needs_no_vetting: bool,
    after: bool = False,
):
    """The open-shifts statement for one combination of filters, with every value a parameter: each combination is
    built once, and SQLAlchemy reuses its compiled form (building and compiling cost more than running it).

    Limit and offset are written into the SQL when it runs: with them as parameters, PostgreSQL assumes a tenth of
    the rows are wanted, finds its general plan dear, and plans the statement anew for every request. The time is
    a parameter, except in a list without a district on PostgreSQL (see `_now`)."""
    statement = (
        select(
            *(getattr(Shift, name) for name in SHIFT_ROW_COLUMNS),
            Shift.accommodation_id,
            Shift.place_text,
            Shift.confirmed_count,
        )
        .where(Shift.status == ShiftStatus.SCHEDULED, Shift.starts_at > _now(dialect, by_district))
        .order_by(Shift.starts_at, Shift.id)
        .limit(bindparam("limit", type_=Integer, literal_execute=True))
        .offset(bindparam("offset", type_=Integer, literal_execute=True))
    )
    if by_district:
        # The district's circles that are the person's own, and the shifts open to all of its others: each of the
        # two an index reads (the second the partial one of shifts open to all, which takes `== True`), where "the
        # district's circles, and of them the person's or open to all" read every shift to come of the district
        # and threw most of them away.
        statement = statement.where(
            or_(
                Shift.circle_id.in_(bindparam("own_district_circle_ids", expanding=True)),
                and_(
                    Shift.open_to_all == True,  # noqa: E712 - spelled as the partial index's condition
                    Shift.circle_id.in_(bindparam("district_circle_ids", expanding=True)),
                ),
            )
        )
    else:
        statement = statement.where(
            or_(Shift.open_to_all.is_(True), Shift.circle_id.in_(bindparam("circle_ids", expanding=True)))
        )
    if by_circle:
        statement = statement.where(Shift.circle_id == bindparam("circle_id"))
    if by_activity:
        statement = statement.where(Shift.activity_type_id == bindparam("activity_id"))
    if since:
        statement = statement.where(Shift.starts_at >= bindparam("since"))
    if before:
        statement = statement.where(Shift.starts_at < bindparam("before"))
    if after:
        after_start = bindparam("after_start", type_=UTCDateTime())
        statement = statement.where(
            or_(Shift.starts_at > after_start, and_(Shift.starts_at == after_start, Shift.id > bindparam("after_id")))
        )
    if takeable:
        # As far as SQL can tell: not the person's own, not full, no language they lack (and no certificate, for
        # someone without one). `signup_obstacle` still decides each (vetting dates, sign-up window, clashes).
        statement = statement.where(
            # The person's own shifts to come came with their eligibility.
            Shift.id.not_in(bindparam("own_shift_ids", expanding=True)),
            Shift.capacity > Shift.confirmed_count,
            or_(
                Shift.required_language.is_(None),
                Shift.required_language.in_(bindparam("languages", expanding=True)),
            ),
        )
        if needs_no_vetting:
            statement = statement.where(Shift.requires_vetting.is_(False))
    # The page of shifts first, sorted and cut, and only then their circles and places: a district's shifts are
    # found among a few hundred, and joining every one of those cost more than finding them. The columns in the
    # order `open_shifts` reads them: a ShiftRow's own, the circle's name, what makes the place, the confirmed
    # sign-ups, and the district's name when asked for.
    page = statement.subquery("page")
    listed = (
        select(
            *(page.c[name] for name in SHIFT_ROW_COLUMNS),
            Circle.name.label("circle_name"),
            Accommodation.name.label("accommodation"),
            Accommodation.address,
            page.c.place_text,
            page.c.confirmed_count,
        )
        .select_from(page)
        .outerjoin(Circle, Circle.id == page.c.circle_id)
        .outerjoin(Accommodation, Accommodation.id == page.c.accommodation_id)
        .order_by(page.c.starts_at, page.c.id)
    )
    if with_district:
        listed = listed.add_columns(District.name.label("district_name")).outerjoin(
            District, District.id == Circle.district_id
        )
    return listed


def _now(dialect: str, by_district: bool):
    """The time in the list's statement: a parameter `now`, or on PostgreSQL, for a list without a district, its
    own clock (at the start of the request's transaction; UTC, as the columns hold it).

    PostgreSQL keeps one general plan of a prepared statement when it costs no more than the plans it makes for the
    values at hand. With the time a parameter, it assumes a third of the shifts are still to come. A list read in
    start order until its page is full then looks dearer than when it knows the time (most shifts are to come), so
    it planned that list anew for every request, which took longer than running it (0.32 against 0.16 ms at city
    size); with its own clock it keeps the general plan. A district's list reads all the district's matching shifts
    and sorts them: there the same assumption keeps the general plan, and knowing the time would lose it."""
    if dialect == "postgresql" and not by_district:
        return func.timezone(literal_column("'UTC'"), func.now())
    return bindparam("now", type_=UTCDateTime())


def open_shifts(
    eligibility: Eligibility,
    now: datetime,
    limit: int,
    offset: int = 0,
    narrow: ShiftListFilter = ShiftListFilter(),
    with_district: bool = False,
) -> list[ListedShift]:
    """Scheduled shifts to come that are open to all or belong to one of the person's circles, soonest first,
    narrowed as asked, with what their cards show (`ListedShift`; the circle's district too, if asked for).
    `now`: the time the list starts after, the same for every batch of a page; a list without a district on
    PostgreSQL takes the start of the transaction instead (`_now`), which is the same for the request too."""
    connection = db.session.connection()
    statement = _open_shifts_statement(
        connection.dialect.name,
        with_district,
        narrow.district_circle_ids is not None,
        narrow.circle_id is not None,
        narrow.activity_id is not None,
        narrow.since is not None,
        narrow.before is not None,
        narrow.takeable,
        narrow.takeable and not eligibility.vetted,
        narrow.after is not None,
    )
    params = {
        "now": now,  # unless PostgreSQL reads its own clock (`_now`)
        "circle_ids": sorted(eligibility.circle_ids),
        "limit": limit,
        "offset": offset,
        "district_circle_ids": list(narrow.district_circle_ids or ()),
        "own_district_circle_ids": sorted(eligibility.circle_ids.intersection(narrow.district_circle_ids or ())),
        "circle_id": narrow.circle_id,
        "activity_id": narrow.activity_id,
        "since": narrow.since,
        "before": narrow.before,
        "languages": sorted(eligibility.languages),
        "own_shift_ids": sorted(eligibility.signups),
        "after_start": narrow.after[0] if narrow.after else None,
        "after_id": narrow.after[1] if narrow.after else None,
    }
    # Plain columns through the connection: lists read fifteen to a hundred shifts for every page, and a shift,
    # a circle and a place as mapped objects each cost several times as much.
    rows = connection.execute(statement, params).all()
    # The person's own sign-ups of shifts to come, and their places on waitlists, came with their eligibility.
    own = eligibility.signups
    own_columns = len(SHIFT_ROW_COLUMNS)
    listed = []
    for row in rows:
        *columns, circle_name, accommodation, address, place_text, confirmed = row[: own_columns + 5]
        district_name = row[own_columns + 5] if with_district else None
        shift = ShiftRow(*columns, circle_name, place_line(accommodation, address, place_text), district_name)
        status, place = own.get(shift.id, (None, None))
        listed.append(ListedShift(shift, confirmed, status, place))
    return listed


class ListedShift(NamedTuple):
    """A shift of `open_shifts`: the shift, its confirmed sign-ups, the reader's own sign-up status (None without
    one) and place on the waitlist (None when not waiting)."""

    shift: ShiftRow
    confirmed: int
    own_status: SignupStatus | None
    position: int | None


@cache
def _own_signups_statement():
    return (
        select(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .options(
            contains_eager(Signup.shift).joinedload(Shift.circle),
            contains_eager(Signup.shift).joinedload(Shift.accommodation),
        )
        .where(Signup.user_id == bindparam("user_id"), Signup.status != SignupStatus.CANCELLED)
        .where(Shift.ends_at > bindparam("now"))
        .order_by(Shift.starts_at)
    )


def own_signups(user: User, now: datetime) -> list[Signup]:
    """The person's sign-ups to come that are not cancelled, soonest first, with their shifts (for their cards)."""
    return list(db.session.scalars(_own_signups_statement(), {"user_id": user.id, "now": now}))


@cache
def _upcoming_statement():
    ahead = _waiting_ahead_of(Shift.id, Signup.requested_at, Signup.id)
    return (
        _own_signups_statement()
        .add_columns(
            Shift.confirmed_count.label("confirmed"),
            case((Signup.status == SignupStatus.WAITLISTED, ahead + 1), else_=None).label("position"),
            _label_column().label("activity"),
        )
        .join(ActivityType, ActivityType.id == Shift.activity_type_id)
        .outerjoin(
            ActivityTypeName,
            and_(ActivityTypeName.activity_type_id == ActivityType.id, ActivityTypeName.locale == bindparam("locale")),
        )
    )


def upcoming_signups(user: User, now: datetime, locale: str) -> list[Row]:
    """`own_signups` with what their cards show besides, in the same statement: rows of (Signup, confirmed: the
    shift's confirmed sign-ups, position: the place on the waitlist or None, activity: the activity's name in the
    language, German where it has none)."""
    return db.session.execute(_upcoming_statement(), {"user_id": user.id, "now": now, "locale": locale}).all()


@cache
def _past_signups_statement():
    """The latest past sign-ups (kind "past") and, in one row of its own (kind "hours"), the year's hours: one
    statement for the second half of "My shifts"."""
    past = (
        select(
            literal("past").label("kind"),
            Signup.shift_id,
            Shift.title,
            Shift.starts_at,
            Shift.ends_at,
            Circle.name.label("circle_name"),
            Signup.status,
            Signup.attendance,
            Signup.hours,
        )
        .join(Shift, Shift.id == Signup.shift_id)
        .join(Circle, Circle.id == Shift.circle_id)
        .where(Signup.user_id == bindparam("user_id"), Signup.status != SignupStatus.CANCELLED)
        .where(Shift.ends_at <= bindparam("now"))
        .order_by(Shift.starts_at.desc())
        .limit(PAST_SHIFTS_SHOWN)
    )
    hours = _hours_statement().subquery()
    total = select(
        literal("hours").label("kind"),
        *(cast(null(), column.type).label(column.name) for column in list(past.selected_columns)[1:-1]),
        cast(next(iter(hours.c)), Signup.hours.type).label("hours"),
    )
    both = union_all(total, past.subquery().select()).subquery()
    return select(both).order_by(both.c.kind, both.c.starts_at.desc())


def past_signups(user: User, now: datetime, year: int | None = None) -> tuple[list[Row], Decimal]:
    """The person's latest `PAST_SHIFTS_SHOWN` past sign-ups that are not cancelled, latest first, as rows of what
    the list shows (shift_id, title, starts_at, ends_at, circle_name, status, attendance, hours): a list of
    titles and hours needs no objects, and making some fifty of each was most of the page's work. With them, in
    the same statement, the hours of the year (`hours_in_year`; this year unless given)."""
    year = year or local_today().year
    start, end = local_to_utc(datetime(year, 1, 1)), local_to_utc(datetime(year + 1, 1, 1))
    rows = db.session.execute(
        _past_signups_statement(), {"user_id": user.id, "now": now, "start": start, "end": end}
    ).all()
    hours = next((row.hours for row in rows if row.kind == "hours"), None)
    return [row for row in rows if row.kind == "past"], Decimal(hours or 0)


@cache
def _activity_types_statement():
    return select(ActivityType).options(joinedload(ActivityType.names)).order_by(ActivityType.name)


def activity_types_with_names() -> list[ActivityType]:
    """Every activity type with its names, in one query: lists take each shift's type from the session."""
    return list(db.session.scalars(_activity_types_statement()).unique())


def _label_column():
    """An activity's name in the language joined as ActivityTypeName (German where it has none or an empty one)."""
    return func.coalesce(func.nullif(ActivityTypeName.name, ""), ActivityType.name)


@dataclass
class Eligibility:
    """What decides whether a person may take a shift, read once for a whole list of shifts."""

    circle_ids: set[int]
    vetted: list[tuple[date, date]]
    languages: set[str]
    # ("shift" or "dialog", id, start, end, title) of what the person is booked for and is not yet over.
    bookings: list[tuple[str, int, datetime, datetime, str]]
    # The person's sign-ups (confirmed or waiting) of shifts to come, by shift: their status and, when waiting,
    # their place on the waitlist.
    signups: dict[int, tuple[SignupStatus, int | None]]

    @classmethod
    def of(cls, user: User) -> Eligibility:
        """Memberships, vetting, languages and bookings of the person, in one query (every shift list reads them)."""
        rows = db.session.execute(_eligibility_statement(), {"user_id": user.id, "now": utcnow()}).all()
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows) -> Eligibility:
        """From the rows of `_eligibility_parts` (kind, id, text, first day, last day, start, end, state); rows of
        other kinds are left to the caller."""
        circle_ids: set[int] = set()
        vetted: list[tuple[date, date]] = []
        languages: set[str] = set()
        bookings: list[tuple[str, int, datetime, datetime, str]] = []
        signups: dict[int, tuple[SignupStatus, int | None]] = {}
        for kind, ref, label, first_day, last_day, starts, ends, state, place, *_rest in rows:
            if kind == "circle":
                circle_ids.add(ref)
            elif kind == "vetting":
                vetted.append((first_day, last_day))
            elif kind == "language":
                languages.add(label)
            elif kind == "shift":
                bookings.append((kind, ref, starts, ends, label))
                signups[ref] = (SignupStatus(state), place)
            elif kind == "dialog":
                bookings.append((kind, ref, starts, ends, label))
        bookings.sort(key=lambda booking: (booking[0] != "shift", booking[2]))
        return cls(circle_ids, vetted, languages, bookings, signups)

    def is_vetted_on(self, day: date) -> bool:
        return any(seen <= day <= until for seen, until in self.vetted)

    def clash(self, shift: Shift | ShiftRow) -> str | None:
        """The title of another shift or dialog of this person at the same time (touching end to start is fine)."""
        return self.clash_with(shift.starts_at, shift.ends_at, exclude=("shift", shift.id))

    def clash_with(self, starts: datetime, ends: datetime, exclude: tuple[str, int] | None = None) -> str | None:
        for kind, booking_id, booked_start, booked_end, title in self.bookings:
            if (kind, booking_id) != exclude and booked_start < ends and booked_end > starts:
                return title
        return None


@cache
def _eligibility_statement():
    """`_eligibility_parts` as one UNION ALL with the person and the time as parameters: built once, as every page
    reads it and building the five-part statement costs more than running it."""
    return union_all(*_eligibility_parts(bindparam("user_id", type_=Integer), bindparam("now", type_=UTCDateTime())))


def _union_row(
    kind: str,
    ref,
    text=None,
    *,
    first_day=None,
    last_day=None,
    starts=None,
    ends=None,
    state=None,
    place=None,
    first: bool = False,
):
    """The columns (kind, ref, text, first_day, last_day, starts, ends, state, place) of one part of the union
    `_eligibility_parts` makes, with NULLs for what a part has nothing to say about. The union takes its column
    types from its `first` part, whose NULLs are typed, so that dates and UTC times come back as such on every
    backend; the other parts' NULLs are plain, which keeps the statement short enough for psycopg to keep its
    conversion to PostgreSQL's form (it converts a statement of more than 4,096 characters for every request)."""

    def given(value, type_):
        if value is not None:
            return value
        return cast(null(), type_) if first else null()

    return (
        # Written into the statement: the kinds are this module's constants.
        literal_column(f"'{kind}'", String).label("kind"),
        ref.label("ref"),
        given(text, String).label("text"),
        given(first_day, Date).label("first_day"),
        given(last_day, Date).label("last_day"),
        given(starts, UTCDateTime()).label("starts"),
        given(ends, UTCDateTime()).label("ends"),
        given(state, String).label("state"),
        given(place, Integer).label("place"),
    )


def _eligibility_parts(user_id, now) -> list:
    """Selects of (kind, id, text, first day, last day, start, end, state, place) rows for
    Eligibility.from_rows: a sign-up's status and, when waiting, its place on the waitlist."""
    memberships = select(*_union_row("circle", CircleMembership.circle_id, first=True)).where(
        CircleMembership.user_id == user_id, CircleMembership.status == MembershipStatus.ACTIVE
    )
    vetting = select(
        *_union_row("vetting", VettingRecord.id, first_day=VettingRecord.seen_on, last_day=VettingRecord.valid_until)
    ).where(VettingRecord.user_id == user_id)
    languages = select(*_union_row("language", UserLanguage.id, UserLanguage.code)).where(
        UserLanguage.user_id == user_id, UserLanguage.level.in_(WORKING_LEVELS)
    )
    waiting_place = _waiting_ahead_of(Signup.shift_id, Signup.requested_at, Signup.id) + 1
    shifts = (
        select(
            *_union_row(
                "shift",
                Shift.id,
                Shift.title,
                starts=Shift.starts_at,
                ends=Shift.ends_at,
                state=cast(Signup.status, String),
                place=case((Signup.status == SignupStatus.WAITLISTED, waiting_place), else_=None),
            )
        )
        .join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.user_id == user_id, Signup.status != SignupStatus.CANCELLED)
        .where(Shift.status == ShiftStatus.SCHEDULED, Shift.ends_at > now)
    )
    dialogs = dialog_bookings_query(user_id, now).with_only_columns(
        *_union_row("dialog", Dialog.id, Dialog.topic, starts=Dialog.starts_at, ends=Dialog.ends_at)
    )
    return [memberships, vetting, languages, shifts, dialogs.order_by(None)]


@dataclass
class ShiftFilterChoices:
    """What the open-shifts filter offers: every district, the circles worth offering, every activity."""

    districts: list[tuple[int, str]]
    circles: list[tuple[int, str]]
    activities: dict[int, str]


@cache
def _shift_list_statement():
    """Eligibility's parts and, in the same UNION ALL, the filter's districts, circles and activities, each with a
    sort key (the name; the German name for activities, whatever the language they are shown in)."""
    user_id, now = bindparam("user_id", type_=Integer), bindparam("now", type_=UTCDateTime())
    district_id = bindparam("district_id", type_=Integer)
    first, *others = _eligibility_parts(user_id, now)
    parts = [first.add_columns(cast(null(), String).label("sort"))]
    parts += [part.add_columns(null().label("sort")) for part in others]
    own_circles = select(CircleMembership.circle_id).where(
        CircleMembership.user_id == user_id, CircleMembership.status == MembershipStatus.ACTIVE
    )
    districts = select(*_union_row("district", District.id, District.name), District.name)
    # The chosen district's circles, or else the person's own: a city has some 150 circles, and a phone's select
    # of them all helps nobody.
    circles = select(*_union_row("offer", Circle.id, Circle.name), Circle.name).where(
        or_(Circle.district_id == district_id, and_(district_id.is_(None), Circle.id.in_(own_circles)))
    )
    activities = select(*_union_row("activity", ActivityType.id, _label_column()), ActivityType.name).outerjoin(
        ActivityTypeName,
        and_(ActivityTypeName.activity_type_id == ActivityType.id, ActivityTypeName.locale == bindparam("locale")),
    )
    return union_all(*parts, districts, circles, activities).order_by(text("kind"), text("sort"))


def activity_name(choices: ShiftFilterChoices, activity_type_id: int) -> str:
    """An activity's name from the filter's choices; one added since they were read (between two statements) is
    read by itself."""
    name = choices.activities.get(activity_type_id)
    if name is None:
        name = db.session.get(ActivityType, activity_type_id).label()
    return name


def shift_list_context(user: User, locale: str, district_id: int | None) -> tuple[Eligibility, ShiftFilterChoices]:
    """The person's eligibility and the filter's choices (activities named in `locale`), in one query: what the
    open-shifts page reads besides the shifts."""
    rows = (
        db.session.connection()
        .execute(
            _shift_list_statement(),
            {"user_id": user.id, "now": utcnow(), "district_id": district_id, "locale": locale},
        )
        .all()
    )
    choices = ShiftFilterChoices([], [], {})
    for row in rows:
        if row.kind == "district":
            choices.districts.append((row.ref, row.text))
        elif row.kind == "offer":
            choices.circles.append((row.ref, row.text))
        elif row.kind == "activity":
            choices.activities[row.ref] = row.text
    return Eligibility.from_rows(rows), choices


def signup_obstacle(
    user: User, shift: Shift | ShiftRow, now: datetime | None = None, eligibility: Eligibility | None = None
) -> str | None:
    """Why the user can't sign up for the shift, as a message; None when nothing stands in the way."""
    now = now or utcnow()
    if shift.is_cancelled:
        return _("This shift has been cancelled.")
    if shift.has_started(now):
        return _("This shift has already started.")
    if shift.signup_opens_at is not None and now < shift.signup_opens_at:
        return _("Sign-up opens on %(when)s.", when=format_datetime(shift.signup_opens_at, "short"))
    if not user.is_enabled:
        return _("This account is disabled.")
    eligibility = eligibility or Eligibility.of(user)
    if not shift.open_to_all and shift.circle_id not in eligibility.circle_ids:
        return _("This shift is for members of %(circle)s.", circle=shift.circle_name)
    if shift.requires_vetting and not eligibility.is_vetted_on(utc_to_local(shift.starts_at).date()):
        return _(
            "This shift involves work with children and needs a valid certificate of good conduct, "
            "recorded by your coordinator."
        )
    if shift.required_language and shift.required_language not in eligibility.languages:
        return _(
            "This shift needs someone who speaks %(language)s at a working level.",
            language=language_name(shift.required_language),
        )
    clash = eligibility.clash(shift)
    if clash is not None:
        return _("You are already booked for %(title)s at that time.", title=clash)
    return None


@cache
def _lock_user_statement():
    users = User.__table__
    return update(users).where(users.c.id == bindparam("user_id")).values(session_token=users.c.session_token)


def lock_user(user: User) -> None:
    """Serialize one person's sign-ups (two overlapping shifts tapped at once lock different shift rows)."""
    db.session.execute(_lock_user_statement(), {"user_id": user.id})


@cache
def _signup_state_statement():
    """The person's sign-up for a shift, whatever its status (None without one; there is one row at most, as a
    new sign-up after a cancellation takes the old row again), and whether anyone waits: what cancelling decides
    by, in one statement after the shift's lock (on PostgreSQL only a statement begun after the lock was granted
    sees what the transaction before it committed)."""
    shift_id = bindparam("shift_id")
    other = aliased(Signup)
    waiting = exists().where(other.shift_id == shift_id, other.status == SignupStatus.WAITLISTED)
    one_row = select(literal(1).label("one")).subquery()
    return (
        select(Signup, waiting.label("waiting"))
        .select_from(one_row)
        .outerjoin(Signup, and_(Signup.shift_id == shift_id, Signup.user_id == bindparam("user_id")))
    )


def _signup_state(user: User, shift: Shift) -> tuple[Signup | None, bool]:
    """The person's sign-up for a locked shift, and whether anyone waits for a place."""
    row = db.session.execute(_signup_state_statement(), {"shift_id": shift.id, "user_id": user.id}).one()
    return row[0], bool(row.waiting)


@cache
def _lock_with_access_statement(with_person: bool):
    """The shift locked and read, with whether the person is an active member of its circle and whether they are
    signed up for it (or waiting); first the person's row locked too, if asked. One statement where loading the
    shift, locking the person and locking the shift took three.

    The person's row is locked by a sub-select that does not depend on the shift: PostgreSQL runs it once, before
    it reads and locks the shift's row, so the order is the one `lock_user` then `lock_shift` keep (SQLite writes
    one transaction at a time and needs no row locks). The shift's columns are those of the row as the lock found
    it; the access columns, like the separate read before, may miss a change committed while the lock was awaited.
    """
    shifts = Shift.__table__
    statement = update(shifts).where(shifts.c.id == bindparam("shift_id")).values(version=shifts.c.version + 1)
    if with_person:
        users = User.__table__
        # FOR NO KEY UPDATE, as `lock_user`'s UPDATE takes: rows that refer to the person are not held up.
        person = select(users.c.id).where(users.c.id == bindparam("user_id"))
        person = person.with_for_update(key_share=True).scalar_subquery()
        statement = statement.where(person.is_not(None))
    # A plain UPDATE whose row the ORM loads: an ORM-enabled UPDATE costs about a third more in Python, for the
    # bookkeeping of a bulk update, which a single locked row does not need.
    statement = statement.returning(*shifts.c, *access_columns())
    # A shift already in the session takes the row's columns: its confirmed count above all must be the lock's.
    return select(Shift, *access_columns()).from_statement(statement).execution_options(populate_existing=True)


def access_columns():
    """Whether the person (the parameter `user_id`) is an active member of the shift's circle, and whether they are
    signed up for it or waiting: the columns `is_member` and `has_signup` of a statement about a shift."""
    user_id = bindparam("user_id")
    is_member = exists().where(
        CircleMembership.circle_id == Shift.circle_id,
        CircleMembership.user_id == user_id,
        CircleMembership.status == MembershipStatus.ACTIVE,
    )
    has_signup = exists().where(
        Signup.shift_id == Shift.id, Signup.user_id == user_id, Signup.status != SignupStatus.CANCELLED
    )
    return is_member.label("is_member"), has_signup.label("has_signup")


def lock_with_access(user: User, shift_id: int, with_person: bool = False) -> tuple[Shift, bool, bool] | None:
    """Lock the shift (after the person, when `with_person`) and read it with the person's access to it: (shift,
    member of its circle, signed up or waiting), or None when there is no such shift. For `sign_up` and `withdraw`
    with `locked`."""
    row = db.session.execute(
        _lock_with_access_statement(with_person), {"shift_id": shift_id, "user_id": user.id}
    ).one_or_none()
    return None if row is None else (row[0], bool(row.is_member), bool(row.has_signup))


@cache
def _take_place_statement(dialect: str):
    """A sign-up written in one statement: a new row, or the person's cancelled one for the shift taken again
    (there is one row per person and shift). An active one is left as it is and nothing comes back. The row is
    loaded as a Signup, replacing one already in the session."""
    signups = Signup.__table__
    insert_ = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(signups)
    fresh = {
        "requested_at": bindparam("now", type_=UTCDateTime()),
        "status": bindparam("status", type_=signups.c.status.type),
        "confirmed_at": bindparam("confirmed_at", type_=UTCDateTime()),
        "cancelled_at": None,
        "late_cancellation": False,
        "reminder_sent_at": None,
        "attendance": None,
        "hours": None,
    }
    insert_ = insert_.values(shift_id=bindparam("shift_id"), user_id=bindparam("user_id"), **fresh)
    upsert = insert_.on_conflict_do_update(
        index_elements=[signups.c.shift_id, signups.c.user_id],
        set_={name: insert_.excluded[name] for name in fresh},
        where=signups.c.status == SignupStatus.CANCELLED.value,
    )
    return select(Signup).from_statement(upsert.returning(*signups.c)).execution_options(populate_existing=True)


def sign_up(user: User, shift: Shift, locked: bool = False) -> Signup:
    """Sign up for a shift: confirmed while places are free, else on the waitlist. `locked`: the person and the
    shift are locked already (`lock_with_access` with the person).

    The person's eligibility, read after the locks, tells whether they are signed up or waiting already; the
    places taken are the shift's count as its lock found it. The sign-up is then written in one statement."""
    if not locked:
        lock_user(user)  # always the person first, then the shift: one order, no deadlocks
        lock_shift(shift)
    eligibility = Eligibility.of(user)
    own_status, _place = eligibility.signups.get(shift.id, (None, None))
    if own_status is not None:
        raise DomainError(
            _("You are already signed up for this shift.")
            if own_status is SignupStatus.CONFIRMED
            else _("You are already on the waitlist for this shift.")
        )
    obstacle = signup_obstacle(user, shift, eligibility=eligibility)
    if obstacle:
        raise DomainError(obstacle)
    now = utcnow()
    status = SignupStatus.CONFIRMED if shift.confirmed_count < shift.capacity else SignupStatus.WAITLISTED
    params = {
        "shift_id": shift.id,
        "user_id": user.id,
        "now": now,
        "status": status,
        "confirmed_at": now if status is SignupStatus.CONFIRMED else None,
    }
    dialect = db.session.get_bind().dialect.name
    signup = db.session.scalars(_take_place_statement(dialect), params).one_or_none()
    if signup is None:
        # The row is active after all. The eligibility lists the person's active sign-ups of every shift still open
        # to sign-ups, so this only guards the write against a rule that changes there.
        raise DomainError(_("You are already signed up for this shift."))
    db.session.expire(shift, ["confirmed_count"])  # the count's trigger has changed it
    if status is SignupStatus.CONFIRMED:
        _mail_confirmation(signup)
    return signup


def withdraw(user: User, shift: Shift, locked: bool = False) -> Signup:
    """Cancel the person's own sign-up for the shift, or leave its waitlist (read under the shift's lock).
    `locked`: the shift is locked already (`lock_with_access`)."""
    if not locked:
        lock_shift(shift)
    signup, waiting = _signup_state(user, shift)
    if signup is None:
        raise DomainError(_("You are not signed up for this shift."))
    return _cancel(user, shift, signup, anyone_waiting=waiting)


def cancel_signup(user: User, signup: Signup) -> Signup:
    """Withdraw from a shift; late when under 24 h before the start. The first person waiting moves up."""
    shift = signup.shift
    lock_shift(shift)
    db.session.refresh(signup)
    return _cancel(user, shift, signup)


def _cancel(user: User, shift: Shift, signup: Signup, anyone_waiting: bool = True) -> Signup:
    """Cancel a sign-up read under the shift's lock (and, when the caller read it there too, whether anyone
    waits for a place)."""
    if signup.user_id != user.id:
        raise DomainError(_("This sign-up is not yours."), 403)
    if signup.status is SignupStatus.CANCELLED:
        raise DomainError(_("You are not signed up for this shift."))
    if shift.has_started():
        raise DomainError(_("The shift has already started; please tell your coordinator directly."))
    was_confirmed = signup.status is SignupStatus.CONFIRMED
    now = utcnow()
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = now
    signup.late_cancellation = was_confirmed and shift.starts_at - now < LATE_CANCELLATION
    db.session.flush()
    if signup.late_cancellation:
        for coordinator in _coordinators(shift.circle_id):
            queue_mail(
                coordinator.email,
                _l("Late cancellation: %(title)s", title=shift.title),
                "shifts/mail/late_cancellation.txt",
                locale=coordinator.locale,
                shift=shift,
                volunteer=user,
                coordinator=coordinator,
                link=_shift_link(shift),
            )
    if was_confirmed and anyone_waiting:
        _promote_waitlist(shift)
    return signup


@cache
def _waitlist_statement():
    return (
        select(Signup)
        .where(Signup.shift_id == bindparam("shift_id"), Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.requested_at, Signup.id)
    )


def _promote_waitlist(shift: Shift) -> list[Signup]:
    """Fill free places from the waitlist, first come first served; each promoted person is told."""
    if shift.is_cancelled or shift.has_started():
        return []
    waiting = db.session.scalars(_waitlist_statement(), {"shift_id": shift.id}).all()
    if not waiting:
        return []
    free = shift.capacity - confirmed_count(shift)
    promoted = []
    for signup in waiting:
        if len(promoted) == free:
            break
        # The rules still apply: whoever meanwhile booked another shift at that time, or lost the right to
        # this one, waits on and the next person moves up.
        if signup_obstacle(signup.user, shift) is not None:
            continue
        signup.status = SignupStatus.CONFIRMED
        signup.confirmed_at = utcnow()
        signup.reminder_sent_at = None
        _mail_confirmation(signup, promoted=True)
        promoted.append(signup)
    db.session.flush()
    return promoted


def _attendance_digest(shift: Shift, entries: dict[int, tuple[Attendance, Decimal | None]]) -> str:
    payload = [shift.id] + [
        [signup_id, attendance.value, None if hours is None else str(hours.normalize())]
        for signup_id, (attendance, hours) in sorted(entries.items())
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def record_attendance(
    by: User, shift: Shift, entries: dict[int, tuple[Attendance, Decimal | None]], key: str | None = None
) -> tuple[int, bool]:
    """Attendance for the shift's confirmed sign-ups: {signup id: (attended or no-show, hours)}.

    Returns (people recorded, newly stored). With an idempotency key the same form sent again (from an offline
    queue, say) gets the stored result; the same key with other content is refused (409).
    """
    lock_shift(shift)
    digest = _attendance_digest(shift, entries)
    if key is not None:
        existing = db.session.scalar(select(AttendanceSubmission).where(AttendanceSubmission.idempotency_key == key))
        if existing is not None:
            if existing.payload_digest != digest:
                raise DomainError(
                    _(
                        "This attendance was already sent with different choices. "
                        "Please reload the page to see what was saved."
                    ),
                    409,
                )
            return existing.people, False
    signups = {s.id: s for s in shift.signups if s.status is SignupStatus.CONFIRMED}
    for signup_id, (attendance, hours) in entries.items():
        if signup_id not in signups:
            raise DomainError(_("This sign-up does not belong to the shift."), 404)
        signups[signup_id].record_attendance(by, attendance, hours)
    if key is not None:
        db.session.add(
            AttendanceSubmission(
                idempotency_key=key, payload_digest=digest, shift_id=shift.id, recorded_by_id=by.id, people=len(entries)
            )
        )
    db.session.flush()
    return len(entries), True


def circle_coordinators(circle: Circle) -> list[User]:
    """Whom helpers of the circle's shifts contact: its coordinators, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.COORDINATOR, RoleGrant.circle_id == circle.id, User.is_enabled.is_(True))
            .order_by(User.name)
            .distinct()
        )
    )


@cache
def _hours_statement():
    return (
        select(func.coalesce(func.sum(Signup.hours), 0))
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.user_id == bindparam("user_id"), Signup.attendance == Attendance.ATTENDED)
        .where(Shift.starts_at >= bindparam("start"), Shift.starts_at < bindparam("end"))
    )


def hours_in_year(user: User, year: int) -> Decimal:
    start = local_to_utc(datetime(year, 1, 1))
    end = local_to_utc(datetime(year + 1, 1, 1))
    total = db.session.scalar(_hours_statement(), {"user_id": user.id, "start": start, "end": end})
    return Decimal(total or 0)


# --- reminders ---------------------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None, ahead: timedelta = timedelta(hours=24)) -> int:
    """Claim and mail reminders for confirmed sign-ups of shifts in the next 24 h; each is sent once.

    The claim is a conditional UPDATE, so several instances running at once never mail the same sign-up.
    """
    now = now or utcnow()
    candidates = db.session.scalars(
        select(Signup.id)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(User, User.id == Signup.user_id)
        .where(Signup.status == SignupStatus.CONFIRMED, Signup.reminder_sent_at.is_(None), User.is_enabled.is_(True))
        .where(Shift.status == ShiftStatus.SCHEDULED, Shift.starts_at > now, Shift.starts_at <= now + ahead)
    ).all()
    sent = 0
    for signup_id in candidates:
        claimed = db.session.execute(
            update(Signup)
            .where(Signup.id == signup_id, Signup.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            signup = db.session.get(Signup, signup_id)
            queue_mail(
                signup.user.email,
                _l("Reminder: %(title)s", title=signup.shift.title),
                "shifts/mail/reminder.txt",
                locale=signup.user.locale,
                shift=signup.shift,
                user=signup.user,
                link=_shift_link(signup.shift),
            )
            sent += 1
        db.session.commit()
    return sent


# --- calendar ----------------------------------------------------------------------------------------------


def shift_uid(shift: Shift) -> str:
    """The same UID in mail attachments and the feed, so calendars don't show a shift twice."""
    return f"shift-{shift.id}@lotse"


def shift_event(shift: Shift) -> Event:
    event = Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", utcnow())
    event.add("dtstart", shift.starts_at.astimezone(UTC))
    event.add("dtend", shift.ends_at.astimezone(UTC))
    event.add("summary", shift.title)
    event.add("location", shift.place)
    event.add("description", shift.description or shift.activity_type.label())
    event.add("sequence", shift.version)
    event.add("status", "CANCELLED" if shift.is_cancelled else "CONFIRMED")
    event.add("url", _shift_link(shift))
    return event


def calendar_for(shifts: Iterable[Shift], name: str, extra_events: Iterable[Event] = ()) -> bytes:
    """An iCalendar file of the shifts (and other events, such as dialogs)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Lotse//Shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for shift in shifts:
        calendar.add_component(shift_event(shift))
    for event in extra_events:
        calendar.add_component(event)
    return calendar.to_ical()


def feed_shifts(user: User) -> list[Shift]:
    """The user's confirmed shifts from 60 days back on, cancelled ones marked as such."""
    since = utcnow() - timedelta(days=60)
    return list(
        db.session.scalars(
            select(Shift)
            .join(Signup, Signup.shift_id == Shift.id)
            .where(Signup.user_id == user.id, Signup.status == SignupStatus.CONFIRMED, Shift.ends_at >= since)
            .order_by(Shift.starts_at)
        )
    )


# --- helpers -----------------------------------------------------------------------------------------------


def _shift_link(shift: Shift) -> str:
    return public_url("shifts.detail", shift_id=shift.id)


def _coordinators(circle_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.COORDINATOR, RoleGrant.circle_id == circle_id, User.is_enabled.is_(True))
        )
    )


def _mail_confirmation(signup: Signup, promoted: bool = False) -> None:
    """Queue the confirmation with its calendar entry, written when it goes out (`_write_confirmation`)."""
    queue_written_mail(
        signup.user.email,
        CONFIRMATION_WRITER,
        signup_id=signup.id,
        confirmed_at=signup.confirmed_at.isoformat(),
        promoted=promoted,
    )


CONFIRMATION_WRITER = "shifts.confirmation"


@mail_writer(CONFIRMATION_WRITER, _l("Confirmation of a shift"))
def _write_confirmation(session: Session, signup_id: int, confirmed_at: str, promoted: bool) -> Message | None:
    """A place on a shift confirmed, with its calendar entry; none once the place has been given up (a place
    given up and taken again has a confirmation of its own) or the shift cancelled."""
    signup = session.get(Signup, signup_id)
    if (
        signup is None
        or signup.status is not SignupStatus.CONFIRMED
        or signup.confirmed_at != datetime.fromisoformat(confirmed_at)
        or signup.shift.is_cancelled
        or not signup.user.is_enabled
    ):
        return None
    shift = signup.shift
    subject = (
        _l("You moved up from the waitlist: %(title)s", title=shift.title)
        if promoted
        else _l("You are signed up: %(title)s", title=shift.title)
    )
    return write_mail(
        signup.user.email,
        subject,
        "shifts/mail/confirmed.txt",
        locale=signup.user.locale,
        shift=shift,
        user=signup.user,
        promoted=promoted,
        link=_shift_link(shift),
        attachments=[("lotse-shift.ics", calendar_for([shift], "Lotse"), "text/calendar")],
    )


def _tell_helpers(shift: Shift, template: str, subject) -> None:
    """Mail everyone signed up or waiting; confirmed helpers get the updated calendar entry."""
    for signup in active_signups(shift):
        if not signup.user.is_enabled:
            continue
        attachments = []
        if signup.status is SignupStatus.CONFIRMED:
            attachments = [("lotse-shift.ics", calendar_for([shift], "Lotse"), "text/calendar")]
        queue_mail(
            signup.user.email,
            subject,
            template,
            locale=signup.user.locale,
            shift=shift,
            user=signup.user,
            link=_shift_link(shift),
            attachments=attachments,
        )
