"""Reports for staff (city-wide, per district) and coordinators (their circles), their charts and downloads."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from babel import numbers
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.database import local_today
from app.errors import DomainError
from app.extensions import db
from app.places.models import Circle, District
from app.proposals.services import money
from app.reports import bp, exports, services
from app.reports.charts import bar_chart, line_chart
from app.reports.forms import population_form
from app.reports.periods import Period, PeriodKind, parse_period
from app.reports.policies import can_edit_populations, can_see_circle_report, can_see_city_reports, can_see_reports
from app.reports.services import Kind, Scope, Table
from app.views import form_status, int_arg, render, require

EXPORTABLE = (
    "volunteers",
    "shifts",
    "dialogs",
    "follow_ups",
    "months",
    "languages",
    "proposals",
    "programmes",
    "district_budgets",
)
PLACEMENT_TABLES = ("placement", "large_accommodations")


@bp.app_context_processor
def inject_reports_navigation():
    return {"nav_reports": can_see_reports(current_user)}


def format_cell(value, kind: Kind) -> str:
    """A figure as the page shows it, in the user's language."""
    if value is None or value == "":
        return "–"
    if kind is Kind.TEXT:
        return str(value)
    return _formatted(value, type(value), kind, str(get_locale()))


def report_rows(table: Table) -> list[list[tuple[str, bool]]]:
    """The table's body as the page shows it: each cell's text and whether it is a number (aligned as one)."""
    locale = str(get_locale())
    kinds = [(column.kind, column.kind is not Kind.TEXT) for column in table.columns]
    return [
        [
            ("–" if value is None or value == "" else _formatted(value, type(value), kind, locale) if numeric
             else str(value), numeric)
            for value, (kind, numeric) in zip(row, kinds, strict=True)
        ]
        for row in table.rows
    ]  # fmt: skip


@lru_cache(maxsize=4096)
def _formatted(value, _type: type, kind: Kind, locale: str) -> str:
    """The formatting behind `format_cell`: a report shows the same few numbers many times, each is made once.

    The type is part of the key: 1 and Decimal("1.0") are equal, but not written alike everywhere.
    """
    if kind is Kind.MONEY:
        return money(value, locale)
    if kind is Kind.PERCENT:
        return numbers.format_percent(value, "#,##0.0 %", locale=locale)
    if kind is Kind.HOURS:
        return numbers.format_decimal(value, "#,##0.#", locale=locale)
    if kind is Kind.MONTH:
        return exports.month_label(value, locale)
    return numbers.format_decimal(value, locale=locale)


bp.add_app_template_filter(format_cell, "report_cell")
bp.add_app_template_filter(report_rows, "report_rows")


def _scope() -> tuple[Scope, Circle | None, District | None]:
    """The scope the URL asks for, if the user may see it: coordinators get their own circles."""
    circle_id, district_id = int_arg("circle"), int_arg("district")
    if circle_id is not None:
        circle = db.get_or_404(Circle, circle_id)
        require(can_see_circle_report(current_user, circle))
        return Scope(circle_ids=(circle.id,)), circle, None
    if district_id is not None:
        require(can_see_city_reports(current_user))
        district = db.get_or_404(District, district_id)
        return Scope(district_id=district.id), None, district
    if can_see_city_reports(current_user):
        return Scope(), None, None
    return Scope(circle_ids=tuple(sorted(current_user.coordinated_circle_ids))), None, None


def _scope_args(circle: Circle | None, district: District | None) -> dict[str, int]:
    if circle is not None:
        return {"circle": circle.id}
    if district is not None:
        return {"district": district.id}
    return {}


def _charts(report: services.Report) -> dict:
    rows = report.districts
    hours_text = [format_cell(r.hours, Kind.HOURS) for r in rows]
    fill_text = [format_cell(r.fill_rate, Kind.PERCENT) for r in rows]
    charts = {
        "hours_chart": bar_chart(
            "chart-hours",
            _("Volunteer hours per district"),
            [r.name for r in rows],
            [(_("Volunteer hours"), [r.hours for r in rows], hours_text)],
        ),
        "fill_chart": bar_chart(
            "chart-fill",
            _("Fill rate per district"),
            [r.name for r in rows],
            [(_("Fill rate"), [r.fill_rate or 0 for r in rows], fill_text)],
        ),
    }
    months = report.months
    top = max((m[1] for m in months), default=Decimal(0))
    charts["trend_chart"] = line_chart(
        "chart-trend",
        _("Volunteer hours month by month"),
        [exports.month_label(m[0]) for m in months],
        [m[1] for m in months],
        [format_cell(m[1], Kind.HOURS) for m in months],
        [format_cell(Decimal(0), Kind.HOURS), format_cell(top / 2, Kind.HOURS), format_cell(top, Kind.HOURS)],
    )
    return charts


def _period_links(period: Period, scope_args: dict) -> dict:
    today = local_today()

    def link(target: Period) -> str:
        return url_for("reports.index", **scope_args, **target.query_args())

    kinds = [(kind, link(Period.containing(kind, period.first if kind is not PeriodKind.CUSTOM else today)))
             for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)]  # fmt: skip
    return {
        "kind_links": kinds,
        "previous_link": link(period.shifted(-1)),
        "next_link": link(period.shifted(1)),
        "previous_label": period.shifted(-1).label(),
        "next_label": period.shifted(1).label(),
    }


def _download_args(period: Period, scope_args: dict) -> str:
    return urlencode({**scope_args, **period.query_args()})


@bp.get("")
@login_required
def index():
    """The report of a period: the city (or a district) for staff, their circles for coordinators."""
    require(can_see_reports(current_user))
    scope, circle, district = _scope()
    scope_args = _scope_args(circle, district)
    can_see_city = can_see_city_reports(current_user)
    context = {
        "circle": circle,
        "district": district,
        # Staff choose a district, coordinators one of their circles.
        "circles": [] if can_see_city else services.circles_for(current_user),
        "districts": services.all_districts() if can_see_city else [],
        "can_see_city": can_see_city,
        "args": request.args,
        "period_kinds": list(PeriodKind),
        "kinds": Kind,
    }
    try:
        period = parse_period(request.args, local_today())
    except DomainError as error:
        return render(
            "reports/index.html", block="report", status=error.status_code, error=error, report=None, **context
        )
    figures = services.kept_report_figures(scope, period, local_today())
    download_args = _download_args(period, scope_args)
    return render(
        "reports/index.html",
        block="report",
        period=period,
        computed_at=format_time(figures.computed_at, "short"),
        figures_html=_figures_html(figures, period, download_args),
        **context,
        **_period_links(period, scope_args),
    )


def _figures_html(figures: services.Figures, period: Period, download_args: str) -> Markup:
    """The tables and charts of the figures in the reader's language. They depend on nothing else, so figures that
    are kept are written once per language for as long as they are kept, not for every request. The key names the
    templates' version, so that instances of a new release never serve the old one's markup."""

    def write() -> str:
        report = services.report_from(figures)
        return render_template(
            "reports/_figures.html", report=report, period=period, download_args=download_args, kinds=Kind,
            **_charts(report),
        )  # fmt: skip

    key = ":".join(
        (f"report-html:v{services.FIGURES_VERSION}", _templates_version(), figures.scope.key, period.kind.value,
         str(period.first), str(period.last), figures.computed_at.isoformat(), str(get_locale()),
         request.script_root, download_args)
    )  # fmt: skip
    return Markup(services.kept(key, write))  # noqa: S704 - a rendered template


@lru_cache(maxsize=1)
def _templates_version() -> str:
    """A digest of the templates the report's tables are written with."""
    digest = hashlib.sha256()
    for name in ("reports/_figures.html", "reports/_macros.html"):
        source, _filename, _uptodate = current_app.jinja_env.loader.get_source(current_app.jinja_env, name)
        digest.update(source.encode())
    return digest.hexdigest()[:12]


def _file(table: Table, basename: str, fmt: str) -> Response:
    if fmt == "xlsx":
        body, mimetype = exports.to_xlsx(table, table.title), exports.XLSX_TYPE
    else:
        semicolon = request.args.get("sep") == "semicolon"
        body, mimetype = exports.to_csv(table, semicolon=semicolon), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{basename}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<table>.<any(csv, xlsx):fmt>")
@login_required
def export(table: str, fmt: str):
    """One table of the report as CSV (comma, or semicolon for German Excel) or XLSX, named with the period."""
    require(can_see_reports(current_user))
    if table not in EXPORTABLE:
        abort(404)
    scope, circle, _district = _scope()
    period = parse_period(request.args, local_today())
    report = services.report_from(services.kept_report_figures(scope, period, local_today()))
    if table not in report.tables:
        abort(404)
    where = f"-{circle.id}" if circle else (f"-d{scope.district_id}" if scope.district_id else "")
    return _file(report.tables[table], f"lotse-{table}{where}-{period.slug}", fmt)


def _population_year() -> tuple[int | None, list[int]]:
    years = services.population_years()
    year = int_arg("year")
    if year is not None and not 1900 <= year <= 2999:
        year = None
    return (year if year is not None else (years[0] if years else None)), years


@bp.get("/placement")
@login_required
def placement():
    """Stuttgarter Weg: accommodation places per district next to its share of the city's population."""
    require(can_see_city_reports(current_user))
    year, years = _population_year()
    rows, table, large = services.placement_report(year)
    pop_text = [format_cell(r.population_share, Kind.PERCENT) for r in rows]
    place_text = [format_cell(r.places_share, Kind.PERCENT) for r in rows]
    chart = bar_chart(
        "chart-placement",
        _("Share of the population and of the accommodation places per district"),
        [r.name for r in rows],
        [
            (_("Share of the population"), [r.population_share or 0 for r in rows], pop_text),
            (_("Share of the places"), [r.places_share or 0 for r in rows], place_text),
        ],
    )
    return render(
        "reports/placement.html",
        block="report",
        year=year,
        years=years,
        rows=rows,
        table=table,
        large=large,
        chart=chart,
        can_edit=can_edit_populations(current_user),
        disproportion=services.DISPROPORTION,
    )


@bp.get("/placement/<any(placement, large_accommodations):table>.<any(csv, xlsx):fmt>")
@login_required
def placement_export(table: str, fmt: str):
    """The placement tables as CSV or XLSX, named with the population year."""
    require(can_see_city_reports(current_user))
    year, _years = _population_year()
    _rows, placement_table, large = services.placement_report(year)
    chosen = placement_table if table == "placement" else large
    return _file(chosen, f"lotse-{table}-{year or 'no-population'}", fmt)


@bp.route("/population", methods=["GET", "POST"])
@login_required
def population():
    """Staff enter the population per district for a year, from the city's statistics."""
    require(can_edit_populations(current_user))
    districts = services.all_districts()
    year = int_arg("year") or request.form.get("year", type=int) or local_today().year
    if not 1900 <= year <= 2999:
        year = local_today().year
    known = services.populations(year)
    form = population_form(
        districts, year=year, **{f"district_{district_id}": value for district_id, value in known.items()}
    )
    if form.validate_on_submit():
        figures = {district_id: field.data for district_id, field in form.district_fields()}
        changed = services.save_populations(current_user, form.year.data, figures)
        db.session.commit()
        flash(_("Population for %(year)s saved (%(count)s changes).", year=form.year.data, count=changed), "success")
        return redirect(url_for("reports.placement", year=form.year.data), 303)
    return render("reports/population.html", form=form, year=year, status=form_status(form))
