"""Start page, health check, language switch, security headers."""

from __future__ import annotations


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(app, client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_landing_page_for_anonymous_visitor(client):
    response = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in page
    assert "Anmelden" in page


def test_accept_language_picks_arabic_right_to_left(client):
    page = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page


def test_language_switch_is_remembered_for_anonymous_visitor(client):
    response = client.post_form("/language", {"locale": "fa", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page


def test_language_switch_is_stored_on_the_account(client, make_user, login, db):
    user = make_user(locale="de")
    login(user)
    client.post_form("/language", {"locale": "uk"})
    db.session.refresh(user)
    assert user.locale == "uk"
    assert '<html lang="uk"' in client.get("/").get_data(as_text=True)


def test_language_switch_rejects_unknown_language(client):
    response = client.post_form("/language", {"locale": "xx"}, headers={"Accept-Language": "de"})
    assert response.status_code == 400
    assert "Diese Sprache ist nicht verfügbar" in response.get_data(as_text=True)


def test_language_switch_ignores_foreign_next(client):
    response = client.post_form("/language", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_content_security_policy_forbids_inline_code(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_pages_vary_on_htmx_header(client):
    assert "HX-Request" in client.get("/").headers.get("Vary", "")


def test_error_page_is_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "tr"})
    assert response.status_code == 404
    assert '<html lang="tr"' in response.get_data(as_text=True)


def test_unexpected_error_gives_a_500_page_in_the_users_language(make_app):
    app = make_app()
    app.config["PROPAGATE_TEST_ERRORS"] = False

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    response = app.test_client().get("/broken-for-test", headers={"Accept-Language": "uk"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert '<html lang="uk"' in page
    assert "a bug" not in page
    assert "Something went wrong on our side" not in page  # the Ukrainian text stands there instead


def test_forbidden_page(client, make_user, login):
    login(make_user())
    response = client.get("/admin/users", headers={"Accept-Language": "de"})
    assert response.status_code == 403
    assert '<html lang="de"' in response.get_data(as_text=True)


def test_create_admin_command(app, db):
    from sqlalchemy import select

    from app.auth.models import Role, User

    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Chefin@Example.org", "--name", "Chefin", "--password", "a long password"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chefin@example.org"))
    assert user.has_role(Role.ADMIN)
    short = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "x@example.org", "--name", "X", "--password", "short"]
    )
    assert short.exit_code != 0


def test_seed_demo_if_empty_leaves_real_data_alone(app, db, make_user):
    from sqlalchemy import func, select

    from app.auth.models import User

    make_user()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
