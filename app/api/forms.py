"""The form to create a token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.forms import PlainText, strip


class TokenForm(FlaskForm):
    name = StringField(
        _l("What is the token for?"),
        filters=[strip],
        description=_l("For example the app or script that will use it."),
        validators=[
            DataRequired(_l("Please name the token.")),
            Length(max=80, message=_l("The name can have at most %(max)d characters.", max=80)),
            PlainText(),
        ],
    )
