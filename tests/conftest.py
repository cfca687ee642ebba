"""Fixtures: a real database migrated with Alembic, a real SMTP server, a served app and headless Chromium."""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import threading
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aiosmtpd.controller import Controller
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, make_url, text
from werkzeug.serving import make_server

from app import create_app
from app.auth.models import LanguageLevel, Role, RoleGrant, User, UserLanguage
from app.extensions import babel, compress, csrf, htmx, limiter, login_manager, migrate, talisman
from app.extensions import db as _db
from app.passwords import hash_password

PASSWORD = "correct horse battery"
_STATEFUL_EXTENSIONS = (babel, compress, csrf, htmx, limiter, login_manager, migrate, talisman)
BASE_URL = "https://lotse.test"
CHROMIUM = os.environ.get("LOTSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_root / 'test.db'}"


# --- mail ------------------------------------------------------------------------------------------------


REFUSED_DOMAIN = "refused.example"
GREYLISTING_DOMAIN = "greylisting.example"


class _Collector:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, as a real server refuses it: for the outbox's "given up at once".
        if address.endswith(f"@{REFUSED_DOMAIN}"):
            return "550 5.1.1 No such mailbox"
        if address.endswith(f"@{GREYLISTING_DOMAIN}"):
            return "450 4.2.0 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server in this process; tests read what it received."""
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, collector
    controller.stop()


class Mailbox:
    def __init__(self, collector: _Collector):
        self._collector = collector

    @property
    def messages(self) -> list[EmailMessage]:
        with self._collector.lock:
            return list(self._collector.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self._collector.lock:
            self._collector.messages.clear()

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def link(message: EmailMessage) -> str:
        match = re.search(r"https?://\S+", Mailbox.body(message))
        assert match, "no link in the mail"
        return match.group(0)

    @staticmethod
    def path(message: EmailMessage) -> str:
        """The path of the mail's link, to open with the test client."""
        link = Mailbox.link(message)
        assert link.startswith(BASE_URL + "/"), link
        return urlsplit(link).path


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    _, collector = smtp_server
    box = Mailbox(collector)
    box.clear()
    return box


# --- database and app ------------------------------------------------------------------------------------


def _worker_database(url: str, worker_id: str) -> str:
    """A PostgreSQL database of this test worker's own, next to the configured one (created when missing)."""
    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """The pytest-xdist worker ("gw0", "gw1" ...), or "master" when the tests run in one process."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    """One database per test session (and per parallel worker), built by the real Alembic migrations."""
    from flask_migrate import upgrade

    url = _database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        if worker_id != "master":
            url = _worker_database(url, worker_id)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


def testing_config(database_url: str, smtp_server) -> dict:
    """The configuration every test app runs with: the test database, the in-process SMTP server."""
    controller, _ = smtp_server
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": None,
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each test sees the figures as they are; tests/reports/test_cache.py switches the cache on.
        "REPORT_CACHE_SECONDS": 0,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8192,
        "SESSION_COOKIE_SECURE": False,
        "BASE_URL": BASE_URL,
        "FORCE_HTTPS": False,
    }


@pytest.fixture(scope="session")
def _worker_app(database_url, smtp_server):
    """One app per test process: building one compiles some hundred URL rules, a tenth of a second each time."""
    app = create_app(testing_config(database_url, smtp_server))
    # Some extensions are one object for every app of the process and keep the settings of the app built last
    # (Talisman its HTTPS rule, the limiter its storage): a test that builds an app of its own must not leave
    # them to the next tests.
    app.extensions["lotse_test_extension_state"] = [(ext, dict(vars(ext))) for ext in _STATEFUL_EXTENSIONS]
    return app


@pytest.fixture
def app(_worker_app):
    """The app, as new to each test: its settings as built, no rate-limit counts, empty tables afterwards."""
    settings, static_folder = dict(_worker_app.config), _worker_app.static_folder
    for extension, state in _worker_app.extensions["lotse_test_extension_state"]:
        vars(extension).clear()
        vars(extension).update(state)
    limiter.reset()
    with _worker_app.app_context():
        yield _worker_app
        _db.session.remove()
        _clear_tables()
        _db.engine.dispose()
    _worker_app.config.clear()
    _worker_app.config.update(settings)
    _worker_app.static_folder = static_folder
    limiter.reset()


@pytest.fixture
def make_app(database_url, smtp_server):
    """A separate app with the test settings, for a test that changes what an app is built with (its routes).
    Its database connections are closed after the test (left to the garbage collector, psycopg warns about them
    in whichever test happens to run then)."""
    made = []

    def make():
        made.append(create_app(testing_config(database_url, smtp_server)))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _clear_tables() -> None:
    """Empty every table the models know and that exists (a migration test may have left fewer).

    DELETE, children first, and restarting the sequences cost PostgreSQL a few milliseconds for tables this
    small; TRUNCATE of some forty tables replaces their files and takes most of a second.
    """
    existing = set(inspect(_db.engine).get_table_names())
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name in existing]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            sequences = conn.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).all()
            # The names come from the models' metadata and the catalogue, never from input.
            statements = [f'DELETE FROM "{t.name}"' for t in tables]  # noqa: S608
            statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
            conn.exec_driver_sql("; ".join(statements))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


class Client(FlaskClient):
    """A test client that sends the CSRF token the way a browser's form would.

    Each request runs in an application context of its own, as in production: the test's context
    (holding the factories' session) must not leak `g`, the cached locale or the logged-in user into it.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction so the request sees committed data and SQLite isn't locked.
        _db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on the start page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data, headers=headers, **kwargs)


@pytest.fixture
def client(app) -> Client:
    app.test_client_class = Client
    return app.test_client()


# --- factories -------------------------------------------------------------------------------------------


@pytest.fixture
def make_user(db):
    """Create a user with roles; `roles` holds Role or (Role.COORDINATOR, circle)."""
    counter = {"n": 0}
    password_hash = hash_password(PASSWORD)

    def make(name=None, email=None, roles=(Role.VOLUNTEER,), locale="de", languages=(), **kw) -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User(
            name=name or f"Person {n}",
            email=email or f"person{n}@example.org",
            password_hash=password_hash,
            locale=locale,
            **kw,
        )
        for role in roles:
            if isinstance(role, tuple):
                role, circle = role
                user.role_grants.append(RoleGrant(role=role, circle_id=circle.id))
            else:
                user.role_grants.append(RoleGrant(role=role))
        for code, level in languages:
            user.languages.append(UserLanguage(code=code, level=LanguageLevel(level)))
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Log the test client in as a user (through the real login form)."""

    def do_login(user: User, password: str = PASSWORD):
        response = client.post_form("/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture
def district(db):
    from app.places.models import District

    district = District(name="Bad Cannstatt")
    db.session.add(district)
    db.session.commit()
    return district


@pytest.fixture
def make_circle(db, district):
    from app.places.models import Accommodation, AccommodationKind, Circle

    counter = {"n": 0}

    def make(name=None, district_=None, **kw) -> Circle:
        counter["n"] += 1
        home = district_ or district
        accommodation = Accommodation(
            name=f"GU {counter['n']}", district=home, kind=AccommodationKind.REGULAR, planned_places=120
        )
        circle = Circle(name=name or f"Freundeskreis {counter['n']}", district=home, accommodations=[accommodation])
        db.session.add(circle)
        db.session.commit()
        return circle

    return make


# --- a served app and a browser --------------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port, for the browser and for concurrent requests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    if path is None:
        pytest.skip(
            "Browser tests skipped: Chromium not found. Install it with `apt-get install -y chromium` "
            "(or set LOTSE_CHROMIUM to a Chromium binary)."
        )
    return {**browser_type_launch_args, "executable_path": path, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 360, "height": 740}, "locale": "de-DE"}


# --- shifts ----------------------------------------------------------------------------------------------


@pytest.fixture
def activity(db):
    from sqlalchemy import select

    from app.shifts.models import ActivityType
    from app.shifts.services import seed_activity_types

    seed_activity_types()
    db.session.commit()
    return db.session.scalar(select(ActivityType).where(ActivityType.name == "Hausaufgabenhilfe"))


@pytest.fixture
def make_shift(db, activity, make_user):
    """A shift starting `starts_in` from now (UTC), `hours` long; extra keyword arguments set columns."""
    from datetime import timedelta

    from app.database import utcnow
    from app.shifts.models import Shift

    def make(
        circle, starts_in=timedelta(days=2), hours=2, capacity=2, title="Hausaufgaben", activity_type=None, **kw
    ) -> Shift:
        start = (utcnow() + starts_in).replace(second=0, microsecond=0)
        shift = Shift(
            circle=circle,
            title=title,
            activity_type=activity_type or activity,
            accommodation=circle.accommodations[0] if circle.accommodations else None,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
            **kw,
        )
        db.session.add(shift)
        db.session.commit()
        return shift

    return make


@pytest.fixture
def make_member(db, make_user):
    """A volunteer who is an active member of the circle."""
    from app.places.models import CircleMembership, MembershipStatus

    def make(circle, **kw):
        user = make_user(**kw)
        db.session.add(CircleMembership(circle=circle, user=user, status=MembershipStatus.ACTIVE))
        db.session.commit()
        return user

    return make


def signed_in_session(base: str, email: str) -> tuple[requests.Session, str]:
    """An HTTP session logged in to the served app through the real form, and a CSRF token for its posts."""
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/login").text).group(1)
    response = session.post(
        f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    assert response.status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/").text).group(1)
    return session, token
