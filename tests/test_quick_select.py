"""The quick select widget writes exactly what WTForms' own select writes."""

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
