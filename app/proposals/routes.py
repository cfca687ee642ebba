"""Empowerment proposals: programmes, drafting with budget lines and attachments, review, decision, report."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import DomainError
from app.extensions import db, limiter
from app.forms import select_choices
from app.names import names_form, submitted_names
from app.places.models import District
from app.proposals import bp, services
from app.proposals.forms import (
    ApproveForm,
    AssignForm,
    CloseForm,
    DistrictBudgetForm,
    GrantChangeForm,
    MessageForm,
    NoteForm,
    ProgrammeForm,
    ProposalForm,
    QueueFilterForm,
    ReasonForm,
    ReportForm,
    UploadForm,
    parse_cents,
)
from app.proposals.models import (
    AWAITING_REVIEW,
    Attachment,
    AttachmentKind,
    FundingProgramme,
    Proposal,
    ProposalState,
)
from app.proposals.policies import (
    can_attach,
    can_edit_proposal,
    can_manage_programmes,
    can_propose,
    can_read_internal_notes,
    can_report,
    can_review,
    can_see_proposal,
    can_start,
    can_submit,
    can_withdraw,
    is_applicant,
)
from app.views import form_status, render, require

QUEUE_PAGE_SIZE = 50


@bp.app_template_filter("money")
def money_filter(cents: int | None) -> str:
    return services.money(cents)


def _load(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can_see_proposal(current_user, proposal))
    return proposal


def _districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def _programmes(open_only: bool = False) -> list[FundingProgramme]:
    items = db.session.scalars(
        select(FundingProgramme).order_by(FundingProgramme.year.desc(), FundingProgramme.name)
    ).all()
    return [p for p in items if p.is_open()] if open_only else list(items)


# --- applicants ----------------------------------------------------------------------------------------------


@bp.get("/proposals")
@login_required
def index():
    """One's own proposals and the programmes open for new ones."""
    require(can_propose(current_user))
    mine = db.session.scalars(
        select(Proposal).where(Proposal.applicant_id == current_user.id).order_by(Proposal.updated_at.desc())
    ).all()
    return render(
        "proposals/index.html",
        proposals=mine,
        programmes=_programmes(open_only=True),
        can_review=can_review(current_user),
        can_manage_programmes=can_manage_programmes(current_user),
    )


def _proposal_form(proposal: Proposal | None) -> ProposalForm:
    form = ProposalForm()
    programmes = _programmes(open_only=True)
    if proposal is not None and proposal.programme not in programmes:
        programmes.insert(0, proposal.programme)
    form.programme.choices = select_choices((p.id, p.display_name()) for p in programmes)
    form.district.choices = select_choices([("", _("Please choose")), *((d.id, d.name) for d in _districts())])
    if not form.is_submitted():
        if proposal is not None:
            for name in ("title", "summary", "goals", "target_group", "group_name", "contact", "starts_on", "ends_on"):
                form[name].data = getattr(proposal, name)
            form.programme.data = proposal.programme_id
            form.district.data = proposal.district_id
            while len(form.lines.entries) < min(len(proposal.lines) + 1, form.lines.max_entries):
                form.lines.append_entry()
            for row, line in zip(form.lines.entries, proposal.lines, strict=False):
                row.item.data = line.item
                row.amount.data = line.amount_cents
        else:
            chosen = request.args.get("programme", type=int)
            if chosen in {p.id for p in programmes}:
                form.programme.data = chosen
            while len(form.lines.entries) < 3:
                form.lines.append_entry()
    return form


def _details(form: ProposalForm) -> services.ProposalDetails:
    programme = db.session.get(FundingProgramme, form.programme.data)
    if programme is None or db.session.get(District, form.district.data) is None:
        raise DomainError(_("Please choose from the list."), 422, "programme")
    return services.ProposalDetails(
        programme=programme,
        district_id=form.district.data,
        title=form.title.data,
        summary=form.summary.data or "",
        goals=form.goals.data or "",
        target_group=form.target_group.data or "",
        group_name=form.group_name.data or "",
        contact=form.contact.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        lines=form.filled_lines(),
    )


def _save_form(proposal: Proposal | None):
    form = _proposal_form(proposal)
    if form.is_submitted() and "add_line" in request.form:
        # Another empty row for a budget line; nothing is saved yet and nothing typed is lost.
        if len(form.lines.entries) < form.lines.max_entries:
            form.lines.append_entry()
        return render("proposals/form.html", block="lines", form=form, proposal=proposal, focus_last=True)
    if form.validate_on_submit():
        try:
            saved = services.save_draft(current_user, _details(form), proposal)
        except DomainError as error:
            db.session.rollback()
            if error.status_code != 422:
                raise
            form[error.field if error.field in form else "title"].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Saved. You can come back and change it until you submit."), "success")
            return redirect(url_for("proposals.detail", proposal_id=saved.id), 303)
    return render("proposals/form.html", form=form, proposal=proposal, status=form_status(form))


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def new():
    """Draft a project proposal for a programme and district."""
    require(can_propose(current_user))
    if not _programmes(open_only=True):
        raise DomainError(_("No funding programme is open for proposals at the moment."), 409)
    return _save_form(None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    """Change a draft, or a proposal the staff asked to change."""
    proposal = _load(proposal_id)
    require(is_applicant(current_user, proposal))
    if not proposal.is_editable:
        raise DomainError(_("A proposal can only be changed as a draft or when changes were requested."))
    return _save_form(proposal)


def _timeline(proposal: Proposal) -> list:
    internal = can_read_internal_notes(current_user, proposal)
    return [event for event in reversed(proposal.events) if internal or not event.is_internal]


def _detail_page(proposal: Proposal, status: int = 200, **forms):
    staff = can_review(current_user, proposal)
    forms.setdefault("upload_form", UploadForm(formdata=None))
    if staff:
        forms.setdefault("note_form", NoteForm(formdata=None, prefix="note"))
        forms.setdefault("message_form", MessageForm(formdata=None, prefix="message"))
        forms.setdefault("changes_form", MessageForm(formdata=None, prefix="changes"))
        forms.setdefault("reject_form", ReasonForm(formdata=None, prefix="reject"))
        forms.setdefault("approve_form", ApproveForm(formdata=None, amount=proposal.requested_cents))
        forms.setdefault("grant_form", GrantChangeForm(formdata=None))
        forms.setdefault("close_form", CloseForm(formdata=None, prefix="close"))
        assign_form = forms.setdefault("assign_form", AssignForm(formdata=None))
        assign_form.reviewer.choices = select_choices(
            [("", _("Nobody")), *((u.id, u.name) for u in services.staff_members())]
        )
        if not assign_form.is_submitted():
            assign_form.reviewer.data = str(proposal.reviewer_id or "")
    programme = proposal.programme
    budget = None
    if staff:
        budget = {
            "programme_remaining": programme.budget_cents - services.granted_total(programme),
            "district_share": programme.district_budget(proposal.district_id),
            "district_granted": services.granted_total(programme, proposal.district_id),
        }
    mine = is_applicant(current_user, proposal)
    return render(
        "proposals/detail.html",
        status=status,
        upload_limit=services.upload_limit_mb(),
        proposal=proposal,
        timeline=_timeline(proposal),
        missing=proposal.missing_for_submission() if proposal.is_editable else [],
        budget=budget,
        is_applicant=mine,
        can_edit=can_edit_proposal(current_user, proposal),
        can_attach=can_attach(current_user, proposal, AttachmentKind.PROPOSAL),
        can_report=can_report(current_user, proposal),
        can_submit=can_submit(current_user, proposal),
        can_withdraw=can_withdraw(current_user, proposal),
        can_start=can_start(current_user, proposal),
        can_review=staff,
        **forms,
    )


@bp.get("/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    """A proposal: what it is, its budget, attachments, timeline, and what one can do with it now."""
    return _detail_page(_load(proposal_id))


def _back(proposal: Proposal, anchor: str = ""):
    return redirect(url_for("proposals.detail", proposal_id=proposal.id) + anchor, 303)


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
def submit(proposal_id: int):
    """Send the proposal to the integration staff (again, after changes)."""
    proposal = _load(proposal_id)
    require(is_applicant(current_user, proposal))
    state = services.submit(current_user, proposal)
    db.session.commit()
    flash(
        _("Resubmitted. The staff will look at your changes.")
        if state is ProposalState.RESUBMITTED
        else _("Submitted. The integration staff will review your proposal and write to you."),
        "success",
    )
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(proposal_id: int):
    """Take the proposal back before a decision."""
    proposal = _load(proposal_id)
    require(is_applicant(current_user, proposal))
    services.withdraw(current_user, proposal)
    db.session.commit()
    flash(_("The proposal has been withdrawn."), "info")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/start")
@login_required
def start(proposal_id: int):
    """Mark an approved project as running."""
    proposal = _load(proposal_id)
    require(is_applicant(current_user, proposal) or can_review(current_user, proposal))
    services.start_project(current_user, proposal)
    db.session.commit()
    flash(_("The project is marked as running. Good luck!"), "success")
    return _back(proposal)


@bp.route("/proposals/<int:proposal_id>/report", methods=["GET", "POST"])
@login_required
def report(proposal_id: int):
    """The final report: what happened, and the actual spend per budget line."""
    proposal = _load(proposal_id)
    require(can_report(current_user, proposal))
    form = ReportForm()
    actual_errors: dict[int, str] = {}
    actual_values = {line.id: request.form.get(f"actual-{line.id}", "") for line in proposal.lines}
    if form.is_submitted():
        actuals = {}
        for line in proposal.lines:
            raw = actual_values[line.id].strip()
            try:
                actuals[line.id] = parse_cents(raw) if raw else None
            except ValueError:
                actual_errors[line.id] = _("Please enter an amount in euros, e.g. 1250 or 1250,50.")
                continue
            if actuals[line.id] is None:
                actual_errors[line.id] = _("Please enter what was spent (0 if nothing).")
        valid = form.validate_on_submit()
        if valid and not actual_errors:
            services.submit_report(current_user, proposal, services.ReportDetails(form.report_text.data, actuals))
            db.session.commit()
            flash(_("Thank you! The final report has been sent to the integration staff."), "success")
            return _back(proposal)
    status = 422 if form.is_submitted() else 200
    return render(
        "proposals/report.html",
        form=form,
        proposal=proposal,
        actual_values=actual_values,
        actual_errors=actual_errors,
        upload_form=UploadForm(formdata=None),
        upload_limit=services.upload_limit_mb(),
        status=status,
    )


# --- attachments ---------------------------------------------------------------------------------------------


def _uploader_key() -> str:
    return f"upload:{current_user.get_id()}" if current_user.is_authenticated else "upload:anonymous"


@bp.post("/proposals/<int:proposal_id>/attachments")
@login_required
# Each upload is up to UPLOAD_MAX_MB in the database: one person can't fill it in a loop.
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOADS"], key_func=_uploader_key)
def upload(proposal_id: int):
    """Attach a PDF, JPEG or PNG; its type is read from the content, and it is kept in the database."""
    proposal = _load(proposal_id)
    kind = AttachmentKind.REPORT if request.form.get("kind") == "report" else AttachmentKind.PROPOSAL
    require(can_attach(current_user, proposal, kind))
    form = UploadForm()
    upload = request.files.get("file")
    try:
        if not form.validate_on_submit():
            raise DomainError(_("This form has expired. Please reload the page and try again."), 400, "file")
        if upload is None or not upload.filename:
            raise DomainError(_("Please choose a file."), 422, "file")
        limit = current_app.config["UPLOAD_MAX_BYTES"]
        try:
            data = upload.stream.read(limit + 1)
            total = upload.stream.seek(0, 2) if len(data) > limit and upload.stream.seekable() else None
        finally:
            upload.close()  # a large upload is spooled to a temporary file: let it go at once
        attachment = services.add_attachment(current_user, proposal, kind, upload.filename, data, total)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        proposal = db.session.get(Proposal, proposal_id)
        form.file.errors = [error.message]
        if kind is AttachmentKind.REPORT:
            return _report_upload_error(proposal, form, error.status_code)
        return _detail_page(proposal, status=error.status_code, upload_form=form)
    flash(_("%(name)s attached.", name=attachment.filename), "success")
    if kind is AttachmentKind.REPORT:
        return redirect(url_for("proposals.report", proposal_id=proposal.id), 303)
    return _back(proposal, "#attachments")


def _report_upload_error(proposal: Proposal, upload_form: UploadForm, status: int):
    return render(
        "proposals/report.html",
        form=ReportForm(formdata=None),
        proposal=proposal,
        actual_values={line.id: "" for line in proposal.lines},
        actual_errors={},
        upload_form=upload_form,
        upload_limit=services.upload_limit_mb(),
        status=status,
    )


def _load_attachment(proposal_id: int, attachment_id: int) -> tuple[Proposal, Attachment]:
    proposal = _load(proposal_id)
    attachment = db.get_or_404(Attachment, attachment_id)
    if attachment.proposal_id != proposal.id:
        abort(404)
    return proposal, attachment


@bp.get("/proposals/<int:proposal_id>/attachments/<int:attachment_id>")
@login_required
def attachment(proposal_id: int, attachment_id: int):
    """Download an attachment: only who may see the proposal may read it."""
    _proposal, item = _load_attachment(proposal_id, attachment_id)
    content = services.attachment_content(item)
    if content is None:
        abort(404)
    # Attachments are small (UPLOAD_MAX_BYTES): read whole from the database.
    response = send_file(
        io.BytesIO(content), mimetype=item.content_type, as_attachment=True, download_name=item.filename
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/proposals/<int:proposal_id>/attachments/<int:attachment_id>/delete")
@login_required
def remove_attachment(proposal_id: int, attachment_id: int):
    """Remove an attachment while the proposal (or the report) can still be changed."""
    proposal, item = _load_attachment(proposal_id, attachment_id)
    require(can_attach(current_user, proposal, item.kind))
    name = item.filename
    services.remove_attachment(current_user, item)
    db.session.commit()
    flash(_("%(name)s removed.", name=name), "info")
    if item.kind is AttachmentKind.REPORT:
        return redirect(url_for("proposals.report", proposal_id=proposal.id), 303)
    return _back(proposal, "#attachments")


# --- review --------------------------------------------------------------------------------------------------


def _queue_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.state.choices = select_choices(
        [
            ("", _("Waiting for review")),
            ("all", _("All states")),
            *((s.value, s.label) for s in ProposalState if s is not ProposalState.DRAFT),
        ]
    )
    form.district.choices = select_choices([("", _("All districts")), *((d.id, d.name) for d in _districts())])
    form.programme.choices = select_choices(
        [("", _("All programmes")), *((p.id, p.display_name()) for p in _programmes())]
    )
    return form


@bp.get("/review")
@login_required
def queue():
    """The staff's review queue, by state, district and programme."""
    require(can_review(current_user))
    form = _queue_form()
    if request.args and not form.validate():
        return render("proposals/queue.html", block="results", form=form, proposals=[], status=422)
    query = (
        select(Proposal)
        .where(Proposal.submitted_at.is_not(None), Proposal.applicant_id != current_user.id)
        .options(selectinload(Proposal.applicant), selectinload(Proposal.reviewer))
        .order_by(Proposal.submitted_at.is_(None), Proposal.submitted_at, Proposal.id)
        .limit(QUEUE_PAGE_SIZE + 1)
    )
    if form.state.data == "":
        query = query.where(Proposal.state.in_(AWAITING_REVIEW))
    elif form.state.data != "all":
        query = query.where(Proposal.state == ProposalState(form.state.data))
    if form.district.data:
        query = query.where(Proposal.district_id == int(form.district.data))
    if form.programme.data:
        query = query.where(Proposal.programme_id == int(form.programme.data))
    found = db.session.scalars(query).all()
    return render(
        "proposals/queue.html",
        block="results",
        form=form,
        proposals=found[:QUEUE_PAGE_SIZE],
        more=len(found) > QUEUE_PAGE_SIZE,
    )


def _staff_action(proposal_id: int) -> Proposal:
    proposal = _load(proposal_id)
    require(can_review(current_user, proposal))
    return proposal


@bp.post("/proposals/<int:proposal_id>/assign")
@login_required
def assign(proposal_id: int):
    """Make someone of the staff responsible for the review."""
    proposal = _staff_action(proposal_id)
    form = AssignForm()
    people = {str(u.id): u for u in services.staff_members()}
    form.reviewer.choices = select_choices([("", _("Nobody")), *((key, u.name) for key, u in people.items())])
    if not form.validate_on_submit():
        return _detail_page(proposal, 422, assign_form=form)
    reviewer = people.get(form.reviewer.data)
    services.assign(current_user, proposal, reviewer)
    db.session.commit()
    flash(
        _("%(name)s reviews this proposal.", name=reviewer.name) if reviewer else _("Nobody is assigned now."),
        "success",
    )
    return _back(proposal, "#review")


@bp.post("/proposals/<int:proposal_id>/review")
@login_required
def review(proposal_id: int):
    """Take a submitted proposal into review."""
    proposal = _staff_action(proposal_id)
    services.start_review(current_user, proposal)
    db.session.commit()
    flash(_("The proposal is in review."), "success")
    return _back(proposal, "#review")


def _written_action(proposal_id: int, form_class, prefix: str, act, message: str, category="success", anchor=""):
    """A staff action that takes one text (a note, a message, a reason): refused with the form when empty."""
    proposal = _staff_action(proposal_id)
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        return _detail_page(proposal, 422, **{f"{prefix}_form": form})
    act(current_user, proposal, form.text.data)
    db.session.commit()
    flash(message, category)
    return _back(proposal, anchor)


@bp.post("/proposals/<int:proposal_id>/notes")
@login_required
def note(proposal_id: int):
    """An internal note for the staff; the applicant never sees it."""
    return _written_action(
        proposal_id, NoteForm, "note", services.add_note, _("Internal note saved."), anchor="#timeline"
    )


@bp.post("/proposals/<int:proposal_id>/messages")
@login_required
def message(proposal_id: int):
    """Write to the applicant (shown on the timeline and mailed)."""
    return _written_action(
        proposal_id,
        MessageForm,
        "message",
        services.send_message,
        _("Message sent to the applicant."),
        anchor="#timeline",
    )


@bp.post("/proposals/<int:proposal_id>/request-changes")
@login_required
def request_changes(proposal_id: int):
    """Send the proposal back to the applicant with what should change."""
    return _written_action(
        proposal_id,
        MessageForm,
        "changes",
        services.request_changes,
        _("Changes requested; the applicant has been told."),
    )


@bp.post("/proposals/<int:proposal_id>/approve")
@login_required
def approve(proposal_id: int):
    """Grant an amount, within the programme's and the district's budget."""
    proposal = _staff_action(proposal_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _detail_page(proposal, 422, approve_form=form)
    try:
        services.approve(current_user, proposal, form.amount.data, form.text.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.field != "amount":
            raise
        form.amount.errors.append(error.message)
        return _detail_page(db.session.get(Proposal, proposal_id), error.status_code, approve_form=form)
    db.session.commit()
    flash(
        _("Approved with %(amount)s; the applicant has been told.", amount=services.money(proposal.granted_cents)),
        "success",
    )
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/reject")
@login_required
def reject(proposal_id: int):
    """Turn the proposal down with a reason."""
    return _written_action(
        proposal_id, ReasonForm, "reject", services.reject, _("Rejected; the applicant has been told."), "info"
    )


@bp.post("/proposals/<int:proposal_id>/grant")
@login_required
def change_grant(proposal_id: int):
    """Lower a grant or withdraw the approval, with a recorded reason."""
    proposal = _staff_action(proposal_id)
    form = GrantChangeForm()
    if not form.validate_on_submit():
        return _detail_page(proposal, 422, grant_form=form)
    try:
        services.change_grant(current_user, proposal, form.amount.data, form.text.data)
    except DomainError as error:
        db.session.rollback()
        if error.field != "amount":
            raise
        form.amount.errors.append(error.message)
        return _detail_page(db.session.get(Proposal, proposal_id), error.status_code, grant_form=form)
    db.session.commit()
    flash(
        _("The approval has been withdrawn; the proposal is in review again.")
        if form.amount.data is None
        else _("The grant is now %(amount)s.", amount=services.money(form.amount.data)),
        "success",
    )
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/close")
@login_required
def close(proposal_id: int):
    """Close the project after its final report."""
    proposal = _staff_action(proposal_id)
    form = CloseForm(prefix="close")
    if not form.validate_on_submit():
        return _detail_page(proposal, 422, close_form=form)
    services.close(current_user, proposal, form.text.data or "")
    db.session.commit()
    flash(_("The project is closed."), "success")
    return _back(proposal)


# --- programmes ----------------------------------------------------------------------------------------------


@bp.get("/programmes")
@login_required
def programmes():
    """Funding programmes with their budget: granted and remaining."""
    require(can_manage_programmes(current_user))
    granted = services.granted_by_programme()
    return render("proposals/programmes.html", programmes=_programmes(), granted=granted)


@bp.get("/programmes/<int:programme_id>")
@login_required
def programme(programme_id: int):
    """A programme: its rules and period; for staff the budget per district and every proposal of the round."""
    item = db.get_or_404(FundingProgramme, programme_id)
    staff = can_manage_programmes(current_user)
    context = {}
    if staff:
        proposals = db.session.scalars(
            select(Proposal)
            .where(Proposal.programme_id == item.id, Proposal.submitted_at.is_not(None))
            .options(selectinload(Proposal.applicant))
            .order_by(Proposal.district_id, Proposal.id)
        ).all()
        by_district = services.granted_by_district(item.id)
        districts = _districts()
        shares = {entry.district_id: entry.budget_cents for entry in item.district_budgets}
        budget_form = DistrictBudgetForm(formdata=None)
        budget_form.district.choices = select_choices((d.id, d.name) for d in districts)
        context = {
            "proposals": proposals,
            "granted": sum(by_district.values()),
            "kept_for_districts": sum(shares.values()),
            "left_for_the_rest": item.budget_cents - services.committed(item),
            "district_rows": [
                {"district": d, "share": shares.get(d.id), "granted": by_district.get(d.id, 0)}
                for d in districts
                if d.id in shares or d.id in by_district
            ],
            "requested": sum(p.requested_cents for p in proposals if p.state is not ProposalState.WITHDRAWN),
            "states": services.count_by_state(item.id),
            "budget_form": budget_form,
        }
    return render("proposals/programme.html", programme=item, can_manage=staff, **context)


def _programme_form(item: FundingProgramme | None) -> ProgrammeForm:
    form = names_form(item, ProgrammeForm)
    if not form.is_submitted() and item is not None:
        form.year.data = item.year
        form.budget.data = item.budget_cents
        form.opens_on.data = item.opens_on
        form.closes_on.data = item.closes_on
        form.rules.data = item.rules
    return form


def _save_programme(item: FundingProgramme | None):
    form = _programme_form(item)
    if form.validate_on_submit():
        details = services.ProgrammeDetails(
            names=submitted_names(form),
            year=form.year.data,
            budget_cents=form.budget.data,
            opens_on=form.opens_on.data,
            closes_on=form.closes_on.data,
            rules=form.rules.data or "",
        )
        try:
            item = services.save_programme(current_user, details, item)
        except DomainError as error:
            db.session.rollback()
            form[error.field if error.field in form else "name_de"].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Programme %(name)s saved.", name=item.name), "success")
            return redirect(url_for("proposals.programme", programme_id=item.id), 303)
    return render("proposals/programme_form.html", form=form, programme=item, status=form_status(form))


@bp.route("/programmes/new", methods=["GET", "POST"])
@login_required
def programme_new():
    """Open a funding programme."""
    require(can_manage_programmes(current_user))
    return _save_programme(None)


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@login_required
def programme_edit(programme_id: int):
    """Change a programme's name, budget, period or rules."""
    item = db.get_or_404(FundingProgramme, programme_id)
    require(can_manage_programmes(current_user))
    return _save_programme(item)


@bp.post("/programmes/<int:programme_id>/districts")
@login_required
def district_budget(programme_id: int):
    """Give a district its share of the programme, or remove it."""
    item = db.get_or_404(FundingProgramme, programme_id)
    require(can_manage_programmes(current_user))
    form = DistrictBudgetForm()
    form.district.choices = select_choices((d.id, d.name) for d in _districts())
    if form.validate_on_submit():
        services.set_district_budget(current_user, item, form.district.data, form.amount.data)
        db.session.commit()
        flash(_("District budget saved."), "success")
        return redirect(url_for("proposals.programme", programme_id=item.id) + "#districts", 303)
    raise DomainError(next(iter(form.errors.values()))[0] if form.errors else _("Please check your input"), 422)
