"""The demo city has every district's population, and its reports open for staff and the coordinator."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.places.services import STUTTGART_DISTRICTS
from app.reports.models import DistrictPopulation


def test_demo_populations_and_reports(app, db, client):
    from app.demo import seed_demo

    seed_demo("demo-password-123")
    db.session.commit()
    seed_demo("demo-password-123")  # a second run adds nothing twice
    db.session.commit()
    year = date.today().year - 1
    count, total = db.session.execute(
        select(func.count(), func.sum(DistrictPopulation.population)).where(DistrictPopulation.year == year)
    ).one()
    assert count == len(STUTTGART_DISTRICTS) == 23
    assert 550_000 < total < 700_000

    for email, paths in (
        ("staff@lotse.example", ["/reports", "/reports?period=year", "/reports/placement", "/reports/population"]),
        ("coordinator@lotse.example", ["/reports", "/reports?period=quarter", "/reports/months.csv"]),
    ):
        client.post_form("/login", {"email": email, "password": "demo-password-123"})
        for path in paths:
            assert client.get(path).status_code == 200, f"{email} {path}"
        client.post_form("/logout")
