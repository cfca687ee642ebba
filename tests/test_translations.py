"""Every shipped language is complete, nothing fuzzy, placeholders kept, compiled catalogs current."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import BASE_DIR, LANGUAGES

TRANSLATIONS = BASE_DIR / "translations"
FORMAT_FIELD = re.compile(r"%\(\w+\)[sd]|</?[a-zA-Z][^>]*>")
# A plural form may say its number in words ("two shifts"): the count fields (%(num)d ...) may be left out.
COUNTS = {"%(count)s", "%(count)d", "%(num)d", "%(num)s"}


def _catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(language):
    catalog = _catalog(language)
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language):
    broken = []
    for message in _catalog(language):
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        wanted = set(FORMAT_FIELD.findall(source)) - COUNTS
        for string in message.string if isinstance(message.string, tuple) else (message.string,):
            if set(FORMAT_FIELD.findall(string)) - COUNTS != wanted:
                broken.append((source, string))
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_current(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))
    shipped = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert shipped == compiled.getvalue(), f"run: pybabel compile -d translations (language {language})"


def test_catalogs_hold_every_string_of_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    for language in LANGUAGES:
        known = {m.id for m in _catalog(language) if m.id}
        assert extracted - known == set(), f"run scripts/translations update; missing in {language}"


def test_templates_follow_a_forced_locale_and_come_back(app):
    # Templates keep the request's catalog beside its locale: mail written in the recipient's language inside a
    # request (force_locale) must translate in that language, and the page after it in the reader's again.
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    template = (
        "{% trans %}Log out{% endtrans %} · {{ _('Log out') }} · "
        "{{ ngettext('%(count)s place free', '%(count)s places free', 2, count=2) }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert render_template_string(template) == "Abmelden · Abmelden · 2 Plätze frei"
        with force_locale("ar"):
            assert render_template_string(template).startswith("تسجيل الخروج · تسجيل الخروج")
        assert render_template_string(template) == "Abmelden · Abmelden · 2 Plätze frei"
        with force_locale("en"):
            assert render_template_string(template) == "Log out · Log out · 2 places free"
        refresh()
        assert render_template_string(template).startswith("Abmelden")
