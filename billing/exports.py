"""Streamed exports: rows go from the database cursor to the file one at a time (constant memory).

django-import-export's ``Resource.export`` builds a whole tablib ``Dataset`` in memory; here the
resource still decides the columns and renders each row (``export_resource``), but rows are
written as they are read: CSV with the ``csv`` module, XLSX with openpyxl's write-only mode.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db.models import QuerySet
from import_export.resources import ModelResource
from openpyxl import Workbook

from portal.exports import formula_safe

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return Decimal(value) if value and value.lstrip("-").replace(".", "", 1).isdigit() else value
        except InvalidOperation:
            return value
    return value


def export_rows(resource: ModelResource, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    """Yield the header row, then one rendered row per record, reading the queryset in chunks."""
    yield resource.get_export_headers()
    for instance in queryset.iterator(chunk_size=CHUNK):
        yield [formula_safe(value) for value in resource.export_resource(instance)]


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


def write_xlsx(rows: Iterable[list[Any]], target: str | IO[bytes], *, title: str) -> int:
    """Write rows to an XLSX workbook in write-only mode (rows are flushed, not kept); return data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    count = -1
    for row in rows:
        sheet.append([_cell(v) for v in row])
        count += 1
    workbook.save(target)
    return max(count, 0)


def xlsx_bytes(rows: Iterable[list[Any]], *, title: str) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, title=title)
    return buffer.getvalue()
