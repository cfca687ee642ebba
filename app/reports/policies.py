"""Who may see which report and keep the figures reports rely on."""

from __future__ import annotations

from app.auth.models import User
from app.places.models import Circle


def can_see_reports(user: User) -> bool:
    """Staff see the city's reports, coordinators those of their own circles."""
    return user.is_authenticated and (user.is_staff or bool(user.coordinated_circle_ids))


def can_see_city_reports(user: User) -> bool:
    """City-wide and per-district figures, proposals and budgets: staff only."""
    return user.is_authenticated and user.is_staff


def can_see_circle_report(user: User, circle: Circle) -> bool:
    return user.is_authenticated and (user.is_staff or circle.id in user.coordinated_circle_ids)


def can_edit_populations(user: User) -> bool:
    return user.is_authenticated and user.is_staff
