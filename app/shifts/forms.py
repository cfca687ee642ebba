"""Forms for shifts, series, cancellations, messages, attendance, filters and activity types."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms import (
    ClockTimeField,
    FreeText,
    MultiCheckbox,
    PlainText,
    QuickSelect,
    ReasonableDate,
    select_choices,
    strip,
)

WEEKDAYS = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]
DATE_HINT = _l("Please enter the date as shown, e.g. 2026-03-31.")


class ShiftForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter a title.")),
            Length(max=120, message=_l("The title can have at most %(max)d characters.", max=120)),
            PlainText(),
        ],
    )
    activity_type = SelectField(
        _l("Activity"), coerce=int, validators=[InputRequired(_l("Please choose an activity."))]
    )
    accommodation = SelectField(_l("Place"), coerce=str)
    place_text = StringField(
        _l("Other address"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("The address can have at most %(max)d characters.", max=200)),
            PlainText(),
        ],
    )
    day = DateField(_l("Date"), validators=[InputRequired(DATE_HINT), ReasonableDate(past_years=1)])
    start = ClockTimeField(_l("Start"), validators=[InputRequired(_l("Please enter a time, e.g. 16:00."))])
    end = ClockTimeField(_l("End"), validators=[InputRequired(_l("Please enter a time, e.g. 18:00."))])
    capacity = IntegerField(
        _l("Number of places"),
        validators=[
            InputRequired(_l("Please enter the number of places as a whole number.")),
            NumberRange(min=1, max=200, message=_l("Places must be between %(min)s and %(max)s.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=2000, message=_l("The description can have at most %(max)d characters.", max=2000)),
            FreeText(),
        ],
    )
    required_language = SelectField(_l("Required language"), coerce=str)
    requires_vetting = BooleanField(_l("Work with children: needs a valid certificate of good conduct"))
    open_to_all = BooleanField(_l("Open to volunteers of all circles"))
    signup_opens_hours = IntegerField(
        _l("Sign-up opens (hours before the start)"),
        validators=[Optional(), NumberRange(min=1, max=2160, message=_l("Enter between %(min)s and %(max)s hours."))],
    )
    # Only when planning: repeat the shift.
    repeat = RadioField(
        _l("Repeat"),
        choices=select_choices([("none", _l("Once")), ("1", _l("Every week")), ("2", _l("Every other week"))]),
        default="none",
    )
    weekdays = MultiCheckbox(_l("On these weekdays"), coerce=int, choices=select_choices(WEEKDAYS))
    until = DateField(_l("Until"), validators=[Optional(), ReasonableDate(past_years=1)])
    skip = StringField(
        _l("Skip these dates"),
        filters=[strip],
        validators=[Optional(), Length(max=1000, message=_l("Too many dates."))],
    )
    # Only when editing a shift of a series.
    scope = RadioField(
        _l("Apply to"),
        choices=select_choices([("this", _l("This shift only")), ("following", _l("This and all following shifts"))]),
        default="this",
    )

    def skip_dates(self) -> list[date]:
        """The dates to leave out of a series, as listed in the skip field."""
        parts = (part.strip() for part in (self.skip.data or "").replace(";", ",").split(","))
        return [date.fromisoformat(part) for part in parts if part]

    def validate_skip(self, field):
        try:
            self.skip_dates()
        except ValueError:
            raise ValidationError(_l("Please list dates as 2026-03-31, separated by commas."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # The repeat fields are optional one by one, but a series needs its end and weekdays.
        if self.repeat.data != "none":
            if self.until.data is None and not self.until.errors:
                self.until.errors.append(_l("A repeating shift needs an end date."))
                valid = False
            if not self.weekdays.data and not self.weekdays.errors:
                self.weekdays.errors.append(_l("Choose at least one weekday."))
                valid = False
        return valid


class CancelShiftForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to everyone signed up)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(max=500, message=_l("The reason can have at most %(max)d characters.", max=500)),
            FreeText(),
        ],
    )
    scope = RadioField(
        _l("Cancel"),
        choices=select_choices([("this", _l("This shift only")), ("following", _l("This and all following shifts"))]),
        default="this",
    )


class MessageForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter a subject.")),
            Length(max=150, message=_l("The subject can have at most %(max)d characters.", max=150)),
            PlainText(),
        ],
    )
    text = TextAreaField(
        _l("Message"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please write a message.")),
            Length(max=4000, message=_l("The message can have at most %(max)d characters.", max=4000)),
            FreeText(),
        ],
    )


class FilterForm(FlaskForm):
    """The open-shifts filters, read from the query string."""

    class Meta:
        csrf = False

    # A filter left out of the query string means "all" ("").
    district = SelectField(_l("District"), coerce=str, default="", widget=QuickSelect())
    circle = SelectField(_l("Circle"), coerce=str, default="", widget=QuickSelect())
    activity = SelectField(_l("Activity"), coerce=str, default="", widget=QuickSelect())
    start = DateField(_l("From"), validators=[Optional(), ReasonableDate()])
    end = DateField(_l("To"), validators=[Optional(), ReasonableDate()])
    mine = BooleanField(_l("Only shifts I can take"))

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("'To' must not be before 'From'."))
