"""Privacy: what Lotse stores and why, one's own data, deleting an account, the audit log."""

from __future__ import annotations

import json
from datetime import datetime, time

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import find_user_by_email
from app.database import LOCAL_TIMEZONE
from app.errors import DomainError
from app.extensions import db
from app.forms import select_choices
from app.passwords import verify_password
from app.privacy import bp, services
from app.privacy.audit import ACTIONS
from app.privacy.forms import AuditFilterForm, DeleteAccountForm, DeleteOnRequestForm, FindPersonForm
from app.privacy.models import AuditEntry
from app.privacy.policies import can_delete_on_request, can_read_audit_log
from app.privacy.readable import readable_data
from app.views import form_status, int_arg, render, require

AUDIT_PAGE_SIZE = 50

ACTION_LABELS = {
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role revoked"),
    "vetting.record": _l("Vetting recorded"),
    "proposal.approve": _l("Grant approved"),
    "proposal.reject": _l("Proposal rejected"),
    "proposal.grant_change": _l("Grant changed"),
    "account.delete": _l("Account deleted"),
    "account.purge": _l("Account removed by retention"),
    "data.export": _l("Personal data downloaded"),
}


@bp.get("/privacy")
def privacy():
    """What Lotse stores, why, for how long, and the person's rights."""
    return render("privacy/privacy.html")


@bp.get("/account/data")
@login_required
def my_data():
    """Everything Lotse holds about the signed-in person, readable."""
    return render("privacy/my_data.html", data=readable_data(services.personal_data(current_user)))


@bp.get("/account/data.json")
@login_required
def my_data_json():
    """Everything Lotse holds about the signed-in person, as a JSON file."""
    data = services.personal_data(current_user)
    services.record_export(current_user)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="lotse-my-data.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete one's own account after confirming with the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append(_("The password is not correct."))
        else:
            person = current_user._get_current_object()
            result = services.delete_account(person, person)
            db.session.commit()
            logout_user()
            flash(
                _("Your account has been deleted. Thank you for everything you did.")
                if not result.shifts_left
                else _("Your account has been deleted; your coming shifts were handed back. Thank you!"),
                "success",
            )
            return redirect(url_for("main.index"), 303)
    return render("privacy/delete.html", form=form, status=form_status(form))


@bp.get("/people/delete")
@login_required
def find_person():
    """Staff look up the account of someone who asked to be deleted."""
    require(can_read_audit_log(current_user))
    form = FindPersonForm(request.args)
    person = None
    if request.args:
        if not form.validate():
            return render("privacy/find_person.html", form=form, person=None, status=422)
        person = find_user_by_email(form.email.data)
        if person is None or person.deleted_at is not None:
            form.email.errors.append(_("There is no account with this e-mail address."))
            return render("privacy/find_person.html", form=form, person=None, status=404)
    return render(
        "privacy/find_person.html",
        form=form,
        person=person,
        can_delete=person is not None and can_delete_on_request(current_user, person),
        delete_form=DeleteOnRequestForm(formdata=None),
    )


@bp.post("/people/<int:user_id>/delete")
@login_required
def delete_on_request(user_id: int):
    """Delete someone's account on their request; the reason is recorded in the audit log."""
    person = db.get_or_404(User, user_id)
    require(can_delete_on_request(current_user, person))
    form = DeleteOnRequestForm()
    if not form.validate_on_submit():
        return render(
            "privacy/find_person.html",
            form=FindPersonForm(formdata=None, email=person.email),
            person=person,
            can_delete=True,
            delete_form=form,
            status=422,
        )
    if person.is_admin and _last_admin(person):
        raise DomainError(_("The last administrator can't be deleted."), 409)
    services.delete_account(person, current_user, form.reason.data)
    db.session.commit()
    flash(_("The account has been deleted and the deletion recorded."), "success")
    return redirect(url_for("privacy.audit_log"), 303)


def _last_admin(person: User) -> bool:
    from sqlalchemy import func

    from app.auth.models import RoleGrant

    admins = db.session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.role == Role.ADMIN))
    return admins <= 1


@bp.get("/audit")
@login_required
def audit_log():
    """The audit log of privileged actions, newest first, with filters."""
    require(can_read_audit_log(current_user))
    form = AuditFilterForm(request.args)
    form.action.choices = select_choices([("", _("All actions")), *((a, ACTION_LABELS[a]) for a in ACTIONS)])
    page = int_arg("page", 1)
    if request.args and not form.validate():
        return render(
            "privacy/audit.html",
            block="results",
            form=form,
            entries=[],
            more=False,
            page=1,
            labels=ACTION_LABELS,
            status=422,
        )
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.start.data:
        query = query.where(AuditEntry.at >= datetime.combine(form.start.data, time.min, LOCAL_TIMEZONE))
    if form.end.data:
        query = query.where(AuditEntry.at <= datetime.combine(form.end.data, time.max, LOCAL_TIMEZONE))
    entries = db.session.scalars(query.limit(AUDIT_PAGE_SIZE * page + 1)).all()
    return render(
        "privacy/audit.html",
        block="results",
        form=form,
        entries=entries[: AUDIT_PAGE_SIZE * page],
        more=len(entries) > AUDIT_PAGE_SIZE * page,
        page=page,
        labels=ACTION_LABELS,
    )
