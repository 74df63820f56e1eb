"""Reading member files (CSV/XLSX, UTF-8 with or without BOM, Big5) and loading them.

One pipeline for every entry point (the command, the admin, the background job):
rows are streamed from the file in chunks, validated and normalised (in a pool of
processes when the file is big), and handed to a loader. On PostgreSQL the loader
``COPY``s them into a temporary staging table and upserts set-based; elsewhere it
uses ``bulk_create``/``bulk_update`` in chunks. Both give the same result.
"""

from __future__ import annotations

import codecs
import csv
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.choices import ConsentSource
from members.phones import normalize_phone

REQUIRED_COLUMNS = ("external_id", "name", "phone")
OPTIONAL_COLUMNS = ("pnp_consent", "sms_consent", "consent_source", "consent_evidence", "consent_captured_at")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t", "on", "granted", "是", "同意", "有"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "f", "off", "withdrawn", "否", "不同意", "無"})

CHUNK_ROWS = 5000
# Below this many rows a process pool costs more than it saves.
POOL_MIN_ROWS = 20000


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: where it is, which column, what was there and what to do about it."""

    line: int
    column: str
    value: str
    reason: str


# line, external_id, name, phone_raw, e164, type, hash, pnp, sms, source, evidence, captured_at (ISO or None)
ValidRow = tuple[int, str, str, str, str, str, str, bool | None, bool | None, str, str, str | None]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows_read: int = 0
    errors: list[RowError] = field(default_factory=list)
    report_path: Path | None = None
    dry_run: bool = False

    def summary(self) -> str:
        prefix = _("Dry run (nothing saved): ") if self.dry_run else ""
        return prefix + _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


# --- Reading ------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """Return ``utf-8-sig`` (BOM), ``utf-8`` or ``cp950`` (Big5 as Windows writes it)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("cp950")().decode(head, final=False)
        return "cp950"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is neither UTF-8 nor Big5; save it as 'CSV UTF-8' and import it again.")
        ) from exc


def _header(cells: list[Any]) -> list[str]:
    names = [str(c or "").strip().lstrip("\ufeff").lower().replace(" ", "_") for c in cells]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ImportFileError(
            _(
                "Missing column(s) %(missing)s. The first row must name the columns: %(required)s (optional: %(optional)s)."
            )
            % {
                "missing": ", ".join(missing),
                "required": ", ".join(REQUIRED_COLUMNS),
                "optional": ", ".join(OPTIONAL_COLUMNS),
            }
        )
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet turned 0912345678 into 912345678.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def read_rows(path: Path, encoding: str | None = None) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the header and an iterator of (line number, cells) streamed from a CSV or XLSX file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    encoding = encoding or detect_encoding(path)
    handle = path.open(encoding=encoding, newline="", errors="strict")
    reader = csv.reader(handle)
    try:
        first = next(reader)
    except StopIteration as exc:
        handle.close()
        raise ImportFileError(_("The file is empty.")) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise ImportFileError(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
    header = _header(first)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            try:
                for cells in reader:
                    if cells and any(c.strip() for c in cells):
                        yield reader.line_num, cells
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    _("Line %(line)d is not valid %(encoding)s text; save the file as 'CSV UTF-8'.")
                    % {"line": reader.line_num + 1, "encoding": encoding}
                ) from exc

    return header, rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(_("The file is not a readable XLSX workbook: %(error)s") % {"error": exc}) from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = _header(list(next(iterator)))
    except StopIteration as exc:
        workbook.close()
        raise ImportFileError(_("The file is empty.")) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(iterator, start=2):
                cells = [_cell(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, cells
        finally:
            workbook.close()

    return header, rows()


def estimate_rows(path: Path) -> int:
    """Return about how many data rows the file has (newlines for CSV, sheet size for XLSX)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            return max(0, (workbook.worksheets[0].max_row or 1) - 1)
        finally:
            workbook.close()
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return max(0, count - 1)


# --- Validation (runs in the pool's processes) ----------------------------------------------------


def _parse_bool(value: str) -> bool | None:
    word = value.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError


def _parse_captured_at(value: str, tz: ZoneInfo) -> str | None:
    text = value.strip()
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("/", "-").replace(" ", "T", 1) if "T" not in text else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat()


def validate_rows(
    header: list[str], rows: list[tuple[int, list[str]]], source_name: str
) -> tuple[list[ValidRow], list[RowError]]:
    """Check and normalise a chunk of rows; return the valid ones and one error per bad row."""
    index = {name: header.index(name) for name in COLUMNS if name in header}
    tz = ZoneInfo(settings.TIME_ZONE)
    now = datetime.now(tz)
    valid: list[ValidRow] = []
    errors: list[RowError] = []

    for line, cells in rows:

        def get(column: str, cells: list[str] = cells) -> str:
            position = index.get(column)
            if position is None or position >= len(cells):
                return ""
            return cells[position]

        external_id = get("external_id").strip()
        if not external_id:
            errors.append(RowError(line, "external_id", "", _("The member number is empty.")))
            continue
        if len(external_id) > 64:
            errors.append(
                RowError(line, "external_id", external_id[:80], _("The member number is longer than 64 characters."))
            )
            continue
        name = get("name").strip()
        if len(name) > 200:
            errors.append(RowError(line, "name", name[:80], _("The name is longer than 200 characters.")))
            continue
        raw_phone = get("phone")
        try:
            phone = normalize_phone(raw_phone)
        except ValidationError as exc:
            errors.append(RowError(line, "phone", raw_phone, exc.messages[0]))
            continue
        consents: list[bool | None] = []
        bad = False
        for column in ("pnp_consent", "sms_consent"):
            value = get(column)
            try:
                consents.append(_parse_bool(value))
            except ValueError:
                errors.append(
                    RowError(line, column, value, _("Write 1 or 0 (yes/no, 是/否), or leave it empty when unknown."))
                )
                bad = True
                break
        if bad:
            continue
        source = get("consent_source").strip().lower() or ConsentSource.IMPORT
        if source not in ConsentSource.values:
            errors.append(
                RowError(
                    line,
                    "consent_source",
                    source,
                    _("Use one of: %(values)s.") % {"values": ", ".join(ConsentSource.values)},
                )
            )
            continue
        try:
            captured_at = _parse_captured_at(get("consent_captured_at"), tz)
        except ValueError:
            errors.append(
                RowError(
                    line,
                    "consent_captured_at",
                    get("consent_captured_at"),
                    _("Write the date as 2025-03-31 or 2025-03-31 14:05 (Taiwan time)."),
                )
            )
            continue
        if captured_at is not None and datetime.fromisoformat(captured_at) > now:
            errors.append(
                RowError(line, "consent_captured_at", get("consent_captured_at"), _("The date is in the future."))
            )
            continue
        evidence = get("consent_evidence").strip() or f"{source_name}, line {line}"
        valid.append(
            (
                line,
                external_id,
                name,
                raw_phone.strip()[:64],
                phone.e164,
                str(phone.number_type),
                phone.hash,
                consents[0],
                consents[1],
                source,
                evidence,
                captured_at,
            )
        )
    return valid, errors


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def rows_as_copy_text(rows: list[ValidRow]) -> bytes:
    """Format rows in COPY's text format (done in the worker processes, not the loader)."""
    return "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows).encode()


Chunk = tuple[list[ValidRow], list[RowError], int, bytes | None]


def _validate_job(args: tuple[list[str], list[tuple[int, list[str]]], str, bool]) -> Chunk:
    header, rows, source_name, as_copy = args
    valid, errors = validate_rows(header, rows, source_name)
    if as_copy:
        # Only the COPY text travels back to the loader: cheaper than pickling the rows.
        return [], errors, len(rows), rows_as_copy_text(valid)
    return valid, errors, len(rows), None


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def validated_chunks(
    header: list[str], rows: Iterator[tuple[int, list[str]]], *, source_name: str, processes: int, as_copy: bool = False
) -> Iterator[Chunk]:
    """Yield validated chunks in file order, using ``processes`` worker processes when > 1.

    At most ``2 × processes`` chunks are in flight, so memory stays flat however big the file.
    """
    chunks = _chunks(rows, CHUNK_ROWS)
    if processes <= 1:
        for chunk in chunks:
            yield _validate_job((header, chunk, source_name, as_copy))
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_validate_job, ((header, chunk, source_name, as_copy),)))
            if len(pending) >= processes * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def can_fork() -> bool:
    """Daemonic processes (a Celery prefork child) may not start a pool of their own."""
    return not multiprocessing.current_process().daemon and hasattr(os, "fork")


def write_report(path: Path, errors: list[RowError]) -> Path:
    """Write the rejected rows as CSV (UTF-8 with BOM, so Excel shows Chinese correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "column", "value", "reason"])
        for error in errors:
            writer.writerow([error.line, error.column, _escape_formula(error.value), error.reason])
    return path


def _escape_formula(value: str) -> str:
    # A value that a spreadsheet would run as a formula is shown as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit() else value


ProgressCallback = Callable[[int], None]


def report_as_text(errors: list[RowError]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for error in errors:
        writer.writerow([error.line, error.column, error.value, error.reason])
    return buffer.getvalue()
