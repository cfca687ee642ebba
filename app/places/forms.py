"""Forms for districts, accommodations, circles, coordinators and vetting records."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.forms import FreeText, MultiCheckbox, PlainText, select_choices, strip
from app.places.models import KIND_LABELS, AccommodationKind


def _name_field(label):
    return StringField(
        label,
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter a name.")),
            Length(max=120, message=_l("The name can have at most %(max)d characters.", max=120)),
            PlainText(),
        ],
    )


class DistrictForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter a name.")),
            Length(max=80, message=_l("The name can have at most %(max)d characters.", max=80)),
            PlainText(),
        ],
    )


class AccommodationForm(FlaskForm):
    name = _name_field(_l("Name"))
    district = SelectField(_l("District"), coerce=int, validators=[InputRequired(_l("Please choose a district."))])
    kind = SelectField(
        _l("Kind"),
        choices=select_choices((kind.value, KIND_LABELS[kind]) for kind in AccommodationKind),
        validators=[DataRequired(_l("Please choose the kind of accommodation."))],
    )
    planned_places = IntegerField(
        _l("Planned places"),
        validators=[
            InputRequired(_l("Please enter the number of planned places as a whole number.")),
            NumberRange(min=0, max=5000, message=_l("Planned places must be between %(min)s and %(max)s.")),
        ],
    )
    address = StringField(
        _l("Address"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("The address can have at most %(max)d characters.", max=200)),
            PlainText(),
        ],
    )


class CircleForm(FlaskForm):
    name = _name_field(_l("Name"))
    district = SelectField(_l("District"), coerce=int, validators=[InputRequired(_l("Please choose a district."))])
    accommodations = MultiCheckbox(_l("Accommodations served"), coerce=int)
    description = TextAreaField(
        _l("Description"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=2000, message=_l("The description can have at most %(max)d characters.", max=2000)),
            FreeText(),
        ],
    )


class AppointCoordinatorForm(FlaskForm):
    email = EmailField(
        _l("E-mail address of the new coordinator"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter an e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(_l("Please enter a valid e-mail address."), check_deliverability=False),
        ],
    )


class VettingForm(FlaskForm):
    seen_on = DateField(
        _l("Certificate seen on"),
        validators=[InputRequired(_l("Please enter the date as shown, e.g. 2026-03-31."))],
    )
    valid_until = DateField(
        _l("Valid until"),
        validators=[InputRequired(_l("Please enter the date as shown, e.g. 2026-03-31."))],
    )
