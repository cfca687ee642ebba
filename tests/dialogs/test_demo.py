"""The demo city has dialogs held and logged, and coming ones only partly covered by interpreters."""

from __future__ import annotations

from sqlalchemy import select

from app.database import utcnow
from app.dialogs.models import Coverage, Dialog


def test_demo_dialogs_past_logged_and_future_partly_covered(app, db, client):
    from app.demo import seed_demo

    seed_demo("demo-password-123")
    db.session.commit()
    seed_demo("demo-password-123")  # a second run adds nothing twice
    db.session.commit()
    dialogs = db.session.scalars(select(Dialog).order_by(Dialog.starts_at)).all()
    now = utcnow()
    past = [d for d in dialogs if d.ends_at < now]
    future = [d for d in dialogs if d.starts_at > now]
    assert len(dialogs) == 4
    assert any(d.log is not None and d.log.follow_ups for d in past)
    assert any(d.log is None and d.log_overdue(now) for d in past)
    coverages = {language.coverage for d in future for language in d.languages}
    assert coverages == {Coverage.COVERED, Coverage.REQUESTED, Coverage.UNCOVERED}

    for email, paths in (
        ("moderator@lotse.example", ["/", "/dialogs", "/dialogs?scope=all", *(f"/dialogs/{d.id}" for d in dialogs)]),
        ("interpreter@lotse.example", ["/", "/interpreting", f"/dialogs/{future[0].id}"]),
        ("staff@lotse.example", ["/dialogs/logs", "/topics", f"/dialogs/{past[0].id}/log"]),
    ):
        client.post_form("/login", {"email": email, "password": "demo-password-123"})
        for path in paths:
            response = client.get(path)
            assert response.status_code in (200, 303), f"{email} {path}: {response.status_code}"
        client.post_form("/logout")
