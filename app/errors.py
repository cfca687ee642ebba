"""Domain errors. Models and services raise them; views turn them into a translated message and a 4xx."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action. The message is already translated."""

    status_code = 409

    def __init__(self, message: str, status_code: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the message belongs to, when a view shows it beside one.
        self.field = field
        if status_code is not None:
            self.status_code = status_code


class NotAllowed(DomainError):
    status_code = 403
