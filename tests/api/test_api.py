"""The read API: personal access tokens (hashed, shown once, revocable), role checks, JSON errors, rate limits,
and every answer checked against the OpenAPI description."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import select

from app.api.models import AccessToken, token_digest
from app.api.routes import OPENAPI_FILE
from app.shifts.models import Signup, SignupStatus
from tests.conftest import BASE_URL
from tests.dialogs.conftest import language_of


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(OPENAPI_FILE.read_text()))


@pytest.fixture
def issue_token(client, login):
    """Create a token through the token page, as its owner would, and return it (shown this once)."""

    def issue(user, name="Skript") -> str:
        login(user)
        page = client.post_form("/account/tokens", {"name": name})
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        token = re.search(r'id="new-token"[^>]*>([^<]+)</textarea>', page.get_data(as_text=True)).group(1)
        client.post_form("/logout")
        return token

    return issue


def call(client, openapi, path: str, token: str | None, status: int):
    """GET an API path with the token; the answer must have the status and match the OpenAPI description."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    openapi.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))
    return response.get_json()


def test_my_and_open_shifts_with_a_token(client, db, openapi, issue_token, make_circle, make_member, make_shift):
    circle = make_circle()
    person = make_member(circle)
    other = make_member(circle)
    mine = make_shift(circle, title="Hausaufgaben", capacity=1)
    full = make_shift(circle, title="Sprachcafé", capacity=1, starts_in=timedelta(days=3))
    make_shift(circle, title="Kinder", requires_vetting=True, starts_in=timedelta(days=4))
    db.session.add_all(
        [
            Signup(shift=mine, user=person, status=SignupStatus.CONFIRMED),
            Signup(shift=full, user=other, status=SignupStatus.CONFIRMED),
            Signup(shift=full, user=person, status=SignupStatus.WAITLISTED),
        ]
    )
    db.session.commit()
    token = issue_token(person)

    shifts = call(client, openapi, "/api/v1/shifts/mine", token, 200)["shifts"]
    assert [(s["title"], s["status"], s["waitlist_position"]) for s in shifts] == [
        ("Hausaufgaben", "confirmed", None),
        ("Sprachcafé", "waitlisted", 1),
    ]
    assert shifts[0]["starts_at"].endswith("Z")
    assert shifts[0]["url"].endswith(f"/shifts/{mine.id}")

    listed = call(client, openapi, "/api/v1/shifts/open?limit=2", token, 200)["shifts"]
    assert [s["title"] for s in listed] == ["Hausaufgaben", "Sprachcafé"]
    everything = {s["title"]: s for s in call(client, openapi, "/api/v1/shifts/open", token, 200)["shifts"]}
    assert everything["Sprachcafé"]["free_places"] == 0
    assert everything["Sprachcafé"]["my_status"] == "waitlisted"
    assert everything["Kinder"]["my_status"] is None
    assert everything["Kinder"]["obstacle"]  # it needs vetting, which the person has not had


def test_only_a_hash_is_stored_and_the_token_is_shown_once(client, db, login, issue_token, make_user):
    person = make_user()
    token = issue_token(person, name="Kalender")
    stored = db.session.scalars(select(AccessToken).where(AccessToken.user_id == person.id)).one()
    assert stored.token_hash == token_digest(token)
    assert token not in {stored.token_hash, stored.name, stored.hint}
    login(person)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Kalender" in page
    assert token not in page


def test_revoked_token_is_refused(client, db, login, openapi, issue_token, make_user):
    person = make_user()
    token = issue_token(person)
    call(client, openapi, "/api/v1/shifts/mine", token, 200)
    stored = db.session.scalars(select(AccessToken).where(AccessToken.user_id == person.id)).one()
    assert stored.last_used_at is not None
    login(person)
    assert client.post_form(f"/account/tokens/{stored.id}/revoke").status_code == 303
    body = call(client, openapi, "/api/v1/shifts/mine", token, 401)
    assert body["error"]["status"] == 401


def test_nobody_revokes_someone_elses_token(client, login, db, issue_token, make_user):
    owner, other = make_user(), make_user()
    issue_token(owner)
    stored = db.session.scalars(select(AccessToken).where(AccessToken.user_id == owner.id)).one()
    login(other)
    assert client.post_form(f"/account/tokens/{stored.id}/revoke").status_code == 403
    db.session.refresh(stored)
    assert stored.revoked_at is None


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer lotse_forged", "Basic dXNlcjpwYXNz", "Token lotse_x"],
)
def test_missing_or_bad_token_is_401_json(client, openapi, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/shifts/mine", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["message"]
    openapi.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))


def test_a_session_cookie_is_no_api_credential(client, login, make_user):
    login(make_user())
    assert client.get("/api/v1/shifts/mine").status_code == 401


def test_a_disabled_account_loses_its_tokens(client, db, openapi, issue_token, make_user):
    person = make_user()
    token = issue_token(person)
    person.is_enabled = False
    db.session.commit()
    call(client, openapi, "/api/v1/shifts/mine", token, 401)


def test_assignments_are_for_interpreters(client, openapi, issue_token, make_user, make_interpreter, make_dialog, db):
    interpreter = make_interpreter("ar", "fa")
    dialog = make_dialog(languages=("ar", "fa"), topic="Wohnen")
    language_of(dialog, "ar").interpreter_id = interpreter.id
    language_of(dialog, "fa").shadow_id = interpreter.id
    db.session.commit()
    volunteer_token = issue_token(make_user())
    interpreter_token = issue_token(interpreter)

    refused = call(client, openapi, "/api/v1/assignments", volunteer_token, 403)
    assert refused["error"]["status"] == 403
    assignments = call(client, openapi, "/api/v1/assignments", interpreter_token, 200)["assignments"]
    assert sorted((a["language"], a["role"]) for a in assignments) == [("ar", "interpreter"), ("fa", "shadow")]
    assert {a["topic"] for a in assignments} == {"Wohnen"}


def test_the_api_is_rate_limited(app, client, openapi, issue_token, make_user):
    app.config["RATELIMIT_API"] = "3 per minute"
    token = issue_token(make_user())
    for _ in range(3):
        call(client, openapi, "/api/v1/shifts/mine", token, 200)
    body = call(client, openapi, "/api/v1/shifts/mine", token, 429)
    assert body["error"]["status"] == 429


def test_the_description_is_served_and_valid(client, openapi):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {"/api/v1/shifts/mine", "/api/v1/shifts/open", "/api/v1/assignments"}


def test_naming_the_token_is_required(client, login, make_user):
    login(make_user())
    page = client.post_form("/account/tokens", {"name": ""})
    assert page.status_code == 422
    assert 'id="new-token"' not in page.get_data(as_text=True)


def test_a_tokens_use_is_noted_to_the_minute(client, db, openapi, issue_token, make_user):
    """Noting every request's use would turn each read into a write: a use within a minute of the last is not."""
    person = make_user()
    token = issue_token(person)
    call(client, openapi, "/api/v1/shifts/mine", token, 200)
    stored = db.session.scalars(select(AccessToken).where(AccessToken.user_id == person.id)).one()
    first = stored.last_used_at
    call(client, openapi, "/api/v1/shifts/open", token, 200)
    db.session.refresh(stored)
    assert stored.last_used_at == first
    stored.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    call(client, openapi, "/api/v1/assignments", token, 403)
    db.session.refresh(stored)
    assert stored.last_used_at > first


def test_open_shifts_come_a_page_at_a_time(client, db, openapi, issue_token, make_circle, make_member, make_shift):
    circle = make_circle()
    person = make_member(circle)
    titles = [f"Schicht {n}" for n in range(5)]
    for n, title in enumerate(titles):
        make_shift(circle, title=title, starts_in=timedelta(days=2 + n // 2))  # two shifts share each start
    token = issue_token(person)
    seen, path = [], "/api/v1/shifts/open?limit=2"
    while path:
        page = call(client, openapi, path, token, 200)
        seen += [shift["title"] for shift in page["shifts"]]
        assert len(page["shifts"]) <= 2
        path = page["next"] and page["next"].removeprefix(BASE_URL)
    assert seen == titles
    assert call(client, openapi, "/api/v1/shifts/open", token, 200)["next"] is None  # five fit the first page


@pytest.mark.parametrize("cursor", ["x", "12-", "-3", "1.5-3", "999999999999999999-1", "1-2-3", "1-99999999999"])
def test_a_bad_page_address_is_400_json(client, openapi, issue_token, make_user, cursor):
    token = issue_token(make_user())
    body = call(client, openapi, f"/api/v1/shifts/open?after={cursor}", token, 400)
    assert body["error"]["status"] == 400
