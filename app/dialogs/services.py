"""Scheduling dialogs, matching interpreters, writing session logs, reminders and calendar entries.

No double booking: a person moderating or interpreting a dialog is not free for a shift or another dialog
at the same time, and the reverse. Every change to one person's bookings first locks that person's row
(as shift sign-ups do), and an interpreter takes a language with a conditional UPDATE, so that of two
interpreters accepting the same language at the same moment exactly one wins.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from icalendar import Event
from sqlalchemy import String, and_, bindparam, exists, literal, null, or_, select, text, true, union_all, update
from sqlalchemy.orm import contains_eager, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import Role, RoleGrant, User, UserLanguage
from app.database import utcnow
from app.dialogs.models import (
    ASKED_INTERPRETER,
    LOG_DUE_AFTER,
    Dialog,
    DialogLanguage,
    DialogModerator,
    DialogRow,
    DialogStatus,
    FollowUp,
    InterpreterRequest,
    InterpreterTraining,
    LanguageRow,
    ModeratorRole,
    RequestStatus,
    SessionLog,
    SessionLogLanguage,
    SessionLogTag,
    Topic,
    TopicName,
    session_log_topics,
)
from app.errors import DomainError
from app.extensions import db
from app.i18n import language_name
from app.mail import queue_mail
from app.names import save_names
from app.places.models import Accommodation
from app.shifts.models import Shift, ShiftStatus, Signup, SignupStatus, place_line
from app.shifts.services import WORKING_LEVELS, Eligibility, calendar_for, local_to_utc, lock_user, utc_to_local
from app.views import public_url

MAX_DIALOG_HOURS = 12
# Whose dialogs a list shows: the person's own, or everyone's.
Scope = Literal["mine", "all"]

DEFAULT_TOPICS = {
    # German name: translations
    "Wohnen": {"en": "Housing", "ar": "السكن", "fa": "مسکن", "uk": "Житло", "tr": "Barınma"},
    "Schule und Kita": {
        "en": "School and daycare",
        "ar": "المدرسة والحضانة",
        "fa": "مدرسه و مهدکودک",
        "uk": "Школа і дитсадок",
        "tr": "Okul ve kreş",
    },
    "Arbeit und Ausbildung": {
        "en": "Work and training",
        "ar": "العمل والتدريب المهني",
        "fa": "کار و آموزش حرفه‌ای",
        "uk": "Робота і навчання",
        "tr": "İş ve meslek eğitimi",
    },
    "Gesundheit": {"en": "Health", "ar": "الصحة", "fa": "سلامت", "uk": "Здоровʼя", "tr": "Sağlık"},
    "Zusammenleben in der Unterkunft": {
        "en": "Living together in the accommodation",
        "ar": "العيش المشترك في السكن",
        "fa": "زندگی مشترک در محل اقامت",
        "uk": "Спільне життя в гуртожитку",
        "tr": "Konaklama yerinde birlikte yaşam",
    },
    "Behörden und Aufenthalt": {
        "en": "Authorities and residence",
        "ar": "الدوائر الرسمية والإقامة",
        "fa": "ادارات و اقامت",
        "uk": "Установи та перебування",
        "tr": "Resmi daireler ve oturum",
    },
    "Deutsch lernen": {
        "en": "Learning German",
        "ar": "تعلم اللغة الألمانية",
        "fa": "یادگیری زبان آلمانی",
        "uk": "Вивчення німецької",
        "tr": "Almanca öğrenmek",
    },
    "Freizeit und Nachbarschaft": {
        "en": "Leisure and neighbourhood",
        "ar": "أوقات الفراغ والجوار",
        "fa": "اوقات فراغت و همسایگی",
        "uk": "Дозвілля і сусідство",
        "tr": "Boş zaman ve komşuluk",
    },
}


def seed_topics() -> int:
    """Add the usual dialog topics that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(Topic.name)))
    added = 0
    for name, translations in DEFAULT_TOPICS.items():
        if name in existing:
            continue
        topic = Topic(name=name)
        topic.names = [TopicName(locale=code, name=text) for code, text in translations.items()]
        db.session.add(topic)
        added += 1
    db.session.flush()
    return added


def save_topic(by: User, names: dict[str, str], topic: Topic | None = None) -> Topic:
    """Create or rename a topic; the German name is required and unique."""

    def taken(name: str) -> str:
        return _("A topic named %(name)s already exists.", name=name)

    return save_names(Topic, TopicName, names, topic, taken)


# --- people and locks --------------------------------------------------------------------------------------


def lock_dialog(dialog: Dialog) -> None:
    """Take the dialog's row lock for the rest of the transaction and re-read it."""
    db.session.execute(
        update(Dialog)
        .where(Dialog.id == dialog.id)
        .values(version=Dialog.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(dialog)
    # Also re-read what hangs off the dialog: a request that waited for the lock must see the committed seats.
    db.session.scalars(
        select(DialogLanguage).where(DialogLanguage.dialog_id == dialog.id).execution_options(populate_existing=True)
    ).all()
    db.session.scalars(
        select(DialogModerator).where(DialogModerator.dialog_id == dialog.id).execution_options(populate_existing=True)
    ).all()
    db.session.expire(dialog, ["languages", "moderators"])


def is_in_training(user: User) -> bool:
    return db.session.get(InterpreterTraining, user.id) is not None


def set_training(user: User, in_training: bool) -> None:
    """An interpreter marks themselves in training (they shadow) or experienced (they interpret)."""
    lock_user(user)
    if in_training and any(language.interpreter_id == user.id for language in assignments_of(user)):
        raise DomainError(
            _("You interpret in coming dialogs. Please withdraw from them first, or stay marked as experienced.")
        )
    current = db.session.get(InterpreterTraining, user.id)
    if in_training and current is None:
        db.session.add(InterpreterTraining(user_id=user.id))
    elif not in_training and current is not None:
        db.session.delete(current)
    db.session.flush()


def moderators() -> list[User]:
    """Everyone who can moderate a dialog, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_enabled.is_(True))
            .where(exists().where(RoleGrant.user_id == User.id, RoleGrant.role == Role.MODERATOR))
            .order_by(User.name)
        )
    )


def _overlapping(starts_col, ends_col, starts: datetime, ends: datetime):
    return and_(starts_col < ends, ends_col > starts)


def eligible_interpreters(language: DialogLanguage, shadow: bool = False) -> list[User]:
    """Who can take the language: interpreters who speak it at a working level, active, free at that time.

    `shadow` lists interpreters in training (who shadow) instead of those who interpret.
    """
    dialog = language.dialog
    now = utcnow()
    busy_in_shift = (
        exists()
        .where(Signup.user_id == User.id, Signup.status != SignupStatus.CANCELLED)
        .where(Shift.id == Signup.shift_id, Shift.status == ShiftStatus.SCHEDULED, Shift.ends_at > now)
        .where(_overlapping(Shift.starts_at, Shift.ends_at, dialog.starts_at, dialog.ends_at))
    )
    busy_interpreting = (
        exists()
        .where(or_(DialogLanguage.interpreter_id == User.id, DialogLanguage.shadow_id == User.id))
        .where(DialogLanguage.id != language.id)
        .where(Dialog.id == DialogLanguage.dialog_id, Dialog.status == DialogStatus.PLANNED)
        .where(_overlapping(Dialog.starts_at, Dialog.ends_at, dialog.starts_at, dialog.ends_at))
    )
    busy_moderating = (
        exists()
        .where(DialogModerator.user_id == User.id)
        .where(Dialog.id == DialogModerator.dialog_id, Dialog.status == DialogStatus.PLANNED)
        .where(_overlapping(Dialog.starts_at, Dialog.ends_at, dialog.starts_at, dialog.ends_at))
    )
    in_training = exists().where(InterpreterTraining.user_id == User.id)
    speaks = exists().where(
        UserLanguage.user_id == User.id, UserLanguage.code == language.code, UserLanguage.level.in_(WORKING_LEVELS)
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_enabled.is_(True))
            .where(exists().where(RoleGrant.user_id == User.id, RoleGrant.role == Role.INTERPRETER))
            .where(speaks, ~busy_in_shift, ~busy_interpreting, ~busy_moderating)
            .where(in_training if shadow else ~in_training)
            .order_by(User.name)
        )
    )


def is_requested_from(user: User, language: DialogLanguage) -> bool:
    """The language was posted openly, or this interpreter was asked for it."""
    return language.open_since is not None or any(
        r.interpreter_id == user.id and r.status is RequestStatus.ASKED for r in language.requests
    )


def interpreter_obstacle(
    user: User, language: DialogLanguage, shadow: bool = False, eligibility: Eligibility | None = None
) -> str | None:
    """Why the user can't take this language of the dialog (or shadow it), as a message; None when nothing stands
    in the way."""
    dialog = language.dialog
    name = language_name(language.code)
    if dialog.is_cancelled:
        return _("This dialog has been cancelled.")
    if dialog.has_started():
        return _("This dialog has already started.")
    if not user.is_enabled:
        return _("This account is disabled.")
    if not user.has_role(Role.INTERPRETER):
        return _("Only interpreters can take a language.")
    if user.id in {language.interpreter_id, language.shadow_id}:
        return _("You have already taken %(language)s.", language=name)
    if shadow and language.shadow_id is not None:
        return _("Another interpreter in training is already shadowing %(language)s.", language=name)
    if not shadow and language.interpreter_id is not None:
        return _("Another interpreter has already taken %(language)s.", language=name)
    eligibility = eligibility or Eligibility.of(user)
    if language.code not in eligibility.languages:
        return _("This needs someone who speaks %(language)s at a working level.", language=name)
    clash = eligibility.clash_with(dialog.starts_at, dialog.ends_at)
    if clash is not None:
        return _("You are already booked for %(title)s at that time.", title=clash)
    if not is_requested_from(user, language):
        return _("%(language)s has not been requested from you.", language=name)
    return None


# --- scheduling --------------------------------------------------------------------------------------------


@dataclass
class DialogDetails:
    """What a moderator fills in for a dialog."""

    accommodation: Accommodation
    day: date
    start: time
    end: time
    topic: str
    languages: list[str]
    lead_id: int
    co_id: int | None = None
    trainee_id: int | None = None
    expected_participants: int | None = None

    def times(self) -> tuple[datetime, datetime]:
        return (
            local_to_utc(datetime.combine(self.day, self.start)),
            local_to_utc(datetime.combine(self.day, self.end)),
        )

    def team(self) -> dict[int, ModeratorRole]:
        team = {self.lead_id: ModeratorRole.LEAD}
        for user_id, role in ((self.co_id, ModeratorRole.CO), (self.trainee_id, ModeratorRole.TRAINEE)):
            if user_id is None:
                continue
            if user_id in team:
                raise DomainError(_("Each person can have only one place in the team."), 422, "co_moderator")
            team[user_id] = role
        return team

    def check(self) -> None:
        starts, ends = self.times()
        if ends <= starts:
            raise DomainError(_("The end must be after the start."), 422, "end")
        if ends - starts > timedelta(hours=MAX_DIALOG_HOURS):
            raise DomainError(_("A dialog can last at most %(hours)d hours.", hours=MAX_DIALOG_HOURS), 422, "end")
        if starts <= utcnow():
            raise DomainError(_("The dialog would start in the past."), 422, "day")
        if not self.languages:
            raise DomainError(_("Choose at least one language."), 422, "languages")
        eligible = {user.id for user in moderators()}
        for user_id in self.team():
            if user_id not in eligible:
                raise DomainError(_("Choose moderators from the list."), 422, "lead_moderator")


def _check_free(user: User, starts: datetime, ends: datetime, dialog: Dialog | None) -> None:
    clash = Eligibility.of(user).clash_with(starts, ends, exclude=("dialog", dialog.id) if dialog else None)
    if clash is not None:
        raise DomainError(
            _("%(name)s is already booked for %(title)s at that time.", name=user.name, title=clash), 409, "day"
        )


def create_dialog(by: User, details: DialogDetails) -> Dialog:
    """Schedule a dialog; its moderators must be free at that time."""
    details.check()
    starts, ends = details.times()
    dialog = Dialog(
        accommodation=details.accommodation,
        starts_at=starts,
        ends_at=ends,
        topic=details.topic.strip(),
        expected_participants=details.expected_participants,
        created_by_id=by.id,
    )
    for user_id, role in sorted(details.team().items()):
        person = db.session.get(User, user_id)
        lock_user(person)
        _check_free(person, starts, ends, None)
        dialog.moderators.append(DialogModerator(user_id=user_id, role=role))
    dialog.languages = [DialogLanguage(code=code) for code in dict.fromkeys(details.languages)]
    db.session.add(dialog)
    db.session.flush()
    _tell_new_team_members(by, dialog, set(details.team()))
    return dialog


def _tell_new_team_members(by: User, dialog: Dialog, user_ids: set[int]) -> None:
    """Whoever was put in the team by someone else learns of it, with the calendar entry."""
    for moderator in dialog.moderators:
        if moderator.user_id in user_ids and moderator.user_id != by.id:
            person = db.session.get(User, moderator.user_id)
            if person.is_enabled:
                _mail(
                    person,
                    dialog,
                    _l("Dialog team: %(topic)s", topic=dialog.topic),
                    "dialogs/mail/team.txt",
                    role=moderator.role,
                    calendar=True,
                )


def update_dialog(by: User, dialog: Dialog, details: DialogDetails) -> Dialog:
    """Change a dialog. Everyone booked must still be free at the new time; who is dropped is told."""
    lock_dialog(dialog)
    dialog.check_can_change()
    details.check()
    starts, ends = details.times()
    before = (dialog.starts_at, dialog.ends_at, dialog.accommodation_id)
    team = details.team()
    booked = {m.user_id for m in dialog.moderators}
    booked |= {lang.interpreter_id for lang in dialog.languages if lang.code in details.languages}
    booked |= {lang.shadow_id for lang in dialog.languages if lang.code in details.languages}
    booked |= set(team)
    booked.discard(None)
    if (starts, ends) != before[:2]:
        for user_id in sorted(booked):
            person = db.session.get(User, user_id)
            lock_user(person)
            _check_free(person, starts, ends, dialog)
    else:
        for user_id in sorted(set(team) - {m.user_id for m in dialog.moderators}):
            person = db.session.get(User, user_id)
            lock_user(person)
            _check_free(person, starts, ends, dialog)

    dropped: list[tuple[User, str]] = []
    for moderator in list(dialog.moderators):
        if moderator.user_id not in team:
            dropped.append((moderator.user, ""))
            dialog.moderators.remove(moderator)
    by_user = {m.user_id: m for m in dialog.moderators}
    added = set(team) - set(by_user)
    for user_id, role in team.items():
        if user_id in by_user:
            by_user[user_id].role = role
        else:
            dialog.moderators.append(DialogModerator(user_id=user_id, role=role))
    wanted = list(dict.fromkeys(details.languages))
    for language in list(dialog.languages):
        if language.code not in wanted:
            for person in (language.interpreter, language.shadow):
                if person is not None:
                    dropped.append((person, language.code))
            dialog.languages.remove(language)
    have = {language.code for language in dialog.languages}
    dialog.languages.extend(DialogLanguage(code=code) for code in wanted if code not in have)

    dialog.accommodation = details.accommodation
    dialog.starts_at, dialog.ends_at = starts, ends
    dialog.topic = details.topic.strip()
    dialog.expected_participants = details.expected_participants
    if (starts, ends) != before[:2]:
        db.session.execute(
            update(DialogLanguage)
            .where(DialogLanguage.dialog_id == dialog.id)
            .values(reminder_sent_at=None, shadow_reminder_sent_at=None)
            .execution_options(synchronize_session="fetch")
        )
    db.session.flush()
    for person, code in dropped:
        _mail(
            person,
            dialog,
            _l("No longer needed: %(topic)s", topic=dialog.topic),
            "dialogs/mail/released.txt",
            language=code,
            calendar=True,
            released=True,
        )
    _tell_new_team_members(by, dialog, added)
    if (starts, ends, dialog.accommodation_id) != before:
        for person in _booked_or_asked(dialog):
            if person.id in added:
                continue
            _mail(
                person, dialog, _l("Changed: %(topic)s", topic=dialog.topic), "dialogs/mail/changed.txt", calendar=True
            )
    return dialog


def _booked_or_asked(dialog: Dialog) -> list[User]:
    """Everyone booked, and the interpreters asked for a still uncovered language who have not answered, once."""
    people = {person.id: person for person in booked_people(dialog)}
    for language in dialog.languages:
        if language.interpreter_id is not None:
            continue
        for request in language.requests:
            if request.status is RequestStatus.ASKED and request.interpreter.is_enabled:
                people.setdefault(request.interpreter_id, request.interpreter)
    return list(people.values())


def booked_people(dialog: Dialog) -> list[User]:
    """Moderators, interpreters and shadows of the dialog, each once."""
    people: dict[int, User] = {}
    for moderator in dialog.moderators:
        people[moderator.user_id] = moderator.user
    for language in dialog.languages:
        for person in (language.interpreter, language.shadow):
            if person is not None:
                people[person.id] = person
    return [person for person in people.values() if person.is_enabled]


def cancel_dialog(by: User, dialog: Dialog, reason: str) -> list[User]:
    """Call the dialog off; everyone booked, and every interpreter still asked, is told."""
    lock_dialog(dialog)
    dialog.cancel(reason.strip())
    told = _booked_or_asked(dialog)
    for person in told:
        _mail(
            person, dialog, _l("Cancelled: %(topic)s", topic=dialog.topic), "dialogs/mail/cancelled.txt", calendar=True
        )
    db.session.flush()
    return told


# --- interpreter requests ----------------------------------------------------------------------------------


def ask_interpreters(by: User, language: DialogLanguage, interpreter_ids: list[int]) -> int:
    """Ask specific eligible interpreters (each is mailed); returns how many were newly asked."""
    dialog = language.dialog
    lock_dialog(dialog)
    dialog.check_can_change()
    if language.interpreter_id is not None:
        raise DomainError(_("%(language)s is already covered.", language=language_name(language.code)))
    eligible = {user.id: user for user in eligible_interpreters(language)}
    eligible |= {user.id: user for user in eligible_interpreters(language, shadow=True)}
    if not interpreter_ids:
        raise DomainError(_("Choose at least one interpreter."), 422, "interpreters")
    if any(user_id not in eligible for user_id in interpreter_ids):
        raise DomainError(_("Choose interpreters from the list of those who are free."), 422, "interpreters")
    existing = {request.interpreter_id: request for request in language.requests}
    asked = 0
    for user_id in dict.fromkeys(interpreter_ids):
        request = existing.get(user_id)
        if request is not None and request.status is RequestStatus.ASKED:
            continue
        if request is None:
            request = InterpreterRequest(dialog_language=language, interpreter_id=user_id)
            db.session.add(request)
        request.status = RequestStatus.ASKED
        request.asked_by_id = by.id
        request.created_at = utcnow()
        request.answered_at = None
        person = eligible[user_id]
        _mail(
            person,
            dialog,
            _l("Can you interpret? %(topic)s", topic=dialog.topic),
            "dialogs/mail/asked.txt",
            language=language.code,
            link=public_url("dialogs.interpreting"),
        )
        asked += 1
    db.session.flush()
    return asked


def post_open_request(by: User, language: DialogLanguage) -> None:
    """Show the language to every eligible interpreter in their list of open requests."""
    dialog = language.dialog
    lock_dialog(dialog)
    dialog.check_can_change()
    if language.interpreter_id is not None:
        raise DomainError(_("%(language)s is already covered.", language=language_name(language.code)))
    if language.open_since is None:
        language.open_since = utcnow()
    db.session.flush()


def accept(user: User, language: DialogLanguage) -> DialogLanguage:
    """Take a language of a dialog: an interpreter in training shadows, anyone else interprets.

    The person's row lock keeps their own bookings from overlapping; the conditional UPDATE lets exactly
    one of several interpreters take the language.
    """
    lock_dialog(language.dialog)  # the dialog, then the person: the order every writer keeps
    lock_user(user)
    db.session.refresh(language)
    shadow = is_in_training(user)
    obstacle = interpreter_obstacle(user, language, shadow)
    if obstacle:
        raise DomainError(obstacle)
    seat = DialogLanguage.shadow_id if shadow else DialogLanguage.interpreter_id
    values = {"shadow_id": user.id} if shadow else {"interpreter_id": user.id, "accepted_at": utcnow()}
    taken = db.session.execute(
        update(DialogLanguage)
        .where(DialogLanguage.id == language.id, seat.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        name = language_name(language.code)
        raise DomainError(
            _("Another interpreter in training is already shadowing %(language)s.", language=name)
            if shadow
            else _("Another interpreter has already taken %(language)s.", language=name)
        )
    db.session.refresh(language)
    for request in language.requests:
        if request.interpreter_id == user.id:
            request.answered_at = utcnow()
    db.session.flush()
    dialog = language.dialog
    subject = (
        _l("You shadow: %(topic)s", topic=dialog.topic)
        if shadow
        else _l("You interpret: %(topic)s", topic=dialog.topic)
    )
    _mail(user, dialog, subject, "dialogs/mail/assigned.txt", language=language.code, shadow=shadow, calendar=True)
    # The language's name in each moderator's own language: resolved when their mail is rendered.
    language_label = LazyString(language_name, language.code)
    for moderator in _leads(dialog):
        _mail(
            moderator,
            dialog,
            _l("%(language)s covered: %(topic)s", language=language_label, topic=dialog.topic),
            "dialogs/mail/covered.txt",
            language=language.code,
            interpreter=user,
            shadow=shadow,
        )
    return language


def decline(user: User, language: DialogLanguage) -> None:
    """Turn down a request (asked or open); it leaves the interpreter's list and the moderators know."""
    lock_dialog(language.dialog)
    lock_user(user)
    db.session.refresh(language)
    dialog = language.dialog
    request = next((r for r in language.requests if r.interpreter_id == user.id), None)
    asked = request is not None and request.status is RequestStatus.ASKED
    taken = user.id in (language.interpreter_id, language.shadow_id)
    if dialog.is_cancelled or dialog.has_started() or taken:
        raise DomainError(_("There is no open request for you."))
    if not asked and (language.open_since is None or request is not None or not _speaks(user, language.code)):
        raise DomainError(_("There is no open request for you."))
    if request is None:
        request = InterpreterRequest(dialog_language=language, interpreter_id=user.id)
        db.session.add(request)
    request.status = RequestStatus.DECLINED
    request.answered_at = utcnow()
    db.session.flush()
    if asked:
        for moderator in _leads(language.dialog):
            _mail(
                moderator,
                language.dialog,
                _l("Declined: %(topic)s", topic=language.dialog.topic),
                "dialogs/mail/declined.txt",
                language=language.code,
                interpreter=user,
            )


def withdraw(user: User, language: DialogLanguage) -> None:
    """Give a taken language back before the dialog; it is open again and the moderators are told."""
    lock_dialog(language.dialog)
    lock_user(user)
    db.session.refresh(language)
    dialog = language.dialog
    if dialog.has_started():
        raise DomainError(_("The dialog has already started; please tell the moderator directly."))
    if language.interpreter_id == user.id:
        values = {"interpreter_id": None, "accepted_at": None, "reminder_sent_at": None}
        seat = DialogLanguage.interpreter_id
    elif language.shadow_id == user.id:
        values = {"shadow_id": None, "shadow_reminder_sent_at": None}
        seat = DialogLanguage.shadow_id
    else:
        raise DomainError(_("You have not taken this language."))
    db.session.execute(
        update(DialogLanguage)
        .where(DialogLanguage.id == language.id, seat == user.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(language)
    for request in language.requests:
        if request.interpreter_id == user.id:
            request.status = RequestStatus.WITHDRAWN
    db.session.flush()
    if not dialog.is_cancelled:
        for moderator in _leads(dialog):
            _mail(
                moderator,
                dialog,
                _l("Interpreter withdrew: %(topic)s", topic=dialog.topic),
                "dialogs/mail/withdrawn.txt",
                language=language.code,
                interpreter=user,
            )


def open_requests_for(user: User) -> list[tuple[DialogLanguage, bool]]:
    """Uncovered languages the user could take, soonest first, as (language, asked personally); none at a time
    the user is booked elsewhere."""
    now = utcnow()
    shadow = is_in_training(user)
    seat = DialogLanguage.shadow_id if shadow else DialogLanguage.interpreter_id
    codes = select(UserLanguage.code).where(UserLanguage.user_id == user.id, UserLanguage.level.in_(WORKING_LEVELS))
    asked_me = exists().where(
        InterpreterRequest.dialog_language_id == DialogLanguage.id,
        InterpreterRequest.interpreter_id == user.id,
        InterpreterRequest.status == RequestStatus.ASKED,
    )
    answered = exists().where(
        InterpreterRequest.dialog_language_id == DialogLanguage.id,
        InterpreterRequest.interpreter_id == user.id,
        InterpreterRequest.status != RequestStatus.ASKED,
    )
    rows = db.session.execute(
        select(DialogLanguage, asked_me)
        .join(Dialog, Dialog.id == DialogLanguage.dialog_id)
        .options(contains_eager(DialogLanguage.dialog))
        .where(Dialog.status == DialogStatus.PLANNED, Dialog.starts_at > now)
        .where(seat.is_(None), DialogLanguage.interpreter_id.is_distinct_from(user.id))
        .where(DialogLanguage.code.in_(codes))
        .where(or_(asked_me, and_(DialogLanguage.open_since.is_not(None), ~answered)))
        .order_by(Dialog.starts_at, DialogLanguage.id)
        .limit(100)
    ).all()
    # A request at a time the interpreter is booked elsewhere would only be refused: leave it out.
    eligibility = Eligibility.of(user)
    return [
        (language, bool(asked))
        for language, asked in rows
        if eligibility.clash_with(language.dialog.starts_at, language.dialog.ends_at) is None
    ]


def assignments_of(user: User, upcoming: bool = True) -> list[DialogLanguage]:
    """Languages the user interprets (or shadows) in planned dialogs, upcoming soonest first."""
    query = (
        select(DialogLanguage)
        .join(Dialog, Dialog.id == DialogLanguage.dialog_id)
        .options(contains_eager(DialogLanguage.dialog))
        .where(or_(DialogLanguage.interpreter_id == user.id, DialogLanguage.shadow_id == user.id))
        .where(Dialog.status == DialogStatus.PLANNED)
    )
    if upcoming:
        return list(db.session.scalars(query.where(Dialog.ends_at > utcnow()).order_by(Dialog.starts_at)))
    return list(db.session.scalars(query.where(Dialog.ends_at <= utcnow()).order_by(Dialog.starts_at.desc())))


# --- session logs ------------------------------------------------------------------------------------------


@dataclass
class FollowUpDetails:
    what: str
    responsible: str
    due_on: date


@dataclass
class LogDetails:
    """What the moderator writes after the dialog. There is no field for names of refugees, on purpose."""

    refugees: int
    volunteers: int
    staff: int
    start: time
    end: time
    languages: list[str]
    topic_ids: list[int]
    tags: list[str]
    summary: str
    follow_ups: list[FollowUpDetails] = field(default_factory=list)

    def digest(self) -> str:
        """A fingerprint of the content: the same submission sent again has the same one."""
        payload = {
            "counts": [self.refugees, self.volunteers, self.staff],
            "times": [self.start.strftime("%H:%M"), self.end.strftime("%H:%M")],
            "languages": sorted(set(self.languages)),
            "topics": sorted(set(self.topic_ids)),
            "tags": sorted({tag.casefold() for tag in self.tags}),
            "summary": self.summary.strip(),
            "follow_ups": [[f.what.strip(), f.responsible.strip(), f.due_on.isoformat()] for f in self.follow_ups],
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def write_log(by: User, dialog: Dialog, details: LogDetails, key: str) -> tuple[SessionLog, bool]:
    """Store the dialog's log once per idempotency key; returns (log, newly stored).

    The same key with the same content returns the stored log; with other content it is refused (409).
    """
    lock_dialog(dialog)
    digest = details.digest()
    existing = db.session.scalar(select(SessionLog).where(SessionLog.idempotency_key == key))
    if existing is not None:
        if existing.dialog_id != dialog.id or existing.payload_digest != digest:
            raise DomainError(
                _("This log was already sent with different content. Please reload the page to see what was saved."),
                409,
            )
        return existing, False
    if dialog.is_cancelled:
        raise DomainError(_("The dialog was cancelled: there is nothing to log."), 409)
    if not dialog.has_started():
        raise DomainError(_("The log can be written once the dialog has started."), 409)
    if dialog.log is not None:
        raise DomainError(_("This dialog already has a log."), 409)
    day = utc_to_local(dialog.starts_at).date()
    started = local_to_utc(datetime.combine(day, details.start))
    ended = local_to_utc(datetime.combine(day, details.end))
    if ended <= started:
        raise DomainError(_("The end must be after the start."), 422, "end")
    if min(details.refugees, details.volunteers, details.staff) < 0:
        raise DomainError(_("Counts can't be negative."), 422, "refugees")
    known_topics = {topic.id: topic for topic in db.session.scalars(select(Topic))}
    if any(topic_id not in known_topics for topic_id in details.topic_ids):
        raise DomainError(_("Please choose from the list."), 422, "topics")
    log = SessionLog(
        dialog=dialog,
        idempotency_key=key,
        payload_digest=digest,
        refugees=details.refugees,
        volunteers=details.volunteers,
        staff=details.staff,
        started_at=started,
        ended_at=ended,
        summary=details.summary.strip(),
        written_by_id=by.id,
    )
    log.languages = [SessionLogLanguage(code=code) for code in dict.fromkeys(details.languages)]
    log.topics = [known_topics[topic_id] for topic_id in dict.fromkeys(details.topic_ids)]
    tags: dict[str, str] = {}
    for tag in details.tags:
        tags.setdefault(tag.strip().casefold(), tag.strip())
    log.tags = [SessionLogTag(tag=tag) for tag in tags.values() if tag]
    log.follow_ups = [
        FollowUp(what=f.what.strip(), responsible=f.responsible.strip(), due_on=f.due_on) for f in details.follow_ups
    ]
    db.session.add(log)
    db.session.flush()
    return log, True


# Held dialogs without a log, the latest first: by their start, which the start-time index reads backwards and
# stops at the first few, where ordering by the end read and sorted every dialog of the city's past.
UNLOGGED_ORDER = (Dialog.starts_at.desc(), Dialog.id.desc())


def _unlogged_conditions(own_only: bool, unreminded_only: bool) -> list:
    """What makes a dialog held and without a log (parameter `cutoff`, the end's latest moment), for the mapped
    dialogs and for the dialog list's rows alike; narrowed to the moderator's own (`user_id`) or to the unreminded.
    Both take the latest first (`UNLOGGED_ORDER`)."""
    conditions = [
        Dialog.status == DialogStatus.PLANNED,
        Dialog.ends_at <= bindparam("cutoff"),
        # Implied, as a dialog ends after it starts: it lets the start-time index skip the dialogs to come.
        Dialog.starts_at < bindparam("cutoff"),
        ~exists().where(SessionLog.dialog_id == Dialog.id),
    ]
    if unreminded_only:
        conditions.append(Dialog.log_reminder_sent_at.is_(None))
    if own_only:
        conditions.append(
            exists().where(
                DialogModerator.dialog_id == Dialog.id,
                DialogModerator.user_id == bindparam("user_id"),
                DialogModerator.role != ModeratorRole.TRAINEE,
            )
        )
    return conditions


@cache
def _unlogged_statement(own_only: bool, unreminded_only: bool):
    """Built once for each kind of list: building the statement costs more than running it."""
    return (
        select(Dialog)
        .options(lazyload(Dialog.log))
        .where(*_unlogged_conditions(own_only, unreminded_only))
        .order_by(*UNLOGGED_ORDER)
    )


def unlogged_dialogs(
    user: User | None,
    now: datetime | None = None,
    overdue_only: bool = False,
    unreminded_only: bool = False,
    limit: int = 100,
) -> list[Dialog]:
    """Held dialogs without a log, the latest first: the user's own, or all of them for staff (user None);
    the latest `limit` of them, or every one not yet reminded of."""
    now = now or utcnow()
    query = _unlogged_statement(user is not None, unreminded_only)
    if not unreminded_only:  # the reminder run reads every unreminded one; the lists show the latest few
        query = query.limit(limit)
    params = {"cutoff": now - LOG_DUE_AFTER if overdue_only else now, "user_id": user.id if user else None}
    dialogs = list(db.session.scalars(query, params))
    for dialog in dialogs:
        set_committed_value(dialog, "log", None)  # none has one, as the query asked: no query needs to say so
    return dialogs


def mark_follow_up(by: User, follow_up: FollowUp, done: bool) -> None:
    follow_up.mark(by, done)
    db.session.flush()


# --- reminders ---------------------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None, ahead: timedelta = timedelta(hours=24)) -> int:
    """Remind interpreters of dialogs in the next 24 h, and moderators of logs 48 h overdue; each once.

    Each reminder is claimed with a conditional UPDATE, so several instances never send the same one twice.
    """
    now = now or utcnow()
    sent = 0
    for seat, stamp in (
        (DialogLanguage.interpreter_id, DialogLanguage.reminder_sent_at),
        (DialogLanguage.shadow_id, DialogLanguage.shadow_reminder_sent_at),
    ):
        candidates = db.session.scalars(
            select(DialogLanguage.id)
            .join(Dialog, Dialog.id == DialogLanguage.dialog_id)
            .where(seat.is_not(None), stamp.is_(None))
            .where(Dialog.status == DialogStatus.PLANNED, Dialog.starts_at > now, Dialog.starts_at <= now + ahead)
        ).all()
        for language_id in candidates:
            claimed = db.session.execute(
                update(DialogLanguage)
                .where(DialogLanguage.id == language_id, stamp.is_(None))
                .values({stamp.key: now})
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed:
                language = db.session.get(DialogLanguage, language_id)
                person = language.shadow if seat is DialogLanguage.shadow_id else language.interpreter
                if person is not None and person.is_enabled:
                    _mail(
                        person,
                        language.dialog,
                        _l("Reminder: %(topic)s", topic=language.dialog.topic),
                        "dialogs/mail/reminder.txt",
                        language=language.code,
                        shadow=seat is DialogLanguage.shadow_id,
                    )
                    sent += 1
            db.session.commit()
    for dialog in unlogged_dialogs(None, now, overdue_only=True, unreminded_only=True):
        claimed = db.session.execute(
            update(Dialog)
            .where(Dialog.id == dialog.id, Dialog.log_reminder_sent_at.is_(None))
            .values(log_reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            for moderator in _leads(dialog):
                _mail(
                    moderator,
                    dialog,
                    _l("Please write the log: %(topic)s", topic=dialog.topic),
                    "dialogs/mail/log_due.txt",
                    link=public_url("dialogs.log", dialog_id=dialog.id),
                )
                sent += 1
        db.session.commit()
    return sent


# --- the dialog list --------------------------------------------------------------------------------------


class DialogList(NamedTuple):
    """What the dialog list shows: dialogs to come with their languages, and held ones without a log."""

    upcoming: list[DialogRow]
    unlogged: list[DialogRow]


# What the list reads of a dialog, besides its accommodation's name and address (`_list_row`).
_LIST_COLUMNS = (
    Dialog.id,
    Dialog.topic,
    Dialog.starts_at,
    Dialog.ends_at,
    (Dialog.status == DialogStatus.CANCELLED).label("cancelled"),
    Dialog.accommodation_id,
)


def _upcoming_page(own_only: bool):
    """Dialogs not yet over, soonest first, the first `limit` of them (the user's own: `user_id`)."""
    user_id = bindparam("user_id")
    wanted = [
        Dialog.ends_at > bindparam("cutoff"),
        # No dialog lasts longer than that: the bound lets the start-time index skip the city's past dialogs.
        Dialog.starts_at > bindparam("since"),
    ]
    if own_only:
        wanted.append(
            or_(
                exists().where(DialogModerator.dialog_id == Dialog.id, DialogModerator.user_id == user_id),
                exists().where(
                    DialogLanguage.dialog_id == Dialog.id,
                    or_(DialogLanguage.interpreter_id == user_id, DialogLanguage.shadow_id == user_id),
                ),
            )
        )
    return (
        select(*_LIST_COLUMNS)
        .where(*wanted)
        .order_by(Dialog.starts_at, Dialog.id)
        .limit(bindparam("limit"))
        .subquery("upcoming")
    )


def _unlogged_page(own_only: bool):
    """Held dialogs without a log, the latest `unlogged_limit` of them (the moderator's own: `user_id`)."""
    return (
        select(*_LIST_COLUMNS)
        .where(*_unlogged_conditions(own_only, False))
        .order_by(*UNLOGGED_ORDER)
        .limit(bindparam("unlogged_limit"))
        .subquery("unlogged")
    )


@cache
def _dialog_list_statement(own_upcoming: bool, unlogged: Scope | None, lateral: bool):
    """The dialogs to come, each with its accommodation and one row for each of its languages, and, in the same
    UNION ALL, the held ones without a log (if asked for): one round trip. Built once for each kind of list, with
    every value a parameter, so that SQLAlchemy reuses its compiled form.

    `lateral` reads each dialog's languages in a LATERAL subquery (PostgreSQL): for a city's few thousand dialog
    languages PostgreSQL would rather hash all of them than look up the page's fifteen dialogs in the index, which
    took longer than the rest of the statement. Being ordered, the subquery is not merged into the join, and is
    read from the index for each dialog. SQLite has no LATERAL, and looks them up in the index by itself."""
    upcoming = _upcoming_page(own_upcoming)
    language_columns = (
        DialogLanguage.id.label("language_id"),
        DialogLanguage.code,
        DialogLanguage.interpreter_id,
        DialogLanguage.open_since.is_not(None).label("posted"),
        ASKED_INTERPRETER.label("asked"),
    )
    first = select(literal("upcoming", String).label("kind"), *_list_row(upcoming)).join(
        Accommodation, Accommodation.id == upcoming.c.accommodation_id
    )
    if lateral:
        languages = (
            select(*language_columns)
            .where(DialogLanguage.dialog_id == upcoming.c.id)
            .order_by(DialogLanguage.id)
            .lateral("languages")
        )
        first = first.add_columns(*languages.c).outerjoin(languages, true())
    else:
        first = first.add_columns(*language_columns).outerjoin(
            DialogLanguage, DialogLanguage.dialog_id == upcoming.c.id
        )
    parts = [first]
    if unlogged is not None:
        held = _unlogged_page(unlogged == "mine")
        parts.append(
            # No languages: the first part types the columns.
            select(literal("unlogged", String), *_list_row(held), null(), null(), null(), null(), null()).join(
                Accommodation, Accommodation.id == held.c.accommodation_id
            )
        )
    # The dialogs to come soonest first, each with its languages in the order they were added; the held ones
    # without a log in the same order, which `dialog_list` turns round (latest first).
    return union_all(*parts).order_by(text("kind"), text("starts_at"), text("id"), text("language_id"))


def _list_row(page) -> tuple:
    """The columns of a dialog in the list, from one of its pages, with the accommodation's name and address.
    Labelled, as SQLite orders a UNION only by names the columns are given."""
    return (
        page.c.id.label("id"),
        page.c.topic,
        page.c.starts_at.label("starts_at"),
        page.c.ends_at,
        page.c.cancelled,
        Accommodation.name.label("accommodation"),
        Accommodation.address,
    )


def dialog_list(
    user: User, now: datetime, upcoming: Scope, upcoming_limit: int, unlogged: Scope | None, unlogged_limit: int
) -> DialogList:
    """The first `upcoming_limit` dialogs not yet over, soonest first, that the user moderates, interprets or
    shadows ("mine") or all of them ("all"), with their languages and whether an interpreter was asked for each;
    and the latest `unlogged_limit` held dialogs without a log that the user moderates or all of them (None: none).

    One statement of plain columns: mapped dialogs with their accommodations and languages cost several times as
    much, and each statement a round trip of its own."""
    params = {
        "cutoff": now,
        "since": now - timedelta(hours=MAX_DIALOG_HOURS),
        "user_id": user.id,
        "limit": upcoming_limit,
        "unlogged_limit": unlogged_limit,
    }
    connection = db.session.connection()
    statement = _dialog_list_statement(upcoming == "mine", unlogged, connection.dialect.name == "postgresql")
    rows = connection.execute(statement, params).all()
    listed = DialogList([], [])
    overdue_before = now - LOG_DUE_AFTER  # a held dialog that ended before then without a log: `Dialog.log_overdue`
    dialog = None
    for row in rows:
        kind, dialog_id, topic, starts_at, ends_at, cancelled, accommodation, address = row[:8]
        _language_id, code, interpreter_id, posted, asked = row[8:]
        if dialog is None or dialog.id != dialog_id:
            place = place_line(accommodation, address, "")
            if kind == "upcoming":
                dialog = DialogRow(dialog_id, topic, starts_at, ends_at, cancelled, accommodation, place)
                listed.upcoming.append(dialog)
            else:
                overdue = ends_at <= overdue_before
                dialog = DialogRow(dialog_id, topic, starts_at, ends_at, cancelled, accommodation, place, overdue)
                listed.unlogged.append(dialog)
        if code is not None:
            dialog.languages.append(LanguageRow(code, interpreter_id, posted, asked))
    listed.unlogged.reverse()
    return listed


# --- calendar ----------------------------------------------------------------------------------------------


def dialog_uid(dialog: Dialog) -> str:
    return f"dialog-{dialog.id}@lotse"


def dialog_event(dialog: Dialog, cancelled: bool = False) -> Event:
    """The dialog as a calendar event; `cancelled` takes it out of the calendar of someone no longer booked."""
    event = Event()
    event.add("uid", dialog_uid(dialog))
    event.add("dtstamp", utcnow())
    event.add("dtstart", dialog.starts_at.astimezone(UTC))
    event.add("dtend", dialog.ends_at.astimezone(UTC))
    event.add("summary", dialog.topic)
    event.add("location", dialog.place)
    event.add("sequence", dialog.version)
    event.add("status", "CANCELLED" if dialog.is_cancelled or cancelled else "CONFIRMED")
    event.add("url", public_url("dialogs.detail", dialog_id=dialog.id))
    return event


def feed_dialogs(user: User) -> list[Dialog]:
    """Dialogs the user moderates or interprets, from 60 days back on, cancelled ones marked as such."""
    since = utcnow() - timedelta(days=60)
    interprets = select(DialogLanguage.dialog_id).where(
        or_(DialogLanguage.interpreter_id == user.id, DialogLanguage.shadow_id == user.id)
    )
    moderates = select(DialogModerator.dialog_id).where(DialogModerator.user_id == user.id)
    return list(
        db.session.scalars(
            select(Dialog)
            .where(or_(Dialog.id.in_(interprets), Dialog.id.in_(moderates)), Dialog.ends_at >= since)
            .order_by(Dialog.starts_at)
        )
    )


# --- staff overview ----------------------------------------------------------------------------------------


@dataclass
class LogFilter:
    district_id: int | None = None
    accommodation_id: int | None = None
    start: date | None = None
    end: date | None = None
    topic_id: int | None = None
    language: str | None = None


def find_logs(filters: LogFilter, limit: int = 50, offset: int = 0) -> list[SessionLog]:
    """Session logs city-wide, newest dialog first, narrowed by the filters."""
    query = (
        select(SessionLog)
        .join(Dialog, Dialog.id == SessionLog.dialog_id)
        .join(Accommodation, Accommodation.id == Dialog.accommodation_id)
        .options(contains_eager(SessionLog.dialog))
    )
    if filters.district_id:
        query = query.where(Accommodation.district_id == filters.district_id)
    if filters.accommodation_id:
        query = query.where(Dialog.accommodation_id == filters.accommodation_id)
    if filters.start:
        query = query.where(Dialog.starts_at >= local_to_utc(datetime.combine(filters.start, time())))
    if filters.end:
        query = query.where(Dialog.starts_at < local_to_utc(datetime.combine(filters.end + timedelta(days=1), time())))
    if filters.topic_id:
        query = query.where(
            exists().where(
                session_log_topics.c.log_id == SessionLog.id, session_log_topics.c.topic_id == filters.topic_id
            )
        )
    if filters.language:
        query = query.where(
            exists().where(SessionLogLanguage.log_id == SessionLog.id, SessionLogLanguage.code == filters.language)
        )
    return list(db.session.scalars(query.order_by(Dialog.starts_at.desc(), SessionLog.id).limit(limit).offset(offset)))


def overdue_follow_ups(today: date, dialog_ids: set[int] | None = None) -> list[FollowUp]:
    """Open follow-ups past their due date, the longest overdue first."""
    query = (
        select(FollowUp)
        .join(SessionLog, SessionLog.id == FollowUp.log_id)
        .join(Dialog, Dialog.id == SessionLog.dialog_id)
        .options(contains_eager(FollowUp.log).contains_eager(SessionLog.dialog))
        .where(FollowUp.done_at.is_(None), FollowUp.due_on < today)
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(100)
    )
    if dialog_ids is not None:
        query = query.where(SessionLog.dialog_id.in_(dialog_ids))
    return list(db.session.scalars(query))


def count_open_requests(user: User) -> int:
    return len(open_requests_for(user)) if user.has_role(Role.INTERPRETER) else 0


# --- helpers -----------------------------------------------------------------------------------------------


def _speaks(user: User, code: str) -> bool:
    return code in Eligibility.of(user).languages


def _leads(dialog: Dialog) -> list[User]:
    """The moderators who run the dialog (not the trainee), who hear about its interpreters and log."""
    return [m.user for m in dialog.moderators if m.role is not ModeratorRole.TRAINEE and m.user.is_enabled]


def _mail(
    person: User,
    dialog: Dialog,
    subject,
    template: str,
    calendar: bool = False,
    link: str | None = None,
    released: bool = False,
    **context,
) -> None:
    """Mail one person about the dialog; `calendar` attaches its entry (cancelled for whoever was `released`)."""
    attachments = []
    if calendar:
        event = dialog_event(dialog, cancelled=released)
        attachments = [("lotse-dialog.ics", calendar_for([], "Lotse", [event]), "text/calendar")]
    queue_mail(
        person.email,
        subject,
        template,
        locale=person.locale,
        dialog=dialog,
        user=person,
        link=link or public_url("dialogs.detail", dialog_id=dialog.id),
        attachments=attachments,
        **context,
    )
