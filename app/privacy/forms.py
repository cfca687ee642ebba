"""Forms for deleting an account and for the audit log's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.forms import FreeText, ReasonableDate, strip


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[InputRequired(_l("Please enter your password.")), Length(max=128)]
    )
    understood = BooleanField(
        _l("I understand that my account and my personal data will be deleted and can't be restored."),
        validators=[DataRequired(_l("Please confirm that you want to delete your account."))],
    )


class DeleteOnRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Request and reason"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please note how and when the person asked for the deletion.")),
            Length(max=250, message=_l("This can have at most %(max)d characters.", max=250)),
            FreeText(),
        ],
    )


class FindPersonForm(FlaskForm):
    class Meta:
        csrf = False

    email = EmailField(
        _l("E-mail address of the person"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter the e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(_l("Please enter a valid e-mail address."), check_deliverability=False),
        ],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), coerce=str, default="")
    start = DateField(_l("From"), validators=[Optional(), ReasonableDate()])
    end = DateField(_l("To"), validators=[Optional(), ReasonableDate()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("'To' must not be before 'From'."))
