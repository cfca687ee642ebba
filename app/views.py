"""Helpers shared by the views of every domain."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from app.extensions import is_htmx_partial


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render a page, or only `block` of it for an htmx request that asks for a fragment.

    One URL, one view, one template: boosted and history-restore requests get the full page.
    """
    if block and is_htmx_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def json_error(status: int, message: str):
    """An error for API clients: JSON with the status and a message in the user's language."""
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lotse"'
    return response


def require(allowed: bool) -> None:
    """Stop the request with 403 unless the policy allowed it."""
    if not allowed:
        abort(403)


def form_status(form) -> int:
    """422 for a submitted form with errors, so clients and tests see the rejection."""
    return 422 if form.is_submitted() and form.errors else 200


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if not target:
        return fallback
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def public_url(endpoint: str, **values) -> str:
    """An absolute link for mails and feeds, built from the configured address, never from request headers.

    A Host or X-Forwarded-Host header chosen by a client must not decide where a reset link points.
    """
    return public_base() + url_for(endpoint, **values)


def public_base() -> str:
    """The configured public address that every absolute link starts with (`public_url`; lists put it before
    addresses they build from a pattern)."""
    return current_app.config["BASE_URL"].rstrip("/")


def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole-number query parameter, or the default when it is missing, not a number or out of range."""
    value = request.args.get(name, type=int)
    if value is None or not 0 < value <= 2**31 - 1:
        return default
    return value


def wants_json() -> bool:
    """True for the offline queue sending what it kept (it asks for JSON), not for a browser navigating."""
    return request.accept_mimetypes.best == "application/json"


def json_message(message: str, status: int, **values):
    """A message for the offline queue, which shows it to the user beside what it sent."""
    response = jsonify(message=message, **values)
    response.status_code = status
    return response


def saved(message: str, location: str, created: bool = True):
    """After a submission was stored: JSON for the offline queue, else the message flashed and a redirect."""
    if wants_json():
        return json_message(message, 201 if created else 200, url=location)
    flash(message, "success")
    return redirect(location, 303)


def first_error(errors) -> str:
    """The first message in a form's errors, which nest for lists of subforms.

    A message may be a lazily translated string, which is iterable like text but is one message."""
    if isinstance(errors, dict):
        values = errors.values()
    elif isinstance(errors, list | tuple):
        values = errors
    else:
        return str(errors)
    for value in values:
        found = first_error(value)
        if found:
            return found
    return ""
