"""Validators and fields shared by the forms of every domain."""

from __future__ import annotations

import re

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, DateInput, Input, ListWidget, Select
from wtforms.widgets.core import clean_key

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
    shift filter) and pages that show several selects, in a fraction of the time WTForms' general path takes
    (it normalises every choice and formats each option's attributes)."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        plain = (
            not self.multiple
            and isinstance(choices, list)
            and all(
                type(choice) is SelectChoice and not choice.render_kw and choice.optgroup is None for choice in choices
            )
        )
        if not plain:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = True
        coerce, data = field.coerce, field.data
        options = "".join(self._option(choice.value, choice.label, coerce(choice.value) == data) for choice in choices)
        kwargs["name"] = field.name
        return Markup(f"<select {_attributes(kwargs)}>{options}</select>")  # noqa: S704

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        return Markup(cls._option(choice.value, choice.label, choice.selected))  # noqa: S704

    @staticmethod
    def _option(value, label, selected: bool) -> str:
        # escape() marks up the value and the label; joining strings is several times faster than Markup.format.
        chosen = " selected" if selected else ""
        return f'<option{chosen} value="{escape(value)}">{escape(label or value)}</option>'


# A quote inside a value that is already markup, written as WTForms writes it.
_QUOTE, _QUOTE_ENTITY = Markup('"'), Markup("&quot;")


def _attributes(values: dict) -> str:
    """HTML attributes as WTForms' html_params writes them (sorted; True bare, False left out), joined directly."""
    parts = []
    for key, value in sorted(values.items()):
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{escape(key)}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"')
    return " ".join(parts)


# Input widgets whose rendering is Input's own (CheckboxInput adds `checked`, date inputs format min and max).
_PLAIN_INPUT_CALLS = (Input.__call__, CheckboxInput.__call__, DateInput.__call__)


def _control(f, attrs: dict) -> str:
    """The field's control with `attrs`: what WTForms' widget writes. For plain inputs the markup is written here,
    without WTForms' general path (it lists every flag with dir() and formats each attribute through Markup),
    which took as long as the rest of a field; tests/test_quick_select.py compares the two."""
    widget = f.widget
    plain = type(widget).__call__ in _PLAIN_INPUT_CALLS and getattr(f, "_datalist", None) is None
    flags = f.flags
    if not plain or (isinstance(widget, DateInput) and (flags.min is not None or flags.max is not None)):
        return f(**attrs)
    values = {clean_key(key): value for key, value in (f.render_kw or {}).items()}
    values.update(attrs)
    if isinstance(widget, CheckboxInput) and getattr(f, "checked", f.data):
        values.setdefault("checked", True)
    values.setdefault("id", f.id)
    values.setdefault("type", widget.input_type)
    if "value" not in values:
        values["value"] = f._value()
    for flag in widget.validation_attrs:
        value = getattr(flags, flag)
        if value is not None and flag not in values:
            values[flag] = value() if callable(value) else value
    values["name"] = f.name
    return f"<input {_attributes(values)}>"


def field(f, hint=None, autocomplete=None, inputmode=None, autofocus=False) -> Markup:
    """A form field with its label, hint and errors, tied together for screen readers (aria-describedby on the
    control, aria-invalid when refused); radio groups and checkbox lists as a fieldset with a legend.

    A template global rather than a Jinja macro: a form has up to a dozen fields, and a macro call costs several
    times what joining the escaped parts here does."""
    invalid = bool(f.errors)
    described = []
    if hint:
        described.append(f"{f.id}-hint")
    if invalid:
        described.append(f"{f.id}-error")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if invalid:
        attrs["aria-invalid"] = "true"
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    if autofocus:
        attrs["autofocus"] = True
    hint_html = f'<p class="hint" id="{escape(f.id)}-hint">{escape(hint)}</p>' if hint else ""
    errors_html = ""
    if invalid:
        items = "".join(f"<li>{escape(str(error))}</li>" for error in f.errors)
        errors_html = f'<ul class="errors" id="{escape(f.id)}-error">{items}</ul>'
    state = " has-error" if invalid else ""
    if f.type in ("RadioField", "MultiCheckbox"):
        described_by = f' aria-describedby="{escape(attrs["aria-describedby"])}"' if described else ""
        options = "".join(f'<label class="chip">{option()} {escape(option.label.text)}</label>' for option in f)
        return Markup(  # noqa: S704 - every part is escaped or rendered by WTForms
            f'<fieldset class="field radio-group{state}"{described_by}>\n  <legend>{escape(f.label.text)}</legend>\n'
            f'  {hint_html}<div class="choices">{options}</div>{errors_html}\n</fieldset>'
        )
    # The label as WTForms writes it (<label for="id">text</label>), without its general attribute formatting.
    label = f'<label for="{escape(f.id)}">{escape(f.label.text)}</label>'
    if f.type == "BooleanField":
        return Markup(  # noqa: S704 - every part is escaped or rendered by WTForms
            f'<div class="field{state}">\n  <div class="check">{_control(f, attrs)} {label}</div>'
            f"{hint_html}{errors_html}\n</div>"
        )
    return Markup(  # noqa: S704 - every part is escaped or rendered by WTForms
        f'<div class="field{state}">\n  {label}\n  {hint_html}{_control(f, attrs)}{errors_html}\n</div>'
    )


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
