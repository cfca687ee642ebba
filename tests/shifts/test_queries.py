"""The shift lists read what they need in a fixed number of queries, however many shifts there are."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from app.shifts.models import Signup, SignupStatus

BUDGET = 8  # SQL statements per page, the login included (issue 8: at most 8, at any size)


@contextmanager
def counted(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _world(db, make_circle, make_member, make_shift, shifts: int):
    circle = make_circle()
    person = make_member(circle)
    others = [make_member(circle) for _ in range(2)]
    for n in range(shifts):
        shift = make_shift(
            circle,
            capacity=1,
            starts_in=timedelta(days=1, hours=3 * n),
            title=f"Einsatz {n}",
            requires_vetting=n % 3 == 0,
            required_language="ar" if n % 4 == 0 else None,
        )
        if n % 2 == 0:
            db.session.add(Signup(shift=shift, user=others[0], status=SignupStatus.CONFIRMED))
            db.session.add(Signup(shift=shift, user=person, status=SignupStatus.WAITLISTED))
        else:
            db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED))
    db.session.commit()
    return person


@pytest.mark.parametrize("path", ["/shifts", "/shifts/mine", "/shifts?mine=y"])
def test_query_count_does_not_grow_with_the_shifts(app, client, login, db, make_circle, make_member, make_shift, path):
    person = _world(db, make_circle, make_member, make_shift, shifts=2)
    login(person)
    with counted(db.engine) as few:
        assert client.get(path).status_code == 200
    _world(db, make_circle, make_member, make_shift, shifts=24)
    with counted(db.engine) as many:
        assert client.get(path).status_code == 200
    print(f"{path}: {len(few)} queries with few shifts, {len(many)} with many")
    assert len(many) == len(few)
    assert len(many) <= BUDGET


def test_signing_up_and_cancelling_stay_within_the_budget_as_the_shift_fills(
    app, client, login, db, make_circle, make_member, make_shift
):
    """As deployed (the mailer sends the confirmation): a sign-up and its cancellation each run a fixed number of
    statements, whether the shift is empty or has people signed up and waiting."""
    app.config["MAIL_WORKER"] = True
    circle = make_circle()
    shift = make_shift(circle, capacity=3, starts_in=timedelta(days=3))
    person = make_member(circle)
    login(person)
    signup_url, withdraw_url = f"/shifts/{shift.id}/signup", f"/shifts/{shift.id}/withdraw"
    # The token is read before counting and sent with post (post_form would fetch its page again).
    token = {"csrf_token": client.csrf_token()}
    counts = []
    for others in ((), (SignupStatus.CONFIRMED,) * 3 + (SignupStatus.WAITLISTED,) * 2):
        for status in others:
            db.session.add(Signup(shift=shift, user=make_member(circle), status=status))
        db.session.commit()
        with counted(db.engine) as signing_up:
            assert client.post(signup_url, data=token).status_code == 303
        with counted(db.engine) as cancelling:
            assert client.post(withdraw_url, data=token).status_code == 303
        counts.append((len(signing_up), len(cancelling)))
    print(f"sign-up and cancel: {counts} statements (an empty shift, a full one with people waiting)")
    assert counts[0] == counts[1]
    assert max(counts[0]) <= BUDGET


def test_the_statements_every_shift_page_runs_are_short_enough_for_psycopg_to_keep_converted(app):
    """psycopg rewrites a statement's named parameters in PostgreSQL's numbered form once and keeps the result,
    but only for statements of at most 4,096 characters (psycopg/_queries.py); a longer one is rewritten on every
    request. The eligibility-and-choices statement of the open-shifts page and the eligibility of a sign-up stay
    below that, with room for the lists their expanding parameters grow by."""
    from sqlalchemy.dialects.postgresql import psycopg

    from app.shifts.services import _eligibility_statement, _shift_list_statement

    for statement in (_shift_list_statement(), _eligibility_statement()):
        assert len(str(statement.compile(dialect=psycopg.dialect()))) < 4096 - 200


def test_only_the_districts_open_shifts_list_can_use_the_partial_index(
    client, login, db, make_circle, make_member, make_shift
):
    """A database uses a partial index only for a statement that says the index's condition. The district's list
    says it (`open_to_all = 1`, PostgreSQL `= true`) and reads the shifts open to all through it; the list without
    a district says `open_to_all IS 1` (`IS true`), so it cannot: with a city's statistics (the seed analyses it),
    SQLite read every shift open to all to come through that index for it and sorted them (3 ms against 0.3 at
    city size), where the start-time index gives the page in order. On PostgreSQL the list without a district
    also compares with the database's clock, which keeps one plan of its prepared statement; the district's list
    takes the time as a parameter. SQLite's plan of the district's list is read too (PostgreSQL plans by its
    statistics, which a test's few rows do not have; bench/run measures its plans at city size)."""
    circle = make_circle()
    neighbour = make_circle()
    for n in range(3):
        make_shift(circle, starts_in=timedelta(days=1 + n))
        make_shift(neighbour, open_to_all=True, starts_in=timedelta(days=1 + n))
    login(make_member(circle))
    listed = []

    def keep(conn, cursor, statement, parameters, *args):
        if statement.startswith("SELECT page."):
            listed.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get("/shifts").status_code == 200
        assert client.get(f"/shifts?district={circle.district_id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    (everything, _), (by_district, parameters) = listed
    name = "ix_shifts_open_to_all_circle_id_starts_at"
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            index = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": name}).scalar_one()
            plan = "\n".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {by_district}", parameters))
        else:
            found = text("SELECT indexdef FROM pg_indexes WHERE indexname = :name")
            index = conn.execute(found, {"name": name}).scalar_one()
    if db.engine.dialect.name == "sqlite":
        assert index.endswith("WHERE open_to_all = 1")
        assert "open_to_all = 1" not in everything and "open_to_all IS 1" in everything
        assert "open_to_all = 1" in by_district
        assert name in plan
    else:
        assert index.endswith("WHERE open_to_all")
        assert "open_to_all = true" not in everything and "open_to_all IS true" in everything
        assert "open_to_all = true" in by_district
        assert "timezone('UTC', now())" in everything and "now()" not in by_district
