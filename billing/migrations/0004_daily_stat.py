"""Daily delivery counts per Taiwan day and JST day, kept by triggers on the hourly table."""

import django.db.models.deletion
from django.db import migrations, models


# The daily table follows the hourly one through triggers, in the same transaction as each change.
# An insert adds its count, an update adds the difference, a delete subtracts (rows are never
# created by a delete, so deleting a brand's rows in any order is harmless).
ZONES = (8, 9)

POSTGRES = """
CREATE OR REPLACE FUNCTION billing_daily_stat_follow() RETURNS trigger AS $$
DECLARE
    offset_hours integer;
BEGIN
    FOREACH offset_hours IN ARRAY ARRAY[8, 9] LOOP
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE billing_dailystat SET count = count - OLD.count
            WHERE zone = offset_hours
              AND day = ((OLD.hour AT TIME ZONE 'UTC') + make_interval(hours => offset_hours))::date
              AND brand_id = OLD.brand_id AND channel = OLD.channel AND metric = OLD.metric;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO billing_dailystat (zone, day, brand_id, channel, metric, count)
            VALUES (offset_hours, ((NEW.hour AT TIME ZONE 'UTC') + make_interval(hours => offset_hours))::date,
                    NEW.brand_id, NEW.channel, NEW.metric, NEW.count)
            ON CONFLICT (zone, day, brand_id, channel, metric)
            DO UPDATE SET count = billing_dailystat.count + excluded.count;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS billing_daily_stat_follow ON notifications_deliverystat;
CREATE TRIGGER billing_daily_stat_follow AFTER INSERT OR UPDATE OR DELETE ON notifications_deliverystat
FOR EACH ROW EXECUTE FUNCTION billing_daily_stat_follow();
"""


def _sqlite_statements() -> list[str]:
    def add(row: str, zone: int, sign: str) -> str:
        return f"""INSERT INTO billing_dailystat (zone, day, brand_id, channel, metric, count)
            VALUES ({zone}, date({row}.hour, '+{zone} hours'), {row}.brand_id, {row}.channel, {row}.metric,
                    {sign}{row}.count)
            ON CONFLICT (zone, day, brand_id, channel, metric) DO UPDATE SET count = count + excluded.count;"""

    def subtract(zone: int) -> str:
        return f"""UPDATE billing_dailystat SET count = count - OLD.count
            WHERE zone = {zone} AND day = date(OLD.hour, '+{zone} hours') AND brand_id = OLD.brand_id
              AND channel = OLD.channel AND metric = OLD.metric;"""

    insert = "".join(add("NEW", zone, "") for zone in ZONES)
    update = "".join(subtract(zone) + add("NEW", zone, "") for zone in ZONES)
    delete = "".join(subtract(zone) for zone in ZONES)
    return [
        "DROP TRIGGER IF EXISTS billing_daily_stat_insert",
        "DROP TRIGGER IF EXISTS billing_daily_stat_update",
        "DROP TRIGGER IF EXISTS billing_daily_stat_delete",
        f"CREATE TRIGGER billing_daily_stat_insert AFTER INSERT ON notifications_deliverystat BEGIN {insert} END",
        f"CREATE TRIGGER billing_daily_stat_update AFTER UPDATE ON notifications_deliverystat BEGIN {update} END",
        f"CREATE TRIGGER billing_daily_stat_delete AFTER DELETE ON notifications_deliverystat BEGIN {delete} END",
    ]


def _backfill(vendor: str) -> list[str]:
    statements = ["DELETE FROM billing_dailystat"]
    for zone in ZONES:
        day = (
            f"((hour AT TIME ZONE 'UTC') + interval '{zone} hours')::date"
            if vendor == "postgresql"
            else f"date(hour, '+{zone} hours')"
        )
        statements.append(
            f"""INSERT INTO billing_dailystat (zone, day, brand_id, channel, metric, count)
            SELECT {zone}, {day}, brand_id, channel, metric, SUM(count) FROM notifications_deliverystat
            GROUP BY {day}, brand_id, channel, metric"""
        )
    return statements


def install_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [POSTGRES]
    elif vendor == "sqlite":
        statements = _sqlite_statements()
    else:
        raise RuntimeError(f"billing's daily statistics need triggers written for {vendor}")
    with schema_editor.connection.cursor() as cursor:
        for statement in [*statements, *_backfill(vendor)]:
            cursor.execute(statement)


def remove_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS billing_daily_stat_follow ON notifications_deliverystat")
            cursor.execute("DROP FUNCTION IF EXISTS billing_daily_stat_follow()")
        else:
            for name in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS billing_daily_stat_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_role_permissions"),
        ("portal", "0002_roles"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DailyStat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("zone", models.PositiveSmallIntegerField(verbose_name="UTC offset (hours)")),
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(max_length=16, verbose_name="channel")),
                ("metric", models.CharField(max_length=20, verbose_name="metric")),
                ("count", models.BigIntegerField(default=0, verbose_name="count")),
                (
                    "brand",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="portal.brand",
                    ),
                ),
            ],
            options={
                "verbose_name": "daily delivery statistic",
                "verbose_name_plural": "daily delivery statistics",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("zone", "day", "brand", "channel", "metric"), name="daily_stat_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
