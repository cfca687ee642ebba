"""When a person is booked for dialogs: the half of the no-double-booking rule that shifts read too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, union_all

from app.dialogs.models import Dialog, DialogLanguage, DialogModerator, DialogStatus


def dialog_bookings_query(user_id: int, now: datetime):
    """Planned dialogs not yet over that the person moderates or interprets, soonest first."""
    interprets = select(DialogLanguage.dialog_id.label("dialog_id")).where(
        or_(DialogLanguage.interpreter_id == user_id, DialogLanguage.shadow_id == user_id)
    )
    moderates = select(DialogModerator.dialog_id.label("dialog_id")).where(DialogModerator.user_id == user_id)
    booked = union_all(interprets, moderates).subquery()
    return (
        select(Dialog.id, Dialog.starts_at, Dialog.ends_at, Dialog.topic)
        .where(Dialog.id.in_(select(booked.c.dialog_id)))
        .where(Dialog.status == DialogStatus.PLANNED, Dialog.ends_at > now)
        .order_by(Dialog.starts_at)
    )
