"""Import a CSV/XLSX file of members into one brand from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from members.importing import ImportFileError, estimate_rows
from members.services import member_import_file
from portal.models import Brand


class Command(BaseCommand):
    help = "Import members (external_id, name, phone [, consent columns]) into a brand; bad rows are reported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV (UTF-8, UTF-8 with BOM or Big5) or XLSX file")
        parser.add_argument("--brand", required=True, help="brand slug, e.g. demo-shop")
        parser.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        parser.add_argument("--encoding", help="force the CSV encoding (default: detected)")
        parser.add_argument("--report", type=Path, help="where to write rejected rows (default: <file>.rejected.csv)")
        parser.add_argument("--processes", type=int, help="parsing processes (default: 2 for big files)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        brand = Brand.objects.filter(slug=options["brand"]).first()
        if brand is None:
            raise CommandError(f"No brand with slug {options['brand']!r}.")
        report = options["report"] or path.with_name(path.name + ".rejected.csv")
        try:
            total = estimate_rows(path)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        bar = tqdm(total=total, unit="rows", disable=options["no_progress"], file=self.stderr._out, smoothing=0.1)

        def progress(rows: int) -> None:
            bar.update(rows - bar.n)

        try:
            result = member_import_file(
                brand=brand,
                path=path,
                actor="command:import_members",
                dry_run=options["dry_run"],
                encoding=options["encoding"],
                report_path=report,
                progress=progress,
                processes=options["processes"],
            )
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        finally:
            bar.close()
        line = result.summary()
        if result.report_path:
            line += f" — rejected rows: {result.report_path}"
        self.stdout.write(line)
