"""Signing up, the waitlist, cancelling and every rule that can refuse a sign-up."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
from sqlalchemy import select

from app.auth.models import LanguageLevel, Role, UserLanguage
from app.places.models import VettingRecord
from app.shifts.models import ShiftStatus, Signup, SignupStatus


def _signup(db, shift, user):
    return db.session.scalar(select(Signup).where(Signup.shift_id == shift.id, Signup.user_id == user.id))


def test_member_signs_up_and_gets_a_calendar_entry(client, login, make_circle, make_member, make_shift, mailbox, db):
    circle = make_circle()
    shift = make_shift(circle, capacity=2)
    volunteer = make_member(circle, locale="en")
    login(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 303
    assert _signup(db, shift, volunteer).status is SignupStatus.CONFIRMED
    [message] = mailbox.to(volunteer.email)
    assert message["Subject"] == f"You are signed up: {shift.title}"
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"shift-{shift.id}@lotse"
    assert event.decoded("DTSTART") == shift.starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)


def test_full_shift_puts_people_on_the_waitlist_in_order(app, make_circle, make_member, make_shift, db):
    from app.shifts import services

    circle = make_circle()
    shift = make_shift(circle, capacity=1)
    first, second, third = (make_member(circle) for _ in range(3))
    with app.test_request_context():
        assert services.sign_up(first, shift).status is SignupStatus.CONFIRMED
        waiting_a = services.sign_up(second, shift)
        waiting_b = services.sign_up(third, shift)
        db.session.commit()
        assert (waiting_a.status, services.waitlist_position(waiting_a)) == (SignupStatus.WAITLISTED, 1)
        assert services.waitlist_position(waiting_b) == 2


def test_cancellation_promotes_the_first_waiting_who_is_told(
    client, login, make_circle, make_member, make_shift, mailbox, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=1, starts_in=timedelta(days=3))
    holder, waiting, later = make_member(circle), make_member(circle, locale="en"), make_member(circle)
    for person in (holder, waiting, later):
        login(person)
        client.post_form(f"/shifts/{shift.id}/signup")
        client.post_form("/logout")
    mailbox.clear()
    login(holder)
    assert client.post_form(f"/shifts/{shift.id}/withdraw").status_code == 303
    assert _signup(db, shift, holder).status is SignupStatus.CANCELLED
    assert _signup(db, shift, holder).late_cancellation is False
    assert _signup(db, shift, waiting).status is SignupStatus.CONFIRMED
    assert _signup(db, shift, later).status is SignupStatus.WAITLISTED
    [message] = mailbox.to(waiting.email)
    assert message["Subject"] == f"You moved up from the waitlist: {shift.title}"


def test_late_cancellation_is_marked_and_the_coordinator_told(
    client, login, make_circle, make_member, make_user, make_shift, mailbox, db
):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)], locale="en")
    shift = make_shift(circle, starts_in=timedelta(hours=5))
    volunteer = make_member(circle, name="Late Larissa")
    login(volunteer)
    client.post_form(f"/shifts/{shift.id}/signup")
    mailbox.clear()
    client.post_form(f"/shifts/{shift.id}/withdraw")
    assert _signup(db, shift, volunteer).late_cancellation is True
    [message] = mailbox.to(coordinator.email)
    assert message["Subject"] == f"Late cancellation: {shift.title}"
    assert "Late Larissa" in mailbox.body(message)


def test_started_shift_takes_no_sign_ups(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(minutes=-10))
    volunteer = make_member(circle, locale="en")
    login(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "already started" in response.get_data(as_text=True)
    assert _signup(db, shift, volunteer) is None


def test_cancelled_shift_takes_no_sign_ups(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, status=ShiftStatus.CANCELLED)
    login(make_member(circle, locale="en"))
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "has been cancelled" in response.get_data(as_text=True)


def test_sign_up_waits_for_the_window_to_open(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(days=5), signup_opens_hours=48)
    login(make_member(circle, locale="en"))
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "Sign-up opens on" in response.get_data(as_text=True)


def test_no_overlapping_shifts_but_touching_is_fine(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    first = make_shift(circle, starts_in=timedelta(days=2), hours=2, title="Erste")
    overlapping = make_shift(circle, starts_in=timedelta(days=2, hours=1), hours=2, title="Zweite")
    touching = make_shift(circle, starts_in=timedelta(days=2, hours=2), hours=1, title="Dritte")
    volunteer = make_member(circle, locale="en")
    login(volunteer)
    assert client.post_form(f"/shifts/{first.id}/signup").status_code == 303
    response = client.post_form(f"/shifts/{overlapping.id}/signup")
    assert response.status_code == 409
    assert "already booked for Erste" in response.get_data(as_text=True)
    assert client.post_form(f"/shifts/{touching.id}/signup").status_code == 303


def test_work_with_children_needs_valid_vetting(client, login, make_circle, make_member, make_user, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, requires_vetting=True)
    volunteer = make_member(circle, locale="en")
    login(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "certificate of good conduct" in response.get_data(as_text=True)
    expired = date.today() - timedelta(days=1)
    db.session.add(VettingRecord(user_id=volunteer.id, seen_on=expired - timedelta(days=900), valid_until=expired))
    db.session.commit()
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 409
    db.session.add(
        VettingRecord(user_id=volunteer.id, seen_on=date.today(), valid_until=date.today() + timedelta(days=900))
    )
    db.session.commit()
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303


def test_required_language_at_working_level(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, required_language="ar")
    volunteer = make_member(circle, locale="en", languages=[("ar", "basic")])
    login(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "speaks Arabic" in response.get_data(as_text=True)
    entry = db.session.scalar(select(UserLanguage).where(UserLanguage.user_id == volunteer.id))
    entry.level = LanguageLevel.FLUENT
    db.session.commit()
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303


def test_circle_shifts_are_for_members_open_shifts_for_everyone(client, login, make_circle, make_user, make_shift):
    circle = make_circle()
    own = make_shift(circle, title="Nur Mitglieder")
    open_shift = make_shift(circle, title="Offen", open_to_all=True, starts_in=timedelta(days=4))
    login(make_user())
    assert client.get(f"/shifts/{own.id}").status_code == 403
    assert client.post_form(f"/shifts/{own.id}/signup").status_code == 403
    page = client.get("/shifts").get_data(as_text=True)
    assert "Offen" in page
    assert "Nur Mitglieder" not in page
    assert client.post_form(f"/shifts/{open_shift.id}/signup").status_code == 303


def test_signing_up_twice_is_refused(client, login, make_circle, make_member, make_shift):
    circle = make_circle()
    shift = make_shift(circle)
    login(make_member(circle))
    client.post_form(f"/shifts/{shift.id}/signup")
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 409


def test_sign_up_again_after_cancelling(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle)
    volunteer = make_member(circle)
    login(volunteer)
    client.post_form(f"/shifts/{shift.id}/signup")
    client.post_form(f"/shifts/{shift.id}/withdraw")
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303
    assert _signup(db, shift, volunteer).status is SignupStatus.CONFIRMED


def test_htmx_sign_up_swaps_the_card(client, login, make_circle, make_member, make_shift):
    circle = make_circle()
    shift = make_shift(circle)
    login(make_member(circle))
    response = client.post_form(f"/shifts/{shift.id}/signup", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert f'id="shift-{shift.id}"' in body
    assert f"/shifts/{shift.id}/withdraw" in body
    assert 'hx-swap-oob="true"' in body


def test_open_shifts_show_free_places_not_names(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, capacity=3)
    other = make_member(circle, name="Geheime Person")
    login(other)
    client.post_form(f"/shifts/{shift.id}/signup")
    client.post_form("/logout")
    login(make_member(circle, locale="en"))
    page = client.get("/shifts").get_data(as_text=True)
    assert "2 places free" in page
    assert "Geheime Person" not in page
    assert "Geheime Person" not in client.get(f"/shifts/{shift.id}").get_data(as_text=True)


def test_withdrawing_on_my_shifts_removes_the_card(client, login, make_circle, make_member, make_shift):
    circle = make_circle()
    shift = make_shift(circle)
    login(make_member(circle))
    client.post_form(f"/shifts/{shift.id}/signup")
    assert 'name="then" value="remove"' in client.get("/shifts/mine").get_data(as_text=True)
    response = client.post_form(f"/shifts/{shift.id}/withdraw", {"then": "remove"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="shift-{shift.id}"' not in body
    assert 'hx-swap-oob="true"' in body


def test_a_shift_under_way_shows_no_free_places(client, login, make_circle, make_member, make_shift, db):
    from app.shifts.models import Signup, SignupStatus

    circle = make_circle()
    person = make_member(circle, locale="en")
    shift = make_shift(circle, starts_in=timedelta(minutes=-30), hours=2, capacity=5)
    db.session.add(Signup(shift=shift, user=person, status=SignupStatus.WAITLISTED))
    db.session.commit()
    login(person)
    page = client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "places free" not in page


def test_after_leaving_the_circle_one_can_still_cancel(client, login, make_circle, make_member, make_shift, db):
    from app.places.models import CircleMembership

    circle = make_circle()
    shift = make_shift(circle)
    volunteer = make_member(circle)
    login(volunteer)
    client.post_form(f"/shifts/{shift.id}/signup")
    db.session.execute(CircleMembership.__table__.delete())
    db.session.commit()
    assert client.get(f"/shifts/{shift.id}").status_code == 200
    assert client.post_form(f"/shifts/{shift.id}/withdraw").status_code == 303
    assert _signup(db, shift, volunteer).status is SignupStatus.CANCELLED
    assert client.get(f"/shifts/{shift.id}").status_code == 403


def test_promotion_skips_whoever_booked_another_shift_meanwhile(
    client, login, make_circle, make_member, make_shift, mailbox, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=1, starts_in=timedelta(days=3))
    other = make_shift(circle, capacity=5, starts_in=timedelta(days=3), title="Zur gleichen Zeit")
    holder, busy, free = make_member(circle), make_member(circle), make_member(circle)
    db.session.add_all(
        [
            Signup(shift=shift, user=holder, status=SignupStatus.CONFIRMED),
            Signup(shift=other, user=busy, status=SignupStatus.CONFIRMED),
        ]
    )
    db.session.commit()
    db.session.add(Signup(shift=shift, user=busy, status=SignupStatus.WAITLISTED))
    db.session.commit()
    db.session.add(Signup(shift=shift, user=free, status=SignupStatus.WAITLISTED))
    db.session.commit()
    login(holder)
    client.post_form(f"/shifts/{shift.id}/withdraw")
    assert _signup(db, shift, busy).status is SignupStatus.WAITLISTED
    assert _signup(db, shift, free).status is SignupStatus.CONFIRMED


def test_feed_of_a_disabled_account_is_gone(client, login, make_circle, make_member, db):
    from app.shifts.models import CalendarFeed

    person = make_member(make_circle())
    login(person)
    client.post_form("/shifts/calendar")
    token = db.session.scalar(select(CalendarFeed.token))
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    person.is_enabled = False
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
