"""Attachments: type by content, size limit with a clear message, nothing half-saved, served only to who may see."""

from __future__ import annotations

import io

from sqlalchemy import func, select, update

from app.auth.models import Role
from app.database import utcnow
from app.proposals.models import Attachment, ProposalState
from tests.conftest import PASSWORD
from tests.proposals.conftest import EXE, PDF, PNG


def _upload(client, proposal, data: bytes, name: str, kind: str = "proposal"):
    return client.post_form(
        f"/proposals/{proposal.id}/attachments",
        {"file": (io.BytesIO(data), name), "kind": kind},
        content_type="multipart/form-data",
    )


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Attachment))


def _content(db, attachment_id: int) -> bytes | None:
    return db.session.scalar(select(Attachment.content).where(Attachment.id == attachment_id))


def test_a_pdf_is_attached_kept_in_the_database_and_downloadable(client, login, db, make_proposal, applicant):
    proposal = make_proposal()
    login(applicant)
    response = _upload(client, proposal, PDF, "Kostenplan.pdf")
    assert response.status_code == 303
    item = db.session.scalars(select(Attachment)).one()
    assert (item.content_type, item.filename, item.size) == ("application/pdf", "Kostenplan.pdf", len(PDF))
    assert _content(db, item.id) == PDF
    download = client.get(f"/proposals/{proposal.id}/attachments/{item.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_type_comes_from_the_content_not_the_name(client, login, db, make_proposal, applicant):
    proposal = make_proposal()
    login(applicant)
    renamed = _upload(client, proposal, EXE, "flyer.pdf")
    assert renamed.status_code == 415
    assert "Nur PDF-, JPEG- und PNG-Dateien" in renamed.get_data(as_text=True)
    assert _count(db) == 0
    # A PNG named .exe is a PNG: it is stored with the extension its content has.
    assert _upload(client, proposal, PNG, "foto.exe").status_code == 303
    assert db.session.scalars(select(Attachment)).one().filename == "foto.png"


def test_an_oversize_file_is_refused_with_a_clear_message_and_nothing_saved(
    app, client, login, db, make_proposal, applicant
):
    # Below the size at which the test client spools an upload to a temporary file.
    app.config["UPLOAD_MAX_BYTES"] = 200_000
    proposal = make_proposal()
    login(applicant)
    big = PDF + b"0" * 250_000
    response = _upload(client, proposal, big, "scan.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "0,3 MB" in page and "höchstens 0,2 MB" in page
    assert _count(db) == 0
    db.session.refresh(proposal)
    assert proposal.title == "Nähwerkstatt"  # the proposal itself is untouched


def test_an_empty_upload_and_a_missing_file_are_refused(client, login, db, make_proposal, applicant):
    proposal = make_proposal()
    login(applicant)
    assert _upload(client, proposal, b"", "leer.pdf").status_code in (422,)
    missing = client.post_form(f"/proposals/{proposal.id}/attachments", {"kind": "proposal"})
    assert missing.status_code == 422
    assert _count(db) == 0


def test_a_failed_commit_leaves_nothing_behind(app, client, login, db, make_proposal, applicant):
    """Nothing half-saved: when the database refuses the commit, neither the row nor its file is kept."""
    from sqlalchemy import event

    proposal = make_proposal()
    login(applicant)
    app.config["PROPAGATE_TEST_ERRORS"] = False

    def refuse(session):
        if any(isinstance(obj, Attachment) for obj in session.new) or any(
            isinstance(obj, Attachment) for obj in session.identity_map.values()
        ):
            raise RuntimeError("database went away")

    event.listen(db.session.registry().__class__, "before_commit", refuse)
    try:
        response = _upload(client, proposal, PDF, "plan.pdf")
    finally:
        event.remove(db.session.registry().__class__, "before_commit", refuse)
    assert response.status_code == 500
    assert _count(db) == 0


def test_attachments_are_served_only_to_who_may_see_the_proposal(
    client, login, db, make_proposal, applicant, make_user, staff
):
    proposal = make_proposal()
    login(applicant)
    _upload(client, proposal, PDF, "plan.pdf")
    item = db.session.scalars(select(Attachment)).one()
    url = f"/proposals/{proposal.id}/attachments/{item.id}"
    client.post_form("/logout")
    assert client.get(url).status_code == 302  # to the login page
    login(make_user(roles=[Role.VOLUNTEER]))
    assert client.get(url).status_code == 403
    client.post_form("/logout")
    login(staff)
    assert client.get(url).status_code == 403  # still a draft: the staff don't see it yet
    proposal.state = ProposalState.SUBMITTED
    proposal.submitted_at = utcnow()
    db.session.commit()
    assert client.get(url).status_code == 200
    other = make_proposal(state=ProposalState.SUBMITTED)
    assert client.get(f"/proposals/{other.id}/attachments/{item.id}").status_code == 404


def test_removing_an_attachment_deletes_the_file(client, login, db, make_proposal, applicant):
    proposal = make_proposal()
    login(applicant)
    _upload(client, proposal, PDF, "plan.pdf")
    item = db.session.scalars(select(Attachment)).one()
    url = f"/proposals/{proposal.id}/attachments/{item.id}"
    assert client.get(url).data == PDF
    assert client.post_form(f"{url}/delete").status_code == 303
    assert _count(db) == 0
    assert client.get(url).status_code == 404


def test_every_app_machine_serves_an_upload(make_app, client, login, db, make_proposal, applicant):
    """An upload through one app is downloaded through another: nothing of it is kept on the machine."""
    proposal = make_proposal()
    login(applicant)
    assert _upload(client, proposal, PNG, "foto.png").status_code == 303
    item = db.session.scalars(select(Attachment)).one()
    other = make_app()
    other_client = other.test_client()
    page = other_client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = other_client.post("/login", data={"email": applicant.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    download = other_client.get(f"/proposals/{proposal.id}/attachments/{item.id}")
    assert download.status_code == 200 and download.data == PNG


def test_an_attachment_whose_file_never_arrived_is_not_found(client, login, db, make_proposal, applicant):
    """A row without content (its file was missing when the files moved into the database) answers 404."""
    proposal = make_proposal()
    login(applicant)
    _upload(client, proposal, PDF, "plan.pdf")
    item = db.session.scalars(select(Attachment)).one()
    db.session.execute(update(Attachment).where(Attachment.id == item.id).values(content=None))
    db.session.commit()
    assert client.get(f"/proposals/{proposal.id}/attachments/{item.id}").status_code == 404
    assert "plan.pdf" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)


def test_no_files_are_added_once_submitted(client, login, db, make_proposal, applicant):
    proposal = make_proposal(state=ProposalState.SUBMITTED)
    login(applicant)
    assert _upload(client, proposal, PDF, "plan.pdf").status_code == 403
    assert _count(db) == 0


def test_report_files_while_the_project_runs(client, login, db, make_proposal, applicant):
    proposal = make_proposal(state=ProposalState.RUNNING)
    login(applicant)
    assert _upload(client, proposal, PNG, "foto.png", kind="report").status_code == 303
    assert db.session.scalars(select(Attachment)).one().kind.value == "report"
    assert _upload(client, proposal, PDF, "plan.pdf", kind="proposal").status_code == 403


def test_uploads_are_rate_limited_per_person(app, client, login, db, make_proposal, applicant):
    app.config["RATELIMIT_UPLOADS"] = "2 per hour"
    proposal = make_proposal()
    login(applicant)
    assert _upload(client, proposal, PDF, "a.pdf").status_code == 303
    assert _upload(client, proposal, PDF, "b.pdf").status_code == 303
    assert _upload(client, proposal, PDF, "c.pdf").status_code == 429
    assert _count(db) == 2
