"""A city-scale dataset for benchmarks (`flask seed-scale`), written with bulk inserts. Never for production.

At factor 1: the 23 districts, 120 accommodations, 150 circles, 5,000 volunteers, 300 interpreters and
moderators, two shifts a day in every accommodation for 180 days (about 43,000), about 150,000 sign-ups and
2,000 dialogs, the held ones with logs. The factor scales everything but the districts (0.01 for a quick run,
10 for a large city). The same seed gives the same data for the same day.

Each domain has one function; they run in order and hand on what later ones need in a `World`. Proposals
join as one more function when that domain exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from app.auth.models import LanguageLevel, Role, RoleGrant, User, UserLanguage
from app.database import LOCAL_TIMEZONE, utcnow
from app.dialogs.models import (
    Dialog,
    DialogLanguage,
    DialogModerator,
    DialogStatus,
    FollowUp,
    ModeratorRole,
    SessionLog,
    SessionLogLanguage,
    Topic,
    session_log_topics,
)
from app.dialogs.services import seed_topics
from app.extensions import db
from app.passwords import hash_password
from app.places.models import (
    Accommodation,
    AccommodationKind,
    Circle,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
    circle_accommodations,
)
from app.places.services import seed_districts
from app.shifts.models import ActivityType, Attendance, Shift, ShiftStatus, Signup, SignupStatus
from app.shifts.services import seed_activity_types

SCALE_PASSWORD = "lotse-scale-2026"  # noqa: S105 - documented benchmark credential, seeded only by seed-scale
BATCH = 5000
SHIFT_DAYS, SHIFT_DAYS_PAST = 180, 60
SHIFT_SLOTS = ((time(10), time(12)), (time(16), time(18)))
DIALOG_DAYS_PAST, DIALOG_DAYS_AHEAD = 150, 30
LANGUAGES = ("ar", "fa", "uk", "tr", "ru", "ti", "so", "ku", "en", "fr")
STREETS = ("Hauptstraße", "Schulstraße", "Bahnhofstraße", "Gartenstraße", "Lindenweg", "Neckarstraße")


class NotEmpty(Exception):
    """seed-scale writes into an empty database only (it chooses the ids itself)."""


@dataclass
class World:
    """What the domain functions hand on to each other."""

    rng: random.Random
    factor: float
    today: date
    district_ids: list[int] = field(default_factory=list)
    accommodations: list[tuple[int, int]] = field(default_factory=list)  # (id, district id)
    circles_of_accommodation: dict[int, list[int]] = field(default_factory=dict)
    members_of_circle: dict[int, list[int]] = field(default_factory=dict)
    volunteer_ids: list[int] = field(default_factory=list)
    interpreters: list[tuple[int, set[str]]] = field(default_factory=list)
    moderator_ids: list[int] = field(default_factory=list)
    staff_ids: list[int] = field(default_factory=list)
    activity_ids: list[int] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    # (user id, local day, slot) already taken: nobody is booked twice at once.
    busy: set[tuple[int, date, int]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def scaled(self, amount: int, minimum: int = 1) -> int:
        return max(minimum, round(amount * self.factor))


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start : start + BATCH])


def _utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def seed_scale(factor: float = 1.0, seed: int = 8, today: date | None = None) -> dict[str, int]:
    """Fill an empty database with a city of the given size; returns how many rows of each kind were written."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise NotEmpty("the database already has users")
    world = World(random.Random(seed), factor, today or datetime.now(LOCAL_TIMEZONE).date())
    seed_places(world)
    seed_people(world)
    seed_shifts(world)
    seed_dialogs(world)
    seed_proposals(world)
    _after_bulk_load()
    return world.counts


def seed_places(world: World) -> None:
    """The 23 districts, accommodations spread over them, circles serving them."""
    seed_districts()
    seed_activity_types()
    seed_topics()
    db.session.flush()
    world.district_ids = list(db.session.scalars(select(District.id).order_by(District.id)))
    world.activity_ids = list(db.session.scalars(select(ActivityType.id).order_by(ActivityType.id)))
    world.topic_ids = list(db.session.scalars(select(Topic.id).order_by(Topic.id)))
    rng = world.rng
    rows = []
    for n in range(1, world.scaled(120, minimum=2) + 1):
        district_id = world.district_ids[(n - 1) % len(world.district_ids)]
        emergency = n % 15 == 0
        rows.append(
            {
                "id": n,
                "name": f"{'Notunterkunft' if emergency else 'GU'} {n}",
                "district_id": district_id,
                "kind": AccommodationKind.EMERGENCY if emergency else AccommodationKind.REGULAR,
                "planned_places": rng.choice((60, 88, 120, 156, 200, 240, 320)),
                "address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
            }
        )
        world.accommodations.append((n, district_id))
    _insert(Accommodation.__table__, rows)
    circles, served = [], []
    for n in range(1, world.scaled(150, minimum=2) + 1):
        accommodation_id, district_id = world.accommodations[(n - 1) % len(world.accommodations)]
        circles.append({"id": n, "name": f"Freundeskreis {n}", "district_id": district_id, "description": ""})
        served.append({"circle_id": n, "accommodation_id": accommodation_id})
        world.circles_of_accommodation.setdefault(accommodation_id, []).append(n)
        world.members_of_circle[n] = []
    _insert(Circle.__table__, circles)
    _insert(circle_accommodations, served)
    world.counts |= {"accommodations": len(rows), "circles": len(circles)}


def seed_people(world: World) -> None:
    """Volunteers in one or two circles (the first member coordinates), interpreters, moderators and staff.

    Everyone shares one password, hashed once. `volunteer1@scale.example`, `interpreter1@…`, `moderator1@…`
    and `staff1@…` are the accounts a benchmark logs in with.
    """
    rng = world.rng
    password_hash = hash_password(SCALE_PASSWORD)
    now = utcnow()
    users, grants, languages, memberships, vetting = [], [], [], [], []
    circle_ids = list(world.members_of_circle)
    kinds = (
        [("volunteer", Role.VOLUNTEER)] * world.scaled(5000)
        + [("interpreter", Role.INTERPRETER)] * world.scaled(200)
        + [("moderator", Role.MODERATOR)] * world.scaled(100)
        + [("staff", Role.STAFF)] * 5
    )
    numbers: dict[str, int] = {}
    for user_id, (kind, role) in enumerate(kinds, start=1):
        numbers[kind] = numbers.get(kind, 0) + 1
        users.append(
            {
                "id": user_id,
                "name": f"{kind.title()} {numbers[kind]}",
                "email": f"{kind}{numbers[kind]}@scale.example",
                "password_hash": password_hash,
                "locale": rng.choice(("de", "de", "de", "en", "ar", "uk", "tr", "fa")),
                "session_token": f"{rng.getrandbits(128):032x}",
                "is_enabled": True,
                "consent_at": now,
                "created_at": now,
            }
        )
        grants.append({"user_id": user_id, "role": role, "granted_at": now})
        spoken = {"de"}
        if role is Role.INTERPRETER:
            grants.append({"user_id": user_id, "role": Role.VOLUNTEER, "granted_at": now})
            spoken |= set(rng.sample(LANGUAGES, rng.randint(2, 3)))
            world.interpreters.append((user_id, spoken - {"de"}))
        elif role is Role.VOLUNTEER:
            spoken |= set(rng.sample(LANGUAGES, rng.randint(0, 2)))
            world.volunteer_ids.append(user_id)
            for circle_id in rng.sample(circle_ids, min(len(circle_ids), rng.choice((1, 1, 2)))):
                memberships.append(
                    {"circle_id": circle_id, "user_id": user_id, "status": MembershipStatus.ACTIVE, "requested_at": now}
                )
                world.members_of_circle[circle_id].append(user_id)
            if rng.random() < 0.3:
                seen = world.today - timedelta(days=rng.randint(0, 700))
                vetting.append(
                    {
                        "user_id": user_id,
                        "seen_on": seen,
                        "valid_until": seen + timedelta(days=5 * 365),
                        "recorded_at": now,
                    }
                )
        elif role is Role.MODERATOR:
            world.moderator_ids.append(user_id)
        else:
            world.staff_ids.append(user_id)
        for code in sorted(spoken):
            level = (
                LanguageLevel.NATIVE if code == "de" or role is Role.INTERPRETER else rng.choice(list(LanguageLevel))
            )
            languages.append({"user_id": user_id, "code": code, "level": level})
    for circle_id, members in world.members_of_circle.items():
        if members:
            grants.append({"user_id": members[0], "role": Role.COORDINATOR, "circle_id": circle_id, "granted_at": now})
    _insert(User.__table__, users)
    _insert(RoleGrant.__table__, grants)
    _insert(UserLanguage.__table__, languages)
    _insert(CircleMembership.__table__, memberships)
    _insert(VettingRecord.__table__, vetting)
    world.counts |= {"users": len(users), "memberships": len(memberships), "vetting records": len(vetting)}


def seed_shifts(world: World) -> None:
    """Two shifts a day in every accommodation, from 60 days back for 180 days, and their sign-ups.

    Members of the circle sign up (never two shifts at once for anyone); past capacity they wait; past shifts
    have attendance and hours.
    """
    rng = world.rng
    now = utcnow()
    first_day = world.today - timedelta(days=SHIFT_DAYS_PAST)
    shifts, signups = [], []
    shift_id = 0
    for accommodation_id, _district in world.accommodations:
        circle_ids = world.circles_of_accommodation.get(accommodation_id)
        if not circle_ids:
            continue
        for offset in range(SHIFT_DAYS):
            day = first_day + timedelta(days=offset)
            for slot, (start, end) in enumerate(SHIFT_SLOTS):
                shift_id += 1
                circle_id = circle_ids[(offset + slot) % len(circle_ids)]
                starts_at, ends_at = _utc(day, start), _utc(day, end)
                capacity = rng.randint(2, 6)
                language = rng.choice(LANGUAGES) if rng.random() < 0.1 else None
                shifts.append(
                    {
                        "id": shift_id,
                        "circle_id": circle_id,
                        "title": f"Einsatz {shift_id}",
                        "activity_type_id": rng.choice(world.activity_ids),
                        "accommodation_id": accommodation_id,
                        "place_text": "",
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "capacity": capacity,
                        "description": "",
                        "required_language": language,
                        "requires_vetting": rng.random() < 0.1,
                        "open_to_all": rng.random() < 0.15,
                        "status": ShiftStatus.SCHEDULED,
                        "cancel_reason": "",
                        "version": 0,
                        "created_at": now,
                    }
                )
                signups += _signups_for(world, shift_id, circle_id, day, slot, capacity, starts_at, ends_at < now)
        if len(signups) > 4 * BATCH:
            _flush_shifts(shifts, signups)
            world.counts["shifts"] = world.counts.get("shifts", 0) + len(shifts)
            world.counts["sign-ups"] = world.counts.get("sign-ups", 0) + len(signups)
            shifts, signups = [], []
    _flush_shifts(shifts, signups)
    world.counts["shifts"] = world.counts.get("shifts", 0) + len(shifts)
    world.counts["sign-ups"] = world.counts.get("sign-ups", 0) + len(signups)


def _signups_for(
    world: World, shift_id: int, circle_id: int, day: date, slot: int, capacity: int, starts_at: datetime, past: bool
) -> list[dict]:
    rng = world.rng
    members = world.members_of_circle[circle_id]
    wanted = min(len(members), rng.randint(1, 6))
    rows = []
    for position, user_id in enumerate(rng.sample(members, wanted)):
        if (user_id, day, slot) in world.busy:
            continue
        world.busy.add((user_id, day, slot))
        requested = starts_at - timedelta(days=rng.randint(1, 20), minutes=position)
        confirmed = len(rows) < capacity
        attended = past and confirmed and rng.random() < 0.85
        rows.append(
            {
                "shift_id": shift_id,
                "user_id": user_id,
                "status": SignupStatus.CONFIRMED if confirmed else SignupStatus.WAITLISTED,
                "requested_at": requested,
                "confirmed_at": requested if confirmed else None,
                "late_cancellation": False,
                "attendance": (Attendance.ATTENDED if attended else Attendance.NO_SHOW) if past and confirmed else None,
                "hours": Decimal("2.0") if attended else None,
            }
        )
    return rows


def _flush_shifts(shifts: list[dict], signups: list[dict]) -> None:
    _insert(Shift.__table__, shifts)
    _insert(Signup.__table__, signups)


def seed_dialogs(world: World) -> None:
    """Dialogs from 150 days back to 30 ahead; held ones mostly logged, coming ones partly covered."""
    rng = world.rng
    now = utcnow()
    first_day = world.today - timedelta(days=DIALOG_DAYS_PAST)
    span = DIALOG_DAYS_PAST + DIALOG_DAYS_AHEAD
    dialogs, moderators, languages, logs, log_languages, log_topics, follow_ups = [], [], [], [], [], [], []
    language_id = 0
    speakers: dict[str, list[int]] = {}
    for user_id, spoken in world.interpreters:
        for code in spoken:
            speakers.setdefault(code, []).append(user_id)
    for dialog_id in range(1, world.scaled(2000) + 1):
        day = first_day + timedelta(days=rng.randrange(span))
        slot = rng.randrange(len(SHIFT_SLOTS))
        start, end = SHIFT_SLOTS[slot]
        starts_at, ends_at = _utc(day, start), _utc(day, end)
        accommodation_id, _district = rng.choice(world.accommodations)
        held = ends_at < now
        dialogs.append(
            {
                "id": dialog_id,
                "accommodation_id": accommodation_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "topic": f"Dialog {dialog_id}",
                "expected_participants": rng.randint(10, 40),
                "status": DialogStatus.CANCELLED if rng.random() < 0.03 else DialogStatus.PLANNED,
                "cancel_reason": "",
                "version": 0,
                "created_at": now,
            }
        )
        lead = _free(world, world.moderator_ids, day, slot)
        if lead is not None:
            moderators.append({"dialog_id": dialog_id, "user_id": lead, "role": ModeratorRole.LEAD})
        codes = rng.sample([code for code in LANGUAGES if code in speakers] or ["ar"], rng.randint(1, 2))
        for code in codes:
            language_id += 1
            interpreter = _free(world, speakers.get(code, []), day, slot) if held or rng.random() < 0.5 else None
            languages.append(
                {
                    "id": language_id,
                    "dialog_id": dialog_id,
                    "code": code,
                    "interpreter_id": interpreter,
                    "accepted_at": starts_at - timedelta(days=7) if interpreter else None,
                    "open_since": None if interpreter else starts_at - timedelta(days=10),
                }
            )
        if held and dialogs[-1]["status"] is DialogStatus.PLANNED and rng.random() < 0.9:
            logs.append(
                {
                    "id": dialog_id,
                    "dialog_id": dialog_id,
                    "idempotency_key": f"scale-{dialog_id:08d}",
                    "payload_digest": "0" * 64,
                    "refugees": rng.randint(5, 40),
                    "volunteers": rng.randint(0, 6),
                    "staff": rng.randint(0, 3),
                    "started_at": starts_at,
                    "ended_at": ends_at,
                    "summary": "Ruhiger Austausch, Fragen zu Wohnen und Arbeit.",
                    "written_by_id": lead,
                    "written_at": ends_at,
                }
            )
            log_languages += [{"log_id": dialog_id, "code": code} for code in ["de", *codes]]
            log_topics += [{"log_id": dialog_id, "topic_id": t} for t in rng.sample(world.topic_ids, 2)]
            if rng.random() < 0.5:
                follow_ups.append(
                    {
                        "log_id": dialog_id,
                        "what": "Aushang",
                        "responsible": "Heimleitung",
                        "due_on": day + timedelta(14),
                    }
                )
    _insert(Dialog.__table__, dialogs)
    _insert(DialogModerator.__table__, moderators)
    _insert(DialogLanguage.__table__, languages)
    _insert(SessionLog.__table__, logs)
    _insert(SessionLogLanguage.__table__, log_languages)
    _insert(session_log_topics, log_topics)
    _insert(FollowUp.__table__, follow_ups)
    world.counts |= {"dialogs": len(dialogs), "session logs": len(logs)}


def seed_proposals(world: World) -> None:
    """This year's empowerment programme and ~400 proposals across the districts, in every state."""
    from app.proposals.models import GRANTED_STATES, BudgetLine, FundingProgramme, Proposal, ProposalState

    rng = world.rng
    year = world.today.year
    programme = FundingProgramme(
        name=f"Empowerment {year}",
        year=year,
        budget_cents=100_000_000,
        opens_on=date(year, 1, 1),
        closes_on=date(year, 12, 31),
    )
    db.session.add(programme)
    db.session.flush()
    states = list(ProposalState)
    now = utcnow()
    proposals, lines = [], []
    granted_total = 0
    for proposal_id in range(1, world.scaled(400) + 1):
        state = states[proposal_id * 5 % len(states)]  # every state, granted ones among the first few
        amounts = [rng.randrange(100, 1500) * 100 for _ in range(rng.randint(1, 3))]
        requested = sum(amounts)
        granted = None
        if state in GRANTED_STATES and granted_total + requested <= programme.budget_cents:
            granted = requested - requested // 10 * rng.randint(0, 1)
            granted_total += granted
        elif state in GRANTED_STATES:
            state = ProposalState.REJECTED
        proposals.append(
            {
                "id": proposal_id,
                "programme_id": programme.id,
                "district_id": rng.choice(world.district_ids),
                "applicant_id": rng.choice(world.volunteer_ids),
                "state": state.value,
                "title": f"Projekt {proposal_id}",
                "summary": "Ein Vorhaben von Geflüchteten und Nachbarschaft.",
                "goals": "Begegnung",
                "target_group": "Bewohnerinnen und Bewohner",
                "group_name": f"Initiative {proposal_id}",
                "contact": f"initiative{proposal_id}@scale.example",
                "requested_cents": requested,
                "granted_cents": granted,
                "submitted_at": None if state is ProposalState.DRAFT else now,
                "created_at": now,
                "updated_at": now,
            }
        )
        for position, amount in enumerate(amounts, start=1):
            lines.append(
                {
                    "id": len(lines) + 1,
                    "proposal_id": proposal_id,
                    "position": position,
                    "item": "Material",
                    "amount_cents": amount,
                }
            )
    _insert(Proposal.__table__, proposals)
    _insert(BudgetLine.__table__, lines)
    world.counts["proposals"] = len(proposals)


def _free(world: World, people: list[int], day: date, slot: int) -> int | None:
    """Someone of `people` not yet booked at that time (booked from now on), or None."""
    for _attempt in range(5):
        if not people:
            return None
        person = world.rng.choice(people)
        if (person, day, slot) not in world.busy:
            world.busy.add((person, day, slot))
            return person
    return None


def _after_bulk_load() -> None:
    """Fresh statistics, or the planner takes 150,000 sign-ups for a handful (and picks slow plans for hours,
    until autovacuum gets to them); and PostgreSQL's sequences must continue after the ids chosen here."""
    db.session.execute(text("ANALYZE"))
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in (Accommodation, Circle, User, RoleGrant, UserLanguage, CircleMembership, VettingRecord, Shift, Signup):
        _set_sequence(table.__table__.name)
    for table in (Dialog, DialogModerator, DialogLanguage, SessionLog, SessionLogLanguage, FollowUp):
        _set_sequence(table.__table__.name)
    for name in ("proposals", "budget_lines"):
        _set_sequence(name)


def _set_sequence(table: str) -> None:
    db.session.execute(
        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")  # noqa: S608 - table names from the models
    )
