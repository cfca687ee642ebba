"""Registration, login, logout, password reset and change, with mail read from the real SMTP server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from tests.conftest import PASSWORD

GOOD = {
    "name": "Amal Haddad",
    "email": "amal@example.org",
    "password": "a long enough password",
    "password_confirm": "a long enough password",
    "locale": "ar",
    "consent": "y",
}


def test_register_creates_volunteer_and_logs_in(client, db):
    response = client.post_form("/register", GOOD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/circles"
    user = db.session.scalar(select(User).where(User.email == "amal@example.org"))
    assert user.name == "Amal Haddad"
    assert user.locale == "ar"
    assert user.roles == {Role.VOLUNTEER}
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/").status_code == 200
    assert "Amal Haddad" in client.get("/").get_data(as_text=True)


def test_register_stores_email_in_lower_case(client, db):
    client.post_form("/register", {**GOOD, "email": "Amal@Example.ORG"})
    assert db.session.scalar(select(User.email)) == "amal@example.org"


def test_register_requires_consent(client, db):
    response = client.post_form("/register", {k: v for k, v in GOOD.items() if k != "consent"})
    assert response.status_code == 422
    assert db.session.scalar(select(User)) is None


def test_register_rejects_mismatched_passwords(client, db):
    response = client.post_form("/register", {**GOOD, "password_confirm": "something else entirely"})
    assert response.status_code == 422
    assert db.session.scalar(select(User)) is None


def test_register_rejects_short_password(client, db):
    response = client.post_form("/register", {**GOOD, "password": "short", "password_confirm": "short"})
    assert response.status_code == 422


def test_register_rejects_taken_email(client, make_user):
    make_user(email="amal@example.org")
    response = client.post_form("/register", GOOD, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_login_and_logout(client, make_user):
    user = make_user()
    response = client.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert client.post_form("/logout").status_code == 303
    assert client.get("/account").status_code == 302


def test_logout_is_not_possible_by_get(client, make_user, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_login_failure_does_not_tell_whether_account_exists(client, make_user):
    user = make_user()
    wrong = client.post_form("/login", {"email": user.email, "password": "wrong password!"})
    unknown = client.post_form("/login", {"email": "nobody@example.org", "password": "wrong password!"})
    assert wrong.status_code == unknown.status_code == 422

    def error_of(response):
        return re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', response.get_data(as_text=True), re.S)

    assert error_of(wrong) == error_of(unknown)
    assert error_of(wrong)


def test_disabled_account_cannot_log_in(client, make_user):
    user = make_user(is_enabled=False)
    assert client.post_form("/login", {"email": user.email, "password": PASSWORD}).status_code == 422


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/circles", "/circles"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_redirects_only_to_own_pages(client, make_user, next_url, expected):
    user = make_user()
    response = client.post_form("/login", {"email": user.email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_protected_page_sends_anonymous_visitor_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = client.post_form("/login", {"email": user.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_config_marks_cookies_secure(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("LOTSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("LOTSE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        load_config()


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgres://lotse:pw@db.internal:5432/lotse")
    assert load_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://lotse:pw@db.internal:5432/lotse"


# --- password reset ---------------------------------------------------------------------------------------


def test_password_reset_by_mail(client, make_user, mailbox, db):
    user = make_user(locale="en")
    response = client.post_form("/password/forgot", {"email": user.email})
    assert response.status_code == 303
    [message] = mailbox.to(user.email)
    assert message["Subject"] == "Reset your Lotse password"
    path = mailbox.path(message)
    assert client.get(path).status_code == 200
    response = client.post_form(path, {"password": "brand new password", "password_confirm": "brand new password"})
    assert response.status_code == 303
    assert client.post_form("/login", {"email": user.email, "password": "brand new password"}).status_code == 303
    # The link worked once: the password changed, so it is spent.
    client.post_form("/logout")
    assert client.get(path).status_code == 410


def test_password_reset_mail_is_in_the_users_language(client, make_user, mailbox):
    user = make_user(locale="de")
    client.post_form("/password/forgot", {"email": user.email}, headers={"Accept-Language": "en"})
    [message] = mailbox.to(user.email)
    assert message["Subject"] == "Ihr Lotse-Passwort zurücksetzen"


def test_reset_link_ignores_the_host_the_request_names(client, make_user, mailbox):
    user = make_user()
    client.post_form(
        "/password/forgot",
        {"email": user.email},
        headers={"X-Forwarded-Host": "evil.example"},
    )
    [message] = mailbox.to(user.email)
    assert "evil.example" not in mailbox.body(message)
    assert mailbox.link(message).startswith("https://lotse.test/password/reset/")


def test_forwarded_for_is_not_trusted_without_a_proxy(app, client):
    app.config["RATELIMIT_LOGIN_IP"] = "3 per minute"
    for n in range(3):
        client.post_form(
            "/login",
            {"email": f"x{n}@example.org", "password": "wrong password!"},
            headers={"X-Forwarded-For": f"10.0.0.{n}"},
        )
    response = client.post_form(
        "/login", {"email": "y@example.org", "password": "wrong password!"}, headers={"X-Forwarded-For": "10.0.0.99"}
    )
    assert response.status_code == 429


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client, make_user, mailbox):
    user = make_user()
    known = client.post_form("/password/forgot", {"email": user.email}, follow_redirects=True)
    unknown = client.post_form("/password/forgot", {"email": "nobody@example.org"}, follow_redirects=True)

    def notice(response):
        text = response.get_data(as_text=True)
        return re.search(r'<div class="alert alert-info"[^>]*><p>(.*?)</p>', text).group(1)

    assert notice(known).replace(user.email, "X") == notice(unknown).replace("nobody@example.org", "X")
    assert len(mailbox.messages) == 1


def test_expired_reset_link_is_refused(app, client, make_user, mailbox):
    user = make_user()
    client.post_form("/password/forgot", {"email": user.email})
    path = mailbox.path(mailbox.to(user.email)[0])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(path).status_code == 410


def test_forged_reset_link_is_refused(client):
    assert client.get("/password/reset/not-a-token").status_code == 410


# --- change password --------------------------------------------------------------------------------------


def test_change_password_ends_other_sessions(app, client, make_user, login):
    user = make_user()
    login(user)
    other_device = app.test_client()
    other = other_device.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert other.status_code == 303
    response = client.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "another good password",
            "password_confirm": "another good password",
        },
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302


def test_change_password_needs_the_current_one(client, make_user, login):
    login(make_user())
    response = client.post_form(
        "/account/password",
        {
            "current_password": "not my password",
            "password": "another good password",
            "password_confirm": "another good password",
        },
    )
    assert response.status_code == 422


# --- rate limits and CSRF ---------------------------------------------------------------------------------


def test_login_is_rate_limited_per_account(client, make_user):
    user = make_user()
    for _ in range(5):
        assert client.post_form("/login", {"email": user.email, "password": "wrong password!"}).status_code == 422
    response = client.post_form(
        "/login", {"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked by this one.
    other = make_user()
    assert client.post_form("/login", {"email": other.email, "password": PASSWORD}).status_code == 303


def test_login_is_rate_limited_per_address(app, client, make_user):
    app.config["RATELIMIT_LOGIN_IP"] = "3 per minute"
    for n in range(3):
        client.post_form("/login", {"email": f"someone{n}@example.org", "password": "wrong password!"})
    response = client.post_form("/login", {"email": "fresh@example.org", "password": "wrong password!"})
    assert response.status_code == 429


def test_post_without_csrf_token_is_rejected(client, make_user, db):
    response = client.post("/register", data=dict(GOOD.items()), headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_htmx_post_with_csrf_header_is_accepted(client, make_user, login):
    login(make_user())
    token = client.csrf_token()
    response = client.post(
        "/account/languages",
        data={"code": "ar", "level": "fluent"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
