"""Flask extensions, created here and bound to the app in create_app (init_app pattern).

htmx support stays behind this module so that htmx-flask could be swapped for flask-htmx,
which has the same API.
"""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
talisman = Talisman()
htmx = Htmx()
compress = Compress()
# Report figures (app.reports.services); the templates keep no cache of their own.
cache = Cache(with_jinja2_ext=False)


def is_htmx_partial() -> bool:
    """True for an htmx request that wants a fragment, not a boosted or history-restore page load."""
    headers = request.htmx
    return bool(headers) and not headers.boosted and not headers.history_restore_request
