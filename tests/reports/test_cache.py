"""The report's figures are kept for a short while: the page says since when, downloads read the same figures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import cachelib.simple
import pytest

from app.extensions import cache
from app.reports import services
from app.shifts.models import Attendance, Shift, Signup, SignupStatus
from tests.reports.conftest import local
from tests.shifts.test_queries import counted

MARCH = "period=month&on=2025-03-01"
# 10:42 in Berlin (summer time): the moment the figures are counted.
COUNTED_AT = datetime(2025, 4, 2, 8, 42, tzinfo=UTC)


@pytest.fixture
def kept(app, monkeypatch):
    """Figures kept for a minute, as in production, counted at COUNTED_AT."""
    app.config["REPORT_CACHE_SECONDS"] = 60
    monkeypatch.setattr(services, "utcnow", lambda: COUNTED_AT)
    cache.clear()
    yield
    cache.clear()


def _another_shift(db, city, activity):
    circle = city.circles["B"]
    shift = Shift(
        circle=circle,
        title="Einsatz",
        activity_type=activity,
        accommodation=circle.accommodations[0],
        starts_at=local(2025, 3, 27, 9),
        ends_at=local(2025, 3, 27, 11),
        capacity=1,
    )
    shift.signups.append(
        Signup(user=city.people["v1"], status=SignupStatus.CONFIRMED, attendance=Attendance.ATTENDED, hours=Decimal(2))
    )
    db.session.add(shift)
    db.session.commit()


def _tables(page: str) -> str:
    """The report's tables and charts: the rest of the page carries a CSRF token that changes every second."""
    return page.split('id="summary-title"', 1)[1].split("</main>", 1)[0]


def _fact(page: str, name: str) -> str:
    return page.split(f'<dd id="fact-{name}">', 1)[1].split("</dd>", 1)[0]


def test_figures_are_kept_shared_with_downloads_and_then_counted_again(
    app, client, login, db, city, activity, kept, monkeypatch
):
    login(city.people["staff"])
    first = client.get(f"/reports?{MARCH}").get_data(as_text=True)
    assert _fact(first, "shifts") == "4" and _fact(first, "hours") == "8,5"
    assert '<p class="muted small as-of" id="figures-as-of">Stand: 10:42 Uhr</p>' in first

    _another_shift(db, city, activity)
    with counted(db.engine) as statements:
        again = client.get(f"/reports?{MARCH}").get_data(as_text=True)
    assert _fact(again, "shifts") == "4", "the kept figures are shown"
    assert len(statements) <= 2, "only the session and the district list are read"
    volunteers = client.get(f"/reports/volunteers.csv?{MARCH}").get_data().decode("utf-8-sig")
    assert volunteers.splitlines()[-1].endswith(",8.50,1,1"), "the download reads the same figures"

    # The figures hold no words: a reader of another language gets them in hers.
    city.people["staff"].locale = "en"
    db.session.commit()
    english = client.get(f"/reports?{MARCH}").get_data(as_text=True)
    assert "Figures as of 10:42\u202fAM" in english or "Figures as of 10:42 AM" in english
    assert _fact(english, "hours") == "8.5"

    # A minute later they are counted again.
    real_time = time.time
    monkeypatch.setattr(cachelib.simple, "time", lambda: real_time() + 61)
    monkeypatch.setattr(services, "utcnow", lambda: COUNTED_AT + timedelta(minutes=1))
    fresh = client.get(f"/reports?{MARCH}").get_data(as_text=True)
    assert _fact(fresh, "shifts") == "5" and _fact(fresh, "hours") == "10.5"
    assert "10:43" in fresh


def test_without_a_keeping_time_every_request_counts(app, client, login, db, city, activity):
    assert app.config["REPORT_CACHE_SECONDS"] == 0
    login(city.people["staff"])
    assert _fact(client.get(f"/reports?{MARCH}").get_data(as_text=True), "shifts") == "4"
    _another_shift(db, city, activity)
    assert _fact(client.get(f"/reports?{MARCH}").get_data(as_text=True), "shifts") == "5"


def test_kept_figures_are_put_into_words_once_per_language(app, client, login, db, city, kept, monkeypatch):
    written = []
    report_from = services.report_from
    monkeypatch.setattr(services, "report_from", lambda figures: written.append(1) or report_from(figures))
    login(city.people["staff"])
    german = [client.get(f"/reports?{MARCH}").get_data(as_text=True) for _ in range(3)]
    assert len(written) == 1 and _tables(german[0]) == _tables(german[2]) and _fact(german[2], "hours") == "8,5"
    # An htmx request for the report alone carries the same tables.
    partial = client.get(f"/reports?{MARCH}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and _fact(partial, "hours") == "8,5" and len(written) == 1

    city.people["staff"].locale = "en"
    db.session.commit()
    assert _fact(client.get(f"/reports?{MARCH}").get_data(as_text=True), "hours") == "8.5"
    assert len(written) == 2


def test_kept_tables_are_kept_apart_for_each_scope(app, client, login, db, city, kept):
    login(city.people["staff"])
    whole = client.get(f"/reports?{MARCH}").get_data(as_text=True)
    moehringen = city.districts["Möhringen"].id
    one = client.get(f"/reports?district={moehringen}&{MARCH}").get_data(as_text=True)
    assert _fact(whole, "shifts") == "4" and _fact(one, "shifts") != _fact(whole, "shifts")
    assert f"district={moehringen}" in _tables(one), "its downloads name the district"
    assert f"district={moehringen}" not in _tables(whole)
    # And the city's tables again, not the district's kept ones.
    assert _tables(client.get(f"/reports?{MARCH}").get_data(as_text=True)) == _tables(whole)


def test_an_unreachable_cache_slows_the_report_and_breaks_nothing(database_url, smtp_server, db, city, caplog):
    from app import create_app
    from tests.conftest import PASSWORD, testing_config

    # Nothing listens on port 9: every read and write of the report cache fails.
    settings = testing_config(database_url, smtp_server) | {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": "redis://127.0.0.1:9/0",
        "REPORT_CACHE_SECONDS": 60,
    }
    unreachable = create_app(settings)
    client = unreachable.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login", data={"email": city.people["staff"].email, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 303
    response = client.get(f"/reports?{MARCH}")
    assert response.status_code == 200 and _fact(response.get_data(as_text=True), "shifts") == "4"
    assert client.get(f"/reports/volunteers.csv?{MARCH}").status_code == 200
    assert "report cache unreachable" in caplog.text
