"""The budget guard: grants never exceed the programme's or the district's budget, also under concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.auth.models import Role
from app.proposals.models import EventKind, Proposal, ProposalEvent, ProposalState
from tests.conftest import signed_in_session

S = ProposalState


def _programme_form(programme, budget: str) -> dict:
    return {
        "name_de": programme.name,
        "year": str(programme.year),
        "budget": budget,
        "opens_on": programme.opens_on.isoformat(),
        "closes_on": programme.closes_on.isoformat(),
    }


def test_approval_over_the_remaining_budget_is_refused_with_the_amount_left(
    client, login, db, make_programme, make_proposal, staff
):
    programme = make_programme(budget_cents=100_000)
    make_proposal(state=S.APPROVED, programme=programme, granted_cents=70_000, lines=[("A", 70_000)])
    waiting = make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("B", 50_000)])
    login(staff)
    response = client.post_form(f"/proposals/{waiting.id}/approve", {"amount": "500"})
    assert response.status_code == 409
    assert "300,00" in response.get_data(as_text=True)  # what is left, in the user's format
    db.session.refresh(waiting)
    assert waiting.state is S.IN_REVIEW and waiting.granted_cents is None
    # A lower amount that fits is fine.
    assert client.post_form(f"/proposals/{waiting.id}/approve", {"amount": "300"}).status_code == 303
    db.session.refresh(waiting)
    assert waiting.granted_cents == 30_000


def test_a_district_share_is_a_budget_of_its_own(client, login, db, make_programme, make_proposal, staff, district):
    from app.places.models import District

    other = District(name="Feuerbach")
    db.session.add(other)
    db.session.commit()
    programme = make_programme(budget_cents=1_000_000, district_budgets={district: 60_000})
    make_proposal(state=S.APPROVED, programme=programme, granted_cents=50_000, lines=[("A", 50_000)])
    here = make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("B", 20_000)])
    elsewhere = make_proposal(state=S.IN_REVIEW, programme=programme, district=other, lines=[("C", 20_000)])
    login(staff)
    refused = client.post_form(f"/proposals/{here.id}/approve", {"amount": "200"})
    assert refused.status_code == 409
    assert "Bad Cannstatt" in refused.get_data(as_text=True)
    assert client.post_form(f"/proposals/{elsewhere.id}/approve", {"amount": "200"}).status_code == 303


def test_a_district_share_is_kept_for_that_district(client, login, db, make_programme, make_proposal, staff, district):
    """A share is a reservation: the districts without one can't grant from it, even while it is unspent."""
    from app.places.models import District

    other = District(name="Feuerbach")
    db.session.add(other)
    db.session.commit()
    programme = make_programme(budget_cents=100_000, district_budgets={district: 60_000})
    make_proposal(state=S.APPROVED, programme=programme, district=other, granted_cents=30_000, lines=[("A", 30_000)])
    elsewhere = make_proposal(state=S.IN_REVIEW, programme=programme, district=other, lines=[("B", 20_000)])
    here = make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("C", 60_000)])
    login(staff)
    # 100,000 less the 60,000 kept for Bad Cannstatt less the 30,000 granted in Feuerbach: 10,000 are left.
    refused = client.post_form(f"/proposals/{elsewhere.id}/approve", {"amount": "200"})
    assert refused.status_code == 409
    assert "100,00" in refused.get_data(as_text=True)
    db.session.refresh(elsewhere)
    assert elsewhere.state is S.IN_REVIEW
    assert client.post_form(f"/proposals/{elsewhere.id}/approve", {"amount": "100"}).status_code == 303
    # The share is still all there for its district.
    assert client.post_form(f"/proposals/{here.id}/approve", {"amount": "600"}).status_code == 303
    page = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "Für Stadtbezirke reserviert" in page and "600,00" in page


def test_shares_never_add_up_to_more_than_the_programme(
    client, login, db, make_programme, make_proposal, staff, district
):
    from app.places.models import District

    other, third = District(name="Feuerbach"), District(name="Vaihingen")
    db.session.add_all([other, third])
    db.session.commit()
    programme = make_programme(budget_cents=100_000, district_budgets={district: 60_000})
    make_proposal(state=S.APPROVED, programme=programme, district=third, granted_cents=15_000, lines=[("A", 15_000)])
    login(staff)
    url = f"/programmes/{programme.id}/districts"
    # 100,000 less 60,000 kept for Bad Cannstatt less 15,000 granted in Vaihingen: at most 25,000 for Feuerbach.
    too_much = client.post_form(url, {"district": str(other.id), "amount": "300"})
    assert too_much.status_code == 422
    assert "250,00" in too_much.get_data(as_text=True)
    db.session.refresh(programme)
    assert programme.district_budget(other.id) is None
    assert client.post_form(url, {"district": str(other.id), "amount": "250"}).status_code == 303
    # Bad Cannstatt's own share may change within what it had plus what is free (nothing now).
    assert client.post_form(url, {"district": str(district.id), "amount": "601"}).status_code == 422
    assert client.post_form(url, {"district": str(district.id), "amount": "500"}).status_code == 303
    # Vaihingen's grants count against its share once it has one.
    assert client.post_form(url, {"district": str(third.id), "amount": "100"}).status_code == 422  # below 150 granted
    assert client.post_form(url, {"district": str(third.id), "amount": "250"}).status_code == 303
    db.session.refresh(programme)
    assert {e.district_id: e.budget_cents for e in programme.district_budgets} == {
        district.id: 50_000,
        other.id: 25_000,
        third.id: 25_000,
    }
    # The programme's budget can't drop below the shares.
    form = _programme_form(programme, "999")
    refused = client.post_form(f"/programmes/{programme.id}/edit", form)
    assert refused.status_code == 422
    assert "1.000,00" in refused.get_data(as_text=True)
    assert client.post_form(f"/programmes/{programme.id}/edit", {**form, "budget": "1000"}).status_code == 303


def test_lowering_a_grant_needs_a_reason_and_is_recorded(client, login, db, make_proposal, staff, applicant, mailbox):
    proposal = make_proposal(state=S.APPROVED, granted_cents=50_000)
    login(staff)
    no_reason = client.post_form(f"/proposals/{proposal.id}/grant", {"amount": "300", "text": ""})
    assert no_reason.status_code == 422
    db.session.refresh(proposal)
    assert proposal.granted_cents == 50_000
    higher = client.post_form(f"/proposals/{proposal.id}/grant", {"amount": "600", "text": "Mehr"})
    assert higher.status_code == 422
    ok = client.post_form(f"/proposals/{proposal.id}/grant", {"amount": "300", "text": "Miete entfällt."})
    assert ok.status_code == 303
    db.session.refresh(proposal)
    assert proposal.granted_cents == 30_000
    event = db.session.scalars(select(ProposalEvent).where(ProposalEvent.kind == EventKind.GRANT_CHANGE)).one()
    assert (event.amount_cents, event.note, event.actor_id) == (30_000, "Miete entfällt.", staff.id)
    body = mailbox.body(mailbox.to(applicant.email)[-1])
    assert "Miete entfällt." in body and "300,00" in body and "500,00" in body


def test_withdrawing_an_approval_gives_the_money_back(client, login, db, make_programme, make_proposal, staff):
    programme = make_programme(budget_cents=50_000)
    granted = make_proposal(state=S.APPROVED, programme=programme, granted_cents=50_000, lines=[("A", 50_000)])
    waiting = make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("B", 50_000)])
    login(staff)
    assert client.post_form(f"/proposals/{waiting.id}/approve", {"amount": "100"}).status_code == 409
    response = client.post_form(f"/proposals/{granted.id}/grant", {"amount": "", "text": "Projekt fällt aus."})
    assert response.status_code == 303
    db.session.refresh(granted)
    assert granted.state is S.IN_REVIEW and granted.granted_cents is None
    assert client.post_form(f"/proposals/{waiting.id}/approve", {"amount": "500"}).status_code == 303


def test_the_programme_budget_cannot_drop_below_what_is_granted(
    client, login, db, make_programme, make_proposal, staff
):
    programme = make_programme(budget_cents=100_000)
    make_proposal(state=S.APPROVED, programme=programme, granted_cents=80_000, lines=[("A", 80_000)])
    login(staff)
    form = _programme_form(programme, "500")
    response = client.post_form(f"/programmes/{programme.id}/edit", form)
    assert response.status_code == 422
    assert "800,00" in response.get_data(as_text=True)
    db.session.refresh(programme)
    assert programme.budget_cents == 100_000


def test_many_staff_approving_at_once_never_exceed_the_budget(
    app, live_server, db, make_programme, make_proposal, make_user
):
    """Twelve proposals of 300 € each, a budget of 1,000 €: exactly three approvals can fit."""
    app.config["RATELIMIT_LOGIN_IP"] = "1000 per minute"
    programme = make_programme(budget_cents=100_000)
    proposals = [make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("X", 30_000)]) for _ in range(12)]
    reviewers = [make_user(roles=[Role.STAFF]) for _ in range(len(proposals))]
    sessions = [signed_in_session(live_server, reviewer.email) for reviewer in reviewers]
    ids = [proposal.id for proposal in proposals]
    barrier = threading.Barrier(len(proposals))
    statuses = [0] * len(proposals)

    def approve(index: int) -> None:
        session, token = sessions[index]
        barrier.wait()
        response = session.post(
            f"{live_server}/proposals/{ids[index]}/approve",
            data={"amount": "300", "csrf_token": token},
            allow_redirects=False,
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(proposals))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    db.session.expire_all()
    granted = db.session.scalar(
        select(func.coalesce(func.sum(Proposal.granted_cents), 0)).where(
            Proposal.programme_id == programme.id, Proposal.state == S.APPROVED
        )
    )
    assert granted <= programme.budget_cents
    assert granted == 90_000
    assert sorted(statuses) == [303] * 3 + [409] * 9


def test_two_staff_approving_the_same_proposal_at_once_grant_it_once(
    app, live_server, db, make_programme, make_proposal, make_user
):
    programme = make_programme(budget_cents=100_000)
    proposal = make_proposal(state=S.IN_REVIEW, programme=programme, lines=[("X", 30_000)])
    sessions = [signed_in_session(live_server, make_user(roles=[Role.STAFF]).email) for _ in range(4)]
    proposal_id = proposal.id
    barrier = threading.Barrier(len(sessions))
    statuses = []

    def approve(session, token):
        barrier.wait()
        response = session.post(
            f"{live_server}/proposals/{proposal_id}/approve",
            data={"amount": "300", "csrf_token": token},
            allow_redirects=False,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=approve, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [303, 409, 409, 409]
    approvals = db.session.scalar(
        select(func.count())
        .select_from(ProposalEvent)
        .where(ProposalEvent.proposal_id == proposal.id, ProposalEvent.to_state == S.APPROVED)
    )
    assert approvals == 1
