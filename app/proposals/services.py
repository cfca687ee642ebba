"""Changes to funding programmes and proposals. The acting user is passed in; services flush, never commit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import filetype
from babel import numbers
from flask import current_app
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.auth.models import Role, RoleGrant, User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.mail import queue_mail
from app.names import save_names
from app.privacy.audit import record
from app.proposals.models import (
    GRANTED_STATES,
    Attachment,
    AttachmentKind,
    BudgetLine,
    DistrictBudget,
    EventKind,
    FundingProgramme,
    ProgrammeName,
    Proposal,
    ProposalEvent,
    ProposalState,
)
from app.views import public_url

# What may be attached, recognised by the file's first bytes, never by its name.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
MAX_ATTACHMENTS = 10


def money(cents: int | None, locale: str | None = None) -> str:
    """An amount in euros in the user's (or the given) language: "1.250,00 €", "€1,250.00"."""
    if cents is None:
        return "–"
    return numbers.format_currency(cents / 100, "EUR", locale=locale or get_locale())


def money_plain(cents: int) -> str:
    """An amount as one types it into a field: "1250,5" in German, "1250.5" in English."""
    from decimal import Decimal

    return format_decimal(Decimal(cents) / 100, format="0.##")


# --- programmes --------------------------------------------------------------------------------------------


@dataclass
class ProgrammeDetails:
    names: dict[str, str]
    year: int
    budget_cents: int
    opens_on: date
    closes_on: date
    rules: str


def save_programme(by: User, details: ProgrammeDetails, programme: FundingProgramme | None) -> FundingProgramme:
    """Open a programme or change it; the budget can't drop below what it is bound to (`committed`)."""

    def taken(name: str) -> str:
        return _("A programme named %(name)s already exists.", name=name)

    if programme is not None:
        lock_programme(programme)
        bound = committed(programme)
        if details.budget_cents < bound:
            raise DomainError(
                _(
                    "The budget can't be less than the %(committed)s given to districts or granted already.",
                    committed=money(bound),
                ),
                422,
                "budget",
            )
    return save_names(
        FundingProgramme,
        ProgrammeName,
        details.names,
        programme,
        taken,
        year=details.year,
        budget_cents=details.budget_cents,
        opens_on=details.opens_on,
        closes_on=details.closes_on,
        rules=details.rules.strip(),
    )


def set_district_budget(by: User, programme: FundingProgramme, district_id: int, cents: int | None) -> None:
    """Give a district a share of the programme, kept for it alone (None: the district draws on what is left of
    the programme besides the shares). The shares and what was granted elsewhere never add up to more than the
    programme's budget."""
    lock_programme(programme)
    entry = next((e for e in programme.district_budgets if e.district_id == district_id), None)
    if cents is None:
        if entry is not None:
            programme.district_budgets.remove(entry)
        db.session.flush()
        return
    granted = granted_total(programme, district_id)
    if cents < granted:
        raise DomainError(
            _(
                "The district's budget can't be less than the %(granted)s granted there already.",
                granted=money(granted),
            ),
            422,
            "amount",
        )
    others = committed(programme, without=district_id)
    if others + cents > programme.budget_cents:
        raise DomainError(
            _(
                "The programme's budget has %(most)s left for this district: the rest is given to other districts"
                " or granted already.",
                most=money(max(programme.budget_cents - others, 0)),
            ),
            422,
            "amount",
        )
    if entry is None:
        programme.district_budgets.append(DistrictBudget(district_id=district_id, budget_cents=cents))
    else:
        entry.budget_cents = cents
    db.session.flush()


def lock_programme(programme: FundingProgramme) -> None:
    """Take the programme's row lock for the rest of the transaction.

    An UPDATE locks the row on PostgreSQL and takes SQLite's write lock: approvals in one programme
    happen one after the other, so the second sees the first one's grant.
    """
    db.session.execute(
        update(FundingProgramme)
        .where(FundingProgramme.id == programme.id)
        .values(version=FundingProgramme.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(programme)


def granted_total(programme: FundingProgramme, district_id: int | None = None) -> int:
    """Cents granted in the programme (or one district of it), counted in SQL."""
    query = select(func.coalesce(func.sum(Proposal.granted_cents), 0)).where(
        Proposal.programme_id == programme.id, Proposal.state.in_(GRANTED_STATES)
    )
    if district_id is not None:
        query = query.where(Proposal.district_id == district_id)
    return int(db.session.scalar(query))


def committed(programme: FundingProgramme, without: int | None = None) -> int:
    """What the programme's budget is bound to: every district's share (kept for that district, whether granted
    yet or not) and what was granted in the districts without one. `without`: leave that district out entirely."""
    shares = {e.district_id: e.budget_cents for e in programme.district_budgets if e.district_id != without}
    granted = granted_by_district(programme.id)
    return sum(shares.values()) + sum(
        cents for district_id, cents in granted.items() if district_id not in shares and district_id != without
    )


def granted_by_district(programme_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Proposal.district_id, func.sum(Proposal.granted_cents))
        .where(Proposal.programme_id == programme_id, Proposal.state.in_(GRANTED_STATES))
        .group_by(Proposal.district_id)
    ).all()
    return {district_id: int(total or 0) for district_id, total in rows}


def granted_by_programme() -> dict[int, int]:
    rows = db.session.execute(
        select(Proposal.programme_id, func.sum(Proposal.granted_cents))
        .where(Proposal.state.in_(GRANTED_STATES))
        .group_by(Proposal.programme_id)
    ).all()
    return {programme_id: int(total or 0) for programme_id, total in rows}


def count_by_state(programme_id: int) -> dict[ProposalState, int]:
    rows = db.session.execute(
        select(Proposal.state, func.count()).where(Proposal.programme_id == programme_id).group_by(Proposal.state)
    ).all()
    return dict(rows)


def dashboard_counts(user: User, staff: bool) -> dict[str, int]:
    """For the overview: one's proposals that wait for one's step, and (staff) those waiting for review."""
    from app.proposals.models import AWAITING_REVIEW

    mine = (ProposalState.CHANGES_REQUESTED, ProposalState.APPROVED, ProposalState.RUNNING)
    own = func.count().filter(Proposal.applicant_id == user.id, Proposal.state.in_(mine))
    waiting = func.count().filter(Proposal.state.in_(AWAITING_REVIEW)) if staff else func.count().filter(False)
    row = db.session.execute(select(own, waiting).select_from(Proposal)).one()
    return {"my_proposals_to_act": int(row[0] or 0), "proposals_to_review": int(row[1] or 0)}


# --- drafting ----------------------------------------------------------------------------------------------


@dataclass
class ProposalDetails:
    programme: FundingProgramme
    district_id: int
    title: str
    summary: str
    goals: str
    target_group: str
    group_name: str
    contact: str
    starts_on: date | None
    ends_on: date | None
    lines: list[tuple[str, int]]


def save_draft(by: User, details: ProposalDetails, proposal: Proposal | None = None) -> Proposal:
    """Create a draft or save changes to an editable proposal; what is missing can be added later."""
    if proposal is None:
        if not details.programme.is_open():
            raise DomainError(_("This programme is not open for proposals at the moment."), 422, "programme")
        proposal = Proposal(applicant_id=by.id, state=ProposalState.DRAFT)
        db.session.add(proposal)
    else:
        lock_proposal(proposal)
    if not proposal.is_editable:
        raise DomainError(_("A proposal can only be changed as a draft or when changes were requested."))
    if proposal.programme_id not in (None, details.programme.id) and not details.programme.is_open():
        raise DomainError(_("This programme is not open for proposals at the moment."), 422, "programme")
    if details.starts_on and details.ends_on and details.ends_on < details.starts_on:
        raise DomainError(_("The end must not be before the start."), 422, "ends_on")
    proposal.programme = details.programme
    proposal.district_id = details.district_id
    proposal.title = details.title.strip()
    proposal.summary = details.summary.strip()
    proposal.goals = details.goals.strip()
    proposal.target_group = details.target_group.strip()
    proposal.group_name = details.group_name.strip()
    proposal.contact = details.contact.strip()
    proposal.starts_on = details.starts_on
    proposal.ends_on = details.ends_on
    proposal.lines = [
        BudgetLine(position=position, item=item.strip(), amount_cents=amount)
        for position, (item, amount) in enumerate(details.lines, start=1)
    ]
    proposal.requested_cents = sum(amount for _item, amount in details.lines)
    proposal.updated_at = utcnow()
    db.session.flush()
    return proposal


def _record(
    proposal: Proposal,
    by: User | None,
    kind: EventKind,
    from_state: ProposalState | None = None,
    to_state: ProposalState | None = None,
    note: str = "",
    amount_cents: int | None = None,
) -> ProposalEvent:
    event = ProposalEvent(
        kind=kind,
        actor_id=by.id if by else None,
        from_state=from_state,
        to_state=to_state,
        note=note.strip(),
        amount_cents=amount_cents,
        at=utcnow(),
    )
    proposal.events.append(event)
    return event


def lock_proposal(proposal: Proposal) -> None:
    """Take the proposal's row lock and re-read it: of two changes at once, the second sees the first."""
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(proposal)


def _transition(proposal: Proposal, by: User, change, note: str = "", amount_cents: int | None = None):
    """Run a state change of the model and record it; the caller holds the proposal's lock."""
    before = proposal.state
    after = change()
    proposal.updated_at = utcnow()
    _record(proposal, by, EventKind.TRANSITION, before, after, note, amount_cents)
    db.session.flush()
    return after


def submit(by: User, proposal: Proposal) -> ProposalState:
    """Send the proposal to the staff; a resubmission tells the reviewer."""
    lock_proposal(proposal)
    state = _transition(proposal, by, proposal.submit)
    if state is ProposalState.RESUBMITTED and proposal.reviewer is not None:
        _mail(proposal.reviewer, proposal, _l("Resubmitted: %(title)s", title=proposal.title), "resubmitted.txt")
    return state


def withdraw(by: User, proposal: Proposal) -> None:
    """The applicant takes the proposal back before a decision; an assigned reviewer is told."""
    lock_proposal(proposal)
    was_with_staff = proposal.state is not ProposalState.DRAFT
    _transition(proposal, by, proposal.withdraw)
    if was_with_staff and proposal.reviewer is not None:
        _mail(proposal.reviewer, proposal, _l("Withdrawn: %(title)s", title=proposal.title), "withdrawn.txt")


def start_project(by: User, proposal: Proposal) -> None:
    """The money is there and the project begins."""
    lock_proposal(proposal)
    _transition(proposal, by, proposal.start)


@dataclass
class ReportDetails:
    text: str
    actuals: dict[int, int]  # budget line id -> cents spent


def submit_report(by: User, proposal: Proposal, details: ReportDetails) -> None:
    """The final report: what happened and what was spent on each budget line."""
    lock_proposal(proposal)
    proposal.report_text = details.text.strip()
    for line in proposal.lines:
        if line.id not in details.actuals:
            raise DomainError(_("Please give the actual spend for every budget line."), 422)
        line.actual_cents = details.actuals[line.id]
    _transition(proposal, by, proposal.submit_report)
    for reviewer in _reviewers_to_tell(proposal):
        _mail(reviewer, proposal, _l("Final report: %(title)s", title=proposal.title), "reported.txt")


# --- attachments -------------------------------------------------------------------------------------------


def sniff_type(head: bytes) -> str | None:
    """The file's type from its content; None unless it is one we accept."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        return None
    return kind.mime


def clean_filename(name: str, mime: str) -> str:
    """A name to show and to offer for download: no path, no control characters, the right extension."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .") or "file"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:150]}.{ALLOWED_TYPES[mime]}"


def upload_limit_mb() -> str:
    """The upload limit as a person reads it: "5", "0,2"."""
    return format_decimal(current_app.config["UPLOAD_MAX_BYTES"] / 1_000_000, format="#,##0.#")


def add_attachment(
    by: User, proposal: Proposal, kind: AttachmentKind, filename: str, data: bytes, total_size: int | None = None
) -> Attachment:
    """Check an upload and keep it with the proposal: it is saved with the transaction, or not at all."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if not data:
        raise DomainError(_("The file is empty."), 422, "file")
    if len(data) > limit:
        size = max(total_size or 0, len(data))
        raise DomainError(
            _(
                "The file is %(size)s MB; at most %(limit)s MB are allowed.",
                size=format_decimal(size / 1_000_000, format="#,##0.#"),
                limit=upload_limit_mb(),
            ),
            413,
            "file",
        )
    lock_proposal(proposal)
    if kind is AttachmentKind.REPORT:
        proposal.require_state(ProposalState.RUNNING)
    else:
        proposal.require_state(ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED)
    mime = sniff_type(data[:262])
    if mime is None:
        raise DomainError(_("Only PDF, JPEG and PNG files can be attached."), 415, "file")
    if len(proposal.attachments) >= MAX_ATTACHMENTS:
        raise DomainError(_("A proposal can have at most %(count)d attachments.", count=MAX_ATTACHMENTS), 422, "file")
    attachment = Attachment(
        kind=kind,
        filename=clean_filename(filename, mime),
        content_type=mime,
        size=len(data),
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=by.id,
    )
    proposal.attachments.append(attachment)
    db.session.flush()
    return attachment


def import_attachment_files(folder: Path) -> tuple[int, int]:
    """Fill in the attachments kept in an upload folder before they moved into the database (migration 0010 does
    this for the folder it can reach): (moved now, still missing). A file is taken only if it is the one uploaded
    (its SHA-256); nothing in the folder is changed."""
    moved = missing = 0
    waiting = db.session.execute(
        select(Attachment.id, Attachment.storage_key, Attachment.sha256).where(Attachment.storage_key.is_not(None))
    ).all()
    for attachment_id, storage_key, sha256 in waiting:
        path = folder / storage_key
        data = path.read_bytes() if path.is_file() else None
        if data is None or (sha256 and hashlib.sha256(data).hexdigest() != sha256):
            missing += 1
            continue
        db.session.execute(
            update(Attachment).where(Attachment.id == attachment_id).values(content=data, storage_key=None)
        )
        moved += 1
    return moved, missing


def attachment_content(attachment: Attachment) -> bytes | None:
    """The file itself (the attachment's rows load without it)."""
    return db.session.scalar(select(Attachment.content).where(Attachment.id == attachment.id))


def remove_attachment(by: User, attachment: Attachment) -> None:
    """Remove an attachment while the proposal (or its report) can still be changed."""
    proposal = attachment.proposal
    lock_proposal(proposal)
    if attachment.kind is AttachmentKind.REPORT:
        proposal.require_state(ProposalState.RUNNING)
    else:
        proposal.require_state(ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED)
    db.session.delete(attachment)
    db.session.flush()


# --- review ------------------------------------------------------------------------------------------------


def staff_members() -> list[User]:
    """Who can be assigned as reviewer: staff and administrators who are active."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_enabled.is_(True))
            .where(User.id.in_(select(RoleGrant.user_id).where(RoleGrant.role.in_((Role.STAFF, Role.ADMIN)))))
            .order_by(User.name)
        )
    )


def assign(by: User, proposal: Proposal, reviewer: User | None) -> None:
    """Make someone of the staff responsible for the review (internal: the applicant doesn't see it)."""
    if proposal.state is ProposalState.DRAFT:
        raise DomainError(_("A draft can't be assigned yet."))
    proposal.reviewer_id = reviewer.id if reviewer else None
    note = reviewer.name if reviewer else ""
    _record(proposal, by, EventKind.ASSIGNMENT, note=note)
    if reviewer is not None and reviewer.id != by.id:
        _mail(reviewer, proposal, _l("For your review: %(title)s", title=proposal.title), "assigned.txt")
    db.session.flush()


def start_review(by: User, proposal: Proposal) -> None:
    """Take the proposal into review; whoever starts it reviews it unless someone else was assigned."""
    lock_proposal(proposal)
    _transition(proposal, by, proposal.start_review)
    if proposal.reviewer_id is None:
        proposal.reviewer_id = by.id


def add_note(by: User, proposal: Proposal, text: str) -> None:
    """An internal note for the staff: never shown or mailed to the applicant."""
    _record(proposal, by, EventKind.NOTE, note=text)
    db.session.flush()


def send_message(by: User, proposal: Proposal, text: str) -> None:
    """A message to the applicant: on the timeline and by mail."""
    _record(proposal, by, EventKind.MESSAGE, note=text)
    _tell_applicant(proposal, _l("A message about %(title)s", title=proposal.title), "message.txt", text=text)
    db.session.flush()


def request_changes(by: User, proposal: Proposal, message: str) -> None:
    lock_proposal(proposal)
    _transition(proposal, by, proposal.request_changes, message)
    _tell_applicant(proposal, _l("Changes requested: %(title)s", title=proposal.title), "changes.txt", text=message)


def reject(by: User, proposal: Proposal, reason: str) -> None:
    lock_proposal(proposal)
    _transition(proposal, by, proposal.reject, reason)
    record(by, "proposal.reject", "proposal", proposal.id, proposal.applicant_id)
    _tell_applicant(proposal, _l("Decision on %(title)s", title=proposal.title), "rejected.txt", text=reason)


def _check_budget(proposal: Proposal, amount_cents: int, already: int = 0) -> None:
    """Refuse a grant that would take the programme or its district over budget. A district with a share grants
    from it; the others share what the programme has left besides the shares.

    Must run under the programme's lock (`lock_programme`), so that two approvals can't both see the
    same remaining amount. `already` is what this proposal holds now and gives back.
    """
    programme = proposal.programme
    remaining = programme.budget_cents - granted_total(programme) + already
    if amount_cents > remaining:
        raise DomainError(
            _(
                "This grant would exceed the programme's budget: %(remaining)s are left.",
                remaining=money(max(remaining, 0)),
            ),
            409,
            "amount",
        )
    share = programme.district_budget(proposal.district_id)
    if share is not None:
        remaining = share - granted_total(programme, proposal.district_id) + already
        if amount_cents > remaining:
            raise DomainError(
                _(
                    "This grant would exceed the budget of %(district)s: %(remaining)s are left.",
                    district=proposal.district.name,
                    remaining=money(max(remaining, 0)),
                ),
                409,
                "amount",
            )
    else:
        remaining = programme.budget_cents - committed(programme) + already
        if amount_cents > remaining:
            raise DomainError(
                _(
                    "This grant would take from the budgets kept for other districts: %(remaining)s are left for"
                    " the districts without a budget of their own.",
                    remaining=money(max(remaining, 0)),
                ),
                409,
                "amount",
            )


def approve(by: User, proposal: Proposal, amount_cents: int, note: str = "") -> None:
    """Grant an amount, never beyond the budget, also when two of the staff approve at the same moment."""
    lock_programme(proposal.programme)
    lock_proposal(proposal)
    proposal.require_state(ProposalState.IN_REVIEW)  # before the budget: a repeat must hear why
    _check_budget(proposal, amount_cents)
    _transition(proposal, by, lambda: proposal.approve(amount_cents), note, amount_cents)
    record(by, "proposal.approve", "proposal", proposal.id, proposal.applicant_id, f"granted_cents={amount_cents}")
    _tell_applicant(proposal, _l("Approved: %(title)s", title=proposal.title), "approved.txt", text=note)


def change_grant(by: User, proposal: Proposal, amount_cents: int | None, reason: str) -> None:
    """Lower a grant, or (no amount) withdraw the approval; a reason is recorded and the applicant told."""
    lock_programme(proposal.programme)
    lock_proposal(proposal)
    proposal.require_state(ProposalState.APPROVED, ProposalState.RUNNING)
    before = proposal.granted_cents
    record(
        by,
        "proposal.grant_change",
        "proposal",
        proposal.id,
        proposal.applicant_id,
        f"granted_cents={before}->{amount_cents if amount_cents is not None else 'withdrawn'}",
    )
    if amount_cents is None:
        _transition(proposal, by, proposal.withdraw_approval, reason)
        _tell_applicant(
            proposal, _l("Approval withdrawn: %(title)s", title=proposal.title), "approval_withdrawn.txt", text=reason
        )
        return
    _check_budget(proposal, amount_cents, already=before or 0)
    proposal.lower_grant(amount_cents)
    _record(proposal, by, EventKind.GRANT_CHANGE, proposal.state, proposal.state, reason, amount_cents)
    proposal.updated_at = utcnow()
    db.session.flush()
    _tell_applicant(
        proposal,
        _l("Grant changed: %(title)s", title=proposal.title),
        "grant_lowered.txt",
        text=reason,
        before=before,
    )


def close(by: User, proposal: Proposal, note: str = "") -> None:
    lock_proposal(proposal)
    _transition(proposal, by, proposal.close, note)
    _tell_applicant(proposal, _l("Closed: %(title)s", title=proposal.title), "closed.txt", text=note)


# --- mail --------------------------------------------------------------------------------------------------


def _reviewers_to_tell(proposal: Proposal) -> list[User]:
    return [proposal.reviewer] if proposal.reviewer is not None else []


def _tell_applicant(proposal: Proposal, subject, template: str, **context) -> None:
    if proposal.applicant is not None and proposal.applicant.is_enabled:
        _mail(proposal.applicant, proposal, subject, template, **context)


def _mail(person: User, proposal: Proposal, subject, template: str, **context) -> None:
    # Mails show only what the recipient may read: the templates get the proposal and this message,
    # never the internal notes.
    queue_mail(
        person.email,
        subject,
        f"proposals/mail/{template}",
        locale=person.locale,
        proposal=proposal,
        user=person,
        money=money,
        link=public_url("proposals.detail", proposal_id=proposal.id),
        **context,
    )
