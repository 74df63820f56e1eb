"""Create or update a brand from the command line (secrets may come from the environment)."""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.services import brand_create_or_update

env = environ.Env()


class Command(BaseCommand):
    help = (
        "Create a brand, or update the brand with this slug. The channel secret and access token "
        "may be given as LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN to keep them out of shell history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name")
        parser.add_argument("--channel-id")
        parser.add_argument("--channel-secret", help="or set LINE_CHANNEL_SECRET")
        parser.add_argument("--access-token", help="or set LINE_CHANNEL_ACCESS_TOKEN")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            brand, created = brand_create_or_update(
                slug=options["slug"],
                name=options["name"],
                channel_id=options["channel_id"],
                channel_secret=options["channel_secret"] or env.str("LINE_CHANNEL_SECRET", default="") or None,
                access_token=options["access_token"] or env.str("LINE_CHANNEL_ACCESS_TOKEN", default="") or None,
                actor="command:create_brand",
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"--{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
            raise CommandError(problems) from None
        self.stdout.write(f"{'Created' if created else 'Updated'} brand {brand.slug} ({brand.name}).")
