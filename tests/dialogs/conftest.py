"""Factories for dialogs: moderators, interpreters and dialogs at a given time."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.auth.models import Role
from app.database import local_today, utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, ModeratorRole
from app.shifts.services import local_to_utc


def local_at(days: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Europe/Berlin `days` from today's local date, in UTC.

    Tests that fill in a day with a start and an end use these rather than "now + hours", which late in the
    evening would give a start before and an end after local midnight (which a dialog can't have).
    """
    return local_to_utc(datetime.combine(local_today() + timedelta(days=days), time(hour, minute)))


@pytest.fixture
def make_moderator(make_user):
    def make(**kw):
        return make_user(roles=[Role.MODERATOR], **kw)

    return make


@pytest.fixture
def make_interpreter(make_user):
    """An interpreter speaking the given languages (at native level unless given as (code, level))."""

    def make(*codes, **kw):
        languages = [code if isinstance(code, tuple) else (code, "native") for code in codes]
        return make_user(roles=[Role.VOLUNTEER, Role.INTERPRETER], languages=languages, **kw)

    return make


@pytest.fixture
def make_dialog(db, make_circle, make_moderator):
    """A planned dialog starting `starts_in` from now (or at `starts_at`, in UTC), `hours` long, needing
    `languages` (posted openly with `open_request`)."""

    def make(
        languages=("ar",),
        starts_in=timedelta(days=3),
        hours=2,
        lead=None,
        co=None,
        trainee=None,
        accommodation=None,
        topic="Zusammenleben",
        open_request=False,
        starts_at=None,
    ) -> Dialog:
        start = starts_at or (utcnow() + starts_in).replace(second=0, microsecond=0)
        dialog = Dialog(
            accommodation=accommodation or make_circle().accommodations[0],
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            topic=topic,
            expected_participants=20,
        )
        dialog.moderators.append(DialogModerator(user=lead or make_moderator(), role=ModeratorRole.LEAD))
        if co is not None:
            dialog.moderators.append(DialogModerator(user=co, role=ModeratorRole.CO))
        if trainee is not None:
            dialog.moderators.append(DialogModerator(user=trainee, role=ModeratorRole.TRAINEE))
        posted = utcnow() if open_request else None
        dialog.languages = [DialogLanguage(code=code, open_since=posted) for code in languages]
        db.session.add(dialog)
        db.session.commit()
        return dialog

    return make


def language_of(dialog: Dialog, code: str) -> DialogLanguage:
    return next(language for language in dialog.languages if language.code == code)
