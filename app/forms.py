"""Validators and fields shared by the forms of every domain."""

from __future__ import annotations

import re

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from app.database import local_today

# The key a client makes for each form it sends, so that a repeat of the same submission is stored once.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

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


_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


class FreeText:
    """Multi-line text: line breaks are fine, HTML tags and control characters are not."""

    def __call__(self, form, field):
        value = field.data or ""
        if _TAG.search(value):
            raise ValidationError(_l("Please write plain text without HTML tags."))
        if _CONTROL.search(value):
            raise ValidationError(_l("This text contains characters that are not allowed."))


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices; values travel as strings and fields coerce them back."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class QuickSelect(Select):
    """WTForms' select widget writing plain options directly: the same HTML, for long lists (150 circles in the
    shift filter) in a fraction of the time html_params takes per option."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        label = choice.label or choice.value
        selected = " selected" if choice.selected else ""
        # escape() marks up the value and the label; joining strings is several times faster than Markup.format.
        return Markup(f'<option{selected} value="{escape(choice.value)}">{escape(label)}</option>')  # noqa: S704


class MultiSelect(SelectMultipleField):
    """A multiple choice whose refusal of an unknown choice is worded in Lotse's catalogs."""

    def pre_validate(self, form):
        known = {str(choice.value) for choice in self.iter_choices()}
        if any(str(value) not in known for value in self.data or []):
            raise ValidationError(_l("Please choose from the list."))


class ClockTimeField(TimeField):
    """A time of day (16:00); an unreadable one is refused in Lotse's words."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Please enter a time, e.g. 16:00."))


class ReasonableDate:
    """A date within a span around today that a city's planning can mean (and Python can compute with)."""

    def __init__(self, past_years: int = 30, future_years: int = 2):
        self.past_years = past_years
        self.future_years = future_years

    def __call__(self, form, field):
        if field.data is None:
            return
        today = local_today()
        earliest = today.replace(year=today.year - self.past_years, day=1)
        latest = today.replace(year=today.year + self.future_years, day=1)
        if not earliest <= field.data <= latest:
            raise ValidationError(
                _l(
                    "Please choose a date between %(first)s and %(last)s.",
                    first=format_date(earliest),
                    last=format_date(latest),
                )
            )


class MultiCheckbox(MultiSelect):
    """Several choices as checkboxes, which a thumb can hit more easily than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
