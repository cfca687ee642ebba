"""Who may propose, see, edit and review empowerment projects, and manage funding programmes."""

from __future__ import annotations

from app.auth.models import User
from app.proposals.models import UNDECIDED_STATES, AttachmentKind, Proposal, ProposalState


def can_manage_programmes(user: User) -> bool:
    return user.is_authenticated and user.is_staff


def can_review(user: User, proposal: Proposal | None = None) -> bool:
    """Integration staff review and decide proposals, but never their own."""
    if not (user.is_authenticated and user.is_staff):
        return False
    return proposal is None or not is_applicant(user, proposal)


def can_propose(user: User) -> bool:
    """Anyone registered may propose a project."""
    return user.is_authenticated


def is_applicant(user: User, proposal: Proposal) -> bool:
    return user.is_authenticated and proposal.applicant_id is not None and proposal.applicant_id == user.id


def can_see_proposal(user: User, proposal: Proposal) -> bool:
    """The applicant sees their own; staff see every proposal once it was submitted (a draft never reached them)."""
    if is_applicant(user, proposal):
        return True
    return can_review(user, proposal) and proposal.submitted_at is not None


def can_edit_proposal(user: User, proposal: Proposal) -> bool:
    return is_applicant(user, proposal) and proposal.is_editable


def can_read_internal_notes(user: User, proposal: Proposal) -> bool:
    return can_review(user, proposal)


def can_submit(user: User, proposal: Proposal) -> bool:
    return can_edit_proposal(user, proposal)


def can_withdraw(user: User, proposal: Proposal) -> bool:
    return is_applicant(user, proposal) and proposal.state in UNDECIDED_STATES


def can_start(user: User, proposal: Proposal) -> bool:
    """The applicant or the staff mark an approved project as running."""
    return (is_applicant(user, proposal) or can_review(user, proposal)) and proposal.state is ProposalState.APPROVED


def can_report(user: User, proposal: Proposal) -> bool:
    return is_applicant(user, proposal) and proposal.state is ProposalState.RUNNING


def can_attach(user: User, proposal: Proposal, kind: AttachmentKind) -> bool:
    """Proposal files while it can be edited; report files while the project runs."""
    if kind is AttachmentKind.REPORT:
        return can_report(user, proposal)
    return can_edit_proposal(user, proposal)
