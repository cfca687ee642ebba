"""Dialogs: scheduling, interpreter requests and assignments, session logs, the staff overview, topics."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import exists, select

from app.auth.models import Role, RoleGrant, UserLanguage
from app.database import local_today, utcnow
from app.dialogs import bp, services
from app.dialogs.forms import COMMON_LANGUAGES, AskForm, CancelDialogForm, DialogForm, LogFilterForm, LogForm
from app.dialogs.models import (
    Coverage,
    Dialog,
    DialogLanguage,
    FollowUp,
    ModeratorRole,
    RequestStatus,
    SessionLogLanguage,
    Topic,
)
from app.dialogs.policies import (
    can_interpret,
    can_manage_dialog,
    can_manage_topics,
    can_read_all_logs,
    can_read_log,
    can_schedule_dialogs,
    can_see_dialog,
    can_see_dialogs,
)
from app.errors import DomainError
from app.extensions import db
from app.forms import select_choices
from app.i18n import is_known_language, language_name, spoken_language_choices
from app.names import names_form, submitted_names
from app.places.models import Accommodation, District
from app.shifts.services import WORKING_LEVELS, utc_to_local
from app.views import first_error, form_status, int_arg, json_message, render, require, safe_next, saved, wants_json

LOG_PAGE_SIZE = 30
# Upcoming dialogs per page of the list ("Show more" adds one), up to MAX_PAGES, as many as the shift lists show;
# held ones without a log shown.
DIALOG_PAGE_SIZE = 15
MAX_PAGES = 20
UNLOGGED_SHOWN = 20


def _load_dialog(dialog_id: int) -> Dialog:
    dialog = db.get_or_404(Dialog, dialog_id)
    require(can_see_dialog(current_user, dialog))
    return dialog


def _load_language(dialog_id: int, language_id: int) -> DialogLanguage:
    language = db.get_or_404(DialogLanguage, language_id)
    if language.dialog_id != dialog_id:
        abort(404)
    require(can_see_dialog(current_user, language.dialog))
    return language


def _language_choices(extra=()) -> list[tuple[str, str]]:
    """The usual dialog languages, those the city's interpreters speak, and any already chosen, by name."""
    spoken = db.session.scalars(
        select(UserLanguage.code)
        .where(UserLanguage.level.in_(WORKING_LEVELS))
        .where(exists().where(RoleGrant.user_id == UserLanguage.user_id, RoleGrant.role == Role.INTERPRETER))
        .distinct()
    ).all()
    codes = {*COMMON_LANGUAGES, *spoken, *extra}
    return sorted(((code, language_name(code)) for code in codes), key=lambda pair: pair[1].casefold())


def _other_language_choices() -> list:
    return select_choices([("", _("No other language")), *spoken_language_choices()])


# --- lists -------------------------------------------------------------------------------------------------


@bp.get("/dialogs")
@login_required
def index():
    """Upcoming dialogs (one's own, or all for staff) and held dialogs that still need their log."""
    user = current_user._get_current_object()  # once, not through the proxy at every attribute
    require(can_see_dialogs(user))
    now = utcnow()
    page = min(int_arg("page", 1), MAX_PAGES)
    wanted = DIALOG_PAGE_SIZE * page
    default_scope = "all" if user.is_staff else "mine"
    scope = request.args.get("scope", default_scope)
    if scope not in ("mine", "all"):
        scope = default_scope
    unlogged_scope = "all" if user.is_staff else "mine" if user.has_role(Role.MODERATOR) else None
    # One more than the page shows, to know whether there is more.
    upcoming, unlogged = services.dialog_list(user, now, scope, wanted + 1, unlogged_scope, UNLOGGED_SHOWN + 1)
    return render(
        "dialogs/index.html",
        upcoming=upcoming[:wanted],
        more=len(upcoming) > wanted,
        page=page,
        unlogged=unlogged[:UNLOGGED_SHOWN],
        more_unlogged=len(unlogged) > UNLOGGED_SHOWN,
        scope=scope,
        can_schedule=can_schedule_dialogs(user),
        can_interpret=can_interpret(user),
        can_read_logs=can_read_all_logs(user),
        # Each coverage's badge, its style and its label, looked up once for all the cards.
        coverage_badges={coverage: (coverage.badge_style, coverage.label) for coverage in Coverage},
    )


# --- scheduling --------------------------------------------------------------------------------------------


def _dialog_form(dialog: Dialog | None) -> DialogForm:
    form = DialogForm()
    places = db.session.execute(
        select(Accommodation.id, Accommodation.name, District.name)
        .join(District, District.id == Accommodation.district_id)
        .order_by(District.name, Accommodation.name)
    ).all()
    form.accommodation.choices = select_choices((pid, f"{name} · {district}") for pid, name, district in places)
    chosen = [language.code for language in dialog.languages] if dialog else []
    form.languages.choices = select_choices(_language_choices(chosen))
    form.other_language.choices = _other_language_choices()
    people = [(str(user.id), user.name) for user in services.moderators()]
    nobody = ("", _("Nobody"))
    form.lead_moderator.choices = select_choices([("", _("Please choose")), *people])
    form.co_moderator.choices = select_choices([nobody, *people])
    form.trainee_moderator.choices = select_choices([nobody, *people])
    if not form.is_submitted():
        if dialog is not None:
            start, end = utc_to_local(dialog.starts_at), utc_to_local(dialog.ends_at)
            form.accommodation.data = dialog.accommodation_id
            form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
            form.topic.data = dialog.topic
            form.languages.data = chosen
            form.expected_participants.data = dialog.expected_participants
            roles = {m.role: str(m.user_id) for m in dialog.moderators}
            form.lead_moderator.data = roles.get(ModeratorRole.LEAD, "")
            form.co_moderator.data = roles.get(ModeratorRole.CO, "")
            form.trainee_moderator.data = roles.get(ModeratorRole.TRAINEE, "")
        elif current_user.has_role(Role.MODERATOR):
            form.lead_moderator.data = str(current_user.id)
    return form


def _details(form: DialogForm) -> services.DialogDetails:
    return services.DialogDetails(
        accommodation=db.session.get(Accommodation, form.accommodation.data),
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        topic=form.topic.data,
        languages=form.chosen_languages(),
        lead_id=int(form.lead_moderator.data),
        co_id=int(form.co_moderator.data) if form.co_moderator.data else None,
        trainee_id=int(form.trainee_moderator.data) if form.trainee_moderator.data else None,
        expected_participants=form.expected_participants.data,
    )


def _field_for(error: DomainError, form) -> str:
    return error.field if error.field in form else "topic"


@bp.route("/dialogs/new", methods=["GET", "POST"])
@login_required
def new():
    """Schedule a dialog in an accommodation."""
    require(can_schedule_dialogs(current_user))
    form = _dialog_form(None)
    if form.validate_on_submit():
        try:
            dialog = services.create_dialog(current_user, _details(form))
        except DomainError as error:
            db.session.rollback()
            form[_field_for(error, form)].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Dialog scheduled. Now find interpreters for its languages."), "success")
            return redirect(url_for("dialogs.detail", dialog_id=dialog.id), 303)
    return render("dialogs/form.html", form=form, dialog=None, status=form_status(form))


@bp.route("/dialogs/<int:dialog_id>/edit", methods=["GET", "POST"])
@login_required
def edit(dialog_id: int):
    """Change a dialog; everyone booked hears of a new time or place."""
    dialog = db.get_or_404(Dialog, dialog_id)
    require(can_manage_dialog(current_user, dialog))
    dialog.check_can_change()
    form = _dialog_form(dialog)
    if form.validate_on_submit():
        try:
            services.update_dialog(current_user, dialog, _details(form))
        except DomainError as error:
            db.session.rollback()
            form[_field_for(error, form)].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Dialog saved."), "success")
            return redirect(url_for("dialogs.detail", dialog_id=dialog.id), 303)
    return render("dialogs/form.html", form=form, dialog=dialog, status=form_status(form))


@bp.post("/dialogs/<int:dialog_id>/cancel")
@login_required
def cancel(dialog_id: int):
    """Call the dialog off with a reason; everyone booked is told."""
    dialog = db.get_or_404(Dialog, dialog_id)
    require(can_manage_dialog(current_user, dialog))
    form = CancelDialogForm()
    if form.validate_on_submit():
        told = services.cancel_dialog(current_user, dialog, form.reason.data)
        db.session.commit()
        flash(
            ngettext(
                "Dialog cancelled; %(num)d person has been told.",
                "Dialog cancelled; %(num)d people have been told.",
                len(told),
            ),
            "info",
        )
        return redirect(url_for("dialogs.detail", dialog_id=dialog.id), 303)
    return _detail_page(dialog, status=422, cancel_form=form)


# --- the dialog page ---------------------------------------------------------------------------------------


def _language_rows(dialog: Dialog, manage: bool, in_training: bool) -> list[dict]:
    """Per needed language: its coverage, and what the current user can do about it."""
    rows = []
    eligibility = None
    started = dialog.has_started()
    for language in dialog.languages:
        mine = current_user.id in (language.interpreter_id, language.shadow_id)
        asked_me = any(
            r.interpreter_id == current_user.id and r.status is RequestStatus.ASKED for r in language.requests
        )
        row = {
            "language": language,
            "coverage": language.coverage,
            "asked": [r for r in language.requests if r.status is RequestStatus.ASKED],
            "declined": [r for r in language.requests if r.status is RequestStatus.DECLINED],
            "mine": mine,
            "asked_me": asked_me,
            "obstacle": None,
            "eligible": [],
            "shadows": [],
        }
        seat_free = language.shadow_id is None if in_training else language.interpreter_id is None
        row["can_answer"] = (
            can_interpret(current_user)
            and not mine
            and seat_free
            and not started
            and not dialog.is_cancelled
            and services.is_requested_from(current_user, language)
        )
        if row["can_answer"]:
            if eligibility is None:  # read once for all the dialog's languages
                eligibility = services.Eligibility.of(current_user)
            row["obstacle"] = services.interpreter_obstacle(current_user, language, in_training, eligibility)
        if manage and language.interpreter_id is None and not started and not dialog.is_cancelled:
            row["eligible"] = services.eligible_interpreters(language)
            row["shadows"] = services.eligible_interpreters(language, shadow=True)
        rows.append(row)
    return rows


def _detail_page(dialog: Dialog, status: int = 200, **forms):
    manage = can_manage_dialog(current_user, dialog)
    in_training = can_interpret(current_user) and services.is_in_training(current_user)
    rows = _language_rows(dialog, manage, in_training)
    forms.setdefault("cancel_form", CancelDialogForm(formdata=None))
    forms.setdefault("ask_form", AskForm(formdata=None))
    today = local_today()
    return render(
        "dialogs/detail.html",
        status=status,
        dialog=dialog,
        rows=rows,
        covered=sum(1 for row in rows if row["coverage"].value == "covered"),
        can_manage=manage,
        can_interpret=can_interpret(current_user),
        in_training=in_training,
        can_log=manage and dialog.has_started() and not dialog.is_cancelled and dialog.log is None,
        can_read_log=can_read_log(current_user, dialog),
        log_overdue=dialog.log_overdue(),
        today=today,
        **forms,
    )


@bp.get("/dialogs/<int:dialog_id>")
@login_required
def detail(dialog_id: int):
    """A dialog: when and where, the team, which languages are covered, requested or uncovered, the log."""
    return _detail_page(_load_dialog(dialog_id))


# --- interpreters ------------------------------------------------------------------------------------------


@bp.post("/dialogs/<int:dialog_id>/languages/<int:language_id>/ask")
@login_required
def ask(dialog_id: int, language_id: int):
    """Ask chosen interpreters who are free for one language; each gets a mail."""
    language = _load_language(dialog_id, language_id)
    require(can_manage_dialog(current_user, language.dialog))
    form = AskForm()
    form.interpreters.choices = select_choices(
        (user.id, user.name)
        for user in [*services.eligible_interpreters(language), *services.eligible_interpreters(language, True)]
    )
    if not form.validate_on_submit():
        raise DomainError(_("Choose interpreters from the list of those who are free."), 422)
    count = services.ask_interpreters(current_user, language, form.interpreters.data or [])
    db.session.commit()
    flash(
        ngettext("%(num)d interpreter asked.", "%(num)d interpreters asked.", count)
        if count
        else _("Everyone chosen had already been asked."),
        "success" if count else "info",
    )
    return redirect(url_for("dialogs.detail", dialog_id=dialog_id) + f"#language-{language.id}", 303)


@bp.post("/dialogs/<int:dialog_id>/languages/<int:language_id>/open")
@login_required
def open_request(dialog_id: int, language_id: int):
    """Post an open request that every eligible interpreter sees in their list."""
    language = _load_language(dialog_id, language_id)
    require(can_manage_dialog(current_user, language.dialog))
    services.post_open_request(current_user, language)
    db.session.commit()
    flash(
        _(
            "Open request posted: every interpreter who speaks %(language)s and is free sees it.",
            language=language_name(language.code),
        ),
        "success",
    )
    return redirect(url_for("dialogs.detail", dialog_id=dialog_id) + f"#language-{language.id}", 303)


def _request_response(language: DialogLanguage, message: str, category: str = "success"):
    """After an interpreter's answer: the refreshed request lists for htmx, else back to where they came from."""
    flash(message, category)
    if request.htmx:
        return _interpreting_page()
    return redirect(safe_next(request.form.get("next"), url_for("dialogs.detail", dialog_id=language.dialog_id)), 303)


@bp.post("/dialogs/<int:dialog_id>/languages/<int:language_id>/accept")
@login_required
def accept(dialog_id: int, language_id: int):
    """Take the language (an interpreter in training shadows it)."""
    language = _load_language(dialog_id, language_id)
    require(can_interpret(current_user))
    language = services.accept(current_user, language)
    db.session.commit()
    name = language_name(language.code)
    if language.shadow_id == current_user.id:
        message = _("You shadow the interpreter for %(language)s. It is in your calendar.", language=name)
    else:
        message = _("You interpret %(language)s. A confirmation with a calendar entry is on its way.", language=name)
    return _request_response(language, message)


@bp.post("/dialogs/<int:dialog_id>/languages/<int:language_id>/decline")
@login_required
def decline(dialog_id: int, language_id: int):
    """Turn the request down; it leaves the list."""
    language = _load_language(dialog_id, language_id)
    require(can_interpret(current_user))
    services.decline(current_user, language)
    db.session.commit()
    return _request_response(language, _("You declined. Thank you for answering."), "info")


@bp.post("/dialogs/<int:dialog_id>/languages/<int:language_id>/withdraw")
@login_required
def withdraw(dialog_id: int, language_id: int):
    """Give a taken language back; the moderators are told and it is open again."""
    language = _load_language(dialog_id, language_id)
    require(can_interpret(current_user))
    services.withdraw(current_user, language)
    db.session.commit()
    return _request_response(language, _("You have withdrawn; the moderators have been told."), "info")


@bp.get("/interpreting")
@login_required
def interpreting():
    """Open requests for the interpreter's languages, soonest first, and their upcoming assignments."""
    require(can_interpret(current_user))
    return _interpreting_page()


def _interpreting_page():
    return render(
        "dialogs/interpreting.html",
        block="lists",
        requests=services.open_requests_for(current_user),
        assignments=services.assignments_of(current_user),
        in_training=services.is_in_training(current_user),
        has_languages=bool(current_user.languages),
    )


@bp.post("/interpreting/training")
@login_required
def training():
    """Mark oneself in training (shadow an experienced interpreter) or experienced."""
    require(can_interpret(current_user))
    wanted = request.form.get("in_training") == "1"
    services.set_training(current_user, wanted)
    db.session.commit()
    flash(
        _("You are marked as in training: you shadow experienced interpreters.")
        if wanted
        else _("You are no longer marked as in training: you interpret yourself."),
        "success",
    )
    return redirect(url_for("dialogs.interpreting"), 303)


# --- session logs ------------------------------------------------------------------------------------------


def _log_form(dialog: Dialog) -> LogForm:
    form = LogForm()
    codes = [language.code for language in dialog.languages]
    form.languages.choices = select_choices(
        sorted(((code, language_name(code)) for code in {"de", *codes}), key=lambda pair: pair[1].casefold())
    )
    form.other_language.choices = _other_language_choices()
    topics = db.session.scalars(select(Topic).order_by(Topic.name)).all()
    form.topics.choices = select_choices(sorted(((t.id, t.label()) for t in topics), key=lambda p: p[1].casefold()))
    if not form.is_submitted():
        form.idempotency_key.data = secrets.token_urlsafe(24)
        form.start.data = utc_to_local(dialog.starts_at).time()
        form.end.data = utc_to_local(dialog.ends_at).time()
        form.languages.data = ["de", *codes]
    return form


def _log_details(form: LogForm) -> services.LogDetails:
    return services.LogDetails(
        refugees=form.refugees.data,
        volunteers=form.volunteers.data,
        staff=form.staff.data,
        start=form.start.data,
        end=form.end.data,
        languages=[code for code in form.chosen_languages() if is_known_language(code)],
        topic_ids=form.topics.data or [],
        tags=form.tag_list(),
        summary=form.summary.data,
        follow_ups=[
            services.FollowUpDetails(row.what.data, row.responsible.data, row.due_on.data)
            for row in form.follow_ups
            if not row.is_empty
        ],
    )


@bp.route("/dialogs/<int:dialog_id>/log", methods=["GET", "POST"])
@login_required
def log(dialog_id: int):
    """Write the session log; the same submission sent twice is stored once."""
    dialog = db.get_or_404(Dialog, dialog_id)
    require(can_manage_dialog(current_user, dialog))
    form = _log_form(dialog)
    if request.method == "GET" and dialog.log is not None:
        return redirect(url_for("dialogs.detail", dialog_id=dialog.id) + "#log", 303)
    if request.method == "GET":
        if dialog.is_cancelled:
            raise DomainError(_("The dialog was cancelled: there is nothing to log."), 409)
        if not dialog.has_started():
            raise DomainError(_("The log can be written once the dialog has started."), 409)
    if form.validate_on_submit():
        try:
            _saved, created = services.write_log(current_user, dialog, _log_details(form), form.idempotency_key.data)
        except DomainError as error:
            db.session.rollback()
            if error.status_code != 422:
                raise
            form[_field_for(error, form)].errors.append(error.message)
        else:
            db.session.commit()
            message = _("Log saved. Thank you!") if created else _("This log had already been saved.")
            return saved(message, url_for("dialogs.detail", dialog_id=dialog.id) + "#log", created)
    if form.errors and wants_json():
        # The offline queue shows the first problem; the form itself shows them all when opened again.
        return json_message(first_error(form.errors), 422)
    return render("dialogs/log_form.html", form=form, dialog=dialog, status=form_status(form))


@bp.post("/follow-ups/<int:follow_up_id>")
@login_required
def follow_up(follow_up_id: int):
    """Mark a follow-up done, or open it again."""
    item = db.get_or_404(FollowUp, follow_up_id)
    dialog = item.log.dialog
    require(can_manage_dialog(current_user, dialog))
    done = request.form.get("done") == "1"
    services.mark_follow_up(current_user, item, done)
    db.session.commit()
    flash(_("Follow-up marked as done.") if done else _("Follow-up opened again."), "success")
    fallback = url_for("dialogs.detail", dialog_id=dialog.id) + "#log"
    return redirect(safe_next(request.form.get("next"), fallback), 303)


@bp.get("/dialogs/logs")
@login_required
def logs():
    """All session logs of the city, with filters, and the overdue follow-ups."""
    require(can_read_all_logs(current_user))
    form = LogFilterForm(request.args)
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    places = db.session.scalars(select(Accommodation).order_by(Accommodation.name)).all()
    topics = db.session.scalars(select(Topic).order_by(Topic.name)).all()
    form.district.choices = select_choices([("", _("All districts"))] + [(d.id, d.name) for d in districts])
    form.accommodation.choices = select_choices([("", _("All accommodations"))] + [(a.id, a.name) for a in places])
    form.topic.choices = select_choices([("", _("All topics"))] + [(t.id, t.label()) for t in topics])
    codes = db.session.scalars(select(SessionLogLanguage.code).distinct()).all()
    form.language.choices = select_choices(
        [("", _("All languages")), *sorted(((c, language_name(c)) for c in codes), key=lambda pair: pair[1].casefold())]
    )
    page = int_arg("page", 1)
    if request.args and not form.validate():
        return render(
            "dialogs/logs.html",
            block="results",
            form=form,
            logs=[],
            more=False,
            page=1,
            overdue=[],
            today=local_today(),
            status=422,
        )
    filters = services.LogFilter(
        district_id=int(form.district.data) if form.district.data else None,
        accommodation_id=int(form.accommodation.data) if form.accommodation.data else None,
        start=form.start.data,
        end=form.end.data,
        topic_id=int(form.topic.data) if form.topic.data else None,
        language=form.language.data or None,
    )
    found = services.find_logs(filters, limit=LOG_PAGE_SIZE * page + 1)
    today = local_today()
    return render(
        "dialogs/logs.html",
        block="results",
        form=form,
        logs=found[: LOG_PAGE_SIZE * page],
        more=len(found) > LOG_PAGE_SIZE * page,
        page=page,
        overdue=services.overdue_follow_ups(today),
        today=today,
    )


# --- topics ------------------------------------------------------------------------------------------------


@bp.get("/topics")
@login_required
def topics():
    """The managed list of dialog topics."""
    require(can_manage_topics(current_user))
    items = db.session.scalars(select(Topic).order_by(Topic.name)).all()
    return render("dialogs/topics.html", topics=items)


@bp.route("/topics/new", methods=["GET", "POST"])
@login_required
def topic_new():
    """Add a topic."""
    require(can_manage_topics(current_user))
    return _save_topic(None)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@login_required
def topic_edit(topic_id: int):
    """Rename a topic or translate its name."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_manage_topics(current_user))
    return _save_topic(topic)


def _save_topic(topic: Topic | None):
    form = names_form(topic)
    if form.validate_on_submit():
        try:
            topic = services.save_topic(current_user, submitted_names(form), topic)
        except DomainError as error:
            form[error.field or "name_de"].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Topic %(name)s saved.", name=topic.name), "success")
            return redirect(url_for("dialogs.topics"), 303)
    return render("dialogs/topic_form.html", form=form, topic=topic, status=form_status(form))
