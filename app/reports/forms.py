"""The form staff enter the population per district with, for one year."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.places.models import District

MAX_POPULATION = 10_000_000


class PopulationFormBase(FlaskForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Please enter the year.")),
            NumberRange(min=1900, max=2999, message=_l("Please enter a year between 1900 and 2999.")),
        ],
    )

    def district_fields(self):
        """(district id, field) for every district, in the order of the form."""
        return [(int(f.name.removeprefix("district_")), f) for f in self if f.name.startswith("district_")]


def population_form(districts: list[District], **kw) -> PopulationFormBase:
    """A form with one population field per district (left empty: no figure for that district)."""
    fields = {
        f"district_{d.id}": IntegerField(
            d.name,
            validators=[
                Optional(),
                NumberRange(
                    min=0,
                    max=MAX_POPULATION,
                    message=_l("Please enter a number between 0 and %(max)s.", max=f"{MAX_POPULATION:,}"),
                ),
            ],
        )
        for d in districts
    }
    form_class = type("PopulationForm", (PopulationFormBase,), fields)
    return form_class(**kw)
