"""The quick select widget and field() write exactly what WTForms' own widgets write."""

from __future__ import annotations

from wtforms import Form, SelectField

from app.forms import QuickSelect, select_choices

CHOICES = select_choices([("", "Alle <Bezirke>"), ("1", "Bad Cannstatt & Münster"), ("2", 'Mitte "Zentrum"')])


def test_quick_select_renders_like_wtforms():
    class Plain(Form):
        district = SelectField(choices=CHOICES, default="2")

    class Quick(Form):
        district = SelectField(choices=CHOICES, default="2", widget=QuickSelect())

    assert Quick().district() == Plain().district()
    assert Quick().district(class_="wide") == Plain().district(class_="wide")
    assert "&lt;Bezirke&gt;" in Quick().district()


def test_fields_write_their_inputs_like_wtforms():
    """`field()` writes plain inputs itself; what it writes is what the fields' own widgets write."""
    from datetime import date

    from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField
    from wtforms.validators import DataRequired, Length, NumberRange, Optional

    from app.forms import _control

    class Every(Form):
        name = StringField(validators=[DataRequired(), Length(min=2, max=80)], render_kw={"placeholder": 'Ä "x"'})
        mail = EmailField(validators=[Optional()])
        places = IntegerField(validators=[NumberRange(min=1, max=200)])
        day = DateField(default=date(2026, 12, 24))
        agree = BooleanField(default=True)
        plain = BooleanField()

    form = Every()
    attrs = {"aria-describedby": "x-hint x-error", "aria-invalid": "true", "autocomplete": "name", "autofocus": True}
    for each in form:
        for extra in ({}, attrs, {"inputmode": "numeric", "value": "<1>"}):
            assert _control(each, dict(extra)) == str(each(**extra)), (each.name, extra)
