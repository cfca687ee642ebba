"""Download my data, delete my account (and on request), the audit log, retention."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from app.auth.models import Invitation, LanguageLevel, Role, User
from app.config import LANGUAGES
from app.database import utcnow
from app.dialogs.models import ModeratorRole
from app.places.models import MembershipStatus
from app.privacy.models import AppendOnly, AuditEntry
from app.proposals.models import Attachment, EventKind, ProposalState
from app.shifts.models import Attendance, Signup, SignupStatus
from tests.privacy.conftest import EMAIL, NAME

KINDS = (
    "roles",
    "languages",
    "circle_memberships",
    "vetting_records",
    "shift_signups",
    "interpreter_assignments",
    "dialog_moderations",
    "session_logs_written",
    "proposals",
    "access_tokens",
)


def _audit(db, action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_export_holds_every_kind_of_record(client, login, db, person):
    login(person["user"])
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["profile"]["name"] == NAME and data["profile"]["email"] == EMAIL
    for kind in KINDS:
        assert data[kind], f"the export has no {kind}"
    assert {s["shift"] for s in data["shift_signups"]} == {"Sprachcafé", "Hausaufgaben"}
    assert data["shift_signups"][0]["hours"] == "2.00"
    assert data["session_logs_written"][0]["refugees"] == 12
    assert data["calendar_feed"] is not None
    assert len(data["proposals"]) == 3
    # The file keeps the codes and ISO times, for a machine to read.
    assert [r["role"] for r in data["roles"]] == ["volunteer", "interpreter", "moderator"]
    assert data["languages"][0] == {"code": "ar", "level": "native"}
    assert data["profile"]["privacy_consent_at"] == "2026-07-01T10:30:00+00:00"
    entries = _audit(db, "data.export")
    assert len(entries) == 1 and entries[0].actor_id == person["user"].id
    # The readable page shows the same.
    page = client.get("/account/data").get_data(as_text=True)
    assert NAME in page and "Sprachcafé" in page and "Projekt submitted" in page


# What the page must not show as a value: a code of the models, a language code, a seat, an ISO date or cents.
ENUMS = (Role, LanguageLevel, MembershipStatus, SignupStatus, Attendance, ModeratorRole, ProposalState, EventKind)
CODES = {code.value for codes in ENUMS for code in codes} | {*LANGUAGES, "ar", "fa", "interpreter", "shadow", "10000"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _values(page: str) -> list[str]:
    """The text of every value on the "My data" page; a list value (budget, timeline) gives one per line."""
    values = []
    for cell in re.findall(r"<dd[^>]*>(.*?)</dd>", page, re.S):
        lines = re.findall(r"<li[^>]*>(.*?)</li>", cell, re.S) or [cell]
        values += [html.unescape(re.sub(r"<[^>]+>", "", line)).strip() for line in lines]
    return values


def test_my_data_page_reads_in_german_words_and_berlin_time(client, login, person):
    login(person["user"])
    page = client.get("/account/data").get_data(as_text=True)
    assert '<h2 id="d-calendar_feed">Kalender-Abo</h2>' in page
    values = _values(page)
    for label in (
        "Ehrenamtliche*r",  # role volunteer
        "Dialogmoderator*in",  # role moderator
        "Dolmetscher*in",  # role interpreter, and interpreting as one
        "Deutsch",  # interface language
        "Arabisch",
        "Persisch",
        "Muttersprache",  # level native
        "Mitglied",  # circle membership active
        "Eingetragen",  # sign-up confirmed
        "War da",  # attended
        "Moderator*in",  # leading a dialog
        "Eingereicht",  # proposal submitted
        "Bewilligt",  # proposal approved
        "100,00\xa0€",  # amounts in euros, not cents
        "2",  # hours
        "01.07.26, 12:30",  # consent, in Berlin summer time
        (date.today() - timedelta(days=10)).strftime("%d.%m.%Y"),  # certificate seen on
    ):
        assert label in values, f"{label!r} is not a value on the page"
    assert "2.00" not in values, "hours are a number in German, not the file's decimal"
    assert "Material · 100,00\xa0€" in values
    timeline = [value for value in values if "·" in value and "Material" not in value]
    assert any(line.endswith("· Entwurf → Eingereicht") for line in timeline), timeline
    message = "· Nachricht an den*die Antragsteller*in · Bitte die Belege nachreichen."
    assert any(line.endswith(message) for line in timeline), timeline
    assert not any("Nur für das Amt." in value for value in values), "an internal note reached the applicant"


def _section(page: str, key: str) -> str:
    return re.search(rf'<section class="card" aria-labelledby="d-{key}">(.*?)</section>', page, re.S).group(1)


def test_my_data_names_a_roles_circle_only_where_it_has_one(client, login, db, person, make_user, make_circle):
    login(person["user"])
    roles = _section(client.get("/account/data").get_data(as_text=True), "roles")
    assert roles.count("<li>") == 3  # volunteer, interpreter, moderator: all city-wide
    assert "<dt>Freundeskreis</dt>" not in roles and "<dd>–</dd>" not in roles
    assert roles.count("<dt>Seit</dt>") == 3

    circle = make_circle(name="Freundeskreis Nordbahnhof")
    coordinator = make_user(email="nora@example.org", roles=[(Role.COORDINATOR, circle), Role.VOLUNTEER])
    assert client.post_form("/logout").status_code == 303
    login(coordinator)
    roles = _section(client.get("/account/data").get_data(as_text=True), "roles")
    assert roles.count("<li>") == 2
    assert roles.count("<dt>Freundeskreis</dt>") == 1
    assert '<dd dir="auto">Freundeskreis Nordbahnhof</dd>' in roles


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_data_page_shows_no_codes_in_any_language(client, login, db, person, language):
    person["user"].locale = language
    db.session.commit()
    login(person["user"])
    page = client.get("/account/data").get_data(as_text=True)
    assert f'lang="{language}"' in page
    values = _values(page)
    assert NAME in values and "Sprachcafé" in values
    assert sorted(set(values) & CODES) == []
    assert [value for value in values if ISO_DATE.search(value)] == []
    assert not any("transition" in value for value in values)


def _dump(db) -> str:
    """Every row of every table as text: where personal data would show if anything kept it."""
    parts = []
    with db.engine.connect() as conn:
        for table in inspect(db.engine).get_table_names():
            query = text(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in conn.execute(query):
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)


def _totals(db) -> tuple:
    hours = db.session.scalar(select(func.sum(Signup.hours)))
    attended = db.session.scalar(select(func.count()).select_from(Signup).where(Signup.hours.is_not(None)))
    from app.dialogs.models import SessionLog

    refugees = db.session.scalar(select(func.sum(SessionLog.refugees)))
    return hours, attended, refugees


def test_deleting_my_account_keeps_totals_and_no_personal_data(client, login, db, person, mailbox):
    user = person["user"]
    before = _totals(db)
    login(user)
    refused = client.post_form("/account/delete", {"password": "wrong password!", "understood": "y"})
    assert refused.status_code == 422
    unconfirmed = client.post_form("/account/delete", {"password": "correct horse battery"})
    assert unconfirmed.status_code == 422
    response = client.post_form("/account/delete", {"password": "correct horse battery", "understood": "y"})
    assert response.status_code == 303
    db.session.expire_all()

    assert _totals(db) == before
    dump = _dump(db)
    assert NAME not in dump and EMAIL not in dump  # also not in the draft's attachment
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert "Yasmin" not in dump and "quellenberg" not in dump.lower()
    deleted = db.session.get(User, user.id)
    assert deleted.deleted_at is not None and not deleted.is_enabled and deleted.role_grants == []
    # The coming shift was handed back and the person waiting moved up and was told.
    waiting = db.session.scalars(select(Signup).where(Signup.user_id == person["waiting"].id)).one()
    assert waiting.status is SignupStatus.CONFIRMED
    assert mailbox.to(person["waiting"].email)
    assert mailbox.to(person["coordinator"].email), "the coordinator is told a helper left"
    # The interpreting seat is open again and the moderator told.
    from app.dialogs.models import DialogLanguage

    seat = db.session.scalars(
        select(DialogLanguage).where(DialogLanguage.dialog_id == person["coming_dialog"].id)
    ).one()
    assert seat.interpreter_id is None
    assert mailbox.to(person["other_moderator"].email)
    # Every session ended: the old cookie no longer works.
    assert client.get("/account").status_code == 302
    entries = _audit(db, "account.delete")
    assert len(entries) == 1 and entries[0].subject_id == user.id and entries[0].detail == "self"


def test_staff_delete_on_request_with_a_recorded_reason(client, login, db, person, make_user):
    staff = make_user(roles=[Role.STAFF])
    login(staff)
    found = client.get(f"/people/delete?email={EMAIL}")
    assert found.status_code == 200 and NAME in found.get_data(as_text=True)
    assert client.get("/people/delete?email=nobody@example.org").status_code == 404
    assert client.get("/people/delete?email=not-an-address").status_code == 422
    no_reason = client.post_form(f"/people/{person['user'].id}/delete", {"reason": ""})
    assert no_reason.status_code == 422
    done = client.post_form(f"/people/{person['user'].id}/delete", {"reason": "Per Mail am 1.12. gebeten"})
    assert done.status_code == 303
    entry = _audit(db, "account.delete")[0]
    assert entry.actor_id == staff.id and "Per Mail" in entry.detail
    assert NAME not in _dump(db)


def test_staff_cannot_delete_an_administrator_or_themselves(client, login, db, make_user):
    staff = make_user(roles=[Role.STAFF])
    admin = make_user(roles=[Role.ADMIN])
    login(staff)
    assert client.post_form(f"/people/{admin.id}/delete", {"reason": "x"}).status_code == 403
    assert client.post_form(f"/people/{staff.id}/delete", {"reason": "x"}).status_code == 403


def test_privileged_actions_are_audited_with_who_when_and_where(client, login, db, make_user, make_circle):
    admin = make_user(roles=[Role.ADMIN])
    volunteer = make_user()
    circle = make_circle()
    login(admin)
    client.post_form(f"/admin/users/{volunteer.id}/roles", {"role": "moderator", "circle": ""})
    grant = next(g for g in db.session.get(User, volunteer.id).role_grants if g.role is Role.MODERATOR)
    client.post_form(f"/admin/users/{volunteer.id}/roles/{grant.id}/revoke")
    client.post_form(f"/circles/{circle.id}/coordinators", {"email": volunteer.email})
    client.post_form(
        f"/circles/{circle.id}/members/{volunteer.id}/vetting", {"seen_on": "2026-11-01", "valid_until": "2029-11-01"}
    )
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["role.grant", "role.revoke", "role.grant", "vetting.record"]
    entry = db.session.scalars(select(AuditEntry)).first()
    assert entry.actor_id == admin.id and entry.subject_id == volunteer.id and entry.ip == "127.0.0.1"
    assert entry.request_id
    page = client.get("/audit").get_data(as_text=True)
    assert page.count("<tr>") == 5  # a head row and four entries
    only_vetting = client.get("/audit?action=vetting.record").get_data(as_text=True)
    assert only_vetting.count("<tr>") == 2
    assert client.get("/audit?action=nonsense").status_code == 422


def test_grant_decisions_are_audited(client, login, db, make_user, district):
    from datetime import date

    from app.proposals.models import BudgetLine, FundingProgramme, Proposal, ProposalState

    staff = make_user(roles=[Role.STAFF])
    programme = FundingProgramme(
        name="P", year=2026, budget_cents=100_000, opens_on=date.today(), closes_on=date.today()
    )
    proposal = Proposal(
        programme=programme,
        district=district,
        state=ProposalState.IN_REVIEW,
        submitted_at=utcnow(),
        title="T",
        requested_cents=5000,
        lines=[BudgetLine(position=1, item="x", amount_cents=5000)],
    )
    db.session.add(proposal)
    db.session.commit()
    login(staff)
    client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "50"})
    client.post_form(f"/proposals/{proposal.id}/grant", {"amount": "40", "text": "Weniger"})
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["proposal.approve", "proposal.grant_change"]


def test_the_audit_log_is_append_only(db, make_user):
    import pytest

    from app.privacy.audit import record

    entry = record(make_user(), "data.export", "user", 1)
    db.session.commit()
    entry.detail = "changed"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()


def test_purge_applies_retention_and_is_safe_to_run_twice(app, db, make_user, person, mailbox):
    from app.privacy.services import purge

    now = utcnow()
    old = now - timedelta(days=40)
    unused = make_user(name="Never Used", email="unused@example.org", created_at=old)
    recent = make_user(name="Just Registered", email="new@example.org")
    sleeper = make_user(
        name="Long Gone",
        email="gone@example.org",
        roles=[Role.MODERATOR],
        created_at=now - timedelta(days=900),
        last_login_at=now - timedelta(days=800),
    )
    db.session.add_all(
        [
            Invitation(email="x@example.org", token_hash="a" * 64, role=Role.VOLUNTEER, expires_at=old),
            Invitation(
                email="y@example.org", token_hash="b" * 64, role=Role.VOLUNTEER, expires_at=now + timedelta(days=3)
            ),
        ]
    )
    db.session.commit()
    unused_id, sleeper_id = unused.id, sleeper.id

    with app.test_request_context():
        first = purge(now)
        db.session.commit()
    assert (first.registrations, first.invitations, first.notified, first.deleted) == (1, 1, 1, 0)
    assert db.session.get(User, unused_id) is None
    assert db.session.get(User, recent.id) is not None
    assert db.session.get(User, person["user"].id).deleted_at is None  # active people are untouched
    assert len(mailbox.to("gone@example.org")) == 1

    with app.test_request_context():
        again = purge(now)
        db.session.commit()
    assert (again.registrations, again.invitations, again.notified, again.deleted) == (0, 0, 0, 0)
    assert len(mailbox.to("gone@example.org")) == 1

    later = now + timedelta(days=31)
    with app.test_request_context():
        after_notice = purge(later)
        db.session.commit()
        assert purge(later).deleted == 0
        db.session.commit()
    assert after_notice.deleted == 1
    db.session.expire_all()
    gone = db.session.get(User, sleeper_id)
    assert gone.deleted_at is not None and "Long Gone" not in _dump(db)


def test_signing_in_after_the_notice_keeps_the_account(app, client, login, db, make_user):
    from app.privacy.services import purge

    now = utcnow()
    sleeper = make_user(
        roles=[Role.MODERATOR], created_at=now - timedelta(days=900), last_login_at=now - timedelta(days=800)
    )
    with app.test_request_context():
        purge(now)
        db.session.commit()
    login(sleeper)
    with app.test_request_context():
        assert purge(now + timedelta(days=31)).deleted == 0
        db.session.commit()
    assert db.session.get(User, sleeper.id).deleted_at is None


def test_the_privacy_page_is_public_in_every_language(client):
    for code in ("de", "en", "ar", "fa", "uk", "tr"):
        response = client.get("/privacy", headers={"Accept-Language": code})
        assert response.status_code == 200
        assert f'lang="{code}"' in response.get_data(as_text=True)


def test_purge_command_tells_inactive_people_by_mail(app, db, make_user, mailbox):
    """`flask purge` runs on a schedule, outside any request: its notices still go out, with working links."""
    now = utcnow()
    make_user(
        name="Long Gone",
        email="gone@example.org",
        roles=[Role.MODERATOR],
        created_at=now - timedelta(days=900),
        last_login_at=now - timedelta(days=800),
    )
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 inactive accounts told" in result.output
    [notice] = mailbox.to("gone@example.org")
    assert mailbox.link(notice).startswith(app.config["BASE_URL"])
