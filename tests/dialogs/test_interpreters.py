"""Who is eligible for a language, asking and open requests, accepting, declining, withdrawing, training."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.dialogs import services
from app.dialogs.models import Coverage, DialogLanguage, InterpreterRequest, InterpreterTraining, RequestStatus
from app.shifts.models import Signup, SignupStatus
from tests.dialogs.conftest import language_of


def _eligible(dialog, code="ar", shadow=False):
    return {user.id for user in services.eligible_interpreters(language_of(dialog, code), shadow=shadow)}


def test_eligible_interpreters_speak_the_language_at_a_working_level(app, make_dialog, make_interpreter, make_user):
    dialog = make_dialog(languages=("ar",))
    native = make_interpreter("ar")
    working = make_interpreter(("ar", "working"))
    basic = make_interpreter(("ar", "basic"))
    other_language = make_interpreter("fa")
    not_an_interpreter = make_user(roles=[Role.VOLUNTEER], languages=[("ar", "native")])
    disabled = make_interpreter("ar", is_enabled=False)
    eligible = _eligible(dialog)
    assert native.id in eligible and working.id in eligible
    assert not eligible & {basic.id, other_language.id, not_an_interpreter.id, disabled.id}


def test_an_interpreter_busy_in_a_shift_or_a_dialog_at_that_time_is_not_eligible(
    app, db, make_dialog, make_interpreter, make_circle, make_shift
):
    dialog = make_dialog(languages=("ar",), starts_in=timedelta(days=3), hours=2)
    in_shift, in_dialog, free, touching = (make_interpreter("ar") for _ in range(4))
    circle = make_circle()
    overlapping_shift = make_shift(circle, starts_in=timedelta(days=3, hours=1), hours=2)
    db.session.add(Signup(shift=overlapping_shift, user=in_shift, status=SignupStatus.WAITLISTED))
    other = make_dialog(languages=("ar",), starts_in=timedelta(days=3, minutes=30))
    language_of(other, "ar").interpreter_id = in_dialog.id
    # A shift that ends as the dialog starts is no clash.
    earlier = make_shift(circle, starts_in=timedelta(days=3, hours=-2), hours=2)
    db.session.add(Signup(shift=earlier, user=touching, status=SignupStatus.CONFIRMED))
    db.session.commit()
    eligible = _eligible(dialog)
    assert free.id in eligible and touching.id in eligible
    assert in_shift.id not in eligible and in_dialog.id not in eligible


def test_a_cancelled_sign_up_or_dialog_does_not_make_someone_busy(
    app, db, make_dialog, make_interpreter, make_circle, make_shift
):
    dialog = make_dialog(languages=("ar",), starts_in=timedelta(days=3))
    person = make_interpreter("ar")
    shift = make_shift(make_circle(), starts_in=timedelta(days=3), hours=2)
    db.session.add(Signup(shift=shift, user=person, status=SignupStatus.CANCELLED))
    db.session.commit()
    assert person.id in _eligible(dialog)


def test_interpreters_in_training_are_listed_to_shadow_only(app, db, make_dialog, make_interpreter):
    dialog = make_dialog(languages=("ar",))
    trainee = make_interpreter("ar")
    db.session.add(InterpreterTraining(user_id=trainee.id))
    db.session.commit()
    assert trainee.id not in _eligible(dialog)
    assert trainee.id in _eligible(dialog, shadow=True)


def test_moderator_asks_specific_interpreters_who_get_a_mail(client, login, make_dialog, make_interpreter, mailbox, db):
    dialog = make_dialog(languages=("ar", "fa"))
    first, second = make_interpreter("ar", locale="en"), make_interpreter("ar", locale="en")
    language = language_of(dialog, "ar")
    login(dialog.moderators[0].user)
    response = client.post_form(
        f"/dialogs/{dialog.id}/languages/{language.id}/ask", {"interpreters": [str(first.id), str(second.id)]}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert language_of(db.session.merge(dialog), "ar").coverage is Coverage.REQUESTED
    assert language_of(dialog, "fa").coverage is Coverage.UNCOVERED
    for person in (first, second):
        [message] = mailbox.to(person.email)
        assert message["Subject"] == f"Can you interpret? {dialog.topic}"
        assert "interpret Arabic" in mailbox.body(message)
        assert mailbox.path(message) == "/interpreting"


def test_asking_someone_who_is_not_free_is_refused(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",))
    speaks_persian = make_interpreter("fa")
    language = language_of(dialog, "ar")
    login(dialog.moderators[0].user)
    response = client.post_form(
        f"/dialogs/{dialog.id}/languages/{language.id}/ask", {"interpreters": [str(speaks_persian.id)]}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(InterpreterRequest)) is None


def test_open_request_reaches_every_eligible_interpreter_soonest_first(
    client, login, make_dialog, make_interpreter, db
):
    later = make_dialog(languages=("ar",), starts_in=timedelta(days=5), topic="Später")
    sooner = make_dialog(languages=("ar",), starts_in=timedelta(days=2), topic="Früher")
    for dialog in (later, sooner):
        language_of(dialog, "ar").open_since = dialog.starts_at - timedelta(days=10)
    db.session.commit()
    speaker, basic = make_interpreter("ar"), make_interpreter(("ar", "basic"))
    login(speaker)
    page = client.get("/interpreting").get_data(as_text=True)
    assert page.index("Früher") < page.index("Später")
    client.post_form("/logout")
    login(basic)
    page = client.get("/interpreting").get_data(as_text=True)
    assert "Früher" not in page and "Später" not in page


def test_accepting_covers_the_language_and_tells_the_moderators(
    client, login, make_dialog, make_interpreter, make_moderator, mailbox, db
):
    co = make_moderator(locale="en")
    dialog = make_dialog(languages=("ar", "fa"), co=co)
    language = language_of(dialog, "ar")
    language.open_since = dialog.created_at
    db.session.commit()
    interpreter = make_interpreter("ar", locale="en")
    login(interpreter)
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept")
    assert response.status_code == 303
    db.session.expire_all()
    language = db.session.get(DialogLanguage, language.id)
    assert language.interpreter_id == interpreter.id and language.coverage is Coverage.COVERED
    [confirmation] = mailbox.to(interpreter.email)
    assert confirmation["Subject"] == f"You interpret: {dialog.topic}"
    [attachment] = [p for p in confirmation.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert str(icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]["UID"]) == (
        f"dialog-{dialog.id}@lotse"
    )
    [told] = mailbox.to(co.email)
    assert f"{interpreter.name} interprets Arabic" in mailbox.body(told)
    # The moderator sees Arabic covered and Persian still uncovered.
    client.post_form("/logout")
    login(dialog.moderators[0].user)
    page = client.get(f"/dialogs/{dialog.id}").get_data(as_text=True)
    assert "1 von 2 Sprachen abgedeckt" in page


def test_accept_with_htmx_refreshes_requests_and_assignments(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",))
    language = language_of(dialog, "ar")
    language.open_since = dialog.created_at
    db.session.commit()
    login(make_interpreter("ar"))
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept", htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert body.count('id="interpreting-lists"') == 1
    requests_part, assignments_part = body.split("Meine Dolmetscheinsätze")
    assert f'id="request-{language.id}"' not in requests_part, "no longer an open request"
    assert f'id="request-{language.id}"' in assignments_part, "now an assignment"
    assert 'hx-swap-oob="true"' in body


def test_the_second_interpreter_is_told_the_language_is_taken(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",))
    language = language_of(dialog, "ar")
    first = make_interpreter("ar")
    language.interpreter_id = first.id
    db.session.commit()
    login(make_interpreter("ar"))
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept")
    assert response.status_code == 409
    assert "bereits eine andere Person übernommen" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language.id).interpreter_id == first.id


def test_accepting_a_dialog_that_collides_with_an_own_shift_is_refused(
    client, login, make_dialog, make_interpreter, make_circle, make_shift, db
):
    dialog = make_dialog(languages=("ar",), starts_in=timedelta(days=3))
    interpreter = make_interpreter("ar")
    shift = make_shift(make_circle(), starts_in=timedelta(days=3, hours=1), title="Sprachcafé")
    db.session.add(Signup(shift=shift, user=interpreter, status=SignupStatus.CONFIRMED))
    db.session.commit()
    language = language_of(dialog, "ar")
    login(interpreter)
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept")
    assert response.status_code == 409
    assert "bereits für Sprachcafé eingeplant" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language.id).interpreter_id is None


def test_a_shift_that_collides_with_an_interpreting_assignment_is_refused(
    client, login, make_dialog, make_interpreter, make_circle, make_shift, db
):
    from app.places.models import CircleMembership, MembershipStatus

    dialog = make_dialog(languages=("ar",), starts_in=timedelta(days=3), topic="Nachbarschaftsdialog")
    interpreter = make_interpreter("ar")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    circle = make_circle()
    db.session.add(CircleMembership(circle=circle, user=interpreter, status=MembershipStatus.ACTIVE))
    shift = make_shift(circle, starts_in=timedelta(days=3, hours=1))
    db.session.commit()
    login(interpreter)
    response = client.post_form(f"/shifts/{shift.id}/signup")
    assert response.status_code == 409
    assert "bereits für Nachbarschaftsdialog eingeplant" in response.get_data(as_text=True)
    assert db.session.scalar(select(Signup)) is None


def test_an_interpreter_cannot_take_two_languages_of_one_dialog(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar", "fa"), open_request=True)
    interpreter = make_interpreter("ar", "fa")
    login(interpreter)
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language_of(dialog, 'ar').id}/accept").status_code == 303
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language_of(dialog, 'fa').id}/accept")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language_of(dialog, "fa").id).interpreter_id is None


def test_accepting_a_language_one_does_not_speak_is_refused(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",))
    login(make_interpreter(("ar", "basic")))
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language_of(dialog, 'ar').id}/accept")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language_of(dialog, "ar").id).interpreter_id is None


def test_declining_a_personal_request_tells_the_moderator_and_leaves_the_list(
    client, login, make_dialog, make_interpreter, make_moderator, mailbox, db
):
    lead = make_moderator(locale="en")
    dialog = make_dialog(languages=("ar",), lead=lead)
    interpreter = make_interpreter("ar")
    language = language_of(dialog, "ar")
    db.session.add(
        InterpreterRequest(dialog_language=language, interpreter_id=interpreter.id, status=RequestStatus.ASKED)
    )
    db.session.commit()
    login(interpreter)
    assert dialog.topic in client.get("/interpreting").get_data(as_text=True)
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/decline", htmx=True)
    assert response.status_code == 200
    assert f'id="request-{language.id}"' not in response.get_data(as_text=True)
    assert dialog.topic not in client.get("/interpreting").get_data(as_text=True)
    [message] = mailbox.to(lead.email)
    assert f"{interpreter.name} can't interpret Arabic" in mailbox.body(message)
    again = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/decline")
    assert again.status_code == 409


def test_declining_an_open_request_hides_it_for_that_interpreter_only(
    client, login, make_dialog, make_interpreter, mailbox, db
):
    dialog = make_dialog(languages=("ar",))
    language = language_of(dialog, "ar")
    language.open_since = dialog.created_at
    db.session.commit()
    declines, other = make_interpreter("ar"), make_interpreter("ar")
    login(declines)
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/decline").status_code == 303
    assert dialog.topic not in client.get("/interpreting").get_data(as_text=True)
    assert mailbox.messages == [], "an open request declined needs no mail"
    client.post_form("/logout")
    login(other)
    assert dialog.topic in client.get("/interpreting").get_data(as_text=True)


def test_withdrawing_opens_the_language_again_and_tells_the_moderators(
    client, login, make_dialog, make_interpreter, make_moderator, mailbox, db
):
    lead = make_moderator(locale="en")
    dialog = make_dialog(languages=("ar",), lead=lead)
    interpreter = make_interpreter("ar")
    language = language_of(dialog, "ar")
    language.interpreter_id = interpreter.id
    db.session.commit()
    login(interpreter)
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/withdraw")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language.id).interpreter_id is None
    [message] = mailbox.to(lead.email)
    assert message["Subject"] == f"Interpreter withdrew: {dialog.topic}"
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/withdraw").status_code == 409


def test_an_interpreter_in_training_shadows_without_covering(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",), open_request=True)
    language = language_of(dialog, "ar")
    trainee = make_interpreter("ar")
    login(trainee)
    assert client.post_form("/interpreting/training", {"in_training": "1"}).status_code == 303
    assert db.session.get(InterpreterTraining, trainee.id) is not None
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept")
    assert response.status_code == 303
    db.session.expire_all()
    language = db.session.get(DialogLanguage, language.id)
    assert language.shadow_id == trainee.id and language.interpreter_id is None
    assert language.coverage is Coverage.REQUESTED, "a shadow does not cover the language"
    # An experienced interpreter can still take it.
    client.post_form("/logout")
    experienced = make_interpreter("ar")
    login(experienced)
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept").status_code == 303
    db.session.expire_all()
    assert db.session.get(DialogLanguage, language.id).coverage is Coverage.COVERED
    client.post_form("/logout")
    login(trainee)
    assert client.post_form("/interpreting/training", {"in_training": "0"}).status_code == 303
    assert db.session.get(InterpreterTraining, trainee.id) is None


def test_my_assignments_and_the_calendar_feed_hold_the_dialog(client, login, make_dialog, make_interpreter, db):
    from app.shifts.models import CalendarFeed

    dialog = make_dialog(languages=("ar",), topic="Gesundheit im Alltag")
    interpreter = make_interpreter("ar")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    feed = CalendarFeed(user_id=interpreter.id)
    db.session.add(feed)
    db.session.commit()
    login(interpreter)
    page = client.get("/interpreting").get_data(as_text=True)
    assert "Gesundheit im Alltag" in page
    client.post_form("/logout")
    body = client.get(f"/calendar/{feed.token}.ics").get_data()
    uids = [str(event["UID"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    assert f"dialog-{dialog.id}@lotse" in uids


@pytest.mark.parametrize("hours_before", [23, 25])
def test_interpreters_are_reminded_once_a_day_ahead(app, db, make_dialog, make_interpreter, mailbox, hours_before):
    dialog = make_dialog(languages=("ar",), starts_in=timedelta(hours=hours_before))
    interpreter = make_interpreter("ar", locale="en")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    db.session.commit()
    with app.test_request_context():
        first = services.send_reminders()
        second = services.send_reminders()
    db.session.commit()
    if hours_before == 23:
        assert (first, second) == (1, 0)
        [message] = mailbox.to(interpreter.email)
        assert message["Subject"] == f"Reminder: {dialog.topic}"
    else:
        assert (first, second) == (0, 0)
        assert mailbox.to(interpreter.email) == []


def test_a_language_nobody_requested_cannot_be_taken(client, login, make_dialog, make_interpreter, db):
    dialog = make_dialog(languages=("ar",))
    language = language_of(dialog, "ar")
    interpreter = make_interpreter("ar")
    login(interpreter)
    page = client.get(f"/dialogs/{dialog.id}").get_data(as_text=True)
    assert f"/languages/{language.id}/accept" not in page
    response = client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept")
    assert response.status_code == 409
    assert "wurde bei Ihnen nicht angefragt" in response.get_data(as_text=True)
    # Asked personally, the same interpreter can.
    db.session.add(
        InterpreterRequest(dialog_language=language, interpreter_id=interpreter.id, status=RequestStatus.ASKED)
    )
    db.session.commit()
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language.id}/accept").status_code == 303


def test_declining_after_accepting_or_after_a_cancellation_is_refused(
    client, login, make_dialog, make_interpreter, mailbox, db
):
    from app.dialogs.models import DialogStatus

    dialog = make_dialog(languages=("ar", "fa"))
    interpreter = make_interpreter("ar", "fa")
    for language in dialog.languages:
        db.session.add(
            InterpreterRequest(dialog_language=language, interpreter_id=interpreter.id, status=RequestStatus.ASKED)
        )
    db.session.commit()
    arabic, persian = language_of(dialog, "ar"), language_of(dialog, "fa")
    login(interpreter)
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{arabic.id}/accept").status_code == 303
    mailbox.clear()
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{arabic.id}/decline").status_code == 409
    dialog.status = DialogStatus.CANCELLED
    db.session.commit()
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{persian.id}/decline").status_code == 409
    assert mailbox.messages == []


def test_an_interpreter_with_coming_assignments_cannot_switch_to_training(
    client, login, make_dialog, make_interpreter, db
):
    dialog = make_dialog(languages=("ar",))
    interpreter = make_interpreter("ar")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    db.session.commit()
    login(interpreter)
    assert client.post_form("/interpreting/training", {"in_training": "1"}).status_code == 409
    assert db.session.get(InterpreterTraining, interpreter.id) is None


def test_moderators_read_the_language_in_their_own_language(
    client, login, make_dialog, make_interpreter, make_moderator, mailbox, db
):
    lead = make_moderator(locale="de")
    dialog = make_dialog(languages=("fa",), lead=lead, open_request=True)
    interpreter = make_interpreter("fa", locale="fa")
    login(interpreter)
    assert client.post_form(f"/dialogs/{dialog.id}/languages/{language_of(dialog, 'fa').id}/accept").status_code == 303
    [message] = mailbox.to(lead.email)
    assert message["Subject"].startswith("Persisch ")


def test_moving_a_shift_onto_an_interpreting_assignment_is_refused(
    client, login, make_dialog, make_interpreter, make_circle, make_shift, make_user, db
):
    from app.shifts.services import utc_to_local

    dialog = make_dialog(languages=("ar",), starts_in=timedelta(days=4), topic="Elternabend")
    interpreter = make_interpreter("ar")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    circle = make_circle()
    shift = make_shift(circle, starts_in=timedelta(days=2))
    db.session.add(Signup(shift=shift, user=interpreter, status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(make_user(roles=[Role.STAFF]))
    start = utc_to_local(dialog.starts_at)
    response = client.post_form(
        f"/shifts/{shift.id}/edit",
        {
            "title": shift.title,
            "activity_type": str(shift.activity_type_id),
            "accommodation": str(shift.accommodation_id),
            "day": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": (start + timedelta(hours=1)).strftime("%H:%M"),
            "capacity": "2",
            "required_language": "",
            "scope": "this",
        },
    )
    assert response.status_code == 422
    assert f"{interpreter.name} ist zu dieser Zeit bereits für Elternabend eingeplant" in response.get_data(
        as_text=True
    )


def test_requests_at_a_time_the_interpreter_is_booked_are_not_listed(
    client, login, make_dialog, make_interpreter, make_circle, make_shift, db
):
    busy = make_dialog(languages=("ar",), starts_in=timedelta(days=3), topic="Zur selben Zeit", open_request=True)
    make_dialog(languages=("ar",), starts_in=timedelta(days=5), topic="Zu anderer Zeit", open_request=True)
    interpreter = make_interpreter("ar")
    shift = make_shift(make_circle(), starts_in=timedelta(days=3, hours=1))
    db.session.add(Signup(shift=shift, user=interpreter, status=SignupStatus.CONFIRMED))
    db.session.commit()
    login(interpreter)
    page = client.get("/interpreting").get_data(as_text=True)
    assert "Zu anderer Zeit" in page
    assert busy.topic not in page


def test_the_dialog_list_shows_each_languages_coverage(client, login, make_dialog, make_interpreter, db):
    """The list reads whether an interpreter was asked with the languages, not the requests themselves: a request
    still waiting counts, a declined one does not."""
    dialog = make_dialog(languages=("ar", "fa", "uk", "tr"))
    asked, declined, taker = make_interpreter("ar"), make_interpreter("fa"), make_interpreter("uk")
    arabic, persian = language_of(dialog, "ar").id, language_of(dialog, "fa").id
    db.session.add_all(
        [
            InterpreterRequest(dialog_language_id=arabic, interpreter_id=asked.id, status=RequestStatus.ASKED),
            InterpreterRequest(dialog_language_id=persian, interpreter_id=declined.id, status=RequestStatus.DECLINED),
        ]
    )
    language_of(dialog, "uk").interpreter_id = taker.id
    db.session.commit()
    login(dialog.moderators[0].user)
    page = client.get("/dialogs").get_data(as_text=True)  # the moderator reads German
    assert "1 von 4 Sprachen abgedeckt" in page
    assert "Arabisch: Angefragt" in page
    assert "Persisch: Offen" in page
    assert "Ukrainisch: Abgedeckt" in page
    assert "Türkisch: Offen" in page
