"""Who may see and change districts, accommodations, circles, memberships and vetting records."""

from __future__ import annotations

from app.auth.models import User
from app.places.models import Circle


def can_manage_places(user: User) -> bool:
    """Districts, accommodations and circles are kept by staff."""
    return user.is_authenticated and user.is_staff


def can_manage_circle(user: User, circle: Circle) -> bool:
    """Coordinators run their own circle; staff every circle."""
    return user.is_authenticated and (user.is_staff or circle.id in user.coordinated_circle_ids)


def can_request_join(user: User, circle: Circle) -> bool:
    return user.is_authenticated


def can_record_vetting(user: User, circle: Circle) -> bool:
    return can_manage_circle(user, circle)
