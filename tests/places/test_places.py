"""Districts, accommodations, circles, join requests and vetting records."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.auth.models import Role
from app.places.models import (
    Accommodation,
    Circle,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
)
from app.places.services import STUTTGART_DISTRICTS, seed_districts


def test_seed_districts_adds_the_23_once(app, db):
    assert seed_districts() == 23
    assert seed_districts() == 0
    db.session.commit()
    names = set(db.session.scalars(select(District.name)))
    assert names == set(STUTTGART_DISTRICTS)
    assert len(names) == 23


def test_seed_demo_runs_twice_without_duplicates(app, db):
    from app.auth.models import User
    from app.demo import seed_demo

    seed_demo("demo-password-123")
    db.session.commit()
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Circle, Accommodation)]
    seed_demo("demo-password-123")
    db.session.commit()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Circle, Accommodation)] == counts
    roles = {g.role for u in db.session.scalars(select(User)) for g in u.role_grants}
    assert roles == set(Role)


def test_staff_adds_and_renames_a_district(client, make_user, login, db):
    login(make_user(roles=[Role.STAFF]))
    assert client.post_form("/districts/new", {"name": "Leinfelden"}).status_code == 303
    district = db.session.scalar(select(District).where(District.name == "Leinfelden"))
    assert client.post_form(f"/districts/{district.id}/edit", {"name": "Echterdingen"}).status_code == 303
    db.session.refresh(district)
    assert district.name == "Echterdingen"


def test_district_names_are_unique(client, make_user, login, district):
    login(make_user(roles=[Role.STAFF]))
    response = client.post_form("/districts/new", {"name": district.name.upper()})
    assert response.status_code == 422


def test_large_accommodation_is_flagged(client, make_user, login, district, db):
    login(make_user(roles=[Role.STAFF], locale="en"))
    response = client.post_form(
        "/accommodations/new",
        {
            "name": "Messehalle",
            "district": str(district.id),
            "kind": "emergency",
            "planned_places": "400",
            "address": "Messepiazza 1",
        },
        follow_redirects=True,
    )
    assert "more than 250 planned places" in response.get_data(as_text=True)
    accommodation = db.session.scalar(select(Accommodation))
    assert accommodation.is_large
    page = client.get("/accommodations").get_data(as_text=True)
    assert "Over 250 places" in page


def test_accommodation_list_filters_by_kind(client, make_user, login, district, db):
    from app.places.models import AccommodationKind

    db.session.add_all(
        [
            Accommodation(name="GU Alpha", district=district, kind=AccommodationKind.REGULAR, planned_places=80),
            Accommodation(name="NU Beta", district=district, kind=AccommodationKind.EMERGENCY, planned_places=300),
        ]
    )
    db.session.commit()
    login(make_user())
    page = client.get("/accommodations?kind=emergency").get_data(as_text=True)
    assert "NU Beta" in page
    assert "GU Alpha" not in page


def test_circle_serves_only_accommodations_of_its_district(client, make_user, login, district, db):
    from app.places.models import AccommodationKind

    elsewhere = District(name="Vaihingen")
    far = Accommodation(name="GU Fern", district=elsewhere, kind=AccommodationKind.REGULAR, planned_places=50)
    db.session.add_all([elsewhere, far])
    db.session.commit()
    login(make_user(roles=[Role.STAFF]))
    response = client.post_form(
        "/circles/new", {"name": "FK Test", "district": str(district.id), "accommodations": [str(far.id)]}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(Circle)) is None


def test_staff_creates_a_circle(client, make_user, login, district, db):
    from app.places.models import AccommodationKind

    home = Accommodation(name="GU Nah", district=district, kind=AccommodationKind.REGULAR, planned_places=90)
    db.session.add(home)
    db.session.commit()
    login(make_user(roles=[Role.STAFF]))
    response = client.post_form(
        "/circles/new",
        {
            "name": "FK Neu",
            "district": str(district.id),
            "accommodations": [str(home.id)],
            "description": "Hallo",
        },
    )
    assert response.status_code == 303
    circle = db.session.scalar(select(Circle))
    assert [a.name for a in circle.accommodations] == ["GU Nah"]


# --- membership ------------------------------------------------------------------------------------------


def test_join_request_tells_the_coordinators(client, make_user, login, make_circle, mailbox, db):
    circle = make_circle()
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)], email="koord@example.org")
    volunteer = make_user(name="Lea Lernt")
    login(volunteer)
    assert client.post_form(f"/circles/{circle.id}/join").status_code == 303
    membership = db.session.scalar(select(CircleMembership))
    assert membership.status is MembershipStatus.PENDING
    [message] = mailbox.to(coordinator.email)
    assert "Lea Lernt" in mailbox.body(message)


def test_asking_twice_is_refused(client, make_user, login, make_circle):
    circle = make_circle()
    login(make_user())
    client.post_form(f"/circles/{circle.id}/join")
    assert client.post_form(f"/circles/{circle.id}/join").status_code == 409


def test_coordinator_approves_and_volunteer_is_told(client, make_user, login, make_circle, mailbox, db):
    circle = make_circle()
    volunteer = make_user(locale="en")
    db.session.add(CircleMembership(circle=circle, user=volunteer, status=MembershipStatus.PENDING))
    db.session.commit()
    membership = db.session.scalar(select(CircleMembership))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/circles/{circle.id}/requests/{membership.id}/approve")
    assert response.status_code == 303
    db.session.refresh(membership)
    assert membership.status is MembershipStatus.ACTIVE
    [message] = mailbox.to(volunteer.email)
    assert message["Subject"] == f"Welcome to {circle.name}"
    # Deciding again is refused.
    assert client.post_form(f"/circles/{circle.id}/requests/{membership.id}/decline").status_code == 409


def test_htmx_decision_swaps_the_members_block(client, make_user, login, make_circle, db):
    circle = make_circle()
    volunteer = make_user(name="Nour Neu")
    db.session.add(CircleMembership(circle=circle, user=volunteer, status=MembershipStatus.PENDING))
    db.session.commit()
    membership = db.session.scalar(select(CircleMembership))
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(f"/circles/{circle.id}/requests/{membership.id}/approve", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="requests"' in body
    assert "Nour Neu" in body


def test_declined_volunteer_may_ask_again(client, make_user, login, make_circle, db):
    circle = make_circle()
    volunteer = make_user()
    db.session.add(CircleMembership(circle=circle, user=volunteer, status=MembershipStatus.DECLINED))
    db.session.commit()
    login(volunteer)
    assert client.post_form(f"/circles/{circle.id}/join").status_code == 303
    assert db.session.scalar(select(CircleMembership.status)) is MembershipStatus.PENDING


def test_coordinator_of_another_circle_cannot_decide(client, make_user, login, make_circle, db):
    circle, other = make_circle(), make_circle()
    db.session.add(CircleMembership(circle=circle, user=make_user(), status=MembershipStatus.PENDING))
    db.session.commit()
    membership = db.session.scalar(select(CircleMembership))
    login(make_user(roles=[(Role.COORDINATOR, other)]))
    assert client.post_form(f"/circles/{circle.id}/requests/{membership.id}/approve").status_code == 403


def test_request_of_another_circle_is_not_found(client, make_user, login, make_circle, db):
    circle, other = make_circle(), make_circle()
    db.session.add(CircleMembership(circle=circle, user=make_user(), status=MembershipStatus.PENDING))
    db.session.commit()
    membership = db.session.scalar(select(CircleMembership))
    login(make_user(roles=[(Role.COORDINATOR, other)]))
    assert client.post_form(f"/circles/{other.id}/requests/{membership.id}/approve").status_code == 404


def test_member_names_are_shown_to_coordinators_only(client, make_user, login, make_circle, db):
    circle = make_circle()
    member = make_user(name="Privat Person")
    db.session.add(CircleMembership(circle=circle, user=member, status=MembershipStatus.ACTIVE))
    db.session.commit()
    login(make_user())
    assert "Privat Person" not in client.get(f"/circles/{circle.id}").get_data(as_text=True)
    client.post_form("/logout")
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    assert "Privat Person" in client.get(f"/circles/{circle.id}").get_data(as_text=True)


def test_staff_appoints_a_coordinator(client, make_user, login, make_circle, db):
    circle = make_circle()
    person = make_user(email="neu@example.org")
    login(make_user(roles=[Role.STAFF]))
    assert client.post_form(f"/circles/{circle.id}/coordinators", {"email": "neu@example.org"}).status_code == 303
    db.session.refresh(person)
    assert person.has_role(Role.COORDINATOR, circle.id)
    response = client.post_form(f"/circles/{circle.id}/coordinators", {"email": "unknown@example.org"})
    assert response.status_code == 422


# --- vetting ---------------------------------------------------------------------------------------------


def _member(db, circle, user):
    db.session.add(CircleMembership(circle=circle, user=user, status=MembershipStatus.ACTIVE))
    db.session.commit()


def test_coordinator_records_vetting(client, make_user, login, make_circle, db):
    circle = make_circle()
    volunteer = make_user()
    _member(db, circle, volunteer)
    coordinator = make_user(roles=[(Role.COORDINATOR, circle)])
    login(coordinator)
    seen = date.today() - timedelta(days=3)
    response = client.post_form(
        f"/circles/{circle.id}/members/{volunteer.id}/vetting",
        {"seen_on": seen.isoformat(), "valid_until": (seen + timedelta(days=365 * 3)).isoformat()},
    )
    assert response.status_code == 303
    record = db.session.scalar(select(VettingRecord))
    assert (record.user_id, record.recorded_by_id, record.seen_on) == (volunteer.id, coordinator.id, seen)
    assert record.is_valid_on(date.today())


def test_vetting_validity_must_not_end_before_it_was_seen(client, make_user, login, make_circle, db):
    circle = make_circle()
    volunteer = make_user()
    _member(db, circle, volunteer)
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    response = client.post_form(
        f"/circles/{circle.id}/members/{volunteer.id}/vetting",
        {"seen_on": "2026-05-10", "valid_until": "2026-05-01"},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(VettingRecord)) is None


def test_vetting_only_for_members(client, make_user, login, make_circle):
    circle = make_circle()
    outsider = make_user()
    login(make_user(roles=[(Role.COORDINATOR, circle)]))
    assert client.get(f"/circles/{circle.id}/members/{outsider.id}/vetting").status_code == 404


def test_oversized_ids_and_numbers_are_not_found_or_ignored(client, make_user, login):
    login(make_user(roles=[Role.ADMIN]))
    huge = "99999999999999999999"
    assert client.get(f"/districts/{huge}").status_code == 404
    assert client.get(f"/circles/{huge}").status_code == 404
    assert client.post_form(f"/circles/{huge}/join").status_code == 404
    assert client.get(f"/circles?district={huge}").status_code == 200
    assert client.get(f"/accommodations?district={huge}").status_code == 200
    assert client.get(f"/admin/users?page={huge}").status_code == 200


def test_join_requests_are_rate_limited(client, make_user, login, make_circle, mailbox):
    circle = make_circle()
    make_user(roles=[(Role.COORDINATOR, circle)])
    login(make_user(locale="en"))
    for _ in range(5):
        assert client.post_form(f"/circles/{circle.id}/join").status_code == 303
        client.post_form(f"/circles/{circle.id}/leave")
    assert client.post_form(f"/circles/{circle.id}/join").status_code == 429
    assert len(mailbox.messages) == 5
