"""My shifts: each coming card's badge and place on the waitlist, the activity in the reader's language, the past
list and the year's hours, all from the page's few statements."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.database import local_today, utcnow
from app.shifts import services
from app.shifts.models import ActivityType, Attendance, Signup, SignupStatus


def _card(page: str, shift_id: int) -> str:
    match = re.search(rf'<article class="card shift-card[^"]*" id="shift-{shift_id}".*?</article>', page, re.S)
    assert match, f"no card for shift {shift_id}"
    return match.group(0)


def _sign(db, shift, user, status=SignupStatus.CONFIRMED, minutes_ago=0, at=None, **kw) -> Signup:
    at = at or utcnow() - timedelta(minutes=minutes_ago)
    signup = Signup(shift=shift, user=user, status=status, requested_at=at, **kw)
    db.session.add(signup)
    db.session.commit()
    return signup


def test_coming_cards_show_their_state_place_on_the_waitlist_and_activity(
    client, login, db, make_circle, make_member, make_shift
):
    circle = make_circle()
    me = make_member(circle, locale="tr")
    others = [make_member(circle) for _ in range(4)]
    cafe = db.session.scalar(select(ActivityType).where(ActivityType.name == "Sprachcafé"))
    signed = make_shift(circle, starts_in=timedelta(days=1), capacity=3, title="Hausaufgaben Montag")
    full = make_shift(circle, starts_in=timedelta(days=2), capacity=1, title="Sprachcafé Dienstag", activity_type=cafe)
    _sign(db, signed, me)
    _sign(db, signed, others[0])
    _sign(db, full, others[0], minutes_ago=60)
    _sign(db, full, others[1], SignupStatus.WAITLISTED, minutes_ago=50)
    _sign(db, full, others[2], SignupStatus.CANCELLED, minutes_ago=40)  # left the waitlist: not ahead of me
    _sign(db, full, me, SignupStatus.WAITLISTED, minutes_ago=30)
    _sign(db, full, others[3], SignupStatus.WAITLISTED, minutes_ago=20)  # behind me
    login(me)

    page = client.get("/shifts/mine").get_data(as_text=True)

    first, second = _card(page, signed.id), _card(page, full.id)
    assert page.index(first) < page.index(second)  # soonest first
    assert '<span class="badge badge-ok">Kayıtlı</span>' in first
    assert "Ödev yardımı" in first  # the activity in Turkish
    assert "Dil kafesi" in second
    assert '<span class="badge badge-warn">Bekleme listesi: 2. sıra</span>' in second


def test_past_shifts_and_the_years_hours(client, login, db, make_circle, make_member, make_shift):
    circle = make_circle()
    me = make_member(circle)
    recent = make_shift(circle, starts_in=timedelta(hours=-4), hours=2, title="Gestern Hausaufgaben")
    missed = make_shift(circle, starts_in=timedelta(days=-3), hours=2, title="Sprachcafé verpasst")
    last_year = make_shift(circle, starts_in=timedelta(days=-400), hours=3, title="Sommerfest")
    waited = make_shift(circle, starts_in=timedelta(days=-5), title="Nur Warteliste")
    _sign(db, recent, me, attendance=Attendance.ATTENDED, hours=Decimal("2.5"))
    _sign(db, missed, me, attendance=Attendance.NO_SHOW)
    _sign(db, last_year, me, attendance=Attendance.ATTENDED, hours=Decimal("3"))
    _sign(db, waited, me, SignupStatus.WAITLISTED)
    login(me)

    page = client.get("/shifts/mine").get_data(as_text=True)

    past = page[page.index("Vergangene Einsätze") :]
    titles = re.findall(r'class="title" href="/shifts/(\d+)">', past)
    assert titles == [str(recent.id), str(missed.id), str(waited.id), str(last_year.id)]  # latest first
    assert "2,5 Std." in past and "Nicht gekommen" in past and "War auf der Warteliste" in past
    # The year's total counts what was attended in this (Berlin) year only, as hours_in_year does.
    year = local_today().year
    expected = services.hours_in_year(me, year)
    # The Sommerfest is 400 days ago; the recent shift is last year's only just after New Year.
    assert expected in (Decimal("2.5"), Decimal("0"))
    shown = re.search(r'<div class="stat"><strong>([^<]+)</strong><span>Ehrenamtsstunden im Jahr (\d+)', page)
    assert shown.group(2) == str(year)
    assert shown.group(1) == {Decimal("2.5"): "2,5", Decimal("0"): "0"}[expected]


def test_no_past_shifts_and_no_hours(client, login, db, make_circle, make_member):
    me = make_member(make_circle())
    login(me)
    page = client.get("/shifts/mine").get_data(as_text=True)
    assert "Noch keine vergangenen Einsätze." in page
    assert re.search(r'<div class="stat"><strong>0</strong>', page)
    assert "Keine anstehenden Einsätze" in page


def test_open_shift_cards_count_places_and_know_the_readers_own_sign_up(
    client, login, db, make_circle, make_member, make_shift
):
    """The open-shifts list reads counts, the reader's own sign-up and waitlist place with its shifts."""
    circle = make_circle()
    me = make_member(circle)
    others = [make_member(circle) for _ in range(4)]
    untouched = make_shift(circle, starts_in=timedelta(days=1), capacity=3, title="Frei")
    signed = make_shift(circle, starts_in=timedelta(days=2), capacity=3, title="Eingetragen")
    full = make_shift(circle, starts_in=timedelta(days=3), capacity=1, title="Voll")
    waiting = make_shift(circle, starts_in=timedelta(days=4), capacity=1, title="Warten")
    _sign(db, untouched, others[0])
    _sign(db, untouched, others[1], SignupStatus.CANCELLED)  # a cancellation frees its place
    _sign(db, signed, me)
    _sign(db, full, others[0])
    _sign(db, waiting, others[0], minutes_ago=60)
    moment = utcnow() - timedelta(minutes=50)
    _sign(db, waiting, others[1], SignupStatus.WAITLISTED, minutes_ago=55)
    _sign(db, waiting, others[2], SignupStatus.WAITLISTED, at=moment)  # the same moment as mine, but first
    _sign(db, waiting, me, SignupStatus.WAITLISTED, at=moment)
    _sign(db, waiting, others[3], SignupStatus.WAITLISTED, minutes_ago=10)
    login(me)

    page = client.get("/shifts").get_data(as_text=True)

    assert '<span class="badge">2 Plätze frei</span>' in _card(page, untouched.id)
    assert '<span class="badge badge-ok">Eingetragen</span>' in _card(page, signed.id)
    assert '<span class="badge badge-warn">Voll</span>' in _card(page, full.id)
    assert "Auf die Warteliste eintragen" in _card(page, full.id)
    assert '<span class="badge badge-warn">Warteliste Nr. 3</span>' in _card(page, waiting.id)
    assert "Warteliste verlassen" in _card(page, waiting.id)
    # "Only shifts I can take" leaves out what the reader is on and what is full.
    mine = client.get("/shifts?mine=y").get_data(as_text=True)
    assert f'id="shift-{untouched.id}"' in mine
    assert not any(f'id="shift-{shift.id}"' in mine for shift in (signed, full, waiting))
