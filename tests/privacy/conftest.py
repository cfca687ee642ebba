"""A person with one record of every kind Lotse keeps about people."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.api.models import AccessToken
from app.auth.models import LanguageLevel, Role, UserLanguage
from app.database import utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, ModeratorRole, SessionLog
from app.places.models import CircleMembership, MembershipStatus, VettingRecord
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    BudgetLine,
    EventKind,
    FundingProgramme,
    Proposal,
    ProposalEvent,
    ProposalState,
)
from app.shifts.models import Attendance, CalendarFeed, Signup, SignupStatus

NAME = "Yasmin Quellenberg"
EMAIL = "yasmin.quellenberg@example.org"
# A summer moment (Berlin is UTC+2 then): the readable page shows it as 12:30.
CONSENT_AT = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)


@pytest.fixture
def person(db, make_user, make_circle, make_shift, district):
    """Yasmin: volunteer, interpreter and moderator, with hours, bookings, a log, proposals and a feed."""
    circle = make_circle()
    coordinator = make_user(name="Cora Coordinator", email="cora@example.org", roles=[(Role.COORDINATOR, circle)])
    user = make_user(
        name=NAME, email=EMAIL, roles=[Role.VOLUNTEER, Role.INTERPRETER, Role.MODERATOR], consent_at=CONSENT_AT
    )
    db.session.add_all(
        [
            UserLanguage(user_id=user.id, code="ar", level=LanguageLevel.NATIVE),
            UserLanguage(user_id=user.id, code="fa", level=LanguageLevel.WORKING),
            CircleMembership(circle_id=circle.id, user_id=user.id, status=MembershipStatus.ACTIVE),
            VettingRecord(
                user_id=user.id,
                circle_id=circle.id,
                seen_on=date.today() - timedelta(days=10),
                valid_until=date.today() + timedelta(days=900),
                recorded_by_id=coordinator.id,
            ),
            CalendarFeed(user_id=user.id),
            AccessToken.issue(user, "Mein Kalender")[0],
        ]
    )
    past = make_shift(circle, starts_in=timedelta(days=-7), hours=2, title="Sprachcafé")
    future = make_shift(circle, starts_in=timedelta(days=5), capacity=1, title="Hausaufgaben")
    db.session.add_all(
        [
            Signup(
                shift_id=past.id,
                user_id=user.id,
                status=SignupStatus.CONFIRMED,
                attendance=Attendance.ATTENDED,
                hours=Decimal("2.00"),
            ),
            Signup(shift_id=future.id, user_id=user.id, status=SignupStatus.CONFIRMED),
        ]
    )
    waiting = make_user(name="Wanda Waiting", email="wanda@example.org")
    db.session.add(CircleMembership(circle_id=circle.id, user_id=waiting.id, status=MembershipStatus.ACTIVE))
    db.session.add(Signup(shift_id=future.id, user_id=waiting.id, status=SignupStatus.WAITLISTED))
    accommodation = circle.accommodations[0]
    start = utcnow().replace(second=0, microsecond=0)
    held = Dialog(
        accommodation=accommodation,
        starts_at=start - timedelta(days=3),
        ends_at=start - timedelta(days=3, hours=-2),
        topic="Nachbarschaft",
    )
    held.moderators.append(DialogModerator(user_id=user.id, role=ModeratorRole.LEAD))
    coming = Dialog(
        accommodation=accommodation,
        starts_at=start + timedelta(days=4),
        ends_at=start + timedelta(days=4, hours=2),
        topic="Schule",
    )
    other_moderator = make_user(name="Max Moderator", email="max@example.org", roles=[Role.MODERATOR])
    coming.moderators.append(DialogModerator(user_id=other_moderator.id, role=ModeratorRole.LEAD))
    coming.languages.append(DialogLanguage(code="ar", interpreter_id=user.id, accepted_at=utcnow()))
    db.session.add_all([held, coming])
    db.session.flush()
    db.session.add(
        SessionLog(
            dialog=held,
            idempotency_key="privacy-log-key-0001",
            payload_digest="0" * 64,
            refugees=12,
            volunteers=3,
            staff=1,
            started_at=held.starts_at,
            ended_at=held.ends_at,
            summary="Gutes Gespräch über Nachbarschaft.",
            written_by_id=user.id,
        )
    )
    programme = FundingProgramme(
        name="Empowerment Datenschutz",
        year=date.today().year,
        budget_cents=100_000,
        opens_on=date.today() - timedelta(days=5),
        closes_on=date.today() + timedelta(days=30),
    )
    for state in (ProposalState.SUBMITTED, ProposalState.DRAFT, ProposalState.APPROVED):
        db.session.add(
            Proposal(
                programme=programme,
                district=district,
                applicant_id=user.id,
                state=state,
                title=f"Projekt {state.value}",
                contact=f"{NAME}, {EMAIL}",
                requested_cents=10_000,
                granted_cents=10_000 if state is ProposalState.APPROVED else None,
                lines=[BudgetLine(position=1, item="Material", amount_cents=10_000)],
                events=_timeline(state, coordinator),
                # A draft's file with the applicant's name in it: deleting the account deletes it with the draft.
                attachments=[_attachment(f"%PDF-1.4 Lebenslauf {NAME}".encode())]
                if state is ProposalState.DRAFT
                else [],
            )
        )
    db.session.commit()
    return {
        "user": user,
        "coordinator": coordinator,
        "waiting": waiting,
        "future_shift": future,
        "coming_dialog": coming,
        "other_moderator": other_moderator,
        "circle": circle,
    }


def _attachment(content: bytes) -> Attachment:
    return Attachment(
        kind=AttachmentKind.PROPOSAL,
        filename="Lebenslauf.pdf",
        content_type="application/pdf",
        size=len(content),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _timeline(state: ProposalState, staff) -> list[ProposalEvent]:
    """A sent proposal's way so far: handed in, a message to the applicant, a note the applicant never sees."""
    if state is ProposalState.DRAFT:
        return []

    def moved(before: ProposalState, after: ProposalState) -> ProposalEvent:
        return ProposalEvent(kind=EventKind.TRANSITION, actor_id=staff.id, from_state=before, to_state=after, note="")

    events = [
        moved(ProposalState.DRAFT, ProposalState.SUBMITTED),
        ProposalEvent(kind=EventKind.MESSAGE, actor_id=staff.id, note="Bitte die Belege nachreichen."),
        ProposalEvent(kind=EventKind.NOTE, actor_id=staff.id, note="Nur für das Amt."),
    ]
    if state is not ProposalState.SUBMITTED:
        events.append(moved(ProposalState.SUBMITTED, state))
    return events
