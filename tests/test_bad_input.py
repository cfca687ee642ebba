"""Bad input on every form gets a translated message and a 4xx, never a 500, and saves nothing half.

Each form is sent with one field broken at a time: empty, too long, of the wrong type, with script tags,
and with bytes that are not UTF-8. The messages must come from the German catalogs (Lotse's or WTForms').
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import pytest
import wtforms
from babel.messages.pofile import read_po
from babel.support import Translations

from app.auth.models import Role
from app.config import BASE_DIR
from app.places.models import CircleMembership, MembershipStatus
from app.shifts.models import Signup, SignupStatus

LONG = "x" * 5000
SCRIPT = "<script>alert(1)</script>"
NOT_UTF8 = b"\xff\xfe\xfa"


@dataclass
class Form:
    name: str
    url: Callable[[dict], str]
    role: str | None
    data: Callable[[dict], dict]
    fields: dict[str, tuple[str, ...]]  # field -> kinds of bad input that apply, "type" value if any

    def cases(self):
        for field_name, kinds in self.fields.items():
            for kind in kinds:
                yield pytest.param(self, field_name, kind, id=f"{self.name}-{field_name}-{kind.split('=')[0]}")


TEXT = ("empty", "long", "script", "encoding")
FORMS = [
    Form(
        "register",
        lambda w: "/register",
        None,
        lambda w: {
            "name": "Amal",
            "email": "amal@example.org",
            "password": "a long password",
            "password_confirm": "a long password",
            "locale": "de",
            "consent": "y",
        },
        {
            "name": TEXT,
            "email": (*TEXT, "type=no-email"),
            "password": ("empty", "long"),
            "locale": ("empty", "type=xx"),
        },
    ),
    Form(
        "login",
        lambda w: "/login",
        None,
        lambda w: {"email": "someone@example.org", "password": "some password"},
        {"email": (*TEXT, "type=no-email"), "password": ("empty", "long")},
    ),
    Form(
        "forgot",
        lambda w: "/password/forgot",
        None,
        lambda w: {"email": "someone@example.org"},
        {"email": (*TEXT, "type=no-email")},
    ),
    Form(
        "reset",
        lambda w: f"/password/reset/{w['reset_token']}",
        None,
        lambda w: {"password": "a new long password", "password_confirm": "a new long password"},
        {"password": ("empty", "long", "encoding")},
    ),
    Form(
        "accept-invitation",
        lambda w: f"/invitations/{w['invitation_token']}",
        None,
        lambda w: {
            "name": "Karim",
            "password": "a long password",
            "password_confirm": "a long password",
            "locale": "de",
            "consent": "y",
        },
        {"name": TEXT, "password": ("empty", "long"), "locale": ("type=xx",)},
    ),
    Form(
        "profile",
        lambda w: "/account",
        "volunteer",
        lambda w: {"name": "Vera", "locale": "de"},
        {"name": TEXT, "locale": ("empty", "type=klingon")},
    ),
    Form(
        "add-language",
        lambda w: "/account/languages",
        "volunteer",
        lambda w: {"code": "ar", "level": "fluent"},
        {"code": ("empty", "long", "script", "encoding", "type=xx-fake"), "level": ("empty", "type=superb")},
    ),
    Form(
        "change-password",
        lambda w: "/account/password",
        "volunteer",
        lambda w: {
            "current_password": "correct horse battery",
            "password": "another long one",
            "password_confirm": "another long one",
        },
        {"current_password": ("empty", "long"), "password": ("empty", "long", "encoding")},
    ),
    Form(
        "invite",
        lambda w: "/invite",
        "staff",
        lambda w: {"email": "new@example.org", "role": "volunteer", "circle": str(w["circle"].id)},
        {"email": (*TEXT, "type=no-email"), "role": ("empty", "type=emperor"), "circle": ("type=999999",)},
    ),
    Form(
        "grant-role",
        lambda w: f"/admin/users/{w['volunteer'].id}/roles",
        "admin",
        lambda w: {"role": "moderator", "circle": ""},
        {"role": ("empty", "script", "encoding", "type=emperor"), "circle": ("type=abc",)},
    ),
    Form("district", lambda w: "/districts/new", "staff", lambda w: {"name": "Neu"}, {"name": TEXT}),
    Form(
        "accommodation",
        lambda w: "/accommodations/new",
        "staff",
        lambda w: {
            "name": "GU Neu",
            "district": str(w["circle"].district_id),
            "kind": "regular",
            "planned_places": "80",
            "address": "Hauptstraße 1",
        },
        {
            "name": TEXT,
            "district": ("empty", "type=abc"),
            "kind": ("empty", "type=palace"),
            "planned_places": ("empty", "type=many", "type=-5", "type=99999999999"),
            "address": ("long", "script", "encoding"),
        },
    ),
    Form(
        "circle",
        lambda w: "/circles/new",
        "staff",
        lambda w: {"name": "FK Neu", "district": str(w["circle"].district_id), "description": "Wir helfen."},
        {
            "name": TEXT,
            "district": ("empty", "type=abc"),
            "accommodations": ("type=abc", "type=999999"),
            "description": ("long", "script", "encoding"),
        },
    ),
    Form(
        "appoint",
        lambda w: f"/circles/{w['circle'].id}/coordinators",
        "staff",
        lambda w: {"email": w["volunteer"].email},
        {"email": (*TEXT, "type=no-email")},
    ),
    Form(
        "vetting",
        lambda w: f"/circles/{w['circle'].id}/members/{w['volunteer'].id}/vetting",
        "coordinator",
        lambda w: {"seen_on": "2026-01-10", "valid_until": "2029-01-10"},
        {
            "seen_on": ("empty", "long", "script", "encoding", "type=31.02.2026"),
            "valid_until": ("empty", "type=tomorrow", "type=2025-01-01"),
        },
    ),
    Form(
        "shift",
        lambda w: f"/circles/{w['circle'].id}/shifts/new",
        "coordinator",
        lambda w: {
            "title": "Sprachcafé",
            "activity_type": str(w["shift"].activity_type_id),
            "accommodation": str(w["circle"].accommodations[0].id),
            "day": w["next_week"],
            "start": "16:00",
            "end": "18:00",
            "capacity": "4",
            "required_language": "",
            "repeat": "none",
        },
        {
            "title": TEXT,
            "capacity": ("empty", "type=many", "type=0", "type=9999"),
            "day": ("empty", "long", "script", "encoding", "type=31.02.2026"),
            "start": ("empty", "type=25:00"),
            "place_text": ("long", "script", "encoding"),
            "description": ("long", "script", "encoding"),
            "activity_type": ("empty", "type=abc"),
            "required_language": ("type=xx", "script"),
            "signup_opens_hours": ("type=-1", "type=soon"),
            "repeat": ("type=daily",),
        },
    ),
    Form(
        "series",
        lambda w: f"/circles/{w['circle'].id}/shifts/new",
        "coordinator",
        lambda w: {
            "title": "Sprachcafé",
            "activity_type": str(w["shift"].activity_type_id),
            "accommodation": str(w["circle"].accommodations[0].id),
            "day": w["next_week"],
            "start": "16:00",
            "end": "18:00",
            "capacity": "4",
            "required_language": "",
            "repeat": "1",
            "weekdays": "1",
            "until": w["next_month"],
        },
        {"weekdays": ("empty", "type=9"), "until": ("empty", "type=bald"), "skip": ("long", "script", "type=Ostern")},
    ),
    Form(
        "cancel-shift",
        lambda w: f"/shifts/{w['shift'].id}/cancel",
        "coordinator",
        lambda w: {"reason": "Krank"},
        {"reason": TEXT, "scope": ("type=all",)},
    ),
    Form(
        "message",
        lambda w: f"/shifts/{w['shift'].id}/message",
        "coordinator",
        lambda w: {"subject": "Hallo", "text": "Bis bald"},
        {"subject": TEXT, "text": TEXT},
    ),
    Form(
        "attendance",
        lambda w: f"/shifts/{w['past_shift'].id}/attendance",
        "coordinator",
        lambda w: {f"attendance-{w['past_signup_id']}": "attended", f"hours-{w['past_signup_id']}": "2"},
        {"__attendance__": ("type=maybe", "type=many", "empty")},
    ),
    Form(
        "activity",
        lambda w: "/activities/new",
        "staff",
        lambda w: {"name_de": "Nähcafé"},
        {"name_de": TEXT, "name_ar": ("long", "script", "encoding")},
    ),
    Form(
        "dialog",
        lambda w: "/dialogs/new",
        "moderator",
        lambda w: {
            "topic": "Nachbarschaft",
            "accommodation": str(w["circle"].accommodations[0].id),
            "day": w["next_week"],
            "start": "17:00",
            "end": "19:00",
            "languages": "ar",
            "other_language": "",
            "lead_moderator": str(w["moderator"].id),
            "co_moderator": "",
            "trainee_moderator": "",
            "expected_participants": "20",
        },
        {
            "topic": TEXT,
            "accommodation": ("empty", "type=abc", "type=999999"),
            "day": ("empty", "long", "script", "encoding", "type=31.02.2026"),
            "start": ("empty", "type=25:00"),
            "end": ("type=16:00",),
            "languages": ("empty", "type=xx", "script"),
            "other_language": ("type=xx", "script"),
            "lead_moderator": ("empty", "type=abc", "type=999999"),
            "co_moderator": ("type=abc",),
            "expected_participants": ("type=-1", "type=many"),
        },
    ),
    Form(
        "cancel-dialog",
        lambda w: f"/dialogs/{w['dialog'].id}/cancel",
        "moderator",
        lambda w: {"reason": "Krank"},
        {"reason": TEXT},
    ),
    Form(
        "ask-interpreters",
        lambda w: f"/dialogs/{w['dialog'].id}/languages/{w['dialog'].languages[0].id}/ask",
        "moderator",
        lambda w: {"interpreters": str(w["interpreter"].id)},
        {"interpreters": ("empty", "type=abc", "type=999999", "script")},
    ),
    Form(
        "dialog-log",
        lambda w: f"/dialogs/{w['held_dialog'].id}/log",
        "moderator",
        lambda w: {
            "idempotency_key": "bad-input-key-000001",
            "refugees": "12",
            "volunteers": "3",
            "staff": "1",
            "start": "10:00",
            "end": "11:30",
            "languages": "de",
            "summary": "Gute Runde.",
            "follow_ups-0-what": "Aushang",
            "follow_ups-0-responsible": "Heimleitung",
            "follow_ups-0-due_on": w["next_week"],
        },
        {
            "idempotency_key": ("empty", "long", "script"),
            "refugees": ("empty", "type=-1", "type=many", "type=99999"),
            "staff": ("type=1.5",),
            "start": ("empty", "type=25:00"),
            "end": ("type=09:00",),
            "languages": ("type=xx",),
            "topics": ("type=abc", "type=99999"),
            "tags": ("long", "script", "encoding"),
            "summary": TEXT,
            "follow_ups-0-what": ("long", "script", "encoding"),
            "follow_ups-0-responsible": ("empty", "long"),
            "follow_ups-0-due_on": ("empty", "type=morgen", "type=2099-01-01"),
        },
    ),
    Form(
        "topic",
        lambda w: "/topics/new",
        "staff",
        lambda w: {"name_de": "Gesundheit"},
        {"name_de": TEXT, "name_fa": ("long", "script", "encoding")},
    ),
    Form(
        "language",
        lambda w: "/language",
        None,
        lambda w: {"locale": "en"},
        {"locale": ("empty", "long", "script", "encoding")},
    ),
]


@pytest.fixture
def world(app, db, make_user, make_circle, make_shift):
    from app.auth import services

    circle = make_circle()
    people = {
        "volunteer": make_user(roles=[Role.VOLUNTEER]),
        "coordinator": make_user(roles=[(Role.COORDINATOR, circle)]),
        "staff": make_user(roles=[Role.STAFF]),
        "admin": make_user(roles=[Role.ADMIN]),
        "moderator": make_user(roles=[Role.MODERATOR]),
        "interpreter": make_user(roles=[Role.INTERPRETER], languages=[("ar", "native")]),
    }
    db.session.add(CircleMembership(circle=circle, user=people["volunteer"], status=MembershipStatus.ACTIVE))
    with app.test_request_context():
        reset_token = services.make_reset_token(people["volunteer"])
        invitation = services.create_invitation(people["staff"], "invited@example.org", Role.VOLUNTEER, None)
        invitation_token = "invitation-token-for-tests"
        invitation.token_hash = invitation.hash_token(invitation_token)
    db.session.commit()
    shift = make_shift(circle)
    past_shift = make_shift(circle, starts_in=timedelta(hours=-5), hours=2)
    past_signup = Signup(shift_id=past_shift.id, user_id=people["volunteer"].id, status=SignupStatus.CONFIRMED)
    db.session.add(past_signup)
    db.session.commit()
    dialog = _dialog(db, people["moderator"], circle.accommodations[0], timedelta(days=3))
    held_dialog = _dialog(db, people["moderator"], circle.accommodations[0], timedelta(hours=-3))
    return {
        "dialog": dialog,
        "held_dialog": held_dialog,
        **people,
        "circle": circle,
        "reset_token": reset_token,
        "invitation_token": invitation_token,
        "shift": shift,
        "past_shift": past_shift,
        "past_signup_id": past_signup.id,
        "next_week": (date.today() + timedelta(days=7)).isoformat(),
        "next_month": (date.today() + timedelta(days=35)).isoformat(),
    }


def _dialog(db, moderator, accommodation, starts_in):
    from app.database import utcnow
    from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, ModeratorRole

    start = (utcnow() + starts_in).replace(second=0, microsecond=0)
    dialog = Dialog(accommodation=accommodation, starts_at=start, ends_at=start + timedelta(hours=2), topic="Dialog")
    dialog.moderators.append(DialogModerator(user_id=moderator.id, role=ModeratorRole.LEAD))
    dialog.languages = [DialogLanguage(code="ar")]
    db.session.add(dialog)
    db.session.commit()
    return dialog


@cache
def _german_patterns() -> list[re.Pattern]:
    """Every German message Lotse can show, as a pattern (placeholders match anything)."""
    texts = []
    with open(BASE_DIR / "translations" / "de" / "LC_MESSAGES" / "messages.po", "rb") as f:
        for message in read_po(f, locale="de"):
            if message.id:
                texts.extend(message.string if isinstance(message.string, tuple) else [message.string])
    wtforms_de = Translations.load(str(Path(wtforms.__file__).parent / "locale"), ["de"], domain="wtforms")
    texts.extend(str(s) for s in wtforms_de._catalog.values() if isinstance(s, str) and s)
    patterns = []
    for text in texts:
        escaped = re.escape(text.strip())
        escaped = re.sub(r"%\\\(\w+\\\)[sd]|%\(\w+\)[sd]|%[sd]", ".+?", escaped)
        escaped = re.sub(r"\\\{\w*\\\}|\{\w*\}", ".+?", escaped)
        patterns.append(re.compile(rf"^{escaped}$", re.S))
    return patterns


def _messages(page: str) -> list[str]:
    found = re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', page, re.S)
    items = [li for block in found for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    if not items:  # an error page: its heading and text
        items = re.findall(r'<div class="card empty">.*?<h1>(.*?)</h1>\s*<p>(.*?)</p>', page, re.S)
        items = [part for pair in items for part in pair]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def _broken(value_kind: str):
    kind, _, value = value_kind.partition("=")
    return {"empty": "", "long": LONG, "script": SCRIPT, "encoding": NOT_UTF8, "type": value}[kind]


@pytest.mark.parametrize(("form", "field", "kind"), [case for form in FORMS for case in form.cases()])
def test_bad_input_gets_translated_4xx(client, login, world, db, form, field, kind):
    if form.role:
        login(world[form.role])
    data = form.data(world)
    if field == "__attendance__":  # the attendance form names its fields after each sign-up
        field = f"attendance-{world['past_signup_id']}" if kind != "type=many" else f"hours-{world['past_signup_id']}"
    data[field] = _broken(kind)
    data["csrf_token"] = client.csrf_token()
    body = urlencode([(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in data.items()], encoding="utf-8")
    tables_before = _row_counts(db)
    response = client.post(
        form.url(world),
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": "de"},
    )
    assert 400 <= response.status_code < 500, f"{form.name}.{field}={kind!r}: {response.status_code}"
    page = response.get_data(as_text=True)
    messages = _messages(page)
    assert messages, f"no message shown for {form.name}.{field}={kind!r}"
    untranslated = [m for m in messages if not any(p.match(m) for p in _german_patterns())]
    assert untranslated == [], f"not from the German catalogs: {untranslated}"
    assert SCRIPT not in page
    assert _row_counts(db) == tables_before


def _row_counts(db) -> dict[str, int]:
    from sqlalchemy import func, select

    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }
