"""The session log as the offline queue sends it: JSON answers, the stored result for a repeat, 409 for a conflict."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.dialogs.models import DialogStatus, SessionLog

JSON = {"Accept": "application/json"}
KEY = "queued-log-key-0001"


def _form(key=KEY, **overrides) -> dict:
    data = {
        "idempotency_key": key,
        "queue_label": "Sitzungsprotokoll",
        "refugees": "12",
        "volunteers": "3",
        "staff": "1",
        "start": "17:05",
        "end": "18:50",
        "languages": ["de"],
        "summary": "Fragen zur Mülltrennung.",
    }
    return data | overrides


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SessionLog))


@pytest.fixture
def held(make_dialog):
    return make_dialog(starts_in=timedelta(hours=-3), hours=2)


def test_the_same_key_gets_the_stored_result(client, login, held, db):
    login(held.moderators[0].user)
    first = client.post_form(f"/dialogs/{held.id}/log", _form(), headers=JSON)
    assert first.status_code == 201
    assert first.json == {"message": "Protokoll gespeichert. Vielen Dank!", "url": f"/dialogs/{held.id}#log"}
    again = client.post_form(f"/dialogs/{held.id}/log", _form(), headers=JSON)
    assert again.status_code == 200
    assert again.json["url"] == first.json["url"]
    assert _count(db) == 1


def test_the_same_key_with_other_content_is_a_conflict_with_a_clear_message(client, login, held, db):
    login(held.moderators[0].user)
    assert client.post_form(f"/dialogs/{held.id}/log", _form(), headers=JSON).status_code == 201
    other = client.post_form(f"/dialogs/{held.id}/log", _form(refugees="13"), headers=JSON)
    assert other.status_code == 409
    assert other.json["message"] == (
        "Dieses Protokoll wurde bereits mit anderem Inhalt gesendet. "
        "Bitte laden Sie die Seite neu, um zu sehen, was gespeichert wurde."
    )
    assert db.session.scalar(select(SessionLog.refugees)) == 12


def test_a_dialog_cancelled_meanwhile_is_a_conflict(client, login, held, db):
    held.status = DialogStatus.CANCELLED
    db.session.commit()
    login(held.moderators[0].user)
    response = client.post_form(f"/dialogs/{held.id}/log", _form(), headers=JSON)
    assert response.status_code == 409
    assert response.json["message"] == "Der Dialog wurde abgesagt: Es gibt nichts zu protokollieren."
    assert _count(db) == 0


def test_invalid_content_answers_422_with_the_first_problem(client, login, held, db):
    login(held.moderators[0].user)
    response = client.post_form(f"/dialogs/{held.id}/log", _form(refugees="-3"), headers=JSON)
    assert response.status_code == 422
    assert response.json["message"]
    assert _count(db) == 0


def test_a_problem_found_by_the_service_answers_with_its_whole_message(client, login, held, db):
    login(held.moderators[0].user)
    response = client.post_form(f"/dialogs/{held.id}/log", _form(start="18:00", end="17:00"), headers=JSON)
    assert response.status_code == 422
    assert response.json["message"] == "Das Ende muss nach dem Beginn liegen."
    assert _count(db) == 0


def test_an_expired_session_is_sent_to_the_login_not_stored(client, held, db):
    response = client.post_form(f"/dialogs/{held.id}/log", _form(), headers=JSON)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _count(db) == 0
