"""The privacy pages in a real browser at phone size: axe-core finds nothing, in German and in Arabic (right to
left), nothing scrolls sideways, and deleting one's account through the form signs the person out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth.models import Role, User
from app.privacy.audit import record
from tests.browser.conftest import (
    browser_login,
    switch_language,
    visit,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_privacy_pages_pass_axe(live_server, page, db, make_user, lang):
    staff = make_user(name="Sabine Staff", email="sabine@example.org", roles=[Role.STAFF])
    record(staff, "role.grant", "role_grant", 1, staff.id, "role=moderator")
    db.session.commit()
    browser_login(page, live_server, staff.email)
    if lang != "de":
        switch_language(page, lang)
    for path in ("/privacy", "/account/data", "/account/delete", "/audit", "/people/delete?email=sabine@example.org"):
        visit(page, f"{live_server}{path}", lang)


def test_deleting_my_account_in_the_browser_signs_me_out(live_server, page, db, make_user):
    person = make_user(name="Paula Probe", email="paula@example.org")
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, live_server, person.email)
    visit(page, f"{live_server}/account/delete", "de")
    page.fill("#password", PASSWORD)
    page.check("#understood")
    with page.expect_navigation():
        page.locator("main form button[type=submit].btn-danger").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("header a[href='/login']")).to_be_visible()
    db.session.rollback()
    assert db.session.get(User, person.id).deleted_at is not None
