"""Register, log in and out, reset and change passwords, profile, invitations, spoken languages."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.auth import bp, services
from app.auth.forms import (
    AcceptInvitationForm,
    AddLanguageForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.auth.models import ROLE_LABELS, LanguageLevel, Role, UserLanguage
from app.auth.policies import can_invite, invitable_roles
from app.errors import DomainError
from app.extensions import db, limiter
from app.forms import select_choices
from app.i18n import current_language, endonym, spoken_language_choices
from app.places.models import Circle
from app.views import form_status, render, require, safe_next


def _locale_choices() -> list[tuple[str, str]]:
    return [(code, endonym(code)) for code in current_app.config["LANGUAGES"]]


def _login_account_key() -> str:
    return "login:" + services.normalize_email(request.form.get("email", ""))[:254]


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a volunteer account."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.locale.choices = select_choices(_locale_choices())
    if not form.is_submitted():
        form.locale.data = current_language()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.name.data, form.email.data, form.password.data, form.locale.data)
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome to Lotse, %(name)s! Join a circle to see its shifts.", name=user.name), "success")
            return redirect(url_for("places.circle_list"), 303)
    return render("auth/register.html", form=form, status=form_status(form))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"], methods=["POST"], key_func=_login_account_key)
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, url_for("main.index")), 303)
        # One message for unknown e-mail and wrong password: no hint whether an account exists.
        form.password.errors.append(_("E-mail address or password is not correct."))
    return render("auth/login.html", form=form, status=form_status(form))


@bp.post("/logout")
@login_required
def logout():
    """End the session (a POST, so that no link or image can log anyone out)."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"], methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent a link to reset the password. "
                "Please check your inbox.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("auth.login"), 303)
    return render("auth/forgot_password.html", form=form, status=form_status(form))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link."""
    user = services.user_for_reset_token(token)
    if user is None:
        return render("auth/reset_invalid.html", status=410)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password has been changed. Please log in with the new password."), "success")
        return redirect(url_for("auth.login"), 303)
    return render("auth/reset_password.html", form=form, status=form_status(form))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    """Name, interface language and the languages a person speaks."""
    form = ProfileForm(obj=current_user)
    form.locale.choices = select_choices(_locale_choices())
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"), 303)
    return _render_profile(form=form, status=form_status(form))


def _render_profile(form=None, language_form=None, status=200):
    if form is None:
        form = ProfileForm(obj=current_user, formdata=None)
        form.locale.choices = select_choices(_locale_choices())
    if language_form is None:
        language_form = AddLanguageForm(formdata=None)
    language_form.code.choices = select_choices([("", _("Choose a language")), *spoken_language_choices()])
    return render(
        "auth/profile.html",
        block="languages",
        form=form,
        language_form=language_form,
        spoken=current_user.languages,
        status=status,
    )


@bp.post("/account/languages")
@login_required
def add_language():
    """Add a spoken language with its level."""
    language_form = AddLanguageForm()
    language_form.code.choices = select_choices([("", ""), *spoken_language_choices()])
    if language_form.validate_on_submit():
        services.add_language(current_user, language_form.code.data, LanguageLevel(language_form.level.data))
        db.session.commit()
        return _render_profile(language_form=AddLanguageForm(formdata=None))
    return _render_profile(language_form=language_form, status=422)


@bp.post("/account/languages/<int:language_id>/delete")
@login_required
def remove_language(language_id: int):
    """Remove a spoken language from the profile."""
    entry = db.get_or_404(UserLanguage, language_id)
    require(entry.user_id == current_user.id)
    services.remove_language(current_user, entry)
    db.session.commit()
    return _render_profile()


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; other sessions of this account end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            form.current_password.errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the token rotated: keep this device signed in
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.profile"), 303)
    return render("auth/change_password.html", form=form, status=form_status(form))


def _invite_circle_choices() -> list[tuple[str, str]]:
    query = select(Circle).order_by(Circle.name)
    if not current_user.is_staff:
        query = query.where(Circle.id.in_(current_user.coordinated_circle_ids))
    circles = db.session.scalars(query).all()
    choices = [(str(c.id), c.name) for c in circles]
    if current_user.is_staff:
        choices.insert(0, ("", _("No circle")))
    return choices


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite():
    """Invite someone by e-mail with a role (and circle)."""
    require(can_invite(current_user))
    form = InviteForm()
    form.role.choices = select_choices((role.value, ROLE_LABELS[role]) for role in invitable_roles(current_user))
    form.circle.choices = select_choices(_invite_circle_choices())
    if not form.is_submitted() and request.args.get("circle"):
        form.circle.data = request.args["circle"]
    if form.validate_on_submit():
        role = Role(form.role.data)
        circle_id = int(form.circle.data) if form.circle.data else None
        require(can_invite(current_user, role, circle_id))
        try:
            invitation = services.create_invitation(current_user, form.email.data, role, circle_id)
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("auth.invite"), 303)
    return render(
        "auth/invite.html",
        form=form,
        valid_days=current_app.config["INVITATION_MAX_AGE_DAYS"],
        status=form_status(form),
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Create an account from an invitation link."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render("auth/invitation_invalid.html", status=410)
    form = AcceptInvitationForm()
    form.locale.choices = select_choices(_locale_choices())
    if not form.is_submitted():
        form.locale.data = current_language()
    if current_user.is_authenticated:
        # The page asks to log out first; accepting would otherwise mix up two people's accounts.
        return render(
            "auth/accept_invitation.html",
            form=form,
            invitation=invitation,
            status=409 if form.is_submitted() else 200,
        )
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, form.name.data, form.password.data, form.locale.data)
        except DomainError as error:
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome to Lotse, %(name)s!", name=user.name), "success")
            return redirect(url_for("main.index"), 303)
    return render("auth/accept_invitation.html", form=form, invitation=invitation, status=form_status(form))
