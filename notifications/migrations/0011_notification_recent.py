from django.db import migrations, models

from portal.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False  # the index is built concurrently on PostgreSQL: the table stays writable

    dependencies = [("notifications", "0010_sms_account_gateway_url")]

    operations = [
        AddIndexWithoutLocking(
            model_name="notification",
            index=models.Index(fields=["-created_at", "-id"], name="notification_recent"),
        ),
    ]
