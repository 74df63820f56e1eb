from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def refuse_shared_channels(apps, schema_editor):
    """Stop with the brands to fix when two of them already share a LINE channel id."""
    Brand = apps.get_model("portal", "Brand")
    shared = (
        Brand.objects.exclude(line_channel_id="")
        .values("line_channel_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("line_channel_id", flat=True)
    )
    if shared:
        listing = "; ".join(
            f"{channel}: " + ", ".join(Brand.objects.filter(line_channel_id=channel).values_list("slug", flat=True))
            for channel in shared
        )
        raise RuntimeError(
            f"Brands share a LINE channel id ({listing}). Give each brand its own channel id "
            "(manage.py create_brand <slug> --channel-id ...) or clear it, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_shared_channels, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="brand",
            constraint=models.UniqueConstraint(
                condition=models.Q(("line_channel_id", ""), _negated=True),
                fields=("line_channel_id",),
                name="brand_line_channel_id_unique",
                violation_error_message="Another brand already uses this LINE channel id.",
            ),
        ),
    ]
