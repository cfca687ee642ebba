"""Every figure of the reports against what was worked out by hand from the city in conftest.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.places.models import AccommodationKind
from app.proposals.models import ProposalState
from app.reports.periods import Period, PeriodKind
from app.reports.services import Scope, activity_report, placement_report
from tests.reports.conftest import NOW, TODAY

MARCH = Period.containing(PeriodKind.MONTH, date(2025, 3, 1))


@pytest.fixture(autouse=True)
def request_context(app):
    """Labels and language names are in the user's language: German, the default."""
    with app.test_request_context("/reports"):
        yield


def rows(report):
    return {row.name: row for row in report.districts}


@pytest.fixture
def march(app, city):
    return activity_report(Scope(), MARCH, TODAY, NOW)


def test_volunteers_and_hours_per_district(march):
    by_name = rows(march)
    assert list(by_name) == ["Bad Cannstatt", "Möhringen", "Mühlhausen"]
    cannstatt, moehringen, muehlhausen = by_name.values()
    # Helfer 1 and 2; Helfer 1's no-show does not count, the cancelled shift does not either.
    assert cannstatt.volunteers == 2
    assert cannstatt.hours == Decimal("4.50")  # 2 + 1.5 + 1 (the shift at 00:30 on 1 March)
    assert moehringen.volunteers == 2
    assert moehringen.hours == Decimal("4.00")
    assert (muehlhausen.volunteers, muehlhausen.hours) == (0, Decimal("0.00"))
    # Helfer 1 helped in both districts: one person in the total.
    assert march.total.volunteers == 3
    assert march.total.hours == Decimal("8.50")


def test_shifts_offered_filled_and_fill_rate(march):
    cannstatt, moehringen, muehlhausen = rows(march).values()
    assert (cannstatt.shifts, cannstatt.places, cannstatt.taken, cannstatt.filled) == (3, 6, 4, 2)
    assert cannstatt.fill_rate == Decimal("0.6667")
    assert (moehringen.shifts, moehringen.places, moehringen.taken, moehringen.filled) == (1, 2, 2, 1)
    assert moehringen.fill_rate == Decimal("1.0000")
    assert muehlhausen.shifts == 0 and muehlhausen.fill_rate is None
    total = march.total
    assert (total.shifts, total.places, total.taken, total.filled) == (4, 8, 6, 3)
    assert total.fill_rate == Decimal("0.7500")


def test_late_cancellations_and_no_shows(march):
    cannstatt, moehringen, _ = rows(march).values()
    assert (cannstatt.late_cancellations, cannstatt.no_shows) == (1, 1)
    assert (moehringen.late_cancellations, moehringen.no_shows) == (0, 0)
    assert (march.total.late_cancellations, march.total.no_shows) == (1, 1)


def test_dialogs_held_and_participants_by_group(march):
    cannstatt, moehringen, _ = rows(march).values()
    # The dialog on the 25th is still to come, the one on the 22nd was cancelled.
    assert (cannstatt.dialogs, cannstatt.logged) == (1, 1)
    assert (cannstatt.refugees, cannstatt.dialog_volunteers, cannstatt.dialog_staff) == (12, 3, 1)
    assert (moehringen.dialogs, moehringen.logged, moehringen.participants) == (1, 0, 0)
    assert (march.total.dialogs, march.total.logged, march.total.participants) == (2, 1, 16)


def test_follow_ups_open_and_overdue(march):
    cannstatt, moehringen, _ = rows(march).values()
    assert (cannstatt.follow_ups, cannstatt.follow_ups_open, cannstatt.follow_ups_overdue) == (3, 2, 1)
    assert moehringen.follow_ups == 0
    assert (march.total.follow_ups_open, march.total.follow_ups_overdue) == (2, 1)


def test_interpreter_hours_and_uncovered_requests_per_language(march):
    table = march.tables["languages"]
    assert [row[0] for row in table.rows] == ["Arabisch", "Persisch", "Tigrinya"]
    arabic, persian, tigrinya = table.rows
    # needed, covered, held without an interpreter, coming and uncovered, hours (1.5 logged + 2 planned)
    assert arabic[1:] == [2, 2, 0, 0, Decimal("3.50")]
    assert persian[1:] == [1, 0, 1, 0, Decimal("0.00")]
    assert tigrinya[1:] == [1, 0, 0, 1, Decimal("0.00")]
    assert table.total[1:] == [4, 2, 1, 1, Decimal("3.50")]


def test_proposals_by_state_only_of_the_periods_programmes(march):
    table = march.tables["proposals"]
    assert [row[:3] for row in table.rows] == [
        ["Bad Cannstatt", ProposalState.SUBMITTED.label, 1],
        ["Bad Cannstatt", ProposalState.APPROVED.label, 1],
        ["Bad Cannstatt", ProposalState.RUNNING.label, 1],
        ["Möhringen", ProposalState.DRAFT.label, 1],
        ["Möhringen", ProposalState.REJECTED.label, 1],
        ["Möhringen", ProposalState.CLOSED.label, 1],
    ]
    assert [row[3:] for row in table.rows] == [
        [50_000, 0],
        [200_000, 150_000],
        [100_000, 100_000],
        [10_000, 0],
        [80_000, 0],
        [70_000, 70_000],
    ]
    assert table.total[2:] == [6, 510_000, 320_000]


def test_granted_against_budget_per_programme_and_district(march):
    assert march.tables["programmes"].rows == [["Empowerment 2025", 1_000_000, 320_000, 680_000, Decimal("0.3200")]]
    assert march.tables["district_budgets"].rows == [
        ["Empowerment 2025", "Bad Cannstatt", 400_000, 250_000, 150_000, Decimal("0.6250")],
        ["Empowerment 2025", "Möhringen", None, 70_000, None, None],
    ]


def test_months_follow_the_city_clock(app, city):
    report = activity_report(Scope(), MARCH, TODAY, NOW)
    months = report.tables["months"].rows
    assert len(months) == 12 and months[0][0] == date(2024, 4, 1) and months[-1][0] == date(2025, 3, 1)
    assert months[-1][1:] == [Decimal("8.50"), 3, 4, 2]
    assert all(row[1:] == [Decimal("0.00"), 0, 0, 0] for row in months[:-1])
    year = activity_report(Scope(), Period.containing(PeriodKind.YEAR, date(2025, 6, 1)), TODAY, NOW)
    by_month = {row[0]: row[1:] for row in year.tables["months"].rows}
    assert len(by_month) == 12
    assert by_month[date(2025, 4, 1)] == [Decimal("5.00"), 1, 1, 0]  # 00:30 on 1 April, Berlin summer time
    assert year.total.hours == Decimal("13.50")


def test_one_district(app, city):
    report = activity_report(Scope(district_id=city.districts["Möhringen"].id), MARCH, TODAY, NOW)
    assert [row.name for row in report.districts] == ["Möhringen"]
    assert (report.total.volunteers, report.total.hours, report.total.shifts, report.total.dialogs) == (
        2,
        Decimal("4.00"),
        1,
        1,
    )
    assert [row[0] for row in report.tables["proposals"].rows] == ["Möhringen"] * 3
    assert [row[1] for row in report.tables["district_budgets"].rows] == ["Möhringen"]
    assert [row[0] for row in report.tables["languages"].rows] == ["Arabisch"]


def test_a_circle_sees_its_own_figures_and_no_money(app, city):
    report = activity_report(Scope(circle_ids=(city.circles["A"].id,)), MARCH, TODAY, NOW)
    assert [row.name for row in report.districts] == ["Bad Cannstatt"]
    total = report.total
    assert (total.volunteers, total.hours, total.shifts, total.places, total.taken) == (2, Decimal("4.50"), 3, 6, 4)
    assert (total.late_cancellations, total.no_shows, total.dialogs, total.participants) == (1, 1, 1, 16)
    assert (total.follow_ups_open, total.follow_ups_overdue) == (2, 1)
    assert [row[0] for row in report.tables["languages"].rows] == ["Arabisch", "Persisch", "Tigrinya"]
    assert "proposals" not in report.tables and "programmes" not in report.tables


def test_placement_against_population(app, city):
    placements, table, large = placement_report(2025)
    by_name = {p.name: p for p in placements}
    cannstatt, moehringen, muehlhausen = by_name["Bad Cannstatt"], by_name["Möhringen"], by_name["Mühlhausen"]
    assert (cannstatt.places, cannstatt.accommodations, cannstatt.large) == (420, 2, 1)
    assert (moehringen.places, muehlhausen.places) == (120, 120)
    assert (cannstatt.population_share, moehringen.population_share, muehlhausen.population_share) == (
        Decimal("0.5000"),
        Decimal("0.4000"),
        Decimal("0.1000"),
    )
    assert cannstatt.places_share == Decimal("0.6364")
    assert (cannstatt.proportional_places, moehringen.proportional_places, muehlhausen.proportional_places) == (
        330,
        264,
        66,
    )
    assert (cannstatt.ratio, moehringen.ratio, muehlhausen.ratio) == (Decimal("1.27"), Decimal("0.45"), Decimal("1.82"))
    assert (cannstatt.tone, moehringen.tone, muehlhausen.tone) == ("", "under", "over")
    assert table.total[1] == 100_000 and table.total[3] == 660
    assert large.rows == [["Notunterkunft Halle", "Bad Cannstatt", AccommodationKind.EMERGENCY.label, 300]]


def test_placement_without_population_of_that_year(app, city):
    placements, _table, _large = placement_report(2024)
    by_name = {p.name: p for p in placements}
    assert by_name["Bad Cannstatt"].population == 49_000
    assert by_name["Möhringen"].population is None and by_name["Möhringen"].tone == ""
    assert by_name["Bad Cannstatt"].population_share == Decimal("1.0000")
