"""Reads for the dashboard and the statements: hourly rollups only, never raw notifications."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate

from billing.choices import StatementStatus
from billing.models import DailyStat, Statement, UnitPrice
from billing.periods import TAIWAN, days, range_utc
from notifications.choices import Channel, Metric
from notifications.models import DeliveryStat, SmsAccount
from notifications.stats import LATENCY_BUCKETS, LATENCY_METRICS
from portal.models import AuditEvent, Brand
from portal.selectors import brands_visible_to

DailyCounts = dict[tuple[int, date, str, str], int]

# The fixed UTC offsets of the daily rollup (neither zone keeps daylight saving time).
ZONE_OFFSETS = {"Asia/Taipei": 8, "Asia/Tokyo": 9}

# What a missing SMS account is assumed to cost per segment: the low end of Taiwan's vendors.
DEFAULT_SMS_PRICE = Decimal("0.8000")


def daily_counts(
    *,
    first: date,
    last: date,
    zone: ZoneInfo,
    metrics: Sequence[str],
    brand_ids: Iterable[int] | None = None,
    channels: Sequence[str] | None = None,
) -> DailyCounts:
    """Return the delivery counts of calendar days in ``zone``, keyed by (brand, day, channel, metric).

    Read from the daily rollup (:class:`billing.models.DailyStat`), which triggers keep equal to
    the sum of the hourly one.
    """
    queryset = DailyStat.objects.filter(zone=ZONE_OFFSETS[zone.key], day__range=(first, last), metric__in=metrics)
    if brand_ids is not None:
        queryset = queryset.filter(brand_id__in=list(brand_ids))
    if channels is not None:
        queryset = queryset.filter(channel__in=list(channels))
    rows = queryset.exclude(count=0).values_list("brand_id", "day", "channel", "metric", "count")
    return {(brand, day, channel, metric): n for brand, day, channel, metric, n in rows.iterator(chunk_size=5000)}


def hourly_daily_counts(
    *,
    first: date,
    last: date,
    zone: ZoneInfo,
    metrics: Sequence[str],
    brand_ids: Iterable[int] | None = None,
    channels: Sequence[str] | None = None,
) -> DailyCounts:
    """The same figures summed from the hourly rollup (the check on the daily one)."""
    start, end = range_utc(first, last, zone)
    queryset = DeliveryStat.objects.filter(hour__gte=start, hour__lt=end, metric__in=list(metrics))
    if brand_ids is not None:
        queryset = queryset.filter(brand_id__in=list(brand_ids))
    if channels is not None:
        queryset = queryset.filter(channel__in=list(channels))
    rows = (
        queryset.annotate(day=TruncDate("hour", tzinfo=zone))
        .values_list("brand_id", "day", "channel", "metric")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return {(brand, day, channel, metric): n for brand, day, channel, metric, n in rows if n}


def hour_count(*, brand_id: int, start_hour_utc: datetime, channel: str, metric: str) -> int:
    """Return one hourly count (0 when absent)."""
    # A range, not equality: SQLite stores the raw-SQL rollup hours with their UTC offset.
    value = DeliveryStat.objects.filter(
        brand_id=brand_id,
        hour__gte=start_hour_utc,
        hour__lt=start_hour_utc + timedelta(hours=1),
        channel=channel,
        metric=metric,
    ).aggregate(n=Sum("count"))["n"]
    return int(value or 0)


@dataclass(frozen=True)
class PriceTable:
    """The unit prices of one channel over a span of days."""

    prices: tuple[UnitPrice, ...]

    def on(self, day: date) -> UnitPrice | None:
        for price in self.prices:
            if price.effective_from <= day and (price.effective_to is None or day <= price.effective_to):
                return price
        return None


def price_table(*, channel: str, first: date, last: date) -> PriceTable:
    """Return the prices of ``channel`` in force on any day from ``first`` to ``last``."""
    prices = UnitPrice.objects.filter(channel=channel, effective_from__lte=last).exclude(effective_to__lt=first)
    return PriceTable(tuple(prices.order_by("effective_from")))


def sms_prices(brand_ids: Iterable[int]) -> dict[int, Decimal]:
    """Return each brand's SMS price per segment (its vendor account's, or the default)."""
    ids = list(brand_ids)
    found = dict(SmsAccount.objects.filter(brand_id__in=ids).values_list("brand_id", "price_per_segment"))
    return {brand_id: found.get(brand_id, DEFAULT_SMS_PRICE) for brand_id in ids}


def statements_visible_to(user: User | AnonymousUser) -> QuerySet[Statement]:
    """Statements of the brands the user may see."""
    queryset = Statement.objects.select_related("brand")
    if getattr(user, "is_superuser", False):
        return queryset
    return queryset.filter(brand__in=brands_visible_to(user))


def current_statement(*, brand: Brand, month: date) -> Statement | None:
    """Return the brand's statement for the month that is not void, if any."""
    return Statement.objects.filter(brand=brand, month=month).exclude(status=StatementStatus.VOID).first()


# --- Dashboard ---------------------------------------------------------------------------------------

CHANNELS = (Channel.PNP, Channel.LINE_PUSH, Channel.SMS)
DASHBOARD_METRICS = (
    Metric.ACCEPTED,
    Metric.SENT,
    Metric.DELIVERED,
    Metric.DELIVERED_TWICE,
    Metric.REFUSED_422,
    Metric.EXPIRED,
    Metric.FAILED,
    Metric.SMS_FALLBACK,
    Metric.SMS_SEGMENTS,
    Metric.LATENCY_SECONDS,
    Metric.FOLLOW,
    Metric.UNFOLLOW,
    *LATENCY_METRICS,
)


@dataclass
class DashboardFigures:
    """Everything the dashboard shows for a set of brands and a span of Taiwan days."""

    first: date
    last: date
    day_list: list[date]
    sent_by_day: dict[str, list[int]]  # channel → one figure per day
    delivered_by_day: dict[str, list[int]]
    pnp_cost_by_day: list[Decimal]
    sms_cost_by_day: list[Decimal]
    totals: dict[tuple[str, str], int]  # (channel, metric) → sum
    accepted: int = 0
    delivered_notifications: int = 0
    delivered_twice: int = 0
    sms_fallback: int = 0
    pnp_cost: Decimal = Decimal(0)
    sms_cost: Decimal = Decimal(0)
    all_sms_cost: Decimal = Decimal(0)
    median_bucket: str = ""
    mean_latency_s: float | None = None
    latency_histogram: list[tuple[str, int]] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    per_brand: list[dict[str, object]] = field(default_factory=list)

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered_notifications / self.accepted if self.accepted else None

    @property
    def fallback_rate(self) -> float | None:
        return self.sms_fallback / self.accepted if self.accepted else None

    @property
    def pnp_tried(self) -> int:
        return self.totals.get((Channel.PNP, Metric.SENT), 0) + self.totals.get((Channel.PNP, Metric.REFUSED_422), 0)

    @property
    def not_on_line_share(self) -> float | None:
        refused = self.totals.get((Channel.PNP, Metric.REFUSED_422), 0)
        return refused / self.pnp_tried if self.pnp_tried else None

    @property
    def line_delivered(self) -> int:
        return self.totals.get((Channel.PNP, Metric.DELIVERED), 0) + self.totals.get(
            (Channel.LINE_PUSH, Metric.DELIVERED), 0
        )

    @property
    def follows(self) -> int:
        return self.totals.get((Channel.LINE_PUSH, Metric.FOLLOW), 0)

    @property
    def unfollows(self) -> int:
        return self.totals.get((Channel.LINE_PUSH, Metric.UNFOLLOW), 0)

    @property
    def block_rate(self) -> float | None:
        """Blocks (unfollow events) per LINE message delivered in the period."""
        return self.unfollows / self.line_delivered if self.line_delivered else None

    @property
    def total_cost(self) -> Decimal:
        return self.pnp_cost + self.sms_cost

    @property
    def saving(self) -> Decimal:
        return self.all_sms_cost - self.total_cost


def _bucket_label(metric: str) -> str:
    seconds = int(metric.rsplit("_", 1)[1])
    if seconds < 120:
        text = f"{seconds} s"
    elif seconds < 7200:
        text = f"{seconds // 60} min"
    else:
        text = f"{seconds // 3600} h"
    return ("≤ " if metric.startswith("lat_le_") else "> ") + text


def dashboard_figures(*, brands: Sequence[Brand], first: date, last: date) -> DashboardFigures:
    """Compute the dashboard for ``brands`` over the Taiwan days ``first``…``last`` from rollups."""
    brand_ids = [b.pk for b in brands]
    counts = daily_counts(first=first, last=last, zone=TAIWAN, metrics=DASHBOARD_METRICS, brand_ids=brand_ids)
    day_list = list(days(first, last))
    index = {day: i for i, day in enumerate(day_list)}
    sent: dict[str, list[int]] = {str(c): [0] * len(day_list) for c in CHANNELS}
    delivered: dict[str, list[int]] = {str(c): [0] * len(day_list) for c in CHANNELS}
    pnp_cost = [Decimal(0)] * len(day_list)
    sms_cost = [Decimal(0)] * len(day_list)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    per_brand: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    pnp_prices = price_table(channel=Channel.PNP, first=first, last=last)
    sms_price = sms_prices(brand_ids)
    figures = DashboardFigures(first, last, day_list, sent, delivered, pnp_cost, sms_cost, totals)
    for (brand_id, day, channel, metric), n in counts.items():
        totals[(channel, metric)] += n
        per_brand[brand_id][(channel, metric)] += n
        i = index.get(day)
        if i is None:
            continue
        if metric == Metric.SENT and channel in sent:
            sent[channel][i] += n
        if metric == Metric.DELIVERED and channel in delivered:
            delivered[channel][i] += n
            if channel == Channel.PNP:
                price = pnp_prices.on(day)
                amount = n * (price.price if price else Decimal(0))
                pnp_cost[i] += amount
                figures.pnp_cost += amount
        if metric == Metric.SMS_SEGMENTS:
            amount = n * sms_price[brand_id]
            sms_cost[i] += amount
            figures.sms_cost += amount
    figures.accepted = sum(n for (_c, m), n in totals.items() if m == Metric.ACCEPTED)
    figures.delivered_twice = sum(n for (_c, m), n in totals.items() if m == Metric.DELIVERED_TWICE)
    delivered_attempts = sum(n for (_c, m), n in totals.items() if m == Metric.DELIVERED)
    figures.delivered_notifications = max(0, delivered_attempts - figures.delivered_twice)
    figures.sms_fallback = sum(n for (_c, m), n in totals.items() if m == Metric.SMS_FALLBACK)
    # What the same deliveries would have cost as one SMS each at each brand's own price.
    for brand_id, brand_totals in per_brand.items():
        brand_delivered = sum(n for (_c, m), n in brand_totals.items() if m == Metric.DELIVERED) - sum(
            n for (_c, m), n in brand_totals.items() if m == Metric.DELIVERED_TWICE
        )
        figures.all_sms_cost += max(0, brand_delivered) * sms_price[brand_id]
    histogram = [(metric, sum(n for (_c, m), n in totals.items() if m == metric)) for metric in LATENCY_METRICS]
    figures.latency_histogram = [(_bucket_label(m), n) for m, n in histogram]
    in_histogram = sum(n for _m, n in histogram)
    if in_histogram:
        running = 0
        for metric, n in histogram:
            running += n
            if running * 2 >= in_histogram:
                figures.median_bucket = _bucket_label(metric)
                break
        latency_sum = sum(n for (_c, m), n in totals.items() if m == Metric.LATENCY_SECONDS)
        figures.mean_latency_s = latency_sum / in_histogram
    figures.failures = [
        (str(_failure_label(channel, metric)), n)
        for (channel, metric), n in sorted(totals.items())
        if metric in (Metric.REFUSED_422, Metric.EXPIRED, Metric.FAILED) and n
    ]
    figures.per_brand = [
        {
            "brand": brand,
            "accepted": sum(n for (_c, m), n in per_brand[brand.pk].items() if m == Metric.ACCEPTED),
            "pnp_delivered": per_brand[brand.pk].get((Channel.PNP, Metric.DELIVERED), 0),
            "sms_segments": per_brand[brand.pk].get((Channel.SMS, Metric.SMS_SEGMENTS), 0),
            "refused": per_brand[brand.pk].get((Channel.PNP, Metric.REFUSED_422), 0),
        }
        for brand in brands
        if brand.pk in per_brand
    ]
    return figures


def _failure_label(channel: str, metric: str) -> str:
    from django.utils.translation import gettext as _

    labels: dict[str, str] = {
        Metric.REFUSED_422: _("Not on LINE / PNP off (422)"),
        Metric.EXPIRED: _("No delivery event in 24 h"),
        Metric.FAILED: _("Failed"),
    }
    channels: dict[str, str] = {Channel.PNP: "PNP", Channel.LINE_PUSH: _("LINE push"), Channel.SMS: "SMS"}
    return f"{channels.get(channel, channel or '—')}: {labels[metric]}"


__all__ = ["LATENCY_BUCKETS", "daily_counts", "dashboard_figures"]


def last_refetch(*, brand: Brand, month: date) -> AuditEvent | None:
    """The latest re-fetch of LINE's counts for a brand's month (its audit row holds LINE's answer per day)."""
    return (
        AuditEvent.objects.filter(action="billing.line_counts_refetch", brand=brand, data__month=f"{month:%Y-%m}")
        .order_by("-created_at", "-pk")
        .first()
    )
