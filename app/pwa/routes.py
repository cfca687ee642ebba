"""Installable and offline: the web app manifest, the service worker, the offline page and what the worker keeps."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.database import utcnow
from app.i18n import current_language, text_direction
from app.pwa import bp, services
from app.templating import asset_url

THEME_COLOUR = "#12355b"
BACKGROUND_COLOUR = "#f4f6f9"


def _private_json(payload: dict):
    """JSON about the signed-in user: never kept by any cache, only by the worker that asked."""
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest in the user's language: what the phone shows when Lotse is installed."""
    icon = asset_url("icons/icon-192.png")
    payload = {
        "id": "/",
        "name": "Lotse",
        "short_name": "Lotse",
        "description": _("Lotse coordinates volunteers, dialogs and empowerment projects for refugee integration."),
        "lang": current_language(),
        "dir": text_direction(),
        "start_url": url_for("main.index"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": icon, "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": asset_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {"name": _("My shifts"), "url": url_for("shifts.my_shifts"), "icons": [{"src": icon, "sizes": "192x192"}]},
            {
                "name": _("Open shifts"),
                "url": url_for("shifts.open_shifts"),
                "icons": [{"src": icon, "sizes": "192x192"}],
            },
        ],
    }
    response = make_response(json.dumps(payload, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so its scope is the whole site; the server tells it its URLs."""
    settings = {
        "version": services.shell_version(),
        "shell": services.shell_urls(),
        "offline": url_for("pwa.offline"),
        "pages": url_for("pwa.pages"),
        "token": url_for("pwa.token"),
        # Logging out and deleting one's account both empty what the phone keeps.
        "signout": [url_for("auth.logout"), url_for("privacy.delete_account")],
        "static": current_app.static_url_path + "/",
        # Forms that wait on the phone when there is no connection, and are sent once it is back.
        "queued": [
            url_for("dialogs.log", dialog_id=0).replace("/0/", "/{id}/"),
            url_for("shifts.attendance", shift_id=0).replace("/0/", "/{id}/"),
        ],
    }
    source = (Path(current_app.static_folder) / services.WORKER_SOURCE).read_text(encoding="utf-8")
    response = make_response(f"const LOTSE = {json.dumps(settings)};\n{source}")
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """What the phone shows when a page is not at hand offline, and the list of entries waiting to send.

    It holds nothing about the user, so the worker can keep it for whoever uses the phone next.
    """
    response = make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/pages")
@login_required
def pages():
    """The addresses of the user's own plans, for the worker to keep for offline reading."""
    return _private_json({"user": current_user.id, "pages": services.offline_pages(current_user)})


@bp.get("/offline/token")
@login_required
def token():
    """Who is signed in and a fresh CSRF token, for the worker sending the forms that waited offline."""
    return _private_json({"user": current_user.id, "csrf": generate_csrf()})


@bp.app_template_global()
def offline_as_of() -> str:
    """The time a page was made, for the "offline — as of" note the phone shows on a kept copy of it."""
    return format_time(utcnow(), "HH:mm")


@bp.app_template_global()
def is_offline_copy() -> bool:
    """The worker fetching a page to keep: flashed messages stay for the page the user opens next."""
    return request.headers.get("X-Lotse-Offline-Copy") == "1"
