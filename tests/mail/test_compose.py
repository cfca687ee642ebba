"""Composing mail: what a recipient's mail program reads back is what was written, in every language."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest

from app.mail import compose, wire_bytes


def _read(message) -> email.message.EmailMessage:
    """The message as a mail program parses what arrives: the bytes the outbox keeps and sends, their lines ending
    in CRLF as SMTP wants them, stored by the receiving server with the line ends of its system."""
    return email.message_from_bytes(wire_bytes(message).replace(b"\r\n", b"\n"), policy=default_policy)


def test_a_mail_in_arabic_with_a_calendar_file_reads_back_whole():
    subject = "أنت مسجل: مساعدة في الواجبات"
    body = "مرحباً أنا،\nأنت مسجل.\nhttps://lotse.example/shifts/12\n"
    calendar = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    sent = compose(
        "Lotse <no-reply@lotse.example>",
        "anna@example.org",
        subject,
        body,
        [
            ("lotse-shift.ics", calendar, "text/calendar"),
        ],
    )
    read = _read(sent)
    assert read["Subject"] == subject
    assert read["To"] == "anna@example.org"
    assert read["From"].addresses[0].display_name == "Lotse"
    assert read["Message-ID"]
    assert read.get_body(preferencelist=("plain",)).get_content() == body
    [attachment] = list(read.iter_attachments())
    assert attachment.get_filename() == "lotse-shift.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True) == calendar


def test_a_plain_mail_has_no_parts_and_a_sender_name_outside_ascii_survives():
    read = _read(compose("Lotse Stuttgart – Integration <no-reply@lotse.example>", "b@example.org", "Hallo", "Grüße\n"))
    assert not read.is_multipart()
    assert read["From"].addresses[0].display_name == "Lotse Stuttgart – Integration"
    assert read.get_content() == "Grüße\n"


def test_an_address_outside_ascii_keeps_its_characters():
    sent = compose("Lotse <no-reply@lotse.example>", "jörg@beispiel.de", "Hallo", "Text\n")
    assert sent["To"] == "jörg@beispiel.de"
    read = _read(sent)
    assert read["To"] == "jörg@beispiel.de"
    assert read.get_content() == "Text\n"


def test_text_is_written_readably():
    """Short lines go as they are (as a mail printed to the console shows them), long ones quoted-printable:
    never base64."""
    short = compose("Lotse <a@lotse.example>", "b@example.org", "Link", "Zurücksetzen: https://lotse.example/r/ab\n")
    assert "Zurücksetzen: https://lotse.example/r/ab" in wire_bytes(short).decode().replace("\r\n", "\n")
    assert short["Content-Transfer-Encoding"] == "8bit"
    long_line = "https://lotse.example/reset/" + "x" * 120 + "\n"
    written = compose("Lotse <a@lotse.example>", "b@example.org", "Link", long_line)
    assert written["Content-Transfer-Encoding"] == "quoted-printable"
    assert _read(written).get_content() == long_line


def test_a_subject_of_two_lines_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError):
        compose("Lotse <a@lotse.example>", "b@example.org", "Hallo\nBcc: x@example.org", "Text\n")
