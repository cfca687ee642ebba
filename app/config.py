"""Configuration. This module is the only place that reads environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LANGUAGES = ("de", "en", "ar", "fa", "uk", "tr")
RTL_LANGUAGES = frozenset({"ar", "fa"})


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'lotse.db'}"
    # Fly.io and Heroku hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(env: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    # Development: a key kept in instance/ so sessions survive a restart.
    path = BASE_DIR / "instance" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config() -> dict:
    """Build the configuration from the environment."""
    env = os.environ.get("LOTSE_ENV", "development")
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": _secret_key(env),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), default=env != "development"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), default=env != "development"),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Links in mails sent from commands (reminders), where no request tells the address.
        "BASE_URL": os.environ.get("LOTSE_BASE_URL", "http://127.0.0.1:5000"),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": LANGUAGES,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), default=True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Lotse <no-reply@lotse.invalid>"),
        # Set where a mailer process (`flask send-mail --watch`) sends the outbox: requests then only queue mail.
        # Otherwise each request sends its own mail right after its commit.
        "MAIL_WORKER": _bool(os.environ.get("MAIL_WORKER")),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Computed report figures, shared by all instances through Redis, else kept in each process.
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "lotse:",
        "REPORT_CACHE_SECONDS": int(os.environ.get("REPORT_CACHE_SECONDS", "120")),
        "RATELIMIT_LOGIN_IP": os.environ.get("RATELIMIT_LOGIN_IP", "20 per 5 minutes"),
        "RATELIMIT_LOGIN_ACCOUNT": os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5 per 5 minutes"),
        "RATELIMIT_API": os.environ.get("RATELIMIT_API", "120 per minute"),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "INVITATION_MAX_AGE_DAYS": int(os.environ.get("INVITATION_MAX_AGE_DAYS", "14")),
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", "65536")),
        "FORCE_HTTPS": _bool(os.environ.get("FORCE_HTTPS"), default=production),
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "1" if production else "0")),
        "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if production else "text"),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # Proposal attachments live here, outside the web root: on Fly a volume is mounted here (fly.toml [mounts]).
        # Retention: accounts unused this long are told, and deleted when still unused this many days later.
        "RETENTION_INACTIVE_DAYS": int(os.environ.get("RETENTION_INACTIVE_DAYS", "730")),
        "RETENTION_NOTICE_DAYS": int(os.environ.get("RETENTION_NOTICE_DAYS", "30")),
        "RATELIMIT_UPLOADS": os.environ.get("RATELIMIT_UPLOADS", "60 per hour"),
        "UPLOAD_MAX_BYTES": int(os.environ.get("UPLOAD_MAX_MB", "5")) * 1_000_000,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/plain",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "application/manifest+json",
        ],
        # Versioned static files (?v=<hash>) never change: browsers may keep them for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
    }
