"""The foundation in a real browser at phone size (360x740): register, log in and out, switch to Arabic;
axe-core finds no accessibility violations on the pages of the first release, in German and in Arabic, and
none of them scrolls sideways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import Role, User
from app.places.models import (
    Accommodation,
    AccommodationKind,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
)
from tests.browser.conftest import (
    account_menu,
    axe_check,
    browser_login,
    browser_logout,
    expect_language,
    switch_language,
    visit,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = ["de", "ar"]


# --- register, log out, log in, Arabic -------------------------------------------------------------------


def test_register_logout_login_switch_to_arabic_and_logout(live_server, page, db):
    page.goto(f"{live_server}/register")
    expect_language(page, "de")
    axe_check(page)

    page.fill("#name", "Amira Haddad")
    page.fill("#email", "amira@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.select_option("#locale", "de")
    page.check("#consent")
    with page.expect_navigation():
        page.locator("form[action='/register'] button[type=submit]").click()

    # Registered and logged in: the circles page with the account menu.
    expect(page).to_have_url(f"{live_server}/circles")
    expect(account_menu(page)).to_have_count(1)
    user = db.session.scalar(select(User).where(User.email == "amira@example.org"))
    assert user is not None and user.name == "Amira Haddad" and user.locale == "de"
    axe_check(page)

    browser_logout(page, live_server, audit_open_menu=True)
    axe_check(page)

    browser_login(page, live_server, "amira@example.org")
    expect_language(page, "de")
    axe_check(page)

    switch_language(page, "ar", audit_open_menu=True)  # asserts <html lang="ar" dir="rtl">
    expect(page).to_have_url(f"{live_server}/")
    expect(account_menu(page)).to_have_count(1)
    axe_check(page)

    browser_logout(page, live_server, audit_open_menu=True)
    axe_check(page)


# --- axe-core and 360px reflow on every page, German and Arabic -------------------------------------------


@pytest.fixture
def places(db, district, make_user, make_circle):
    """A circle with a coordinator, members in every vetting state and a pending request; a staff member
    who speaks languages; a second district with a large emergency accommodation."""
    circle = make_circle(name="Freundeskreis Cannstatt", description="Deutschkurse und Fahrradwerkstatt.")
    other = District(name="Vaihingen")
    db.session.add(other)
    db.session.add(
        Accommodation(
            name="Notunterkunft Messe",
            district=other,
            kind=AccommodationKind.EMERGENCY,
            planned_places=400,
            address="Messepiazza 1",
        )
    )
    staff = make_user(name="Stefanie Stadt", roles=[Role.STAFF], languages=[("ar", "fluent"), ("fa", "basic")])
    coordinator = make_user(name="Clara Koordinatorin", roles=[Role.VOLUNTEER, (Role.COORDINATOR, circle)])
    vetted = make_user(name="Vera Geprüft")
    expired = make_user(name="Erik Abgelaufen")
    unvetted = make_user(name="Uwe Neu")
    waiting = make_user(name="Wanda Wartend")
    today = date.today()
    for person in (coordinator, vetted, expired, unvetted):
        db.session.add(CircleMembership(circle=circle, user_id=person.id, status=MembershipStatus.ACTIVE))
    db.session.add(CircleMembership(circle=circle, user_id=staff.id, status=MembershipStatus.ACTIVE))
    db.session.add(CircleMembership(circle=circle, user_id=waiting.id, status=MembershipStatus.PENDING))
    for person, seen, valid in ((vetted, -30, 700), (expired, -2000, -10)):
        db.session.add(
            VettingRecord(
                user_id=person.id,
                circle_id=circle.id,
                seen_on=today + timedelta(days=seen),
                valid_until=today + timedelta(days=valid),
                recorded_by_id=coordinator.id,
            )
        )
    db.session.commit()
    return {"circle": circle, "district": district, "staff": staff, "coordinator": coordinator}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages_pass_axe_and_fit_the_phone_width(live_server, page, lang):
    page.goto(f"{live_server}/")
    expect_language(page, "de")  # from the context's de-DE Accept-Language
    if lang != "de":
        switch_language(page, lang)
    for path in ("/", "/login", "/register", "/password/forgot"):
        visit(page, f"{live_server}{path}", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_pages_pass_axe_and_fit_the_phone_width(live_server, page, places, lang):
    browser_login(page, live_server, places["staff"].email)
    if lang != "de":
        switch_language(page, lang)
    circle, district = places["circle"], places["district"]
    visit(page, f"{live_server}/", lang)
    expect(page.locator("a[href='/circles/new']")).to_have_count(1)  # the city administration card
    visit(page, f"{live_server}/circles", lang)
    visit(page, f"{live_server}/circles/{circle.id}", lang)
    # Staff see the circle's management parts: edit, appoint a coordinator, requests and members.
    expect(page.locator(f"a[href='/circles/{circle.id}/edit']")).to_have_count(1)
    expect(page.locator(f"form[action='/circles/{circle.id}/coordinators']")).to_have_count(1)
    expect(page.locator("#members #requests")).to_have_count(1)
    for path in (
        "/districts",
        f"/districts/{district.id}",
        "/accommodations",
        "/account",
        "/account/password",
    ):
        visit(page, f"{live_server}{path}", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_coordinator_pages_pass_axe_and_fit_the_phone_width(live_server, page, places, lang):
    browser_login(page, live_server, places["coordinator"].email)
    if lang != "de":
        switch_language(page, lang)
    circle = places["circle"]
    visit(page, f"{live_server}/", lang)
    # The dashboard lists the pending request to decide.
    expect(page.locator(f"a[href='/circles/{circle.id}#requests']")).to_have_count(1)
    visit(page, f"{live_server}/circles", lang)
    visit(page, f"{live_server}/circles/{circle.id}", lang)
    # The coordinator's view shows requests to join and the members with their vetting links.
    expect(page.locator(f"#members form[action^='/circles/{circle.id}/requests/']")).to_have_count(2)
    expect(page.locator(f"#members a[href^='/circles/{circle.id}/members/']")).to_have_count(5)
    for path in ("/account", "/account/password"):
        visit(page, f"{live_server}{path}", lang)
