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


def test_each_request_is_logged_with_who_made_it(client, caplog, make_user, make_circle, make_member, make_shift):
    """Logging in is the person's request, logging out no longer is; a page and a change (committed before the
    answer) are theirs, an anonymous request nobody's."""
    from tests.conftest import PASSWORD

    circle = make_circle()
    person = make_member(circle)
    shift = make_shift(circle)

    def logged(method, path, **kwargs):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="lotse.requests"):
            getattr(client, method)(path, **kwargs)
        return caplog.records[-1].fields["user_id"]

    assert logged("get", "/healthz") is None
    assert logged("post_form", "/login", data={"email": person.email, "password": PASSWORD}) == person.id
    assert logged("get", "/shifts") == person.id
    assert logged("post_form", f"/shifts/{shift.id}/signup") == person.id
    assert logged("post_form", "/logout") is None


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
    output = _serve_and_check_health(command, env, port)
    assert "Booting worker" in output
    assert '"path": "/healthz"' in output  # JSON request log lines in production
    assert '"GET /healthz HTTP/1.1"' not in output  # and no second line per request from gunicorn's access log


def _serve_and_check_health(command: list[str], env: dict, port: int) -> str:
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
    return output


def test_the_image_start_command_serves_the_app(database_url, tmp_path):
    """The Dockerfile's CMD, run as the image runs it (sh -c with $PORT), on loopback instead of 0.0.0.0."""
    cmd_line = next(line for line in (BASE_DIR / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    command = json.loads(cmd_line.removeprefix("CMD "))
    assert command[:2] == ["sh", "-c"]
    assert "gunicorn" in command[2]
    assert "--workers 2" in command[2]
    port = _free_port()
    command[2] = command[2].replace("0.0.0.0:", "127.0.0.1:")
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}:{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "LOTSE_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": database_url,
        "FLASK_APP": "wsgi.py",
    }
    output = _serve_and_check_health(command, env, port)
    assert "Booting worker" in output


def test_fly_runs_migrations_and_the_scheduler_and_mounts_nothing():
    """The app machines keep nothing of their own (attachments are in the database): no volume to pin them."""
    fly = tomllib.loads((BASE_DIR / "fly.toml").read_text())
    assert "mounts" not in fly
    assert fly["deploy"]["release_command"].count("flask db upgrade") == 1
    assert "send-reminders" in fly["processes"]["scheduler"]
    assert "flask purge" in fly["processes"]["scheduler"]
    assert "LOTSE_UPLOAD_DIR" not in fly["env"]


def test_rate_limits_are_shared_through_redis(database_url, monkeypatch):
    """With REDIS_URL, two instances count one client's logins together (the real Redis on 127.0.0.1:6379)."""
    import uuid

    import pytest
    import redis

    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (apt-get install -y redis-server)")
    monkeypatch.setenv("REDIS_URL", url)
    from app.config import load_config

    assert load_config()["RATELIMIT_STORAGE_URI"] == url
    prefix = f"lotse-test-{uuid.uuid4().hex}"
    try:
        # Two instances are two processes, as two machines behind Fly's proxy would be.
        assert _login_attempts(database_url, url, prefix, 2) == [422, 422]
        assert _login_attempts(database_url, url, prefix, 1) == [429]
        assert list(client.scan_iter(f"*{prefix}*"))
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


# One instance of the app: it tries to log in `times` times with a wrong password and prints the statuses.
_ATTEMPTS = """
import json, sys
from app import create_app
database_url, redis_url, prefix, times = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                  "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix,
                  "RATELIMIT_LOGIN_IP": "2 per hour", "FORCE_HTTPS": False})
attempt = {"email": "nobody@example.org", "password": "wrong password"}
print(json.dumps([app.test_client().post("/login", data=attempt).status_code for _ in range(times)]))
"""


def _login_attempts(database_url: str, redis_url: str, prefix: str, times: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", _ATTEMPTS, database_url, redis_url, prefix, str(times)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
