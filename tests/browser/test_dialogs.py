"""Dialogs in a real browser at phone size (360x740): a moderator schedules a dialog needing Arabic and Persian
and posts an open request for Arabic; an Arabic interpreter takes it from "Interpreting" (the card is swapped in
place by htmx); the moderator sees Arabic covered and Persian still open and, once the dialog is held, writes its
log with a follow-up. axe-core finds no violations on these pages, in German and in Persian (right to left), and
none of them scrolls sideways.

Set LOTSE_SCREENSHOTS=1 to save full-page screenshots of the pages to /tmp/shots/dialogs-*.png."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.auth.models import Role
from app.database import local_today, utcnow
from app.dialogs import services
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, FollowUp, ModeratorRole, SessionLog, Topic
from app.shifts.services import local_to_utc
from tests.browser.conftest import (
    audit,
    browser_login,
    browser_logout,
    shot,
    switch_language,
    visit,
)

pytestmark = pytest.mark.browser

TOPIC = "Zusammenleben in der GU"
SUMMARY = "Viele Fragen zur Mülltrennung und zum WLAN in der Unterkunft; die Heimleitung hört zu."
FOLLOW_UP = "Aushang zur Mülltrennung in fünf Sprachen"


def submit(page: Page) -> None:
    """Send the page's main form; fail with the form's error messages if the server sent it back."""
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    errors = page.locator("main .errors li").all_inner_texts()
    assert not errors, f"the form at {page.url} was refused: {errors}"


def fresh(db):
    """End the test's transaction so the next query sees what the served app committed."""
    db.session.rollback()
    return db.session


@pytest.fixture
def team(db, make_user, make_circle):
    """A moderator (and a colleague, so the moderator select has a choice), an interpreter who speaks Arabic
    natively, an accommodation, and the usual log topics."""
    circle = make_circle(name="Freundeskreis Cannstatt")
    moderator = make_user(name="Mira Moderatorin", roles=[Role.MODERATOR])
    colleague = make_user(name="Kai Kollege", roles=[Role.MODERATOR])
    interpreter = make_user(
        name="Amal Dolmetscherin", roles=[Role.VOLUNTEER, Role.INTERPRETER], languages=[("ar", "native")]
    )
    services.seed_topics()
    db.session.commit()
    return {
        "moderator": moderator,
        "colleague": colleague,
        "interpreter": interpreter,
        "accommodation": circle.accommodations[0],
    }


# --- the whole way, in German ------------------------------------------------------------------------------------


def test_moderator_schedules_interpreter_accepts_moderator_writes_the_log(live_server, page, db, team):
    moderator, interpreter, accommodation = team["moderator"], team["interpreter"], team["accommodation"]

    # 1. The moderator schedules a dialog needing Arabic and Persian.
    browser_login(page, live_server, moderator.email)
    visit(page, f"{live_server}/dialogs/new")
    day = local_today() + timedelta(days=4)
    page.locator("#topic").fill(TOPIC)
    page.locator("#accommodation").select_option(str(accommodation.id))
    page.locator("#day").fill(day.isoformat())
    page.locator("#start").fill("16:00")
    page.locator("#end").fill("18:00")
    arabic = page.get_by_role("checkbox", name="Arabisch", exact=True)
    persian = page.get_by_role("checkbox", name="Persisch", exact=True)
    expect(arabic).to_have_attribute("value", "ar")
    expect(persian).to_have_attribute("value", "fa")
    arabic.check()
    persian.check()
    # The moderator select starts on the moderator who schedules; it stays there.
    expect(page.locator("#lead_moderator")).to_have_value(str(moderator.id))
    page.locator("#expected_participants").fill("20")
    audit(page)
    shot(page, "form")
    submit(page)
    expect(page).to_have_url(re.compile(r"/dialogs/\d+$"))
    dialog_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#messages .alert-success")).to_contain_text("Dialog geplant")
    expect(page.locator("h1")).to_have_text(TOPIC)

    dialog = fresh(db).get(Dialog, dialog_id)
    assert dialog is not None and dialog.topic == TOPIC and dialog.accommodation_id == accommodation.id
    assert {m.user_id: m.role for m in dialog.moderators} == {moderator.id: ModeratorRole.LEAD}
    languages = {language.code: language.id for language in dialog.languages}
    assert set(languages) == {"ar", "fa"}
    ar, fa = f"#language-{languages['ar']}", f"#language-{languages['fa']}"
    expect(page.locator(f"{ar} .badge")).to_have_text("Offen")
    expect(page.locator(f"{fa} .badge")).to_have_text("Offen")
    expect(page.locator("#languages > p.muted")).to_have_text("0 von 2 Sprachen abgedeckt")
    audit(page)

    # 2. Nobody asked yet: the "find an interpreter" box is open; the moderator posts an open request for Arabic.
    find = page.locator(f"{ar} details.find-interpreter")
    expect(find).to_have_attribute("open", "")
    expect(find.locator("summary")).to_have_text("Dolmetscher*in für Arabisch finden")
    expect(find.locator("label.chip")).to_have_text([interpreter.name])  # free and speaks Arabic
    with page.expect_navigation():
        find.get_by_role("button", name=re.compile(r"^Offene Anfrage an alle stellen")).click()
    expect(page.locator("#messages .alert-success")).to_contain_text("Offene Anfrage gestellt")
    expect(page.locator(f"{ar} .badge")).to_have_text("Angefragt")
    expect(page.locator(ar)).to_contain_text("Offene Anfrage: Alle passenden Dolmetscher*innen sehen sie.")
    expect(page.locator(f"{fa} .badge")).to_have_text("Offen")
    audit(page)
    browser_logout(page, live_server)

    # 3. The interpreter sees the request and takes it; htmx refreshes both lists in place.
    browser_login(page, live_server, interpreter.email)
    visit(page, f"{live_server}/interpreting")
    card = page.locator(f"#requests #request-{languages['ar']}")
    expect(page.locator("#requests article")).to_have_count(1)  # Persian is not theirs
    expect(card.locator(".eyebrow")).to_have_text("Arabisch")
    expect(card.locator(".badge")).to_have_text("Offene Anfrage")
    expect(card.locator("h2")).to_have_text(TOPIC)
    shot(page, "interpreting")
    card.get_by_role("button", name=re.compile(r"^Übernehmen")).click()
    # The lists are swapped in place: the request moves from the open requests to the assignments, without
    # buttons, and the flash message arrives out of band.
    assignment = page.locator(f"#assignments #request-{languages['ar']}")
    expect(assignment.locator(".badge-ok")).to_have_text("Sie dolmetschen")
    expect(assignment.locator("form")).to_have_count(0)
    expect(page.locator("#requests article")).to_have_count(0)
    expect(page.locator("#messages .alert-success")).to_contain_text(
        "Sie dolmetschen für Arabisch. Eine Bestätigung mit Kalendereintrag ist unterwegs."
    )
    expect(page).to_have_url(f"{live_server}/interpreting")
    assert fresh(db).get(DialogLanguage, languages["ar"]).interpreter_id == interpreter.id
    audit(page)
    shot(page, "interpreting-accepted")
    browser_logout(page, live_server)

    # 4. The moderator sees Arabic covered and Persian still open.
    browser_login(page, live_server, moderator.email)
    visit(page, f"{live_server}/dialogs/{dialog_id}")
    expect(page.locator("#languages > p.muted")).to_have_text("1 von 2 Sprachen abgedeckt")
    expect(page.locator(f"{ar} .badge")).to_have_text("Abgedeckt")
    expect(page.locator(ar)).to_contain_text(f"Dolmetscher*in: {interpreter.name}")
    expect(page.locator(f"{ar} details.find-interpreter")).to_have_count(0)
    expect(page.locator(f"{fa} .badge")).to_have_text("Offen")
    expect(page.locator(f"{fa} details.find-interpreter")).to_have_count(1)
    expect(page.locator(f"a[href='/dialogs/{dialog_id}/log']")).to_have_count(0)  # not held yet
    shot(page, "detail")

    # 5. The dialog is held: moved in the database to yesterday, same times of day (less than 48 hours ago, so
    # the log is not overdue yet). The interpreter's booking moves with it and plays no part in the log.
    dialog = fresh(db).get(Dialog, dialog_id)
    yesterday = local_today() - timedelta(days=1)
    dialog.starts_at = local_to_utc(datetime.combine(yesterday, time(16, 0)))
    dialog.ends_at = local_to_utc(datetime.combine(yesterday, time(18, 0)))
    db.session.commit()

    visit(page, f"{live_server}/dialogs/{dialog_id}")
    expect(page.locator("main .alert-warning")).to_have_count(0)  # not overdue
    with page.expect_navigation():
        page.locator(f"#log a[href='/dialogs/{dialog_id}/log']").click()
    expect(page).to_have_url(f"{live_server}/dialogs/{dialog_id}/log")
    expect(page.locator("h1")).to_have_text("Protokoll schreiben")
    expect(page.locator("#start")).to_have_value("16:00")
    expect(page.locator("#end")).to_have_value("18:00")
    for code in ("de", "ar", "fa"):  # the dialog's languages and German are ticked
        expect(page.locator(f"input[name=languages][value={code}]")).to_be_checked()
    audit(page)
    page.locator("#refugees").fill("18")
    page.locator("#volunteers").fill("4")
    page.locator("#staff").fill("1")
    page.get_by_role("checkbox", name="Wohnen", exact=True).check()
    page.locator("#summary").fill(SUMMARY)
    due = local_today() + timedelta(days=14)
    page.locator("#follow_ups-0-what").fill(FOLLOW_UP)
    page.locator("#follow_ups-0-responsible").fill("Heimleitung")
    page.locator("#follow_ups-0-due_on").fill(due.isoformat())
    audit(page)
    shot(page, "log-form")
    submit(page)
    expect(page).to_have_url(f"{live_server}/dialogs/{dialog_id}#log")
    expect(page.locator("#messages .alert-success")).to_contain_text("Protokoll gespeichert. Vielen Dank!")
    log = page.locator("#log")
    expect(log.locator("p.pre-line")).to_have_text(SUMMARY)
    expect(log.locator("dl.facts dd").first).to_have_text("18")
    expect(log.locator(".tags")).to_contain_text("Wohnen")
    follow_ups = log.locator("ul.list > li")
    expect(follow_ups).to_have_count(1)
    expect(follow_ups.locator(".title")).to_have_text(FOLLOW_UP)
    expect(follow_ups).to_contain_text("Heimleitung")
    expect(page.locator(f"a[href='/dialogs/{dialog_id}/log']")).to_have_count(0)
    audit(page)
    shot(page, "detail-log")

    session = fresh(db)
    assert session.scalar(select(func.count()).select_from(SessionLog)) == 1
    saved = session.scalar(select(SessionLog))
    assert (saved.dialog_id, saved.refugees, saved.volunteers, saved.staff) == (dialog_id, 18, 4, 1)
    assert saved.summary == SUMMARY and saved.written_by_id == moderator.id
    assert [(f.what, f.responsible, f.due_on) for f in saved.follow_ups] == [(FOLLOW_UP, "Heimleitung", due)]
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 1


# --- the same pages in Persian, right to left -----------------------------------------------------------------


def _dialog(db, moderator, accommodation, starts_in: timedelta, topic: str, languages: list[DialogLanguage]):
    start = (utcnow() + starts_in).replace(second=0, microsecond=0)
    dialog = Dialog(
        accommodation=accommodation,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        topic=topic,
        expected_participants=15,
        created_by_id=moderator.id,
    )
    dialog.moderators.append(DialogModerator(user=moderator, role=ModeratorRole.LEAD))
    dialog.languages = languages
    db.session.add(dialog)
    db.session.commit()
    return dialog


@pytest.fixture
def plan(db, team):
    """An upcoming dialog with Arabic covered by the interpreter and an open request for Persian; another with
    an open request for Arabic; a held dialog with its log and a follow-up; a held dialog without a log."""
    moderator, interpreter, home = team["moderator"], team["interpreter"], team["accommodation"]
    now = utcnow()
    upcoming = _dialog(
        db,
        moderator,
        home,
        timedelta(days=3),
        TOPIC,
        [DialogLanguage(code="ar", interpreter_id=interpreter.id, accepted_at=now), DialogLanguage(code="fa")],
    )
    upcoming.languages[1].open_since = now
    requested = _dialog(
        db, moderator, home, timedelta(days=6), "Schule und Kita", [DialogLanguage(code="ar", open_since=now)]
    )
    logged = _dialog(db, moderator, home, timedelta(days=-2), "Wohnen und Nachbarschaft", [DialogLanguage(code="ar")])
    unlogged = _dialog(db, moderator, home, timedelta(hours=-3), "Gesundheit", [DialogLanguage(code="fa")])
    housing = db.session.scalar(select(Topic).where(Topic.name == "Wohnen"))
    services.write_log(
        moderator,
        logged,
        services.LogDetails(
            refugees=12,
            volunteers=3,
            staff=1,
            start=time(10, 0),
            end=time(11, 45),
            languages=["de", "ar"],
            topic_ids=[housing.id],
            tags=["Mülltrennung"],
            summary=SUMMARY,
            follow_ups=[services.FollowUpDetails(FOLLOW_UP, "Heimleitung", local_today() + timedelta(days=10))],
        ),
        "persian-test-key-0001",
    )
    db.session.commit()
    return {
        **team,
        "upcoming": upcoming.id,
        "requested": requested.id,
        "logged": logged.id,
        "unlogged": unlogged.id,
        "requested_language": requested.languages[0].id,
        "upcoming_ar": upcoming.languages[0].id,
    }


def test_dialog_pages_pass_axe_and_fit_the_phone_width_in_persian(live_server, page, plan):
    browser_login(page, live_server, plan["moderator"].email)
    switch_language(page, "fa")

    visit(page, f"{live_server}/dialogs/{plan['upcoming']}", "fa")
    expect(page.locator("#languages .badge-ok")).to_have_count(1)  # Arabic covered
    expect(page.locator("#languages .badge-warn")).to_have_count(1)  # Persian requested
    shot(page, "detail-fa")

    visit(page, f"{live_server}/dialogs/new", "fa")
    expect(page.locator("input[name=languages][value=fa]")).to_have_count(1)

    visit(page, f"{live_server}/dialogs/{plan['logged']}", "fa")
    expect(page.locator("#log p.pre-line")).to_have_text(SUMMARY)
    expect(page.locator("#log ul.list > li")).to_have_count(1)
    shot(page, "detail-log-fa")

    visit(page, f"{live_server}/dialogs/{plan['unlogged']}/log", "fa")
    expect(page.locator("#follow_ups-0-what")).to_be_visible()
    shot(page, "log-form-fa")
    browser_logout(page, live_server)

    browser_login(page, live_server, plan["interpreter"].email)
    switch_language(page, "fa")
    visit(page, f"{live_server}/interpreting", "fa")
    expect(page.locator(f"#requests #request-{plan['requested_language']}")).to_be_visible()
    expect(page.locator(f"#request-{plan['upcoming_ar']} .badge-ok")).to_be_visible()  # the assignment
    shot(page, "interpreting-fa")
