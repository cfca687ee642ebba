"""Profile, spoken languages with CLDR names."""

from __future__ import annotations

from app.auth.models import LanguageLevel, UserLanguage


def test_profile_saves_name_and_locale(client, make_user, login, db):
    user = make_user(locale="de")
    login(user)
    response = client.post_form("/account", {"name": "Neuer Name", "locale": "tr"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Neuer Name", "tr")


def test_add_language_with_level_and_show_cldr_name_in_ui_language(client, make_user, login, db):
    user = make_user(locale="de")
    login(user)
    response = client.post_form("/account/languages", {"code": "ar", "level": "fluent"})
    assert response.status_code == 200
    assert [(e.code, e.level) for e in db.session.get(type(user), user.id).languages] == [("ar", LanguageLevel.FLUENT)]
    assert "Arabisch" in client.get("/account").get_data(as_text=True)
    client.post_form("/language", {"locale": "en"})
    assert "Arabic" in client.get("/account").get_data(as_text=True)


def test_adding_a_language_again_updates_its_level(client, make_user, login, db):
    user = make_user(languages=[("fa", "basic")])
    login(user)
    client.post_form("/account/languages", {"code": "fa", "level": "native"})
    entries = db.session.query(UserLanguage).filter_by(user_id=user.id).all()
    assert [(e.code, e.level) for e in entries] == [("fa", LanguageLevel.NATIVE)]


def test_unknown_language_code_is_refused(client, make_user, login, db):
    user = make_user()
    login(user)
    response = client.post_form("/account/languages", {"code": "xx-fake", "level": "fluent"})
    assert response.status_code == 422
    assert db.session.query(UserLanguage).count() == 0


def test_htmx_add_language_returns_only_the_languages_block(client, make_user, login):
    login(make_user())
    response = client.post_form("/account/languages", {"code": "uk", "level": "working"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="languages-title"' in body


def test_remove_own_language(client, make_user, login, db):
    user = make_user(languages=[("tr", "fluent")])
    login(user)
    entry = db.session.query(UserLanguage).one()
    assert client.post_form(f"/account/languages/{entry.id}/delete").status_code == 200
    assert db.session.query(UserLanguage).count() == 0


def test_cannot_remove_someone_elses_language(client, make_user, login, db):
    other = make_user(languages=[("tr", "fluent")])
    login(make_user())
    entry = db.session.query(UserLanguage).filter_by(user_id=other.id).one()
    assert client.post_form(f"/account/languages/{entry.id}/delete").status_code == 403
    assert db.session.query(UserLanguage).count() == 1
