"""Import 1,000,000 messy member rows on PostgreSQL; compare with django-import-export row by row.

Usage: python bench/bench_member_import.py [--rows 1000000] [--sample 2000] [--database-url URL]
Creates its own database (default bench_members), drops it at the end.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _results import result
from _setup import DEFAULT_URL, drop_database, peak_rss_mb, setup_database

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def messy_phone(n: int, rng: random.Random) -> str:
    digits = f"9{n % 100_000_000:08d}"  # 9xxxxxxxx: Taiwanese mobile
    style = n % 8
    if style == 0:
        return f"0{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if style == 1:
        return f"0{digits}"
    if style == 2:
        return f"+886 {digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 3:
        return f"886{digits}"
    if style == 4:
        return f"0{digits}".translate(FULL_WIDTH)
    if style == 5:
        return f" 0{digits[:3]} {digits[3:]} "
    if style == 6:
        number = f"2{n % 10_000_000:07d}"
        return f"(02) {number[:4]}-{number[4:]}"  # Taipei landline
    return f"0{digits[:4]}-{digits[4:]}"


def write_file(path: Path, rows: int, start: int = 0) -> int:
    """Write ``rows`` rows (0.1 % of them bad); return how many are bad."""
    rng = random.Random(start)
    bad = 0
    consent = ["1", "0", "", "1", "yes"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("external_id,name,phone,pnp_consent,sms_consent\n")
        for n in range(start, start + rows):
            phone = messy_phone(n, rng)
            if n % 1000 == 999:
                phone = "0912-34-567" if n % 2 else "not a number"
                bad += 1
            handle.write(f"M{n:08d},會員 {n},{phone},{consent[n % 5]},{consent[(n // 5) % 5]}\n")
    return bad


FLOOR_TABLES = ("members_member", "members_consent")


def copy_floor(folder: Path) -> tuple[float, int]:
    """The COPY floor: the import's final member and consent rows, pre-normalised, loaded by COPY.

    The rows the import wrote are copied out, the tables emptied, and the same rows copied back
    in, into the same tables with the same indexes and constraints; returns the seconds the load
    took and the rows loaded.
    """
    from django.db import connection, transaction

    files = {table: folder / f"{table}.copy" for table in FLOOR_TABLES}
    with connection.cursor() as cursor:
        for table, path in files.items():
            with path.open("wb") as handle, cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    handle.write(data)
        cursor.execute(f"TRUNCATE {', '.join(FLOOR_TABLES)} CASCADE")
        cursor.execute("CHECKPOINT")
    loaded = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, path in files.items():
            with path.open("rb") as handle, cursor.copy(f"COPY {table} FROM STDIN") as copy:
                while data := handle.read(1 << 20):
                    copy.write(data)
            loaded += cursor.rowcount
    return time.perf_counter() - started, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the row-by-row reference")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    setup_database(args.database_url)
    try:
        from django.db import transaction
        from django.utils import translation
        from import_export.formats.base_formats import CSV

        from members.models import Member
        from members.resources import MemberResource
        from members.services import member_import_file
        from portal.models import Brand

        translation.activate("en")
        brand = Brand.objects.create(name="Bench", slug="bench")
        with tempfile.TemporaryDirectory() as folder:
            big = Path(folder) / "members.csv"
            bad = write_file(big, args.rows)
            print(f"file: {args.rows:,} rows, {bad:,} bad, {big.stat().st_size / 1e6:.0f} MB")

            started = time.perf_counter()
            imported_file = member_import_file(brand=brand, path=big, actor="bench")
            ours_s = time.perf_counter() - started
            print(f"ours: {imported_file.summary()} in {ours_s:.1f} s")
            assert imported_file.rejected == bad, (imported_file.rejected, bad)

            started = time.perf_counter()
            again = member_import_file(brand=brand, path=big, actor="bench")
            print(f"ours, same file again: {again.summary()} in {time.perf_counter() - started:.1f} s")
            ours_rss = peak_rss_mb()

            floor_s, floor_rows = copy_floor(Path(folder))
            print(f"COPY floor: the same {floor_rows:,} member and consent rows by COPY in {floor_s:.1f} s")

            # Reference: django-import-export's plain row-by-row import on a sample.
            sample = Path(folder) / "sample.csv"
            write_file(sample, args.sample, start=50_000_000)
            dataset = CSV().create_dataset(sample.read_text(encoding="utf-8"))
            resource = MemberResource(brand=brand)
            started = time.perf_counter()
            with transaction.atomic():
                resource.import_data(dataset, dry_run=False, raise_errors=False, collect_failed_rows=True)
            reference_s = time.perf_counter() - started
            imported = Member.objects.filter(brand=brand, external_id__startswith="M5").count()
            print(
                f"reference (django-import-export, row by row): {imported:,} of {args.sample:,} rows "
                f"in {reference_s:.1f} s"
            )

        ours_rate = args.rows / ours_s
        reference_rate = args.sample / reference_s
        print(f"ours:      {ours_rate:,.0f} rows/s ({args.rows:,} rows in {ours_s:.1f} s; target < 60 s)")
        print(
            f"reference: {reference_rate:,.0f} rows/s (extrapolated {args.rows / reference_rate / 60:.0f} min "
            f"for {args.rows:,} rows)"
        )
        print(f"ratio:     {ours_rate / reference_rate:.0f}x")
        result(
            bench="member_import",
            figure=f"member import, {args.rows:,} rows",
            ours=ours_s,
            unit="s",
            reference=args.rows / reference_rate,
            reference_label="django-import-export row by row (extrapolated)",
            ratio=ours_rate / reference_rate,
            target="< 60 s",
            met=ours_s < 60,
        )
        result(
            bench="member_import",
            figure=f"member import against the COPY floor, {args.rows:,} rows",
            ours=ours_s,
            unit="s",
            reference=floor_s,
            reference_label="the same final rows, pre-normalised, by COPY",
            ratio=floor_s / ours_s,
            target="<= 1.4x the COPY floor, peak RSS < 500 MB",
            met=ours_s <= 1.4 * floor_s and ours_rss < 500,
        )
        print(f"against the COPY floor: {ours_s / floor_s:.2f}x its time (target <= 1.4x)")
        print(f"peak RSS:  {ours_rss:.0f} MB during the import (largest of this process and its pool; target < 500)")
    finally:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
