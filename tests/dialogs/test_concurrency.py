"""Real concurrent accepts against a served app: one interpreter per language, no double booking."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from app.dialogs.models import DialogLanguage
from tests.conftest import signed_in_session
from tests.dialogs.conftest import language_of
from tests.shifts.test_concurrency import _all_at_once, _allow_many_logins

PEOPLE = 20


def test_many_interpreters_accept_the_same_language_at_once(app, live_server, make_dialog, make_interpreter, db):
    _allow_many_logins(app)
    dialog = make_dialog(languages=("ar",), open_request=True)
    language = language_of(dialog, "ar")
    people = [make_interpreter("ar") for _ in range(PEOPLE)]
    sessions = [signed_in_session(live_server, person.email) for person in people]
    url = f"{live_server}/dialogs/{dialog.id}/languages/{language.id}/accept"

    def accept(session, token):
        return lambda: session.post(url, data={"csrf_token": token}, allow_redirects=False).status_code

    statuses = _all_at_once([accept(s, t) for s, t in sessions])
    assert sorted(statuses) == [303] + [409] * (PEOPLE - 1)
    db.session.expire_all()
    winner = people[statuses.index(303)]
    assert db.session.get(DialogLanguage, language.id).interpreter_id == winner.id


def test_one_interpreter_accepting_two_overlapping_dialogs_at_once_gets_one(
    app, live_server, make_dialog, make_interpreter, db
):
    _allow_many_logins(app)
    first = make_dialog(languages=("ar",), starts_in=timedelta(days=2), open_request=True)
    second = make_dialog(languages=("ar",), starts_in=timedelta(days=2, hours=1), open_request=True)
    interpreter = make_interpreter("ar")
    urls = [f"{live_server}/dialogs/{d.id}/languages/{language_of(d, 'ar').id}/accept" for d in (first, second)]
    session, token = signed_in_session(live_server, interpreter.email)
    calls = [
        (lambda url=url: session.post(url, data={"csrf_token": token}, allow_redirects=False).status_code)
        for url in urls
    ]
    statuses = _all_at_once(calls)
    assert sorted(statuses) == [303, 409]
    db.session.expire_all()
    taken = db.session.scalar(
        select(func.count())
        .select_from(DialogLanguage)
        .where(or_(DialogLanguage.interpreter_id == interpreter.id, DialogLanguage.shadow_id == interpreter.id))
    )
    assert taken == 1


def test_an_accept_racing_a_cancellation_never_books_a_cancelled_dialog(
    app, live_server, make_dialog, make_interpreter, db
):
    _allow_many_logins(app)
    dialog = make_dialog(languages=("ar",), open_request=True)
    language = language_of(dialog, "ar")
    interpreter = make_interpreter("ar")
    lead = dialog.moderators[0].user
    moderator_session, moderator_token = signed_in_session(live_server, lead.email)
    interpreter_session, interpreter_token = signed_in_session(live_server, interpreter.email)
    accept_url = f"{live_server}/dialogs/{dialog.id}/languages/{language.id}/accept"
    cancel_url = f"{live_server}/dialogs/{dialog.id}/cancel"
    statuses = _all_at_once(
        [
            lambda: (
                interpreter_session.post(
                    accept_url, data={"csrf_token": interpreter_token}, allow_redirects=False
                ).status_code
            ),
            lambda: (
                moderator_session.post(
                    cancel_url, data={"csrf_token": moderator_token, "reason": "Krank"}, allow_redirects=False
                ).status_code
            ),
        ]
    )
    db.session.expire_all()
    from app.dialogs.models import Dialog, DialogStatus

    assert statuses[1] == 303
    assert db.session.get(Dialog, dialog.id).status is DialogStatus.CANCELLED
    taken = db.session.get(DialogLanguage, language.id).interpreter_id is not None
    # Either the accept came first (and the cancellation told the interpreter), or it was refused.
    assert statuses[0] == (303 if taken else 409)
