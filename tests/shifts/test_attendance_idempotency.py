"""Attendance sent with an idempotency key (as the offline queue does): stored once, a repeat gets the stored
result, the same key with other choices is refused with a clear message."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.shifts.models import AttendanceSubmission, ShiftStatus, Signup, SignupStatus

JSON = {"Accept": "application/json"}
KEY = "attendance-key-00001"


@pytest.fixture
def ended(db, make_circle, make_user, make_member, make_shift):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=-3), hours=2)
    signup = Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED)
    db.session.add(signup)
    db.session.commit()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)], locale="en")
    return {"shift": shift, "signup": signup, "coordinator": coordinator}


def _form(signup_id: int, outcome: str = "attended", hours: str = "2", key: str = KEY) -> dict:
    return {"idempotency_key": key, f"attendance-{signup_id}": outcome, f"hours-{signup_id}": hours}


def _submissions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AttendanceSubmission))


def test_the_same_attendance_sent_again_gets_the_stored_result(client, login, ended, db):
    shift, signup = ended["shift"], ended["signup"]
    login(ended["coordinator"])
    first = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id), headers=JSON)
    assert first.status_code == 201
    assert first.json == {"message": "Attendance saved for 1 person.", "url": f"/shifts/{shift.id}"}
    for _ in range(3):
        again = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id), headers=JSON)
        assert (again.status_code, again.json) == (200, first.json)
    assert _submissions(db) == 1
    assert db.session.scalar(select(Signup.hours)) == Decimal("2.00")


def test_a_browser_gets_the_message_and_the_shift_page(client, login, ended, db):
    shift, signup = ended["shift"], ended["signup"]
    login(ended["coordinator"])
    for _ in range(2):
        response = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id))
        assert response.status_code == 303 and response.headers["Location"] == f"/shifts/{shift.id}"
    assert _submissions(db) == 1


def test_the_same_key_with_other_choices_is_refused_with_a_clear_message(client, login, ended, db):
    shift, signup = ended["shift"], ended["signup"]
    login(ended["coordinator"])
    client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id), headers=JSON)
    other = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id, "no_show"), headers=JSON)
    assert other.status_code == 409
    assert other.json["message"] == (
        "This attendance was already sent with different choices. Please reload the page to see what was saved."
    )
    page = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id, hours="1.5"))
    assert page.status_code == 409 and "already sent with different choices" in page.get_data(as_text=True)
    assert db.session.scalar(select(Signup.attendance)).value == "attended"
    assert db.session.scalar(select(Signup.hours)) == Decimal("2.00")


def test_a_new_key_records_a_correction(client, login, ended, db):
    shift, signup = ended["shift"], ended["signup"]
    login(ended["coordinator"])
    client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id), headers=JSON)
    fixed = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id, hours="1.5", key="k" * 20))
    assert fixed.status_code == 303
    assert db.session.scalar(select(Signup.hours)) == Decimal("1.50")
    assert _submissions(db) == 2


def test_a_shift_cancelled_meanwhile_is_a_conflict(client, login, ended, db):
    shift, signup = ended["shift"], ended["signup"]
    shift.status = ShiftStatus.CANCELLED
    db.session.commit()
    login(ended["coordinator"])
    response = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id), headers=JSON)
    assert response.status_code == 409
    assert response.json["message"] == "The shift was cancelled: there is no attendance to record."
    assert _submissions(db) == 0


@pytest.mark.parametrize("key", ["short", "x" * 65, "no spaces allowed here"])
def test_a_malformed_key_is_refused(client, login, ended, db, key):
    shift, signup = ended["shift"], ended["signup"]
    login(ended["coordinator"])
    response = client.post_form(f"/shifts/{shift.id}/attendance", _form(signup.id, key=key), headers=JSON)
    assert response.status_code == 422
    assert _submissions(db) == 0


def test_the_shift_page_gives_the_form_a_key(client, login, ended):
    login(ended["coordinator"])
    page = client.get(f"/shifts/{ended['shift'].id}").get_data(as_text=True)
    assert 'name="idempotency_key"' in page
