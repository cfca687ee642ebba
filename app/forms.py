"""Validators and fields shared by the forms of every domain."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class PlainText:
    """Single-line text: no markup characters, no control characters."""

    def __call__(self, form, field):
        value = field.data or ""
        if _MARKUP.search(value):
            raise ValidationError(_l("Please don't use < or > here."))
        if _CONTROL.search(value) or "\n" in value or "\r" in value:
            raise ValidationError(_l("This field must be a single line of plain text."))


class NoControlCharacters:
    def __call__(self, form, field):
        value = field.data or ""
        if _CONTROL.search(value):
            raise ValidationError(_l("This text contains characters that are not allowed."))
