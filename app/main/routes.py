"""Start page, language switch, health check."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from app.auth.models import Role
from app.database import utcnow
from app.dialogs import services as dialog_services
from app.dialogs.policies import can_see_dialogs
from app.extensions import csrf, db, talisman
from app.main import bp
from app.places.models import Circle, CircleMembership, MembershipStatus
from app.shifts.models import Shift, ShiftStatus, Signup, SignupStatus
from app.views import render, safe_next


@bp.get("/")
def index():
    """Dashboard for a signed-in user, a short introduction for everyone else."""
    if not current_user.is_authenticated:
        return render("main/landing.html")
    memberships = db.session.scalars(
        select(CircleMembership).where(CircleMembership.user_id == current_user.id).join(Circle).order_by(Circle.name)
    ).all()
    coordinated = current_user.coordinated_circle_ids
    pending_requests = []
    if coordinated:
        pending_requests = db.session.scalars(
            select(CircleMembership)
            .where(
                CircleMembership.circle_id.in_(coordinated),
                CircleMembership.status == MembershipStatus.PENDING,
            )
            .order_by(CircleMembership.requested_at)
        ).all()
    next_shifts = db.session.scalars(
        select(Signup)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.user_id == current_user.id, Signup.status == SignupStatus.CONFIRMED)
        .where(Shift.status == ShiftStatus.SCHEDULED, Shift.ends_at > utcnow())
        .options(selectinload(Signup.shift).selectinload(Shift.accommodation))
        .order_by(Shift.starts_at)
        .limit(3)
    ).all()
    dialogs = {}
    if can_see_dialogs(current_user):
        dialogs = {
            "next_dialogs": [d for d in dialog_services.feed_dialogs(current_user) if d.ends_at > utcnow()][:3],
            "open_requests": dialog_services.count_open_requests(current_user),
            "unlogged": dialog_services.unlogged_dialogs(current_user) if current_user.has_role(Role.MODERATOR) else [],
        }
    from app.proposals import services as proposal_services
    from app.proposals.policies import can_review

    proposals = proposal_services.dashboard_counts(current_user, can_review(current_user))
    return render(
        "main/dashboard.html",
        **dialogs,
        **proposals,
        next_shifts=next_shifts,
        memberships=memberships,
        pending_requests=pending_requests,
        can_manage_places=current_user.is_staff,
    )


@bp.post("/language")
def set_language():
    """Switch the interface language; stored on the account when signed in."""
    code = request.form.get("locale", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400, description=_("This language is not available."))
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")), 303)


@bp.get("/healthz")
@csrf.exempt
@talisman(force_https=False)  # Fly's health checks reach the machine over plain HTTP
def healthz():
    """Liveness and database reachability for Fly's health check."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
