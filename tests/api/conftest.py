"""The dialog factories serve the API tests too (assignments)."""

from tests.dialogs.conftest import make_dialog, make_interpreter, make_moderator  # noqa: F401
