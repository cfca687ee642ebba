"""Scheduling, editing and cancelling dialogs; moderators can't be double-booked."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
from sqlalchemy import select

from app.dialogs.models import Coverage, Dialog, DialogStatus, ModeratorRole
from app.shifts.models import Signup, SignupStatus
from app.shifts.services import utc_to_local
from tests.dialogs.conftest import language_of, local_at


def _form(accommodation, lead, day=None, **overrides) -> dict:
    data = {
        "topic": "Nachbarschaft",
        "accommodation": str(accommodation.id),
        "day": (day or date.today() + timedelta(days=7)).isoformat(),
        "start": "17:00",
        "end": "19:00",
        "languages": ["ar", "fa"],
        "other_language": "",
        "lead_moderator": str(lead.id),
        "co_moderator": "",
        "trainee_moderator": "",
        "expected_participants": "25",
    }
    data.update(overrides)
    return data


def test_moderator_schedules_a_dialog_needing_two_languages(client, login, make_circle, make_moderator, db):
    accommodation = make_circle().accommodations[0]
    lead, trainee = make_moderator(), make_moderator()
    login(lead)
    response = client.post_form(
        "/dialogs/new", _form(accommodation, lead, trainee_moderator=str(trainee.id), other_language="ti")
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    dialog = db.session.scalar(select(Dialog))
    assert response.headers["Location"] == f"/dialogs/{dialog.id}"
    assert sorted(language.code for language in dialog.languages) == ["ar", "fa", "ti"]
    assert {m.user_id: m.role for m in dialog.moderators} == {
        lead.id: ModeratorRole.LEAD,
        trainee.id: ModeratorRole.TRAINEE,
    }
    assert utc_to_local(dialog.starts_at).hour == 17
    assert dialog.expected_participants == 25
    assert all(language.coverage is Coverage.UNCOVERED for language in dialog.languages)
    page = client.get(f"/dialogs/{dialog.id}").get_data(as_text=True)
    assert "Arabisch" in page and "Persisch" in page and "Tigrinya" in page
    assert "0 von 3 Sprachen abgedeckt" in page


def test_dialog_needs_a_language_and_an_end_after_the_start(client, login, make_circle, make_moderator, db):
    accommodation = make_circle().accommodations[0]
    lead = make_moderator()
    login(lead)
    response = client.post_form("/dialogs/new", _form(accommodation, lead, languages=[], start="19:00", end="18:00"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Bitte wählen Sie mindestens eine Sprache." in page
    assert "Das Ende muss nach dem Beginn liegen." in page
    assert db.session.scalar(select(Dialog)) is None


def test_same_person_cannot_take_two_places_in_the_team(client, login, make_circle, make_moderator, db):
    accommodation = make_circle().accommodations[0]
    lead = make_moderator()
    login(lead)
    response = client.post_form("/dialogs/new", _form(accommodation, lead, co_moderator=str(lead.id)))
    assert response.status_code == 422
    assert "nur einen Platz im Team" in response.get_data(as_text=True)
    assert db.session.scalar(select(Dialog)) is None


def test_only_moderators_can_be_chosen_as_moderators(client, login, make_circle, make_moderator, make_user, db):
    accommodation = make_circle().accommodations[0]
    lead, volunteer = make_moderator(), make_user()
    login(lead)
    response = client.post_form("/dialogs/new", _form(accommodation, lead, co_moderator=str(volunteer.id)))
    assert response.status_code == 422
    assert db.session.scalar(select(Dialog)) is None


def test_moderator_busy_in_a_shift_is_not_free_for_a_dialog(client, login, make_circle, make_moderator, make_shift, db):
    circle = make_circle()
    lead = make_moderator()
    shift = make_shift(circle, starts_in=timedelta(days=7))
    shift.starts_at = local_at(7, 10)
    shift.ends_at = shift.starts_at + timedelta(hours=2)
    db.session.add(Signup(shift=shift, user=lead, status=SignupStatus.CONFIRMED))
    db.session.commit()
    local_start = utc_to_local(shift.starts_at)
    login(lead)
    response = client.post_form(
        "/dialogs/new",
        _form(
            circle.accommodations[0],
            lead,
            day=local_start.date(),
            start=local_start.strftime("%H:%M"),
            end=(local_start + timedelta(hours=1)).strftime("%H:%M"),
        ),
    )
    assert response.status_code == 422
    assert f"bereits für {shift.title} eingeplant" in response.get_data(as_text=True)
    assert db.session.scalar(select(Dialog)) is None


def test_new_time_is_refused_when_a_booked_interpreter_is_busy_then(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(starts_at=local_at(3, 10))
    other = make_dialog(starts_at=local_at(4, 10), topic="Anderer Dialog")
    interpreter = make_interpreter("ar")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    language_of(other, "ar").interpreter_id = interpreter.id
    db.session.commit()
    lead = dialog.moderators[0].user
    other_start = utc_to_local(other.starts_at)
    login(lead)
    response = client.post_form(
        f"/dialogs/{dialog.id}/edit",
        _form(
            dialog.accommodation,
            lead,
            day=other_start.date(),
            start=other_start.strftime("%H:%M"),
            end=(other_start + timedelta(hours=1)).strftime("%H:%M"),
            languages=["ar"],
        ),
    )
    assert response.status_code == 422
    assert f"{interpreter.name} ist zu dieser Zeit bereits für Anderer Dialog eingeplant" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Dialog, dialog.id).starts_at != other.starts_at


def test_a_new_time_is_sent_to_everyone_booked_with_the_calendar_entry(
    client, login, make_dialog, make_interpreter, mailbox, db
):
    from app.dialogs.models import InterpreterRequest, RequestStatus

    dialog = make_dialog(languages=("ar", "fa"))
    interpreter, asked = make_interpreter("ar", locale="en"), make_interpreter("fa", locale="en")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    db.session.add(
        InterpreterRequest(
            dialog_language=language_of(dialog, "fa"), interpreter_id=asked.id, status=RequestStatus.ASKED
        )
    )
    db.session.commit()
    lead = dialog.moderators[0].user
    new_day = utc_to_local(dialog.starts_at).date() + timedelta(days=1)
    login(lead)
    response = client.post_form(
        f"/dialogs/{dialog.id}/edit", _form(dialog.accommodation, lead, day=new_day, languages=["ar", "fa"])
    )
    assert response.status_code == 303
    [message] = mailbox.to(interpreter.email)
    assert message["Subject"] == f"Changed: {dialog.topic}"
    [attachment] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"dialog-{dialog.id}@lotse"
    db.session.expire_all()
    assert event.decoded("DTSTART") == db.session.get(Dialog, dialog.id).starts_at
    assert mailbox.to(lead.email), "the moderator is told too"
    assert mailbox.to(asked.email), "so is the interpreter asked for Persian who has not answered yet"


def test_removing_a_covered_language_tells_its_interpreter(client, login, make_dialog, make_interpreter, mailbox, db):
    dialog = make_dialog(languages=("ar", "fa"), starts_at=local_at(3, 10))
    interpreter = make_interpreter("fa", locale="en")
    language_of(dialog, "fa").interpreter_id = interpreter.id
    db.session.commit()
    lead = dialog.moderators[0].user
    start = utc_to_local(dialog.starts_at)
    login(lead)
    response = client.post_form(
        f"/dialogs/{dialog.id}/edit",
        _form(
            dialog.accommodation,
            lead,
            day=start.date(),
            start=start.strftime("%H:%M"),
            end=utc_to_local(dialog.ends_at).strftime("%H:%M"),
            languages=["ar"],
            expected_participants="30",
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [language.code for language in db.session.get(Dialog, dialog.id).languages] == ["ar"]
    [message] = mailbox.to(interpreter.email)
    assert message["Subject"] == f"No longer needed: {dialog.topic}"
    assert "Persian is no longer needed" in mailbox.body(message)
    [attachment] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED", "the entry leaves the released interpreter's calendar"
    assert not mailbox.to(lead.email), "same time and place: nobody else is mailed"


def test_cancelling_tells_everyone_booked_and_everyone_asked(
    client, login, make_dialog, make_interpreter, make_moderator, mailbox, db
):
    from app.dialogs.models import InterpreterRequest, RequestStatus

    co = make_moderator(locale="en")
    dialog = make_dialog(languages=("ar", "fa"), co=co)
    booked, asked = make_interpreter("ar", locale="en"), make_interpreter("fa", locale="en")
    language_of(dialog, "ar").interpreter_id = booked.id
    db.session.add(
        InterpreterRequest(
            dialog_language=language_of(dialog, "fa"), interpreter_id=asked.id, status=RequestStatus.ASKED
        )
    )
    db.session.commit()
    login(dialog.moderators[0].user)
    response = client.post_form(f"/dialogs/{dialog.id}/cancel", {"reason": "Wasserschaden in der Unterkunft"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Dialog, dialog.id).status is DialogStatus.CANCELLED
    for person in (booked, asked, co):
        [message] = mailbox.to(person.email)
        assert message["Subject"] == f"Cancelled: {dialog.topic}"
        assert "Wasserschaden in der Unterkunft" in mailbox.body(message)
    event = icalendar.Calendar.from_ical(
        next(p for p in mailbox.to(booked.email)[0].iter_attachments()).get_content()
    ).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_cancelling_needs_a_reason_and_happens_once(client, login, make_dialog, db):
    dialog = make_dialog()
    login(dialog.moderators[0].user)
    response = client.post_form(f"/dialogs/{dialog.id}/cancel", {"reason": ""})
    assert response.status_code == 422
    assert "Bitte geben Sie einen Grund an." in response.get_data(as_text=True)
    assert client.post_form(f"/dialogs/{dialog.id}/cancel", {"reason": "Krank"}).status_code == 303
    again = client.post_form(f"/dialogs/{dialog.id}/cancel", {"reason": "Krank"})
    assert again.status_code == 409
    assert "bereits abgesagt" in again.get_data(as_text=True)


def test_a_dialog_under_way_cannot_be_edited(client, login, make_dialog):
    dialog = make_dialog(starts_in=timedelta(minutes=-10))
    login(dialog.moderators[0].user)
    response = client.get(f"/dialogs/{dialog.id}/edit")
    assert response.status_code == 409


def test_trainee_moderator_sees_but_does_not_manage(client, login, make_dialog, make_moderator):
    trainee = make_moderator()
    dialog = make_dialog(trainee=trainee)
    login(trainee)
    assert client.get(f"/dialogs/{dialog.id}").status_code == 200
    assert client.get(f"/dialogs/{dialog.id}/edit").status_code == 403
    page = client.get("/dialogs").get_data(as_text=True)
    assert dialog.topic in page


def test_people_put_in_the_team_by_someone_else_are_told(client, login, make_circle, make_moderator, mailbox, db):
    accommodation = make_circle().accommodations[0]
    lead, co, trainee = make_moderator(), make_moderator(locale="en"), make_moderator(locale="en")
    login(lead)
    response = client.post_form("/dialogs/new", _form(accommodation, lead, co_moderator=str(co.id)))
    assert response.status_code == 303
    [message] = mailbox.to(co.email)
    assert message["Subject"] == "Dialog team: Nachbarschaft"
    assert "Co-moderator" in mailbox.body(message)
    assert [p.get_content_type() for p in message.iter_attachments()] == ["text/calendar"]
    assert mailbox.to(lead.email) == [], "who schedules needs no mail about it"
    dialog = db.session.scalar(select(Dialog))
    mailbox.clear()
    start = utc_to_local(dialog.starts_at)
    response = client.post_form(
        f"/dialogs/{dialog.id}/edit",
        _form(accommodation, lead, day=start.date(), co_moderator=str(co.id), trainee_moderator=str(trainee.id)),
    )
    assert response.status_code == 303
    [message] = mailbox.to(trainee.email)
    assert "Trainee moderator" in mailbox.body(message)
    assert mailbox.to(co.email) == [], "nothing changed for the co-moderator"


def test_the_list_keeps_a_dialog_under_way_and_one_as_long_as_dialogs_may_last(
    client, login, make_dialog, make_user, db
):
    from datetime import timedelta

    from app.auth.models import Role
    from app.dialogs.services import MAX_DIALOG_HOURS

    lead = make_user(roles=[Role.MODERATOR])
    make_dialog(starts_in=-timedelta(hours=1), hours=2, topic="Läuft gerade", lead=lead)
    longest = MAX_DIALOG_HOURS
    make_dialog(starts_in=-timedelta(hours=longest - 1), hours=longest, topic="Langer Dialog", lead=lead)
    make_dialog(starts_in=-timedelta(hours=3), hours=2, topic="Vorbei", lead=lead)
    login(lead)
    page = client.get("/dialogs").get_data(as_text=True)
    upcoming = page.split('aria-label="Welche Dialoge"', 1)[1]
    assert "Läuft gerade" in upcoming and "Langer Dialog" in upcoming and "Vorbei" not in upcoming


def test_the_list_shows_a_page_of_upcoming_at_a_time_and_the_latest_held_without_a_log(
    client, login, make_dialog, make_user, db
):
    from app.auth.models import Role
    from app.dialogs.routes import DIALOG_PAGE_SIZE, UNLOGGED_SHOWN

    lead = make_user(roles=[Role.MODERATOR])
    for n in range(DIALOG_PAGE_SIZE + 5):
        make_dialog(starts_at=local_at(2 + n, 17), topic=f"Kommend {n:02d}", lead=lead)
    for n in range(UNLOGGED_SHOWN + 3):
        make_dialog(starts_at=local_at(-1 - n, 10), topic=f"Gehalten {n:02d}", lead=lead)
    login(make_user(roles=[Role.STAFF]))

    first = client.get("/dialogs?scope=all").get_data(as_text=True)
    assert first.count("Kommend ") == DIALOG_PAGE_SIZE
    assert f"Kommend {DIALOG_PAGE_SIZE - 1:02d}" in first and f"Kommend {DIALOG_PAGE_SIZE:02d}" not in first
    assert "Mehr anzeigen" in first and "scope=all&amp;page=2" in first
    # The latest held ones without a log, and a word that there are more.
    assert first.count("Gehalten ") == UNLOGGED_SHOWN
    assert "Gehalten 00" in first and f"Gehalten {UNLOGGED_SHOWN:02d}" not in first
    assert "Hier stehen nur die neuesten." in first

    second = client.get("/dialogs?scope=all&page=2").get_data(as_text=True)
    assert second.count("Kommend ") == DIALOG_PAGE_SIZE + 5 and "Mehr anzeigen" not in second
    assert client.get("/dialogs?scope=all&page=-4").status_code == 200


def test_the_list_marks_each_dialog_as_its_languages_its_state_and_its_log_say(
    client, login, make_dialog, make_interpreter, make_user, db
):
    """The list reads its dialogs and their languages as plain rows: each card still says how far its languages are
    covered and whether it was called off, and each held dialog without a log whether the log is overdue."""
    from app.auth.models import Role
    from app.database import utcnow

    interpreter = make_interpreter("ar", "fa")
    covered = make_dialog(languages=("ar",), starts_at=local_at(2, 10), topic="Alles abgedeckt")
    language_of(covered, "ar").interpreter_id = interpreter.id
    partly = make_dialog(languages=("ar", "fa", "uk"), starts_at=local_at(3, 10), topic="Teilweise abgedeckt")
    language_of(partly, "fa").interpreter_id = interpreter.id
    language_of(partly, "uk").open_since = utcnow()
    called_off = make_dialog(starts_at=local_at(4, 10), topic="Abgesagter Dialog")
    called_off.status = DialogStatus.CANCELLED
    make_dialog(starts_at=local_at(-3, 10), topic="Lange vorbei")
    make_dialog(starts_in=-timedelta(hours=3), hours=2, topic="Eben vorbei")
    make_dialog(starts_at=local_at(-4, 10), topic="Ausgefallen").status = DialogStatus.CANCELLED
    db.session.commit()

    login(make_user(roles=[Role.STAFF]))
    page = client.get("/dialogs?scope=all").get_data(as_text=True)
    cards = {card.split("</a></h2>", 1)[0].rsplit(">", 1)[1]: card for card in page.split("<article")[1:]}
    assert list(cards) == ["Alles abgedeckt", "Teilweise abgedeckt", "Abgesagter Dialog"]
    assert "Alle Sprachen abgedeckt" in cards["Alles abgedeckt"] and "Arabisch: Abgedeckt" in cards["Alles abgedeckt"]
    assert "1 von 3 Sprachen abgedeckt" in cards["Teilweise abgedeckt"]
    assert "Arabisch: Offen" in cards["Teilweise abgedeckt"] and "Persisch: Abgedeckt" in cards["Teilweise abgedeckt"]
    assert "Ukrainisch: Angefragt" in cards["Teilweise abgedeckt"]
    assert ">Abgesagt<" in cards["Abgesagter Dialog"] and ">Abgesagt<" not in cards["Teilweise abgedeckt"]
    held = page.split('id="unlogged-title"', 1)[1].split("</section>", 1)[0]
    lines = {line.split("</a>", 1)[0].rsplit(">", 1)[1]: line for line in held.split("<li>")[1:]}
    assert list(lines) == ["Eben vorbei", "Lange vorbei"], "the latest first, none called off"
    assert "Überfällig" in lines["Lange vorbei"] and "Überfällig" not in lines["Eben vorbei"]

    client.post_form("/logout")
    login(interpreter)
    own = client.get("/dialogs").get_data(as_text=True)
    assert "Alles abgedeckt" in own and "Teilweise abgedeckt" in own and "Abgesagter Dialog" not in own
    assert 'id="unlogged-title"' not in own, "an interpreter writes no logs"
