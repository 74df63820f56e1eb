"""Ask LINE again for a month's PNP counts (every day not settled), for every brand or one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.periods import parse_month
from billing.services import line_counts_refetch_month
from portal.models import Brand


class Command(BaseCommand):
    help = (
        "Ask LINE again for each JST day of the month (up to yesterday) whose PNP count is not settled, "
        "including days stored 'ready' without a number; settled days keep their number. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="Taiwan calendar month, YYYY-MM")
        parser.add_argument("--brand", help="a brand's slug (default: every active brand with a LINE channel)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(f"--month: {exc}") from None
        brands = Brand.objects.filter(is_active=True).exclude(line_channel_id="").order_by("slug")
        if options["brand"]:
            brands = brands.filter(slug=options["brand"])
            if not brands.exists():
                raise CommandError(f"--brand: no active brand with a LINE channel has the slug {options['brand']!r}")
        for brand in brands:
            results = line_counts_refetch_month(brand=brand, month=month, actor="command:line_counts_refetch")
            self.stdout.write(f"{brand.slug}: asked LINE for {len(results)} day(s) of {month:%Y-%m}")
            for day in results:
                count = "" if day.success is None else f" {day.success}"
                self.stdout.write(f"  {day.jst_date} {day.kind}: {day.before or '-'} -> {day.status}{count}")
