"""The GDPR side: everything held about a person, deleting an account, and retention (purge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import Invitation, Role, RoleGrant, User, UserLanguage, new_session_token
from app.database import utcnow
from app.dialogs.models import (
    Dialog,
    DialogLanguage,
    DialogModerator,
    InterpreterRequest,
    InterpreterTraining,
    RequestStatus,
    SessionLog,
)
from app.extensions import db
from app.mail import queue_mail
from app.mail.models import OutboxMail
from app.places.models import CircleMembership, VettingRecord
from app.privacy.audit import record
from app.proposals.models import UNDECIDED_STATES, EventKind, Proposal, ProposalState
from app.shifts.models import CalendarFeed, Shift, Signup, SignupStatus
from app.views import public_url

DELETED_NAME = "—"  # shown wherever a deleted person did something: the same in every language


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# --- download my data ----------------------------------------------------------------------------------------


def personal_data(user: User) -> dict:
    """Everything Lotse holds about the person, as plain data (the JSON download and the readable page)."""
    signups = db.session.scalars(
        select(Signup).where(Signup.user_id == user.id).options(selectinload(Signup.shift)).order_by(Signup.id)
    ).all()
    seats = db.session.scalars(
        select(DialogLanguage)
        .where(or_(DialogLanguage.interpreter_id == user.id, DialogLanguage.shadow_id == user.id))
        .options(selectinload(DialogLanguage.dialog))
        .order_by(DialogLanguage.id)
    ).all()
    moderations = db.session.scalars(
        select(DialogModerator)
        .where(DialogModerator.user_id == user.id)
        .options(selectinload(DialogModerator.dialog))
        .order_by(DialogModerator.id)
    ).all()
    logs = db.session.scalars(select(SessionLog).where(SessionLog.written_by_id == user.id).order_by(SessionLog.id))
    proposals = db.session.scalars(
        select(Proposal)
        .where(Proposal.applicant_id == user.id)
        .options(selectinload(Proposal.lines), selectinload(Proposal.attachments), selectinload(Proposal.events))
        .order_by(Proposal.id)
    ).all()
    memberships = db.session.scalars(select(CircleMembership).where(CircleMembership.user_id == user.id)).all()
    vetting = db.session.scalars(select(VettingRecord).where(VettingRecord.user_id == user.id)).all()
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    from app.api.models import AccessToken

    tokens = db.session.scalars(select(AccessToken).where(AccessToken.user_id == user.id)).all()
    return {
        "profile": {
            "name": user.name,
            "email": user.email,
            "interface_language": user.locale,
            "registered_at": _iso(user.created_at),
            "privacy_consent_at": _iso(user.consent_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "roles": [
            {"role": g.role.value, "circle": g.circle.name if g.circle else None, "since": _iso(g.granted_at)}
            for g in user.role_grants
        ],
        "languages": [{"code": entry.code, "level": entry.level.value} for entry in user.languages],
        "circle_memberships": [
            {
                "circle": m.circle.name,
                "status": m.status.value,
                "requested_at": _iso(m.requested_at),
                "decided_at": _iso(m.decided_at),
            }
            for m in memberships
        ],
        "vetting_records": [
            {
                "circle": v.circle.name if v.circle else None,
                "seen_on": _iso(v.seen_on),
                "valid_until": _iso(v.valid_until),
                "recorded_at": _iso(v.recorded_at),
            }
            for v in vetting
        ],
        "shift_signups": [
            {
                "shift": s.shift.title,
                "starts_at": _iso(s.shift.starts_at),
                "ends_at": _iso(s.shift.ends_at),
                "status": s.status.value,
                "attendance": s.attendance.value if s.attendance else None,
                "hours": str(s.hours) if s.hours is not None else None,
                "cancelled_at": _iso(s.cancelled_at),
            }
            for s in signups
        ],
        "interpreter_assignments": [
            {
                "dialog": seat.dialog.topic,
                "starts_at": _iso(seat.dialog.starts_at),
                "language": seat.code,
                "as": "interpreter" if seat.interpreter_id == user.id else "shadow",
            }
            for seat in seats
        ],
        "dialog_moderations": [
            {"dialog": m.dialog.topic, "starts_at": _iso(m.dialog.starts_at), "role": m.role.value} for m in moderations
        ],
        "session_logs_written": [
            {
                "dialog": log.dialog.topic,
                "written_at": _iso(log.written_at),
                "refugees": log.refugees,
                "volunteers": log.volunteers,
                "staff": log.staff,
                "summary": log.summary,
            }
            for log in logs
        ],
        "proposals": [
            {
                "title": p.title,
                "state": p.state.value,
                "programme": p.programme.name,
                "district": p.district.name,
                "summary": p.summary,
                "goals": p.goals,
                "target_group": p.target_group,
                "group": p.group_name,
                "contact": p.contact,
                "requested_cents": p.requested_cents,
                "granted_cents": p.granted_cents,
                "budget_lines": [{"item": line.item, "amount_cents": line.amount_cents} for line in p.lines],
                "attachments": [a.filename for a in p.attachments],
                # What the applicant sees of the timeline: internal notes stay with the staff.
                "timeline": [
                    {
                        "at": _iso(e.at),
                        "kind": e.kind.value,
                        "from": e.from_state.value if e.from_state else None,
                        "to": e.to_state.value if e.to_state else None,
                        "note": e.note,
                    }
                    for e in p.events
                    if not e.is_internal
                ],
            }
            for p in proposals
        ],
        "calendar_feed": {"created_at": _iso(feed.created_at)} if feed is not None else None,
        "access_tokens": [
            {"name": t.name, "created_at": _iso(t.created_at), "revoked_at": _iso(t.revoked_at)} for t in tokens
        ],
    }


def record_export(user: User) -> None:
    record(user, "data.export", "user", user.id, user.id)


# --- delete my account ---------------------------------------------------------------------------------------


@dataclass
class DeletionResult:
    shifts_left: int
    seats_left: int


def delete_account(user: User, by: User, reason: str = "") -> DeletionResult:
    """Delete the person's account: leave what is still to come, then remove every personal detail.

    The row stays, nameless and without contact data, so hours, sign-ups and logs of the past still add up.
    """
    from app.dialogs import services as dialog_services
    from app.shifts import services as shift_services

    now = utcnow()
    shifts_left = 0
    upcoming = db.session.scalars(
        select(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Signup.user_id == user.id,
            Signup.status != SignupStatus.CANCELLED,
            Shift.starts_at > now,
        )
    ).all()
    for signup in upcoming:
        shift = signup.shift
        was_confirmed = signup.status is SignupStatus.CONFIRMED
        shift_services.cancel_signup(user, signup)  # promotes the first person waiting
        shifts_left += 1
        if was_confirmed and not signup.late_cancellation:  # a late one already told the coordinators
            for coordinator in shift_services._coordinators(shift.circle_id):
                queue_mail(
                    coordinator.email,
                    _l("A helper has left: %(title)s", title=shift.title),
                    "privacy/mail/helper_left.txt",
                    locale=coordinator.locale,
                    shift=shift,
                    coordinator=coordinator,
                    link=public_url("shifts.detail", shift_id=shift.id),
                )
    seats = db.session.scalars(
        select(DialogLanguage)
        .join(Dialog, Dialog.id == DialogLanguage.dialog_id)
        .where(
            or_(DialogLanguage.interpreter_id == user.id, DialogLanguage.shadow_id == user.id),
            Dialog.starts_at > now,
        )
    ).all()
    for seat in seats:
        dialog_services.withdraw(user, seat)  # the moderators are told, the language is open again
    for moderation in db.session.scalars(
        select(DialogModerator)
        .join(Dialog, Dialog.id == DialogModerator.dialog_id)
        .where(DialogModerator.user_id == user.id, Dialog.starts_at > now)
    ):
        db.session.delete(moderation)
    db.session.execute(
        delete(InterpreterRequest).where(
            InterpreterRequest.interpreter_id == user.id, InterpreterRequest.status == RequestStatus.ASKED
        )
    )

    for proposal in db.session.scalars(select(Proposal).where(Proposal.applicant_id == user.id)):
        if proposal.state is ProposalState.DRAFT:
            db.session.delete(proposal)
            continue
        if proposal.state in UNDECIDED_STATES:
            before = proposal.state
            proposal.withdraw()
            proposal.events.append(_event(by, EventKind.TRANSITION, before, proposal.state, "account deleted"))
        proposal.contact = ""

    _erase(user, now)
    detail = "self" if by.id == user.id else f"on request: {reason}"[:300]
    record(by, "account.delete", "user", user.id, user.id, detail)
    db.session.flush()
    return DeletionResult(shifts_left=shifts_left, seats_left=len(seats))


def _event(by: User, kind: EventKind, before, after, note: str):
    from app.proposals.models import ProposalEvent

    return ProposalEvent(kind=kind, actor_id=by.id, from_state=before, to_state=after, note=note, at=utcnow())


def _erase(user: User, now: datetime) -> None:
    """Remove every personal detail; what stays is an anonymous row the past can point to."""
    from app.api.models import AccessToken

    for model, column in (
        (AccessToken, AccessToken.user_id),
        (UserLanguage, UserLanguage.user_id),
        (RoleGrant, RoleGrant.user_id),
        (CircleMembership, CircleMembership.user_id),
        (VettingRecord, VettingRecord.user_id),
        (CalendarFeed, CalendarFeed.user_id),
        (InterpreterTraining, InterpreterTraining.user_id),
    ):
        db.session.execute(delete(model).where(column == user.id))
    db.session.execute(delete(Invitation).where(Invitation.email == user.email))
    # Mail to the person still waiting from before (mail queued by this change itself is written at its commit).
    db.session.execute(delete(OutboxMail).where(OutboxMail.recipient == user.email))
    db.session.expire(user, ["role_grants", "languages"])
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.password_hash = "!"  # noqa: S105 - no Argon2 hash: no password matches it
    user.locale = None
    user.is_enabled = False
    user.session_token = new_session_token()  # every session of the account ends
    user.last_login_at = None
    user.inactivity_notice_at = None
    user.deleted_at = now


# --- retention -----------------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    registrations: int
    invitations: int
    notified: int
    deleted: int
    mails: int = 0


def _unused_registration():
    """Registered, never taken into a circle, never signed up, proposed or booked for anything."""
    return (
        User.deleted_at.is_(None),
        ~exists().where(RoleGrant.user_id == User.id, RoleGrant.role != Role.VOLUNTEER),
        ~exists().where(CircleMembership.user_id == User.id),
        ~exists().where(Signup.user_id == User.id),
        ~exists().where(Proposal.applicant_id == User.id),
        ~exists().where(DialogModerator.user_id == User.id),
        ~exists().where(or_(DialogLanguage.interpreter_id == User.id, DialogLanguage.shadow_id == User.id)),
    )


def purge(now: datetime | None = None) -> PurgeResult:
    """Apply the retention rules; running it again (or on a schedule) changes nothing more.

    - registrations never used (see `_unused_registration`) for 30 days are removed completely;
    - invitations 30 days past their expiry or their acceptance are removed;
    - accounts inactive for RETENTION_INACTIVE_DAYS are told; if still inactive RETENTION_NOTICE_DAYS
      after the notice, their personal data is deleted as in `delete_account`;
    - mails given up (the outbox keeps them with their error) are removed after a week.
    """
    now = now or utcnow()
    month_ago = now - timedelta(days=30)
    unused = db.session.scalars(
        select(User).where(
            *_unused_registration(),
            User.created_at < month_ago,
            or_(User.last_login_at.is_(None), User.last_login_at < month_ago),
        )
    ).all()
    for user in unused:
        record(None, "account.purge", "user", user.id, None, "unused registration")
        db.session.delete(user)
    invitations = db.session.execute(
        delete(Invitation).where(
            or_(
                Invitation.expires_at < month_ago,
                Invitation.accepted_at < month_ago,
            )
        )
    ).rowcount

    config = current_app.config
    inactive_since = now - timedelta(days=config["RETENTION_INACTIVE_DAYS"])
    notice_before = now - timedelta(days=config["RETENTION_NOTICE_DAYS"])
    last_seen = db.func.coalesce(User.last_login_at, User.created_at)
    to_tell = db.session.scalars(
        select(User).where(
            User.deleted_at.is_(None),
            User.inactivity_notice_at.is_(None),
            last_seen < inactive_since,
            ~exists().where(RoleGrant.user_id == User.id, RoleGrant.role == Role.ADMIN),
        )
    ).all()
    for user in to_tell:
        user.inactivity_notice_at = now
        queue_mail(
            user.email,
            _l("Your Lotse account will be deleted"),
            "privacy/mail/inactivity_notice.txt",
            locale=user.locale,
            user=user,
            days=config["RETENTION_NOTICE_DAYS"],
            link=public_url("auth.login"),
        )
    due = db.session.scalars(
        select(User).where(
            User.deleted_at.is_(None),
            User.inactivity_notice_at < notice_before,
            last_seen < User.inactivity_notice_at,
        )
    ).all()
    for user in due:
        _erase_inactive(user, now)
    mails = db.session.execute(delete(OutboxMail).where(OutboxMail.failed_at < now - timedelta(days=7))).rowcount
    db.session.flush()
    return PurgeResult(len(unused), invitations or 0, len(to_tell), len(due), mails or 0)


def _erase_inactive(user: User, now: datetime) -> None:
    """An inactive account has nothing coming up worth keeping: erase it as a deletion would."""
    record(None, "account.purge", "user", user.id, user.id, "inactive after notice")
    for proposal in db.session.scalars(select(Proposal).where(Proposal.applicant_id == user.id)):
        proposal.contact = ""
    _erase(user, now)
