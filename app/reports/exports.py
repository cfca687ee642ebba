"""Report tables as files: CSV (UTF-8 with BOM, comma or German-Excel semicolon) and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from babel import dates
from flask_babel import get_locale
from openpyxl import Workbook
from openpyxl.styles import Font

from app.reports.services import Kind, Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    Kind.HOURS: "0.00",
    Kind.PERCENT: "0.0%",
    Kind.MONEY: '#,##0.00 "€"',
    Kind.COUNT: "0",
    Kind.MONTH: "yyyy-mm",
}


def _plain(value, kind: Kind, decimal_comma: bool) -> str:
    """A cell as a spreadsheet reads it: numbers without thousands separators, the decimal mark of the variant."""
    if value is None or value == "":
        return ""
    if kind is Kind.MONTH and isinstance(value, date):
        return f"{value:%Y-%m}"
    if kind is Kind.MONEY:
        text = f"{Decimal(value) / 100:.2f}"
    elif kind is Kind.PERCENT:
        text = f"{Decimal(value) * 100:.1f}"
    elif kind is Kind.HOURS:
        text = f"{Decimal(value):.2f}"
    else:
        return str(value)
    return text.replace(".", ",") if decimal_comma else text


def _header(table: Table) -> list[str]:
    labels = []
    for column in table.columns:
        if column.kind is Kind.MONEY:
            labels.append(f"{column.label} (€)")
        elif column.kind is Kind.PERCENT:
            labels.append(f"{column.label} (%)")
        else:
            labels.append(column.label)
    return labels


def to_csv(table: Table, semicolon: bool = False) -> bytes:
    """The table as CSV with a byte-order mark, so that spreadsheet programs read the umlauts right.

    German Excel expects ";" between fields and a decimal comma: the semicolon variant gives both.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow(_header(table))
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow([_plain(value, col.kind, semicolon) for value, col in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell_value(value, kind: Kind):
    if value is None or value == "":
        return None
    if kind is Kind.MONEY:
        return float(Decimal(value) / 100)
    if kind in (Kind.HOURS, Kind.PERCENT):
        return float(value)
    return value


def to_xlsx(table: Table, sheet_title: str) -> bytes:
    """The table as an Excel workbook with numbers as numbers (hours, shares and euros formatted)."""
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names are at most 31 characters and may not hold some punctuation.
    sheet.title = "".join(c for c in sheet_title if c not in "[]:*?/\\")[:31] or "Lotse"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(_header(table))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in [*table.rows, *([table.total] if table.total else [])]:
        sheet.append([_cell_value(value, col.kind) for value, col in zip(row, table.columns, strict=True)])
        for cell, col in zip(sheet[sheet.max_row], table.columns, strict=True):
            if col.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[col.kind]
    if table.total:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for index, column in enumerate(table.columns, start=1):
        width = max(len(column.label), *(len(str(r[index - 1] or "")) for r in table.rows)) if table.rows else 12
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = min(max(width + 2, 10), 48)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def month_label(day: date, locale: str | None = None) -> str:
    return dates.format_skeleton("yMMM", day, locale=locale or get_locale())
