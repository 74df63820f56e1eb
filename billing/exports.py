"""Streamed exports: rows go from the database cursor to the file one at a time (constant memory).

django-import-export's ``Resource.export`` builds a whole tablib ``Dataset`` in memory; here the
resource still decides the columns and renders each row (``export_resource``), but rows are
written as they are read: CSV with the ``csv`` module, XLSX with openpyxl's write-only mode.

In XLSX, money is a number cell in a TWD currency format, dates are date cells, and a last row
sums the columns that add up (quantities and amounts), so a spreadsheet sums and sorts them right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from import_export.resources import ModelResource
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portal.exports import formula_safe

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000

# XLSX number formats: TWD amounts to 4 places (lines) or whole (statement totals), and ISO dates.
MONEY_FORMAT = '"NT$"#,##0.0000;-"NT$"#,##0.0000'
WHOLE_MONEY_FORMAT = '"NT$"#,##0;-"NT$"#,##0'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_COLUMNS = frozenset({"unit_price", "amount", "subtotal"})
WHOLE_MONEY_COLUMNS = frozenset(
    {"statement_total_twd", "statement_net_twd", "statement_tax_twd", "statement_gross_twd"}
)
# Columns whose values add up across rows (the totals row); statement totals repeat per line and do not.
SUM_COLUMNS = frozenset({"quantity", "amount", "portal_count", "line_count", "billed_count", "difference"})


def export_rows(resource: ModelResource, queryset: QuerySet[Any], *, native: bool = False) -> Iterator[list[Any]]:
    """Yield the header row, then one rendered row per record, reading the queryset in chunks.

    ``native`` keeps numbers, dates and times as Python values (for XLSX); text is formula-safe.
    """
    yield resource.get_export_headers()
    for instance in queryset.iterator(chunk_size=CHUNK):
        yield [formula_safe(value) for value in resource.export_resource(instance, force_native_type=native)]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """Yield CSV text line by line (for a StreamingHttpResponse); a BOM first so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def write_csv(rows: Iterable[list[Any]], stream: IO[str]) -> int:
    """Write rows as CSV; return the number of data rows."""
    writer = csv.writer(stream)
    count = -1
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        count += 1
    return max(count, 0)


def _typed_cell(sheet: WriteOnlyWorksheet, column: str, value: Any, *, bold: bool = False) -> Any:
    if value == "":
        value = None
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        if column in MONEY_COLUMNS:
            cell.number_format = MONEY_FORMAT
        elif column in WHOLE_MONEY_COLUMNS:
            cell.number_format = WHOLE_MONEY_FORMAT
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)  # a spreadsheet has no time zones: the value is as exported
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(rows: Iterable[list[Any]], target: str | IO[bytes], *, title: str, total_label: str = "total") -> int:
    """Write rows to an XLSX workbook in write-only mode (rows are flushed, not kept); return data rows.

    The first row is the header; money columns get a currency format, dates are date cells, and a
    last row carries the sum of each column in ``SUM_COLUMNS``.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    iterator = iter(rows)
    header = [str(h) for h in next(iterator, [])]
    sheet.append([_typed_cell(sheet, "", name, bold=True) for name in header])
    sums: dict[int, Decimal] = {i: Decimal(0) for i, name in enumerate(header) if name in SUM_COLUMNS}
    count = 0
    for row in iterator:
        for index in sums:
            value = row[index]
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                sums[index] += value
        sheet.append([_typed_cell(sheet, header[i], value) for i, value in enumerate(row)])
        count += 1
    if sums:
        totals: list[Any] = [None] * len(header)
        totals[0] = total_label
        for index, value in sums.items():
            totals[index] = value if header[index] in MONEY_COLUMNS else int(value)
        sheet.append([_typed_cell(sheet, header[i], value, bold=True) for i, value in enumerate(totals)])
    workbook.save(target)
    return count


def xlsx_bytes(rows: Iterable[list[Any]], *, title: str) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, title=title)
    return buffer.getvalue()
