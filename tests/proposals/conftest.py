"""Fixtures for proposals: a programme, staff, applicants and proposals in any state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.auth.models import Role
from app.database import utcnow
from app.proposals.models import BudgetLine, FundingProgramme, Proposal, ProposalState

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def staff(make_user):
    return make_user(name="Sabine Staff", email="staff@example.org", roles=[Role.STAFF])


@pytest.fixture
def applicant(make_user):
    return make_user(name="Amal Applicant", email="amal@example.org", roles=[Role.VOLUNTEER])


@pytest.fixture
def make_programme(db, district):
    counter = {"n": 0}

    def make(budget_cents=1_000_000, district_budgets=None, **kw) -> FundingProgramme:
        from app.proposals.models import DistrictBudget

        counter["n"] += 1
        today = date.today()
        programme = FundingProgramme(
            name=kw.pop("name", f"Empowerment {counter['n']}"),
            year=today.year,
            budget_cents=budget_cents,
            opens_on=kw.pop("opens_on", today - timedelta(days=10)),
            closes_on=kw.pop("closes_on", today + timedelta(days=30)),
            **kw,
        )
        for place, cents in (district_budgets or {}).items():
            programme.district_budgets.append(DistrictBudget(district=place, budget_cents=cents))
        db.session.add(programme)
        db.session.commit()
        return programme

    return make


@pytest.fixture
def programme(make_programme):
    return make_programme()


@pytest.fixture
def make_proposal(db, district, programme, applicant):
    """A complete proposal in the given state (reviewer and grant set where the state implies them)."""

    def make(state=ProposalState.DRAFT, lines=((("Material"), 30_000), ("Miete", 20_000)), **kw) -> Proposal:
        today = date.today()
        values = {
            "programme": programme,
            "district": district,
            "applicant": applicant,
            "title": "Nähwerkstatt",
            "summary": "Wir nähen zusammen.",
            "goals": "Begegnung",
            "target_group": "Frauen",
            "group_name": "Frauengruppe",
            "contact": "amal@example.org",
            "starts_on": today + timedelta(days=20),
            "ends_on": today + timedelta(days=80),
        } | kw
        if state is not ProposalState.DRAFT:
            values.setdefault("submitted_at", utcnow() - timedelta(days=3))
        proposal = Proposal(state=state, **values)
        proposal.lines = [BudgetLine(position=n, item=item, amount_cents=c) for n, (item, c) in enumerate(lines, 1)]
        proposal.requested_cents = sum(c for _item, c in lines)
        if state in (ProposalState.APPROVED, ProposalState.RUNNING, ProposalState.REPORTED, ProposalState.CLOSED):
            proposal.granted_cents = kw.get("granted_cents", proposal.requested_cents)
        db.session.add(proposal)
        db.session.commit()
        return proposal

    return make


@pytest.fixture
def request_context(app):
    """Model methods word their refusals in the user's language: they run inside a request."""
    with app.test_request_context():
        yield
