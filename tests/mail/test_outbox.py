"""The outbox: mail is kept with the change that caused it, sent after the commit, tried again when sending fails,
and sent by the mailer process where MAIL_WORKER is set."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import tomllib
from datetime import timedelta
from types import SimpleNamespace

import icalendar
import pytest
from sqlalchemy import func, select, update

from app.config import BASE_DIR
from app.database import utcnow
from app.mail import LEASE, MAX_ATTEMPTS, Delivered, mail_writer, queue_mail, queue_written_mail, send_due
from app.mail.models import OutboxMail
from app.privacy.services import purge
from app.shifts.models import Signup, SignupStatus
from tests.conftest import GREYLISTING_DOMAIN, REFUSED_DOMAIN


def _queue(to: str, subject: str, link: str = "https://lotse.example/login") -> None:
    """A mail of the kind any request queues, written at once."""
    queue_mail(to, subject, "privacy/mail/inactivity_notice.txt", user=SimpleNamespace(name="Sam"), days=30, link=link)


def _outbox(db) -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _make_due(db) -> None:
    db.session.execute(update(OutboxMail).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _send_mail(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["send-mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def worker_mode(app):
    app.config["MAIL_WORKER"] = True


@pytest.fixture
def mail_server_down(app):
    """A port nobody listens on: connecting fails as with a mail server that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    working = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = port
    yield
    app.config["MAIL_PORT"] = working


def _signed_up(client, login, make_circle, make_member, make_shift, **member):
    circle = make_circle()
    shift = make_shift(circle, capacity=3)
    volunteer = make_member(circle, locale="en", **member)
    login(volunteer)
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303
    return shift, volunteer


def test_a_request_sends_its_own_mail_and_empties_the_outbox(
    client, login, make_circle, make_member, make_shift, mailbox, db
):
    shift, volunteer = _signed_up(client, login, make_circle, make_member, make_shift)
    [message] = mailbox.to(volunteer.email)
    assert message["Subject"] == f"You are signed up: {shift.title}"
    assert _outbox(db) == []


def test_with_a_mailer_the_request_only_queues_and_the_mailer_writes_and_sends(
    app, client, login, make_circle, make_member, make_shift, mailbox, db, worker_mode
):
    shift, volunteer = _signed_up(client, login, make_circle, make_member, make_shift)
    assert mailbox.to(volunteer.email) == []
    [queued] = _outbox(db)
    assert (queued.recipient, queued.writer, queued.message) == (volunteer.email, "shifts.confirmation", None)
    assert queued.due_at <= utcnow()

    assert _send_mail(app).startswith("1 mails sent, 0 not sent")
    [message] = mailbox.to(volunteer.email)
    assert message["Subject"] == f"You are signed up: {shift.title}"
    assert f"/shifts/{shift.id}" in mailbox.body(message)
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == shift.starts_at
    assert _outbox(db) == []


def test_a_confirmation_for_a_place_given_up_before_the_mailer_came_is_not_sent(
    app, client, login, make_circle, make_member, make_shift, mailbox, db, worker_mode
):
    shift, volunteer = _signed_up(client, login, make_circle, make_member, make_shift)
    assert client.post_form(f"/shifts/{shift.id}/withdraw").status_code == 303
    assert client.post_form(f"/shifts/{shift.id}/signup").status_code == 303  # the place taken again
    assert len(_outbox(db)) == 2

    assert _send_mail(app).startswith("1 mails sent, 0 not sent (to be tried again or given up), 1 no longer needed")
    assert len(mailbox.to(volunteer.email)) == 1  # one confirmation: the first sign-up's was given up
    assert _outbox(db) == []


def test_a_mail_of_a_transaction_rolled_back_is_never_queued_nor_sent(app, db, mailbox):
    with app.test_request_context():
        _queue("someone@example.org", "Hallo")
        db.session.rollback()
        db.session.commit()
    assert _outbox(db) == []
    assert mailbox.messages == []


def test_when_the_mail_server_is_down_the_change_stays_and_the_mail_waits(
    app, client, login, make_circle, make_member, make_shift, mailbox, db, mail_server_down
):
    _shift, volunteer = _signed_up(client, login, make_circle, make_member, make_shift)
    signup = db.session.scalar(select(Signup).where(Signup.user_id == volunteer.id))
    assert signup.status is SignupStatus.CONFIRMED  # the sign-up stands
    [waiting] = _outbox(db)
    assert waiting.attempts == 1
    assert waiting.last_error
    assert waiting.failed_at is None
    assert timedelta(seconds=30) < waiting.due_at - utcnow() <= timedelta(minutes=1)

    # Not yet due: the mailer leaves it.
    assert _send_mail(app).startswith("0 mails sent, 0 not sent")


def test_a_mail_that_failed_goes_out_once_due_and_the_server_is_back(
    app, client, login, make_circle, make_member, make_shift, mailbox, db
):
    working = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 9  # discard: nothing listens there
    shift, volunteer = _signed_up(client, login, make_circle, make_member, make_shift)
    assert mailbox.to(volunteer.email) == []
    app.config["MAIL_PORT"] = working
    _make_due(db)
    assert _send_mail(app).startswith("1 mails sent")
    [message] = mailbox.to(volunteer.email)
    assert message["Subject"] == f"You are signed up: {shift.title}"
    assert _outbox(db) == []


def test_the_waits_between_attempts_grow_and_the_last_attempt_gives_up(app, db, mail_server_down, mailbox):
    with app.test_request_context():
        _queue("someone@example.org", "Hallo", link="x")
        db.session.commit()
    waits = []
    for _ in range(MAX_ATTEMPTS - 2):  # the request's own attempt was the first
        _make_due(db)
        before = utcnow()
        assert send_due() == (0, 1, 0)
        [mail] = _outbox(db)
        waits.append(mail.due_at - before)
        assert mail.failed_at is None
    assert [round(wait.total_seconds() / 60) for wait in waits[:4]] == [2, 4, 8, 16]
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert max(waits) <= timedelta(hours=4, seconds=5)
    _make_due(db)
    assert send_due() == (0, 1, 0)
    [given_up] = _outbox(db)
    assert given_up.attempts == MAX_ATTEMPTS
    assert given_up.failed_at is not None
    assert send_due() == (0, 0, 0)  # given up: not taken again

    # The purge removes it a week later, not before.
    with app.test_request_context():
        assert purge(utcnow()).mails == 0
        assert purge(utcnow() + timedelta(days=8)).mails == 1
        db.session.commit()
    assert _outbox(db) == []


def test_an_address_the_server_refuses_is_given_up_at_once(app, db, mailbox):
    with app.test_request_context():
        _queue(f"nobody@{REFUSED_DOMAIN}", "Hallo", link="x")
        _queue("somebody@example.org", "Hallo", link="x")
        db.session.commit()
    [refused] = _outbox(db)
    assert refused.recipient == f"nobody@{REFUSED_DOMAIN}"
    assert (refused.attempts, refused.failed_at is not None) == (1, True)
    assert refused.last_error == "550 5.1.1 No such mailbox"
    assert len(mailbox.to("somebody@example.org")) == 1  # the other mail of the request went out


def test_production_without_a_mail_server_prints_nothing_and_keeps_the_mail(app, db, mailbox, capsys):
    app.config.update(ENV_NAME="production", MAIL_SERVER=None)
    with app.test_request_context():
        _queue("someone@example.org", "Reset", link="secret")
        db.session.commit()
    assert "secret" not in capsys.readouterr().out
    [kept] = _outbox(db)
    assert kept.last_error == "no MAIL_SERVER configured"


def test_a_request_holds_its_mail_so_a_mailer_running_meanwhile_leaves_it(app, db, mailbox):
    """Between the commit and the request's own sending, the mail is in the outbox but not due."""
    from flask import g

    from app.mail import _write_outbox

    with app.test_request_context():
        _queue("someone@example.org", "Hallo")
        _write_outbox(db.session())  # as the commit does first
        g.pop("mail_to_send")  # the moment between the commit and the request's own sending
        db.session.commit()
        [held] = _outbox(db)
        assert utcnow() + LEASE - timedelta(minutes=1) < held.due_at
        assert send_due() == (0, 0, 0)
    assert mailbox.messages == []


def test_the_deployed_mailer_sends_as_mail_comes_and_stops_when_told(app, db, database_url, smtp_server, mailbox):
    """fly.toml's mailer process, with the settings of a deployment, sends a mail queued while it runs and ends
    cleanly on SIGTERM."""
    fly = tomllib.loads((BASE_DIR / "fly.toml").read_text())
    assert fly["env"]["MAIL_WORKER"] == "1"
    command = fly["processes"]["mailer"].split()
    assert command[:2] == ["flask", "send-mail"]
    controller, _ = smtp_server
    env = {
        **os.environ,
        "LOTSE_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": database_url,
        "FLASK_APP": "wsgi.py",
        "MAIL_WORKER": "1",
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": str(controller.port),
        "MAIL_USE_TLS": "0",
    }
    mailer = subprocess.Popen(
        [sys.executable, "-m", "flask", *command[1:], "--interval", "0.2"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(1)
        app.config["MAIL_WORKER"] = True
        with app.test_request_context():
            _queue("someone@example.org", "Hallo", link="x")
            db.session.commit()
        for _ in range(100):
            if mailbox.to("someone@example.org"):
                break
            time.sleep(0.1)
        assert len(mailbox.to("someone@example.org")) == 1
        mailer.send_signal(signal.SIGTERM)
        output = mailer.communicate(timeout=20)[0].decode()
    finally:
        if mailer.poll() is None:
            mailer.kill()
    assert mailer.returncode == 0, output
    assert "1 mails sent, 0 not sent" in output
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_an_address_the_server_asks_to_try_later_is_tried_again(app, db, mailbox):
    with app.test_request_context():
        _queue(f"someone@{GREYLISTING_DOMAIN}", "Hallo")
        db.session.commit()
    [waiting] = _outbox(db)
    assert (waiting.attempts, waiting.failed_at) == (1, None)
    assert waiting.last_error.startswith("450 4.2.0")


def _three_for_the_mailer(app, db) -> None:
    app.config["MAIL_WORKER"] = True
    with app.test_request_context():
        for n in range(3):
            _queue(f"person{n}@example.org", f"Hallo {n}")
        db.session.commit()


def test_each_mail_is_settled_as_it_goes_and_a_stopped_mailer_leaves_the_rest_taken(app, db, mailbox):
    _three_for_the_mailer(app, db)
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 1  # told to stop once the first mail is out

    assert send_due(stop=stop) == Delivered(sent=1)
    assert [m["To"] for m in mailbox.messages] == ["person0@example.org"]
    left = _outbox(db)
    assert [mail.recipient for mail in left] == ["person1@example.org", "person2@example.org"]
    # Taken, not tried: a later run sends them once the lease is over, none of them twice.
    assert all(mail.attempts == 0 and mail.due_at > utcnow() + LEASE - timedelta(minutes=1) for mail in left)


def test_when_the_server_cannot_be_reached_the_rest_of_the_batch_is_not_tried(app, db, mail_server_down, mailbox):
    _three_for_the_mailer(app, db)
    assert send_due() == Delivered(failed=1)
    first, *rest = _outbox(db)
    assert (first.attempts, first.due_at < utcnow() + timedelta(minutes=2)) == (1, True)
    assert all(mail.attempts == 0 for mail in rest)


@mail_writer("tests.broken", "A mail whose writer fails")
def _broken_writer(session, **_payload):
    session.execute(select(func.count()).select_from(OutboxMail).where(OutboxMail.id / 0 > 1))  # fails in SQL
    raise AssertionError("not reached on PostgreSQL")


def test_a_writer_that_fails_keeps_its_mail_and_the_others_go_out(app, db, mailbox):
    app.config["MAIL_WORKER"] = True
    with app.test_request_context():
        queue_written_mail("broken@example.org", "tests.broken")
        _queue("fine@example.org", "Hallo")
        db.session.commit()
        assert send_due() == Delivered(sent=1, failed=1)
    [kept] = _outbox(db)
    assert (kept.recipient, kept.attempts) == ("broken@example.org", 1)
    assert len(mailbox.to("fine@example.org")) == 1


def test_mail_queued_in_a_savepoint_goes_out_once_with_the_transaction(app, db, mailbox):
    with app.test_request_context():
        _queue("outer@example.org", "Hallo")
        with db.session.begin_nested():
            _queue("inner@example.org", "Hallo")
        assert mailbox.messages == []  # a savepoint's release is not the commit
        savepoint = db.session.begin_nested()
        _queue("undone@example.org", "Hallo")
        savepoint.rollback()
        db.session.commit()
    # Sent at the commit, once each; what was queued in the savepoint that was rolled back is not.
    assert sorted(m["To"] for m in mailbox.messages) == ["inner@example.org", "outer@example.org"]
    assert _outbox(db) == []


def test_mail_still_waiting_for_a_deleted_account_is_deleted_with_it(app, db, make_user, mailbox):
    from app.privacy.services import delete_account

    app.config["MAIL_WORKER"] = True
    person = make_user(email="leaving@example.org")
    with app.test_request_context():
        _queue("leaving@example.org", "Hallo")
        _queue("staying@example.org", "Hallo")
        db.session.commit()
        delete_account(person, by=person)
        db.session.commit()
    assert [mail.recipient for mail in _outbox(db)] == ["staying@example.org"]
