from django.db import migrations, models

from portal.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False  # the index is built concurrently on PostgreSQL: the table stays writable

    dependencies = [("notifications", "0013_texts_as_codes")]

    operations = [
        AddIndexWithoutLocking(
            model_name="notification",
            index=models.Index(
                condition=models.Q(status__in=["failed", "not_delivered"]),
                fields=["-created_at", "-id"],
                name="notification_unsuccessful",
            ),
        ),
    ]
