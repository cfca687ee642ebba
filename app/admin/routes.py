"""Administrators manage users and their roles."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from app.admin import bp
from app.auth import services
from app.auth.forms import GrantRoleForm
from app.auth.models import Role, RoleGrant, User
from app.auth.policies import can_manage_outbox, can_manage_roles
from app.errors import DomainError
from app.extensions import db
from app.forms import select_choices
from app.mail import send_now, writer_label
from app.mail.models import OutboxMail
from app.places.models import Circle
from app.views import form_status, int_arg, render, require

PAGE_SIZE = 50


@bp.get("/users")
@login_required
def user_list():
    """All accounts, searchable by name or e-mail."""
    require(can_manage_roles(current_user))
    query_text = request.args.get("q", "").strip()[:100]
    page = int_arg("page", 1)
    query = select(User).order_by(User.name)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), User.email.like(pattern)))
    users = db.paginate(query, page=max(page, 1), per_page=PAGE_SIZE, error_out=False)
    return render("admin/users.html", block="results", users=users, q=query_text)


def _circle_choices() -> list[tuple[str, str]]:
    circles = db.session.scalars(select(Circle).order_by(Circle.name)).all()
    return [("", _("No circle"))] + [(str(c.id), c.name) for c in circles]


@bp.get("/users/<int:user_id>")
@login_required
def user_detail(user_id: int):
    """One account with its roles."""
    user = db.get_or_404(User, user_id)
    require(can_manage_roles(current_user))
    form = GrantRoleForm(formdata=None)
    form.circle.choices = select_choices(_circle_choices())
    return render("admin/user.html", block="roles", user=user, form=form)


@bp.post("/users/<int:user_id>/roles")
@login_required
def grant_role(user_id: int):
    """Give a user a role."""
    user = db.get_or_404(User, user_id)
    require(can_manage_roles(current_user))
    form = GrantRoleForm()
    form.circle.choices = select_choices(_circle_choices())
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            services.grant_role(current_user, user, role, int(form.circle.data) if form.circle.data else None)
        except DomainError as error:
            form.role.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Role given to %(name)s: %(role)s", name=user.name, role=role.label), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id), 303)
    return render("admin/user.html", block="roles", user=user, form=form, status=form_status(form))


@bp.post("/users/<int:user_id>/roles/<int:grant_id>/revoke")
@login_required
def revoke_role(user_id: int, grant_id: int):
    """Take a role away from a user."""
    user = db.get_or_404(User, user_id)
    grant = db.get_or_404(RoleGrant, grant_id)
    require(can_manage_roles(current_user))
    if grant.user_id != user.id:
        abort(404)
    role = grant.role
    services.revoke_role(current_user, grant)
    db.session.commit()
    flash(_("Role taken from %(name)s: %(role)s", name=user.name, role=role.label), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id), 303)


# --- outgoing mail -------------------------------------------------------------------------------------------


@bp.get("/mail")
@login_required
def outbox():
    """Mail that has not gone out: how much waits for the mailer, and each mail that failed, with its error."""
    require(can_manage_outbox(current_user))
    page = int_arg("page", 1)
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMail.queued_at)).where(
            OutboxMail.attempts == 0, OutboxMail.failed_at.is_(None)
        )
    ).one()
    # Given up first (nothing more happens to them without an administrator), then the newest.
    query = (
        select(OutboxMail).where(OutboxMail.attempts > 0).order_by(OutboxMail.failed_at.is_(None), OutboxMail.id.desc())
    )
    mails = db.paginate(query, page=max(page, 1), per_page=PAGE_SIZE, error_out=False)
    return render(
        "admin/outbox.html", block="results", mails=mails, waiting=waiting, oldest=oldest, writer_label=writer_label
    )


def _outbox_mail(mail_id: int) -> OutboxMail:
    require(can_manage_outbox(current_user))
    return db.get_or_404(OutboxMail, mail_id)


@bp.post("/mail/<int:mail_id>/send")
@login_required
def outbox_send(mail_id: int):
    """Send a mail that failed at once, and say how it went."""
    mail = _outbox_mail(mail_id)
    recipient = mail.recipient
    result = send_now(mail)
    if result.sent:
        flash(_("The mail to %(address)s has been sent.", address=recipient), "success")
    elif result.dropped:
        flash(_("The mail to %(address)s is no longer needed and has been removed.", address=recipient), "info")
    else:
        error = db.session.scalar(select(OutboxMail.last_error).where(OutboxMail.id == mail_id)) or ""
        flash(_("The mail to %(address)s could not be sent: %(error)s", address=recipient, error=error), "error")
    return redirect(url_for("admin.outbox"), 303)


@bp.post("/mail/<int:mail_id>/delete")
@login_required
def outbox_delete(mail_id: int):
    """Delete a mail that will not go out (an address that no longer exists)."""
    mail = _outbox_mail(mail_id)
    recipient = mail.recipient
    db.session.delete(mail)
    db.session.commit()
    flash(_("The mail to %(address)s has been deleted.", address=recipient), "info")
    return redirect(url_for("admin.outbox"), 303)
