"""Shifts in a real browser at phone size (360x740): a volunteer filters the open shifts, signs up on a card
(swapped in place by htmx) and cancels from "my shifts"; axe-core finds no violations on the volunteers' and
the coordinators' shift pages, in German and in Arabic, and none of them scrolls sideways."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import Role
from app.database import local_today
from app.places.models import CircleMembership, District, MembershipStatus
from app.shifts import services
from app.shifts.models import ActivityType, Attendance, Signup, SignupStatus
from app.shifts.services import ShiftDetails
from tests.browser.conftest import (
    audit,
    browser_login,
    switch_language,
    visit,
)

pytestmark = pytest.mark.browser

LANGUAGES = ["de", "ar"]


def card_ids(page: Page) -> set[str]:
    return set(page.locator("#results article.shift-card").evaluate_all("cards => cards.map(c => c.id)"))


def signup_status(db, shift_id: int, user_id: int) -> SignupStatus | None:
    """The sign-up's status as committed by the server (the test's session forgets what it had loaded)."""
    db.session.rollback()
    status = db.session.scalar(select(Signup.status).where(Signup.shift_id == shift_id, Signup.user_id == user_id))
    db.session.rollback()
    return status


@pytest.fixture
def plan(app, db, district, make_user, make_circle):
    """A circle with a coordinator and a volunteer member; upcoming shifts of three activities in the circle,
    one open to all in another district's circle and one for that circle's members only."""
    circle = make_circle(name="Freundeskreis Cannstatt")
    other = District(name="Vaihingen")
    db.session.add(other)
    db.session.commit()
    other_circle = make_circle(name="Freundeskreis Vaihingen", district_=other)
    services.seed_activity_types()
    db.session.commit()
    activities = {a.name: a for a in db.session.scalars(select(ActivityType))}

    coordinator = make_user(name="Clara Koordinatorin", roles=[Role.VOLUNTEER, (Role.COORDINATOR, circle)])
    other_coordinator = make_user(name="Otto Vaihingen", roles=[Role.VOLUNTEER, (Role.COORDINATOR, other_circle)])
    volunteer = make_user(name="Vera Freiwillig", languages=[("de", "native"), ("ar", "fluent")])
    helpers = [
        make_user(name=name, languages=[("ar", "working")]) for name in ("Hanna Helferin", "Wim Wartend", "Zoe Zurück")
    ]
    for person in (volunteer, coordinator, *helpers):
        db.session.add(CircleMembership(circle=circle, user_id=person.id, status=MembershipStatus.ACTIVE))
    db.session.commit()

    today = local_today()
    home = circle.accommodations[0].id

    def shift(by, in_circle, days, title, activity, **kw):
        kw.setdefault("accommodation_id", home if in_circle is circle else None)
        kw.setdefault("place_text", "" if in_circle is circle else "Bürgerbüro Vaihingen, Rathausplatz 1")
        details = ShiftDetails(
            title=title,
            activity_type=activities[activity],
            start=kw.pop("start", time(16, 0)),
            end=kw.pop("end", time(18, 0)),
            capacity=kw.pop("capacity", 3),
            **kw,
        )
        created = services.create_shift(by, in_circle, today + timedelta(days=days), details)
        db.session.commit()
        return created

    homework = shift(
        coordinator,
        circle,
        3,
        "Hausaufgaben in der GU",
        "Hausaufgabenhilfe",
        requires_vetting=True,
        description="Grundschulkinder, Mathe und Lesen.\nBitte pünktlich.",
    )
    cafe = shift(
        coordinator,
        circle,
        4,
        "Sprachcafé am Donnerstag",
        "Sprachcafé",
        required_language="ar",
        description="Tee, Kekse und Gespräche auf Deutsch.",
    )
    bikes = shift(coordinator, circle, 5, "Fahrräder reparieren", "Fahrradwerkstatt", capacity=1)
    open_cafe = shift(other_coordinator, other_circle, 6, "Sprachcafé Vaihingen", "Sprachcafé", open_to_all=True)
    closed_cafe = shift(other_coordinator, other_circle, 7, "Sprachcafé nur für Mitglieder", "Sprachcafé")
    sport = shift(coordinator, circle, 8, "Fußball am Samstag", "Sport", capacity=1)

    ids = {
        "circle": circle.id,
        "homework": homework.id,
        "cafe": cafe.id,
        "bikes": bikes.id,
        "open_cafe": open_cafe.id,
        "closed_cafe": closed_cafe.id,
        "sport": sport.id,
        "cafe_activity": activities["Sprachcafé"].id,
    }
    return {
        "ids": ids,
        "coordinator": coordinator,
        "volunteer": volunteer,
        "helpers": helpers,
        "shifts": {"homework": homework, "cafe": cafe, "bikes": bikes, "sport": sport},
    }


@pytest.fixture
def busy_plan(app, db, plan):
    """Sign-ups through the services: the volunteer on the bike shift (confirmed) and on the waitlist of the
    full football shift; on the café shift one helper confirmed, one who cancelled; a past shift with
    recorded hours for the volunteer and one still to record."""
    volunteer, coordinator = plan["volunteer"], plan["coordinator"]
    hanna, wim, zoe = plan["helpers"]
    shifts = plan["shifts"]
    with app.test_request_context():
        services.sign_up(hanna, shifts["sport"])
        services.sign_up(volunteer, shifts["sport"])  # full: waitlisted
        services.sign_up(volunteer, shifts["bikes"])
        services.sign_up(hanna, shifts["cafe"])
        services.sign_up(wim, shifts["cafe"])
        services.cancel_signup(zoe, services.sign_up(zoe, shifts["cafe"]))
        db.session.commit()

        # A shift from last week: planned for the future, then moved back, as if time had passed.
        past = services.create_shift(
            coordinator,
            shifts["cafe"].circle,
            local_today() + timedelta(days=1),
            ShiftDetails(
                title="Sprachcafé letzte Woche",
                activity_type=shifts["cafe"].activity_type,
                accommodation_id=shifts["cafe"].accommodation_id,
                place_text="",
                start=time(10, 0),
                end=time(12, 30),
                capacity=4,
            ),
        )
        past.starts_at -= timedelta(days=8)
        past.ends_at -= timedelta(days=8)
        for person in (volunteer, wim):
            db.session.add(Signup(shift=past, user=person, status=SignupStatus.CONFIRMED, confirmed_at=past.starts_at))
        db.session.flush()
        volunteer_signup = db.session.scalar(
            select(Signup).where(Signup.shift_id == past.id, Signup.user_id == volunteer.id)
        )
        volunteer_signup.attendance = Attendance.ATTENDED
        volunteer_signup.hours = Decimal("2.5")
        db.session.commit()
    plan["ids"]["past"] = past.id
    assert signup_status(db, plan["ids"]["sport"], volunteer.id) is SignupStatus.WAITLISTED
    return plan


# --- the volunteer's way: filter, sign up, cancel ------------------------------------------------------------


def test_volunteer_filters_by_activity_signs_up_on_a_card_and_cancels_in_my_shifts(live_server, page, db, plan):
    ids, volunteer = plan["ids"], plan["volunteer"]
    browser_login(page, live_server, volunteer.email)

    page.goto(f"{live_server}/shifts")
    # The circle's shifts and the one open to all; not the other circle's members-only shift.
    expect(page.locator("#results article.shift-card")).to_have_count(5)
    assert card_ids(page) == {f"shift-{ids[k]}" for k in ("homework", "cafe", "bikes", "open_cafe", "sport")}

    filters = page.locator("details.filter-card")
    expect(filters).not_to_have_attribute("open", "")
    filters.locator("summary").click()
    expect(filters).to_have_attribute("open", "")
    page.locator("select[name=activity]").select_option(str(ids["cafe_activity"]))
    filters.locator("button[type=submit]").click()
    # htmx swaps the results and pushes the filtered address.
    expect(page).to_have_url(re.compile(rf"/shifts\?(.*&)?activity={ids['cafe_activity']}(&|$)"))
    expect(page.locator("#results article.shift-card")).to_have_count(2)
    assert card_ids(page) == {f"shift-{ids['cafe']}", f"shift-{ids['open_cafe']}"}

    card = page.locator(f"#shift-{ids['cafe']}")
    expect(card.locator(".badge-ok")).to_have_count(0)
    card.locator(f"form[action='/shifts/{ids['cafe']}/signup'] button[type=submit]").click()
    # The card is swapped in place: the "signed up" badge and the cancel button replace the sign-up button.
    card = page.locator(f"#shift-{ids['cafe']}")
    expect(card.locator(".badge-ok")).to_be_visible()
    withdraw = card.locator(f"form[action='/shifts/{ids['cafe']}/withdraw'] button[type=submit]")
    expect(withdraw).to_be_visible()
    expect(withdraw).to_be_focused()  # keyboard and screen reader users stay on the card they acted on
    expect(card.locator(f"form[action='/shifts/{ids['cafe']}/signup']")).to_have_count(0)
    expect(page.locator("#messages .alert-success")).to_be_visible()
    expect(page.locator("#results article.shift-card")).to_have_count(2)
    assert signup_status(db, ids["cafe"], volunteer.id) is SignupStatus.CONFIRMED

    page.goto(f"{live_server}/shifts/mine")
    upcoming = page.locator("article.shift-card")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_have_attribute("id", f"shift-{ids['cafe']}")

    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.locator(f"#shift-{ids['cafe']} form[action='/shifts/{ids['cafe']}/withdraw'] button[type=submit]").click()
    # On "My shifts" the withdrawn shift leaves the list at once, and the confirmation is announced.
    expect(page.locator("article.shift-card")).to_have_count(0)
    expect(page.locator("#messages .alert")).to_be_visible()
    assert len(dialogs) == 1 and dialogs[0], "cancelling did not ask for confirmation"
    assert signup_status(db, ids["cafe"], volunteer.id) is SignupStatus.CANCELLED

    page.reload()
    expect(page.locator("article.shift-card")).to_have_count(0)
    expect(page.locator("main .empty")).to_be_visible()


# --- axe-core and 360px reflow on the shift pages, German and Arabic -----------------------------------------


def test_choosing_a_district_filters_at_once_and_offers_its_circles(live_server, page, plan):
    ids = plan["ids"]
    browser_login(page, live_server, plan["volunteer"].email)
    page.goto(f"{live_server}/shifts")
    page.locator("details.filter-card summary").click()
    circles = page.locator("select[name=circle] option")
    # Before a district is chosen: the volunteer's own circle.
    expect(circles).to_have_text(["Alle Freundeskreise", "Freundeskreis Cannstatt"])

    district = page.locator("select[name=district]")
    district.focus()
    district.select_option(label="Vaihingen")
    # No button pressed: htmx filters on the change and brings the district's circles into the form.
    expect(page).to_have_url(re.compile(r"/shifts\?(.*&)?district=\d+"))
    expect(page.locator("#results article.shift-card")).to_have_count(1)
    assert card_ids(page) == {f"shift-{ids['open_cafe']}"}
    expect(circles).to_have_text(["Alle Freundeskreise", "Freundeskreis Vaihingen"])
    expect(district).to_be_focused()  # the swap leaves the person where they were


@pytest.mark.parametrize("lang", LANGUAGES)
def test_volunteer_shift_pages_pass_axe_and_fit_the_phone_width(live_server, page, busy_plan, lang):
    ids = busy_plan["ids"]
    browser_login(page, live_server, busy_plan["volunteer"].email)
    if lang != "de":
        switch_language(page, lang)

    visit(page, f"{live_server}/shifts", lang)
    filters = page.locator("details.filter-card")
    filters.locator("summary").click()
    expect(filters).to_have_attribute("open", "")
    expect(page.locator("select[name=activity]")).to_be_visible()
    # Cards in every state: signed up, waitlisted, free with a sign-up button, and one the volunteer can't take.
    expect(page.locator(f"#shift-{ids['bikes']} .badge-ok")).to_have_count(1)
    expect(page.locator(f"#shift-{ids['sport']} .badge-warn")).to_have_count(1)
    expect(page.locator(f"#shift-{ids['cafe']} form[action$='/signup']")).to_have_count(1)
    expect(page.locator(f"#shift-{ids['homework']} form")).to_have_count(0)
    audit(page)

    visit(page, f"{live_server}/shifts/mine", lang)
    expect(page.locator("article.shift-card")).to_have_count(2)
    expect(page.locator(f"a[href='/shifts/{ids['past']}']")).to_have_count(1)

    visit(page, f"{live_server}/shifts/{ids['cafe']}", lang)
    expect(page.locator(f"#shift-{ids['cafe']} form[action$='/signup']")).to_have_count(1)
    expect(page.locator("#helpers")).to_have_count(0)  # sign-ups are for those who run the shift
    visit(page, f"{live_server}/shifts/{ids['homework']}", lang)
    # Needs a certificate of good conduct the volunteer has not shown: the reason instead of a button.
    expect(page.locator(f"#shift-{ids['homework']} .actions p")).to_be_visible()
    expect(page.locator(f"#shift-{ids['homework']} form")).to_have_count(0)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_coordinator_shift_pages_pass_axe_and_fit_the_phone_width(live_server, page, busy_plan, lang):
    ids = busy_plan["ids"]
    circle_id, cafe = ids["circle"], ids["cafe"]
    browser_login(page, live_server, busy_plan["coordinator"].email)
    if lang != "de":
        switch_language(page, lang)

    visit(page, f"{live_server}/circles/{circle_id}/shifts", lang)
    expect(page.locator(f"main a[href='/shifts/{ids['cafe']}']")).to_have_count(1)
    expect(page.locator(f"main a[href='/circles/{circle_id}/shifts/new']").first).to_be_visible()

    visit(page, f"{live_server}/circles/{circle_id}/shifts/new", lang)
    expect(page.locator("main form select[name=activity_type]")).to_have_count(1)

    visit(page, f"{live_server}/shifts/{cafe}", lang)
    # The sign-ups (two confirmed, one cancelled) and the forms to write to them and to cancel the shift.
    expect(page.locator("#helpers")).to_be_visible()
    expect(page.locator(f"#helpers form[action='/shifts/{cafe}/attendance'] ul.list > li")).to_have_count(2)
    expect(page.locator("#helpers h3 + ul.list > li")).to_have_count(1)
    expect(page.locator(f"form[action='/shifts/{cafe}/message'] textarea[name=text]")).to_have_count(1)
    expect(page.locator(f"form[action='/shifts/{cafe}/cancel'] textarea[name=reason]")).to_have_count(1)

    visit(page, f"{live_server}/shifts/{ids['sport']}", lang)
    expect(page.locator("#helpers ol.list > li")).to_have_count(1)  # the waitlist

    visit(page, f"{live_server}/shifts/{ids['past']}", lang)
    # Over: attendance to record for both helpers, no cancel form.
    expect(page.locator("#helpers fieldset.attendance")).to_have_count(2)
    expect(page.locator(f"form[action='/shifts/{ids['past']}/cancel']")).to_have_count(0)
