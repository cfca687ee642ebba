"""Lotse installed and offline, in headless Chromium at phone size: the manifest is linked and valid and the
service worker controls the page; offline, "My shifts", a shift and a dialog render from what the phone kept,
with the "offline — as of" note; a session log written offline waits on the phone, is sent once when the
connection is back, and the same submission delivered a hundred times more is stored once; after logout
nothing of the previous user is left to read offline. axe-core finds no violations on the offline page and
on the list of entries waiting to send.

Set LOTSE_SCREENSHOTS=1 to save screenshots to /tmp/shots/pwa-*.png."""

from __future__ import annotations

import re
import struct
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.auth.models import Role
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, DialogStatus, ModeratorRole, SessionLog
from app.places.models import CircleMembership, MembershipStatus
from app.shifts.models import Attendance, AttendanceSubmission, Signup, SignupStatus
from tests.browser.conftest import assert_fits_viewport, axe_check, browser_login, browser_logout, shot
from tests.dialogs.conftest import local_at

pytestmark = pytest.mark.browser

TOPIC = "Nachbarschaft und Müll"
SHIFT = "Sprachcafé am Dienstag"

KEPT_PAGES = """async () => {
  const cache = await caches.open("lotse-pages");
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""

QUEUED = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("lotse", 1);
  request.onsuccess = () => {
    const read = request.result.transaction("queue").objectStore("queue").getAll();
    read.onsuccess = () => { resolve(read.result); request.result.close(); };
    read.onerror = () => reject(read.error);
  };
  request.onerror = () => reject(request.error);
})"""

# Delivers one queued entry `times` times more, as a flaky connection or a retrying phone would.
DELIVER = """async ([item, times]) => {
  const session = await (await fetch("/offline/token", {headers: {Accept: "application/json"}})).json();
  const statuses = [];
  for (let n = 0; n < times; n++) {
    const body = new URLSearchParams();
    item.entries.forEach(([name, value]) => { if (name !== "csrf_token") body.append(name, value); });
    body.append("csrf_token", session.csrf);
    const response = await fetch(item.url, {method: "POST", body, headers: {Accept: "application/json"}});
    statuses.push(response.status);
  }
  return statuses;
}"""


def fresh(db):
    """End the test's transaction so the next query sees what the served app committed."""
    db.session.rollback()
    return db.session


def wait_until_kept(page: Page, *paths: str) -> None:
    """Wait for the service worker to keep the user's pages for offline reading."""
    deadline = time.monotonic() + 15
    while not set(paths) <= set(page.evaluate(KEPT_PAGES)):
        assert time.monotonic() < deadline, f"not kept: {set(paths) - set(page.evaluate(KEPT_PAGES))}"
        page.wait_for_timeout(200)


def controlled(page: Page) -> None:
    """Wait until the service worker is active and controls the page."""
    page.evaluate("navigator.serviceWorker.ready")
    # Polled from here: wait_for_function polls with eval in the page, which the CSP refuses (no unsafe-eval).
    # A page whose loading began before the worker claimed its clients stays uncontrolled until it is loaded
    # again (the service worker lifecycle): then it is reloaded once, as a person's next page would be.
    deadline, reloaded = time.monotonic() + 10, False
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker does not control the page"
        if not reloaded and time.monotonic() > deadline - 7:
            page.reload()
            reloaded = True
        page.wait_for_timeout(100)


@pytest.fixture
def helper(db, make_user, make_circle, make_shift):
    """A volunteer who also moderates: a shift to go to (the coordinator is the contact), a dialog to lead."""
    circle = make_circle()
    accommodation = circle.accommodations[0]
    accommodation.address = "Hallschlag 12, 70376 Stuttgart"
    coordinator = make_user(name="Clara Koordinatorin", roles=[(Role.COORDINATOR, circle)])
    user = make_user(name="Mira Moderatorin", roles=[Role.VOLUNTEER, Role.MODERATOR])
    db.session.add(CircleMembership(circle=circle, user=user, status=MembershipStatus.ACTIVE))
    shift = make_shift(circle, starts_in=timedelta(days=2), title=SHIFT)
    db.session.add(Signup(shift=shift, user=user, status=SignupStatus.CONFIRMED))

    def dialog(start) -> Dialog:
        item = Dialog(accommodation=accommodation, starts_at=start, ends_at=start + timedelta(hours=2), topic=TOPIC)
        item.moderators.append(DialogModerator(user_id=user.id, role=ModeratorRole.LEAD))
        item.languages = [DialogLanguage(code="ar")]
        db.session.add(item)
        return item

    # Fixed wall-clock times: "three hours ago" would cross local midnight late in the evening.
    coming, held = dialog(local_at(3, 17)), dialog(local_at(-1, 17))
    db.session.commit()
    return {"user": user, "coordinator": coordinator, "shift": shift, "coming": coming, "held": held}


def test_manifest_is_linked_and_valid_and_the_worker_controls_the_page(live_server, page):
    page.goto(f"{live_server}/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Lotse" and manifest["short_name"] == "Lotse"
    assert manifest["lang"] == "de" and manifest["description"].startswith("Lotse koordiniert")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), src in icons.items():
        png = page.request.get(f"{live_server}{src}").body()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == sizes
    assert [s["url"] for s in manifest["shortcuts"]] == ["/shifts/mine", "/shifts"]
    assert [s["name"] for s in manifest["shortcuts"]] == ["Meine Einsätze", "Offene Einsätze"]

    # Where the browser offers installing, the footer shows a button that opens its prompt.
    install = page.locator("#install-app")
    expect(install).to_be_hidden()
    page.evaluate(
        """() => {
          const offer = new Event("beforeinstallprompt", {cancelable: true});
          offer.prompt = () => { window.promptShown = true; };
          offer.userChoice = Promise.resolve({outcome: "dismissed"});
          window.dispatchEvent(offer);
        }"""
    )
    expect(install).to_be_visible()
    axe_check(page)
    install.get_by_role("button").click()
    expect(install).to_be_hidden()
    assert page.evaluate("window.promptShown") is True

    worker = page.request.get(f"{live_server}/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    controlled(page)
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{live_server}/sw.js"
    assert page.evaluate("navigator.serviceWorker.controller.state") == "activated"


def test_own_shifts_and_dialogs_are_readable_offline(live_server, page, helper):
    user, shift, coming = helper["user"], helper["shift"], helper["coming"]
    browser_login(page, live_server, user.email)
    controlled(page)
    wait_until_kept(page, "/", "/shifts/mine", f"/shifts/{shift.id}", "/dialogs", f"/dialogs/{coming.id}")
    page.context.set_offline(True)
    try:
        page.goto(f"{live_server}/shifts/mine")
        expect(page.locator("h1")).to_have_text("Meine Einsätze")
        expect(page.locator("main")).to_contain_text(SHIFT)
        note = page.locator("[data-offline-note]")
        expect(note).to_be_visible()
        expect(note).to_have_text(re.compile(r"\b\d\d:\d\d\b"))  # the time the copy was made
        axe_check(page)
        assert_fits_viewport(page)
        shot(page, "mine-offline")

        page.goto(f"{live_server}/shifts/{shift.id}")
        expect(page.locator("main")).to_contain_text("Hallschlag 12, 70376 Stuttgart")
        expect(page.locator("main")).to_contain_text(helper["coordinator"].email)
        expect(page.locator("[data-offline-note]")).to_be_visible()

        page.goto(f"{live_server}/dialogs/{coming.id}")
        expect(page.locator("h1")).to_have_text(TOPIC)
        expect(page.locator("main")).to_contain_text("Hallschlag 12, 70376 Stuttgart")
        expect(page.locator("[data-offline-note]")).to_be_visible()
        axe_check(page)
        shot(page, "dialog-offline")
    finally:
        page.context.set_offline(False)


def write_log_offline(page: Page, live_server: str, helper: dict, refugees: str) -> None:
    """Log in, let the worker keep the log form, then fill it in and send it without a connection."""
    held = helper["held"]
    browser_login(page, live_server, helper["user"].email)
    controlled(page)
    wait_until_kept(page, f"/dialogs/{held.id}/log")
    page.context.set_offline(True)
    page.goto(f"{live_server}/dialogs/{held.id}/log")
    expect(page.locator("[data-offline-note]")).to_be_visible()
    page.locator("#refugees").fill(refugees)
    page.locator("#volunteers").fill("3")
    page.locator("#staff").fill("1")
    page.locator("#summary").fill("Fragen zur Mülltrennung; ein Aushang wird gemacht.")
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()


def test_a_log_written_offline_waits_and_is_stored_once(live_server, page, db, helper):
    held = helper["held"]
    write_log_offline(page, live_server, helper, "14")

    # The log waits on the phone, and says so.
    expect(page).to_have_url(re.compile(r"/offline\?queued="))
    queue = page.locator("#queue")
    expect(queue).to_be_visible()
    expect(queue.locator("li")).to_have_count(1)
    expect(queue.locator("li strong")).to_contain_text(TOPIC)
    expect(queue.locator("li .queue-state")).to_have_text(queue.get_attribute("data-waiting"))
    axe_check(page)
    assert_fits_viewport(page)
    shot(page, "queued")
    [item] = page.evaluate(QUEUED)
    assert item["state"] == "waiting" and re.fullmatch(r"[0-9a-f]{36}", item["key"])
    assert fresh(db).scalar(select(func.count()).select_from(SessionLog)) == 0

    # Back online it is sent, once; the page says it was saved.
    page.context.set_offline(False)
    expect(page.locator("#messages .alert-success")).to_contain_text("Protokoll gespeichert")
    expect(queue).to_be_hidden()
    assert page.evaluate(QUEUED) == []
    logs = fresh(db).scalars(select(SessionLog)).all()
    assert [(log.dialog_id, log.refugees, log.idempotency_key) for log in logs] == [(held.id, 14, item["key"])]

    # The same submission delivered a hundred times more gets the stored result and is stored once.
    statuses = page.evaluate(DELIVER, [item, 100])
    assert statuses == [200] * 100
    assert fresh(db).scalar(select(func.count()).select_from(SessionLog)) == 1


def test_a_refused_entry_is_shown_not_dropped(live_server, page, db, helper):
    held = helper["held"]
    write_log_offline(page, live_server, helper, "5")
    # Meanwhile the dialog is recorded as called off (it never took place).
    dialog = fresh(db).get(Dialog, held.id)
    dialog.status, dialog.cancel_reason = DialogStatus.CANCELLED, "Unterkunft gesperrt"
    db.session.commit()

    page.context.set_offline(False)
    expect(page.locator("#messages .alert-error")).to_contain_text("Der Dialog wurde abgesagt")
    item = page.locator("#queue li")
    refused = page.locator("#queue").get_attribute("data-refused")
    reason = refused.replace("%(reason)s", "Der Dialog wurde abgesagt: Es gibt nichts zu protokollieren.")
    expect(item.locator(".queue-state")).to_have_text(reason)
    axe_check(page)
    shot(page, "refused")
    assert fresh(db).scalar(select(func.count()).select_from(SessionLog)) == 0
    item.get_by_role("button", name=page.locator("#queue").get_attribute("data-remove")).click()
    expect(page.locator("#queue")).to_be_hidden()


def test_after_logout_nothing_of_the_previous_user_is_readable_offline(live_server, page, helper):
    user, shift = helper["user"], helper["shift"]
    browser_login(page, live_server, user.email)
    controlled(page)
    wait_until_kept(page, "/shifts/mine", f"/shifts/{shift.id}")
    browser_logout(page, live_server)
    assert page.evaluate(KEPT_PAGES) == []
    assert page.evaluate(QUEUED) == []

    page.context.set_offline(True)
    try:
        page.goto(f"{live_server}/shifts/mine")
        expect(page.locator("#offline-title")).to_be_visible()  # the offline page, not a kept copy
        body = page.locator("body")
        expect(body).not_to_contain_text(SHIFT)
        expect(body).not_to_contain_text(user.name)
        axe_check(page)
        assert_fits_viewport(page)
        shot(page, "offline")
    finally:
        page.context.set_offline(False)


def test_an_entry_whose_session_expired_waits_for_the_login(live_server, page, db, helper):
    held = helper["held"]
    write_log_offline(page, live_server, helper, "9")
    page.context.clear_cookies()  # the session ends while the phone is offline
    page.context.set_offline(False)
    queue = page.locator("#queue")
    expect(queue.locator("li .queue-state")).to_have_text(queue.get_attribute("data-login"))
    axe_check(page)
    assert fresh(db).scalar(select(func.count()).select_from(SessionLog)) == 0

    browser_login(page, live_server, helper["user"].email)
    expect(page.locator("#messages .alert-success")).to_contain_text("Protokoll gespeichert")
    assert [log.refugees for log in fresh(db).scalars(select(SessionLog).where(SessionLog.dialog_id == held.id))] == [9]
    assert page.evaluate(QUEUED) == []


def test_attendance_recorded_offline_is_sent_once(
    live_server, page, db, make_user, make_circle, make_member, make_shift
):
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(hours=-3), hours=2, title=SHIFT)
    signup = Signup(shift=shift, user=make_member(circle), status=SignupStatus.CONFIRMED)
    db.session.add(signup)
    db.session.commit()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    browser_login(page, live_server, coordinator.email)
    controlled(page)
    wait_until_kept(page, f"/shifts/{shift.id}")
    page.context.set_offline(True)
    page.goto(f"{live_server}/shifts/{shift.id}")
    expect(page.locator("[data-offline-note]")).to_be_visible()
    page.locator(f"input[name=attendance-{signup.id}][value=attended]").check()
    with page.expect_navigation():
        page.locator(f"#helpers form[action='/shifts/{shift.id}/attendance'] button[type=submit]").click()
    expect(page.locator("#queue li strong")).to_contain_text(SHIFT)
    assert fresh(db).scalar(select(func.count()).select_from(AttendanceSubmission)) == 0

    page.context.set_offline(False)
    expect(page.locator("#messages .alert-success")).to_contain_text("Anwesenheit für 1 Person gespeichert.")
    expect(page.locator("#queue")).to_be_hidden()
    assert fresh(db).scalar(select(func.count()).select_from(AttendanceSubmission)) == 1
    assert fresh(db).get(Signup, signup.id).attendance is Attendance.ATTENDED
