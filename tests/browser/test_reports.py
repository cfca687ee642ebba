"""Reports in a real browser at phone size (360x740): staff open the city report, switch the period (htmx swaps
the report in place and the address follows), pick a custom span and download a table as CSV. axe-core finds no
violations in German, nor on the report and placement pages in Arabic (right to left); nothing scrolls sideways.

Set LOTSE_SCREENSHOTS=1 to save full-page screenshots to /tmp/shots/reports-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    audit,
    browser_login,
    shot,
    switch_language,
    visit,
)
from tests.reports.conftest import city  # noqa: F401 (the fixed city of the report tests)

pytestmark = pytest.mark.browser


def test_staff_open_the_city_report_switch_period_and_download_csv(live_server, page, city):  # noqa: F811
    browser_login(page, live_server, city.people["staff"].email)
    # From the dashboard's card to the report of this month.
    with page.expect_navigation():
        page.locator("#reports-card a[href='/reports']").click()
    expect(page.locator("#period-label")).to_be_visible()
    audit(page)

    visit(page, f"{live_server}/reports?period=month&on=2025-03-01")
    expect(page.locator("#fact-hours")).to_have_text("8,5")
    expect(page.locator("#chart-hours")).to_have_attribute("role", "img")
    shot(page, "month")

    # The quarter: htmx swaps the report, the address follows.
    page.locator("#period-quarter").click()
    expect(page).to_have_url(f"{live_server}/reports?period=quarter&on=2025-01-01")
    expect(page.locator("#period-quarter")).to_have_attribute("aria-current", "page")
    expect(page.locator("#fact-shifts")).to_have_text("4")
    # The switch a keyboard or screen-reader user pressed keeps the focus in the new report.
    expect(page.locator("#period-quarter")).to_be_focused()
    audit(page)
    page.locator("#period-previous").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/reports?period=quarter&on=2024-10-01")
    expect(page.locator("#fact-hours")).to_have_text("0")
    expect(page.locator("#period-previous")).to_be_focused()
    page.go_back()
    expect(page.locator("#fact-hours")).to_have_text("8,5")

    # A custom span through the form, folded away under the period switch.
    page.locator(".report-filters > summary").click()
    audit(page)
    page.select_option("#period", "custom")
    page.fill("#from", "2025-03-12")
    page.fill("#to", "2025-03-20")
    page.locator("#report form button[type=submit]").click()
    expect(page.locator("#fact-shifts")).to_have_text("2")
    expect(page.locator("#fact-hours")).to_have_text("4")
    audit(page)
    shot(page, "custom")

    # The table downloads as CSV with the period in its name and the umlauts intact.
    with page.expect_download() as info:
        page.locator("#dl-volunteers-csv").click()
    download = info.value
    assert download.suggested_filename == "lotse-volunteers-2025-03-12_2025-03-20.csv"
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "Möhringen,2,4.00,0,0" in text and "Mühlhausen" in text
    with page.expect_download() as info:
        page.locator("#dl-volunteers-csv-semicolon").click()
    assert "Möhringen;2;4,00;0;0" in Path(info.value.path()).read_text(encoding="utf-8-sig")

    visit(page, f"{live_server}/reports/placement?year=2025")
    expect(page.locator("#flag-over")).to_contain_text("Mühlhausen")
    shot(page, "placement")
    with page.expect_navigation():
        page.locator("#edit-population").click()
    audit(page)
    shot(page, "population")


def test_reports_pass_axe_in_arabic(live_server, page, city):  # noqa: F811
    browser_login(page, live_server, city.people["staff"].email)
    switch_language(page, "ar")
    visit(page, f"{live_server}/reports?period=year&on=2025-01-01", "ar")
    shot(page, "year-ar")
    visit(page, f"{live_server}/reports/placement?year=2025", "ar")
    page.context.clear_cookies()
    browser_login(page, live_server, city.people["coordinator"].email)
    switch_language(page, "ar")
    visit(page, f"{live_server}/reports?period=month&on=2025-03-01", "ar")
    shot(page, "coordinator-ar")
