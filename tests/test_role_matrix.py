"""Every route as anonymous visitor and as every role, with the status each must get.

New routes must be added to CASES: test_every_route_is_in_the_matrix fails until they are.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from app.api.models import AccessToken
from app.auth.models import LanguageLevel, Role, UserLanguage
from app.database import utcnow
from app.mail.models import OutboxMail
from app.places.models import CircleMembership, MembershipStatus
from app.shifts.models import CalendarFeed, Signup, SignupStatus

ROLES = ("anonymous", "volunteer", "interpreter", "moderator", "coordinator", "staff", "admin")
LOGIN = 302  # anonymous visitors are sent to the login page


def everyone(status: int, anonymous: int | None = None) -> dict[str, int]:
    return dict.fromkeys(ROLES, status) | ({"anonymous": anonymous} if anonymous is not None else {})


def signed_in(status: int = 200) -> dict[str, int]:
    return everyone(status, anonymous=LOGIN)


def only(allowed: dict[str, int]) -> dict[str, int]:
    return {role: LOGIN if role == "anonymous" else allowed.get(role, 403) for role in ROLES}


def staff(status: int = 200) -> dict[str, int]:
    return only({"staff": status, "admin": status})


def circle_managers(status: int = 200) -> dict[str, int]:
    return only({"coordinator": status, "staff": status, "admin": status})


def admin(status: int = 200) -> dict[str, int]:
    return only({"admin": status})


def shift_form(world: dict) -> dict:
    day = (date.today() + timedelta(days=10)).isoformat()
    return {
        "title": "Neu",
        "activity_type": str(world["shift"].activity_type_id),
        "accommodation": str(world["accommodation"].id),
        "day": day,
        "start": "10:00",
        "end": "12:00",
        "capacity": "3",
        "required_language": "",
        "repeat": "none",
        "scope": "this",
    }


def dialog_form(world: dict) -> dict:
    day = (date.today() + timedelta(days=10)).isoformat()
    return {
        "topic": "Neuer Dialog",
        "accommodation": str(world["accommodation"].id),
        "day": day,
        "start": "10:00",
        "end": "12:00",
        "languages": ["ar"],
        "lead_moderator": str(world["moderator"].id),
    }


def log_form(world: dict) -> dict:
    return {
        "idempotency_key": "role-matrix-key-0001",
        "refugees": "10",
        "volunteers": "2",
        "staff": "1",
        "start": "10:00",
        "end": "11:00",
        "languages": ["de"],
        "summary": "Ruhiger Austausch.",
    }


def proposal_form(world: dict) -> dict:
    return {
        "programme": str(world["programme"].id),
        "district": str(world["circle"].district_id),
        "title": "Neues Projekt",
        "lines-0-item": "Material",
        "lines-0-amount": "120",
    }


def programme_form(world: dict) -> dict:
    today = date.today()
    return {
        "name_de": "Empowerment Neu",
        "year": str(today.year),
        "budget": "20000",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
    }


def dialog_managers(status: int = 200) -> dict[str, int]:
    return only({"moderator": status, "staff": status, "admin": status})


def dialog_viewers(status: int = 200) -> dict[str, int]:
    return only({"interpreter": status, "moderator": status, "staff": status, "admin": status})


def coordinator_grant(world: dict):
    return next(g for g in world["coordinator"].role_grants if g.role is Role.COORDINATOR)


@dataclass
class Case:
    endpoint: str
    method: str
    url: Callable[[dict], str]
    expected: dict[str, int]
    data: Callable[[dict], dict] = field(default=lambda w: {})

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}"


CASES = [
    Case("main.index", "GET", lambda w: "/", everyone(200)),
    Case("main.healthz", "GET", lambda w: "/healthz", everyone(200)),
    Case("main.set_language", "POST", lambda w: "/language", everyone(303), lambda w: {"locale": "en"}),
    Case("auth.register", "GET", lambda w: "/register", everyone(302, anonymous=200)),
    Case("auth.register", "POST", lambda w: "/register", everyone(302, anonymous=422)),
    Case("auth.login", "GET", lambda w: "/login", everyone(302, anonymous=200)),
    Case("auth.login", "POST", lambda w: "/login", everyone(302, anonymous=422)),
    Case("auth.logout", "POST", lambda w: "/logout", signed_in(303)),
    Case("auth.forgot_password", "GET", lambda w: "/password/forgot", everyone(200)),
    Case("auth.forgot_password", "POST", lambda w: "/password/forgot", everyone(422)),
    Case("auth.reset_password", "GET", lambda w: "/password/reset/forged", everyone(410)),
    Case("auth.reset_password", "POST", lambda w: "/password/reset/forged", everyone(410)),
    Case("auth.accept_invitation", "GET", lambda w: "/invitations/forged", everyone(410)),
    Case("auth.accept_invitation", "POST", lambda w: "/invitations/forged", everyone(410)),
    Case("auth.profile", "GET", lambda w: "/account", signed_in()),
    Case(
        "auth.profile",
        "POST",
        lambda w: "/account",
        signed_in(303),
        lambda w: {"name": "Neu", "locale": "de"},
    ),
    Case(
        "auth.add_language",
        "POST",
        lambda w: "/account/languages",
        signed_in(200),
        lambda w: {"code": "ar", "level": "fluent"},
    ),
    # The language belongs to the volunteer: only they may remove it.
    Case(
        "auth.remove_language",
        "POST",
        lambda w: f"/account/languages/{w['language'].id}/delete",
        only({"volunteer": 200}),
    ),
    Case("auth.change_password", "GET", lambda w: "/account/password", signed_in()),
    Case("auth.change_password", "POST", lambda w: "/account/password", signed_in(422)),
    Case("auth.invite", "GET", lambda w: "/invite", circle_managers()),
    Case(
        "auth.invite",
        "POST",
        lambda w: "/invite",
        circle_managers(303),
        lambda w: {"email": "invited@example.org", "role": "volunteer", "circle": str(w["circle"].id)},
    ),
    Case("admin.user_list", "GET", lambda w: "/admin/users", admin()),
    Case("admin.user_detail", "GET", lambda w: f"/admin/users/{w['volunteer'].id}", admin()),
    Case(
        "admin.grant_role",
        "POST",
        lambda w: f"/admin/users/{w['volunteer'].id}/roles",
        admin(303),
        lambda w: {"role": "moderator", "circle": ""},
    ),
    Case(
        "admin.revoke_role",
        "POST",
        lambda w: f"/admin/users/{w['moderator'].id}/roles/{w['moderator'].role_grants[0].id}/revoke",
        admin(303),
    ),
    Case("admin.outbox", "GET", lambda w: "/admin/mail", admin()),
    Case("admin.outbox_send", "POST", lambda w: f"/admin/mail/{w['failed_mail'].id}/send", admin(303)),
    Case("admin.outbox_delete", "POST", lambda w: f"/admin/mail/{w['failed_mail'].id}/delete", admin(303)),
    Case("places.district_list", "GET", lambda w: "/districts", signed_in()),
    Case("places.district_detail", "GET", lambda w: f"/districts/{w['circle'].district_id}", signed_in()),
    Case("places.district_new", "GET", lambda w: "/districts/new", staff()),
    Case(
        "places.district_new",
        "POST",
        lambda w: "/districts/new",
        staff(303),
        lambda w: {"name": "Neuer Bezirk"},
    ),
    Case("places.district_edit", "GET", lambda w: f"/districts/{w['circle'].district_id}/edit", staff()),
    Case(
        "places.district_edit",
        "POST",
        lambda w: f"/districts/{w['circle'].district_id}/edit",
        staff(303),
        lambda w: {"name": "Umbenannt"},
    ),
    Case("places.accommodation_list", "GET", lambda w: "/accommodations", signed_in()),
    Case("places.accommodation_new", "GET", lambda w: "/accommodations/new", staff()),
    Case(
        "places.accommodation_new",
        "POST",
        lambda w: "/accommodations/new",
        staff(303),
        lambda w: {
            "name": "GU Neu",
            "district": str(w["circle"].district_id),
            "kind": "regular",
            "planned_places": "80",
            "address": "",
        },
    ),
    Case("places.accommodation_edit", "GET", lambda w: f"/accommodations/{w['accommodation'].id}/edit", staff()),
    Case(
        "places.accommodation_edit",
        "POST",
        lambda w: f"/accommodations/{w['accommodation'].id}/edit",
        staff(303),
        lambda w: {
            "name": "GU Alt",
            "district": str(w["circle"].district_id),
            "kind": "regular",
            "planned_places": "90",
            "address": "",
        },
    ),
    Case("places.circle_list", "GET", lambda w: "/circles", signed_in()),
    Case("places.circle_detail", "GET", lambda w: f"/circles/{w['circle'].id}", signed_in()),
    Case("places.circle_new", "GET", lambda w: "/circles/new", staff()),
    Case(
        "places.circle_new",
        "POST",
        lambda w: "/circles/new",
        staff(303),
        lambda w: {"name": "FK Neu", "district": str(w["circle"].district_id)},
    ),
    Case("places.circle_edit", "GET", lambda w: f"/circles/{w['circle'].id}/edit", staff()),
    Case(
        "places.circle_edit",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/edit",
        staff(303),
        lambda w: {"name": "FK Umbenannt", "district": str(w["circle"].district_id)},
    ),
    # The volunteer is a member already (409); everyone else may ask to join.
    Case(
        "places.circle_join",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/join",
        signed_in(303) | {"volunteer": 409, "coordinator": 409},
    ),
    Case(
        "places.circle_leave",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/leave",
        signed_in(409) | {"volunteer": 303, "coordinator": 303},
    ),
    Case(
        "places.circle_decide",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/requests/{w['pending'].id}/approve",
        circle_managers(303),
    ),
    Case(
        "places.circle_appoint",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/coordinators",
        staff(303),
        lambda w: {"email": w["volunteer"].email},
    ),
    Case(
        "places.circle_unappoint",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/coordinators/{coordinator_grant(w).id}/remove",
        staff(303),
    ),
    Case(
        "places.vetting",
        "GET",
        lambda w: f"/circles/{w['circle'].id}/members/{w['volunteer'].id}/vetting",
        circle_managers(),
    ),
    Case(
        "places.vetting",
        "POST",
        lambda w: f"/circles/{w['circle'].id}/members/{w['volunteer'].id}/vetting",
        circle_managers(303),
        lambda w: {"seen_on": "2026-01-10", "valid_until": "2029-01-10"},
    ),
    Case("shifts.open_shifts", "GET", lambda w: "/shifts", signed_in()),
    Case("shifts.my_shifts", "GET", lambda w: "/shifts/mine", signed_in()),
    # A shift for the circle's members: others don't see it; staff see it but can't sign up (409).
    Case(
        "shifts.detail",
        "GET",
        lambda w: f"/shifts/{w['shift'].id}",
        only({"volunteer": 200, "coordinator": 200, "staff": 200, "admin": 200}),
    ),
    Case(
        "shifts.sign_up",
        "POST",
        lambda w: f"/shifts/{w['shift'].id}/signup",
        only({"volunteer": 303, "coordinator": 303, "staff": 409, "admin": 409}),
    ),
    Case(
        "shifts.withdraw",
        "POST",
        lambda w: f"/shifts/{w['shift'].id}/withdraw",
        only({"volunteer": 409, "coordinator": 409, "staff": 409, "admin": 409}),
    ),
    Case("shifts.new", "GET", lambda w: f"/circles/{w['circle'].id}/shifts/new", circle_managers()),
    Case("shifts.new", "POST", lambda w: f"/circles/{w['circle'].id}/shifts/new", circle_managers(303), shift_form),
    Case("shifts.edit", "GET", lambda w: f"/shifts/{w['shift'].id}/edit", circle_managers()),
    Case("shifts.edit", "POST", lambda w: f"/shifts/{w['shift'].id}/edit", circle_managers(303), shift_form),
    Case(
        "shifts.cancel",
        "POST",
        lambda w: f"/shifts/{w['shift'].id}/cancel",
        circle_managers(303),
        lambda w: {"reason": "Krank"},
    ),
    Case(
        "shifts.message",
        "POST",
        lambda w: f"/shifts/{w['shift'].id}/message",
        circle_managers(303),
        lambda w: {"subject": "Hallo", "text": "Bis bald"},
    ),
    Case(
        "shifts.attendance",
        "POST",
        lambda w: f"/shifts/{w['past_shift'].id}/attendance",
        circle_managers(303),
        lambda w: {f"attendance-{w['past_signup'].id}": "attended"},
    ),
    Case("shifts.circle_shifts", "GET", lambda w: f"/circles/{w['circle'].id}/shifts", circle_managers()),
    Case("shifts.calendar", "GET", lambda w: "/shifts/calendar", signed_in()),
    Case("shifts.calendar_renew", "POST", lambda w: "/shifts/calendar", signed_in(303)),
    Case("shifts.calendar_revoke", "POST", lambda w: "/shifts/calendar/revoke", signed_in(303)),
    # The feed is reached by its secret address alone: calendar apps can't log in.
    Case("shifts.feed", "GET", lambda w: f"/calendar/{w['feed'].token}.ics", everyone(200)),
    Case("shifts.activities", "GET", lambda w: "/activities", staff()),
    Case("shifts.activity_new", "GET", lambda w: "/activities/new", staff()),
    Case("shifts.activity_new", "POST", lambda w: "/activities/new", staff(303), lambda w: {"name_de": "Nähcafé"}),
    Case("shifts.activity_edit", "GET", lambda w: f"/activities/{w['shift'].activity_type_id}/edit", staff()),
    Case(
        "shifts.activity_edit",
        "POST",
        lambda w: f"/activities/{w['shift'].activity_type_id}/edit",
        staff(303),
        lambda w: {"name_de": "Lernhilfe"},
    ),
    Case("dialogs.index", "GET", lambda w: "/dialogs", dialog_viewers()),
    Case("dialogs.new", "GET", lambda w: "/dialogs/new", dialog_managers()),
    Case("dialogs.new", "POST", lambda w: "/dialogs/new", dialog_managers(303), dialog_form),
    Case("dialogs.detail", "GET", lambda w: f"/dialogs/{w['dialog'].id}", dialog_viewers()),
    Case("dialogs.edit", "GET", lambda w: f"/dialogs/{w['dialog'].id}/edit", dialog_managers()),
    Case("dialogs.edit", "POST", lambda w: f"/dialogs/{w['dialog'].id}/edit", dialog_managers(303), dialog_form),
    Case(
        "dialogs.cancel",
        "POST",
        lambda w: f"/dialogs/{w['dialog'].id}/cancel",
        dialog_managers(303),
        lambda w: {"reason": "Krankheit"},
    ),
    Case(
        "dialogs.ask",
        "POST",
        lambda w: f"/dialogs/{w['dialog'].id}/languages/{w['open_language'].id}/ask",
        dialog_managers(303),
        lambda w: {"interpreters": [str(w["interpreter"].id)]},
    ),
    Case(
        "dialogs.open_request",
        "POST",
        lambda w: f"/dialogs/{w['dialog'].id}/languages/{w['uncovered_language'].id}/open",
        dialog_managers(303),
    ),
    Case(
        "dialogs.accept",
        "POST",
        lambda w: f"/dialogs/{w['dialog'].id}/languages/{w['open_language'].id}/accept",
        only({"interpreter": 303}),
    ),
    Case(
        "dialogs.decline",
        "POST",
        lambda w: f"/dialogs/{w['dialog'].id}/languages/{w['open_language'].id}/decline",
        only({"interpreter": 303}),
    ),
    Case(
        "dialogs.withdraw",
        "POST",
        lambda w: f"/dialogs/{w['other_dialog'].id}/languages/{w['taken_language'].id}/withdraw",
        only({"interpreter": 303}),
    ),
    Case("dialogs.interpreting", "GET", lambda w: "/interpreting", only({"interpreter": 200})),
    Case(
        "dialogs.training",
        "POST",
        lambda w: "/interpreting/training",
        only({"interpreter": 303}),
        lambda w: {"in_training": "0"},
    ),
    Case("dialogs.log", "GET", lambda w: f"/dialogs/{w['held_dialog'].id}/log", dialog_managers()),
    Case("dialogs.log", "POST", lambda w: f"/dialogs/{w['held_dialog'].id}/log", dialog_managers(303), log_form),
    Case(
        "dialogs.follow_up",
        "POST",
        lambda w: f"/follow-ups/{w['follow_up'].id}",
        dialog_managers(303),
        lambda w: {"done": "1"},
    ),
    Case("dialogs.logs", "GET", lambda w: "/dialogs/logs", staff()),
    Case("dialogs.topics", "GET", lambda w: "/topics", staff()),
    Case("dialogs.topic_new", "GET", lambda w: "/topics/new", staff()),
    Case("dialogs.topic_new", "POST", lambda w: "/topics/new", staff(303), lambda w: {"name_de": "Sport"}),
    Case("dialogs.topic_edit", "GET", lambda w: f"/topics/{w['topic'].id}/edit", staff()),
    Case(
        "dialogs.topic_edit",
        "POST",
        lambda w: f"/topics/{w['topic'].id}/edit",
        staff(303),
        lambda w: {"name_de": "Wohnen und Nachbarschaft"},
    ),
    # --- proposals: the volunteer is the applicant of every proposal in the world
    Case("proposals.index", "GET", lambda w: "/proposals", signed_in()),
    Case("proposals.new", "GET", lambda w: "/proposals/new", signed_in()),
    Case("proposals.new", "POST", lambda w: "/proposals/new", signed_in(303), proposal_form),
    # A draft is its author's alone: not even the staff see it before it is submitted.
    Case("proposals.detail", "GET", lambda w: f"/proposals/{w['draft'].id}", only({"volunteer": 200})),
    Case(
        "proposals.detail",
        "GET",
        lambda w: f"/proposals/{w['submitted'].id}",
        only({"volunteer": 200, "staff": 200, "admin": 200}),
    ),
    Case("proposals.edit", "GET", lambda w: f"/proposals/{w['draft'].id}/edit", only({"volunteer": 200})),
    Case(
        "proposals.edit", "POST", lambda w: f"/proposals/{w['draft'].id}/edit", only({"volunteer": 303}), proposal_form
    ),
    Case("proposals.submit", "POST", lambda w: f"/proposals/{w['draft'].id}/submit", only({"volunteer": 303})),
    Case("proposals.withdraw", "POST", lambda w: f"/proposals/{w['submitted'].id}/withdraw", only({"volunteer": 303})),
    Case(
        "proposals.start",
        "POST",
        lambda w: f"/proposals/{w['approved'].id}/start",
        only({"volunteer": 303, "staff": 303, "admin": 303}),
    ),
    Case("proposals.report", "GET", lambda w: f"/proposals/{w['running'].id}/report", only({"volunteer": 200})),
    Case(
        "proposals.report",
        "POST",
        lambda w: f"/proposals/{w['running'].id}/report",
        only({"volunteer": 303}),
        lambda w: {"report_text": "Gut gelaufen.", **{f"actual-{line.id}": "10" for line in w["running"].lines}},
    ),
    Case(
        "proposals.upload",
        "POST",
        lambda w: f"/proposals/{w['draft'].id}/attachments",
        only({"volunteer": 303}),
        lambda w: {"kind": "proposal", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "plan.pdf")},
    ),
    Case(
        "proposals.attachment",
        "GET",
        lambda w: f"/proposals/{w['submitted'].id}/attachments/{w['submitted_file'].id}",
        only({"volunteer": 200, "staff": 200, "admin": 200}),
    ),
    Case(
        "proposals.remove_attachment",
        "POST",
        lambda w: f"/proposals/{w['draft'].id}/attachments/{w['draft_file'].id}/delete",
        only({"volunteer": 303}),
    ),
    Case("proposals.queue", "GET", lambda w: "/review", staff()),
    Case(
        "proposals.assign",
        "POST",
        lambda w: f"/proposals/{w['submitted'].id}/assign",
        staff(303),
        lambda w: {"reviewer": str(w["staff"].id)},
    ),
    Case("proposals.review", "POST", lambda w: f"/proposals/{w['submitted'].id}/review", staff(303)),
    Case(
        "proposals.note",
        "POST",
        lambda w: f"/proposals/{w['submitted'].id}/notes",
        staff(303),
        lambda w: {"note-text": "Intern"},
    ),
    Case(
        "proposals.message",
        "POST",
        lambda w: f"/proposals/{w['submitted'].id}/messages",
        staff(303),
        lambda w: {"message-text": "Frage"},
    ),
    Case(
        "proposals.request_changes",
        "POST",
        lambda w: f"/proposals/{w['in_review'].id}/request-changes",
        staff(303),
        lambda w: {"changes-text": "Bitte ergänzen"},
    ),
    Case(
        "proposals.approve",
        "POST",
        lambda w: f"/proposals/{w['in_review'].id}/approve",
        staff(303),
        lambda w: {"amount": "100"},
    ),
    Case(
        "proposals.reject",
        "POST",
        lambda w: f"/proposals/{w['in_review'].id}/reject",
        staff(303),
        lambda w: {"reject-text": "Nicht förderfähig"},
    ),
    Case(
        "proposals.change_grant",
        "POST",
        lambda w: f"/proposals/{w['approved'].id}/grant",
        staff(303),
        lambda w: {"amount": "50", "text": "Weniger Kosten"},
    ),
    Case("proposals.close", "POST", lambda w: f"/proposals/{w['reported'].id}/close", staff(303)),
    Case("proposals.programmes", "GET", lambda w: "/programmes", staff()),
    Case("proposals.programme", "GET", lambda w: f"/programmes/{w['programme'].id}", signed_in()),
    Case("proposals.programme_new", "GET", lambda w: "/programmes/new", staff()),
    Case("proposals.programme_new", "POST", lambda w: "/programmes/new", staff(303), programme_form),
    Case("proposals.programme_edit", "GET", lambda w: f"/programmes/{w['programme'].id}/edit", staff()),
    Case(
        "proposals.programme_edit",
        "POST",
        lambda w: f"/programmes/{w['programme'].id}/edit",
        staff(303),
        lambda w: programme_form(w) | {"name_de": w["programme"].name},
    ),
    Case(
        "proposals.district_budget",
        "POST",
        lambda w: f"/programmes/{w['programme'].id}/districts",
        staff(303),
        lambda w: {"district": str(w["circle"].district_id), "amount": "1000"},
    ),
    # --- privacy
    Case("privacy.privacy", "GET", lambda w: "/privacy", everyone(200)),
    Case("privacy.my_data", "GET", lambda w: "/account/data", signed_in()),
    Case("privacy.my_data_json", "GET", lambda w: "/account/data.json", signed_in()),
    Case("privacy.delete_account", "GET", lambda w: "/account/delete", signed_in()),
    # Without the password nothing is deleted: the form comes back.
    Case("privacy.delete_account", "POST", lambda w: "/account/delete", signed_in(422)),
    Case("privacy.find_person", "GET", lambda w: "/people/delete", staff()),
    Case(
        "privacy.delete_on_request",
        "POST",
        lambda w: f"/people/{w['pending'].user_id}/delete",
        staff(303),
        lambda w: {"reason": "Per Mail gebeten"},
    ),
    Case("privacy.audit_log", "GET", lambda w: "/audit", staff()),
    # --- pwa
    Case("pwa.manifest", "GET", lambda w: "/manifest.webmanifest", everyone(200)),
    Case("pwa.service_worker", "GET", lambda w: "/sw.js", everyone(200)),
    Case("pwa.offline", "GET", lambda w: "/offline", everyone(200)),
    Case("pwa.pages", "GET", lambda w: "/offline/pages", signed_in()),
    Case("pwa.token", "GET", lambda w: "/offline/token", signed_in()),
    # --- reports: coordinators see their own circle (tests/reports shows they get 403 for another), staff the city
    Case("reports.index", "GET", lambda w: "/reports", circle_managers()),
    Case("reports.index", "GET", lambda w: f"/reports?circle={w['circle'].id}", circle_managers()),
    Case("reports.index", "GET", lambda w: f"/reports?district={w['circle'].district_id}", staff()),
    Case("reports.export", "GET", lambda w: "/reports/volunteers.csv?sep=semicolon", circle_managers()),
    Case("reports.export", "GET", lambda w: f"/reports/languages.xlsx?circle={w['circle'].id}", circle_managers()),
    # Proposals and budgets belong to districts: a circle's report has none.
    Case(
        "reports.export",
        "GET",
        lambda w: "/reports/proposals.csv",
        only({"coordinator": 404, "staff": 200, "admin": 200}),
    ),
    Case("reports.placement", "GET", lambda w: "/reports/placement", staff()),
    Case("reports.placement_export", "GET", lambda w: "/reports/placement/placement.xlsx", staff()),
    Case("reports.population", "GET", lambda w: "/reports/population?year=2026", staff()),
    Case(
        "reports.population",
        "POST",
        lambda w: "/reports/population?year=2026",
        staff(303),
        lambda w: {"year": "2026", f"district_{w['circle'].district_id}": "12000"},
    ),
    # --- api
    # The API takes personal access tokens only: a session cookie is no credential there (tests/api checks roles).
    Case("api.my_shifts", "GET", lambda w: "/api/v1/shifts/mine", everyone(401)),
    Case("api.open_shifts", "GET", lambda w: "/api/v1/shifts/open", everyone(401)),
    Case("api.assignments", "GET", lambda w: "/api/v1/assignments", everyone(401)),
    Case("api.openapi", "GET", lambda w: "/api/v1/openapi.json", everyone(200)),
    Case("api.tokens", "GET", lambda w: "/account/tokens", signed_in()),
    Case("api.token_create", "POST", lambda w: "/account/tokens", signed_in(), lambda w: {"name": "Kalender-Skript"}),
    # The token belongs to the volunteer: only they may revoke it.
    Case("api.token_revoke", "POST", lambda w: f"/account/tokens/{w['token'].id}/revoke", only({"volunteer": 303})),
]


@pytest.fixture
def world(app, db, make_user, make_circle, make_shift, tmp_path):
    circle = make_circle()
    make_circle()  # a second circle nobody here coordinates
    people = {
        "volunteer": make_user(roles=[Role.VOLUNTEER]),
        "interpreter": make_user(roles=[Role.VOLUNTEER, Role.INTERPRETER]),
        "moderator": make_user(roles=[Role.MODERATOR]),
        "coordinator": make_user(roles=[Role.VOLUNTEER, (Role.COORDINATOR, circle)]),
        "staff": make_user(roles=[Role.STAFF]),
        "admin": make_user(roles=[Role.ADMIN]),
    }
    applicant = make_user(roles=[Role.VOLUNTEER])
    db.session.add_all(
        [
            CircleMembership(circle=circle, user=people["volunteer"], status=MembershipStatus.ACTIVE),
            CircleMembership(circle=circle, user=people["coordinator"], status=MembershipStatus.ACTIVE),
            CircleMembership(circle=circle, user=applicant, status=MembershipStatus.PENDING),
        ]
    )
    language = UserLanguage(user=people["volunteer"], code="fa", level=LanguageLevel.NATIVE)
    db.session.add(language)
    db.session.add(UserLanguage(user=people["interpreter"], code="ar", level=LanguageLevel.NATIVE))
    db.session.commit()
    dialogs = _dialogs(db, people["moderator"], people["interpreter"], circle.accommodations[0])
    shift = make_shift(circle)
    past_shift = make_shift(circle, starts_in=timedelta(hours=-5), hours=2)
    volunteer_id = people["volunteer"].id
    past_signup = Signup(shift_id=past_shift.id, user_id=volunteer_id, status=SignupStatus.CONFIRMED)
    feed = CalendarFeed(user_id=volunteer_id)
    token, _secret = AccessToken.issue(people["volunteer"], "Skript")
    now = utcnow()
    failed_mail = OutboxMail(
        recipient="someone@example.org",
        message=b"Subject: Hallo\r\nTo: someone@example.org\r\n\r\nText\r\n",
        queued_at=now,
        due_at=now + timedelta(minutes=1),
        attempts=1,
        last_error="Connection refused",
    )
    db.session.add_all([past_signup, feed, token, failed_mail])
    db.session.commit()
    proposals = _proposals(db, people["volunteer"], circle.district_id)
    return {
        "failed_mail": failed_mail,
        **people,
        **proposals,
        "shift": shift,
        "past_shift": past_shift,
        "past_signup": past_signup,
        "feed": feed,
        "token": token,
        "circle": circle,
        "accommodation": circle.accommodations[0],
        "pending": db.session.query(CircleMembership).filter_by(user_id=applicant.id).one(),
        "language": language,
        **dialogs,
    }


def _dialogs(db, moderator, interpreter, accommodation) -> dict:
    """A dialog with an open request, one the interpreter works at, one held without and one with a log."""
    from app.database import utcnow
    from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, FollowUp, ModeratorRole, SessionLog, Topic

    def dialog(starts_in: timedelta, *codes: str) -> Dialog:
        start = (utcnow() + starts_in).replace(second=0, microsecond=0)
        item = Dialog(accommodation=accommodation, starts_at=start, ends_at=start + timedelta(hours=2), topic="Dialog")
        item.moderators.append(DialogModerator(user_id=moderator.id, role=ModeratorRole.LEAD))
        item.languages = [DialogLanguage(code=code) for code in codes]
        db.session.add(item)
        return item

    upcoming = dialog(timedelta(days=3), "ar", "ti")
    upcoming.languages[0].open_since = utcnow()
    other = dialog(timedelta(days=5), "ti")
    other.languages[0].interpreter_id = interpreter.id
    held = dialog(timedelta(hours=-4))
    logged = dialog(timedelta(days=-3))
    topic = Topic(name="Wohnen")
    log = SessionLog(
        dialog=logged,
        idempotency_key="logged-dialog-key-01",
        payload_digest="0" * 64,
        refugees=3,
        volunteers=1,
        staff=1,
        started_at=logged.starts_at,
        ended_at=logged.ends_at,
        summary="Gut.",
    )
    follow_up = FollowUp(log=log, what="Aushang", responsible="Heimleitung", due_on=date.today())
    db.session.add_all([topic, log, follow_up])
    db.session.commit()
    return {
        "dialog": upcoming,
        "open_language": upcoming.languages[0],
        "uncovered_language": upcoming.languages[1],
        "other_dialog": other,
        "taken_language": other.languages[0],
        "held_dialog": held,
        "follow_up": follow_up,
        "topic": topic,
    }


def _proposals(db, applicant, district_id) -> dict:
    """An open programme and one proposal of the volunteer's in each state a route acts on, two with a file."""
    from app.database import utcnow
    from app.proposals.models import Attachment, AttachmentKind, BudgetLine, FundingProgramme, Proposal, ProposalState

    today = date.today()
    programme = FundingProgramme(
        name="Empowerment Matrix",
        year=today.year,
        budget_cents=1_000_000,
        opens_on=today - timedelta(days=5),
        closes_on=today + timedelta(days=30),
    )
    db.session.add(programme)
    items = {}
    for state in ("draft", "submitted", "in_review", "approved", "running", "reported"):
        proposal = Proposal(
            programme=programme,
            district_id=district_id,
            applicant_id=applicant.id,
            state=ProposalState(state),
            title=f"Projekt {state}",
            summary="Kurz",
            goals="Ziele",
            target_group="Alle",
            group_name="Gruppe",
            contact="mail@example.org",
            starts_on=today + timedelta(days=10),
            ends_on=today + timedelta(days=40),
            requested_cents=20_000,
            granted_cents=20_000 if state in ("approved", "running", "reported") else None,
            submitted_at=None if state == "draft" else utcnow(),
            lines=[BudgetLine(position=1, item="Material", amount_cents=20_000)],
        )
        db.session.add(proposal)
        items[state] = proposal
    for key, state in (("draft_file", "draft"), ("submitted_file", "submitted")):
        attachment = Attachment(
            kind=AttachmentKind.PROPOSAL,
            filename="plan.pdf",
            content_type="application/pdf",
            size=16,
            content=b"%PDF-1.4\n%%EOF\n",
            sha256="0" * 64,
        )
        items[state].attachments.append(attachment)
        items[key] = attachment
    db.session.commit()
    return {"programme": programme, **items}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_as_role(client, login, world, case, role):
    if role != "anonymous":
        login(world[role])
    url = case.url(world)
    response = client.get(url) if case.method == "GET" else client.post_form(url, case.data(world))
    assert response.status_code == case.expected[role], f"{case.id} as {role}: {response.status_code}"


def test_every_route_is_in_the_matrix(app):
    covered = {(case.endpoint, case.method) for case in CASES}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "add these routes to CASES"
    assert covered - routes == set(), "these CASES name routes that do not exist"
