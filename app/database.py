"""Column types and helpers shared by all domains."""

from __future__ import annotations

import enum
import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, event
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons identical on
    SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")


def local_today() -> date:
    """Today's date where the city is, not where the server is."""
    return datetime.now(LOCAL_TIMEZONE).date()


def string_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A Python enum stored by its values as a short string (no database enum type to migrate)."""
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    """A statement that is not a SELECT (an UPDATE, INSERT or DELETE, or SQL text) counts as a write."""
    if not state.is_select:
        state.session.info["wrote"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    # Only the end of the outermost transaction settles the writes: a savepoint's end leaves them to it.
    if transaction.parent is None:
        session.info.pop("wrote", None)


def end_reads_with_commit(app) -> None:
    """End a request that wrote nothing with COMMIT instead of the session's ROLLBACK.

    Both end a read-only transaction alike, but psycopg forgets the connection's prepared statements on every
    rollback (and deallocates them on the server), so PostgreSQL would plan each page's statements anew on every
    request. Committed, they stay prepared for the connection's next request. A request that failed, left changes
    in the session, or flushed or executed a write it did not commit, is rolled back as before."""
    from flask import g
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db

    @app.after_request
    def _note_outcome(response):
        g.ended_well = response.status_code < 400
        return response

    @app.teardown_request
    def _commit_reads(exc):
        if exc is not None or not g.pop("ended_well", False):
            return
        session = db.session()  # the request's own, not the scoped proxy
        if not session.in_transaction() or session.info.get("wrote"):
            return
        if session.new or session.dirty or session.deleted:
            return
        try:
            session.commit()
        except SQLAlchemyError:
            # The answer has gone out already; the session's removal right after rolls back what is left.
            log.warning("ending a read-only request with COMMIT failed", exc_info=True)
