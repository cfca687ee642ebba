"""Locale choice, text direction and CLDR language names."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import current_app, request, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.config import RTL_LANGUAGES


def select_locale() -> str:
    """The user's stored choice, else the session's, else the browser's best match, else German."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The language of the request (or of `force_locale`) as its code, "de"."""
    state = _babel_state()
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    # Kept beside the locale Flask-Babel chose, like the catalog: a page asks some dozens of times.
    known = getattr(state, "lotse_language", None)
    if known is None or known[0] is not locale:
        known = state.lotse_language = (locale, str(locale))
    return known[1]


def _babel_state():
    """Flask-Babel's per-request state (the chosen locale, the catalog), read without its context-local look-ups."""
    ctx = _cv_app.get(None)
    return ctx.g.__dict__.get("_flask_babel") if ctx is not None else None


def text_direction() -> str:
    return "rtl" if current_language() in RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=64)
def endonym(code: str) -> str:
    """A language's name in that language, as a language switcher shows it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=4096)
def _language_name(code: str, in_locale: str) -> str:
    try:
        name = Locale.parse(in_locale).languages.get(code) or code
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:]


def language_name(code: str) -> str:
    """The CLDR name of a language code in the current UI language."""
    return _language_name(code, current_language())


@lru_cache(maxsize=16)
def _spoken_language_codes(in_locale: str) -> tuple[str, ...]:
    """Language codes that a person can pick as spoken: CLDR's plain languages (no regional variants)."""
    names = Locale.parse(in_locale).languages
    return tuple(code for code in names if "_" not in code and len(code) in (2, 3) and code != "und")


def spoken_language_choices() -> list[tuple[str, str]]:
    """(code, name) pairs for every CLDR language, sorted by name in the UI language."""
    locale = current_language()
    pairs = [(code, _language_name(code, locale)) for code in _spoken_language_codes(locale)]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def is_known_language(code: str) -> bool:
    return code in _spoken_language_codes("en")


def _catalog() -> Translations | NullTranslations:
    """The current locale's catalog, looked up once per request and locale instead of once per string.

    Flask-Babel finds it anew for every string, through several context-local look-ups; a page of shift cards
    translates some hundreds. The catalog is kept beside the locale Flask-Babel chose for the request, so
    `force_locale` (mail in the recipient's language) and `refresh` still take effect at once."""
    state = _babel_state()
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    cached = getattr(state, "lotse_catalog", None)
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        state.lotse_catalog = cached
    return cached[1]


def gettext(string: str, **variables) -> str:
    """As Flask-Babel's gettext (the text in the request's language, with its %(name)s values put in), through
    the catalog kept for the request: for code that translates a dozen strings for every item of a list."""
    text = _catalog().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """As Flask-Babel's ngettext, through the catalog kept for the request; `num` fills %(num)s."""
    variables.setdefault("num", num)
    return _catalog().ungettext(singular, plural, num) % variables


def _filled(text: str, variables: dict, autoescape: bool) -> str:
    """A catalog text with its %(name)s values put in, escaped where the template autoescapes (as Jinja's
    new-style gettext does). Numbers need no escaping; escaping the rest directly is several times faster than
    Markup's % operator, which wraps each value first."""
    if not autoescape:
        return text % variables
    if variables:
        variables = {
            name: value if isinstance(value, int | float) else escape(value) for name, value in variables.items()
        }
    return Markup(text % variables)  # noqa: S704 - catalog text is ours, the values escaped above


@pass_context
def _template_gettext(context: Context, string: str, **variables) -> str:
    return _filled(_catalog().ugettext(string), variables, context.eval_ctx.autoescape)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _filled(_catalog().ungettext(singular, plural, num), variables, context.eval_ctx.autoescape)


def install_template_gettext(app) -> None:
    """Templates translate through `_catalog`; `{% trans %}`, `_()` and `ngettext()` behave as before."""
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext)
