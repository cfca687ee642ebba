"""Empowerment funding: programmes with a budget, proposals and their review, budget lines, attachments.

Every state change of a proposal is a method here that refuses the wrong state; services record it as an
event (who, when, from, to, note) and tell the applicant.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, local_today, string_enum, utcnow
from app.errors import DomainError
from app.extensions import db
from app.names import NamedInLanguages
from app.places.models import District


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    REPORTED = "reported"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def tone(self) -> str:
        """The badge colour a person reads the state by."""
        return STATE_TONES.get(self, "neutral")


STATE_LABELS = {
    ProposalState.DRAFT: _l("Draft"),
    ProposalState.SUBMITTED: _l("Submitted"),
    ProposalState.IN_REVIEW: _l("In review"),
    ProposalState.CHANGES_REQUESTED: _l("Changes requested"),
    ProposalState.RESUBMITTED: _l("Resubmitted"),
    ProposalState.APPROVED: _l("Approved"),
    ProposalState.REJECTED: _l("Rejected"),
    ProposalState.RUNNING: _l("Running"),
    ProposalState.REPORTED: _l("Final report submitted"),
    ProposalState.CLOSED: _l("Closed"),
    ProposalState.WITHDRAWN: _l("Withdrawn"),
}

STATE_TONES = {
    ProposalState.SUBMITTED: "warn",
    ProposalState.RESUBMITTED: "warn",
    ProposalState.IN_REVIEW: "warn",
    ProposalState.CHANGES_REQUESTED: "danger",
    ProposalState.APPROVED: "ok",
    ProposalState.RUNNING: "ok",
    ProposalState.REPORTED: "ok",
    ProposalState.REJECTED: "danger",
    ProposalState.DRAFT: "",
}

# The states in which money is granted: they count against the budget.
GRANTED_STATES = (ProposalState.APPROVED, ProposalState.RUNNING, ProposalState.REPORTED, ProposalState.CLOSED)
# Before a decision the applicant may still withdraw.
UNDECIDED_STATES = (
    ProposalState.DRAFT,
    ProposalState.SUBMITTED,
    ProposalState.IN_REVIEW,
    ProposalState.CHANGES_REQUESTED,
    ProposalState.RESUBMITTED,
)
EDITABLE_STATES = (ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED)
# Waiting for staff: the review queue shows these first.
AWAITING_REVIEW = (ProposalState.SUBMITTED, ProposalState.RESUBMITTED, ProposalState.IN_REVIEW)


class EventKind(enum.StrEnum):
    TRANSITION = "transition"
    MESSAGE = "message"  # from staff to the applicant: shown to them and mailed
    NOTE = "note"  # internal: never shown to the applicant, never mailed to them
    GRANT_CHANGE = "grant_change"
    ASSIGNMENT = "assignment"


class AttachmentKind(enum.StrEnum):
    PROPOSAL = "proposal"
    REPORT = "report"


class FundingProgramme(NamedInLanguages, db.Model):
    """A year's empowerment fund: a total budget, optionally split per district, open for a period."""

    __tablename__ = "funding_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # German, the default language
    year: Mapped[int]
    budget_cents: Mapped[int]
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    rules: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Bumped by every approval: the row that serialises grants against the budget.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    names: Mapped[list[ProgrammeName]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", lazy="selectin"
    )
    district_budgets: Mapped[list[DistrictBudget]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", lazy="selectin"
    )

    def display_name(self) -> str:
        """The name in the user's language, with the year unless the name says it already."""
        name = self.label()
        return name if str(self.year) in name else f"{name} ({self.year})"

    def is_open(self, today: date | None = None) -> bool:
        return self.opens_on <= (today or local_today()) <= self.closes_on

    def district_budget(self, district_id: int) -> int | None:
        """The district's share in cents, or None when the district has no budget of its own."""
        for entry in self.district_budgets:
            if entry.district_id == district_id:
                return entry.budget_cents
        return None


class ProgrammeName(db.Model):
    __tablename__ = "programme_names"
    __table_args__ = (UniqueConstraint("programme_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("funding_programmes.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))

    programme: Mapped[FundingProgramme] = relationship(back_populates="names")


class DistrictBudget(db.Model):
    __tablename__ = "district_budgets"
    __table_args__ = (UniqueConstraint("programme_id", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("funding_programmes.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    budget_cents: Mapped[int]

    programme: Mapped[FundingProgramme] = relationship(back_populates="district_budgets")
    district: Mapped[District] = relationship(lazy="joined")


class Proposal(db.Model):
    """A project proposed for a district out of a programme, from draft to closed."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_programme_state", "programme_id", "state"),
        Index("ix_proposals_district_state", "district_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("funding_programmes.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[ProposalState] = mapped_column(
        string_enum(ProposalState, "proposal_state"), default=ProposalState.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    goals: Mapped[str] = mapped_column(Text, default="", server_default="")
    target_group: Mapped[str] = mapped_column(String(300), default="", server_default="")
    group_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(300), default="", server_default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The sum of the budget lines, kept with them so that reports can add it up in SQL.
    requested_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    granted_cents: Mapped[int | None]
    report_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    programme: Mapped[FundingProgramme] = relationship(lazy="joined")
    district: Mapped[District] = relationship(lazy="joined")
    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="BudgetLine.position"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalEvent.id"
    )

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_granted(self) -> bool:
        return self.state in GRANTED_STATES

    @property
    def actual_cents(self) -> int:
        return sum(line.actual_cents or 0 for line in self.lines)

    def missing_for_submission(self) -> list[str]:
        """What still has to be filled in before the proposal can be submitted, in words."""
        missing = []
        if not self.title.strip():
            missing.append(_("a title"))
        if not self.summary.strip():
            missing.append(_("a summary"))
        if not self.goals.strip():
            missing.append(_("the goals"))
        if not self.target_group.strip():
            missing.append(_("the target group"))
        if not self.group_name.strip():
            missing.append(_("the group behind the project"))
        if not self.contact.strip():
            missing.append(_("a contact"))
        if self.starts_on is None or self.ends_on is None:
            missing.append(_("the timeline (start and end)"))
        if not self.lines:
            missing.append(_("at least one budget line"))
        return missing

    def require_state(self, *states: ProposalState) -> None:
        """Refuse, in the user's words, unless the proposal is in one of these states."""
        if self.state not in states:
            raise DomainError(_("This is not possible while the proposal is %(state)s.", state=self.state.label))

    def submit(self) -> ProposalState:
        """Send a draft, or a proposal with requested changes, to the staff."""
        self.require_state(ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED)
        missing = self.missing_for_submission()
        if missing:
            raise DomainError(
                _("Before you submit, please add: %(missing)s.", missing=format_list(missing, locale=get_locale())), 422
            )
        if not self.programme.is_open() and self.state is ProposalState.DRAFT:
            raise DomainError(_("This programme is not open for proposals at the moment."))
        self.state = (
            ProposalState.RESUBMITTED if self.state is ProposalState.CHANGES_REQUESTED else ProposalState.SUBMITTED
        )
        self.submitted_at = utcnow()
        return self.state

    def start_review(self) -> ProposalState:
        self.require_state(ProposalState.SUBMITTED, ProposalState.RESUBMITTED)
        self.state = ProposalState.IN_REVIEW
        return self.state

    def request_changes(self) -> ProposalState:
        self.require_state(ProposalState.IN_REVIEW)
        self.state = ProposalState.CHANGES_REQUESTED
        return self.state

    def approve(self, amount_cents: int) -> ProposalState:
        """Grant an amount: more than nothing, at most what was asked for. The budget is the service's check."""
        self.require_state(ProposalState.IN_REVIEW)
        self._check_amount(amount_cents)
        self.state = ProposalState.APPROVED
        self.granted_cents = amount_cents
        self.decided_at = utcnow()
        return self.state

    def _check_amount(self, amount_cents: int) -> None:
        if amount_cents <= 0:
            raise DomainError(_("The granted amount must be more than zero."), 422, "amount")
        if amount_cents > self.requested_cents:
            raise DomainError(_("The granted amount can't be more than the amount requested."), 422, "amount")

    def reject(self) -> ProposalState:
        self.require_state(ProposalState.IN_REVIEW)
        self.state = ProposalState.REJECTED
        self.decided_at = utcnow()
        return self.state

    def withdraw(self) -> ProposalState:
        """The applicant takes the proposal back before a decision."""
        self.require_state(*UNDECIDED_STATES)
        self.state = ProposalState.WITHDRAWN
        return self.state

    def lower_grant(self, amount_cents: int) -> None:
        """Grant less than before (never more: a raise goes through a new decision)."""
        self.require_state(ProposalState.APPROVED, ProposalState.RUNNING)
        self._check_amount(amount_cents)
        if amount_cents >= (self.granted_cents or 0):
            raise DomainError(_("The new amount must be lower than the amount granted now."), 422, "amount")
        self.granted_cents = amount_cents

    def withdraw_approval(self) -> ProposalState:
        """Take an approval back: the proposal returns to review and its money to the budget."""
        self.require_state(ProposalState.APPROVED)
        self.state = ProposalState.IN_REVIEW
        self.granted_cents = None
        self.decided_at = None
        return self.state

    def start(self) -> ProposalState:
        self.require_state(ProposalState.APPROVED)
        self.state = ProposalState.RUNNING
        return self.state

    def submit_report(self) -> ProposalState:
        self.require_state(ProposalState.RUNNING)
        if not self.report_text.strip():
            raise DomainError(_("Please describe what happened in the project."), 422, "report_text")
        self.state = ProposalState.REPORTED
        self.reported_at = utcnow()
        return self.state

    def close(self) -> ProposalState:
        self.require_state(ProposalState.REPORTED)
        self.state = ProposalState.CLOSED
        return self.state


class BudgetLine(db.Model):
    __tablename__ = "budget_lines"
    __table_args__ = (Index("ix_budget_lines_proposal", "proposal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    position: Mapped[int]
    item: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int]
    # What was really spent, given in the final report.
    actual_cents: Mapped[int | None]

    proposal: Mapped[Proposal] = relationship(back_populates="lines")


class Attachment(db.Model):
    """A file kept in the database beside its proposal (every app machine serves it; it goes with the proposal and
    its backups); served only to who may see the proposal. Its content is read only where a download asks for it."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(string_enum(AttachmentKind, "attachment_kind"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    # Only while a file kept in an upload folder before migration 0010 has not been moved in yet: its name there,
    # for `flask import-attachments`; the content is None until then.
    storage_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="attachments")


class ProposalEvent(db.Model):
    """One entry of a proposal's timeline: a transition, a message to the applicant, or an internal note."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(string_enum(EventKind, "proposal_event_kind"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_state: Mapped[ProposalState | None] = mapped_column(string_enum(ProposalState, "proposal_state"))
    to_state: Mapped[ProposalState | None] = mapped_column(string_enum(ProposalState, "proposal_state"))
    amount_cents: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_internal(self) -> bool:
        return self.kind is EventKind.NOTE or self.kind is EventKind.ASSIGNMENT
