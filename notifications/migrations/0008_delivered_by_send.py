"""Count each delivered PNP in the hour it was sent too: LINE counts a PNP on the JST day it was sent.

The new hourly metric is filled from the attempts already delivered (the daily table follows
through its triggers), so months already sent reconcile by the same rule.
"""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Coalesce, TruncHour

METRIC = "delivered_by_send"


def backfill(apps, schema_editor):
    Attempt = apps.get_model("notifications", "Attempt")
    DeliveryStat = apps.get_model("notifications", "DeliveryStat")
    DeliveryStat.objects.filter(metric=METRIC).delete()
    hours = (
        Attempt.objects.filter(channel="pnp", delivered_at__isnull=False)
        .annotate(hour=TruncHour(Coalesce("sent_at", "delivered_at")))
        .values("notification__brand_id", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = (
        DeliveryStat(brand_id=row["notification__brand_id"], hour=row["hour"], channel="pnp", metric=METRIC, count=row["n"])
        for row in hours.iterator()
    )
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            DeliveryStat.objects.bulk_create(batch)
            batch = []
    DeliveryStat.objects.bulk_create(batch)


def remove(apps, schema_editor):
    apps.get_model("notifications", "DeliveryStat").objects.filter(metric=METRIC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_refused_422_wording"),
        ("billing", "0004_daily_stat"),
    ]

    operations = [migrations.RunPython(backfill, remove)]
