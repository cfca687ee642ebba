"""The city-scale seeder, and the query budget of the busiest pages at two sizes of city."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.scale import SCALE_PASSWORD, NotEmpty, seed_scale
from app.shifts.models import Shift, Signup
from tests.conftest import _clear_tables
from tests.shifts.test_queries import BUDGET, counted

# (At factor 0.01 a moderator may have no dialog to come at all: an empty list needs fewer queries, which
# says nothing about growth. Staff see every dialog.)
PAGES = {
    "volunteer1@scale.example": ["/shifts", "/shifts?district=1&activity=2", "/shifts?mine=y", "/shifts/mine"],
    "interpreter1@scale.example": ["/dialogs"],
    "staff1@scale.example": ["/dialogs"],
}


def _query_counts(client, db) -> dict[tuple[str, str], int]:
    counts = {}
    for email, paths in PAGES.items():
        login = client.post_form("/login", {"email": email, "password": SCALE_PASSWORD})
        assert login.status_code == 303
        for path in paths:
            with counted(db.engine) as statements:
                page = client.get(path)
                assert page.status_code == 200, path
            counts[(email, path)] = len(statements)
        client.post_form("/logout")
    return counts


def test_query_counts_are_the_same_in_a_small_and_a_larger_city(app, client, db):
    seed_scale(0.01)
    db.session.commit()
    small = _query_counts(client, db)
    db.session.rollback()  # PostgreSQL's TRUNCATE waits for every open transaction on the tables
    _clear_tables()
    seed_scale(0.04)
    db.session.commit()
    larger = _query_counts(client, db)
    print({path: count for (_email, path), count in larger.items()})
    assert larger == small
    assert max(larger.values()) <= BUDGET


def test_the_factor_scales_the_city_and_the_seed_repeats_it(app, db):
    counts = seed_scale(0.01, seed=3)
    db.session.commit()
    assert counts["shifts"] == db.session.scalar(select(func.count()).select_from(Shift)) == 2 * 2 * 180
    assert counts["sign-ups"] == db.session.scalar(select(func.count()).select_from(Signup))
    assert counts["users"] == 50 + 2 + 1 + 5
    from app.proposals.models import GRANTED_STATES, FundingProgramme, Proposal

    assert counts["proposals"] == db.session.scalar(select(func.count()).select_from(Proposal)) == 4
    programme = db.session.scalars(select(FundingProgramme)).one()
    granted = db.session.scalar(
        select(func.coalesce(func.sum(Proposal.granted_cents), 0)).where(Proposal.state.in_(GRANTED_STATES))
    )
    assert 0 < granted <= programme.budget_cents
    emails = list(db.session.scalars(select(User.email).order_by(User.id)))
    signups = db.session.execute(select(Signup.shift_id, Signup.user_id).order_by(Signup.id)).all()
    try:
        seed_scale(0.01, seed=3)
    except NotEmpty:
        pass
    else:
        raise AssertionError("seed-scale wrote into a database that had users")
    db.session.rollback()
    _clear_tables()
    seed_scale(0.01, seed=3)
    db.session.commit()
    assert list(db.session.scalars(select(User.email).order_by(User.id))) == emails
    assert db.session.execute(select(Signup.shift_id, Signup.user_id).order_by(Signup.id)).all() == signups
