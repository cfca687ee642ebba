"""How a request ends its database transaction: a request that wrote nothing commits (so PostgreSQL keeps the
connection's prepared statements), anything that failed or left changes behind is rolled back."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import event, func, select, table, update

from app.auth.models import User
from app.extensions import db as _db


@pytest.fixture
def endings(app):
    """The transaction endings ("commit" or "rollback") of the app's connections while a test runs."""
    seen: list[str] = []

    def on_commit(_conn):
        seen.append("commit")

    def on_rollback(_conn):
        seen.append("rollback")

    event.listen(_db.engine, "commit", on_commit)
    event.listen(_db.engine, "rollback", on_rollback)
    yield seen
    event.remove(_db.engine, "commit", on_commit)
    event.remove(_db.engine, "rollback", on_rollback)


@pytest.mark.parametrize(
    ("path", "status", "ending"),
    [("/shifts", 200, "commit"), ("/admin/users", 403, "rollback")],
    ids=["a page that only reads commits", "a refused page is rolled back"],
)
def test_how_a_request_ends_its_transaction(client, make_user, login, endings, path, status, ending):
    login(make_user())
    endings.clear()
    response = client.get(path)
    assert response.status_code == status
    assert endings == [ending]


def test_writes_a_view_left_uncommitted_are_rolled_back(make_app, make_user):
    person_id = make_user(name="Before").id
    app = make_app()

    def rename_without_commit():
        user = _db.session.get(User, person_id)
        user.name = "Left behind"
        return "ok"

    def rename_and_flush():
        _db.session.get(User, person_id).name = "Flushed"
        _db.session.flush()  # as a query's autoflush would
        return "ok"

    def rename_with_a_statement():
        _db.session.execute(update(User).where(User.id == person_id).values(name="By statement"))
        return "ok"

    def rename_then_close_a_savepoint():
        _db.session.get(User, person_id).name = "Before a savepoint"
        _db.session.flush()
        with _db.session.begin_nested():
            _db.session.scalar(select(User.name).where(User.id == person_id))
        return "ok"

    def rename_then_fail():
        _db.session.get(User, person_id).name = "Half done"
        _db.session.flush()
        abort(409)

    app.add_url_rule("/rename-for-test", "rename_for_test", rename_without_commit)
    app.add_url_rule("/rename-and-flush-for-test", "rename_and_flush_for_test", rename_and_flush)
    app.add_url_rule("/rename-by-statement-for-test", "rename_by_statement_for_test", rename_with_a_statement)
    app.add_url_rule("/rename-and-savepoint-for-test", "rename_and_savepoint_for_test", rename_then_close_a_savepoint)
    app.add_url_rule("/rename-and-fail-for-test", "rename_and_fail_for_test", rename_then_fail)
    browser = app.test_client()
    assert browser.get("/rename-for-test").status_code == 200
    assert browser.get("/rename-and-flush-for-test").status_code == 200
    assert browser.get("/rename-by-statement-for-test").status_code == 200
    assert browser.get("/rename-and-savepoint-for-test").status_code == 200
    assert browser.get("/rename-and-fail-for-test").status_code == 409
    with app.app_context():
        name = _db.session.scalar(select(User.name).where(User.id == person_id))
        _db.session.remove()
        _db.engine.dispose()
    assert name == "Before"


def test_postgresql_keeps_prepared_statements_between_requests(make_app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL prepares statements; CI runs this test on PostgreSQL")
    app = make_app()

    def prepared():
        return str(_db.session.scalar(select(func.count()).select_from(table("pg_prepared_statements"))))

    app.add_url_rule("/prepared-for-test", "prepared_for_test", prepared)
    browser = app.test_client()
    # psycopg prepares a statement on its fifth run; a ROLLBACK at the end of a request would forget it.
    counts = [int(browser.get("/prepared-for-test").get_data(as_text=True)) for _ in range(7)]
    assert counts[0] == 0
    assert counts[-1] >= 1
