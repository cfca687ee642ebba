"""Who may see, plan and run shifts."""

from __future__ import annotations

from app.auth.models import User
from app.places.models import Circle
from app.places.policies import can_manage_circle
from app.shifts.models import Shift


def can_plan_shifts(user: User, circle: Circle) -> bool:
    """Coordinators plan their circle's shifts; staff every circle's."""
    return can_manage_circle(user, circle)


def can_manage_shift(user: User, shift: Shift) -> bool:
    return can_manage_circle(user, shift.circle)


def can_see_shift(user: User, shift: Shift, is_member: bool, has_signup: bool = False) -> bool:
    """Members see their circle's shifts, everyone signed in sees open ones; those who run it see it all.

    Whoever is signed up keeps seeing the shift (and can cancel) after leaving the circle.
    """
    return user.is_authenticated and (shift.open_to_all or is_member or has_signup or can_manage_shift(user, shift))


def can_manage_activities(user: User) -> bool:
    return user.is_authenticated and user.is_staff
