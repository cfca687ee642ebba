"""Who may schedule, see, run and log dialogs, interpret, and read the city's logs."""

from __future__ import annotations

from app.auth.models import Role, User
from app.dialogs.models import Dialog, ModeratorRole


def can_schedule_dialogs(user: User) -> bool:
    """Dialog moderators and staff schedule dialogs."""
    return user.is_authenticated and (user.has_role(Role.MODERATOR) or user.is_staff)


def can_manage_dialog(user: User, dialog: Dialog) -> bool:
    """The dialog's moderator and co-moderator (not the trainee), and staff, change it and write its log."""
    return user.is_authenticated and (
        user.is_staff or user.id in dialog.moderator_ids(ModeratorRole.LEAD, ModeratorRole.CO)
    )


def can_see_dialog(user: User, dialog: Dialog) -> bool:
    """Moderators and interpreters (who may be asked), staff, and whoever is booked on it."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.has_role(Role.MODERATOR) or user.has_role(Role.INTERPRETER):
        return True
    return user.id in dialog.moderator_ids() or any(
        user.id in (language.interpreter_id, language.shadow_id) for language in dialog.languages
    )


def can_read_log(user: User, dialog: Dialog) -> bool:
    """A dialog's log is for its moderators (the trainee too) and staff, not for everyone who may see the dialog."""
    return user.is_authenticated and (user.is_staff or user.id in dialog.moderator_ids())


def can_see_dialogs(user: User) -> bool:
    return user.is_authenticated and (user.is_staff or user.has_role(Role.MODERATOR) or user.has_role(Role.INTERPRETER))


def can_interpret(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.INTERPRETER)


def can_read_all_logs(user: User) -> bool:
    """Staff read every session log of the city."""
    return user.is_authenticated and user.is_staff


def can_manage_topics(user: User) -> bool:
    return user.is_authenticated and user.is_staff
