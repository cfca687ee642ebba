"""The city report reads a fixed number of queries, however many districts, shifts, dialogs or proposals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.auth.models import Role
from app.database import utcnow
from app.dialogs.models import Dialog, DialogLanguage, FollowUp, SessionLog
from app.places.models import District
from app.proposals.models import FundingProgramme, Proposal, ProposalState
from app.reports.models import DistrictPopulation
from app.shifts.models import Attendance, Signup, SignupStatus
from tests.shifts.test_queries import counted

BUDGET = 8  # SQL statements per page, the login included (issue 8: at most 8, the same at any size)


def _grow(db, make_circle, make_shift, make_user, districts: int, n: int) -> None:
    """Add `districts` districts, each with a circle, shifts with sign-ups, a logged dialog and a proposal."""
    programme = FundingProgramme(
        name=f"Programm {n}",
        year=date.today().year,
        budget_cents=10_000_00,
        opens_on=date.today(),
        closes_on=date.today(),
    )
    db.session.add(programme)
    helper = make_user()
    for k in range(districts):
        district = District(name=f"Bezirk {n}-{k}")
        db.session.add(district)
        db.session.flush()
        circle = make_circle(district_=district)
        db.session.add(DistrictPopulation(district_id=district.id, year=date.today().year, population=1000 + k))
        for m in range(3):
            shift = make_shift(circle, starts_in=timedelta(days=-(m + 1)), capacity=2)
            db.session.add(
                Signup(shift=shift, user=helper, status=SignupStatus.CONFIRMED, attendance=Attendance.ATTENDED, hours=2)
            )
        start = utcnow() - timedelta(days=1)
        dialog = Dialog(
            accommodation=circle.accommodations[0],
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            topic="Dialog",
            languages=[DialogLanguage(code="ar", interpreter_id=helper.id)],
        )
        dialog.log = SessionLog(
            idempotency_key=f"q-{n}-{k}",
            payload_digest="0" * 64,
            refugees=5,
            volunteers=2,
            staff=1,
            started_at=start,
            ended_at=start + timedelta(hours=1),
            summary="-",
            follow_ups=[FollowUp(what="x", responsible="y", due_on=date.today())],
        )
        db.session.add(dialog)
        db.session.add(
            Proposal(
                programme=programme,
                district_id=district.id,
                state=ProposalState.APPROVED,
                title="P",
                requested_cents=100,
                granted_cents=100,
            )
        )
    db.session.commit()


@pytest.mark.parametrize(
    "path", ["/reports?period=year", "/reports?period=month", "/reports/placement", "/reports/volunteers.csv"]
)
def test_city_report_query_count_does_not_grow(app, client, login, db, make_circle, make_shift, make_user, path):
    staff = make_user(roles=[Role.STAFF])
    _grow(db, make_circle, make_shift, make_user, districts=1, n=1)
    login(staff)
    with counted(db.engine) as few:
        assert client.get(path).status_code == 200
    _grow(db, make_circle, make_shift, make_user, districts=8, n=2)
    with counted(db.engine) as many:
        assert client.get(path).status_code == 200
    print(f"{path}: {len(few)} queries with 2 districts, {len(many)} with 10")
    assert len(many) == len(few)
    assert len(many) <= BUDGET


def test_circle_report_query_count_does_not_grow(app, client, login, db, make_circle, make_shift, make_user):
    own = make_circle()
    coordinator = make_user(roles=[Role.VOLUNTEER, (Role.COORDINATOR, own)])
    _grow(db, make_circle, make_shift, make_user, districts=1, n=1)
    login(coordinator)
    with counted(db.engine) as few:
        assert client.get("/reports?period=year").status_code == 200
    _grow(db, make_circle, make_shift, make_user, districts=8, n=2)
    for m in range(5):
        make_shift(own, starts_in=timedelta(days=-(m + 1)), capacity=2)
    with counted(db.engine) as many:
        assert client.get("/reports?period=year").status_code == 200
    assert len(many) == len(few) <= BUDGET
