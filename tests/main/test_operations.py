"""Request logs, the production start command, HTTPS and the health check behind Fly's proxy."""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

from app import create_app
from app.config import BASE_DIR


def test_each_request_is_logged_with_id_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="lotse.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    [record] = [r for r in caplog.records if r.name == "lotse.requests"]
    assert record.fields["request_id"] == "abc-123"
    assert record.fields["status"] == 200
    assert record.fields["path"] == "/healthz"
    assert record.fields["duration_ms"] >= 0


def test_unsafe_request_ids_are_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80})
    assert "<" not in response.headers["X-Request-ID"]
    assert len(response.headers["X-Request-ID"]) == 32


def test_json_log_lines(client, caplog):
    from app.request_log import JsonFormatter

    with caplog.at_level(logging.INFO, logger="lotse.requests"):
        client.get("/healthz")
    line = JsonFormatter().format(caplog.records[-1])
    entry = json.loads(line)
    assert entry["status"] == 200
    assert entry["level"] == "INFO"
    assert "request_id" in entry


def test_production_redirects_to_https_but_not_the_health_check(database_url, monkeypatch):
    monkeypatch.setenv("LOTSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("LOG_FORMAT", "text")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    plain = "http://lotse.example"  # the test client would otherwise speak the preferred scheme, https
    assert client.get("/", base_url=plain).status_code in (301, 302)
    assert client.get("/", base_url=plain).headers["Location"].startswith("https://lotse.example/")
    assert client.get("/healthz", base_url=plain).status_code == 200
    assert client.get("/", base_url=plain, headers={"X-Forwarded-Proto": "https"}).status_code == 200
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_deployed_start_command_serves_the_app(database_url):
    """fly.toml's app process (gunicorn with two workers) starts and answers the health check."""
    fly = tomllib.loads((BASE_DIR / "fly.toml").read_text())
    port = _free_port()
    command = shlex.split(fly["processes"]["app"].replace("0.0.0.0:8080", f"127.0.0.1:{port}"))
    assert command[0] == "gunicorn"
    command[0] = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    env = {
        **os.environ,
        "LOTSE_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
    }
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok", "database": "ok"}
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Booting worker" in output
    assert '"path": "/healthz"' in output  # JSON request log lines in production
