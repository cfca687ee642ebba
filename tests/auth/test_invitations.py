"""Invitations by staff and coordinators create accounts with the intended role and circle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Invitation, Role, User
from app.database import utcnow
from app.places.models import CircleMembership, MembershipStatus

ACCEPT = {
    "name": "Karim Neu",
    "password": "a good long password",
    "password_confirm": "a good long password",
    "locale": "de",
    "consent": "y",
}


def _path(mailbox, message) -> str:
    return mailbox.path(message)


def test_staff_invites_a_coordinator_for_a_circle(client, make_user, login, make_circle, mailbox, db):
    circle = make_circle()
    staff = make_user(roles=[Role.STAFF], locale="en")
    login(staff)
    response = client.post_form(
        "/invite", {"email": "karim@example.org", "role": "coordinator", "circle": str(circle.id)}
    )
    assert response.status_code == 303
    [message] = mailbox.to("karim@example.org")
    assert message["Subject"] == "You are invited to Lotse"
    assert circle.name in mailbox.body(message)
    invitation = db.session.scalar(select(Invitation))
    token = mailbox.path(message).rsplit("/", 1)[1]
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in invitation.token_hash  # only the hash is stored, not the token

    client.post_form("/logout")
    path = _path(mailbox, message)
    assert client.get(path).status_code == 200
    assert client.post_form(path, ACCEPT).status_code == 303
    user = db.session.scalar(select(User).where(User.email == "karim@example.org"))
    assert user.has_role(Role.COORDINATOR, circle.id)
    membership = db.session.scalar(select(CircleMembership).where(CircleMembership.user_id == user.id))
    assert membership.status is MembershipStatus.ACTIVE
    # Used once: the link is spent.
    client.post_form("/logout")
    assert client.get(path).status_code == 410


def test_coordinator_invites_volunteer_into_own_circle(client, make_user, login, make_circle, mailbox, db):
    circle = make_circle()
    login(make_user(roles=[Role.VOLUNTEER, (Role.COORDINATOR, circle)]))
    response = client.post_form("/invite", {"email": "new@example.org", "role": "volunteer", "circle": str(circle.id)})
    assert response.status_code == 303
    assert len(mailbox.to("new@example.org")) == 1


def test_coordinator_cannot_invite_into_another_circle(client, make_user, login, make_circle, mailbox):
    own, other = make_circle(), make_circle()
    login(make_user(roles=[(Role.COORDINATOR, own)]))
    response = client.post_form("/invite", {"email": "new@example.org", "role": "volunteer", "circle": str(other.id)})
    assert response.status_code == 422  # the other circle is not among the choices
    assert mailbox.messages == []


def test_coordinator_cannot_invite_staff(client, make_user, login, make_circle, mailbox):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form("/invite", {"email": "new@example.org", "role": "staff", "circle": str(circle.id)})
    assert response.status_code == 422
    assert mailbox.messages == []


def test_volunteer_cannot_invite(client, make_user, login):
    login(make_user())
    assert client.get("/invite").status_code == 403


def test_invitation_for_existing_account_is_refused(client, make_user, login, mailbox):
    existing = make_user()
    login(make_user(roles=[Role.STAFF]))
    response = client.post_form("/invite", {"email": existing.email, "role": "moderator", "circle": ""})
    assert response.status_code == 422
    assert mailbox.messages == []


def test_coordinator_invitation_needs_a_circle(client, make_user, login, mailbox):
    login(make_user(roles=[Role.STAFF]))
    response = client.post_form("/invite", {"email": "x@example.org", "role": "coordinator", "circle": ""})
    assert response.status_code == 422
    assert mailbox.messages == []


def test_expired_invitation_is_refused(client, make_user, login, mailbox, db):
    login(make_user(roles=[Role.STAFF]))
    client.post_form("/invite", {"email": "late@example.org", "role": "interpreter", "circle": ""})
    client.post_form("/logout")
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    path = _path(mailbox, mailbox.to("late@example.org")[0])
    assert client.get(path).status_code == 410
    assert client.post_form(path, ACCEPT).status_code == 410
    assert db.session.scalar(select(User).where(User.email == "late@example.org")) is None


def test_signed_in_user_is_asked_to_log_out_before_accepting(client, make_user, login, mailbox, db):
    staff = make_user(roles=[Role.STAFF])
    login(staff)
    client.post_form("/invite", {"email": "new@example.org", "role": "moderator", "circle": ""})
    path = _path(mailbox, mailbox.to("new@example.org")[0])
    assert client.get(path).status_code == 200
    assert client.post_form(path, ACCEPT).status_code == 409
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_coordinator_cannot_invite_interpreters(client, make_user, login, make_circle, mailbox):
    circle = make_circle()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(
        "/invite", {"email": "new@example.org", "role": "interpreter", "circle": str(circle.id)}
    )
    assert response.status_code == 422
    assert mailbox.messages == []
