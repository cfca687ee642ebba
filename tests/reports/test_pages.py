"""The report pages, their charts and downloads, who sees which scope, and the population form."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.reports.models import DistrictPopulation

MARCH = "period=month&on=2025-03-01"


def text(response) -> str:
    return response.get_data(as_text=True)


def fact(page: str, name: str) -> str:
    match = re.search(rf'<dd id="fact-{name}">([^<]*)</dd>', page)
    assert match, f"no fact {name}"
    return match.group(1)


def test_staff_see_the_city_with_charts_that_have_text_alternatives(client, login, city):
    login(city.people["staff"])
    response = client.get(f"/reports?{MARCH}")
    assert response.status_code == 200
    page = text(response)
    # German numbers: the period is over, every dialog of March is held by now.
    assert fact(page, "volunteers") == "3"
    assert fact(page, "hours") == "8,5"
    assert fact(page, "shifts") == "4"
    assert fact(page, "fill-rate").replace("\xa0", " ") == "75,0 %"
    assert fact(page, "dialogs") == "3"
    assert fact(page, "participants") == "16"
    for chart in ("chart-hours", "chart-fill", "chart-trend"):
        svg = re.search(rf'<svg id="{chart}" role="img" aria-labelledby="([^"]+)"[^>]*>(.*?)</svg>', page, re.S)
        assert svg, chart
        title_id, desc_id = svg.group(1).split()
        assert re.search(rf'<title id="{title_id}">[^<]+</title>', svg.group(2))
        assert re.search(rf'<desc id="{desc_id}">[^<]+</desc>', svg.group(2))
        assert "style=" not in svg.group(2)
    hours_desc = re.search(r'<desc id="chart-hours-desc">([^<]+)</desc>', page).group(1)
    assert "Bad Cannstatt: 4,5" in hours_desc and "Möhringen: 4" in hours_desc
    for table in ("volunteers", "shifts", "months", "dialogs", "languages", "follow_ups", "proposals", "programmes"):
        assert f'id="table-{table}"' in page
        assert f'id="dl-{table}-csv"' in page and f'id="dl-{table}-xlsx"' in page
    assert "<script" not in page.split("</head>", 1)[1]


def test_the_period_switch_and_an_htmx_request_for_the_report_alone(client, login, city):
    login(city.people["staff"])
    page = text(client.get(f"/reports?{MARCH}"))
    assert 'href="/reports?period=quarter&amp;on=2025-01-01"' in page
    assert 'href="/reports?period=month&amp;on=2025-02-01"' in page  # previous
    quarter = client.get("/reports?period=quarter&on=2025-03-01", headers={"HX-Request": "true"})
    body = text(quarter)
    assert quarter.status_code == 200 and "HX-Request" in quarter.headers["Vary"]
    assert body.lstrip().startswith('<div id="report"') and "<html" not in body
    assert fact(body, "hours") == "8,5"
    year = text(client.get("/reports?period=year&on=2025-06-01"))
    assert fact(year, "hours") == "13,5"
    custom = text(client.get("/reports?period=custom&from=2025-03-12&to=2025-03-20"))
    assert fact(custom, "shifts") == "2" and fact(custom, "hours") == "4"


@pytest.mark.parametrize(
    "query",
    [
        "period=custom&from=2025-03-20&to=2025-03-01",
        "period=custom&from=2025-03-01",
        "period=custom&from=2020-01-01&to=2025-01-01",
    ],
)
def test_a_period_that_makes_no_sense_is_refused_with_a_message(client, login, city, query):
    login(city.people["staff"])
    response = client.get(f"/reports?{query}")
    assert response.status_code == 422
    assert 'id="period-error"' in text(response)


def test_one_district_for_staff(client, login, city):
    login(city.people["staff"])
    url = f"/reports?{MARCH}&district={city.districts['Möhringen'].id}"
    page = text(client.get(url))
    assert fact(page, "volunteers") == "2" and fact(page, "hours") == "4"
    # The heading names the district also when htmx swaps the report alone.
    assert "<h1>Möhringen</h1>" in text(client.get(url, headers={"HX-Request": "true"}))
    assert "Bad Cannstatt" not in page.split('id="report"', 1)[1].split("</select>", 1)[1]


def test_a_coordinator_sees_only_their_circle(client, login, city):
    login(city.people["coordinator"])
    page = text(client.get(f"/reports?{MARCH}"))
    assert fact(page, "volunteers") == "2" and fact(page, "hours") == "4,5" and fact(page, "dialogs") == "2"
    assert "Möhringen" not in page and 'id="table-proposals"' not in page
    assert client.get(f"/reports?{MARCH}&circle={city.circles['A'].id}").status_code == 200
    assert client.get(f"/reports?{MARCH}&circle={city.circles['B'].id}").status_code == 403
    assert client.get(f"/reports?{MARCH}&district={city.districts['Möhringen'].id}").status_code == 403
    assert client.get(f"/reports/volunteers.csv?{MARCH}&circle={city.circles['B'].id}").status_code == 403
    assert client.get(f"/reports/proposals.csv?{MARCH}").status_code == 404
    assert client.get("/reports/placement").status_code == 403
    assert client.get("/reports/population").status_code == 403


def test_a_volunteer_has_no_reports(client, login, city):
    login(city.people["v1"])
    assert client.get("/reports").status_code == 403
    assert "/reports" not in text(client.get("/"))


def test_csv_has_a_bom_umlauts_and_the_period_in_its_name(client, login, city):
    login(city.people["staff"])
    response = client.get(f"/reports/volunteers.csv?{MARCH}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="lotse-volunteers-2025-03.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Bad Cannstatt", "Möhringen", "Mühlhausen", rows[-1][0]]
    assert rows[1][1:] == ["2", "4.50", "1", "1"]
    assert rows[2][1:] == ["2", "4.00", "0", "0"]
    assert rows[-1][1:] == ["3", "8.50", "1", "1"]


def test_csv_for_german_excel_uses_semicolons_and_decimal_commas(client, login, city):
    login(city.people["staff"])
    body = client.get(f"/reports/shifts.csv?{MARCH}&sep=semicolon").get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[1] == "Bad Cannstatt;3;2;6;4;66,7"
    assert lines[2] == "Möhringen;1;1;2;2;100,0"
    assert lines[3] == "Mühlhausen;0;0;0;0;"
    money = client.get(f"/reports/district_budgets.csv?{MARCH}&sep=semicolon").get_data().decode("utf-8-sig")
    assert money.splitlines()[1] == "Empowerment 2025;Bad Cannstatt;4000,00;2500,00;1500,00;62,5"


def test_xlsx_opens_and_holds_the_figures(client, login, city):
    login(city.people["staff"])
    response = client.get(f"/reports/languages.xlsx?{MARCH}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="lotse-languages-2025-03.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert values[0] == ["Arabisch", 2, 2, 0, 0, 3.5]
    assert values[1] == ["Persisch", 1, 0, 1, 0, 0.0]
    assert values[2] == ["Tigrinya", 1, 0, 1, 0, 0.0]  # the 25 March dialog is held by now, without interpreter
    programmes = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/programmes.xlsx?{MARCH}").get_data())).active
    row = [cell.value for cell in programmes[3]]
    assert row == ["Empowerment 2025", 10000.0, 3200.0, 6800.0, 0.32]
    assert programmes.cell(row=3, column=5).number_format == "0.0%"


def test_every_table_downloads(client, login, city):
    login(city.people["staff"])
    for table in ("volunteers", "shifts", "dialogs", "follow_ups", "months", "languages", "proposals", "programmes"):
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/reports/{table}.{fmt}?period=quarter&on=2025-02-01").status_code == 200
    quarter = client.get("/reports/months.csv?period=quarter&on=2025-02-01")
    assert 'filename="lotse-months-2025-Q1.csv"' in quarter.headers["Content-Disposition"]
    assert client.get("/reports/nothing.csv").status_code == 404


def test_placement_page_flags_and_downloads(client, login, city):
    login(city.people["staff"])
    page = text(client.get("/reports/placement?year=2025"))
    assert re.search(r'id="flag-over">.*Mühlhausen', page)
    assert re.search(r'id="flag-under">.*Möhringen', page)
    assert '<svg id="chart-placement" role="img"' in page
    assert "Notunterkunft Halle" in page
    response = client.get("/reports/placement/placement.csv?year=2025&sep=semicolon")
    assert response.headers["Content-Disposition"] == 'attachment; filename="lotse-placement-2025.csv"'
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[2].split(";")[:8] == ["Möhringen", "40000", "40,0", "120", "18,2", "264", "1", "0"]
    large = client.get("/reports/placement/large_accommodations.xlsx?year=2025")
    sheet = openpyxl.load_workbook(io.BytesIO(large.get_data())).active
    assert [c.value for c in sheet[3]][0::3] == ["Notunterkunft Halle", 300]


def test_staff_enter_the_population(client, login, city, db):
    login(city.people["staff"])
    form = client.get("/reports/population?year=2026")
    assert form.status_code == 200
    ids = {name: d.id for name, d in city.districts.items()}
    data = {"year": "2026", f"district_{ids['Bad Cannstatt']}": "71234", f"district_{ids['Möhringen']}": "31000"}
    response = client.post_form("/reports/population?year=2026", data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/reports/placement?year=2026")
    stored = dict(
        db.session.execute(
            select(DistrictPopulation.district_id, DistrictPopulation.population).where(DistrictPopulation.year == 2026)
        ).all()
    )
    assert stored == {ids["Bad Cannstatt"]: 71234, ids["Möhringen"]: 31000}
    # Emptying a figure removes it; a negative one is refused.
    emptied = {"year": "2026", f"district_{ids['Bad Cannstatt']}": "71234", f"district_{ids['Möhringen']}": ""}
    assert client.post_form("/reports/population?year=2026", emptied).status_code == 303
    db.session.rollback()
    assert (
        db.session.scalar(
            select(DistrictPopulation)
            .where(DistrictPopulation.year == 2026)
            .where(DistrictPopulation.district_id == ids["Möhringen"])
        )
        is None
    )
    bad = client.post_form("/reports/population?year=2026", {"year": "2026", f"district_{ids['Möhringen']}": "-5"})
    assert bad.status_code == 422


def test_navigation_for_staff_and_coordinators(client, login, city):
    login(city.people["coordinator"])
    page = text(client.get("/"))
    assert 'id="reports-card"' in page and 'href="/reports"' in page


@pytest.mark.parametrize("locale", ["de", "en", "ar", "fa", "uk", "tr"])
def test_figures_are_written_as_babel_writes_them(app, locale):
    from decimal import Decimal

    from flask_babel import force_locale, format_decimal, format_percent

    from app.proposals.services import money
    from app.reports.routes import format_cell
    from app.reports.services import Kind

    with app.test_request_context(), force_locale(locale):
        for value in (0, 7, 1234567):
            assert format_cell(value, Kind.COUNT) == format_decimal(value)
            assert format_cell(value, Kind.MONEY) == money(value)
        for value in (Decimal("0.00"), Decimal("1.50"), Decimal("1234.25")):
            assert format_cell(value, Kind.HOURS) == format_decimal(value, "#,##0.#")
        assert format_cell(Decimal("0.3333"), Kind.PERCENT) == format_percent(Decimal("0.3333"), "#,##0.0 %")
