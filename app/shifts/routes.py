"""Open shifts, my shifts, planning and running shifts, attendance, calendar feed, activity types."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import NamedTuple

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.database import local_today, utcnow
from app.dialogs.services import dialog_event, feed_dialogs
from app.errors import DomainError
from app.extensions import csrf, db
from app.forms import IDEMPOTENCY_KEY, select_choices
from app.fragments import kept_markup
from app.i18n import current_language, ngettext, spoken_language_choices
from app.i18n import gettext as _
from app.names import names_form, submitted_names
from app.places.models import Circle
from app.shifts import bp, services
from app.shifts.cards import shift_cards
from app.shifts.forms import CancelShiftForm, FilterForm, MessageForm, ShiftForm
from app.shifts.models import ActivityType, Attendance, CalendarFeed, Shift, ShiftRow, Signup, SignupStatus
from app.shifts.policies import can_manage_activities, can_manage_shift, can_plan_shifts, can_see_shift
from app.templating import item_url
from app.views import form_status, int_arg, render, require, safe_next, saved

bp.add_app_template_global(shift_cards)

# A phone shows three cards a screen; "Show more" brings the next ones.
PAGE_SIZE = 15
MAX_PAGES = 20
# "Only shifts I can take" reads a few more than the page, for the ones the cards' checks leave out.
TAKEABLE_SPARE = 4
MAX_SCAN = 2400
DTSTAMP_LINE = re.compile(rb"^DTSTAMP:[^\r\n]*\r?\n", re.MULTILINE)


def _own_signup(shift: Shift) -> Signup | None:
    """The signed-in person's sign-up for the shift, confirmed or waiting (None without one)."""
    return db.session.scalar(
        select(Signup).where(
            Signup.shift_id == shift.id, Signup.user_id == current_user.id, Signup.status != SignupStatus.CANCELLED
        )
    )


@cache
def _shift_with_access_statement():
    """A shift, whether the person is a member of its circle, and whether they are signed up (or waiting)."""
    # The circle and the activity come along: the policy may ask who runs the circle, and the page names both.
    return (
        select(Shift, *services.access_columns())
        .options(joinedload(Shift.circle), joinedload(Shift.activity_type).lazyload(ActivityType.names))
        .where(Shift.id == bindparam("shift_id"))
    )


def _load_shift(shift_id: int) -> Shift:
    """The shift, if the person may see it (404 or 403 otherwise): one statement for the shift and the access."""
    row = db.session.execute(
        _shift_with_access_statement(), {"shift_id": shift_id, "user_id": current_user.id}
    ).one_or_none()
    if row is None:
        abort(404)
    shift, is_member, has_signup = row
    require(can_see_shift(current_user, shift, is_member, has_signup=has_signup))
    return shift


def _lock_shift(shift_id: int, with_person: bool = False) -> Shift:
    """As `_load_shift`, with the shift locked for a change of its sign-ups (and the person first, if asked)."""
    found = services.lock_with_access(current_user, shift_id, with_person)
    if found is None:
        abort(404)
    shift, is_member, has_signup = found
    require(can_see_shift(current_user, shift, is_member, has_signup=has_signup))
    return shift


def _filter_fields(form: FilterForm, args: MultiDict, choices: services.ShiftFilterChoices):
    """The filter's fields: everyone with the same filter values and the same choices sees the same, so a form
    without errors is kept (the fields' values as given, the choices and the language are the key: all the
    fields are made from; other parameters of the query, a page or an unknown one, make no entry of their own)."""

    def build():
        template = current_app.jinja_env.get_template("shifts/_filter_fields.html")
        return Markup(template.render(form=form))  # noqa: S704 - rendered with autoescape

    if form.errors:
        return build()
    key = (
        "shift-filter",
        tuple(tuple(args.getlist(name)) for name in form.data),
        tuple(choices.districts),
        tuple(choices.circles),
        tuple(choices.activities.items()),
    )
    return kept_markup(key, build)


def _filter_args(circles: list[tuple[int, str]]) -> MultiDict:
    """The query string, without a circle that is not among those offered (one of another district than the one
    now chosen): changing the district starts over with all its circles instead of refusing the filter."""
    args = MultiDict(request.args)
    if args.get("circle") and args["circle"] not in {str(circle_id) for circle_id, _name in circles}:
        args.pop("circle")
    return args


class ShiftCard(NamedTuple):
    """What a shift card shows its reader (`shifts/_card.html`, drawn by app/shifts/cards.py)."""

    shift: Shift | ShiftRow
    activity: str
    signup: Signup | services.OwnSignup | None
    free: int
    obstacle: str | None
    position: int | None


def _card(
    shift: Shift | ShiftRow,
    signup: Signup | services.OwnSignup | None = None,
    confirmed: int | None = None,
    eligibility: services.Eligibility | None = None,
    position: int | None = None,
    activity: str | None = None,
    user: User | None = None,
) -> ShiftCard:
    """A shift's card for the current user (lists pass them, and what they read for all cards at once)."""
    if confirmed is None:
        confirmed = shift.confirmed_count  # a mapped shift read in this request, or read anew after the commit
    user = user or current_user._get_current_object()
    obstacle = None if signup else services.signup_obstacle(user, shift, eligibility=eligibility)
    if position is None and isinstance(signup, Signup):
        position = services.waitlist_position(signup)
    if activity is None:
        activity = shift.activity_type.label()
    return ShiftCard(shift, activity, signup, max(shift.capacity - confirmed, 0), obstacle, position)


# --- volunteers --------------------------------------------------------------------------------------------


@bp.get("/shifts")
@login_required
def open_shifts():
    """Upcoming shifts of the user's circles and those open to everyone, with filters."""
    user = current_user._get_current_object()
    eligibility, choices = services.shift_list_context(user, current_language(), int_arg("district"))
    args = _filter_args(choices.circles)
    form = FilterForm(args)
    form.district.choices = select_choices([("", _("All districts")), *choices.districts])
    form.circle.choices = select_choices([("", _("All circles")), *choices.circles])
    form.activity.choices = select_choices([("", _("All activities")), *choices.activities.items()])
    if request.args and not form.validate():
        return render(
            "shifts/open.html",
            block="results",
            form=form,
            filter_fields=_filter_fields(form, args, choices),
            cards=[],
            status=422,
            more=False,
        )

    day_start = datetime.min.time()
    narrow = services.ShiftListFilter(
        # With a district chosen, the circles offered are the district's.
        district_circle_ids=tuple(circle_id for circle_id, _name in choices.circles) if form.district.data else None,
        circle_id=int(form.circle.data) if form.circle.data else None,
        activity_id=int(form.activity.data) if form.activity.data else None,
        since=services.local_to_utc(datetime.combine(form.start.data, day_start)) if form.start.data else None,
        before=(
            services.local_to_utc(datetime.combine(form.end.data + timedelta(days=1), day_start))
            if form.end.data
            else None
        ),
        takeable=form.mine.data,
    )
    page = min(int_arg("page", 1), MAX_PAGES)
    wanted = PAGE_SIZE * page
    cards: list[ShiftCard] = []
    # The page and one more, to know there is more. "Only shifts I can take": SQL leaves out what it can tell
    # (own, full, a certificate or language needed), the cards' checks the few others (vetting dates, sign-up
    # window, clashes): a few spare are read, and twice as many again while the page is not full.
    batch = wanted + 1 + (TAKEABLE_SPARE if narrow.takeable else 0)
    now = utcnow()  # one time for every batch: a shift starting between two would shift the next batch's offset
    offset = 0
    while offset < MAX_SCAN:
        rows = services.open_shifts(eligibility, now, batch, offset, narrow)
        for shift, confirmed, own_status, position in rows:
            signup = services.OwnSignup(own_status) if own_status is not None else None
            activity = services.activity_name(choices, shift.activity_type_id)
            card = _card(shift, signup, confirmed, eligibility, position, activity, user)
            if narrow.takeable and (signup is not None or card.obstacle is not None or card.free == 0):
                continue
            cards.append(card)
        if len(cards) > wanted or len(rows) < batch:
            break
        offset, batch = offset + batch, 2 * batch
    more = len(cards) > wanted
    cards = cards[:wanted]
    return render(
        "shifts/open.html",
        block="results",
        form=form,
        filter_fields=_filter_fields(form, args, choices),
        cards=cards,
        more=more,
        page=page,
    )


@bp.get("/shifts/mine")
@login_required
def my_shifts():
    """The user's upcoming and past shifts, with hours and this year's total."""
    now = utcnow()
    upcoming = services.upcoming_signups(current_user, now, current_language())
    year = local_today().year
    past, total_hours = services.past_signups(current_user, now, year)
    return render(
        "shifts/mine.html",
        # The cards' counts, waitlist places and activity names came with their rows.
        upcoming=[
            _card(row.Signup.shift, row.Signup, row.confirmed, position=row.position, activity=row.activity)
            for row in upcoming
        ],
        past=past,
        year=year,
        total_hours=total_hours,
    )


@bp.get("/shifts/<int:shift_id>")
@login_required
def detail(shift_id: int):
    """A shift: where and when, free places; sign-ups, waitlist and attendance for those who run it."""
    shift = _load_shift(shift_id)
    return _detail_page(shift)


def _detail_page(shift: Shift, status: int = 200, **forms):
    manage = can_manage_shift(current_user, shift)
    signup = _own_signup(shift)
    signups = []
    if manage:
        signups = db.session.scalars(
            select(Signup)
            .where(Signup.shift_id == shift.id)
            .options(selectinload(Signup.user))
            .order_by(Signup.requested_at, Signup.id)
        ).all()
    forms.setdefault("cancel_form", CancelShiftForm(formdata=None))
    forms.setdefault("message_form", MessageForm(formdata=None))
    return render(
        "shifts/detail.html",
        status=status,
        can_manage=manage,
        confirmed=[s for s in signups if s.status is SignupStatus.CONFIRMED],
        waitlist=[s for s in signups if s.status is SignupStatus.WAITLISTED],
        withdrawn=[s for s in signups if s.status is SignupStatus.CANCELLED],
        attendance_choices=list(Attendance),
        attendance_key=secrets.token_urlsafe(24),
        contacts=services.circle_coordinators(shift.circle),
        is_over=shift.has_ended(),
        shift=shift,
        cards=[_card(shift, signup)],
        **forms,
    )


def _card_response(shift: Shift, shift_id: int, message: str, category: str = "success"):
    """After a sign-up change: the updated card for htmx, else back to where the user came from (the shift's id
    given apart: after the commit, reading it from the shift would read the shift again)."""
    if request.htmx:
        signup = _own_signup(shift)
        flash(message, category)
        if signup is None and request.form.get("then") == "remove":
            # On "My shifts" a withdrawn shift leaves the list: an empty swap removes its card.
            return render("_messages_oob.html")
        return render("shifts/_card.html", cards=[_card(shift, signup)])
    flash(message, category)
    return redirect(safe_next(request.form.get("next"), item_url("shifts.detail", shift_id=shift_id)), 303)


@bp.post("/shifts/<int:shift_id>/signup")
@login_required
def sign_up(shift_id: int):
    """Sign up; when the shift is full, join its waitlist."""
    shift = _lock_shift(shift_id, with_person=True)
    signup = services.sign_up(current_user, shift, locked=True)
    # Worded before the commit, which would have the shift and the person read again.
    if signup.status is SignupStatus.CONFIRMED:
        message = _(
            "You are signed up for %(title)s. A confirmation with a calendar entry is on its way.", title=shift.title
        )
    else:
        message = _(
            "The shift is full. You are number %(position)d on the waitlist; we will write if a place becomes free.",
            position=services.waitlist_position(signup),
        )
    category = "success" if signup.status is SignupStatus.CONFIRMED else "info"
    db.session.commit()
    return _card_response(shift, shift_id, message, category)


@bp.post("/shifts/<int:shift_id>/withdraw")
@login_required
def withdraw(shift_id: int):
    """Cancel one's own sign-up (or leave the waitlist)."""
    shift = _lock_shift(shift_id)
    signup = services.withdraw(current_user, shift, locked=True)
    # Worded before the commit, which would have the shift and the person read again.
    if signup.late_cancellation:
        message = _("You have cancelled. As it is less than 24 hours before the start, your coordinator has been told.")
    else:
        message = _("You have cancelled your sign-up for %(title)s.", title=shift.title)
    db.session.commit()
    return _card_response(shift, shift_id, message, "info")


# --- coordinators ------------------------------------------------------------------------------------------


def _shift_form(circle: Circle, shift: Shift | None) -> ShiftForm:
    form = ShiftForm(obj=None)
    activities = db.session.scalars(select(ActivityType).order_by(ActivityType.name)).all()
    form.activity_type.choices = select_choices((a.id, a.label()) for a in activities)
    places = [(str(a.id), a.name) for a in circle.accommodations]
    form.accommodation.choices = select_choices([*places, ("", _("Another place (enter the address)"))])
    form.required_language.choices = select_choices([("", _("No language needed")), *spoken_language_choices()])
    if not form.is_submitted():
        if shift is not None:
            start, end = services.utc_to_local(shift.starts_at), services.utc_to_local(shift.ends_at)
            form.title.data = shift.title
            form.activity_type.data = shift.activity_type_id
            form.accommodation.data = str(shift.accommodation_id or "")
            form.place_text.data = shift.place_text
            form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
            form.capacity.data = shift.capacity
            form.description.data = shift.description
            form.required_language.data = shift.required_language or ""
            form.requires_vetting.data = shift.requires_vetting
            form.open_to_all.data = shift.open_to_all
            form.signup_opens_hours.data = shift.signup_opens_hours
        else:
            form.capacity.data = 4
            form.accommodation.data = places[0][0] if places else ""
    return form


def _details(form: ShiftForm) -> services.ShiftDetails:
    return services.ShiftDetails(
        title=form.title.data,
        activity_type=db.session.get(ActivityType, form.activity_type.data),
        accommodation_id=int(form.accommodation.data) if form.accommodation.data else None,
        place_text=form.place_text.data or "",
        start=form.start.data,
        end=form.end.data,
        capacity=form.capacity.data,
        description=form.description.data or "",
        required_language=form.required_language.data or None,
        requires_vetting=form.requires_vetting.data,
        open_to_all=form.open_to_all.data,
        signup_opens_hours=form.signup_opens_hours.data,
    )


@bp.route("/circles/<int:circle_id>/shifts/new", methods=["GET", "POST"])
@login_required
def new(circle_id: int):
    """Plan a shift or a recurring series for a circle."""
    circle = db.get_or_404(Circle, circle_id)
    require(can_plan_shifts(current_user, circle))
    form = _shift_form(circle, None)
    if form.validate_on_submit():
        details = _details(form)
        try:
            if form.repeat.data == "none":
                shift = services.create_shift(current_user, circle, form.day.data, details)
                db.session.commit()
                flash(_("Shift %(title)s planned.", title=shift.title), "success")
                return redirect(url_for("shifts.detail", shift_id=shift.id), 303)
            series = services.create_series(
                current_user,
                circle,
                details,
                first=form.day.data,
                until=form.until.data,
                weekdays=form.weekdays.data,
                interval=int(form.repeat.data),
                skip=form.skip_dates(),
            )
            db.session.commit()
            flash(ngettext("%(num)d shift planned.", "%(num)d shifts planned.", len(series.shifts)), "success")
            return redirect(url_for("shifts.circle_shifts", circle_id=circle.id), 303)
        except DomainError as error:
            db.session.rollback()
            form[error.field or "title"].errors.append(error.message)
    return render("shifts/form.html", form=form, circle=circle, shift=None, status=form_status(form))


@bp.route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@login_required
def edit(shift_id: int):
    """Change a shift, or it and the following ones of its series."""
    shift = db.get_or_404(Shift, shift_id)
    require(can_manage_shift(current_user, shift))
    if shift.is_cancelled:
        raise DomainError(_("A cancelled shift can't be changed."))
    form = _shift_form(shift.circle, shift)
    if form.validate_on_submit():
        try:
            changed = services.update_shift(current_user, shift, _details(form), form.day.data, form.scope.data)
        except DomainError as error:
            db.session.rollback()
            form[error.field or "title"].errors.append(error.message)
        else:
            db.session.commit()
            flash(ngettext("%(num)d shift saved.", "%(num)d shifts saved.", len(changed)), "success")
            return redirect(url_for("shifts.detail", shift_id=shift.id), 303)
    return render("shifts/form.html", form=form, circle=shift.circle, shift=shift, status=form_status(form))


@bp.post("/shifts/<int:shift_id>/cancel")
@login_required
def cancel(shift_id: int):
    """Call a shift off (or it and the following ones); everyone signed up is told."""
    shift = db.get_or_404(Shift, shift_id)
    require(can_manage_shift(current_user, shift))
    form = CancelShiftForm()
    if form.validate_on_submit():
        cancelled = services.cancel_shift(current_user, shift, form.reason.data, form.scope.data)
        db.session.commit()
        flash(
            ngettext(
                "%(num)d shift cancelled; everyone signed up has been told.",
                "%(num)d shifts cancelled; everyone signed up has been told.",
                len(cancelled),
            ),
            "info",
        )
        return redirect(url_for("shifts.detail", shift_id=shift.id), 303)
    return _detail_page(shift, status=422, cancel_form=form)


@bp.post("/shifts/<int:shift_id>/message")
@login_required
def message(shift_id: int):
    """Write to everyone signed up for the shift."""
    shift = db.get_or_404(Shift, shift_id)
    require(can_manage_shift(current_user, shift))
    form = MessageForm()
    if form.validate_on_submit():
        count = services.message_helpers(current_user, shift, form.subject.data, form.text.data)
        db.session.commit()
        flash(ngettext("Message sent to %(num)d person.", "Message sent to %(num)d people.", count), "success")
        return redirect(url_for("shifts.detail", shift_id=shift.id), 303)
    return _detail_page(shift, status=422, message_form=form)


@bp.post("/shifts/<int:shift_id>/attendance")
@login_required
def attendance(shift_id: int):
    """Record who came and for how long (hours count as volunteer hours); the same form sent again is stored once."""
    shift = db.get_or_404(Shift, shift_id)
    require(can_manage_shift(current_user, shift))
    key = request.form.get("idempotency_key") or None
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise DomainError(_("This form has expired. Please reload the page and try again."), 422)
    entries: dict[int, tuple[Attendance, Decimal | None]] = {}
    for name, value in request.form.items():
        if not name.startswith("attendance-"):
            continue
        try:
            signup_id = int(name.removeprefix("attendance-"))
            outcome = Attendance(value)
            raw_hours = request.form.get(f"hours-{signup_id}", "").strip().replace(",", ".")
            hours = Decimal(raw_hours) if raw_hours else None
        except (ValueError, InvalidOperation):
            raise DomainError(_("Please choose attended or did not come, and enter hours as a number like 2.5."), 422)
        if hours is not None and not hours.is_finite():
            raise DomainError(_("Please choose attended or did not come, and enter hours as a number like 2.5."), 422)
        entries[signup_id] = (outcome, hours)
    if not entries:
        raise DomainError(_("Please choose attended or did not come for at least one person."), 422)
    count, created = services.record_attendance(current_user, shift, entries, key)
    db.session.commit()
    message = ngettext("Attendance saved for %(num)d person.", "Attendance saved for %(num)d people.", count)
    return saved(message, url_for("shifts.detail", shift_id=shift.id), created)


@bp.get("/circles/<int:circle_id>/shifts")
@login_required
def circle_shifts(circle_id: int):
    """A circle's shifts for those who plan them: upcoming, with fill and waitlist."""
    circle = db.get_or_404(Circle, circle_id)
    require(can_plan_shifts(current_user, circle))
    shifts = db.session.scalars(
        select(Shift)
        .where(Shift.circle_id == circle.id, Shift.ends_at > utcnow() - timedelta(days=14))
        .order_by(Shift.starts_at)
        .limit(200)
    ).all()
    ids = [s.id for s in shifts]
    counts = {s.id: s.confirmed_count for s in shifts}
    waiting = (
        dict(
            db.session.execute(
                select(Signup.shift_id, func.count())
                .where(Signup.shift_id.in_(ids), Signup.status == SignupStatus.WAITLISTED)
                .group_by(Signup.shift_id)
            ).all()
        )
        if ids
        else {}
    )
    return render("shifts/circle.html", circle=circle, shifts=shifts, counts=counts, waiting=waiting, now=utcnow())


# --- calendar ----------------------------------------------------------------------------------------------


@bp.get("/shifts/calendar")
@login_required
def calendar():
    """The private calendar feed address, to subscribe to one's shifts."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    return render("shifts/calendar.html", feed=feed)


@bp.post("/shifts/calendar")
@login_required
def calendar_renew():
    """Create the feed address, or replace it so the old one stops working."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    if feed is None:
        db.session.add(CalendarFeed(user_id=current_user.id))
        flash(_("Your calendar address is ready."), "success")
    else:
        feed.renew()
        flash(_("Your calendar has a new address; the old one no longer works."), "success")
    db.session.commit()
    return redirect(url_for("shifts.calendar"), 303)


@bp.post("/shifts/calendar/revoke")
@login_required
def calendar_revoke():
    """Switch the feed off."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    if feed is not None:
        db.session.delete(feed)
        db.session.commit()
    flash(_("Your calendar address no longer works."), "info")
    return redirect(url_for("shifts.calendar"), 303)


@bp.get("/calendar/<token>.ics")
@csrf.exempt
def feed(token: str):
    """The iCalendar feed behind a secret address (calendar apps can't log in)."""
    calendar_feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if calendar_feed is None:
        abort(404)
    user = db.session.get(User, calendar_feed.user_id)
    if not user.is_enabled:
        abort(404)
    dialogs = [dialog_event(dialog) for dialog in feed_dialogs(user)]
    body = services.calendar_for(services.feed_shifts(user), "Lotse", dialogs)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    # Calendar apps poll the feed; when nothing changed they get 304. DTSTAMP is the time of writing and
    # changes every time, so it is left out of the tag.
    response.set_etag(hashlib.sha256(DTSTAMP_LINE.sub(b"", body)).hexdigest()[:32], weak=True)
    return response.make_conditional(request)


# --- activity types ----------------------------------------------------------------------------------------


@bp.get("/activities")
@login_required
def activities():
    """The managed list of activity types."""
    require(can_manage_activities(current_user))
    items = db.session.scalars(select(ActivityType).order_by(ActivityType.name)).all()
    return render("shifts/activities.html", activities=items)


@bp.route("/activities/new", methods=["GET", "POST"])
@login_required
def activity_new():
    """Add an activity type."""
    require(can_manage_activities(current_user))
    return _save_activity(None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def activity_edit(activity_id: int):
    """Rename an activity type or translate its name."""
    activity = db.get_or_404(ActivityType, activity_id)
    require(can_manage_activities(current_user))
    return _save_activity(activity)


def _save_activity(activity: ActivityType | None):
    form = names_form(activity)
    if form.validate_on_submit():
        try:
            activity = services.save_activity_type(current_user, submitted_names(form), activity)
        except DomainError as error:
            form[error.field or "name_de"].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Activity %(name)s saved.", name=activity.name), "success")
            return redirect(url_for("shifts.activities"), 303)
    return render("shifts/activity_form.html", form=form, activity=activity, status=form_status(form))
