"""Every transition of a proposal, every refused one, the recorded timeline and the applicant's mails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import DomainError
from app.proposals.models import EventKind, Proposal, ProposalEvent, ProposalState

S = ProposalState

# method name -> (arguments, the states it may start from, where it leads)
TRANSITIONS = {
    "submit": ((), {S.DRAFT: S.SUBMITTED, S.CHANGES_REQUESTED: S.RESUBMITTED}),
    "start_review": ((), {S.SUBMITTED: S.IN_REVIEW, S.RESUBMITTED: S.IN_REVIEW}),
    "request_changes": ((), {S.IN_REVIEW: S.CHANGES_REQUESTED}),
    "approve": ((40_000,), {S.IN_REVIEW: S.APPROVED}),
    "reject": ((), {S.IN_REVIEW: S.REJECTED}),
    "withdraw": (
        (),
        dict.fromkeys((S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.RESUBMITTED), S.WITHDRAWN),
    ),
    "withdraw_approval": ((), {S.APPROVED: S.IN_REVIEW}),
    "start": ((), {S.APPROVED: S.RUNNING}),
    "submit_report": ((), {S.RUNNING: S.REPORTED}),
    "close": ((), {S.REPORTED: S.CLOSED}),
}
CASES = [(name, state) for name in TRANSITIONS for state in ProposalState]


@pytest.mark.parametrize(("method", "state"), CASES, ids=[f"{m}-from-{s.value}" for m, s in CASES])
def test_each_transition_goes_only_from_its_states(request_context, make_proposal, method, state):
    proposal = make_proposal(state=state, report_text="Es war gut.")
    args, allowed = TRANSITIONS[method]
    if state in allowed:
        assert getattr(proposal, method)(*args) is allowed[state]
        assert proposal.state is allowed[state]
    else:
        with pytest.raises(DomainError):
            getattr(proposal, method)(*args)
        assert proposal.state is state


def test_lower_grant_only_lowers_and_only_while_granted(request_context, make_proposal):
    proposal = make_proposal(state=S.APPROVED, granted_cents=40_000)
    with pytest.raises(DomainError):
        proposal.lower_grant(40_000)
    with pytest.raises(DomainError):
        proposal.lower_grant(0)
    proposal.lower_grant(30_000)
    assert proposal.granted_cents == 30_000
    rejected = make_proposal(state=S.REJECTED)
    with pytest.raises(DomainError):
        rejected.lower_grant(10_000)


def test_approval_is_at_most_the_requested_amount(request_context, make_proposal):
    proposal = make_proposal(state=S.IN_REVIEW)
    with pytest.raises(DomainError) as refused:
        proposal.approve(proposal.requested_cents + 1)
    assert refused.value.field == "amount" and "beantragte" in refused.value.message
    with pytest.raises(DomainError):
        proposal.approve(0)
    assert proposal.state is S.IN_REVIEW


def test_an_incomplete_draft_lists_what_is_missing(request_context, make_proposal):
    proposal = make_proposal(goals="", contact="", lines=())
    with pytest.raises(DomainError) as refused:
        proposal.submit()
    assert refused.value.status_code == 422
    assert "Ziele" in refused.value.message or "goals" in refused.value.message
    assert proposal.state is S.DRAFT


def test_a_report_needs_its_text(request_context, make_proposal):
    proposal = make_proposal(state=S.RUNNING, report_text="")
    with pytest.raises(DomainError):
        proposal.submit_report()


def _events(db, proposal) -> list[ProposalEvent]:
    return db.session.scalars(
        select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)
    ).all()


def test_the_whole_way_through_the_routes_with_timeline_and_mails(
    client, login, db, make_proposal, applicant, staff, mailbox
):
    proposal = make_proposal()
    login(applicant)
    assert client.post_form(f"/proposals/{proposal.id}/submit").status_code == 303
    client.post_form("/logout")
    login(staff)
    assert client.post_form(f"/proposals/{proposal.id}/review").status_code == 303
    response = client.post_form(
        f"/proposals/{proposal.id}/request-changes", {"changes-text": "Bitte einen Zeitplan ergänzen."}
    )
    assert response.status_code == 303
    client.post_form("/logout")
    login(applicant)
    edit = client.post_form(
        f"/proposals/{proposal.id}/edit",
        {
            "programme": str(proposal.programme_id),
            "district": str(proposal.district_id),
            "title": "Nähwerkstatt mit Zeitplan",
            "summary": "Wir nähen zusammen.",
            "goals": "Begegnung",
            "target_group": "Frauen",
            "group_name": "Frauengruppe",
            "contact": "amal@example.org",
            "starts_on": proposal.starts_on.isoformat(),
            "ends_on": proposal.ends_on.isoformat(),
            "lines-0-item": "Material",
            "lines-0-amount": "300",
            "lines-1-item": "Miete",
            "lines-1-amount": "200,50",
        },
    )
    assert edit.status_code == 303
    assert client.post_form(f"/proposals/{proposal.id}/submit").status_code == 303
    client.post_form("/logout")
    login(staff)
    client.post_form(f"/proposals/{proposal.id}/review")
    approved = client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "400", "text": "Viel Erfolg!"})
    assert approved.status_code == 303
    client.post_form("/logout")
    login(applicant)
    assert client.post_form(f"/proposals/{proposal.id}/start").status_code == 303
    report = client.post_form(
        f"/proposals/{proposal.id}/report",
        {"report_text": "Zwölf Abende, je 15 Teilnehmende.", **{f"actual-{line.id}": "150" for line in proposal.lines}},
    )
    assert report.status_code == 303
    client.post_form("/logout")
    login(staff)
    assert client.post_form(f"/proposals/{proposal.id}/close", {"close-text": "Danke!"}).status_code == 303

    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.state is S.CLOSED
    assert proposal.requested_cents == 50_050
    assert proposal.granted_cents == 40_000
    assert proposal.actual_cents == 30_000
    steps = [(e.from_state, e.to_state) for e in _events(db, proposal) if e.kind is EventKind.TRANSITION]
    assert steps == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.CHANGES_REQUESTED),
        (S.CHANGES_REQUESTED, S.RESUBMITTED),
        (S.RESUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.APPROVED),
        (S.APPROVED, S.RUNNING),
        (S.RUNNING, S.REPORTED),
        (S.REPORTED, S.CLOSED),
    ]
    events = _events(db, proposal)
    assert all(e.actor_id in (applicant.id, staff.id) and e.at is not None for e in events)
    assert events[2].note == "Bitte einen Zeitplan ergänzen."

    subjects = [m["Subject"] for m in mailbox.to(applicant.email)]
    assert any("Änderungen erbeten" in s for s in subjects), subjects
    assert any("Bewilligt" in s for s in subjects), subjects
    assert any("Abgeschlossen" in s for s in subjects), subjects
    changes = next(m for m in mailbox.to(applicant.email) if "Änderungen erbeten" in m["Subject"])
    assert "Bitte einen Zeitplan ergänzen." in mailbox.body(changes)
    approval = next(m for m in mailbox.to(applicant.email) if "Bewilligt" in m["Subject"])
    assert "400,00" in mailbox.body(approval) and "500,50" in mailbox.body(approval)
    # The reviewer hears of the resubmission and of the final report.
    assert any("Abschlussbericht" in m["Subject"] for m in mailbox.to(staff.email))


def test_rejection_needs_a_reason_and_tells_the_applicant(client, login, db, make_proposal, staff, applicant, mailbox):
    proposal = make_proposal(state=S.IN_REVIEW)
    login(staff)
    refused = client.post_form(f"/proposals/{proposal.id}/reject", {"reject-text": ""})
    assert refused.status_code == 422
    assert "Bitte geben Sie einen Grund an." in refused.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.state is S.IN_REVIEW
    assert (
        client.post_form(f"/proposals/{proposal.id}/reject", {"reject-text": "Nicht förderfähig."}).status_code == 303
    )
    db.session.refresh(proposal)
    assert proposal.state is S.REJECTED
    mail = mailbox.to(applicant.email)[-1]
    assert "Nicht förderfähig." in mailbox.body(mail)


def test_a_refused_transition_answers_409_and_changes_nothing(client, login, db, make_proposal, staff):
    proposal = make_proposal(state=S.SUBMITTED)
    login(staff)
    response = client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "100"})
    assert response.status_code == 409
    db.session.refresh(proposal)
    assert proposal.state is S.SUBMITTED and proposal.granted_cents is None
    assert _events(db, proposal) == []


def test_submitting_an_incomplete_proposal_lists_what_is_missing(client, login, db, make_proposal, applicant):
    proposal = make_proposal(goals="", lines=())
    login(applicant)
    response = client.post_form(f"/proposals/{proposal.id}/submit")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "die Ziele" in page and "mindestens eine Budgetzeile" in page
    db.session.refresh(proposal)
    assert proposal.state is S.DRAFT


def test_the_applicant_withdraws_before_a_decision_only(client, login, db, make_proposal, applicant):
    login(applicant)
    waiting = make_proposal(state=S.IN_REVIEW)
    assert client.post_form(f"/proposals/{waiting.id}/withdraw").status_code == 303
    db.session.refresh(waiting)
    assert waiting.state is S.WITHDRAWN
    decided = make_proposal(state=S.APPROVED)
    assert client.post_form(f"/proposals/{decided.id}/withdraw").status_code == 409
    db.session.refresh(decided)
    assert decided.state is S.APPROVED


@pytest.mark.parametrize("state", [s for s in ProposalState if s not in (S.DRAFT, S.CHANGES_REQUESTED)])
def test_editing_is_refused_outside_draft_and_changes_requested(client, login, make_proposal, applicant, state):
    proposal = make_proposal(state=state)
    login(applicant)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 409
    assert client.post_form(f"/proposals/{proposal.id}/edit", {"title": "Anders"}).status_code == 409


def test_internal_notes_never_reach_the_applicant(client, login, db, make_proposal, staff, applicant, mailbox):
    proposal = make_proposal(state=S.IN_REVIEW)
    secret = "Intern: Träger hat Schulden beim Amt"
    login(staff)
    assert client.post_form(f"/proposals/{proposal.id}/notes", {"note-text": secret}).status_code == 303
    assert (
        client.post_form(
            f"/proposals/{proposal.id}/messages", {"message-text": "Bitte Angebot nachreichen."}
        ).status_code
        == 303
    )
    assert client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "500"}).status_code == 303
    assert secret in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    client.post_form("/logout")
    login(applicant)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert secret not in page
    assert "Bitte Angebot nachreichen." in page
    mails = mailbox.to(applicant.email)
    assert len(mails) == 2  # the message and the approval
    assert all(secret not in mailbox.body(m) for m in mails)
    assert all(secret not in mailbox.body(m) for m in mailbox.messages)


def test_assigning_a_reviewer_tells_them_and_stays_internal(
    client, login, db, make_proposal, make_user, staff, applicant, mailbox
):
    from app.auth.models import Role

    colleague = make_user(name="Kai Kollege", email="kai@example.org", roles=[Role.STAFF])
    proposal = make_proposal(state=S.SUBMITTED)
    login(staff)
    assert client.post_form(f"/proposals/{proposal.id}/assign", {"reviewer": str(colleague.id)}).status_code == 303
    db.session.refresh(proposal)
    assert proposal.reviewer_id == colleague.id
    assert len(mailbox.to(colleague.email)) == 1
    bogus = client.post_form(f"/proposals/{proposal.id}/assign", {"reviewer": str(applicant.id)})
    assert bogus.status_code == 422
    client.post_form("/logout")
    login(applicant)
    assert "Kai Kollege" not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
