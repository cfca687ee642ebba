"""Administrators see the mail that has not gone out, send it at once or delete it."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.database import utcnow
from app.mail.models import OutboxMail


def _mail(db, recipient="someone@example.org", subject="Einladung zu Lotse", **kw) -> OutboxMail:
    now = utcnow()
    values = {
        "recipient": recipient,
        "message": f"Subject: {subject}\r\nTo: {recipient}\r\n\r\nText\r\n".encode(),
        "queued_at": now - timedelta(hours=1),
        "due_at": now + timedelta(minutes=8),
        "attempts": 4,
        "last_error": "[Errno 111] Connection refused",
    } | kw
    mail = OutboxMail(**values)
    db.session.add(mail)
    db.session.commit()
    return mail


@pytest.fixture
def admin(make_user, login):
    person = make_user(roles=[Role.ADMIN], locale="en")
    login(person)
    return person


def test_the_list_shows_what_failed_with_the_servers_answer_and_what_waits(client, admin, db):
    _mail(db, "retrying@example.org", "Einladung zu Lotse")
    _mail(db, "gone@example.org", "Passwort zurücksetzen", failed_at=utcnow(), attempts=10, last_error="550 No mailbox")
    _mail(db, "confirm@example.org", message=None, writer="shifts.confirmation", payload={"signup_id": 1})
    now = utcnow()
    db.session.add(OutboxMail(recipient="new@example.org", message=b"x", queued_at=now, due_at=now))
    db.session.commit()

    page = html.unescape(client.get("/admin/mail").get_data(as_text=True))
    assert "1 mail is waiting to be sent" in page
    assert "new@example.org" not in page  # not failed yet: counted, not listed
    assert page.index("gone@example.org") < page.index("retrying@example.org")  # given up first
    assert "Passwort zurücksetzen" in page
    assert "550 No mailbox" in page
    assert "given up" in page
    assert "4 attempts, the next" in page
    assert "Confirmation of a shift" in page  # written when sent: named by its writer
    assert 'href="/admin/mail"' in client.get("/").get_data(as_text=True)  # in the administrator's menu


def test_send_now_sends_a_failed_mail_and_removes_it(client, admin, db, mailbox):
    mail = _mail(db, failed_at=utcnow(), attempts=10)
    response = client.post_form(f"/admin/mail/{mail.id}/send", follow_redirects=True)
    assert "The mail to someone@example.org has been sent." in html.unescape(response.get_data(as_text=True))
    [sent] = mailbox.to("someone@example.org")
    assert sent["Subject"] == "Einladung zu Lotse"
    assert db.session.scalars(select(OutboxMail)).all() == []


def test_send_now_says_why_it_failed_and_keeps_the_mail(app, client, admin, db, mailbox):
    mail = _mail(db, failed_at=utcnow(), attempts=10)
    app.config["MAIL_PORT"] = 9  # nothing listens there
    response = client.post_form(f"/admin/mail/{mail.id}/send", follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "The mail to someone@example.org could not be sent:" in page
    db.session.expire_all()
    kept = db.session.get(OutboxMail, mail.id)
    assert (kept.attempts, kept.failed_at) == (1, None)  # taken up again: nine more attempts to come
    assert mailbox.messages == []


def test_delete_removes_the_mail_unsent(client, admin, db, mailbox):
    mail_id = _mail(db).id
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "data-confirm=" in page  # the browser asks before deleting
    response = client.post_form(f"/admin/mail/{mail_id}/delete", follow_redirects=True)
    assert "The mail to someone@example.org has been deleted." in html.unescape(response.get_data(as_text=True))
    assert db.session.scalars(select(OutboxMail)).all() == []
    assert mailbox.messages == []
    assert client.post_form(f"/admin/mail/{mail_id}/delete").status_code == 404


def test_with_nothing_failed_the_page_says_so(client, admin):
    page = html.unescape(client.get("/admin/mail").get_data(as_text=True))
    assert "Every mail went out" in page
    assert "No mail is waiting to be sent." in page
