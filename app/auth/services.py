"""Changes to accounts, roles and invitations. The acting user is passed explicitly; flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.auth.models import Invitation, LanguageLevel, Role, RoleGrant, User, UserLanguage, new_session_token
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.mail import queue_mail
from app.passwords import burn_time, hash_password, needs_rehash, verify_password
from app.views import public_url

_RESET_SALT = "password-reset"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def register_user(name: str, email: str, password: str, locale: str | None) -> User:
    """Create a volunteer account with no circle yet."""
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this e-mail address already exists. Log in or reset your password."), 422)
    user = User(name=name.strip(), email=email, password_hash=hash_password(password), locale=locale)
    user.role_grants.append(RoleGrant(role=Role.VOLUNTEER))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; takes as long for an unknown e-mail as for a wrong password."""
    user = find_user_by_email(email)
    if user is None:
        burn_time(password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_enabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every other session of this user."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_("The current password is not correct."), 422)
    set_password(user, new_password)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier reset link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link belongs to, or None when it is invalid, used or expired."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("fp") != _password_fingerprint(user):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link when the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_enabled:
        return
    link = public_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    queue_mail(
        user.email,
        _l("Reset your Lotse password"),
        "auth/mail/reset_password.txt",
        locale=user.locale,
        user=user,
        link=link,
        minutes=minutes,
    )


def add_language(user: User, code: str, level: LanguageLevel) -> UserLanguage:
    """Add a spoken language, or update its level when it is already listed."""
    for entry in user.languages:
        if entry.code == code:
            entry.level = level
            return entry
    entry = UserLanguage(code=code, level=level)
    user.languages.append(entry)
    db.session.flush()
    return entry


def remove_language(user: User, entry: UserLanguage) -> None:
    if entry.user_id != user.id:
        raise DomainError(_("This language is not on your profile."), 404)
    user.languages.remove(entry)


def grant_role(by: User, user: User, role: Role, circle_id: int | None = None) -> RoleGrant:
    """Give a role; coordinator grants name their circle."""
    if role.scoped and circle_id is None:
        raise DomainError(_("Choose the circle this coordinator runs."), 422)
    if not role.scoped:
        circle_id = None
    if user.has_role(role, circle_id) and (role.scoped or not circle_id):
        raise DomainError(_("%(name)s already has this role.", name=user.name), 409)
    grant = RoleGrant(role=role, circle_id=circle_id, granted_by_id=by.id)
    user.role_grants.append(grant)
    db.session.flush()
    _audit_role(by, "role.grant", grant, user.id)
    return grant


def _audit_role(by: User, action: str, grant: RoleGrant, user_id: int) -> None:
    from app.privacy.audit import record

    scope = f" circle={grant.circle_id}" if grant.circle_id else ""
    record(by, action, "role_grant", grant.id, user_id, f"role={grant.role.value}{scope}")


def revoke_role(by: User, grant: RoleGrant) -> None:
    """Take a role away; the last administrator keeps theirs."""
    if grant.role is Role.ADMIN:
        admins = db.session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.role == Role.ADMIN))
        if admins <= 1:
            raise DomainError(_("The last administrator can't lose the role."), 409)
    _audit_role(by, "role.revoke", grant, grant.user_id)
    grant.user.role_grants.remove(grant)
    db.session.flush()


def create_invitation(by: User, email: str, role: Role, circle_id: int | None) -> Invitation:
    """Invite someone by e-mail; the link creates the account with the role (and circle)."""
    email = normalize_email(email)
    if role.scoped and circle_id is None:
        raise DomainError(_("Choose the circle this coordinator runs."), 422)
    if find_user_by_email(email) is not None:
        raise DomainError(_("%(email)s already has an account.", email=email), 409)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        token_hash=Invitation.hash_token(token),
        role=role,
        circle_id=circle_id,
        invited_by_id=by.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    queue_mail(
        email,
        _l("You are invited to Lotse"),
        "auth/mail/invitation.txt",
        locale=by.locale,
        invitation=invitation,
        inviter=by,
        link=public_url("auth.accept_invitation", token=token),
        days=current_app.config["INVITATION_MAX_AGE_DAYS"],
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation for a link, or None when it is unknown, used or expired."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == Invitation.hash_token(token)))
    if invitation is None or not invitation.is_open():
        return None
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str, locale: str | None) -> User:
    """Create the invited account with its role and, for a circle, an active membership."""
    from app.places.services import add_active_member

    if not invitation.is_open():
        raise DomainError(_("This invitation has expired or was already used."), 410)
    user = register_user(name, invitation.email, password, locale)
    if invitation.role is not Role.VOLUNTEER:
        user.role_grants.append(
            RoleGrant(
                role=invitation.role,
                circle_id=invitation.circle_id if invitation.role.scoped else None,
                granted_by_id=invitation.invited_by_id,
            )
        )
    if invitation.circle_id is not None:
        add_active_member(invitation.circle, user, by_id=invitation.invited_by_id)
    invitation.accepted_at = utcnow()
    db.session.flush()
    return user
