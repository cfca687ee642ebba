"""Districts, accommodations and circles; join requests, coordinators and vetting records."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, RoleGrant, User
from app.auth.policies import can_invite
from app.auth.services import find_user_by_email
from app.database import local_today
from app.errors import DomainError
from app.extensions import db, limiter
from app.forms import select_choices
from app.places import bp, services
from app.places.forms import AccommodationForm, AppointCoordinatorForm, CircleForm, DistrictForm, VettingForm
from app.places.models import (
    Accommodation,
    AccommodationKind,
    Circle,
    CircleMembership,
    District,
    MembershipStatus,
    VettingRecord,
)
from app.places.policies import can_manage_circle, can_manage_places, can_record_vetting, can_request_join
from app.views import form_status, int_arg, render, require


def _district_choices() -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in db.session.scalars(select(District).order_by(District.name))]


# --- districts -------------------------------------------------------------------------------------------


@bp.get("/districts")
@login_required
def district_list():
    """The city's districts with their accommodations, places and circles."""
    places = (
        select(
            District.id,
            func.count(Accommodation.id),
            func.coalesce(func.sum(Accommodation.planned_places), 0),
        )
        .outerjoin(Accommodation, Accommodation.district_id == District.id)
        .group_by(District.id)
    )
    totals = {row[0]: (row[1], row[2]) for row in db.session.execute(places)}
    circles = dict(
        db.session.execute(select(Circle.district_id, func.count(Circle.id)).group_by(Circle.district_id)).all()
    )
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    return render(
        "places/districts.html",
        districts=districts,
        totals=totals,
        circle_counts=circles,
        can_manage=can_manage_places(current_user),
    )


@bp.get("/districts/<int:district_id>")
@login_required
def district_detail(district_id: int):
    """One district: its accommodations and circles."""
    district = db.get_or_404(District, district_id)
    return render("places/district.html", district=district, can_manage=can_manage_places(current_user))


@bp.route("/districts/new", methods=["GET", "POST"])
@login_required
def district_new():
    """Add a district (another city is a data change, not a code change)."""
    require(can_manage_places(current_user))
    return _district_form(None)


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
@login_required
def district_edit(district_id: int):
    """Rename a district."""
    district = db.get_or_404(District, district_id)
    require(can_manage_places(current_user))
    return _district_form(district)


def _district_form(district: District | None):
    form = DistrictForm(obj=district)
    if form.validate_on_submit():
        try:
            district = services.save_district(current_user, form.name.data, district)
        except DomainError as error:
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("District %(name)s saved.", name=district.name), "success")
            return redirect(url_for("places.district_detail", district_id=district.id), 303)
    return render("places/district_form.html", form=form, district=district, status=form_status(form))


# --- accommodations --------------------------------------------------------------------------------------


@bp.get("/accommodations")
@login_required
def accommodation_list():
    """All accommodations; large ones are flagged."""
    kind = request.args.get("kind", "")
    district_id = int_arg("district")
    query = select(Accommodation).options(selectinload(Accommodation.district)).order_by(Accommodation.name)
    if kind in {k.value for k in AccommodationKind}:
        query = query.where(Accommodation.kind == AccommodationKind(kind))
    if district_id:
        query = query.where(Accommodation.district_id == district_id)
    accommodations = db.session.scalars(query).all()
    return render(
        "places/accommodations.html",
        block="results",
        accommodations=accommodations,
        districts=_district_choices(),
        kinds=list(AccommodationKind),
        selected_kind=kind,
        selected_district=district_id,
        can_manage=can_manage_places(current_user),
    )


@bp.route("/accommodations/new", methods=["GET", "POST"])
@login_required
def accommodation_new():
    """Add an accommodation."""
    require(can_manage_places(current_user))
    return _accommodation_form(None)


@bp.route("/accommodations/<int:accommodation_id>/edit", methods=["GET", "POST"])
@login_required
def accommodation_edit(accommodation_id: int):
    """Edit an accommodation."""
    accommodation = db.get_or_404(Accommodation, accommodation_id)
    require(can_manage_places(current_user))
    return _accommodation_form(accommodation)


def _accommodation_form(accommodation: Accommodation | None):
    form = AccommodationForm(obj=accommodation)
    form.district.choices = select_choices(_district_choices())
    if not form.is_submitted():
        if accommodation is not None:
            form.district.data = accommodation.district_id
            form.kind.data = accommodation.kind.value
        elif int_arg("district"):
            form.district.data = int_arg("district")
    if form.validate_on_submit():
        district = db.session.get(District, form.district.data)
        accommodation = services.save_accommodation(
            current_user,
            name=form.name.data,
            district=district,
            kind=AccommodationKind(form.kind.data),
            planned_places=form.planned_places.data,
            address=form.address.data or "",
            accommodation=accommodation,
        )
        db.session.commit()
        flash(_("Accommodation %(name)s saved.", name=accommodation.name), "success")
        if accommodation.is_large:
            flash(
                _(
                    "%(name)s has more than 250 planned places. The city avoids accommodations of this size.",
                    name=accommodation.name,
                ),
                "warning",
            )
        return redirect(url_for("places.district_detail", district_id=accommodation.district_id), 303)
    return render("places/accommodation_form.html", form=form, accommodation=accommodation, status=form_status(form))


# --- circles ---------------------------------------------------------------------------------------------


@bp.get("/circles")
@login_required
def circle_list():
    """Every circle, with the viewer's membership; filter by district."""
    district_id = int_arg("district")
    query = select(Circle).options(selectinload(Circle.district), selectinload(Circle.accommodations))
    if district_id:
        query = query.where(Circle.district_id == district_id)
    circles = db.session.scalars(query.order_by(Circle.name)).all()
    memberships = {
        m.circle_id: m
        for m in db.session.scalars(select(CircleMembership).where(CircleMembership.user_id == current_user.id))
    }
    return render(
        "places/circles.html",
        block="results",
        circles=circles,
        memberships=memberships,
        districts=_district_choices(),
        selected_district=district_id,
        can_manage=can_manage_places(current_user),
    )


def _circle_page(circle: Circle, status: int = 200, block: str | None = None, **extra):
    manage = can_manage_circle(current_user, circle)
    members = pending = []
    vetting: dict[int, VettingRecord] = {}
    if manage:
        memberships = db.session.scalars(
            select(CircleMembership)
            .where(CircleMembership.circle_id == circle.id)
            .options(selectinload(CircleMembership.user))
            .join(User, User.id == CircleMembership.user_id)
            .order_by(User.name)
        ).all()
        members = [m for m in memberships if m.status is MembershipStatus.ACTIVE]
        pending = [m for m in memberships if m.status is MembershipStatus.PENDING]
        member_ids = [m.user_id for m in members]
        if member_ids:
            # The newest record per member; older ones stay as history.
            for record in db.session.scalars(
                select(VettingRecord).where(VettingRecord.user_id.in_(member_ids)).order_by(VettingRecord.valid_until)
            ):
                vetting[record.user_id] = record
    extra.setdefault("appoint_form", AppointCoordinatorForm(formdata=None))
    return render(
        "places/circle.html",
        block=block,
        status=status,
        circle=circle,
        membership=services.membership_of(current_user, circle),
        coordinators=services.coordinators_of(circle),
        members=members,
        pending=pending,
        vetting=vetting,
        can_manage=manage,
        can_edit=can_manage_places(current_user),
        can_join=can_request_join(current_user, circle),
        can_invite=can_invite(current_user, Role.VOLUNTEER, circle.id),
        today=local_today(),
        **extra,
    )


@bp.get("/circles/<int:circle_id>")
@login_required
def circle_detail(circle_id: int):
    """A circle: what it does, its coordinators; members and requests for those who run it."""
    circle = db.get_or_404(Circle, circle_id)
    return _circle_page(circle)


@bp.route("/circles/new", methods=["GET", "POST"])
@login_required
def circle_new():
    """Found a circle."""
    require(can_manage_places(current_user))
    return _circle_form(None)


@bp.route("/circles/<int:circle_id>/edit", methods=["GET", "POST"])
@login_required
def circle_edit(circle_id: int):
    """Edit a circle and the accommodations it serves."""
    circle = db.get_or_404(Circle, circle_id)
    require(can_manage_places(current_user))
    return _circle_form(circle)


def _circle_form(circle: Circle | None):
    form = CircleForm(obj=circle)
    form.district.choices = select_choices(_district_choices())
    accommodations = db.session.scalars(
        select(Accommodation).options(selectinload(Accommodation.district)).order_by(Accommodation.name)
    ).all()
    form.accommodations.choices = select_choices((a.id, f"{a.name} ({a.district.name})") for a in accommodations)
    if not form.is_submitted():
        if circle is not None:
            form.district.data = circle.district_id
            form.accommodations.data = [a.id for a in circle.accommodations]
        elif int_arg("district"):
            form.district.data = int_arg("district")
    if form.validate_on_submit():
        chosen = [a for a in accommodations if a.id in set(form.accommodations.data or [])]
        try:
            circle = services.save_circle(
                current_user,
                name=form.name.data,
                district=db.session.get(District, form.district.data),
                accommodations=chosen,
                description=form.description.data or "",
                circle=circle,
            )
        except DomainError as error:
            form[error.field or "name"].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Circle %(name)s saved.", name=circle.name), "success")
            return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)
    return render("places/circle_form.html", form=form, circle=circle, status=form_status(form))


@bp.post("/circles/<int:circle_id>/join")
@login_required
# Each request mails the coordinators: joining and leaving in a loop must not flood their inboxes.
@limiter.limit("5 per hour", key_func=lambda: f"join:{getattr(current_user, 'id', None)}")
def circle_join(circle_id: int):
    """Ask to join a circle."""
    circle = db.get_or_404(Circle, circle_id)
    require(can_request_join(current_user, circle))
    services.request_join(current_user, circle)
    db.session.commit()
    flash(_("Your request to join %(circle)s has been sent to its coordinators.", circle=circle.name), "success")
    return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)


@bp.post("/circles/<int:circle_id>/leave")
@login_required
def circle_leave(circle_id: int):
    """Leave a circle, or withdraw a request to join."""
    circle = db.get_or_404(Circle, circle_id)
    services.leave_circle(current_user, circle)
    db.session.commit()
    flash(_("You have left %(circle)s.", circle=circle.name), "info")
    return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)


def _membership_in(circle: Circle, membership_id: int) -> CircleMembership:
    membership = db.get_or_404(CircleMembership, membership_id)
    if membership.circle_id != circle.id:
        abort(404)
    return membership


@bp.post("/circles/<int:circle_id>/requests/<int:membership_id>/<any(approve, decline):decision>")
@login_required
def circle_decide(circle_id: int, membership_id: int, decision: str):
    """Approve or decline a join request."""
    circle = db.get_or_404(Circle, circle_id)
    membership = _membership_in(circle, membership_id)
    require(can_manage_circle(current_user, circle))
    services.decide_membership(current_user, membership, approve=decision == "approve")
    db.session.commit()
    if decision == "approve":
        flash(
            _("%(name)s is now a member of %(circle)s.", name=membership.user.name, circle=circle.name),
            "success",
        )
    else:
        flash(_("The request of %(name)s was declined.", name=membership.user.name), "info")
    return (
        _circle_page(circle, block="members")
        if request.htmx
        else redirect(url_for("places.circle_detail", circle_id=circle.id), 303)
    )


@bp.post("/circles/<int:circle_id>/coordinators")
@login_required
def circle_appoint(circle_id: int):
    """Make a registered user coordinator of this circle."""
    circle = db.get_or_404(Circle, circle_id)
    require(can_manage_places(current_user))
    form = AppointCoordinatorForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account uses this e-mail address. Invite the person first."))
        else:
            try:
                services.appoint_coordinator(current_user, circle, user)
            except DomainError as error:
                form.email.errors.append(error.message)
            else:
                db.session.commit()
                flash(_("%(name)s now coordinates %(circle)s.", name=user.name, circle=circle.name), "success")
                return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)
    return _circle_page(circle, status=422, appoint_form=form)


@bp.post("/circles/<int:circle_id>/coordinators/<int:grant_id>/remove")
@login_required
def circle_unappoint(circle_id: int, grant_id: int):
    """End someone's coordinator role for this circle; they stay a member."""
    circle = db.get_or_404(Circle, circle_id)
    grant = db.get_or_404(RoleGrant, grant_id)
    if grant.circle_id != circle.id or grant.role is not Role.COORDINATOR:
        abort(404)
    require(can_manage_places(current_user))
    name = grant.user.name
    services.unappoint_coordinator(current_user, grant)
    db.session.commit()
    flash(_("%(name)s no longer coordinates %(circle)s.", name=name, circle=circle.name), "info")
    return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)


@bp.route("/circles/<int:circle_id>/members/<int:user_id>/vetting", methods=["GET", "POST"])
@login_required
def vetting(circle_id: int, user_id: int):
    """Record that a member's certificate of good conduct was seen, and until when it is valid."""
    circle = db.get_or_404(Circle, circle_id)
    member = db.get_or_404(User, user_id)
    require(can_record_vetting(current_user, circle))
    membership = services.membership_of(member, circle)
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        abort(404)
    form = VettingForm()
    if form.validate_on_submit():
        try:
            services.record_vetting(current_user, circle, member, form.seen_on.data, form.valid_until.data)
        except DomainError as error:
            form.valid_until.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Vetting record for %(name)s saved.", name=member.name), "success")
            return redirect(url_for("places.circle_detail", circle_id=circle.id), 303)
    history = db.session.scalars(
        select(VettingRecord)
        .where(VettingRecord.user_id == member.id)
        .options(selectinload(VettingRecord.recorded_by))
        .order_by(VettingRecord.recorded_at.desc())
    ).all()
    return render(
        "places/vetting.html",
        form=form,
        circle=circle,
        member=member,
        history=history,
        status=form_status(form),
    )
