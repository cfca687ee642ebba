"""Writing to the audit log: one call in each service that does something privileged."""

from __future__ import annotations

from flask import g, has_request_context, request

from app.auth.models import User
from app.extensions import db
from app.privacy.models import AuditEntry

# The actions recorded, as stored; the log page names them in the reader's language.
ACTIONS = (
    "role.grant",
    "role.revoke",
    "vetting.record",
    "proposal.approve",
    "proposal.reject",
    "proposal.grant_change",
    "account.delete",
    "account.purge",
    "data.export",
)


def record(
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    subject_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add an entry to the audit log, in the current transaction (it is kept only if the action is)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject_id=subject_id,
        detail=detail[:300],
    )
    if has_request_context():
        entry.ip = (request.remote_addr or "")[:45]
        entry.request_id = str(g.get("request_id", ""))[:64]
    db.session.add(entry)
    return entry
