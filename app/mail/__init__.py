"""Outgoing mail, through an outbox.

A mail is written to the outbox in the transaction that causes it, so that a change is never kept without its mail
nor a mail sent for a change that was rolled back. After the commit the request sends its own mail and removes it
from the outbox; where MAIL_WORKER is set, the requests leave it to a mailer process (`flask send-mail --watch`),
and no request waits for the mail server. What fails to go out stays in the outbox and is tried again later.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email import encoders
from email.charset import QP, Charset
from email.errors import MessageError
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, make_msgid, parseaddr
from io import BytesIO
from typing import NamedTuple

from flask import current_app, g, has_app_context, render_template
from flask_babel import force_locale
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from app.database import utcnow
from app.extensions import db
from app.mail.models import OutboxMail

log = logging.getLogger(__name__)
# The longest line written as it is (RFC 5322 asks for at most 78 characters).
SHORT_LINE = 78
# How long a mail taken from the outbox for sending is left alone by other senders.
LEASE = timedelta(minutes=10)
# Waits between attempts double from a minute up to this; after MAX_ATTEMPTS the mail is given up.
LONGEST_WAIT = timedelta(hours=4)
MAX_ATTEMPTS = 10
BATCH = 50


class Outgoing(NamedTuple):
    """A mail of the outbox on its way: the mail itself, or the writer and payload to write it from."""

    id: int
    recipient: str
    message: bytes | None
    writer: str | None
    payload: dict | None
    attempts: int

    @classmethod
    def of(cls, row: OutboxMail) -> Outgoing:
        return cls(row.id, row.recipient, row.message, row.writer, row.payload, row.attempts)


class Delivered(NamedTuple):
    """What became of the mails taken from the outbox: sent, failed (tried again later or given up), and dropped
    by their writer as no longer needed."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0

    def __add__(self, other: Delivered) -> Delivered:
        return Delivered(self.sent + other.sent, self.failed + other.failed, self.dropped + other.dropped)

    @property
    def taken(self) -> int:
        return self.sent + self.failed + self.dropped


class MailNotConfigured(Exception):
    """Production without a mail server: nothing can go out, and nothing may be printed instead."""


_WRITERS: dict[str, Callable[..., Message | None]] = {}
_WRITER_LABELS: dict[str, str] = {}


def mail_writer(name: str, label):
    """Register a function that writes a queued mail when it goes out: `writer(session, **payload)` returns the
    message, or None when the mail has become pointless (the sign-up it confirms was given up meanwhile). `label`
    (lazily translated) says what such mails are, where one is listed before it is written."""

    def register(function):
        _WRITERS[name] = function
        _WRITER_LABELS[name] = label
        return function

    return register


def writer_label(name: str) -> str:
    return str(_WRITER_LABELS.get(name, name))


def write_mail(to: str, subject: str, template: str, locale: str | None = None, attachments=(), **context) -> Message:
    """Render a mail in the recipient's language. `attachments` holds (filename, bytes, mimetype) triples."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(template, **context)
        subject_text = str(subject)
    return compose(current_app.config["MAIL_FROM"], to, subject_text, body, attachments)


def queue_mail(to: str, subject: str, template: str, locale: str | None = None, attachments=(), **context) -> None:
    """Render a mail in the recipient's language and put it in the outbox with the transaction's changes."""
    message = write_mail(to, subject, template, locale, attachments, **context)
    _queue((to, wire_bytes(message), None, None))


def queue_written_mail(to: str, writer: str, **payload) -> None:
    """Put a mail in the outbox that the registered `writer` writes from the payload (JSON) when it goes out."""
    if writer not in _WRITERS:
        raise KeyError(f"no mail writer {writer!r}")
    _queue((to, None, writer, payload))


def _queue(mail: tuple) -> None:
    session = db.session()
    if not session.in_transaction():
        session.begin()  # no SQL yet; a rollback then drops the mail with the transaction
    g.setdefault("mail_queued", []).append(mail)


def compose(sender: str, to: str, subject: str, body: str, attachments=()) -> Message:
    """A plain-text mail (UTF-8), multipart when it has attachments.

    Written with the email package's MIME classes, which make and serialise a message in a tenth of the time its
    EmailMessage API takes (a confirmation with a calendar file took 1.7 ms); headers are encoded as RFC 2047
    asks. An address outside ASCII needs SMTPUTF8, which only the EmailMessage API sends: such a mail takes it."""
    if "\n" in subject or "\r" in subject:
        raise ValueError("a mail's subject is one line")  # refused while queueing, before anything is committed
    if not (to.isascii() and parseaddr(sender)[1].isascii()):
        return _international(sender, to, subject, body, attachments)
    text = _text(body)
    if attachments:
        message = MIMEMultipart()
        message.attach(text)
        for filename, content, mimetype in attachments:
            part = MIMEBase(*mimetype.split("/", 1))
            part.set_payload(content)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(part)
    else:
        message = text
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), "utf-8")
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject
    message["Message-ID"] = make_msgid(domain="lotse")
    return message


# Text as EmailMessage writes it: as it is (7 or 8 bit) while every line is short, else quoted-printable, which
# keeps it readable; never base64, so that a mail printed to the console in development can be read.
_AS_IT_IS = Charset("utf-8")
_AS_IT_IS.body_encoding = None
_QUOTED = Charset("utf-8")
_QUOTED.body_encoding = QP


def _text(body: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", "plain")
    short = all(len(line) <= SHORT_LINE for line in body.splitlines())
    part.set_payload(body, _AS_IT_IS if short else _QUOTED)
    return part


def _international(sender: str, to: str, subject: str, body: str, attachments) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lotse")
    message.set_content(body)
    for filename, content, mimetype in attachments:
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def wire_bytes(message: Message) -> bytes:
    """The mail as it goes over the wire: 8-bit text as it is, and an address outside ASCII as it is (SMTPUTF8)."""
    out = BytesIO()
    if isinstance(message, EmailMessage):
        BytesGenerator(out, policy=message.policy.clone(utf8=True)).flatten(message, linesep="\r\n")
    else:
        BytesGenerator(out).flatten(message, linesep="\r\n")
    return out.getvalue()


def _open_smtp() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.ehlo_or_helo_if_needed()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send(smtp: smtplib.SMTP | None, recipient: str, data: bytes) -> None:
    """Send one mail over the open connection (None: there is no mail server to send to)."""
    config = current_app.config
    if smtp is None:
        if config["ENV_NAME"] == "production":
            # Never print mails in production: reset and invitation links would land in the logs.
            raise MailNotConfigured("no MAIL_SERVER configured")
        # Development without a mail server: the message goes to the console.
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        print(f"\n----- mail -----\n{text}\n----------------", flush=True)
        return
    sender = parseaddr(config["MAIL_FROM"])[1]
    options: tuple[str, ...] = ()
    if not (sender + recipient).isascii():
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("the mail server does not take addresses outside ASCII (SMTPUTF8)")
        options = ("SMTPUTF8", "BODY=8BITMIME")
    smtp.sendmail(sender, [recipient], data, options)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class _ServerUnreachable(Exception):
    """The connection to the mail server failed: the mails after this one are left for a later run."""


def deliver(session: Session, mails: list[Outgoing], stop: Callable[[], bool] = lambda: False) -> Delivered:
    """Write what needs writing and send it over one connection. Each mail is settled (committed) as soon as it is
    done: removed from the outbox when it went out or has become pointless, given its next attempt when it failed.
    A mail sent is never left to be sent again by a later run. When `stop` says so, or the mail server cannot be
    reached, the mails not yet tried stay taken until their lease ends and a later run sends them."""
    result = Delivered()
    smtp = None
    try:
        for mail in mails:
            if stop():
                break
            try:
                data = mail.message
                if data is None:
                    message = _WRITERS[mail.writer](session, **(mail.payload or {}))
                    if message is None:
                        _settle(session, mail)
                        result += Delivered(dropped=1)
                        continue
                    data = wire_bytes(message)
                if smtp is None and current_app.config["MAIL_SERVER"]:
                    try:
                        smtp = _open_smtp()
                    except (OSError, smtplib.SMTPException) as error:
                        raise _ServerUnreachable(_error_text(error)) from error
                _send(smtp, mail.recipient, data)
            except smtplib.SMTPRecipientsRefused as error:
                # Only a refusal for good (5xx) gives up; greylisting or a full mailbox (4xx) is tried again.
                codes = [code for code, _message in error.recipients.values()]
                _settle(session, mail, _error_text(error), permanent=all(code >= 500 for code in codes))
                result += Delivered(failed=1)
                if 421 in codes:  # the server closed the connection
                    smtp = _drop(smtp)
                continue
            except _ServerUnreachable as error:
                _settle(session, mail, str(error))
                result += Delivered(failed=1)
                break
            except (OSError, smtplib.SMTPException, MessageError, MailNotConfigured) as error:
                smtp = _drop(smtp)
                _settle(session, mail, _error_text(error))
                result += Delivered(failed=1)
                continue
            except Exception as error:  # one mail's writer failing must not keep the others back
                log.exception("writing mail %s to %s failed", mail.id, mail.recipient)
                smtp = _drop(smtp)
                session.rollback()  # on PostgreSQL a failed statement ends what the transaction may do
                _settle(session, mail, f"{type(error).__name__}: {error}")
                result += Delivered(failed=1)
                continue
            _settle(session, mail)
            result += Delivered(sent=1)
    finally:
        _close(smtp)
    return result


def _drop(smtp: smtplib.SMTP | None) -> None:
    _close(smtp)
    return None


def _settle(session: Session, mail: Outgoing, error: str | None = None, permanent: bool = False) -> None:
    """Remove a mail that is done from the outbox, or note a failed attempt and when to try again; commit."""
    if error is None:
        session.execute(delete(OutboxMail).where(OutboxMail.id == mail.id))
        session.commit()
        return
    now = utcnow()
    attempts = mail.attempts + 1
    given_up = permanent or attempts >= MAX_ATTEMPTS
    wait = min(timedelta(minutes=2 ** (attempts - 1)), LONGEST_WAIT)
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail.id)
        .values(attempts=attempts, last_error=error[:500], due_at=now + wait, failed_at=now if given_up else None)
    )
    session.commit()
    if given_up:
        log.error("mail %s to %s given up after %d attempts: %s", mail.id, mail.recipient, attempts, error)
    else:
        log.warning("mail %s to %s not sent (%s); trying again in %s", mail.id, mail.recipient, error, wait)


def _error_text(error: Exception) -> str:
    """The mail server's answer as it gave it ("550 5.1.1 No such mailbox"), or what else went wrong."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [(code, message) for code, message in error.recipients.values()]
    elif isinstance(error, smtplib.SMTPResponseException):
        answers = [(error.smtp_code, error.smtp_error)]
    else:
        return str(error) or type(error).__name__
    return "; ".join(
        f"{code} {message.decode('utf-8', 'replace') if isinstance(message, bytes) else message}"
        for code, message in answers
    )


def send_now(mail: OutboxMail) -> Delivered:
    """Send one mail of the outbox at once (an administrator's "send now"): taken, committed, then sent."""
    mail.send_again(due_at=utcnow() + LEASE)  # held while it is sent, so that a mailer leaves it
    outgoing = Outgoing.of(mail)
    db.session.commit()
    return deliver(db.session, [outgoing])


def send_due(limit: int = BATCH, stop: Callable[[], bool] = lambda: False) -> Delivered:
    """Take up to `limit` mails that are due from the outbox and send them (until `stop` says so).

    Several mailers may run at once: on PostgreSQL each takes rows the others have not locked, and every mail
    taken is held for a while (`LEASE`) before it is sent."""
    now = utcnow()
    rows = db.session.scalars(
        select(OutboxMail)
        .where(OutboxMail.failed_at.is_(None), OutboxMail.due_at <= now)
        .order_by(OutboxMail.due_at, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    mails = [Outgoing.of(row) for row in rows]
    for row in rows:
        row.due_at = now + LEASE
    db.session.commit()
    if not mails:
        return Delivered()
    return deliver(db.session, mails, stop)


def _write_outbox(session: Session) -> None:
    """Before the commit: the mails queued in this transaction go into the outbox with its changes (at the commit
    of the whole transaction: a savepoint's release leaves them queued for it)."""
    if not has_app_context() or session.in_nested_transaction():
        return
    queued = g.pop("mail_queued", None)
    if not queued:
        return
    now = utcnow()
    by_request = not current_app.config["MAIL_WORKER"]
    due = now + LEASE if by_request else now
    rows = [
        {"recipient": to, "message": data, "writer": writer, "payload": payload, "queued_at": now, "due_at": due}
        for to, data, writer, payload in queued
    ]
    table = OutboxMail.__table__
    if not by_request:  # the mailer finds them: no ids to read back
        session.execute(insert(table), rows)
        return
    ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    to_send = g.setdefault("mail_to_send", [])
    for id_, (to, data, writer, payload) in zip(ids, queued, strict=True):
        to_send.append(Outgoing(id_, to, data, writer, payload, 0))


def _send_committed(session: Session) -> None:
    """After the commit: a request sends the mail it queued (unless a mailer process does)."""
    if not has_app_context():
        return
    mails = g.pop("mail_to_send", None)
    if not mails:
        return
    # The session that committed cannot run SQL in this hook: writing and removing take a session of their own.
    with Session(db.engine) as own:
        try:
            deliver(own, mails)
        except Exception:  # the change is committed; the mailer or a later run sends what is left
            log.exception("sending the mail of a request failed; it stays in the outbox")


def _mark_savepoint(session: Session, transaction) -> None:
    """A savepoint begins: note how much was queued, so that its rollback drops only what was queued after."""
    if transaction.nested and has_app_context():
        g.setdefault("mail_marks", {})[id(transaction)] = len(g.get("mail_queued", ()))


def _drop_queued(session: Session, transaction=None) -> None:
    """A rollback drops what was queued; a savepoint's rollback only what was queued since it began."""
    if not has_app_context():
        return
    if transaction is not None and transaction.nested:
        mark = g.get("mail_marks", {}).pop(id(transaction), None)
        if mark is not None and "mail_queued" in g:
            del g.mail_queued[mark:]
        return
    for key in ("mail_queued", "mail_to_send", "mail_marks"):
        g.pop(key, None)


def init_app(app) -> None:
    # Listeners live on the Session class, shared by every app in the process: register them once.
    if not event.contains(Session, "before_commit", _write_outbox):
        event.listen(Session, "before_commit", _write_outbox)
        event.listen(Session, "after_commit", _send_committed)
        event.listen(Session, "after_soft_rollback", _drop_queued)
        event.listen(Session, "after_transaction_create", _mark_savepoint)
