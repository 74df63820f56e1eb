"""Create an API key for a brand and print it once, as the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import Brand, BrandAPIKey
from portal.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create an API key for a brand. The key is printed once, as the last line; only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("--name", default="command line")
        parser.add_argument(
            "--replace", action="store_true", help="revoke this brand's earlier keys with the same name first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        brand = Brand.objects.filter(slug=options["brand"]).first()
        if brand is None:
            raise CommandError(f"--brand: no brand with slug {options['brand']!r}; create it with create_brand.")
        actor = "command:create_api_key"
        if options["replace"]:
            for old in BrandAPIKey.objects.filter(brand=brand, name=options["name"], revoked=False):
                api_key_revoke(api_key=old, actor=actor)
        api_key, key = api_key_create(brand=brand, name=options["name"], actor=actor)
        self.stderr.write(f"API key {api_key.prefix}… created for {brand.slug}; it will not be shown again.")
        self.stdout.write(key)
