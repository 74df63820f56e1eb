"""Seed the price table: 0.2 TWD per delivered PNP from 2023-01-01 (DOMAIN: "Price and billing")."""

from datetime import date
from decimal import Decimal

from django.db import migrations


def seed_prices(apps, schema_editor):  # type: ignore[no-untyped-def]
    UnitPrice = apps.get_model("billing", "UnitPrice")
    UnitPrice.objects.get_or_create(
        channel="pnp",
        effective_from=date(2023, 1, 1),
        defaults={"price": Decimal("0.2000"), "note": "LINE's published PNP price per delivered message"},
    )
    UnitPrice.objects.get_or_create(
        channel="line_push",
        effective_from=date(2023, 1, 1),
        defaults={"price": Decimal("0.0000"), "note": "Pushes to friends are within the OA's message plan"},
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed_prices, migrations.RunPython.noop)]
