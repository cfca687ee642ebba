"""Administrators grant and revoke roles; the last administrator keeps the role."""

from __future__ import annotations

from app.auth.models import Role, RoleGrant


def test_admin_grants_interpreter_role(client, make_user, login, db):
    admin = make_user(roles=[Role.ADMIN])
    person = make_user()
    login(admin)
    response = client.post_form(f"/admin/users/{person.id}/roles", {"role": "interpreter", "circle": ""})
    assert response.status_code == 303
    db.session.refresh(person)
    assert Role.INTERPRETER in person.roles


def test_coordinator_role_needs_a_circle(client, make_user, login, db):
    login(make_user(roles=[Role.ADMIN]))
    person = make_user()
    response = client.post_form(f"/admin/users/{person.id}/roles", {"role": "coordinator", "circle": ""})
    assert response.status_code == 422
    db.session.refresh(person)
    assert Role.COORDINATOR not in person.roles


def test_coordinator_role_for_a_circle(client, make_user, login, make_circle, db):
    circle = make_circle()
    login(make_user(roles=[Role.ADMIN]))
    person = make_user()
    client.post_form(f"/admin/users/{person.id}/roles", {"role": "coordinator", "circle": str(circle.id)})
    db.session.refresh(person)
    assert person.has_role(Role.COORDINATOR, circle.id)


def test_granting_a_held_role_again_is_refused(client, make_user, login):
    login(make_user(roles=[Role.ADMIN]))
    person = make_user(roles=[Role.MODERATOR])
    response = client.post_form(f"/admin/users/{person.id}/roles", {"role": "moderator", "circle": ""})
    assert response.status_code == 422


def test_admin_revokes_a_role(client, make_user, login, db):
    login(make_user(roles=[Role.ADMIN]))
    person = make_user(roles=[Role.VOLUNTEER, Role.MODERATOR])
    grant = next(g for g in person.role_grants if g.role is Role.MODERATOR)
    response = client.post_form(f"/admin/users/{person.id}/roles/{grant.id}/revoke")
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.roles == {Role.VOLUNTEER}


def test_last_admin_keeps_the_role(client, make_user, login, db):
    admin = make_user(roles=[Role.ADMIN])
    login(admin)
    grant = admin.role_grants[0]
    response = client.post_form(f"/admin/users/{admin.id}/roles/{grant.id}/revoke")
    assert response.status_code == 409
    assert db.session.get(RoleGrant, grant.id) is not None


def test_revoke_with_grant_of_another_user_is_not_found(client, make_user, login, db):
    login(make_user(roles=[Role.ADMIN]))
    first, second = make_user(roles=[Role.MODERATOR]), make_user(roles=[Role.MODERATOR])
    response = client.post_form(f"/admin/users/{first.id}/roles/{second.role_grants[0].id}/revoke")
    assert response.status_code == 404
    assert db.session.get(RoleGrant, second.role_grants[0].id) is not None


def test_user_search(client, make_user, login):
    login(make_user(roles=[Role.ADMIN]))
    make_user(name="Fatima Rahimi", email="fatima@example.org")
    make_user(name="Jonas Weber", email="jonas@example.org")
    page = client.get("/admin/users?q=fati").get_data(as_text=True)
    assert "Fatima Rahimi" in page
    assert "Jonas Weber" not in page


def test_user_search_htmx_returns_results_only(client, make_user, login):
    login(make_user(roles=[Role.ADMIN]))
    response = client.get("/admin/users?q=x", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert 'id="results"' in body
    assert "<html" not in body


def test_boosted_request_gets_the_full_page(client, make_user, login):
    login(make_user(roles=[Role.ADMIN]))
    response = client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.get_data(as_text=True)
