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
import re
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

CONSENT_SOURCES = frozenset(ConsentSource.values)
DEFAULT_SOURCE = ConsentSource.IMPORT.value
CHUNK_ROWS = 5000
# Below this many rows a process pool costs more than it saves.
POOL_MIN_ROWS = 20000
# No member record comes near this; a longer one is an unclosed quote or not a member file, and
# reading on would hold all of it in memory.
MAX_RECORD_BYTES = 1 << 20
# Characters PostgreSQL cannot store in text (NUL) or that cannot be encoded at all (a lone
# surrogate); a row holding one is rejected before the bulk write, which would fail as a whole.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns, a record too long)."""


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


def _refuse_workbook(head: bytes) -> None:
    if head[:4] == b"PK\x03\x04":  # a ZIP archive: what an .xlsx is
        raise ImportFileError(
            _(
                "This is an Excel workbook, not a CSV file: name it .xlsx (or save it as 'CSV UTF-8') "
                "and import it again."
            )
        )


def detect_encoding(path: Path) -> str:
    """Return ``utf-8-sig`` (BOM), ``utf-8`` or ``cp950`` (Big5 as Windows writes it)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    _refuse_workbook(head)
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
                "Missing column(s) %(missing)s. The first row must name the columns: %(required)s "
                "(optional: %(optional)s)."
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


def _open_xlsx(path: Path, **options: Any) -> Any:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, **options)
        if not workbook.worksheets:
            raise ValueError("no worksheet")
    except Exception as exc:  # openpyxl raises many types (BadZipFile, KeyError, XML errors) for a broken file
        raise _not_xlsx(exc) from exc
    return workbook


def _not_xlsx(exc: Exception) -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not a readable XLSX workbook (%(error)s). Open it in Excel and save it again "
            "as .xlsx, or save it as 'CSV UTF-8' and import that."
        )
        % {"error": exc}
    )


def _xlsx_broken(line: int, exc: Exception) -> ImportFileError:
    return ImportFileError(
        _(
            "The workbook cannot be read after line %(line)d (%(error)s); it may be cut off or damaged. "
            "Open it in Excel and save it again, or save it as 'CSV UTF-8' and import that."
        )
        % {"line": line, "error": exc}
    )


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    workbook = _open_xlsx(path, data_only=True)
    sheet = workbook.worksheets[0]
    try:
        iterator = sheet.iter_rows(values_only=True)
        header = _header(list(next(iterator)))
    except StopIteration as exc:
        workbook.close()
        raise ImportFileError(_("The file is empty.")) from exc
    except ImportFileError:
        workbook.close()
        raise
    except Exception as exc:  # a damaged sheet fails while it is read, not when it is opened
        workbook.close()
        raise _not_xlsx(exc) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for number, values in enumerate(iterator, start=2):
                cells = [_cell(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, cells
        except Exception as exc:
            raise _xlsx_broken(number, exc) from exc
        finally:
            workbook.close()

    return header, rows()


def estimate_rows(path: Path) -> int:
    """Return about how many data rows the file has (newlines for CSV, sheet size for XLSX)."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        workbook = _open_xlsx(path)
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


# The usual spellings, looked up before the general rule (case, spaces) in ``_parse_bool``.
_BOOL_WORDS: dict[str, bool | None] = {"": None, **dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def _visible(value: str) -> str:
    """Return ``value`` with NUL and lone surrogates written as escapes, for the report."""
    return _UNSTORABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), value)


def validate_rows(
    header: list[str], rows: list[tuple[int, list[str]]], source_name: str, *, check_text: bool = True
) -> tuple[list[ValidRow], list[RowError]]:
    """Check and normalise a chunk of rows; return the valid ones and one error per bad row.

    ``check_text=False`` skips the search for characters that cannot be stored, for a block
    already known to hold none (the caller checked its bytes).
    """
    blank = len(header)  # the position of an always-empty cell, for columns the file lacks
    index = {name: header.index(name) if name in header else blank for name in COLUMNS}
    i_id, i_name, i_phone, i_pnp, i_sms, i_source, i_evidence, i_captured = (index[c] for c in COLUMNS)
    tz = ZoneInfo(settings.TIME_ZONE)
    now = datetime.now(tz)
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    words = _BOOL_WORDS
    append = valid.append
    unstorable = _UNSTORABLE.search
    stored = [(name, index[name]) for name in COLUMNS if index[name] != blank]

    for line, given in rows:
        if len(given) == blank:  # the usual case: one cell per column
            cells = [*given, ""]
        else:
            cells = given[:blank] + [""] * (blank + 1 - min(len(given), blank))
        if check_text and (refused := next(((n, cells[i]) for n, i in stored if unstorable(cells[i])), None)):
            errors.append(
                RowError(
                    line,
                    refused[0],
                    _visible(refused[1])[:200],
                    _(
                        "This cell holds a character that cannot be stored (a NUL byte or a broken character, "
                        "often from a damaged export); remove it and import the row again."
                    ),
                )
            )
            continue

        external_id = cells[i_id].strip()
        if not external_id:
            errors.append(RowError(line, "external_id", "", _("The member number is empty.")))
            continue
        if len(external_id) > 64:
            errors.append(
                RowError(line, "external_id", external_id[:80], _("The member number is longer than 64 characters."))
            )
            continue
        name = cells[i_name].strip()
        if len(name) > 200:
            errors.append(RowError(line, "name", name[:80], _("The name is longer than 200 characters.")))
            continue
        raw_phone = cells[i_phone]
        try:
            phone = normalize_phone(raw_phone)
        except ValidationError as exc:
            errors.append(RowError(line, "phone", raw_phone, exc.messages[0]))
            continue
        pnp_value, sms_value = cells[i_pnp], cells[i_sms]
        try:
            column, value = "pnp_consent", pnp_value
            pnp = words[value] if value in words else _parse_bool(value)
            column, value = "sms_consent", sms_value
            sms = words[value] if value in words else _parse_bool(value)
        except ValueError:
            errors.append(
                RowError(line, column, value, _("Write 1 or 0 (yes/no, 是/否), or leave it empty when unknown."))
            )
            continue
        source = cells[i_source]
        if source:
            source = source.strip().lower() or DEFAULT_SOURCE
            if source not in CONSENT_SOURCES:
                errors.append(
                    RowError(
                        line,
                        "consent_source",
                        source,
                        _("Use one of: %(values)s.") % {"values": ", ".join(ConsentSource.values)},
                    )
                )
                continue
        else:
            source = DEFAULT_SOURCE
        captured_at = None
        if captured_text := cells[i_captured]:
            try:
                captured_at = _parse_captured_at(captured_text, tz)
            except ValueError:
                errors.append(
                    RowError(
                        line,
                        "consent_captured_at",
                        captured_text,
                        _("Write the date as 2025-03-31 or 2025-03-31 14:05 (Taiwan time)."),
                    )
                )
                continue
            if captured_at is not None and datetime.fromisoformat(captured_at) > now:
                errors.append(RowError(line, "consent_captured_at", captured_text, _("The date is in the future.")))
                continue
        evidence = cells[i_evidence].strip() or f"{source_name}, line {line}"
        append(
            (
                line,
                external_id,
                name,
                raw_phone.strip()[:64],
                phone.e164,
                phone.number_type.value,
                phone.hash,
                pnp,
                sms,
                source,
                evidence,
                captured_at,
            )
        )
    return valid, errors


def _copy_str(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


_COPY_BOOL = {True: "t", False: "f", None: "\\N"}


def rows_as_copy_text(rows: list[ValidRow]) -> bytes:
    """Format rows in COPY's text format (done in the worker processes, not the loader)."""
    esc, flag = _copy_str, _COPY_BOOL
    return "".join(
        f"{r[0]}\t{esc(r[1])}\t{esc(r[2])}\t{esc(r[3])}\t{r[4]}\t{r[5]}\t{r[6]}\t{flag[r[7]]}\t{flag[r[8]]}"
        f"\t{r[9]}\t{esc(r[10])}\t{r[11] or chr(92) + 'N'}\n"
        for r in rows
    ).encode()


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Raw CSV bytes per job (about 10,000 rows); small enough to keep the processes busy evenly.
BLOCK_BYTES = 1 << 19


def csv_blocks(path: Path, encoding: str) -> tuple[list[str], Iterator[tuple[int, bytes]]]:
    """Return the header and (first line number, raw bytes) blocks cut between CSV records.

    A cut is made only after a newline outside quotes (an even number of ``"`` before it), so a
    name with a line break inside quotes stays in one block. Cutting raw bytes is safe for
    UTF-8 and Big5: neither uses the bytes of ``\n`` or ``"`` inside a multi-byte character.
    """
    handle = path.open("rb")
    try:
        header = _csv_header(handle, encoding)
    except BaseException:
        handle.close()
        raise

    def blocks() -> Iterator[tuple[int, bytes]]:
        line = 2
        pending = b""
        with handle:
            while True:
                data = handle.read(BLOCK_BYTES)
                buffer = pending + data
                if not data:
                    if buffer.count(b'"') % 2:
                        raise _quote_not_closed(line, buffer)
                    if buffer.strip():
                        yield line, buffer
                    return
                cut = _record_end(buffer)
                if cut == -1:
                    if len(buffer) > MAX_RECORD_BYTES:
                        raise _record_too_long(line, buffer)
                    pending = buffer
                    continue
                block, pending = buffer[: cut + 1], buffer[cut + 1 :]
                yield line, block
                line += block.count(b"\n")

    return header, blocks()


def _record_end(buffer: bytes) -> int:
    """Return the position of the last newline outside quotes in ``buffer`` (-1 if none).

    ``buffer`` starts at a record boundary. Quotes are counted once, segment by segment going
    back from the end, so an unclosed quote costs one pass over the buffer, not one per line.
    """
    cut = buffer.rfind(b"\n")
    if cut == -1:
        return -1
    quotes = buffer.count(b'"', 0, cut)
    while quotes % 2:
        previous = buffer.rfind(b"\n", 0, cut)
        if previous == -1:
            return -1
        quotes -= buffer.count(b'"', previous, cut)
        cut = previous
    return cut


def _quote_not_closed(line: int, buffer: bytes) -> ImportFileError:
    # The csv module would read the rest of the file into one cell, and those rows would vanish.
    # The last newline outside quotes ends the last whole record; the open quote is after it.
    cut = _record_end(buffer)
    start = line + buffer.count(b"\n", 0, cut + 1) if cut != -1 else line
    return ImportFileError(
        _(
            'Line %(line)d opens a quote (") that is never closed, so the rest of the file would be read '
            "as one cell. Close or remove the quote, and import the file again."
        )
        % {"line": start}
    )


def _record_too_long(line: int, buffer: bytes) -> ImportFileError:
    values = {"line": line, "limit": MAX_RECORD_BYTES >> 20}
    if buffer.count(b'"') % 2:
        message = _(
            'Line %(line)d starts a record longer than %(limit)d MB: a quote (") is opened there and '
            "never closed. Close or remove the quote, and import the file again."
        )
    else:
        message = _(
            "Line %(line)d is longer than %(limit)d MB; this is not a member CSV file. Save the member list "
            "as 'CSV UTF-8' (one member a line) and import it again."
        )
    return ImportFileError(message % values)


def _csv_header(handle: Any, encoding: str) -> list[str]:
    """Read and check the header line, reading no more than one record's worth of bytes."""
    _refuse_workbook(handle.peek(4))
    first = handle.readline(MAX_RECORD_BYTES)
    if not first.strip():
        raise ImportFileError(_("The file is empty."))
    if len(first) >= MAX_RECORD_BYTES and not first.endswith(b"\n"):
        raise _record_too_long(1, first)
    try:
        return _header(next(csv.reader([first.decode(encoding)])))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The first line is not valid %(encoding)s text; save the file as 'CSV UTF-8'.") % {"encoding": encoding}
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(
            _("Line 1 is not a CSV header (%(error)s); the first line must name the columns: %(required)s.")
            % {"error": exc, "required": ", ".join(REQUIRED_COLUMNS)}
        ) from exc


def file_check(path: Path, *, encoding: str | None = None) -> None:
    """Raise :class:`ImportFileError` unless the file opens and its first row names the columns.

    Cheap (the header only), so a form can refuse a file before it is stored as a job.
    """
    if path.suffix.lower() in XLSX_SUFFIXES:
        workbook = _open_xlsx(path, data_only=True)
        try:
            first = next(workbook.worksheets[0].iter_rows(values_only=True), None)
        except Exception as exc:  # a damaged sheet fails while it is read, not when it is opened
            raise _not_xlsx(exc) from exc
        finally:
            workbook.close()
        if first is None:
            raise ImportFileError(_("The file is empty."))
        _header(list(first))
        return
    encoding = encoding or detect_encoding(path)
    with path.open("rb") as handle:
        _csv_header(handle, encoding)


def _block_rows(data: bytes, first_line: int, encoding: str) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as exc:
        line = first_line + data[: exc.start].count(b"\n")
        raise ImportFileError(
            _("Line %(line)d is not valid %(encoding)s text; save the file as 'CSV UTF-8'.")
            % {"line": line, "encoding": encoding}
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    # A row of blank cells is skipped, like a blank line.
    try:
        return [(first_line - 1 + reader.line_num, cells) for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:
        raise _csv_broken(text, first_line, exc) from exc


def _csv_broken(text: str, first_line: int, exc: csv.Error) -> ImportFileError:
    # Read the block again, slowly, only to say on which line the bad record starts.
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    try:
        for _cells in reader:
            start = first_line + reader.line_num
    except csv.Error:
        pass
    if "field larger than field limit" in str(exc):
        return ImportFileError(
            _(
                "Line %(line)d has a field longer than %(limit)d characters (a quote opened and never closed?). "
                "Fix that line and import the file again."
            )
            % {"line": start, "limit": csv.field_size_limit()}
        )
    return ImportFileError(
        _("Line %(line)d is not valid CSV (%(error)s). Fix that line and import the file again.")
        % {"line": start, "error": exc}
    )


Chunk = tuple[list[ValidRow], list[RowError], int, bytes | None]
Job = tuple[list[str], Any, str, bool, str | None]


def _validate_job(job: Job) -> Chunk:
    header, payload, source_name, as_copy, encoding = job
    if encoding is not None:  # a raw CSV block: (first line, bytes)
        rows = _block_rows(payload[1], payload[0], encoding)
        # Strict decoding leaves no lone surrogate, so only a NUL byte can make a cell unstorable.
        check_text = b"\x00" in payload[1]
    else:
        rows = payload
        check_text = True
    valid, errors = validate_rows(header, rows, source_name, check_text=check_text)
    if as_copy:
        # Only the COPY text travels back to the loader: cheaper than pickling the rows.
        return [], errors, len(rows), rows_as_copy_text(valid)
    return valid, errors, len(rows), None


def validated_chunks(
    path: Path, *, source_name: str, processes: int, as_copy: bool = False, encoding: str | None = None
) -> Iterator[Chunk]:
    """Yield validated chunks of the file in file order, using ``processes`` processes when > 1.

    CSV files are cut into raw byte blocks that the processes decode, parse and validate
    themselves; at most ``2 × processes`` blocks are in flight, so memory stays flat
    however big the file.
    """
    jobs: Iterator[Job]
    if path.suffix.lower() in XLSX_SUFFIXES:
        header, rows = _read_xlsx(path)
        jobs = ((header, chunk, source_name, as_copy, None) for chunk in _chunks(rows, CHUNK_ROWS))
    else:
        encoding = encoding or detect_encoding(path)
        header, blocks = csv_blocks(path, encoding)
        jobs = ((header, block, source_name, as_copy, encoding) for block in blocks)
    if processes <= 1:
        for job in jobs:
            yield _validate_job(job)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        pending: deque[Any] = deque()
        for job in jobs:
            pending.append(pool.apply_async(_validate_job, (job,)))
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
    # backslashreplace: a value the reader let through must not lose the whole report.
    with path.open("w", encoding="utf-8-sig", errors="backslashreplace", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "column", "value", "reason"])
        for error in errors:
            writer.writerow([error.line, error.column, _escape_formula(error.value), error.reason])
    return path


def _escape_formula(value: str) -> str:
    # A value that a spreadsheet would run as a formula is shown as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit() else value


ProgressCallback = Callable[[int], None]
