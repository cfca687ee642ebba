"""Real concurrent requests against a served app: the capacity holds, the waitlist takes the rest."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.shifts.models import Shift, Signup, SignupStatus
from tests.conftest import signed_in_session

PEOPLE = 50


def _allow_many_logins(app) -> None:
    # Fifty people log in from one address here; the per-address login limit is not under test.
    app.config["RATELIMIT_LOGIN_IP"] = "1000 per minute"


def _all_at_once(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _count(db, shift, status) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Signup).where(Signup.shift_id == shift.id, Signup.status == status)
    )


def _kept_count(db, shift) -> int:
    """The confirmed sign-ups the shift keeps (migration 0012's triggers), read anew."""
    return db.session.scalar(select(Shift.confirmed_count).where(Shift.id == shift.id))


def test_fifty_people_tap_the_last_place_at_once(app, live_server, make_circle, make_member, make_shift, db):
    _allow_many_logins(app)
    circle = make_circle()
    shift = make_shift(circle, capacity=3, starts_in=timedelta(days=3))
    for _ in range(2):  # two places are taken already: one is free
        db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    people = [make_member(circle) for _ in range(PEOPLE)]
    sessions = [signed_in_session(live_server, person.email) for person in people]
    url = f"{live_server}/shifts/{shift.id}/signup"  # read now: the threads have no database session

    def sign_up(session, token):
        return lambda: session.post(url, data={"csrf_token": token}, allow_redirects=False).status_code

    statuses = _all_at_once([sign_up(s, t) for s, t in sessions])
    db.session.expire_all()
    assert statuses == [303] * PEOPLE
    assert _count(db, shift, SignupStatus.CONFIRMED) == 3 == _kept_count(db, shift)
    assert _count(db, shift, SignupStatus.WAITLISTED) == PEOPLE - 1


def test_cancel_and_promote_race_with_new_sign_ups(app, live_server, make_circle, make_member, make_shift, db):
    _allow_many_logins(app)
    circle = make_circle()
    shift = make_shift(circle, capacity=2, starts_in=timedelta(days=3))
    holders = [make_member(circle) for _ in range(2)]
    waiting = [make_member(circle) for _ in range(5)]
    newcomers = [make_member(circle) for _ in range(20)]
    for person in holders:
        db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED))
    db.session.commit()
    for person in waiting:
        db.session.add(Signup(shift=shift, user=person, status=SignupStatus.WAITLISTED))
        db.session.commit()

    waiting_ids = [p.id for p in waiting]
    holder_sessions = [signed_in_session(live_server, p.email) for p in holders]
    newcomer_sessions = [signed_in_session(live_server, p.email) for p in newcomers]
    base = f"{live_server}/shifts/{shift.id}"  # read now: the threads have no database session

    def post(session, token, action):
        return lambda: session.post(f"{base}/{action}", data={"csrf_token": token}, allow_redirects=False).status_code

    calls = [post(s, t, "withdraw") for s, t in holder_sessions] + [post(s, t, "signup") for s, t in newcomer_sessions]
    statuses = _all_at_once(calls)
    db.session.expire_all()
    assert statuses == [303] * len(calls)
    confirmed = db.session.scalars(
        select(Signup.user_id).where(Signup.shift_id == shift.id, Signup.status == SignupStatus.CONFIRMED)
    ).all()
    # The freed places go to the two who waited longest, never to a newcomer, and never more than capacity.
    assert sorted(confirmed) == sorted(waiting_ids[:2])
    assert _kept_count(db, shift) == len(confirmed)
    assert _count(db, shift, SignupStatus.WAITLISTED) == 3 + len(newcomers)


def test_one_person_taps_overlapping_shifts_at_once(app, live_server, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shifts = [
        make_shift(circle, capacity=5, starts_in=timedelta(days=3, minutes=15 * n), title=f"S{n}") for n in range(6)
    ]
    person = make_member(circle)
    urls = [f"{live_server}/shifts/{shift.id}/signup" for shift in shifts]
    session, token = signed_in_session(live_server, person.email)
    statuses = _all_at_once(
        [
            lambda url=url: session.post(url, data={"csrf_token": token}, allow_redirects=False).status_code
            for url in urls
        ]
    )
    db.session.expire_all()
    # All six overlap one another: exactly one sign-up goes through, the others are refused.
    assert sorted(statuses) == [303] + [409] * 5
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.user_id == person.id, Signup.status != SignupStatus.CANCELLED)
        )
        == 1
    )
