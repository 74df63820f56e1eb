"""Time a month's statement figures for every brand from the hourly rollups, against the same figures from raw rows.

    .venv/bin/python bench/bench_billing.py [--notifications 10000000] [--brands 50] [--runs 5] [--keep]

Runs on PostgreSQL in its own database (``bench_billing`` on the server of ``--server``), created
with the project's migrations and dropped at the end (unless ``--keep``). Raw rows are generated
in the database (``generate_series``, one ``INSERT … SELECT`` per table): one notification and one
attempt each, delivered over one Taiwan month across the brands, 92 % PNP and 8 % SMS. The hourly
rollups are then computed from those rows with one ``INSERT … SELECT … GROUP BY`` per metric.

Ours: :func:`billing.selectors.daily_counts` as the statements call it (delivered PNP, push and SMS,
SMS sent and segments per brand and Taiwan day, plus delivered PNP per JST day for reconciliation),
read from the daily rollup that triggers keep from the hourly one; the same figures summed from the
hourly rollup are timed too.
Reference: the same figures grouped from the raw attempts joined to their notifications.
Both are run ``--runs`` times; the median is printed, and the two sets of figures must be equal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from _results import result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTH = date(2026, 1, 1)
RAW_SQL = """
SELECT n.brand_id, (a.{column} AT TIME ZONE %(zone)s)::date AS day, a.channel, {value}
FROM notifications_attempt a JOIN notifications_notification n ON n.id = a.notification_id
WHERE a.{column} >= %(start)s AND a.{column} < %(end)s AND a.channel = ANY(%(channels)s)
GROUP BY 1, 2, 3
"""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=10_000_000)
    parser.add_argument("--brands", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_billing")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def admin_sql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def generate(cursor: Any, *, notifications: int, brands: int) -> None:
    """Fill brands, notifications, attempts and the matching hourly rollups inside PostgreSQL."""
    from billing.periods import TAIWAN, month_last_day, range_utc

    start, end = range_utc(MONTH, month_last_day(MONTH), TAIWAN)
    seconds = int((end - start).total_seconds())
    cursor.execute("SET session_replication_role = replica")  # bulk load: skip FK triggers (bench database only)
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.execute(
        """INSERT INTO portal_brand (id, slug, name, account_type, legal_entity_type, is_certified_provider,
               application_path, line_channel_id, channel_secret, channel_access_token, is_active,
               created_at, updated_at)
           SELECT g, 'brand-' || g, 'Brand ' || g, 'certified', 'company', false, '', '', '', '', true, now(), now()
           FROM generate_series(1, %s) g""",
        [brands],
    )
    t0 = time.perf_counter()
    # Notification ids 1..N; brand by id, creation time spread over the month.
    cursor.execute(
        """INSERT INTO notifications_notification (id, brand_id, member_id, template_version_id, template_code,
               variables, reservation_key, line_messages, sms_text, channel_plan, status, channel, final_reason,
               final_reason_code, final_reason_params,
               created_at, updated_at, delivered_channel, delivered_twice, submitted_by)
           SELECT g, 1 + (g %% %(brands)s), 1, 1, 'notice', '{}', '', '[]', '', '["pnp","sms"]', 'delivered',
                  CASE WHEN (g / %(brands)s) %% 25 < 2 THEN 'sms' ELSE 'pnp' END, '', '', '{}',
                  %(start)s + make_interval(secs => (g * 7919::bigint) %% %(seconds)s), now(),
                  CASE WHEN (g / %(brands)s) %% 25 < 2 THEN 'sms' ELSE 'pnp' END, false, ''
           FROM generate_series(1, %(n)s) g""",
        {"brands": brands, "start": start, "seconds": seconds, "n": notifications},
    )
    print(f"  notifications: {notifications:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    cursor.execute(
        """INSERT INTO notifications_attempt (notification_id, channel, status, reference, created_at, sent_at,
               accepted_at, answered_at, delivered_at, retries, error, vendor, vendor_message_id, sms_segments, claim)
           SELECT n.id, n.channel, 'delivered', 'r' || n.id, n.created_at, n.created_at, n.created_at, n.created_at,
                  n.created_at + make_interval(secs => 5 + n.id % 90), 0, '', '', '',
                  CASE WHEN n.channel = 'sms' THEN 1 + (n.id % 3 = 0)::int END, ''
           FROM notifications_notification n""",
    )
    print(f"  attempts: {notifications:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    cursor.execute("SET session_replication_role = DEFAULT")  # the daily rollup's triggers must fire
    t0 = time.perf_counter()
    for metric, column, value in (
        ("delivered", "delivered_at", "count(*)"),
        ("sent", "accepted_at", "count(*)"),
        ("sms_segments", "accepted_at", "sum(a.sms_segments)"),
    ):
        cursor.execute(
            f"""INSERT INTO notifications_deliverystat (brand_id, hour, channel, metric, count)
                SELECT n.brand_id, date_trunc('hour', a.{column}), a.channel, %s, {value}
                FROM notifications_attempt a JOIN notifications_notification n ON n.id = a.notification_id
                WHERE a.{column} IS NOT NULL {"AND a.channel = 'sms'" if metric == "sms_segments" else ""}
                GROUP BY 1, 2, 3""",
            [metric],
        )
    cursor.execute("VACUUM (ANALYZE) notifications_attempt")
    cursor.execute("VACUUM (ANALYZE) notifications_notification")
    cursor.execute("VACUUM (ANALYZE) notifications_deliverystat")
    cursor.execute("VACUUM (ANALYZE) billing_dailystat")
    print(f"  rollups from raw rows + vacuum in {time.perf_counter() - t0:.1f} s", flush=True)


def ours(*, hourly: bool = False) -> dict[tuple[Any, ...], int]:
    from billing.periods import JST, TAIWAN, month_last_day
    from billing.selectors import daily_counts, hourly_daily_counts
    from notifications.choices import Channel, Metric

    last = month_last_day(MONTH)
    counts = hourly_daily_counts if hourly else daily_counts
    taiwan = counts(
        first=MONTH,
        last=last,
        zone=TAIWAN,
        metrics=(Metric.DELIVERED, Metric.SENT, Metric.SMS_SEGMENTS),
        channels=(Channel.PNP, Channel.LINE_PUSH, Channel.SMS),
    )
    jst = counts(first=MONTH, last=last, zone=JST, metrics=(Metric.DELIVERED,), channels=(Channel.PNP,))
    figures = {("tw", b, d, c, m): n for (b, d, c, m), n in taiwan.items()}
    figures.update({("jst", b, d, c, m): n for (b, d, c, m), n in jst.items()})
    return figures


def reference(cursor: Any) -> dict[tuple[Any, ...], int]:
    from billing.periods import JST, TAIWAN, month_last_day, range_utc

    figures: dict[tuple[Any, ...], int] = {}
    last = month_last_day(MONTH)
    for key, zone, metric, column, value, channels in (
        ("tw", TAIWAN, "delivered", "delivered_at", "count(*)", ["pnp", "line_push", "sms"]),
        ("tw", TAIWAN, "sent", "accepted_at", "count(*)", ["pnp", "line_push", "sms"]),
        ("tw", TAIWAN, "sms_segments", "accepted_at", "sum(a.sms_segments)", ["sms"]),
        ("jst", JST, "delivered", "delivered_at", "count(*)", ["pnp"]),
    ):
        start, end = range_utc(MONTH, last, zone)
        cursor.execute(
            RAW_SQL.format(column=column, value=value),
            {"zone": str(zone), "start": start, "end": end, "channels": channels},
        )
        for brand, day, channel, n in cursor.fetchall():
            figures[(key, brand, day, channel, metric)] = int(n)
    return figures


def timed(function: Any, runs: int) -> tuple[float, Any]:
    durations, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = function()
        durations.append((time.perf_counter() - t0) * 1000)
    return statistics.median(durations), result


def main() -> None:
    args = parse()
    admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.database}"')
    admin_sql(args.server, f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - t0:.1f} s", flush=True)
        print(f"generating {args.notifications:,} notifications across {args.brands} brands…", flush=True)
        with connection.cursor() as cursor:
            generate(cursor, notifications=args.notifications, brands=args.brands)
            cursor.execute("SELECT count(*) FROM notifications_deliverystat")
            rollups = cursor.fetchone()[0]
        print(f"rollup rows: {rollups:,}")
        ours_ms, our_figures = timed(ours, args.runs)
        hourly_ms, hourly_figures = timed(lambda: ours(hourly=True), args.runs)
        with connection.cursor() as cursor:
            reference_ms, reference_figures = timed(lambda: reference(cursor), args.runs)
        if our_figures != reference_figures or hourly_figures != reference_figures:
            missing = set(reference_figures) ^ set(our_figures)
            raise SystemExit(f"the figures differ ({len(missing)} keys differ): the rollups are not exact")
        delivered = sum(n for k, n in our_figures.items() if k[0] == "tw" and k[4] == "delivered")
        print(f"month statement figures, {args.brands} brands, {delivered:,} deliveries, median of {args.runs} runs:")
        print(f"  ours (daily rollup):   {ours_ms:8.1f} ms")
        print(f"  from hourly rollup:    {hourly_ms:8.1f} ms")
        print(f"  reference (raw rows):  {reference_ms:8.1f} ms")
        print(f"  ratio: {reference_ms / ours_ms:.1f}× faster")
        result(
            bench="billing",
            figure=f"month statement figures, {args.notifications:,} notifications",
            ours=ours_ms,
            unit="ms",
            reference=reference_ms,
            reference_label="the same figures from raw rows",
            ratio=reference_ms / ours_ms,
            target="< 100 ms",
            met=ours_ms < 100,
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.database}"')


if __name__ == "__main__":
    main()
