"""Kept fragments of the layout: they read nothing but their arguments, and no one's page shows another's."""

from __future__ import annotations

import re

import pytest
from jinja2 import Environment, meta

from app.auth.models import Role
from app.fragments import FRAGMENTS, IMPLICIT_ARGUMENTS, SAFE_GLOBALS, fragment
from tests.conftest import PASSWORD


def _names_read(app, source: str) -> set[str]:
    """Every name a template looks up at run time, the app's globals included (the app's own environment leaves
    those out of the answer, and `request` or `csrf_token` are globals)."""
    bare = Environment(autoescape=True, extensions=list(app.jinja_env.extensions))
    return meta.find_undeclared_variables(bare.parse(source))


def _unexpected(app, template: str, source: str) -> set[str]:
    return _names_read(app, source) - set(FRAGMENTS[template]) - set(IMPLICIT_ARGUMENTS) - SAFE_GLOBALS


@pytest.mark.parametrize("template", sorted(FRAGMENTS))
def test_fragments_read_only_their_arguments(app, template):
    source = app.jinja_env.loader.get_source(app.jinja_env, template)[0]
    assert _unexpected(app, template, source) == set()


def test_the_check_catches_a_fragment_reading_the_request_or_the_user(app):
    template = "layout/_account_links.html"
    for leak in ("{{ request.path }}", "{{ csrf_token() }}", "{{ current_user.name }}", "{{ session.x }}"):
        assert _unexpected(app, template, leak), leak


def test_a_fragment_takes_exactly_its_declared_arguments(app):
    with app.test_request_context("/"), pytest.raises(TypeError):
        fragment("layout/_topbar.html", endpoint="main.index", signed_in=True)


def _page(client, path="/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_person_sees_their_own_name_links_and_token(app, client, make_user):
    """Two people on two phones, one page after the other: the kept parts never carry the first one's data."""
    staff = make_user(name="Stella Staff", roles=(Role.STAFF,))
    volunteer = make_user(name="Vera Volunteer")
    phones = []
    for person in (staff, volunteer):
        phone = app.test_client()
        phone.post_form("/login", {"email": person.email, "password": PASSWORD})
        phones.append(phone)
    staff_page, page = _page(phones[0]), _page(phones[1])
    assert "Vera Volunteer" in page and "Stella Staff" not in page
    assert "Stella Staff" in staff_page and "Vera Volunteer" not in staff_page
    # The staff's links came from a fragment kept for the staff's roles; the volunteer's from their own.
    assert "/audit" in staff_page and "/audit" not in page
    assert "/review" in staff_page and "/review" not in page
    staff_tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', staff_page))
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1 and len(staff_tokens) == 1 and tokens != staff_tokens
    assert re.search(r'data-user="(\d+)"', page).group(1) == str(volunteer.id)


def test_the_navigation_marks_the_page_shown(client, make_user, login):
    login(make_user())
    shifts = _page(client, "/shifts")
    mine = _page(client, "/shifts/mine")
    overview = _page(client, "/")
    tabbar = re.compile(r'<nav class="tabbar".*?</nav>', re.S)

    def current(page):
        return re.findall(r'href="([^"]+)" aria-current="page"', tabbar.search(page).group(0))

    assert current(shifts) == ["/shifts"]
    assert current(mine) == ["/shifts/mine"]
    assert current(overview) == ["/"]


def test_fragments_follow_the_language(client, make_user, login):
    login(make_user(locale="de"))
    german = _page(client)
    client.post_form("/language", {"locale": "ar"})
    arabic = _page(client)
    assert "Abmelden" in german and "Abmelden" not in arabic
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic
    assert re.search(r'<button type="submit" name="locale" value="ar" lang="ar" aria-current="true">', arabic)
