"""Managed lists named in every shipped language (activity types, dialog topics): one form, one save."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from app.errors import DomainError
from app.extensions import db
from app.forms import PlainText, strip
from app.i18n import language_name


class NamedInLanguages:
    """An item with a German `name` and `names` entries (locale, name) for the other languages."""

    def label(self, locale: str | None = None) -> str:
        """The name in the given (or current) language, German when it has none."""
        locale = locale or str(get_locale() or "de")
        if locale == "de":
            return self.name  # German is the name itself; `names` holds the other languages (save_names)
        for entry in self.names:
            if entry.locale == locale and entry.name:
                return entry.name
        return self.name


def _name_field(label, required: bool = False):
    first = DataRequired(_l("Please enter the German name.")) if required else Optional()
    return StringField(
        label,
        filters=[strip],
        validators=[
            first,
            Length(max=80, message=_l("The name can have at most %(max)d characters.", max=80)),
            PlainText(),
        ],
    )


class TranslatedNamesForm(FlaskForm):
    """The German name (required, the default language) and its translations."""

    name_de = _name_field(_l("Name in German"), required=True)
    name_en = _name_field(_l("Name in English"))
    name_ar = _name_field(_l("Name in Arabic"))
    name_fa = _name_field(_l("Name in Persian"))
    name_uk = _name_field(_l("Name in Ukrainian"))
    name_tr = _name_field(_l("Name in Turkish"))


def names_form(item, form_class: type[TranslatedNamesForm] = TranslatedNamesForm) -> TranslatedNamesForm:
    """The form for a new item (None) or an existing one, labelled with CLDR language names."""
    form = form_class()
    for code in current_app.config["LANGUAGES"]:
        form[f"name_{code}"].label.text = _("Name in %(language)s", language=language_name(code))
        form[f"name_{code}"].render_kw = {"lang": code, "dir": "auto"}
    if not form.is_submitted() and item is not None:
        form.name_de.data = item.name
        for entry in item.names:
            if f"name_{entry.locale}" in form:
                form[f"name_{entry.locale}"].data = entry.name
    return form


def submitted_names(form: TranslatedNamesForm) -> dict[str, str]:
    return {code: form[f"name_{code}"].data or "" for code in current_app.config["LANGUAGES"]}


def save_names(model, entry_model, names: dict[str, str], item, taken_message: Callable[[str], str], **columns):
    """Create or rename an item of a managed list; the German name is required and unique.

    `columns` are the item's other values, set before anything is written.
    """
    german = names.get("de", "").strip()
    taken = select(func.count()).select_from(model).where(func.lower(model.name) == german.lower())
    if item is not None:
        taken = taken.where(model.id != item.id)
    if db.session.scalar(taken):
        raise DomainError(taken_message(german), 422, "name_de")
    if item is None:
        item = model(name=german)
        db.session.add(item)
    item.name = german
    for column, value in columns.items():
        setattr(item, column, value)
    by_locale = {entry.locale: entry for entry in item.names}
    for locale, text in names.items():
        if locale == "de":
            continue
        text = text.strip()
        if text and locale in by_locale:
            by_locale[locale].name = text
        elif text:
            item.names.append(entry_model(locale=locale, name=text))
        elif locale in by_locale:
            item.names.remove(by_locale[locale])
    db.session.flush()
    return item
