"""Export a month's statements or reconciliation for every brand (or one) as CSV or XLSX, streamed."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.choices import StatementStatus
from billing.exports import export_rows, write_csv, write_xlsx
from billing.periods import parse_month
from billing.resources import RESOURCES
from billing.services import statements_generate_month
from portal.models import Brand


class Command(BaseCommand):
    help = (
        "Export the month's statements (one row per line) or reconciliation (one row per JST day). "
        "Drafts are recomputed first; finalised and confirmed statements are exported as frozen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="Taiwan calendar month, YYYY-MM")
        parser.add_argument("--brand", help="a brand's slug (default: every active brand)")
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--report", choices=sorted(RESOURCES), default="statement")
        parser.add_argument("--output", required=True, help="file path, or - for standard output (CSV only)")
        parser.add_argument(
            "--no-refresh", action="store_true", help="export the stored drafts as they are, without recomputing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(f"--month: {exc}") from None
        brands = None
        if options["brand"]:
            brand = Brand.objects.filter(slug=options["brand"]).first()
            if brand is None:
                raise CommandError(f"--brand: no brand with slug {options['brand']!r}")
            brands = [brand]
        if options["format"] == "xlsx" and options["output"] == "-":
            raise CommandError("--output: XLSX needs a file path")
        if not options["no_refresh"]:
            statements_generate_month(month=month, actor="command:billing_report", brands=brands)
        resource = RESOURCES[options["report"]]()
        queryset = (
            resource.get_queryset()
            .filter(statement__month=month)
            .exclude(statement__status=StatementStatus.VOID)
            .order_by("statement__brand__slug", "pk")
        )
        if brands is not None:
            queryset = queryset.filter(statement__brand__in=brands)

        rows = export_rows(resource, queryset, native=options["format"] == "xlsx")
        if options["format"] == "xlsx":
            count = write_xlsx(rows, options["output"], title=options["report"])
        elif options["output"] == "-":
            count = write_csv(rows, sys.stdout)
        else:
            with open(options["output"], "w", newline="", encoding="utf-8") as stream:
                count = write_csv(rows, stream)
        self.stderr.write(f"{count} rows written to {options['output']}")
