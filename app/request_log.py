"""One log line per request, with a request id and the duration; JSON lines in production."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request
from flask_login import current_user, user_logged_in, user_logged_out

log = logging.getLogger("lotse.requests")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _request_id() -> str:
    # Fly's proxy sends one; keep it so a request can be followed from the proxy to the app.
    given = request.headers.get("Fly-Request-Id") or request.headers.get("X-Request-ID") or ""
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


def _signed_in_user_id() -> int | None:
    """Who made the request: the signed-in person is looked up (as every signed-in page does), and their id is the
    one noted when they were loaded. Asking the user object instead would read it again after a commit."""
    current_user._get_current_object()  # loads the person from the session, if there is one
    return g.get("signed_in_user_id")


def _note_login(_app, user, **_extra) -> None:
    g.signed_in_user_id = user.id  # a request that logs in is that person's


def _forget_login(_app, user, **_extra) -> None:
    g.pop("signed_in_user_id", None)  # nor is one that logs out anyone's any more


def init_app(app: Flask) -> None:
    user_logged_in.connect(_note_login, app)
    user_logged_out.connect(_forget_login, app)
    if app.config.get("LOG_FORMAT") == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()
        g.request_id = _request_id()

    @app.after_request
    def log_request(response):
        started = g.pop("request_started", None)
        request_id = g.get("request_id")
        if started is None or request_id is None:
            return response
        response.headers["X-Request-ID"] = request_id
        if request.endpoint == "static":
            return response
        fields = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": _signed_in_user_id(),
        }
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields})
        return response
