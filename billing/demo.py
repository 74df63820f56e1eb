"""Demo billing data: a price table, billing profiles, a month of delivery figures, LINE's counts and drafts.

The demo has no month of real sends behind it, so the hourly rollups for the demo brands are
**synthetic**: written by :func:`notifications.stats.stats_add` (the writer the pipeline uses)
from a fixed pseudo-random pattern, last month and this month to date. They have no raw
notifications behind them: ``notifications.stats.recompute`` would remove them.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from billing.invoicing import billing_profile_save
from billing.models import BillingProfile, LineDailyCount, Statement, UnitPrice
from billing.periods import TAIWAN, days, previous_month
from billing.services import statement_generate
from notifications.choices import Channel, Metric
from notifications.models import DeliveryStat, SmsAccount, SmsVendor
from notifications.stats import LATENCY_METRICS, stats_add
from portal.models import Brand

DEMO_VOLUMES = {"demo-shop": 1800, "acme-telecom": 900, "sunrise-clinic": 250}  # notifications a day
DEMO_SMS_PRICES = {"demo-shop": Decimal("0.8000"), "acme-telecom": Decimal("1.2000"), "sunrise-clinic": Decimal("2.0")}
# The buyer on each demo brand's statements (invented companies; the 統一編號 pass the check rule).
DEMO_PROFILES = {
    "demo-shop": ("示範商店股份有限公司", "04595257", "台北市信義區信義路五段7號"),
    "acme-telecom": ("愛克米電信股份有限公司", "10458575", "台北市內湖區瑞光路100號"),
    "sunrise-clinic": ("日昇診所", "04595252", "台中市西屯區臺灣大道三段99號"),
}
# Share of delivered PNP in each latency bucket (seconds), roughly LINE's usual spread.
LATENCY_SHARES = (0.30, 0.30, 0.18, 0.08, 0.05, 0.03, 0.02, 0.015, 0.01, 0.01, 0.005, 0.0)


def _day_counts(rng: random.Random, brand_id: int, day: date, volume: int) -> Counter[tuple[int, datetime, str, str]]:
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    weekday_factor = 0.7 if day.weekday() >= 5 else 1.0
    for hour in range(24):
        busy = 0.2 if hour < 7 else (1.6 if 9 <= hour <= 20 else 0.8)
        accepted = int(volume / 24 * busy * weekday_factor * rng.uniform(0.8, 1.2))
        at = datetime.combine(day, time(hour, 30), tzinfo=TAIWAN)
        not_on_line = int(accepted * rng.uniform(0.05, 0.09))
        pnp_sent = accepted - not_on_line
        pnp_delivered = int(pnp_sent * rng.uniform(0.9, 0.95))
        fallback = not_on_line + (pnp_sent - pnp_delivered) // 2
        sms_delivered = int(fallback * 0.97)
        counts[(brand_id, at, Channel.PNP, Metric.ACCEPTED)] += accepted
        counts[(brand_id, at, Channel.PNP, Metric.SENT)] += pnp_sent
        counts[(brand_id, at, Channel.PNP, Metric.REFUSED_422)] += not_on_line
        counts[(brand_id, at, Channel.PNP, Metric.DELIVERED)] += pnp_delivered
        counts[(brand_id, at, Channel.PNP, Metric.DELIVERED_BY_SEND)] += pnp_delivered
        counts[(brand_id, at, Channel.PNP, Metric.SMS_FALLBACK)] += fallback
        undelivered = pnp_sent - pnp_delivered
        counts[(brand_id, at, Channel.PNP, Metric.EXPIRED)] += undelivered - undelivered // 2
        counts[(brand_id, at, Channel.PNP, Metric.DELIVERED_TWICE)] += 1 if rng.random() < 0.05 else 0
        counts[(brand_id, at, Channel.SMS, Metric.SENT)] += fallback
        counts[(brand_id, at, Channel.SMS, Metric.SMS_SEGMENTS)] += fallback + fallback // 4
        counts[(brand_id, at, Channel.SMS, Metric.DELIVERED)] += sms_delivered
        counts[(brand_id, at, Channel.SMS, Metric.FAILED)] += fallback - sms_delivered
        counts[(brand_id, at, Channel.LINE_PUSH, Metric.SENT)] += accepted // 20
        counts[(brand_id, at, Channel.LINE_PUSH, Metric.DELIVERED)] += accepted // 20
        counts[(brand_id, at, Channel.LINE_PUSH, Metric.FOLLOW)] += rng.randint(0, 3)
        counts[(brand_id, at, Channel.LINE_PUSH, Metric.UNFOLLOW)] += 1 if rng.random() < 0.3 else 0
        left = pnp_delivered
        for metric, share in zip(LATENCY_METRICS, LATENCY_SHARES, strict=True):
            n = min(left, round(pnp_delivered * share))
            counts[(brand_id, at, Channel.PNP, metric)] += n
            left -= n
        counts[(brand_id, at, Channel.PNP, LATENCY_METRICS[0])] += left
        counts[(brand_id, at, Channel.PNP, Metric.LATENCY_SECONDS)] += pnp_delivered * 45
    return counts


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Seed demo rollups, SMS prices, LINE counts and last month's draft statements (once)."""
    if not UnitPrice.objects.filter(channel=Channel.PNP).exists():
        UnitPrice.objects.create(channel=Channel.PNP, price=Decimal("0.2"), effective_from=date(2023, 1, 1))
    today = timezone.now().astimezone(TAIWAN).date()
    last_month = previous_month(today)
    for slug, volume in DEMO_VOLUMES.items():
        brand = Brand.objects.filter(slug=slug).first()
        if brand is None:
            continue
        if not BillingProfile.objects.filter(brand=brand).exists():
            legal_name, tax_id, address = DEMO_PROFILES[slug]
            billing_profile_save(
                brand=brand,
                actor="command:seed_demo",
                legal_name=legal_name,
                tax_id=tax_id,
                address=address,
                contact_email=f"billing@{slug}.example",
            )
        SmsAccount.objects.get_or_create(
            brand=brand,
            defaults={
                "vendor": SmsVendor.SANDBOX,
                "base_url": "",  # the deployment's gateway (the sandbox), looked up at each send
                "price_per_segment": DEMO_SMS_PRICES[slug],
            },
        )
        if DeliveryStat.objects.filter(brand=brand, metric=Metric.DELIVERED).exists():
            continue  # figures exist (an earlier seed, or real sends): add nothing
        rng = random.Random(slug)  # noqa: S311 - a repeatable demo pattern, not a secret
        counts: Counter[tuple[int, datetime, str, str]] = Counter()
        for day in days(last_month, today - timedelta(days=1)):
            counts.update(_day_counts(rng, brand.pk, day, volume))
        stats_add(counts)
        # LINE's counts for last month: equal to the portal's, but for two days (one off by a few,
        # one withheld for privacy) so the reconciliation has something to explain.
        jst = Counter[date]()
        for (_brand, at, channel, metric), n in counts.items():
            if channel == Channel.PNP and metric == Metric.DELIVERED:
                jst[(at + timedelta(hours=1)).date()] += n
        fetched = timezone.now()
        for index, day in enumerate(days(last_month, today.replace(day=1) - timedelta(days=1))):
            status, success = "ready", jst[day] - (3 if slug == "demo-shop" and index == 9 else 0)
            if slug == "sunrise-clinic" and index == 14:
                status = "unavailable_for_privacy"
            LineDailyCount.objects.create(
                brand=brand,
                jst_date=day,
                status=status,
                success=success if status == "ready" else None,
                fetched_at=fetched,
                attempts=1,
            )
        stdout.write(f"  billing figures for {slug}\n")
    for slug in DEMO_VOLUMES:
        brand = Brand.objects.filter(slug=slug).first()
        if brand is not None and not Statement.objects.filter(brand=brand, month=last_month).exists():
            statement_generate(brand=brand, month=last_month, actor="command:seed_demo")
            stdout.write(f"  statement {slug} {last_month:%Y-%m}\n")
