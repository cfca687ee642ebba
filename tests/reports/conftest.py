"""A small city with fixed figures whose report totals are worked out by hand in the tests.

March 2025 in Europe/Berlin (daylight saving begins on the 30th). Three districts: Bad Cannstatt (circle A,
accommodation "GU 1" and a 300-place emergency shelter), Möhringen (circle B, "GU 2") and Mühlhausen
(circle C, "GU 3", where nothing happens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.auth.models import Role
from app.dialogs.models import (
    Dialog,
    DialogLanguage,
    DialogModerator,
    DialogStatus,
    FollowUp,
    ModeratorRole,
    SessionLog,
)
from app.places.models import Accommodation, AccommodationKind, District
from app.proposals.models import DistrictBudget, FundingProgramme, Proposal, ProposalState
from app.reports.models import DistrictPopulation
from app.shifts.models import Attendance, Shift, ShiftStatus, Signup, SignupStatus

BERLIN = ZoneInfo("Europe/Berlin")
# The moment the report is made for: dialogs before it are held, the 25th is still to come.
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2025, 3, 20)


def local(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class City:
    districts: dict[str, District]
    circles: dict[str, object]
    people: dict[str, object]
    programme: FundingProgramme


@pytest.fixture
def city(db, district, make_circle, make_user, activity) -> City:
    district.name = "Bad Cannstatt"
    moehringen, muehlhausen = District(name="Möhringen"), District(name="Mühlhausen")
    db.session.add_all([moehringen, muehlhausen])
    db.session.commit()
    circle_a = make_circle("Freundeskreis A", district)
    circle_b = make_circle("Freundeskreis B", moehringen)
    circle_c = make_circle("Freundeskreis C", muehlhausen)
    shelter = Accommodation(
        name="Notunterkunft Halle", district=district, kind=AccommodationKind.EMERGENCY, planned_places=300
    )
    db.session.add(shelter)
    v1, v2, v3 = (make_user(name=f"Helfer {n}") for n in (1, 2, 3))
    moderator = make_user(roles=[Role.MODERATOR])
    i1, i2 = (make_user(roles=[Role.INTERPRETER]) for _ in range(2))
    coordinator = make_user(roles=[Role.VOLUNTEER, (Role.COORDINATOR, circle_a)])
    staff = make_user(roles=[Role.STAFF])

    def shift(circle, start: datetime, hours: int, capacity: int, signups, status=ShiftStatus.SCHEDULED):
        item = Shift(
            circle=circle,
            title="Einsatz",
            activity_type=activity,
            accommodation=circle.accommodations[0],
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
            status=status,
        )
        for user, signup_status, extra in signups:
            item.signups.append(Signup(user=user, status=signup_status, **extra))
        db.session.add(item)

    attended = lambda hours: {"attendance": Attendance.ATTENDED, "hours": Decimal(hours)}  # noqa: E731
    confirmed, cancelled, waiting = SignupStatus.CONFIRMED, SignupStatus.CANCELLED, SignupStatus.WAITLISTED
    # Bad Cannstatt: filled, with two hours and one and a half.
    shift(circle_a, local(2025, 3, 5, 16), 2, 2, [(v1, confirmed, attended("2.00")), (v2, confirmed, attended("1.50"))])
    # Bad Cannstatt: a no-show, a late and an early cancellation; one of three places taken.
    shift(
        circle_a,
        local(2025, 3, 12, 16),
        2,
        3,
        [
            (v1, confirmed, {"attendance": Attendance.NO_SHOW}),
            (v3, cancelled, {"late_cancellation": True}),
            (v2, cancelled, {"late_cancellation": False}),
        ],
    )
    # Bad Cannstatt, cancelled: counts nowhere.
    shift(circle_a, local(2025, 3, 25, 10), 2, 5, [(v2, confirmed, {})], status=ShiftStatus.CANCELLED)
    # 00:30 on 1 March in Berlin is still 28 February in UTC: it belongs to March.
    shift(circle_a, datetime(2025, 2, 28, 23, 30, tzinfo=UTC), 1, 1, [(v2, confirmed, attended("1.00"))])
    # 00:30 on 1 April in Berlin (summer time) is 31 March in UTC: it belongs to April.
    shift(circle_a, datetime(2025, 3, 31, 22, 30, tzinfo=UTC), 5, 1, [(v1, confirmed, attended("5.00"))])
    # Möhringen: both places taken, a waiting person is no helper.
    shift(
        circle_b,
        local(2025, 3, 20, 9),
        3,
        2,
        [(v3, confirmed, attended("3.00")), (v1, confirmed, attended("1.00")), (v2, waiting, {})],
    )

    def dialog(accommodation, start: datetime, codes: dict, status=DialogStatus.PLANNED) -> Dialog:
        item = Dialog(
            accommodation=accommodation,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            topic="Dialog",
            status=status,
        )
        item.moderators.append(DialogModerator(user_id=moderator.id, role=ModeratorRole.LEAD))
        item.languages = [
            DialogLanguage(code=code, interpreter_id=who.id if who else None) for code, who in codes.items()
        ]
        db.session.add(item)
        return item

    held = dialog(circle_a.accommodations[0], local(2025, 3, 10, 10), {"ar": i1, "fa": None})
    held.log = SessionLog(
        idempotency_key="report-log-0001",
        payload_digest="0" * 64,
        refugees=12,
        volunteers=3,
        staff=1,
        started_at=local(2025, 3, 10, 10),
        ended_at=local(2025, 3, 10, 11, 30),
        summary="Ruhig.",
        follow_ups=[
            FollowUp(what="Kita", responsible="Amt", due_on=date(2025, 3, 19)),
            FollowUp(what="Bus", responsible="Kreis", due_on=date(2025, 3, 15), done_at=local(2025, 3, 14, 9)),
            FollowUp(what="Schule", responsible="Kreis", due_on=date(2025, 3, 25)),
        ],
    )
    dialog(circle_b.accommodations[0], local(2025, 3, 18, 17), {"ar": i2})  # held, no log yet: planned hours
    dialog(circle_a.accommodations[0], local(2025, 3, 22, 10), {"ti": None}, status=DialogStatus.CANCELLED)
    dialog(circle_a.accommodations[0], local(2025, 3, 25, 10), {"ti": None})  # still to come

    programme = FundingProgramme(
        name="Empowerment 2025",
        year=2025,
        budget_cents=1_000_000,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
    )
    programme.district_budgets.append(DistrictBudget(district=district, budget_cents=400_000))
    earlier = FundingProgramme(
        name="Empowerment 2024",
        year=2024,
        budget_cents=500_000,
        opens_on=date(2024, 1, 1),
        closes_on=date(2024, 12, 31),
    )
    db.session.add_all([programme, earlier])

    def proposal(prog, where, state, requested, granted=None):
        db.session.add(
            Proposal(
                programme=prog,
                district_id=where.id,
                applicant_id=v1.id,
                state=state,
                title=f"Projekt {state.value}",
                requested_cents=requested,
                granted_cents=granted,
            )
        )

    db.session.flush()
    proposal(programme, district, ProposalState.APPROVED, 200_000, 150_000)
    proposal(programme, district, ProposalState.RUNNING, 100_000, 100_000)
    proposal(programme, district, ProposalState.SUBMITTED, 50_000)
    proposal(programme, moehringen, ProposalState.REJECTED, 80_000)
    proposal(programme, moehringen, ProposalState.CLOSED, 70_000, 70_000)
    proposal(programme, moehringen, ProposalState.DRAFT, 10_000)
    proposal(earlier, district, ProposalState.APPROVED, 99_900, 99_900)

    for where, population in ((district, 50_000), (moehringen, 40_000), (muehlhausen, 10_000)):
        db.session.add(DistrictPopulation(district_id=where.id, year=2025, population=population))
    db.session.add(DistrictPopulation(district_id=district.id, year=2024, population=49_000))
    db.session.commit()
    return City(
        {"Bad Cannstatt": district, "Möhringen": moehringen, "Mühlhausen": muehlhausen},
        {"A": circle_a, "B": circle_b, "C": circle_c},
        {"v1": v1, "v2": v2, "v3": v3, "coordinator": coordinator, "staff": staff, "moderator": moderator},
        programme,
    )
