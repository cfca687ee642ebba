"""What a phone keeps for offline use: the versioned app shell and the signed-in user's own plans."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import exists, or_, select

from app.auth.models import User
from app.database import utcnow
from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, DialogStatus, ModeratorRole, SessionLog
from app.dialogs.policies import can_see_dialogs
from app.extensions import db
from app.shifts.models import Shift, ShiftStatus, Signup, SignupStatus
from app.templating import asset_url

# Static files the worker precaches: every page needs them, offline too. The PNG icons are left out: only
# installing needs them, online, and they would double what a first visit transfers.
SHELL_ASSETS = ("css/app.css", "js/htmx-2.0.11.min.js", "js/app.js", "icons/icons.svg", "icons/favicon.svg")
WORKER_SOURCE = "js/sw.js"
# How far back a shift or dialog still matters offline: attendance and logs are written after the end.
RECENT = timedelta(days=3)
AHEAD = timedelta(days=60)
MAX_ITEMS = 40


@lru_cache(maxsize=8)
def _digest(folder: str, names: tuple[str, ...], templates: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in [Path(folder) / name for name in names] + [Path(t) for t in templates]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shell_version() -> str:
    """The hash of everything the worker precaches, and of the worker itself: a new deploy, a new cache."""
    from app.config import BASE_DIR

    # The offline page is precached too: its template and its translations count.
    offline_page = [Path(current_app.template_folder) / "pwa" / "offline.html"]
    catalogs = sorted((BASE_DIR / "translations").glob("*/LC_MESSAGES/messages.mo"))
    return _digest(current_app.static_folder, (*SHELL_ASSETS, WORKER_SOURCE), tuple(map(str, offline_page + catalogs)))


def shell_urls() -> list[str]:
    return [url_for("pwa.offline")] + [asset_url(name) for name in SHELL_ASSETS]


def offline_pages(user: User) -> list[str]:
    """The pages of the user's own plans to keep on the phone: overview, shifts, dialogs, forms to fill in there."""
    now = utcnow()
    pages = [url_for("main.index"), url_for("shifts.my_shifts"), url_for("shifts.open_shifts")]
    own_shifts = db.session.scalars(
        select(Shift.id)
        .join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.user_id == user.id, Signup.status != SignupStatus.CANCELLED)
        .where(Shift.ends_at > now - RECENT, Shift.starts_at < now + AHEAD)
        .order_by(Shift.starts_at)
        .limit(MAX_ITEMS)
    ).all()
    # Coordinators record attendance on the spot: the shifts of their circles that just ended or run today.
    run_shifts = []
    if user.coordinated_circle_ids:
        run_shifts = db.session.scalars(
            select(Shift.id)
            .where(Shift.circle_id.in_(user.coordinated_circle_ids), Shift.status == ShiftStatus.SCHEDULED)
            .where(Shift.ends_at > now - RECENT, Shift.starts_at < now + timedelta(days=1))
            .order_by(Shift.starts_at)
            .limit(MAX_ITEMS)
        ).all()
    pages += [url_for("shifts.detail", shift_id=i) for i in dict.fromkeys([*own_shifts, *run_shifts])]
    if not can_see_dialogs(user):
        return pages
    pages.append(url_for("dialogs.index"))
    involved = or_(
        exists().where(DialogModerator.dialog_id == Dialog.id, DialogModerator.user_id == user.id),
        exists().where(
            DialogLanguage.dialog_id == Dialog.id,
            or_(DialogLanguage.interpreter_id == user.id, DialogLanguage.shadow_id == user.id),
        ),
    )
    dialogs = db.session.scalars(
        select(Dialog)
        .where(involved, Dialog.ends_at > now - RECENT, Dialog.starts_at < now + AHEAD)
        .order_by(Dialog.starts_at)
        .limit(MAX_ITEMS)
    ).all()
    for dialog in dialogs:
        pages.append(url_for("dialogs.detail", dialog_id=dialog.id))
        writes_log = user.id in dialog.moderator_ids(ModeratorRole.LEAD, ModeratorRole.CO)
        if writes_log and dialog.status is DialogStatus.PLANNED and dialog.has_started() and not _has_log(dialog):
            pages.append(url_for("dialogs.log", dialog_id=dialog.id))
    return pages


def _has_log(dialog: Dialog) -> bool:
    return bool(db.session.scalar(select(exists().where(SessionLog.dialog_id == dialog.id))))
