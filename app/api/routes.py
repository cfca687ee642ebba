"""The read API: my shifts, open shifts, my interpreter assignments (JSON, personal access tokens), and the
page under the account menu where people create and revoke their tokens."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import bp, services
from app.api.forms import TokenForm
from app.api.models import AccessToken, token_digest
from app.api.policies import can_manage_tokens, can_read_assignments, can_revoke_token
from app.database import utcnow
from app.dialogs.services import assignments_of
from app.errors import DomainError
from app.extensions import db, limiter
from app.i18n import current_language, language_name
from app.shifts import services as shift_services
from app.templating import item_url
from app.views import form_status, int_arg, json_error, public_base, public_url, render, require

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
# A page of open shifts: what a phone shows on a screen or two; `next` brings the following ones.
OPEN_SHIFTS_DEFAULT, OPEN_SHIFTS_MAX = 20, 100


def _bearer_token() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _rate_key() -> str:
    """Each token has its own budget (keyed by part of its hash); requests without one share their address's."""
    token = _bearer_token()
    return f"token:{token_digest(token)[:24]}" if token else f"ip:{request.remote_addr}"


def _rate_limit() -> str:
    return current_app.config["RATELIMIT_API"]


def token_required(view):
    """Authenticate by personal access token (never by the session cookie), as g.api_user."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token()
        user, noted = services.user_for_token(token) if token else (None, False)
        if user is None:
            return json_error(401, _("A valid access token is needed (Authorization: Bearer <token>)."))
        if noted:
            db.session.commit()  # when the token was last used (at most once a minute)
        g.api_user = user
        g.signed_in_user_id = user.id  # for the request log
        return view(*args, **kwargs)

    return limiter.limit(_rate_limit, key_func=_rate_key)(wrapper)


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _shift_fields(shift, activity: str) -> dict:
    return {
        "id": shift.id,
        "title": shift.title,
        "activity": activity,
        "starts_at": _iso(shift.starts_at),
        "ends_at": _iso(shift.ends_at),
        "place": shift.place,
        "circle": shift.circle_name,
        "url": public_base() + item_url("shifts.detail", shift_id=shift.id),
    }


@bp.get("/api/v1/shifts/mine")
@token_required
def my_shifts():
    """The user's shifts to come: confirmed or on the waitlist, soonest first."""
    user = g.api_user
    # Held for the request: the session keeps them only while referenced.
    g.activity_types = shift_services.activity_types_with_names()
    signups = shift_services.own_signups(user, utcnow())
    stats = shift_services.signup_stats(user, [s.shift_id for s in signups])
    return jsonify(
        {
            "shifts": [
                {
                    **_shift_fields(signup.shift, signup.shift.activity_type.label()),
                    "status": signup.status.value,
                    "waitlist_position": stats.positions.get(signup.id),
                }
                for signup in signups
            ]
        }
    )


@bp.get("/api/v1/shifts/open")
@token_required
def open_shifts():
    """Shifts to come of the user's circles and those open to all, soonest first, with free places and whether
    the user could sign up (`obstacle` says why not)."""
    user = g.api_user
    limit = min(int_arg("limit", OPEN_SHIFTS_DEFAULT), OPEN_SHIFTS_MAX)
    after = request.args.get("after")
    try:
        narrow = shift_services.ShiftListFilter(after=_read_cursor(after) if after is not None else None)
    except ValueError:
        return json_error(400, _("This page address is not valid; please start again from the first page."))
    eligibility, choices = shift_services.shift_list_context(user, current_language(), None)
    # One more than the page, to know whether there is a next one.
    listed = shift_services.open_shifts(eligibility, utcnow(), limit + 1, narrow=narrow, with_district=True)
    items = []
    for shift, confirmed, own_status, _position in listed[:limit]:
        free = max(shift.capacity - confirmed, 0)
        obstacle = None if own_status else shift_services.signup_obstacle(user, shift, eligibility=eligibility)
        items.append(
            {
                **_shift_fields(shift, shift_services.activity_name(choices, shift.activity_type_id)),
                "district": shift.district_name,
                "capacity": shift.capacity,
                "free_places": free,
                "required_language": shift.required_language,
                "requires_vetting": shift.requires_vetting,
                "open_to_all": shift.open_to_all,
                "my_status": own_status.value if own_status else None,
                "obstacle": obstacle,
            }
        )
    following = None
    if len(listed) > limit:
        last = listed[limit - 1].shift
        following = public_url("api.open_shifts", limit=limit, after=_cursor(last.starts_at, last.id))
    return jsonify({"shifts": items, "next": following})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _cursor(starts_at: datetime, shift_id: int) -> str:
    """Where a page ended: the last shift's start (whole microseconds since 1970, UTC) and id."""
    return f"{(starts_at - _EPOCH) // _MICROSECOND}-{shift_id}"


def _read_cursor(cursor: str) -> tuple[datetime, int]:
    """The start and id a `_cursor` holds; ValueError for anything else."""
    micros, _sep, shift_id = cursor.partition("-")
    if not (micros.isdigit() and shift_id.isdigit()) or len(micros) > 17 or len(shift_id) > 10:
        raise ValueError(cursor)
    try:
        return _EPOCH + int(micros) * _MICROSECOND, int(shift_id)
    except OverflowError:
        raise ValueError(cursor)


@bp.get("/api/v1/assignments")
@token_required
def assignments():
    """The interpreter's dialogs to come: which language, interpreting or shadowing."""
    user = g.api_user
    if not can_read_assignments(user):
        return json_error(403, _("Only interpreters have assignments."))
    items = []
    for language in assignments_of(user):
        dialog = language.dialog
        items.append(
            {
                "dialog_id": dialog.id,
                "topic": dialog.topic,
                "starts_at": _iso(dialog.starts_at),
                "ends_at": _iso(dialog.ends_at),
                "place": dialog.place,
                "language": language.code,
                "language_name": language_name(language.code),
                "role": "interpreter" if language.interpreter_id == user.id else "shadow",
                "url": public_url("dialogs.detail", dialog_id=dialog.id),
            }
        )
    return jsonify({"assignments": items})


@bp.get("/api/v1/openapi.json")
@limiter.limit(_rate_limit, key_func=_rate_key)
def openapi():
    """The API's description (OpenAPI 3)."""
    response = jsonify(json.loads(OPENAPI_FILE.read_text()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.add_etag()
    return response.make_conditional(request)


# --- the token page ----------------------------------------------------------------------------------------


def _tokens_page(form: TokenForm, new_token: str | None = None, status: int = 200):
    return render(
        "api/tokens.html",
        status=status,
        form=form,
        tokens=services.tokens_of(current_user),
        new_token=new_token,
        openapi_url=url_for("api.openapi"),
    )


@bp.get("/account/tokens")
@login_required
def tokens():
    """The user's access tokens for the API: create, see when each was used, revoke."""
    require(can_manage_tokens(current_user))
    return _tokens_page(TokenForm(formdata=None))


@bp.post("/account/tokens")
@login_required
def token_create():
    """Create a token and show it this once; only its hash is stored."""
    require(can_manage_tokens(current_user))
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _row, token = services.create_token(current_user, form.name.data)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            response = _tokens_page(TokenForm(formdata=None), new_token=token)
            # The page holds a secret: no cache may keep it.
            response.headers["Cache-Control"] = "no-store"
            return response
    return _tokens_page(form, status=form_status(form))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke one of one's tokens."""
    token = db.get_or_404(AccessToken, token_id)
    require(can_revoke_token(current_user, token))
    services.revoke_token(current_user, token)
    db.session.commit()
    flash(_("The token %(name)s no longer works.", name=token.name), "info")
    return redirect(url_for("api.tokens"), 303)
