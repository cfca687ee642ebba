"""Error pages in the user's language, and domain errors mapped to a translated message and a 4xx."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response as htmx_response
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import DomainError
from app.extensions import db, is_htmx_partial
from app.views import json_error, json_message, wants_json

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You don't have access to this page"),
        404: _("Page not found"),
        405: _("This action is not possible here"),
        409: _("That didn't work"),
        410: _("This link is no longer valid"),
        413: _("The upload is too large"),
        422: _("Please check your input"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def _default_messages() -> dict[int, str]:
    return {
        400: _("Your browser sent something Lotse could not process. Please reload the page and try again."),
        403: _("Your role does not allow this. If you think it should, ask your coordinator."),
        404: _("The page you are looking for does not exist or was moved."),
        405: _("Please use the buttons on the page."),
        410: _("Please ask for a new link."),
        413: _("Please choose a smaller file."),
        429: _("Please wait a few minutes before you try again."),
        500: _("We have been notified. Please try again in a moment; nothing you saved was lost."),
    }


def error_response(status: int, message: str | None = None):
    title = _titles().get(status, _titles()[400] if status < 500 else _titles()[500])
    message = message or _default_messages().get(status, "")
    if request.path.startswith("/api/"):
        return json_error(status, message or title)
    if wants_json():
        return json_message(message or title, status)
    if is_htmx_partial():
        body = render_template("errors/_message.html", title=title, message=message, status=status)
        return htmx_response(body, status, retarget="#messages", reswap="innerHTML")
    return render_template("errors/error.html", title=title, message=message, status=status), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status_code, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return error_response(
            400,
            _("This form has expired or was sent from somewhere else. Please reload the page and try again."),
        )

    @app.errorhandler(429)
    def handle_rate_limit(error):
        return error_response(429, _("Too many attempts. Please wait a few minutes before you try again."))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        description = None
        # Descriptions we set ourselves are translated; Werkzeug's defaults are English and stay out.
        if error.description and error.description != type(error).description:
            description = error.description
        return error_response(error.code or 500, description)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return error_response(InternalServerError.code)
