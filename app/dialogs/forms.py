"""Forms for scheduling and cancelling dialogs, asking interpreters, session logs and the staff filters."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.forms import IDEMPOTENCY_KEY, ClockTimeField, FreeText, MultiCheckbox, PlainText, ReasonableDate, strip

# Languages often needed in the city's dialogs, offered as checkboxes; any other CLDR language can be added.
COMMON_LANGUAGES = ("ar", "fa", "ps", "ku", "ckb", "ti", "so", "uk", "ru", "tr", "en", "fr")
MAX_FOLLOW_UPS = 3
MAX_TAGS = 10
DATE_HINT = _l("Please enter the date as shown, e.g. 2026-03-31.")


def _chosen_languages(form) -> list[str]:
    """The ticked languages and the one picked from the full list, each once."""
    chosen = list(form.languages.data or [])
    if form.other_language.data and form.other_language.data not in chosen:
        chosen.append(form.other_language.data)
    return chosen


def _count(label):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Please enter a whole number (0 if nobody).")),
            NumberRange(min=0, max=1000, message=_l("Enter a number between %(min)s and %(max)s.")),
        ],
    )


class DialogForm(FlaskForm):
    accommodation = SelectField(_l("Accommodation"), coerce=int, validators=[InputRequired(_l("Please choose."))])
    day = DateField(_l("Date"), validators=[InputRequired(DATE_HINT), ReasonableDate(past_years=1)])
    start = ClockTimeField(_l("Start"), validators=[InputRequired(_l("Please enter a time, e.g. 16:00."))])
    end = ClockTimeField(_l("End"), validators=[InputRequired(_l("Please enter a time, e.g. 18:00."))])
    topic = StringField(
        _l("Topic"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter a topic.")),
            Length(max=200, message=_l("The topic can have at most %(max)d characters.", max=200)),
            PlainText(),
        ],
    )
    languages = MultiCheckbox(_l("Languages needed"), coerce=str)
    other_language = SelectField(_l("Another language"), coerce=str, default="")
    lead_moderator = SelectField(_l("Moderator"), coerce=str, validators=[DataRequired(_l("Please choose."))])
    co_moderator = SelectField(_l("Second moderator (optional)"), coerce=str, default="")
    trainee_moderator = SelectField(_l("Trainee moderator, shadowing (optional)"), coerce=str, default="")
    expected_participants = IntegerField(
        _l("Expected participants"),
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Enter a number between %(min)s and %(max)s.")),
        ],
    )

    def chosen_languages(self) -> list[str]:
        return _chosen_languages(self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.languages.errors and not self.other_language.errors and not self.chosen_languages():
            self.languages.errors.append(_l("Choose at least one language."))
            valid = False
        if self.start.data and self.end.data and self.end.data <= self.start.data and not self.end.errors:
            self.end.errors.append(_l("The end must be after the start."))
            valid = False
        return valid


class CancelDialogForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to everyone booked)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(max=500, message=_l("The reason can have at most %(max)d characters.", max=500)),
            FreeText(),
        ],
    )


class AskForm(FlaskForm):
    interpreters = MultiCheckbox(_l("Interpreters who are free"), coerce=int)


class FollowUpForm(FlaskForm):
    """One agreed action; a row left empty is no follow-up."""

    class Meta:
        csrf = False  # a part of the log form, which carries the token

    what = StringField(
        _l("What"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300, message=_l("This can have at most %(max)d characters.", max=300)),
            PlainText(),
        ],
    )
    responsible = StringField(
        _l("Who takes care of it"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=120, message=_l("This can have at most %(max)d characters.", max=120)),
            PlainText(),
        ],
    )
    due_on = DateField(_l("Due"), validators=[Optional(), ReasonableDate(past_years=1)])

    @property
    def is_empty(self) -> bool:
        typed_date = any(value.strip() for value in self.due_on.raw_data or [])
        return not (self.what.data or self.responsible.data or self.due_on.data or typed_date)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_empty:
            return valid
        for field, message in (
            (self.what, _l("Please say what is to be done.")),
            (self.responsible, _l("Please say who takes care of it.")),
            (self.due_on, _l("Please enter a due date.")),
        ):
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        return valid


class LogForm(FlaskForm):
    idempotency_key = HiddenField(
        validators=[
            DataRequired(_l("This form has expired. Please reload the page and try again.")),
            Regexp(IDEMPOTENCY_KEY, message=_l("This form has expired. Please reload the page and try again.")),
        ]
    )
    refugees = _count(_l("Refugees"))
    volunteers = _count(_l("Volunteers"))
    staff = _count(_l("Staff"))
    start = ClockTimeField(_l("Actual start"), validators=[InputRequired(_l("Please enter a time, e.g. 16:00."))])
    end = ClockTimeField(_l("Actual end"), validators=[InputRequired(_l("Please enter a time, e.g. 18:00."))])
    languages = MultiCheckbox(_l("Languages used"), coerce=str)
    other_language = SelectField(_l("Another language"), coerce=str, default="")
    topics = MultiCheckbox(_l("Topics"), coerce=int)
    tags = StringField(
        _l("More topics (free tags)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=400, message=_l("This can have at most %(max)d characters.", max=400)),
            PlainText(),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please write a short summary.")),
            Length(max=3000, message=_l("The summary can have at most %(max)d characters.", max=3000)),
            FreeText(),
        ],
    )
    follow_ups = FieldList(FormField(FollowUpForm), min_entries=MAX_FOLLOW_UPS, max_entries=MAX_FOLLOW_UPS)

    def chosen_languages(self) -> list[str]:
        return _chosen_languages(self)

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in re.split(r"[,;]", self.tags.data or "") if tag.strip()]

    def validate_tags(self, field):
        tags = self.tag_list()
        if len(tags) > MAX_TAGS:
            raise ValidationError(_l("Please use at most %(max)d tags.", max=MAX_TAGS))
        if any(len(tag) > 40 for tag in tags):
            raise ValidationError(_l("A tag can have at most %(max)d characters.", max=40))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.start.data and self.end.data and self.end.data <= self.start.data and not self.end.errors:
            self.end.errors.append(_l("The end must be after the start."))
            valid = False
        return valid


class LogFilterForm(FlaskForm):
    """The staff filters over all session logs, read from the query string."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), coerce=str, default="")
    accommodation = SelectField(_l("Accommodation"), coerce=str, default="")
    start = DateField(_l("From"), validators=[Optional(), ReasonableDate()])
    end = DateField(_l("To"), validators=[Optional(), ReasonableDate()])
    topic = SelectField(_l("Topic"), coerce=str, default="")
    language = SelectField(_l("Language"), coerce=str, default="")

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("'To' must not be before 'From'."))
