"""A shift's confirmed sign-ups, kept on the shift by the database (migration 0012): whoever changes a sign-up,
the count follows, and what lists show and filter by is the real count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from app.database import utcnow
from app.extensions import db as _db
from app.shifts.models import Shift, Signup, SignupStatus


def _kept(shift_id: int) -> int:
    return _db.session.scalar(select(Shift.confirmed_count).where(Shift.id == shift_id))


def _counted(shift_id: int) -> int:
    return _db.session.scalar(
        select(func.count()).where(Signup.shift_id == shift_id, Signup.status == SignupStatus.CONFIRMED)
    )


def _assert_kept(*shift_ids: int) -> list[int]:
    kept = [_kept(shift_id) for shift_id in shift_ids]
    assert kept == [_counted(shift_id) for shift_id in shift_ids]
    return kept


def test_the_count_follows_sign_ups_the_waitlist_and_cancellations(
    client, login, make_circle, make_member, make_shift, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=1, starts_in=timedelta(days=3))
    holder, waiting = make_member(circle), make_member(circle)
    assert _assert_kept(shift.id) == [0]
    for person in (holder, waiting):
        login(person)
        assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303
        client.post_form("/logout")
    assert _assert_kept(shift.id) == [1]  # the second one waits

    login(holder)
    assert client.post_form(f"/shifts/{shift.id}/withdraw").status_code == 303
    # The one waiting moved up: still one place taken.
    assert _assert_kept(shift.id) == [1]
    client.post_form("/logout")
    login(waiting)
    assert client.post_form(f"/shifts/{shift.id}/withdraw").status_code == 303
    assert _assert_kept(shift.id) == [0]


def test_the_count_follows_writes_made_past_the_app(make_circle, make_member, make_shift, db):
    """Inserts, changes of status, a sign-up moved to another shift and deletes, in SQL of their own."""
    circle = make_circle()
    first, second = make_shift(circle, capacity=5), make_shift(circle, capacity=5)
    people = [make_member(circle) for _ in range(3)]
    now = utcnow()
    db.session.execute(
        insert(Signup),
        [
            {"shift_id": first.id, "user_id": people[0].id, "status": SignupStatus.CONFIRMED, "requested_at": now},
            {"shift_id": first.id, "user_id": people[1].id, "status": SignupStatus.CONFIRMED, "requested_at": now},
            {"shift_id": first.id, "user_id": people[2].id, "status": SignupStatus.WAITLISTED, "requested_at": now},
        ],
    )
    assert _assert_kept(first.id, second.id) == [2, 0]

    of = (Signup.shift_id == first.id) & (Signup.user_id == people[2].id)
    db.session.execute(update(Signup).where(of).values(status=SignupStatus.CONFIRMED))
    assert _assert_kept(first.id, second.id) == [3, 0]
    # Writing the same status again changes nothing.
    db.session.execute(update(Signup).where(Signup.shift_id == first.id).values(status=SignupStatus.CONFIRMED))
    assert _assert_kept(first.id, second.id) == [3, 0]

    moved = (Signup.shift_id == first.id) & (Signup.user_id == people[0].id)
    db.session.execute(update(Signup).where(moved).values(shift_id=second.id))
    assert _assert_kept(first.id, second.id) == [2, 1]

    db.session.execute(update(Signup).where(of).values(status=SignupStatus.CANCELLED))
    assert _assert_kept(first.id, second.id) == [1, 1]
    db.session.execute(delete(Signup).where(Signup.shift_id == second.id))
    assert _assert_kept(first.id, second.id) == [1, 0]
    db.session.commit()
    assert _assert_kept(first.id, second.id) == [1, 0]


def test_a_deleted_account_gives_its_places_back(app, make_circle, make_member, make_shift, make_user, db):
    from app.privacy import services as privacy

    circle = make_circle()
    shift = make_shift(circle, capacity=2, starts_in=timedelta(days=5))
    leaving, staying = make_member(circle), make_member(circle)
    for person in (leaving, staying):
        db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED, confirmed_at=utcnow()))
    db.session.commit()
    assert _assert_kept(shift.id) == [2]
    with app.test_request_context():
        privacy.delete_account(leaving, leaving)
        db.session.commit()
    assert _assert_kept(shift.id) == [1]


def test_a_flush_of_sign_ups_renews_the_count_in_the_session(make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, capacity=3)
    assert shift.confirmed_count == 0
    db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.flush()
    assert shift.confirmed_count == 1  # read anew, not the session's 0
    signup = db.session.scalar(select(Signup).where(Signup.shift_id == shift.id))
    signup.status = SignupStatus.CANCELLED
    db.session.flush()
    assert shift.confirmed_count == 0
    db.session.rollback()


def test_a_new_shift_flushed_with_its_sign_ups_and_a_moved_sign_up_are_counted_in_the_session(
    make_circle, make_member, make_shift, activity, db
):
    circle = make_circle()
    start = utcnow() + timedelta(days=4)
    shift = Shift(circle=circle, title="Neu", activity_type=activity, starts_at=start, ends_at=start, capacity=3)
    people = [make_member(circle) for _ in range(2)]
    for person in people:
        db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED))
    db.session.flush()  # the shift and its sign-ups in one flush
    assert shift.confirmed_count == 2

    other = make_shift(circle, capacity=3)
    assert other.confirmed_count == 0
    moved = db.session.scalar(select(Signup).where(Signup.user_id == people[0].id))
    moved.shift = other
    db.session.flush()
    assert (shift.confirmed_count, other.confirmed_count) == (1, 1)
    db.session.rollback()


def test_the_lock_gives_a_shift_in_the_session_the_count_as_it_is_now(app, make_circle, make_member, make_shift, db):
    """A sign-up committed elsewhere after the shift was loaded: the lock reads the row anew."""
    from app.shifts import services

    circle = make_circle()
    shift = make_shift(circle, capacity=3)
    reader, other = make_member(circle), make_member(circle)
    assert shift.confirmed_count == 0
    with _db.engine.begin() as elsewhere:
        elsewhere.execute(
            insert(Signup).values(shift_id=shift.id, user_id=other.id, status="confirmed", requested_at=utcnow())
        )
    assert shift.confirmed_count == 0  # the session's copy
    with app.test_request_context():
        locked, is_member, has_signup = services.lock_with_access(reader, shift.id, with_person=True)
    assert locked is shift and locked.confirmed_count == 1
    assert (is_member, has_signup) == (True, False)
    db.session.rollback()


def test_the_triggers_exist(db):
    """A later migration that rebuilds a table on SQLite would drop them silently (see migration 0012)."""
    with _db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            names = connection.scalars(
                text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'signups'::regclass AND NOT tgisinternal")
            ).all()
        else:
            names = connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'signups'")
            ).all()
    assert sorted(names) == ["signups_count_delete", "signups_count_insert", "signups_count_update"]


def test_full_shifts_leave_the_list_of_shifts_one_can_take(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    full = make_shift(circle, capacity=1, title="Voll besetzt")
    open_ = make_shift(circle, capacity=2, title="Noch frei")
    reader = make_member(circle, locale="en")
    db.session.add(Signup(shift=full, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.add(Signup(shift=open_, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(reader)
    page = client.get("/shifts?mine=y").get_data(as_text=True)
    assert "Noch frei" in page and "Voll besetzt" not in page
    assert "1 place free" in page
    assert "Full" in client.get("/shifts").get_data(as_text=True)


@pytest.fixture
def old_database(tmp_path):
    """A SQLite database at revision 0011 with a shift and three sign-ups, two of them confirmed."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'count.db'}"})
    with app.app_context():
        upgrade(revision="0011")
        with _db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no circle, activity or people to refer to
            connection.execute(
                text(
                    "INSERT INTO shifts (id, circle_id, title, activity_type_id, starts_at, ends_at, capacity, status,"
                    " created_at) VALUES (1, 1, 'Hausaufgaben', 1, '2027-01-04 15:00:00', '2027-01-04 17:00:00', 4,"
                    " 'scheduled', '2026-12-01 10:00:00')"
                )
            )
            for number, status in ((1, "confirmed"), (2, "confirmed"), (3, "waitlisted")):
                connection.execute(
                    text(
                        "INSERT INTO signups (id, shift_id, user_id, status, requested_at)"
                        " VALUES (:id, 1, :id, :status, '2026-12-01 10:00:00')"
                    ),
                    {"id": number, "status": status},
                )
            connection.commit()
        yield app
        _db.engine.dispose()


def test_the_migration_counts_what_is_there_and_goes_back(old_database):
    from flask_migrate import downgrade, upgrade

    with old_database.app_context():
        upgrade(revision="0012")
        with _db.engine.connect() as connection:
            assert connection.execute(text("SELECT confirmed_count FROM shifts")).scalar_one() == 2
            connection.execute(text("UPDATE signups SET status = 'confirmed' WHERE id = 3"))
            assert connection.execute(text("SELECT confirmed_count FROM shifts")).scalar_one() == 3
            connection.commit()
        downgrade(revision="0011")
        with _db.engine.connect() as connection:
            columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(shifts)")]
            triggers = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()
        assert "confirmed_count" not in columns and triggers == []
