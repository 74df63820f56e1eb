from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from members import importing
from members.choices import ConsentPurpose
from members.importing import ImportFileError
from members.models import Consent, Member
from members.selectors import consent_state_from_history
from members.services import member_erase, member_import_file
from portal.models import Brand

HEADER = "external_id,name,phone,pnp_consent,sms_consent\n"
MESSY = (
    HEADER + "A1,王小明,0912-345-678,1,\n"
    "A2,陳美麗,0912345678,1,1\n"
    "A3,Lin,+886 912 345 679,0,1\n"
    "A4,Wu,886912345670,,\n"
    "A5,台北辦公室,(02) 2345-6789,,1\n"
    "A6,全形,０９３３１１１２２２,是,否\n"
    "A7,Spaces,  0933 111 223 ,,\n"
)


def run(brand: Brand, path: Path, **kwargs: object) -> importing.ImportResult:
    return member_import_file(brand=brand, path=path, actor="test", **kwargs)  # type: ignore[arg-type]


def test_every_listed_format_is_imported_as_e164(brand: Brand, write_csv: Callable[..., Path]) -> None:
    result = run(brand, write_csv(MESSY))
    assert (result.created, result.rejected) == (7, 0)
    phones = dict(Member.objects.values_list("external_id", "phone_e164"))
    assert phones == {
        "A1": "+886912345678",
        "A2": "+886912345678",
        "A3": "+886912345679",
        "A4": "+886912345670",
        "A5": "+886223456789",
        "A6": "+886933111222",
        "A7": "+886933111223",
    }
    assert set(Member.objects.filter(duplicate_phone=True).values_list("external_id", flat=True)) == {"A1", "A2"}


def test_bad_rows_are_reported_with_line_column_and_reason_and_good_rows_imported(
    brand: Brand, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    # given
    text = (
        HEADER + "B1,Good,0912345678,1,1\n"
        "B2,Short,0912-34-567,1,\n"
        "B3,Letters,call me,,\n"
        ",NoId,0912345671,,\n"
        "B5,BadConsent,0912345672,maybe,\n"
        "B1,Again,0912345673,,\n"
    )
    # when
    result = run(brand, write_csv(text), report_path=tmp_path / "rejected.csv")
    # then
    assert (result.created, result.rejected) == (1, 5)
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "phone"),
        (4, "phone"),
        (5, "external_id"),
        (6, "pnp_consent"),
        (7, "external_id"),
    ]
    assert result.errors[0].reason == "0912-34-567: too short for a Taiwanese mobile number."
    assert "already appears on line 2" in result.errors[4].reason
    report = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "3,phone,0912-34-567,0912-34-567: too short for a Taiwanese mobile number." in report
    assert list(Member.objects.values_list("external_id", flat=True)) == ["B1"]


def test_importing_the_same_file_again_changes_nothing(brand: Brand, write_csv: Callable[..., Path]) -> None:
    path = write_csv(MESSY)
    run(brand, path)
    before = list(Member.objects.order_by("pk").values())
    consents = Consent.objects.count()
    result = run(brand, path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    assert list(Member.objects.order_by("pk").values()) == before
    assert Consent.objects.count() == consents


def test_a_changed_consent_column_appends_a_record_and_the_state_matches_the_history(
    brand: Brand, write_csv: Callable[..., Path]
) -> None:
    run(brand, write_csv(HEADER + "C1,A,0912345678,1,1\n", "one.csv"))
    result = run(brand, write_csv(HEADER + "C1,A,0912345678,0,\n", "two.csv"))
    assert (result.updated, result.unchanged) == (1, 0)
    member = Member.objects.get()
    assert (member.pnp_consent, member.sms_consent) == (False, True)
    history = consent_state_from_history(member=member)
    assert history[ConsentPurpose.PNP_NOTIFICATION] is False
    assert history[ConsentPurpose.SMS_NOTIFICATION] is True
    assert Consent.objects.filter(purpose=ConsentPurpose.PNP_NOTIFICATION).count() == 2
    assert Consent.objects.filter(member=member).first().evidence == "two.csv, line 2"  # type: ignore[union-attr]


def test_big5_and_utf8_with_bom_files_are_read(brand: Brand, write_csv: Callable[..., Path]) -> None:
    run(brand, write_csv(HEADER + "D1,王小明,0912345678,,\n", "big5.csv", encoding="cp950"))
    run(brand, write_csv("\ufeff" + HEADER + "D2,陳美麗,0912345679,,\n", "bom.csv"))
    assert dict(Member.objects.values_list("external_id", "name")) == {"D1": "王小明", "D2": "陳美麗"}


def test_an_xlsx_whose_leading_zero_was_eaten_is_read(brand: Brand, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "phone", "pnp_consent"])
    sheet.append(["X1", "王小明", 912345678, 1])
    sheet.append(["X2", "Short", "0912-34-567", 1])
    book.save(tmp_path / "members.xlsx")
    result = run(brand, tmp_path / "members.xlsx")
    assert (result.created, result.rejected) == (1, 1)
    assert result.errors[0].line == 3
    assert Member.objects.get().pnp_consent is True


def test_a_dry_run_counts_but_saves_nothing(brand: Brand, write_csv: Callable[..., Path]) -> None:
    result = run(brand, write_csv(MESSY), dry_run=True)
    assert result.created == 7
    assert not Member.objects.exists()
    assert not Consent.objects.exists()


def test_an_erased_member_is_not_brought_back_by_an_import(brand: Brand, write_csv: Callable[..., Path]) -> None:
    path = write_csv(HEADER + "E1,A,0912345678,1,\n")
    run(brand, path)
    member_erase(member=Member.objects.get(), actor="test")
    result = run(brand, path)
    assert result.rejected == 1
    assert "erased" in result.errors[0].reason
    assert Member.objects.get().name == ""


def test_a_file_without_the_required_columns_cannot_be_read(brand: Brand, write_csv: Callable[..., Path]) -> None:
    with pytest.raises(ImportFileError, match="Missing column"):
        run(brand, write_csv("id,phone\n1,0912345678\n"))


def test_the_pool_of_processes_gives_the_same_result_in_file_order(
    brand: Brand, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: blocks of a few rows, and a name with a line break inside quotes
    monkeypatch.setattr(importing, "BLOCK_BYTES", 40)
    text = MESSY + 'A8,"Two\nLines",0912000008,,\n' + "A9,Bad,123,,\n"
    # when
    result = run(brand, write_csv(text), processes=2)
    # then
    assert (result.created, result.rejected) == (8, 1)
    assert result.errors[0].line == 11
    assert Member.objects.get(external_id="A8").name == "Two\nLines"


def test_the_command_prints_one_summary_line_and_writes_the_report(
    brand: Brand, write_csv: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(MESSY + "A8,Bad,123,,\n")
    call_command("import_members", str(path), "--brand", brand.slug, "--no-progress")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("7 created, 0 updated, 0 unchanged, 1 rejected")
    assert path.with_name("members.csv.rejected.csv").exists()


def test_the_command_fails_only_when_nothing_can_be_read(brand: Brand, write_csv: Callable[..., Path]) -> None:
    with pytest.raises(CommandError, match="Missing column"):
        call_command("import_members", str(write_csv("foo\n1\n")), "--brand", brand.slug, "--no-progress")
    with pytest.raises(CommandError, match="No brand"):
        call_command("import_members", str(write_csv(MESSY)), "--brand", "nope", "--no-progress")
