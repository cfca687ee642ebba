"""The private calendar feed, read back with icalendar, and the managed activity types."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlalchemy import select

from app.auth.models import Role
from app.shifts.models import ActivityType, CalendarFeed, ShiftStatus, Signup, SignupStatus


def _feed_path(client, db, user) -> str:
    client.post_form("/shifts/calendar")
    token = db.session.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == user.id))
    return f"/calendar/{token}.ics"


def test_feed_lists_own_shifts_in_utc_with_stable_uids(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    person = make_member(circle)
    mine = make_shift(circle, title="Meins")
    called_off = make_shift(circle, title="Abgesagt", starts_in=timedelta(days=4), status=ShiftStatus.CANCELLED)
    make_shift(circle, title="Nicht meins", starts_in=timedelta(days=5))
    db.session.add_all(
        [
            Signup(shift=mine, user=person, status=SignupStatus.CONFIRMED),
            Signup(shift=called_off, user=person, status=SignupStatus.CONFIRMED),
        ]
    )
    db.session.commit()
    login(person)
    path = _feed_path(client, db, person)
    client.post_form("/logout")  # calendar apps don't log in
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    events = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}
    assert set(events) == {"Meins", "Abgesagt"}
    assert str(events["Meins"]["UID"]) == f"shift-{mine.id}@lotse"
    assert events["Meins"].decoded("DTSTART") == mine.starts_at
    assert events["Meins"].decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(events["Abgesagt"]["STATUS"]) == "CANCELLED"
    assert str(events["Meins"]["STATUS"]) == "CONFIRMED"


def test_an_unchanged_feed_answers_304(client, login, make_circle, make_member, make_shift, db):
    circle = make_circle()
    person = make_member(circle)
    shift = make_shift(circle, title="Meins")
    db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(person)
    path = _feed_path(client, db, person)
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    shift.title = "Umbenannt"
    db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert b"Umbenannt" in changed.data


def test_new_address_revokes_the_old_and_switching_off_ends_it(client, login, make_member, make_circle, db):
    person = make_member(make_circle())
    login(person)
    old = _feed_path(client, db, person)
    new = _feed_path(client, db, person)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    client.post_form("/shifts/calendar/revoke")
    assert client.get(new).status_code == 404


def test_unknown_feed_token_is_not_found(client):
    assert client.get("/calendar/guessed.ics").status_code == 404


def test_staff_translate_activity_names(client, login, make_user, make_circle, make_shift, db, activity):
    login(make_user(roles=[Role.STAFF], locale="de"))
    response = client.post_form(
        f"/activities/{activity.id}/edit",
        {
            "name_de": "Lernhilfe",
            "name_en": "Study help",
            "name_ar": "مساعدة دراسية",
            "name_fa": "",
            "name_uk": "Допомога з навчанням",
            "name_tr": "Ders yardımı",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    activity = db.session.get(ActivityType, activity.id)
    assert activity.name == "Lernhilfe"
    assert activity.label("en") == "Study help"
    assert activity.label("fa") == "Lernhilfe"  # no Persian name: the German one stands in
    assert client.post_form("/activities/new", {"name_de": "lernhilfe"}).status_code == 422


def test_activity_names_follow_the_interface_language(client, login, make_circle, make_member, make_shift):
    circle = make_circle()
    make_shift(circle, title="Lernen")
    person = make_member(circle, locale="en")
    login(person)
    assert "Homework help" in client.get("/shifts").get_data(as_text=True)


def test_an_activity_without_a_name_in_the_language_keeps_its_german_one(
    client, login, db, make_circle, make_member, make_shift
):
    from app.shifts.models import ActivityTypeName

    circle = make_circle()
    garden = ActivityType(name="Gartenarbeit", names=[ActivityTypeName(locale="en", name="Gardening")])
    blank = ActivityType(name="Nähcafé", names=[ActivityTypeName(locale="uk", name="")])
    db.session.add_all([garden, blank])
    db.session.commit()
    make_shift(circle, title="Beete", activity_type=garden)
    make_shift(circle, title="Nähen", activity_type=blank)
    login(make_member(circle, locale="uk"))
    page = client.get("/shifts").get_data(as_text=True)
    assert "Gardening" not in page
    cards = page.split('<article class="card shift-card')[1:]
    assert any("Gartenarbeit" in card and "Beete" in card for card in cards)
    assert any("Nähcafé" in card and "Nähen" in card for card in cards)
    assert ">Gartenarbeit</option>" in page and ">Nähcafé</option>" in page  # the filter, too
