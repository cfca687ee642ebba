"""Forms for accounts, profiles, invitations and roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from app.auth.models import LEVEL_LABELS, ROLE_LABELS, LanguageLevel, Role
from app.forms import PlainText, select_choices, strip
from app.i18n import is_known_language

PASSWORD_MIN = 10
PASSWORD_MAX = 128


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(_l("Please enter a valid e-mail address."), check_deliverability=False),
        ],
    )


def _new_password_field(label=None):
    return PasswordField(
        label or _l("Password"),
        validators=[
            InputRequired(_l("Please choose a password.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l(
                    "The password must have between %(min)d and %(max)d characters.",
                    min=PASSWORD_MIN,
                    max=PASSWORD_MAX,
                ),
            ),
        ],
    )


def _name_field():
    return StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=120, message=_l("The name can have at most %(max)d characters.", max=120)),
            PlainText(),
        ],
    )


class LocaleField(SelectField):
    """The UI languages Lotse ships, each named in its own language."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("validators", [DataRequired(_l("Please choose a language."))])
        super().__init__(label or _l("Language"), **kwargs)


class RegisterForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    password = _new_password_field()
    password_confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The passwords do not match."))]
    )
    locale = LocaleField()
    consent = BooleanField(
        _l("I have read the privacy notice and agree that Lotse stores my data for coordinating volunteer work."),
        validators=[DataRequired(_l("Please agree to the privacy notice to create an account."))],
    )


class AcceptInvitationForm(FlaskForm):
    name = _name_field()
    password = _new_password_field()
    password_confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The passwords do not match."))]
    )
    locale = LocaleField()
    consent = RegisterForm.consent


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=PASSWORD_MAX, message=_l("The password is too long.")),
        ],
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))
    password_confirm = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("password", _l("The passwords do not match."))]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Please enter your current password.")), Length(max=PASSWORD_MAX)],
    )
    password = _new_password_field(_l("New password"))
    password_confirm = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("password", _l("The passwords do not match."))]
    )


class ProfileForm(FlaskForm):
    name = _name_field()
    locale = LocaleField()


class AddLanguageForm(FlaskForm):
    code = SelectField(_l("Language"), validators=[DataRequired(_l("Please choose a language."))])
    level = SelectField(
        _l("Level"),
        choices=select_choices((level.value, LEVEL_LABELS[level]) for level in LanguageLevel),
        validators=[DataRequired(_l("Please choose a level."))],
    )

    def validate_code(self, field):
        if not is_known_language(field.data or ""):
            raise ValidationError(_l("Please choose a language from the list."))


class InviteForm(FlaskForm):
    email = _email_field()
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Please choose a role."))])
    circle = SelectField(_l("Circle"), coerce=str, validate_choice=True)

    def role_value(self) -> Role:
        return Role(self.role.data)


class GrantRoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=select_choices((role.value, ROLE_LABELS[role]) for role in Role),
        validators=[DataRequired(_l("Please choose a role."))],
    )
    circle = SelectField(_l("Circle (for coordinators)"), coerce=str, validate_choice=True)
