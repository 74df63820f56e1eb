from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from portal.models import Brand
from tests.billing.conftest import taipei


def test_billing_report_writes_every_brands_statement_lines_as_csv(
    brand: Brand, other_brand: Brand, deliver: Callable[..., None], tmp_path: Path
) -> None:
    deliver(brand, taipei("2026-01-05 10:00"), 4)
    deliver(other_brand, taipei("2026-01-31 23:30"), 9)  # JST 1 Feb: billed in February
    output = tmp_path / "jan.csv"
    call_command("billing_report", "--month", "2026-01", "--format", "csv", "--output", str(output))
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    pnp = {(r["brand"], r["quantity"]) for r in rows if r["kind"] == "pnp"}
    assert pnp == {("acme", "4"), ("globex", "0")}


def test_billing_report_writes_one_brands_reconciliation_as_xlsx(
    brand: Brand, deliver: Callable[..., None], tmp_path: Path
) -> None:
    deliver(brand, taipei("2026-01-05 10:00"), 4)
    output = tmp_path / "jan.xlsx"
    call_command(
        "billing_report",
        "--month",
        "2026-01",
        "--brand",
        "acme",
        "--report",
        "reconciliation",
        "--format",
        "xlsx",
        "--output",
        str(output),
    )
    rows = list(load_workbook(output).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(rows) == 1 + 31 + 1  # header, the JST days, the totals row
    fifth = next(r for r in rows[1:] if str(r[3]).startswith("2026-01-05"))
    assert fifth[4] == 4
    assert rows[-1][0] == "total" and rows[-1][4] == 4  # the portal's count summed over the month


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--month", "2026/01"], "--month"), (["--month", "2026-01", "--brand", "nope"], "--brand")],
)
def test_billing_report_names_the_bad_option(db: None, tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("billing_report", *args, "--output", str(tmp_path / "x.csv"))
