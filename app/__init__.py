"""Lotse: volunteer coordination for a city's refugee-integration work."""

from __future__ import annotations

import functools
import importlib
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, g, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import mail
from app.config import load_config
from app.database import end_reads_with_commit
from app.extensions import babel, cache, compress, csrf, db, htmx, limiter, login_manager, migrate, talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests pass theirs here)."""
    from app.config import BASE_DIR

    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)

    # Fly's proxy terminates TLS and sets X-Forwarded-For/-Proto; trust exactly the configured hops (none when the
    # app faces clients directly, or anyone could pick the address the login limit counts).
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from app import request_log

    request_log.init_app(app)
    _init_extensions(app)
    # Ids in URLs are database integers: a larger number is simply not found (instead of overflowing the driver).
    app.url_map.converters["int"] = BoundedIntConverter
    _register_blueprints(app)
    _register_request_hooks(app)

    from app.errors_views import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _reject_unreadable_input() -> None:
    """Refuse form data that is not UTF-8 before anything parses it."""
    if request.method != "POST":
        return
    unreadable = False
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug leaves undecodable %-escapes in the values as they came; check the raw body instead.
        try:
            unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            unreadable = True
    elif request.mimetype == "multipart/form-data":
        unreadable = any("\ufffd" in value for value in request.form.values())
    if unreadable:
        abort(
            400,
            description=_(
                "The form contained characters that could not be read. Please check your input and try again."
            ),
        )


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _read_static_file_whole(response):
    """Hand Flask-Compress the bytes of a static file, and close the file.

    Flask-Compress replaces a streamed body with its compressed copy without closing the file it read.
    Static files are small; reading them here keeps file handles from leaking.
    """
    if response.direct_passthrough and response.status_code == 200:
        body = response.response
        try:
            data = b"".join(body)
        finally:
            body.close()
        response.direct_passthrough = False
        response.set_data(data)
    return response


def _init_extensions(app: Flask) -> None:
    from app.config import BASE_DIR
    from app.i18n import select_locale

    # Before CSRFProtect's hook, which parses the form and consumes the body.
    app.before_request(_reject_unreadable_input)

    db.init_app(app)
    end_reads_with_commit(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    cache.init_app(app)
    # Registered after Flask-Compress, so it runs before it (after_request runs in reverse order).
    app.after_request(_read_static_file_whole)
    mail.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
    )

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    from app.auth.models import User

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        user = db.session.scalars(_user_by_session_token(), {"session_token": session_token}).unique().one_or_none()
        if user is not None:
            g.signed_in_user_id = user.id  # for the request log (app/request_log.py)
        return user


@functools.cache
def _user_by_session_token():
    """The signed-in person with their roles, which every page's navigation and policies read. Built on first use
    (the models must all be mapped) and once: every signed-in request runs it, and building it costs more."""
    from app.auth.models import User

    return select(User).options(joinedload(User.role_grants)).where(User.session_token == bindparam("session_token"))


def _register_blueprints(app: Flask) -> None:
    # Importing the route modules attaches their views to the blueprints.
    for domain in (
        "main",
        "auth",
        "places",
        "admin",
        "shifts",
        "dialogs",
        "proposals",
        "privacy",
        "pwa",
        "reports",
        "api",
    ):
        importlib.import_module(f"app.{domain}.routes")
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.dialogs import bp as dialogs_bp
    from app.main import bp as main_bp
    from app.places import bp as places_bp
    from app.privacy import bp as privacy_bp
    from app.proposals import bp as proposals_bp
    from app.pwa import bp as pwa_bp
    from app.reports import bp as reports_bp
    from app.shifts import bp as shifts_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(places_bp)
    app.register_blueprint(shifts_bp)
    app.register_blueprint(dialogs_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(pwa_bp)
    app.register_blueprint(api_bp)


def _register_request_hooks(app: Flask) -> None:
    from app.i18n import current_language, endonym, language_name, text_direction

    @app.context_processor
    def inject_navigation():
        from flask_login import current_user

        from app.auth.policies import can_invite, can_manage_roles
        from app.dialogs.policies import can_interpret, can_see_dialogs
        from app.proposals.policies import can_review
        from app.shifts.policies import can_manage_activities

        user = current_user._get_current_object()  # once, not through the proxy at every policy
        signed_in = user.is_authenticated
        return {
            "nav_can_invite": signed_in and can_invite(user),
            "nav_can_admin": signed_in and can_manage_roles(user),
            "nav_is_staff": signed_in and can_manage_activities(user),
            "nav_dialogs": signed_in and can_see_dialogs(user),
            "nav_interprets": signed_in and can_interpret(user),
            "nav_reviews": signed_in and can_review(user),
        }

    ui_languages = [(code, endonym(code)) for code in app.config["LANGUAGES"]]
    app.extensions["lotse_ui_languages"] = ui_languages  # the layout's language menu (app/fragments.py)

    @app.context_processor
    def inject_i18n():
        return {
            "current_language": current_language(),
            "text_direction": text_direction(),
            "ui_languages": ui_languages,
            "language_name": language_name,
        }

    from app.templating import register_template_helpers

    register_template_helpers(app)
