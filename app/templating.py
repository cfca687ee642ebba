"""Template filters and globals: dates in Europe/Berlin, versioned static URLs, safe redirects."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import dates
from flask import Flask, current_app, url_for
from flask.globals import _cv_app, _cv_request
from flask_babel import format_date, format_datetime, format_decimal
from markupsafe import Markup, escape

from app.database import LOCAL_TIMEZONE
from app.extensions import is_htmx_partial
from app.forms import field
from app.fragments import fragment
from app.i18n import current_language, install_template_gettext


@lru_cache(maxsize=128)
def _file_version(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static URL carrying a content hash, so the file can be cached for a long time.

    Pages ask for the same few files many times (every icon is a reference into one sprite): the URL is built
    once per file and place the app is served at."""
    static_folder = current_app.static_folder
    return _built_once(
        (static_folder, filename),
        lambda: url_for("static", filename=filename, v=_file_version(str(Path(static_folder) / filename))),
    )


def page_url(endpoint: str) -> str:
    """`url_for(endpoint)` for a page that takes no arguments, built once: every page links some twenty of them."""
    return _built_once(("page", endpoint), lambda: url_for(endpoint))


# Stands for the id while an item's address pattern is built: a database id never reaches it.
_SAMPLE_ID = 2**31 - 1


def item_url(endpoint: str, **argument: int) -> str:
    """`url_for(endpoint, name=id)` for an endpoint taking one whole-number argument, from a pattern built once:
    a list links every item, and building each address anew is most of what a list's row costs."""
    ((name, value),) = argument.items()
    return item_url_pattern(endpoint, name) % int(value)


def item_url_pattern(endpoint: str, name: str) -> str:
    """`item_url`'s address as a %-pattern for the id, built once: a long list takes it before its loop and writes
    `{{ pattern % item.id }}` for each item, which costs a fraction of calling `item_url` from the template."""
    return _built_once(
        ("item", endpoint, name),
        lambda: "%d".join(
            part.replace("%", "%%") for part in url_for(endpoint, **{name: _SAMPLE_ID}).split(str(_SAMPLE_ID))
        ),
    )


def _built_once(key: tuple, build) -> str:
    """A URL built once per app and the place it is served at (`script_root`), kept in the app's extensions.

    Read through the context variables themselves: a list page asks some hundred times, and each of Flask's
    proxies costs a look-up of its own."""
    app_ctx, request_ctx = _cv_app.get(None), _cv_request.get(None)
    urls = (app_ctx.app if app_ctx is not None else current_app).extensions.setdefault("lotse_urls", {})
    key = (request_ctx.request.script_root if request_ctx is not None else None, *key)
    found = urls.get(key)
    if found is None:
        found = urls[key] = build()
    return found


def icon(name: str, label: str | None = None) -> Markup:
    """An icon from the sprite, hidden from screen readers, with an optional label only they read.

    A function rather than a macro: pages draw a dozen or more, and a Jinja macro call costs several times as much.
    The markup of each icon is made once, like the sprite's URL."""
    svg = _built_once(("icon", name), lambda: _icon_markup(name))
    if label:
        return Markup(f'{svg}<span class="visually-hidden">{escape(label)}</span>')  # noqa: S704 - escaped
    return svg


def _icon_markup(name: str) -> Markup:
    sprite = escape(asset_url("icons/icons.svg"))
    return Markup(f'<svg aria-hidden="true" focusable="false"><use href="{sprite}#{escape(name)}"></use></svg>')  # noqa: S704


def shift_when(start: datetime, end: datetime) -> str:
    """Day and time span in the user's language and Europe/Berlin, e.g. "Di., 24. Nov. · 16:00–18:00"."""
    return _when(start, end, LOCAL_TIMEZONE, current_language())


@lru_cache(maxsize=4096)
def _when(start: datetime, end: datetime, tz, locale: str) -> str:
    """The formatting behind `shift_when`; a page of shifts repeats the same few spans, so each is made once."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.date() != local_end.date():
        first = dates.format_skeleton("MMMEd", local_start, tzinfo=tz, locale=locale)
        last = dates.format_skeleton("MMMEd", local_end, tzinfo=tz, locale=locale)
        start_time = dates.format_time(local_start, "short", tzinfo=tz, locale=locale)
        end_time = dates.format_time(local_end, "short", tzinfo=tz, locale=locale)
        return f"{first} {start_time} – {last} {end_time}"
    day = dates.format_skeleton("MMMEd", local_start, tzinfo=tz, locale=locale)
    return f"{day} · {dates.format_interval(local_start, local_end, 'Hm', tzinfo=tz, locale=locale)}"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["when"] = shift_when
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["item_url"] = item_url
    app.jinja_env.globals["item_url_pattern"] = item_url_pattern
    app.jinja_env.globals["field"] = field
    app.jinja_env.globals["fragment"] = fragment
    # True when only a block of the page is rendered (its out-of-band parts go with it, not with whole pages).
    app.jinja_env.globals["htmx_partial"] = is_htmx_partial
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.add_extension("jinja2.ext.do")
    install_template_gettext(app)
