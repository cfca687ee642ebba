"""Outgoing mail. Messages are queued during the request and sent only after the commit."""

from __future__ import annotations

import logging
import smtplib
from email import encoders
from email.charset import QP, Charset
from email.errors import MessageError
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app, g, has_app_context, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
# The longest line written as it is (RFC 5322 asks for at most 78 characters).
SHORT_LINE = 78


def queue_mail(to: str, subject: str, template: str, locale: str | None = None, attachments=(), **context) -> None:
    """Render a mail in the recipient's language and hold it until the transaction commits.

    `attachments` holds (filename, bytes, mimetype) triples.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(template, **context)
        subject_text = str(subject)
    g.setdefault("mail_outbox", []).append(
        compose(current_app.config["MAIL_FROM"], to, subject_text, body, attachments)
    )


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


def send_now(message: Message) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        if config["ENV_NAME"] == "production":
            # Never print mails in production: reset and invitation links would land in the logs.
            log.error("no MAIL_SERVER configured: mail to %s (%s) not sent", message["To"], message["Subject"])
            return
        # Development without a mail server: the message goes to the console.
        # As it goes over the wire (a text's 8 bits as they are), not as_string(), which turns them into base64.
        text = message.as_bytes().decode("utf-8", "replace")
        print(f"\n----- mail -----\n{text}\n----------------", flush=True)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _flush_outbox(session: Session) -> None:
    if not has_app_context():
        return
    outbox = g.pop("mail_outbox", [])
    for message in outbox:
        try:
            send_now(message)
        except (OSError, smtplib.SMTPException, MessageError):
            # The change is committed; a mail server hiccup must not turn it into an error page.
            log.exception("sending mail to %s failed", message["To"])


def _drop_outbox(session: Session, transaction=None) -> None:
    if has_app_context():
        g.pop("mail_outbox", None)


def init_app(app) -> None:
    # Listeners live on the Session class, shared by every app in the process: register them once.
    if not event.contains(Session, "after_commit", _flush_outbox):
        event.listen(Session, "after_commit", _flush_outbox)
        event.listen(Session, "after_soft_rollback", _drop_outbox)
