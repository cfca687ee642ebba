"""Proposals in a real browser at phone size (360x740): an applicant drafts a project, adds budget lines (a new
row arrives through htmx, nothing typed is lost), attaches a PDF and submits; the staff ask for changes; the
applicant changes it and submits again; the staff approve a lower amount than requested. axe-core finds no
violations on these pages, in German and in Turkish, and none of them scrolls sideways.

Set LOTSE_SCREENSHOTS=1 to save full-page screenshots to /tmp/shots/proposals-*.png."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import Role
from app.database import utcnow
from app.proposals.models import Attachment, FundingProgramme, Proposal, ProposalState
from tests.browser.conftest import (
    audit,
    browser_login,
    browser_logout,
    shot,
    switch_language,
    visit,
)
from tests.proposals.conftest import PDF

pytestmark = pytest.mark.browser


def fresh(db):
    db.session.rollback()
    return db.session


def open_panel(page: Page, action: str):
    """Open the review panel (<details>) that holds the form posting to `action`; return that form."""
    form = page.locator(f"form[action$='{action}']")
    page.locator("details.panel", has=form).locator("summary").click()
    expect(form).to_be_visible()
    return form


@pytest.fixture
def round_(app, db, make_user, district, tmp_path):
    today = date.today()
    programme = FundingProgramme(
        name="Empowerment Stadtteil",
        year=today.year,
        budget_cents=5_000_000,
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=40),
        rules="Projekte von Geflüchteten für Geflüchtete.",
    )
    db.session.add(programme)
    db.session.commit()
    applicant = make_user(name="Amal Haddad", email="amal@example.org", roles=[Role.VOLUNTEER])
    staff = make_user(name="Sabine Staff", email="sabine@example.org", roles=[Role.STAFF])
    return {"programme": programme, "applicant": applicant, "staff": staff, "district": district}


def test_applicant_drafts_submits_staff_request_changes_then_approve_less(live_server, page, db, round_, tmp_path):
    programme, applicant, staff = round_["programme"], round_["applicant"], round_["staff"]
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before submitting
    pdf = tmp_path / "Kostenplan.pdf"
    pdf.write_bytes(PDF)

    # 1. The applicant drafts the project.
    browser_login(page, live_server, applicant.email)
    visit(page, f"{live_server}/proposals")
    with page.expect_navigation():
        page.locator(f"a[href='/proposals/new?programme={programme.id}']").click()
    audit(page)
    page.select_option("#district", str(round_["district"].id))
    page.fill("#title", "Nähwerkstatt für Frauen")
    page.fill("#summary", "Wöchentlich nähen wir gemeinsam Kleidung und lernen Deutsch dabei.")
    page.fill("#goals", "Begegnung und eigene Einnahmen.")
    page.fill("#target_group", "Frauen aus der Unterkunft")
    page.fill("#group_name", "Frauengruppe Hallschlag")
    page.fill("#contact", "amal@example.org")
    page.fill("#starts_on", (date.today() + timedelta(days=30)).isoformat())
    page.fill("#ends_on", (date.today() + timedelta(days=120)).isoformat())
    rows = [("Nähmaschinen", "450"), ("Stoffe und Garn", "150"), ("Raummiete", "100")]
    for index, (item, amount) in enumerate(rows):
        page.fill(f"#lines-{index}-item", item)
        page.fill(f"#lines-{index}-amount", amount)
    # A fourth row comes in place through htmx; the three already typed stay.
    page.locator("button[name=add_line]").click()
    expect(page.locator(".budget-line")).to_have_count(4)
    expect(page.locator("#lines-3-item")).to_be_focused()
    expect(page.locator("#lines-2-amount")).to_have_value("100")
    page.fill("#lines-3-item", "Snacks")
    page.fill("#lines-3-amount", "50,50")
    audit(page)
    shot(page, "form")
    with page.expect_navigation():
        page.locator("#proposal-form .actions button[type=submit]").click()
    proposal = fresh(db).scalars(select(Proposal)).one()
    assert proposal.state is ProposalState.DRAFT
    assert proposal.requested_cents == 75_050
    assert [line.item for line in proposal.lines] == ["Nähmaschinen", "Stoffe und Garn", "Raummiete", "Snacks"]
    expect(page).to_have_url(f"{live_server}/proposals/{proposal.id}")
    audit(page)

    # 2. The PDF is attached; then the proposal is submitted.
    page.set_input_files("#file", str(pdf))
    with page.expect_navigation():
        page.locator("form[action$='/attachments'] button[type=submit]").click()
    expect(page.locator("#attachments a", has_text="Kostenplan.pdf")).to_be_visible()
    assert fresh(db).scalars(select(Attachment)).one().content_type == "application/pdf"
    shot(page, "draft")
    with page.expect_navigation():
        page.locator(f"form[action='/proposals/{proposal.id}/submit'] button").click()
    assert fresh(db).get(Proposal, proposal.id).state is ProposalState.SUBMITTED
    audit(page)
    browser_logout(page, live_server)

    # 3. The staff find it in the queue, start the review and ask for changes.
    browser_login(page, live_server, staff.email)
    visit(page, f"{live_server}/review")
    with page.expect_navigation():
        page.locator(f"#results a[href='/proposals/{proposal.id}']").click()
    audit(page)
    with page.expect_navigation():
        page.locator(f"form[action='/proposals/{proposal.id}/review'] button").click()
    form = open_panel(page, "/request-changes")
    audit(page)
    form.locator("textarea").fill("Bitte die Raummiete mit einem Angebot belegen.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert fresh(db).get(Proposal, proposal.id).state is ProposalState.CHANGES_REQUESTED
    shot(page, "review")
    browser_logout(page, live_server)

    # 4. The applicant reads the message, changes the proposal and submits it again.
    browser_login(page, live_server, applicant.email)
    visit(page, f"{live_server}/proposals/{proposal.id}")
    expect(page.locator("#timeline")).to_contain_text("Bitte die Raummiete mit einem Angebot belegen.")
    with page.expect_navigation():
        page.locator(f"a[href='/proposals/{proposal.id}/edit']").first.click()
    audit(page)
    page.fill("#lines-2-item", "Raummiete (Angebot liegt bei)")
    with page.expect_navigation():
        page.locator("#proposal-form .actions button[type=submit]").click()
    with page.expect_navigation():
        page.locator(f"form[action='/proposals/{proposal.id}/submit'] button").click()
    assert fresh(db).get(Proposal, proposal.id).state is ProposalState.RESUBMITTED
    browser_logout(page, live_server)

    # 5. The staff approve less than requested.
    browser_login(page, live_server, staff.email)
    visit(page, f"{live_server}/proposals/{proposal.id}")
    with page.expect_navigation():
        page.locator(f"form[action='/proposals/{proposal.id}/review'] button").click()
    form = open_panel(page, "/approve")
    form.locator("#amount").fill("600")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    approved = fresh(db).get(Proposal, proposal.id)
    assert approved.state is ProposalState.APPROVED
    assert approved.granted_cents == 60_000 < approved.requested_cents
    audit(page)
    shot(page, "approved")


def test_proposal_pages_pass_axe_in_turkish(live_server, page, db, round_, make_proposal_in_review):
    proposal = make_proposal_in_review
    browser_login(page, live_server, round_["applicant"].email)
    switch_language(page, "tr")
    for url in (
        "/proposals",
        f"/proposals/new?programme={round_['programme'].id}",
        f"/proposals/{proposal.id}",
        f"/programmes/{round_['programme'].id}",
    ):
        visit(page, f"{live_server}{url}", "tr")
    browser_logout(page, live_server)
    browser_login(page, live_server, round_["staff"].email)
    switch_language(page, "tr")
    for url in (
        "/review",
        f"/proposals/{proposal.id}",
        "/programmes",
        f"/programmes/{round_['programme'].id}",
        "/programmes/new",
    ):
        visit(page, f"{live_server}{url}", "tr")
    page.goto(f"{live_server}/proposals/{proposal.id}")
    open_panel(page, "/approve")
    audit(page)
    shot(page, "review-tr")


@pytest.fixture
def make_proposal_in_review(db, round_):
    from app.proposals.models import BudgetLine, EventKind, ProposalEvent

    proposal = Proposal(
        programme=round_["programme"],
        district=round_["district"],
        applicant=round_["applicant"],
        state=ProposalState.IN_REVIEW,
        submitted_at=utcnow(),
        title="Fahrradkurs",
        summary="Radfahren lernen.",
        goals="Mobilität",
        target_group="Erwachsene",
        group_name="Radgruppe",
        contact="amal@example.org",
        starts_on=date.today() + timedelta(days=10),
        ends_on=date.today() + timedelta(days=50),
        requested_cents=30_000,
        lines=[BudgetLine(position=1, item="Räder", amount_cents=30_000)],
        events=[
            ProposalEvent(kind=EventKind.TRANSITION, from_state=ProposalState.DRAFT, to_state=ProposalState.SUBMITTED)
        ],
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal
