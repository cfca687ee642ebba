"""The dialog lists read what they need in a fixed number of queries, however many dialogs there are."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.auth.models import Role
from app.dialogs.models import FollowUp, InterpreterRequest, RequestStatus, SessionLog
from tests.dialogs.conftest import language_of
from tests.shifts.test_queries import BUDGET, counted


def _dialogs(db, make_dialog, interpreter, staff, count: int, offset: int):
    for n in range(count):
        upcoming = make_dialog(
            languages=("ar", "fa"),
            starts_in=timedelta(days=2 + offset + n),
            topic=f"Dialog {offset + n}",
            open_request=n % 2 == 0,
        )
        if n % 2:
            db.session.add(
                InterpreterRequest(
                    dialog_language=language_of(upcoming, "ar"),
                    interpreter_id=interpreter.id,
                    status=RequestStatus.ASKED,
                )
            )
        language_of(upcoming, "fa").interpreter_id = interpreter.id if n == 0 and offset == 0 else None
        held = make_dialog(languages=("ar",), starts_in=timedelta(days=-3 - offset - n), topic=f"Held {offset + n}")
        log = SessionLog(
            dialog=held,
            idempotency_key=f"query-count-{offset}-{n}-key",
            payload_digest="0" * 64,
            refugees=5,
            volunteers=1,
            staff=1,
            started_at=held.starts_at,
            ended_at=held.ends_at,
            summary="Gut.",
            written_by_id=staff.id,
        )
        log.follow_ups = [FollowUp(what="Aushang", responsible="Heimleitung", due_on=date.today() - timedelta(days=1))]
        db.session.add(log)
        make_dialog(languages=("ar",), starts_in=timedelta(days=-4 - offset - n), topic=f"Unlogged {offset + n}")
    db.session.commit()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("interpreter", "/interpreting"),
        ("interpreter", "/dialogs"),
        ("moderator", "/dialogs"),
        ("staff", "/dialogs?scope=all"),
        ("staff", "/dialogs/logs"),
    ],
)
def test_query_count_does_not_grow_with_the_dialogs(
    app, client, login, db, make_dialog, make_interpreter, make_user, role, path
):
    interpreter = make_interpreter("ar", "fa")
    staff = make_user(roles=[Role.STAFF])
    moderator = make_user(roles=[Role.MODERATOR])
    person = {"interpreter": interpreter, "staff": staff, "moderator": moderator}[role]
    _dialogs(db, make_dialog, interpreter, staff, count=2, offset=0)
    login(person)
    with counted(db.engine) as few:
        assert client.get(path).status_code == 200
    _dialogs(db, make_dialog, interpreter, staff, count=12, offset=40)
    with counted(db.engine) as many:
        page = client.get(path)
        assert page.status_code == 200
    print(f"{path}: {len(few)} queries with few dialogs, {len(many)} with many")
    assert len(many) == len(few)
    if path.startswith("/dialogs?") or path == "/dialogs":
        assert len(many) <= BUDGET


@pytest.mark.parametrize(("role", "path"), [("moderator", "/dialogs"), ("staff", "/dialogs?scope=all")])
def test_the_list_reads_its_dialogs_in_one_statement(client, login, db, make_dialog, make_user, role, path):
    """The dialogs to come with their languages, and the held ones without a log, come in one statement."""
    moderator = make_user(roles=[Role.MODERATOR])
    for n in range(3):
        make_dialog(languages=("ar", "fa"), starts_in=timedelta(days=2 + n), lead=moderator, topic=f"Kommend {n}")
        make_dialog(starts_in=timedelta(days=-3 - n), lead=moderator, topic=f"Gehalten {n}")
    login(moderator if role == "moderator" else make_user(roles=[Role.STAFF]))
    with counted(db.engine) as statements:
        page = client.get(path).get_data(as_text=True)
    assert "Kommend 2" in page and "Gehalten 2" in page
    assert len([statement for statement in statements if "dialog" in statement]) == 1
