"""Coordinators plan shifts and series (DST-proof), change and cancel them, message helpers, record attendance."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.database import LOCAL_TIMEZONE, utcnow
from app.shifts import services
from app.shifts.models import Shift, ShiftStatus, Signup, SignupStatus


def _form(circle, activity, **overrides):
    day = date.today() + timedelta(days=7)
    data = {
        "title": "Sprachcafé",
        "activity_type": str(activity.id),
        "accommodation": str(circle.accommodations[0].id),
        "place_text": "",
        "day": day.isoformat(),
        "start": "16:00",
        "end": "18:00",
        "capacity": "4",
        "description": "Mit Tee und Keksen",
        "required_language": "",
        "repeat": "none",
    }
    data.update(overrides)
    return data


def _local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TIMEZONE)


def test_weekly_series_keeps_local_time_across_both_dst_changes(app, db, make_circle, make_user, activity):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    # From early March to mid-November of next year: crosses the last Sundays of March and October.
    year = date.today().year + 1
    details = services.ShiftDetails(
        title="Hausaufgaben",
        activity_type=activity,
        accommodation_id=circle.accommodations[0].id,
        place_text="",
        start=time(16, 0),
        end=time(18, 0),
        capacity=3,
    )
    with app.test_request_context():
        series = services.create_series(
            coordinator, circle, details, first=date(year, 3, 3), until=date(year, 11, 10), weekdays=[1], interval=1
        )
        db.session.commit()
    shifts = series.shifts
    tuesdays = [d for n in range(253) if (d := date(year, 3, 3) + timedelta(days=n)).weekday() == 1]
    assert tuesdays[-1] <= date(year, 11, 10)
    assert len(shifts) == len(tuesdays)
    assert {(_local(s.starts_at).time(), _local(s.ends_at).time()) for s in shifts} == {(time(16), time(18))}
    assert {_local(s.starts_at).weekday() for s in shifts} == {1}
    offsets = {s.starts_at.astimezone(LOCAL_TIMEZONE).utcoffset() for s in shifts}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # winter and summer time both covered
    assert shifts[0].starts_at.hour == 15  # early March: 16:00 CET is 15:00 UTC
    assert next(s for s in shifts if s.starts_at.month == 7).starts_at.hour == 14  # July: 16:00 CEST
    assert "FREQ=WEEKLY" in services.series_rule_text(series)


def test_biweekly_series_on_two_weekdays_with_a_skipped_date(app, db, make_circle, make_user, activity):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    first = date.today() + timedelta(days=(7 - date.today().weekday()))  # next Monday
    details = services.ShiftDetails(
        title="Sport",
        activity_type=activity,
        accommodation_id=None,
        place_text="Sportplatz 1",
        start=time(17, 0),
        end=time(18, 30),
        capacity=2,
    )
    with app.test_request_context():
        series = services.create_series(
            coordinator,
            circle,
            details,
            first=first,
            until=first + timedelta(weeks=5),
            weekdays=[0, 3],
            interval=2,
            skip=[first + timedelta(days=3)],
        )
    days = [_local(s.starts_at).date() for s in series.shifts]
    expected = [
        first,
        first + timedelta(weeks=2),
        first + timedelta(weeks=2, days=3),
        first + timedelta(weeks=4),
        first + timedelta(weeks=4, days=3),
    ]
    assert days == expected


@pytest.mark.parametrize(
    ("month", "day", "hours"),
    [(1, 13, 8), (3, "last-sunday", 7), (10, "last-sunday", 9)],
    ids=["ordinary night", "clocks go forward", "clocks go back"],
)
def test_overnight_shift_ends_the_next_day(client, login, make_circle, make_user, activity, db, month, day, hours):
    year = date.today().year + 1
    if day == "last-sunday":
        last = date(year, month + 1, 1) - timedelta(days=1)
        start_day = last - timedelta(days=(last.weekday() + 1) % 7) - timedelta(days=1)  # the Saturday before
    else:
        start_day = date(year, month, day)
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    form = _form(circle, activity, day=start_day.isoformat(), start="22:00", end="06:00")
    assert client.post_form(f"/circles/{circle.id}/shifts/new", form).status_code == 303
    shift = db.session.scalar(select(Shift))
    assert shift.ends_at - shift.starts_at == timedelta(hours=hours)
    assert (_local(shift.starts_at).time(), _local(shift.ends_at).time()) == (time(22), time(6))
    assert _local(shift.ends_at).date() == start_day + timedelta(days=1)


def test_coordinator_plans_a_series_through_the_form(client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    start = date.today() + timedelta(days=1)
    response = client.post_form(
        f"/circles/{circle.id}/shifts/new",
        _form(
            circle,
            activity,
            day=start.isoformat(),
            repeat="1",
            weekdays=[str(start.weekday())],
            until=(start + timedelta(weeks=3)).isoformat(),
        ),
    )
    assert response.status_code == 303
    assert len(db.session.scalars(select(Shift)).all()) == 4


def test_series_needs_weekdays_and_an_end(client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/circles/{circle.id}/shifts/new", _form(circle, activity, repeat="1"))
    assert response.status_code == 422
    assert db.session.scalar(select(Shift)) is None


def test_shift_in_the_past_is_refused(client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = client.post_form(f"/circles/{circle.id}/shifts/new", _form(circle, activity, day=yesterday))
    assert response.status_code == 422
    assert db.session.scalar(select(Shift)) is None


def test_place_must_be_the_circles_or_an_address(client, login, make_circle, make_user, activity, db):
    circle, other = make_circle(), make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    foreign = _form(circle, activity, accommodation=str(other.accommodations[0].id))
    assert client.post_form(f"/circles/{circle.id}/shifts/new", foreign).status_code == 422
    nowhere = _form(circle, activity, accommodation="", place_text="")
    assert client.post_form(f"/circles/{circle.id}/shifts/new", nowhere).status_code == 422
    address = _form(circle, activity, accommodation="", place_text="Eberhardstraße 39")
    assert client.post_form(f"/circles/{circle.id}/shifts/new", address).status_code == 303
    assert db.session.scalar(select(Shift.place_text)) == "Eberhardstraße 39"


def _series(app, db, circle, coordinator, activity, weeks=4):
    first = date.today() + timedelta(days=1)
    details = services.ShiftDetails(
        title="Hausaufgaben",
        activity_type=activity,
        accommodation_id=circle.accommodations[0].id,
        place_text="",
        start=time(16, 0),
        end=time(18, 0),
        capacity=3,
    )
    with app.test_request_context():
        series = services.create_series(
            coordinator,
            circle,
            details,
            first=first,
            until=first + timedelta(weeks=weeks - 1),
            weekdays=[first.weekday()],
            interval=1,
        )
        db.session.commit()
    return db.session.scalars(select(Shift).where(Shift.series_id == series.id).order_by(Shift.starts_at)).all()


def test_edit_this_or_this_and_following(app, client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    shifts = _series(app, db, circle, coordinator, activity)
    login(coordinator)
    second_day = _local(shifts[1].starts_at).date().isoformat()
    response = client.post_form(
        f"/shifts/{shifts[1].id}/edit",
        _form(circle, activity, day=second_day, start="17:00", end="19:00", scope="following"),
    )
    assert response.status_code == 303
    db.session.expire_all()
    times = [_local(s.starts_at).time() for s in db.session.scalars(select(Shift).order_by(Shift.starts_at))]
    assert times == [time(16), time(17), time(17), time(17)]
    third_day = _local(shifts[2].starts_at).date().isoformat()
    client.post_form(
        f"/shifts/{shifts[2].id}/edit", _form(circle, activity, day=third_day, start="09:00", end="10:00", scope="this")
    )
    db.session.expire_all()
    times = [_local(s.starts_at).time() for s in db.session.scalars(select(Shift).order_by(Shift.starts_at))]
    assert sorted(times) == [time(9), time(16), time(17), time(17)]
    assert db.session.get(Shift, shifts[2].id).series_id is None  # now an exception to the series


def test_changing_the_time_tells_the_helpers(
    client, login, make_circle, make_user, make_member, make_shift, activity, mailbox, db
):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    shift = make_shift(circle, starts_in=timedelta(days=5))
    helper = make_member(circle, locale="en")
    db.session.add(Signup(shift=shift, user=helper, status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(coordinator)
    day = _local(shift.starts_at).date().isoformat()
    client.post_form(
        f"/shifts/{shift.id}/edit",
        _form(circle, activity, title=shift.title, day=day, start="10:00", end="12:00", capacity="2"),
    )
    [message] = mailbox.to(helper.email)
    assert message["Subject"] == f"Changed: {shift.title}"


def test_capacity_cannot_drop_below_confirmed(
    client, login, make_circle, make_user, make_member, make_shift, activity, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=2)
    for _ in range(2):
        db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    day = _local(shift.starts_at).date().isoformat()
    start = _local(shift.starts_at).strftime("%H:%M")
    end = _local(shift.ends_at).strftime("%H:%M")
    response = client.post_form(
        f"/shifts/{shift.id}/edit", _form(circle, activity, day=day, start=start, end=end, capacity="1")
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).capacity == 2


def test_more_places_promote_the_waitlist(
    client, login, make_circle, make_user, make_member, make_shift, activity, mailbox, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=1)
    db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    waiting = make_member(circle)
    db.session.add(Signup(shift=shift, user=waiting, status=SignupStatus.WAITLISTED))
    db.session.commit()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    day = _local(shift.starts_at).date().isoformat()
    start, end = _local(shift.starts_at).strftime("%H:%M"), _local(shift.ends_at).strftime("%H:%M")
    client.post_form(f"/shifts/{shift.id}/edit", _form(circle, activity, day=day, start=start, end=end, capacity="2"))
    assert db.session.scalar(select(Signup.status).where(Signup.user_id == waiting.id)) is SignupStatus.CONFIRMED
    assert len(mailbox.to(waiting.email)) == 1


def test_cancelling_a_shift_tells_everyone_signed_up(
    client, login, make_circle, make_user, make_member, make_shift, mailbox, db
):
    circle = make_circle()
    shift = make_shift(circle, capacity=1)
    confirmed, waiting = make_member(circle, locale="en"), make_member(circle, locale="en")
    db.session.add_all(
        [
            Signup(shift=shift, user=confirmed, status=SignupStatus.CONFIRMED),
            Signup(shift=shift, user=waiting, status=SignupStatus.WAITLISTED),
        ]
    )
    db.session.commit()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/shifts/{shift.id}/cancel", {"reason": "Die Unterkunft ist geschlossen."})
    assert response.status_code == 303
    assert db.session.get(Shift, shift.id).status is ShiftStatus.CANCELLED
    for person in (confirmed, waiting):
        [message] = mailbox.to(person.email)
        assert message["Subject"] == f"Cancelled: {shift.title}"
        assert "Die Unterkunft ist geschlossen." in mailbox.body(message)


def test_cancel_needs_a_reason(client, login, make_circle, make_user, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle)
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    assert client.post_form(f"/shifts/{shift.id}/cancel", {"reason": ""}).status_code == 422
    assert db.session.get(Shift, shift.id).status is ShiftStatus.SCHEDULED


def test_cancel_this_and_following(app, client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    shifts = _series(app, db, circle, coordinator, activity)
    login(coordinator)
    client.post_form(f"/shifts/{shifts[2].id}/cancel", {"reason": "Ferien", "scope": "following"})
    db.session.expire_all()
    statuses = [s.status for s in db.session.scalars(select(Shift).order_by(Shift.starts_at))]
    assert statuses == [ShiftStatus.SCHEDULED] * 2 + [ShiftStatus.CANCELLED] * 2


def test_coordinator_messages_all_helpers(client, login, make_circle, make_user, make_member, make_shift, mailbox, db):
    circle = make_circle()
    shift = make_shift(circle)
    helpers = [make_member(circle) for _ in range(2)]
    for person in helpers:
        db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(make_user(roles=[(Role.COORDINATOR, circle)], name="Karla Koordination"))
    response = client.post_form(f"/shifts/{shift.id}/message", {"subject": "Treffpunkt", "text": "Bitte am Tor."})
    assert response.status_code == 303
    for person in helpers:
        [message] = mailbox.to(person.email)
        assert message["Subject"] == "Treffpunkt"
        assert "Bitte am Tor." in mailbox.body(message)
        assert "Karla Koordination" in mailbox.body(message)


def test_attendance_becomes_volunteer_hours(client, login, make_circle, make_user, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=-3), hours=2)
    came, absent = make_member(circle, locale="en"), make_member(circle)
    db.session.add_all(
        [
            Signup(shift=shift, user=came, status=SignupStatus.CONFIRMED),
            Signup(shift=shift, user=absent, status=SignupStatus.CONFIRMED),
        ]
    )
    db.session.commit()
    ids = {s.user_id: s.id for s in db.session.scalars(select(Signup))}
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(
        f"/shifts/{shift.id}/attendance",
        {
            f"attendance-{ids[came.id]}": "attended",
            f"hours-{ids[came.id]}": "2,5",
            f"attendance-{ids[absent.id]}": "no_show",
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Signup.hours).where(Signup.user_id == came.id)) == Decimal("2.50")
    assert db.session.scalar(select(Signup.hours).where(Signup.user_id == absent.id)) is None
    with client.application.test_request_context():
        year = _local(shift.starts_at).year
        assert services.hours_in_year(db.session.get(type(came), came.id), year) == Decimal("2.5")
    client.post_form("/logout")
    login(came)
    page = client.get("/shifts/mine").get_data(as_text=True)
    assert "2.5" in page


@pytest.mark.parametrize("hours", ["0", "25", "-1", "many", "NaN"])
def test_attendance_refuses_impossible_hours(client, login, make_circle, make_user, make_member, make_shift, db, hours):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=-3), hours=2)
    db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    signup_id = db.session.scalar(select(Signup.id))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(
        f"/shifts/{shift.id}/attendance", {f"attendance-{signup_id}": "attended", f"hours-{signup_id}": hours}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(Signup.hours)) is None


def test_no_attendance_for_a_cancelled_shift(client, login, make_circle, make_user, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=-3), hours=2, status=ShiftStatus.CANCELLED)
    db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    signup_id = db.session.scalar(select(Signup.id))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/shifts/{shift.id}/attendance", {f"attendance-{signup_id}": "attended"})
    assert response.status_code == 409
    assert db.session.scalar(select(Signup.hours)) is None


def test_attendance_waits_for_the_end_of_the_shift(client, login, make_circle, make_user, make_member, make_shift, db):
    circle = make_circle()
    shift = make_shift(circle)
    db.session.add(Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED))
    db.session.commit()
    signup_id = db.session.scalar(select(Signup.id))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/shifts/{shift.id}/attendance", {f"attendance-{signup_id}": "attended"})
    assert response.status_code == 409


def test_open_shifts_filters(client, login, make_circle, make_member, make_shift, activity, db, district):
    from app.places.models import District
    from app.shifts.models import ActivityType

    circle = make_circle()
    elsewhere = District(name="Vaihingen")
    db.session.add(elsewhere)
    db.session.commit()
    far_circle = make_circle(district_=elsewhere)
    sports = db.session.scalar(select(ActivityType).where(ActivityType.name == "Sport"))
    make_shift(circle, title="Hausaufgaben Dienstag", starts_in=timedelta(days=2))
    make_shift(circle, title="Fußball", activity_type=sports, starts_in=timedelta(days=9))
    make_shift(far_circle, title="Fern und offen", open_to_all=True, starts_in=timedelta(days=3))
    make_shift(circle, title="Nur mit Zeugnis", requires_vetting=True, starts_in=timedelta(days=4))
    login(make_member(circle))

    def titles(query):
        page = client.get(f"/shifts?{query}").get_data(as_text=True)
        return {t for t in ("Hausaufgaben Dienstag", "Fußball", "Fern und offen", "Nur mit Zeugnis") if t in page}

    assert titles("") == {"Hausaufgaben Dienstag", "Fußball", "Fern und offen", "Nur mit Zeugnis"}
    assert titles(f"district={elsewhere.id}") == {"Fern und offen"}
    assert titles(f"circle={circle.id}&activity={sports.id}") == {"Fußball"}
    week = (date.today() + timedelta(days=7)).isoformat()
    assert titles(f"start={date.today().isoformat()}&end={week}") == {
        "Hausaufgaben Dienstag",
        "Fern und offen",
        "Nur mit Zeugnis",
    }
    assert titles("mine=y") == {"Hausaufgaben Dienstag", "Fußball", "Fern und offen"}


def test_a_district_shows_its_shifts_of_ones_own_circles_and_those_open_to_all(
    client, login, make_circle, make_member, make_shift, db
):
    """A district's list: every shift of the person's own circles there, and of its other circles only those open
    to all; none of another district, open or not."""
    from app.places.models import District

    own = make_circle(name="Freundeskreis Eigen")
    neighbour = make_circle(name="Freundeskreis Nachbar")  # same district, not the person's
    elsewhere = District(name="Vaihingen")
    db.session.add(elsewhere)
    db.session.commit()
    far = make_circle(name="Freundeskreis Fern", district_=elsewhere)
    make_shift(own, title="Eigene Schicht", starts_in=timedelta(days=2))
    make_shift(neighbour, title="Nachbar geschlossen", starts_in=timedelta(days=3))
    make_shift(neighbour, title="Nachbar offen", open_to_all=True, starts_in=timedelta(days=4))
    make_shift(far, title="Fern offen", open_to_all=True, starts_in=timedelta(days=5))
    login(make_member(own))
    every = ("Eigene Schicht", "Nachbar geschlossen", "Nachbar offen", "Fern offen")

    def titles(query):
        page = client.get(f"/shifts?{query}").get_data(as_text=True)
        return {title for title in every if title in page}

    district_id = own.district_id
    assert titles(f"district={district_id}") == {"Eigene Schicht", "Nachbar offen"}
    assert titles(f"district={district_id}&mine=y") == {"Eigene Schicht", "Nachbar offen"}
    assert titles(f"district={district_id}&circle={neighbour.id}") == {"Nachbar offen"}
    assert titles(f"district={elsewhere.id}") == {"Fern offen"}


def test_only_shifts_i_can_take_leaves_out_every_kind_of_obstacle(
    client, login, make_circle, make_member, make_user, make_shift, db
):
    from datetime import timedelta

    from app.shifts.models import Signup, SignupStatus

    circle = make_circle()
    me = make_member(circle, locale="de", languages=[("ar", "fluent")])
    other = make_member(circle)
    make_shift(circle, title="Frei und passend", starts_in=timedelta(days=2))
    full = make_shift(circle, title="Schon voll", capacity=1, starts_in=timedelta(days=3))
    mine = make_shift(circle, title="Schon meiner", starts_in=timedelta(days=4))
    make_shift(circle, title="Braucht Persisch", required_language="fa", starts_in=timedelta(days=5))
    make_shift(circle, title="Braucht Arabisch", required_language="ar", starts_in=timedelta(days=6))
    make_shift(circle, title="Braucht Zeugnis", requires_vetting=True, starts_in=timedelta(days=7))
    # Overlaps my own shift: only the card's check can tell.
    make_shift(circle, title="Zur selben Zeit", starts_in=timedelta(days=4, hours=1))
    make_shift(circle, title="Noch nicht offen", signup_opens_hours=24, starts_in=timedelta(days=8))
    db.session.add_all(
        [
            Signup(shift=full, user=other, status=SignupStatus.CONFIRMED),
            Signup(shift=mine, user=me, status=SignupStatus.CONFIRMED),
        ]
    )
    db.session.commit()
    login(me)

    page = client.get("/shifts?mine=y").get_data(as_text=True)
    shown = set(re.findall(r'id="shift-\d+-title"><a [^>]*>([^<]+)</a>', page))
    assert shown == {"Frei und passend", "Braucht Arabisch"}


def test_only_shifts_i_can_take_keeps_certificate_shifts_for_the_vetted(
    client, login, make_circle, make_member, make_shift, db
):
    from datetime import date, timedelta

    from app.places.models import VettingRecord

    circle = make_circle()
    me = make_member(circle, locale="de")
    db.session.add(VettingRecord(user_id=me.id, seen_on=date.today(), valid_until=date.today() + timedelta(days=365)))
    db.session.commit()
    make_shift(circle, title="Braucht Zeugnis", requires_vetting=True, starts_in=timedelta(days=3))
    make_shift(circle, title="Braucht Persisch", required_language="fa", starts_in=timedelta(days=4))
    login(me)  # vetted, and speaks no language a shift asks for
    page = client.get("/shifts?mine=y").get_data(as_text=True)
    assert "Braucht Zeugnis" in page and "Braucht Persisch" not in page


def _circle_options(page: str) -> set[str]:
    select_html = re.search(r'<select[^>]*name="circle".*?</select>', page, re.S).group(0)
    return set(re.findall(r"<option[^>]*>([^<]+)</option>", select_html))


def test_circle_filter_offers_own_circles_or_the_chosen_districts(client, login, make_circle, make_member, db):
    from app.places.models import District

    elsewhere = District(name="Vaihingen")
    db.session.add(elsewhere)
    db.session.commit()
    own = make_circle(name="Freundeskreis Ost")
    make_circle(name="Freundeskreis Nachbar")  # same district, not the member's
    far = make_circle(name="Freundeskreis Fern", district_=elsewhere)
    login(make_member(own, locale="de"))

    assert _circle_options(client.get("/shifts").get_data(as_text=True)) == {"Alle Freundeskreise", "Freundeskreis Ost"}
    chosen = client.get(f"/shifts?district={elsewhere.id}").get_data(as_text=True)
    assert _circle_options(chosen) == {"Alle Freundeskreise", "Freundeskreis Fern"}

    # A circle of another district than the one now chosen is let go, not refused: the district's shifts show.
    switched = client.get(f"/shifts?district={elsewhere.id}&circle={own.id}")
    assert switched.status_code == 200
    assert f'<option selected value="{far.id}"' not in switched.get_data(as_text=True)
    assert re.search(r'<option selected value="">Alle Freundeskreise', switched.get_data(as_text=True))


def test_kept_filter_fields_follow_the_reader_and_every_rename(client, login, make_circle, make_member, db):
    """The filter's fields are kept for the same query and choices: another member's circles, or a renamed
    district, make other fields."""
    east, west = make_circle(name="Freundeskreis Ost"), make_circle(name="Freundeskreis West")
    login(make_member(east, locale="de"))
    assert _circle_options(client.get("/shifts").get_data(as_text=True)) == {"Alle Freundeskreise", "Freundeskreis Ost"}
    client.post_form("/logout")
    login(make_member(west, locale="de"))
    page = client.get("/shifts").get_data(as_text=True)
    assert _circle_options(page) == {"Alle Freundeskreise", "Freundeskreis West"}
    district = east.district
    assert f">{district.name}</option>" in page
    district.name = "Stuttgart-Ost (neu)"
    db.session.commit()
    assert ">Stuttgart-Ost (neu)</option>" in client.get("/shifts").get_data(as_text=True)


def test_filtering_with_htmx_brings_the_districts_circles_along(client, login, make_circle, make_member, db):
    from app.places.models import District

    elsewhere = District(name="Vaihingen")
    db.session.add(elsewhere)
    db.session.commit()
    make_circle(name="Freundeskreis Fern", district_=elsewhere)
    login(make_member(make_circle(name="Freundeskreis Ost"), locale="de"))

    fragment = client.get(f"/shifts?district={elsewhere.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    oob = re.search(r'id="circle-field" hx-swap-oob="true">(.*?)</div>\s*<section', fragment, re.S)
    assert oob and _circle_options(oob.group(1)) == {"Alle Freundeskreise", "Freundeskreis Fern"}
    # A whole page has the field once, in the form.
    assert client.get("/shifts").get_data(as_text=True).count('id="circle-field"') == 1


def test_open_shifts_come_a_page_at_a_time(client, login, make_circle, make_member, make_shift):
    from datetime import timedelta

    from app.shifts.routes import PAGE_SIZE

    circle = make_circle()
    for n in range(PAGE_SIZE + 3):
        make_shift(circle, title=f"Dienst {n:02d}", starts_in=timedelta(days=1, hours=n))
    login(make_member(circle, locale="de"))

    first = client.get("/shifts").get_data(as_text=True)
    assert first.count('class="card shift-card') == PAGE_SIZE and "Mehr anzeigen" in first
    assert f"Dienst {PAGE_SIZE - 1:02d}" in first and f"Dienst {PAGE_SIZE:02d}" not in first
    second = client.get("/shifts?page=2").get_data(as_text=True)
    assert second.count('class="card shift-card') == PAGE_SIZE + 3 and "Mehr anzeigen" not in second


@pytest.mark.parametrize(
    "query", ["start=gestern", "district=abc", "start=0001-01-01", "end=9999-12-31", "start=2026-05-02&end=2026-05-01"]
)
def test_bad_filter_gets_a_translated_422(client, login, make_circle, make_member, query):
    # 422, not 400: the htmx configuration swaps 422 answers in, so the message shows with JavaScript too.
    login(make_member(make_circle(), locale="de"))
    response = client.get(f"/shifts?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    errors = re.findall(r'<ul class="errors">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors
    english = ("Not a valid", "Please choose", "must not be before")
    assert not any(word in errors[0] for word in english)


def test_huge_page_number_is_harmless(client, login, make_circle, make_member):
    login(make_member(make_circle()))
    assert client.get("/shifts?page=99999999999999999999999").status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"day": "0001-01-01"},
        {"day": "9999-12-31", "start": "22:00", "end": "06:00"},
        {"repeat": "1", "weekdays": ["0", "1", "2", "3", "4", "5", "6"], "until": "9999-12-30"},
    ],
    ids=["year 1", "year 9999 overnight", "endless series"],
)
def test_far_away_dates_are_refused_quickly(client, login, make_circle, make_user, activity, db, overrides):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    started = utcnow()
    response = client.post_form(f"/circles/{circle.id}/shifts/new", _form(circle, activity, **overrides))
    assert response.status_code == 422
    assert utcnow() - started < timedelta(seconds=5)
    assert db.session.scalar(select(Shift)) is None


def test_series_longer_than_allowed_is_refused(client, login, make_circle, make_user, activity, db):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    until = (date.today() + timedelta(days=600)).isoformat()
    response = client.post_form(
        f"/circles/{circle.id}/shifts/new",
        _form(
            circle,
            activity,
            day=(date.today() + timedelta(days=1)).isoformat(),
            repeat="1",
            weekdays=["0", "1", "2", "3", "4", "5", "6"],
            until=until,
        ),
    )
    assert response.status_code == 422
    assert db.session.scalar(select(Shift)) is None


def test_moving_a_shift_rearms_its_reminders(
    client, login, make_circle, make_user, make_member, make_shift, activity, db
):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=20))
    db.session.add(
        Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED, reminder_sent_at=utcnow())
    )
    db.session.commit()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    later = (_local(shift.starts_at).date() + timedelta(days=2)).isoformat()
    client.post_form(f"/shifts/{shift.id}/edit", _form(circle, activity, day=later, capacity="2"))
    assert db.session.scalar(select(Signup.reminder_sent_at)) is None


def test_reminders_are_sent_once_even_when_run_twice(app, make_circle, make_member, make_shift, mailbox, db):
    circle = make_circle()
    soon = make_shift(circle, starts_in=timedelta(hours=20), title="Bald")
    later = make_shift(circle, starts_in=timedelta(days=3), title="Später")
    person = make_member(circle, locale="en")
    db.session.add_all(
        [
            Signup(shift=soon, user=person, status=SignupStatus.CONFIRMED),
            Signup(shift=later, user=person, status=SignupStatus.CONFIRMED),
        ]
    )
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])
    assert "1 reminders sent" in first.output
    assert "0 reminders sent" in second.output
    [message] = mailbox.to(person.email)
    assert message["Subject"] == "Reminder: Bald"


def test_my_shifts_lists_upcoming_and_past_with_the_years_hours(
    client, login, make_circle, make_member, make_shift, db
):
    circle = make_circle()
    person = make_member(circle)
    coming = make_shift(circle, title="Kommt noch")
    done = make_shift(circle, title="War schön", starts_in=timedelta(hours=-4), hours=2)
    db.session.add_all(
        [
            Signup(shift=coming, user=person, status=SignupStatus.CONFIRMED),
            Signup(shift=done, user=person, status=SignupStatus.CONFIRMED, attendance="attended", hours=Decimal("2")),
        ]
    )
    db.session.commit()
    login(person)
    page = client.get("/shifts/mine").get_data(as_text=True)
    assert page.index("Kommt noch") < page.index("War schön")
    past_section = page[page.index("War schön") :]
    assert re.search(r'class="badge badge-ok">\s*2\b', past_section)
