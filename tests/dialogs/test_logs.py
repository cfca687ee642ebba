"""Session logs: validation, idempotent submit, follow-ups, the 48-hour reminder, the staff overview."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.database import local_today
from app.dialogs import services
from app.dialogs.models import FollowUp, SessionLog, Topic
from app.places.models import Accommodation, AccommodationKind, District
from tests.dialogs.conftest import local_at

KEY = "k" * 20


@pytest.fixture
def topics(db):
    services.seed_topics()
    db.session.commit()
    return {topic.name: topic for topic in db.session.scalars(select(Topic))}


def _log_form(topic_map, key=KEY, **overrides) -> dict:
    data = {
        "idempotency_key": key,
        "refugees": "18",
        "volunteers": "4",
        "staff": "1",
        "start": "17:05",
        "end": "18:50",
        "languages": ["ar", "de"],
        "other_language": "",
        "topics": [str(topic_map["Wohnen"].id)],
        "tags": "Mülltrennung, WLAN",
        "summary": "Viele Fragen zur Mülltrennung und zum WLAN in der Unterkunft.",
        "follow_ups-0-what": "Aushang zur Mülltrennung in fünf Sprachen",
        "follow_ups-0-responsible": "Heimleitung",
        "follow_ups-0-due_on": (date.today() + timedelta(days=14)).isoformat(),
    }
    data.update(overrides)
    return data


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SessionLog))


@pytest.fixture
def held(make_dialog):
    return make_dialog(languages=("ar", "fa"), starts_in=timedelta(hours=-3), hours=2)


def test_moderator_writes_the_log_after_the_dialog(client, login, held, topics, db):
    login(held.moderators[0].user)
    form = client.get(f"/dialogs/{held.id}/log")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert 'name="idempotency_key"' in page
    assert "Namen" in page, "the form says plainly: no names of refugees"
    response = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    log = db.session.scalar(select(SessionLog))
    assert (log.refugees, log.volunteers, log.staff) == (18, 4, 1)
    assert log.participants == 23
    assert log.duration_minutes == 105
    assert sorted(language.code for language in log.languages) == ["ar", "de"]
    assert [topic.name for topic in log.topics] == ["Wohnen"]
    assert sorted(tag.tag for tag in log.tags) == ["Mülltrennung", "WLAN"]
    [follow_up] = log.follow_ups
    assert (follow_up.what, follow_up.responsible) == ("Aushang zur Mülltrennung in fünf Sprachen", "Heimleitung")
    page = client.get(f"/dialogs/{held.id}").get_data(as_text=True)
    assert "Aushang zur Mülltrennung" in page


def test_the_log_model_has_no_field_for_names_of_refugees():
    columns = {column.name for column in SessionLog.__table__.columns}
    assert not {c for c in columns if "name" in c or "person" in c or "refugee_" in c}


def test_the_same_log_sent_twice_is_stored_once(client, login, held, topics, db):
    login(held.moderators[0].user)
    first = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics))
    second = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics))
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db) == 1
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_the_same_key_with_other_content_is_refused(client, login, held, topics, db):
    login(held.moderators[0].user)
    assert client.post_form(f"/dialogs/{held.id}/log", _log_form(topics)).status_code == 303
    response = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics, refugees="30"))
    assert response.status_code == 409
    assert "mit anderem Inhalt" in response.get_data(as_text=True)
    assert db.session.scalar(select(SessionLog.refugees)) == 18


def test_a_second_log_with_another_key_is_refused(client, login, held, topics, db):
    login(held.moderators[0].user)
    assert client.post_form(f"/dialogs/{held.id}/log", _log_form(topics)).status_code == 303
    response = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics, key="z" * 20))
    assert response.status_code == 409
    assert _count(db) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"refugees": "-1"}, "Geben Sie eine Zahl zwischen 0 und 1000 ein."),
        ({"staff": "zwei"}, "Keine gültige, ganze Zahl."),
        ({"staff": ""}, "Bitte geben Sie eine ganze Zahl ein (0, wenn niemand)."),
        ({"start": "18:00", "end": "17:00"}, "Das Ende muss nach dem Beginn liegen."),
        ({"summary": ""}, "Bitte schreiben Sie eine kurze Zusammenfassung."),
        ({"follow_ups-0-responsible": ""}, "Bitte geben Sie an, wer sich darum kümmert."),
        ({"follow_ups-0-due_on": "morgen"}, "Kein gültiges Datum."),
        ({"topics": ["99999"]}, "Bitte wählen Sie aus der Liste."),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "höchstens 10"),
        ({"idempotency_key": "kurz"}, "Bitte laden Sie die Seite neu"),
    ],
)
def test_bad_log_input_is_refused_with_a_translated_message(client, login, held, topics, db, overrides, message):
    login(held.moderators[0].user)
    response = client.post_form(f"/dialogs/{held.id}/log", _log_form(topics, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db) == 0


def test_no_log_before_the_dialog_or_for_a_cancelled_one(client, login, make_dialog, topics, db):
    from app.dialogs.models import DialogStatus

    future = make_dialog(starts_in=timedelta(days=1))
    cancelled = make_dialog(starts_in=timedelta(hours=-3))
    cancelled.status = DialogStatus.CANCELLED
    db.session.commit()
    login(future.moderators[0].user)
    assert client.get(f"/dialogs/{future.id}/log").status_code == 409
    assert client.post_form(f"/dialogs/{future.id}/log", _log_form(topics)).status_code == 409
    client.post_form("/logout")
    login(cancelled.moderators[0].user)
    assert client.post_form(f"/dialogs/{cancelled.id}/log", _log_form(topics)).status_code == 409
    assert _count(db) == 0


def test_follow_ups_are_marked_done_and_opened_again(client, login, held, topics, db):
    login(held.moderators[0].user)
    client.post_form(f"/dialogs/{held.id}/log", _log_form(topics))
    follow_up = db.session.scalar(select(FollowUp))
    assert client.post_form(f"/follow-ups/{follow_up.id}", {"done": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).done_at is not None
    assert client.post_form(f"/follow-ups/{follow_up.id}", {"done": "1"}).status_code == 409
    assert client.post_form(f"/follow-ups/{follow_up.id}", {"done": "0"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).done_at is None


def test_an_unlogged_dialog_is_shown_and_reminded_once_after_48_hours(
    app, client, login, make_dialog, make_moderator, mailbox, db
):
    lead, co, trainee = make_moderator(locale="en"), make_moderator(locale="en"), make_moderator(locale="en")
    overdue = make_dialog(starts_in=timedelta(hours=-51), lead=lead, co=co, trainee=trainee, topic="Überfällig")
    make_dialog(starts_in=timedelta(hours=-49), lead=lead, topic="Noch nicht fällig")
    with app.test_request_context():
        assert services.send_reminders() == 2
        assert services.send_reminders() == 0
    db.session.commit()
    for person in (lead, co):
        [message] = mailbox.to(person.email)
        assert message["Subject"] == "Please write the log: Überfällig"
        assert mailbox.path(message) == f"/dialogs/{overdue.id}/log"
    assert mailbox.to(trainee.email) == []
    login(lead)
    page = client.get("/dialogs").get_data(as_text=True)
    assert "Überfällig" in page and "Noch nicht fällig" in page
    assert page.count("Überfällig</a>") == 1


def test_the_reminder_command_reminds_of_overdue_logs(app, make_dialog, make_moderator, mailbox):
    lead = make_moderator()
    make_dialog(starts_in=timedelta(hours=-60), lead=lead)
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminders sent." in result.output
    assert len(mailbox.to(lead.email)) == 1
    assert "0 reminders sent." in app.test_cli_runner().invoke(args=["send-reminders"]).output


def test_staff_filter_all_logs_and_see_overdue_follow_ups(client, login, make_user, make_dialog, topics, db):
    other_district = District(name="Zuffenhausen")
    other_place = Accommodation(
        name="GU Zuffenhausen", district=other_district, kind=AccommodationKind.REGULAR, planned_places=80
    )
    db.session.add(other_place)
    db.session.commit()
    here = make_dialog(languages=("ar",), starts_at=local_at(-10, 10), topic="Wohnen in Cannstatt")
    there = make_dialog(
        languages=("fa",), starts_at=local_at(-40, 10), topic="Schule in Zuffenhausen", accommodation=other_place
    )
    staff = make_user(roles=[Role.STAFF])
    for dialog, language, topic, due in (
        (here, "ar", "Wohnen", local_today() + timedelta(days=5)),
        (there, "fa", "Schule und Kita", local_today() - timedelta(days=3)),
    ):
        with client.application.test_request_context():
            details = services.LogDetails(
                refugees=5,
                volunteers=2,
                staff=1,
                start=services.utc_to_local(dialog.starts_at).time(),
                end=services.utc_to_local(dialog.ends_at).time(),
                languages=[language],
                topic_ids=[topics[topic].id],
                tags=[],
                summary="Gut besucht.",
                follow_ups=[services.FollowUpDetails(f"Aufgabe {dialog.topic}", "Sozialdienst", due)],
            )
            services.write_log(staff, dialog, details, f"key-{dialog.id}-abcdefghijkl")
        db.session.commit()
    login(staff)

    def titles(query: str) -> set[str]:
        page = client.get(f"/dialogs/logs{query}").get_data(as_text=True)
        return {t for t in ("Wohnen in Cannstatt", "Schule in Zuffenhausen") if f">{t}</a>" in page}

    assert titles("") == {"Wohnen in Cannstatt", "Schule in Zuffenhausen"}
    assert titles(f"?district={other_district.id}") == {"Schule in Zuffenhausen"}
    assert titles(f"?accommodation={here.accommodation_id}") == {"Wohnen in Cannstatt"}
    assert titles(f"?topic={topics['Wohnen'].id}") == {"Wohnen in Cannstatt"}
    assert titles("?language=fa") == {"Schule in Zuffenhausen"}
    start = (local_today() - timedelta(days=20)).isoformat()
    assert titles(f"?start={start}") == {"Wohnen in Cannstatt"}
    assert titles(f"?end={start}") == {"Schule in Zuffenhausen"}
    page = client.get("/dialogs/logs").get_data(as_text=True)
    assert "Aufgabe Schule in Zuffenhausen" in page
    assert "Aufgabe Wohnen in Cannstatt" not in page, "only overdue follow-ups are listed"
    bad = client.get("/dialogs/logs?start=2026-13-01")
    assert bad.status_code == 422


def test_a_log_is_read_only_by_the_dialogs_moderators_and_staff(client, login, held, topics, make_user, db):
    login(held.moderators[0].user)
    client.post_form(f"/dialogs/{held.id}/log", _log_form(topics))
    client.post_form("/logout")
    summary = "Viele Fragen zur Mülltrennung"
    for roles, can_read in (([Role.INTERPRETER], False), ([Role.MODERATOR], False), ([Role.STAFF], True)):
        login(make_user(roles=roles))
        page = client.get(f"/dialogs/{held.id}").get_data(as_text=True)
        assert (summary in page) is can_read, roles
        client.post_form("/logout")
