"""Drafting: save any time, budget lines add up, bad input is refused with a message and nothing is lost."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.proposals.models import FundingProgramme, Proposal, ProposalState


def _form(programme, district, **overrides) -> dict:
    return {
        "programme": str(programme.id),
        "district": str(district.id),
        "title": "Fahrradkurs",
        "summary": "Radfahren lernen",
        "lines-0-item": "Räder",
        "lines-0-amount": "1.250,50",
        "lines-1-item": "Helme",
        "lines-1-amount": "99",
    } | overrides


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal))


def test_a_draft_needs_only_a_title_and_sums_its_lines(client, login, db, programme, district, applicant):
    login(applicant)
    response = client.post_form("/proposals/new", _form(programme, district))
    assert response.status_code == 303
    proposal = db.session.scalars(select(Proposal)).one()
    assert proposal.state is ProposalState.DRAFT and proposal.applicant_id == applicant.id
    assert [(line.item, line.amount_cents) for line in proposal.lines] == [("Räder", 125_050), ("Helme", 9_900)]
    assert proposal.requested_cents == 134_950
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "1.349,50" in page  # the sum, in German


def test_amounts_in_english_notation_are_read_in_english(client, login, db, programme, district, applicant):
    applicant.locale = "en"
    db.session.commit()
    login(applicant)
    form = _form(programme, district, **{"lines-0-amount": "1,250.50", "lines-1-amount": "99.5"})
    assert client.post_form("/proposals/new", form).status_code == 303
    assert db.session.scalars(select(Proposal)).one().requested_cents == 125_050 + 9_950


def test_bad_amounts_and_dates_are_refused_and_what_was_typed_stays(client, login, db, programme, district, applicant):
    login(applicant)
    form = _form(
        programme,
        district,
        **{
            "lines-0-amount": "zwölf",
            "lines-1-item": "",
            "starts_on": "2027-05-01",
            "ends_on": "2027-04-01",
        },
    )
    response = client.post_form("/proposals/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('class="errors"') >= 3
    assert 'value="zwölf"' in page and 'value="Fahrradkurs"' in page
    assert _count(db) == 0


def test_adding_a_line_without_javascript_keeps_everything(client, login, db, programme, district, applicant):
    login(applicant)
    response = client.post_form("/proposals/new", _form(programme, district) | {"add_line": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="lines-2-item"' in page and 'value="Helme"' in page
    assert _count(db) == 0
    fragment = client.post_form("/proposals/new", _form(programme, district) | {"add_line": "1"}, htmx=True)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith("<fieldset") and 'id="lines-2-item"' in body and "<html" not in body


def test_a_closed_programme_takes_no_new_proposals(client, login, db, make_programme, district, applicant):
    past = make_programme(opens_on=date.today() - timedelta(days=60), closes_on=date.today() - timedelta(days=1))
    login(applicant)
    assert client.get("/proposals/new").status_code == 409
    response = client.post_form("/proposals/new", _form(past, district))
    assert response.status_code == 409
    assert _count(db) == 0


def test_an_unknown_programme_or_district_is_a_clear_422(client, login, db, programme, district, applicant):
    login(applicant)
    assert client.post_form("/proposals/new", _form(programme, district) | {"programme": "99999"}).status_code == 422
    assert client.post_form("/proposals/new", _form(programme, district) | {"district": "abc"}).status_code == 422
    assert _count(db) == 0


def test_an_applicant_never_sees_another_applicants_draft(client, login, db, make_proposal, make_user):
    draft = make_proposal()
    login(make_user())
    assert client.get(f"/proposals/{draft.id}").status_code == 403
    assert client.get(f"/proposals/{draft.id}/edit").status_code == 403
    assert "Nähwerkstatt" not in client.get("/proposals").get_data(as_text=True)


def test_staff_open_a_programme_and_give_a_district_its_share(client, login, db, staff, district):
    login(staff)
    today = date.today()
    response = client.post_form(
        "/programmes/new",
        {
            "name_de": "Empowerment 2027",
            "name_tr": "Güçlendirme 2027",
            "year": "2027",
            "budget": "60.000",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=90)).isoformat(),
            "rules": "Bis 2.500 € je Projekt.",
        },
    )
    assert response.status_code == 303
    programme = db.session.scalars(select(FundingProgramme)).one()
    assert programme.budget_cents == 6_000_000 and programme.label("tr") == "Güçlendirme 2027"
    too_much = client.post_form(
        f"/programmes/{programme.id}/districts", {"district": str(district.id), "amount": "70.000"}
    )
    assert too_much.status_code == 422
    ok = client.post_form(f"/programmes/{programme.id}/districts", {"district": str(district.id), "amount": "15.000"})
    assert ok.status_code == 303
    db.session.refresh(programme)
    assert programme.district_budget(district.id) == 1_500_000
    page = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "15.000,00" in page and "60.000,00" in page
    duplicate = client.post_form(
        "/programmes/new",
        {
            "name_de": "empowerment 2027",
            "year": "2027",
            "budget": "1",
            "opens_on": today.isoformat(),
            "closes_on": today.isoformat(),
        },
    )
    assert duplicate.status_code == 422


def test_the_queue_filters_by_state_district_and_programme(client, login, db, make_proposal, staff, make_programme):
    waiting = make_proposal(state=ProposalState.SUBMITTED, title="Wartet")
    rejected = make_proposal(state=ProposalState.REJECTED, title="Abgelehnt")
    draft = make_proposal(state=ProposalState.DRAFT, title="Entwurf")
    links = {p: f'href="/proposals/{p.id}"' for p in (waiting, rejected, draft)}
    login(staff)
    page = client.get("/review").get_data(as_text=True)
    assert links[waiting] in page and links[rejected] not in page and links[draft] not in page
    page = client.get("/review?state=all").get_data(as_text=True)
    assert links[waiting] in page and links[rejected] in page and links[draft] not in page
    other = make_programme()
    assert links[waiting] not in client.get(f"/review?state=all&programme={other.id}").get_data(as_text=True)
    assert client.get("/review?state=nonsense").status_code == 422
    assert client.get("/review?district=abc").status_code == 422
    fragment = client.get("/review?state=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="results"') and links[waiting] in fragment


def test_demo_data_has_a_proposal_in_every_state(app, db):
    from app.cli import DEMO_PASSWORD
    from app.demo import seed_demo

    with app.test_request_context():
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        seed_demo(DEMO_PASSWORD)  # twice adds nothing twice
        db.session.commit()
    states = set(db.session.scalars(select(Proposal.state)))
    assert states == set(ProposalState)
    assert db.session.scalar(select(func.count()).select_from(FundingProgramme)) == 1


def test_a_withdrawn_draft_never_reaches_the_staff(client, login, db, make_proposal, applicant, staff):
    draft = make_proposal()
    login(applicant)
    assert client.post_form(f"/proposals/{draft.id}/withdraw").status_code == 303
    client.post_form("/logout")
    login(staff)
    assert client.get(f"/proposals/{draft.id}").status_code == 403
    assert f'href="/proposals/{draft.id}"' not in client.get("/review?state=all").get_data(as_text=True)


def test_staff_never_review_their_own_proposal(client, login, db, make_proposal, staff):
    own = make_proposal(state=ProposalState.IN_REVIEW, applicant=staff)
    login(staff)
    assert client.post_form(f"/proposals/{own.id}/approve", {"amount": "100"}).status_code == 403
    assert client.post_form(f"/proposals/{own.id}/notes", {"note-text": "x"}).status_code == 403
    page = client.get(f"/proposals/{own.id}").get_data(as_text=True)
    assert f"/proposals/{own.id}/approve" not in page


def test_a_proposal_with_the_most_lines_can_still_be_edited(client, login, db, make_proposal, applicant):
    from app.proposals.forms import MAX_LINES

    proposal = make_proposal(lines=[(f"Posten {n}", 100) for n in range(MAX_LINES)])
    login(applicant)
    page = client.get(f"/proposals/{proposal.id}/edit")
    assert page.status_code == 200
    assert f'id="lines-{MAX_LINES - 1}-item"' in page.get_data(as_text=True)


def test_amounts_beyond_any_programme_are_refused(client, login, db, programme, district, applicant):
    login(applicant)
    lines = {f"lines-{n}-item": f"Posten {n}" for n in range(3)} | {f"lines-{n}-amount": "9.000.000" for n in range(3)}
    assert client.post_form("/proposals/new", _form(programme, district) | lines).status_code == 422
    huge = _form(programme, district) | {"lines-0-amount": "25.000.000"}
    assert client.post_form("/proposals/new", huge).status_code == 422
    for bad in ("1e5", "-5", "1.234.567,891", "NaN"):
        assert (
            client.post_form("/proposals/new", _form(programme, district) | {"lines-0-amount": bad}).status_code == 422
        )
    assert _count(db) == 0


def test_amounts_copied_from_an_arabic_page_are_read(app):
    from app.proposals.forms import parse_cents

    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert parse_cents("\u200f1,250.50\xa0€") == 125_050
        assert parse_cents("1250\u066b5") == 125_050


def test_a_closed_programme_is_refused_even_when_another_is_open(
    client, login, db, make_programme, programme, district, applicant
):
    past = make_programme(opens_on=date.today() - timedelta(days=60), closes_on=date.today() - timedelta(days=1))
    login(applicant)
    response = client.post_form("/proposals/new", _form(past, district))
    assert response.status_code == 422
    assert _count(db) == 0


def test_approving_twice_says_why_the_second_is_refused(client, login, db, make_proposal, staff):
    proposal = make_proposal(state=ProposalState.IN_REVIEW)
    login(staff)
    assert client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "100"}).status_code == 303
    again = client.post_form(f"/proposals/{proposal.id}/approve", {"amount": "100"})
    assert again.status_code == 409
    assert "Bewilligt" in again.get_data(as_text=True)
