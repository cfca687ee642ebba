"""Changes to places, circles, memberships and vetting. The acting user is passed explicitly; flush only."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import Role, RoleGrant, User
from app.database import local_today, utcnow
from app.errors import DomainError
from app.extensions import db
from app.mail import queue_mail
from app.places.models import (
    Accommodation,
    AccommodationKind,
    Circle,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
)
from app.views import public_url

STUTTGART_DISTRICTS = (
    "Mitte",
    "Nord",
    "Ost",
    "Süd",
    "West",
    "Bad Cannstatt",
    "Birkach",
    "Botnang",
    "Degerloch",
    "Feuerbach",
    "Hedelfingen",
    "Möhringen",
    "Mühlhausen",
    "Münster",
    "Obertürkheim",
    "Plieningen",
    "Sillenbuch",
    "Stammheim",
    "Untertürkheim",
    "Vaihingen",
    "Wangen",
    "Weilimdorf",
    "Zuffenhausen",
)


def seed_districts(names: tuple[str, ...] = STUTTGART_DISTRICTS) -> int:
    """Add the districts that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(District.name)))
    added = [District(name=name) for name in names if name not in existing]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def _name_taken(model, name: str, exclude_id: int | None) -> bool:
    query = select(func.count()).select_from(model).where(func.lower(model.name) == name.strip().lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return bool(db.session.scalar(query))


def save_district(by: User, name: str, district: District | None = None) -> District:
    """Add a district or rename one; names are unique."""
    if _name_taken(District, name, district.id if district else None):
        raise DomainError(_("A district named %(name)s already exists.", name=name.strip()), 422)
    if district is None:
        district = District(name=name.strip())
        db.session.add(district)
    else:
        district.name = name.strip()
    db.session.flush()
    return district


def save_accommodation(
    by: User,
    *,
    name: str,
    district: District,
    kind: AccommodationKind,
    planned_places: int,
    address: str,
    accommodation: Accommodation | None = None,
) -> Accommodation:
    if planned_places < 0:
        raise DomainError(_("Planned places can't be negative."), 422)
    if accommodation is None:
        accommodation = Accommodation()
        db.session.add(accommodation)
    accommodation.name = name.strip()
    accommodation.district = district
    accommodation.kind = kind
    accommodation.planned_places = planned_places
    accommodation.address = address.strip()
    db.session.flush()
    return accommodation


def save_circle(
    by: User,
    *,
    name: str,
    district: District,
    accommodations: list[Accommodation],
    description: str,
    circle: Circle | None = None,
) -> Circle:
    """Create or edit a circle; it serves accommodations of its own district only."""
    if _name_taken(Circle, name, circle.id if circle else None):
        raise DomainError(_("A circle named %(name)s already exists.", name=name.strip()), 422)
    if any(a.district_id != district.id for a in accommodations):
        raise DomainError(_("A circle serves accommodations in its own district only."), 422, "accommodations")
    if circle is None:
        circle = Circle()
        db.session.add(circle)
    circle.name = name.strip()
    circle.district = district
    circle.accommodations = accommodations
    circle.description = description.strip()
    db.session.flush()
    return circle


def membership_of(user: User, circle: Circle) -> CircleMembership | None:
    return db.session.scalar(
        select(CircleMembership).where(CircleMembership.circle_id == circle.id, CircleMembership.user_id == user.id)
    )


def add_active_member(circle: Circle, user: User, by_id: int | None) -> CircleMembership:
    """Make the user an active member (invitation, appointment); an open request is approved."""
    membership = membership_of(user, circle)
    if membership is None:
        membership = CircleMembership(circle=circle, user=user, status=MembershipStatus.ACTIVE)
        db.session.add(membership)
    membership.status = MembershipStatus.ACTIVE
    membership.decided_at = utcnow()
    membership.decided_by_id = by_id
    db.session.flush()
    return membership


def coordinators_of(circle: Circle) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.COORDINATOR, RoleGrant.circle_id == circle.id)
            .order_by(User.name)
        )
    )


def request_join(user: User, circle: Circle) -> CircleMembership:
    """Ask to join a circle; its coordinators are told."""
    membership = membership_of(user, circle)
    if membership is None:
        membership = CircleMembership(circle=circle, user=user, status=MembershipStatus.PENDING)
        db.session.add(membership)
    else:
        membership.reopen()
    db.session.flush()
    link = public_url("places.circle_detail", circle_id=circle.id)
    for coordinator in coordinators_of(circle):
        queue_mail(
            coordinator.email,
            _l("New request to join %(circle)s", circle=circle.name),
            "places/mail/join_requested.txt",
            locale=coordinator.locale,
            coordinator=coordinator,
            volunteer=user,
            circle=circle,
            link=link,
        )
    return membership


def leave_circle(user: User, circle: Circle) -> None:
    """Leave a circle or withdraw a request to join it."""
    membership = membership_of(user, circle)
    if membership is None or membership.status is MembershipStatus.DECLINED:
        raise DomainError(_("You are not a member of this circle."), 409)
    db.session.delete(membership)
    db.session.flush()


def decide_membership(by: User, membership: CircleMembership, approve: bool) -> None:
    """Approve or decline a join request and tell the volunteer."""
    if approve:
        membership.approve(by)
        subject = _l("Welcome to %(circle)s", circle=membership.circle.name)
    else:
        membership.decline(by)
        subject = _l("Your request to join %(circle)s", circle=membership.circle.name)
    db.session.flush()
    queue_mail(
        membership.user.email,
        subject,
        "places/mail/join_decided.txt",
        locale=membership.user.locale,
        membership=membership,
        approved=approve,
        link=public_url("places.circle_detail", circle_id=membership.circle_id),
    )


def record_vetting(by: User, circle: Circle, user: User, seen_on: date, valid_until: date) -> VettingRecord:
    """Record that a certificate of good conduct was seen; the document itself is never stored."""
    membership = membership_of(user, circle)
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        raise DomainError(_("Vetting can be recorded for members of this circle only."), 409)
    if valid_until < seen_on:
        raise DomainError(_("'Valid until' must not be before the day the certificate was seen."), 422)
    if seen_on > local_today():
        raise DomainError(_("The certificate can't have been seen in the future."), 422)
    record = VettingRecord(user=user, circle=circle, seen_on=seen_on, valid_until=valid_until, recorded_by=by)
    db.session.add(record)
    db.session.flush()
    from app.privacy.audit import record as audit

    audit(by, "vetting.record", "vetting_record", record.id, user.id, f"circle={circle.id} valid_until={valid_until}")
    return record


def latest_vetting(user: User) -> VettingRecord | None:
    return db.session.scalar(
        select(VettingRecord).where(VettingRecord.user_id == user.id).order_by(VettingRecord.valid_until.desc())
    )


def appoint_coordinator(by: User, circle: Circle, user: User) -> RoleGrant:
    """Make a user coordinator of the circle (and a member of it)."""
    if user.has_role(Role.COORDINATOR, circle.id):
        raise DomainError(_("%(name)s already coordinates this circle.", name=user.name), 409)
    grant = RoleGrant(role=Role.COORDINATOR, circle_id=circle.id, granted_by_id=by.id)
    user.role_grants.append(grant)
    add_active_member(circle, user, by_id=by.id)
    db.session.flush()
    from app.privacy.audit import record as audit

    audit(by, "role.grant", "role_grant", grant.id, user.id, f"role=coordinator circle={circle.id}")
    return grant


def unappoint_coordinator(by: User, grant: RoleGrant) -> None:
    """End a coordinator role; the person stays a member of the circle."""
    from app.privacy.audit import record as audit

    audit(by, "role.revoke", "role_grant", grant.id, grant.user_id, f"role=coordinator circle={grant.circle_id}")
    grant.user.role_grants.remove(grant)
    db.session.flush()
