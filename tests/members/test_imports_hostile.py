"""Hostile member files: each is refused with a reason a person can act on, never a traceback.

Kept apart from ``test_imports.py`` (the import's rules) because these go through every entry
point (the reader, the command, the admin form, the job) with files built to break them.
"""

import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook

from members import importing
from members.importing import ImportFileError, validate_rows
from members.models import ImportJob, Member
from members.services import import_job_create, import_job_run, member_import_file
from portal.models import Brand
from tests.conftest import PASSWORD

LIST = "/admin/members/member/"
HEADER = "external_id,name,phone\n"
GARBAGE = b"\x00\x01 not a zip file at all \xff" * 40


def run(brand: Brand, path: Path, **kwargs: object) -> importing.ImportResult:
    return member_import_file(brand=brand, path=path, actor="test", **kwargs)  # type: ignore[arg-type]


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client: Client, brand: Brand, name: str, content: bytes) -> str:
    response = client.post(
        f"{LIST}import-file/", {"brand": brand.pk, "file": SimpleUploadedFile(name, content)}, follow=False
    )
    assert response.status_code == 200, response.status_code  # the form again, with its error
    return response.content.decode()


def broken_xlsx(path: Path) -> Path:
    """A real workbook whose sheet is cut off after the second data row (a truncated download)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "phone"])
    for n in range(5):
        sheet.append([f"X{n}", f"Name {n}", f"09123456{n:02d}"])
    whole = path.with_name("whole.xlsx")
    book.save(whole)
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="4"') + 20]
            target.writestr(item, data)
    return path


# --- A file that cannot be read ---------------------------------------------------------------


def test_a_garbage_xlsx_is_a_form_error_naming_the_file_and_leaves_nothing_behind(
    client: Client, manager: User, brand: Brand, settings, tmp_path: Path
) -> None:
    # given
    settings.MEDIA_ROOT = str(tmp_path / "media")
    login(client, manager)
    # when
    page = upload(client, brand, "members.xlsx", GARBAGE)
    # then
    assert "members.xlsx: The file is not a readable XLSX workbook" in page
    assert "CSV UTF-8" in page  # the fix
    assert not ImportJob.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_a_workbook_uploaded_as_csv_is_a_form_error_saying_to_name_it_xlsx(
    client: Client, manager: User, brand: Brand, tmp_path: Path
) -> None:
    login(client, manager)
    book = Workbook()
    book.active.append(["external_id", "name", "phone"])
    book.save(tmp_path / "book.xlsx")
    page = upload(client, brand, "members.csv", (tmp_path / "book.xlsx").read_bytes())
    assert "members.csv: This is an Excel workbook" in page
    assert not ImportJob.objects.exists()


def test_a_csv_in_neither_utf8_nor_big5_is_a_form_error_naming_the_file_and_the_fix(
    client: Client, manager: User, brand: Brand
) -> None:
    login(client, manager)
    page = upload(client, brand, "members.csv", HEADER.encode() + b"E1,\x80\xff\x80\xff,0912345678\n")
    assert "members.csv: The file is neither UTF-8 nor Big5" in page
    assert not ImportJob.objects.exists()


def test_bad_text_past_the_first_megabyte_fails_the_job_naming_the_file_and_line(
    brand: Brand, tmp_path: Path, settings
) -> None:
    # given: the encoding is detected from the first megabyte, which is clean UTF-8
    settings.MEDIA_ROOT = str(tmp_path / "media")
    rows = "".join(f"E{n},Name,0912345678\n" for n in range(60_000))
    content = (HEADER + rows).encode() + b"BAD,\xff\xfe,0912345678\n"
    job = import_job_create(brand=brand, upload=SimpleUploadedFile("members.csv", content), actor="test")
    # when
    job = import_job_run(job_id=job.pk)
    # then
    assert job.status == "failed"
    assert job.error.startswith("members.csv: Line 60002 is not valid utf-8 text")
    assert not Member.objects.exists()


def test_the_command_refuses_a_garbage_xlsx_with_a_command_error(brand: Brand, tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    path.write_bytes(GARBAGE)
    with pytest.raises(CommandError, match=r"members\.xlsx: The file is not a readable XLSX workbook"):
        call_command("import_members", str(path), "--brand", brand.slug, "--no-progress")


def test_a_workbook_broken_halfway_fails_the_job_with_the_reason_and_saves_nothing(
    brand: Brand, tmp_path: Path, settings, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = broken_xlsx(tmp_path / "members.xlsx")
    job = import_job_create(brand=brand, upload=SimpleUploadedFile("members.xlsx", path.read_bytes()), actor="test")
    # when
    job = import_job_run(job_id=job.pk)
    # then
    assert job.status == "failed"
    assert job.error.startswith("members.xlsx: ")
    assert "cannot be read after line" in job.error
    assert not Member.objects.exists()
    assert any(record.exc_info for record in caplog.records)  # the cause is in the worker log


def test_a_workbook_broken_halfway_is_a_command_error(brand: Brand, tmp_path: Path) -> None:
    path = broken_xlsx(tmp_path / "members.xlsx")
    with pytest.raises(CommandError, match="cannot be read after line"):
        call_command("import_members", str(path), "--brand", brand.slug, "--no-progress")
    assert not Member.objects.exists()


def test_a_file_over_the_upload_limit_is_a_form_error(client: Client, manager: User, brand: Brand, settings) -> None:
    settings.MEMBER_IMPORT_MAX_UPLOAD_MB = 1
    login(client, manager)
    content = (HEADER + "L1,Name,0912345678\n" * 60_000).encode()  # about 1.1 MB
    page = upload(client, brand, "big.csv", content)
    assert "big.csv is larger than 1 MB" in page
    assert "MEMBER_IMPORT_MAX_UPLOAD_MB" not in page  # users are told to split it, not about settings
    assert not ImportJob.objects.exists()


# --- Text PostgreSQL refuses ------------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_a_row_with_a_nul_byte_is_rejected_alone_and_the_other_rows_import(
    brand: Brand, tmp_path: Path, fast: bool
) -> None:
    # given
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + "N1,Good,0912345678\nN2,Bad\x00Name,0912345679\nN3,Also good,0912345670\n").encode())
    # when
    result = run(brand, path, fast=fast, report_path=tmp_path / "report.csv")
    # then
    assert (result.created, result.rejected) == (2, 1)
    error = result.errors[0]
    assert (error.line, error.column, error.value) == (3, "name", "Bad\\x00Name")
    assert "cannot be stored" in error.reason
    assert set(Member.objects.values_list("external_id", flat=True)) == {"N1", "N3"}
    assert "Bad\\x00Name" in (tmp_path / "report.csv").read_text(encoding="utf-8-sig")


def test_the_default_import_on_this_database_rejects_a_nul_row_alone(brand: Brand, tmp_path: Path) -> None:
    # On PostgreSQL this is the COPY path: one NUL used to abort every row.
    path = tmp_path / "members.csv"
    path.write_bytes((HEADER + "N1,Good,0912345678\nN2\x00,Bad,0912345679\n").encode())
    result = run(brand, path, processes=1)
    assert (result.created, result.rejected) == (1, 1)
    assert (result.errors[0].line, result.errors[0].column) == (3, "external_id")


def test_a_lone_surrogate_in_any_stored_column_rejects_the_row_with_its_column() -> None:
    header = ["external_id", "name", "phone", "consent_evidence"]
    rows = [
        (2, ["S1", "Good", "0912345678", ""]),
        (3, ["S2", "Bad", "0912345679", "form \ud800"]),
        (4, ["S3", "Bad", "0912\udfff345670", ""]),
    ]
    valid, errors = validate_rows(header, rows, "members.csv")
    assert [row[1] for row in valid] == ["S1"]
    assert [(e.line, e.column, e.value) for e in errors] == [
        (3, "consent_evidence", "form \\ud800"),
        (4, "phone", "0912\\udfff345670"),
    ]
    for error in errors:
        error.value.encode("utf-8")  # the report can be written


# --- Huge fields and lines --------------------------------------------------------------------


@pytest.mark.parametrize("processes", [1, 2])
def test_a_huge_field_stops_the_import_naming_its_line(brand: Brand, tmp_path: Path, processes: int) -> None:
    path = tmp_path / "members.csv"
    path.write_text(HEADER + "H1,Good,0912345678\nH2," + "x" * 200_000 + ",0912345679\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="Line 3 has a field longer than"):
        run(brand, path, processes=processes)
    assert not Member.objects.exists()


def test_a_huge_single_line_stops_at_line_one_in_bounded_memory(brand: Brand, tmp_path: Path) -> None:
    # given: 20 MB without a line break, the header included
    path = tmp_path / "members.csv"
    with path.open("wb") as handle:
        for _ in range(20):
            handle.write(b"external_id,name,phone," + b"x" * (1 << 20))
    # when
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="Line 1"):
            run(brand, path, processes=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then
    assert peak < 8 << 20, f"peak {peak / 1e6:.0f} MB"


def test_a_huge_data_line_stops_naming_its_line_in_bounded_memory(brand: Brand, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    with path.open("wb") as handle:
        handle.write((HEADER + "H1,Good,0912345678\n").encode())
        for _ in range(20):
            handle.write(b"y" * (1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="Line 3"):
            run(brand, path, processes=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 1e6:.0f} MB"


def test_the_command_reports_a_huge_line_as_a_command_error(brand: Brand, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"z" * (3 << 20))
    with pytest.raises(CommandError, match="Line 1"):
        call_command("import_members", str(path), "--brand", brand.slug, "--no-progress")


def test_a_quote_left_open_near_the_end_stops_instead_of_swallowing_the_last_rows(brand: Brand, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        HEADER + 'Q1,"Quoted, fine",0912345678\nQ2,"Unclosed,0912345679\nQ3,Name,0912345670\nQ4,Name,0912345671\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match=r"Line 3 opens a quote"):
        run(brand, path, processes=1)
    assert not Member.objects.exists()


@pytest.mark.timeout(60)
def test_an_unclosed_quote_stops_naming_its_line_without_quadratic_work(brand: Brand, tmp_path: Path) -> None:
    # given: a quote opened on line 3 and never closed, then 200,000 short lines (about 4 MB)
    path = tmp_path / "members.csv"
    path.write_text(
        HEADER + "Q1,Good,0912345678\n" + 'Q2,"Unclosed,0912345679\n' + "Q3,Name,0912345670\n" * 200_000,
        encoding="utf-8",
    )
    # when
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=r"Line 3.*quote"):
        run(brand, path, processes=1)
    # then
    assert time.perf_counter() - started < 5
