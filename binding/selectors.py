"""Reads of LINE binding: the funnel from PNP to bound friend, and what binding saves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from binding.choices import BindingMetric
from binding.models import BindingStat
from members.models import LineLink
from notifications.choices import Channel, Metric
from notifications.models import DeliveryStat, SmsAccount
from notifications.stats import hour_of
from portal.models import Brand

# LINE's price for a delivered PNP (DOMAIN.md, "Price and billing"). A push to a friend is
# inside the OA's monthly plan, so it is counted here as costing nothing extra.
PNP_PRICE_TWD = Decimal("0.2")
# What an SMS segment costs when the brand has no SMS account (DOMAIN.md: 0.8–2 TWD).
DEFAULT_SMS_PRICE_TWD = Decimal("0.8")


@dataclass(frozen=True)
class BindingFunnel:
    """One brand's binding funnel over ``[start, end)``, and its LINE push savings."""

    brand_id: int
    start: datetime
    end: datetime
    pnp_delivered: int  # PNP messages delivered (the invitation the funnel starts from)
    follows: int  # follow events: friend added or unblocked
    welcomes_sent: int
    bound: int  # bindings made through the binding API
    unbound: int
    bound_now: int  # members bound today, whenever they bound
    push_sent: int
    pnp_sent: int
    sms_sent: int
    sms_price: Decimal

    @property
    def sends(self) -> int:
        return self.push_sent + self.pnp_sent + self.sms_sent

    @property
    def push_share(self) -> float:
        """Share of sends that went out by LINE push, i.e. to bound friends (0–1)."""
        return self.push_sent / self.sends if self.sends else 0.0

    @property
    def follow_rate(self) -> float:
        return self.follows / self.pnp_delivered if self.pnp_delivered else 0.0

    @property
    def bind_rate(self) -> float:
        return self.bound / self.follows if self.follows else 0.0

    @property
    def saved_vs_pnp(self) -> Decimal:
        """TWD saved by sending these pushes instead of PNP."""
        return self.push_sent * PNP_PRICE_TWD

    @property
    def saved_vs_sms(self) -> Decimal:
        """TWD saved by sending these pushes instead of one-segment SMS."""
        return self.push_sent * self.sms_price


def binding_funnel(*, brand: Brand, start: datetime, end: datetime) -> BindingFunnel:
    """Return the brand's funnel over ``[start, end)`` from the hourly and daily rollups (a few indexed reads)."""
    delivery = _delivery_totals(brand, start, end)
    binding = dict(
        BindingStat.objects.filter(brand=brand, day__gte=timezone.localdate(start), day__lt=timezone.localdate(end))
        .values("metric")
        .order_by()
        .annotate(total=Sum("count"))
        .values_list("metric", "total")
    )
    account = SmsAccount.objects.filter(brand=brand, is_active=True).values_list("price_per_segment", flat=True).first()
    return BindingFunnel(
        brand_id=brand.pk,
        start=start,
        end=end,
        pnp_delivered=delivery.get((Channel.PNP, Metric.DELIVERED), 0),
        follows=binding.get(BindingMetric.FOLLOWS, 0),
        welcomes_sent=binding.get(BindingMetric.WELCOMES, 0),
        bound=binding.get(BindingMetric.BOUND, 0),
        unbound=binding.get(BindingMetric.UNBOUND, 0),
        bound_now=LineLink.objects.filter(brand=brand, bound_at__isnull=False).count(),
        push_sent=delivery.get((Channel.LINE_PUSH, Metric.SENT), 0),
        pnp_sent=delivery.get((Channel.PNP, Metric.SENT), 0),
        sms_sent=delivery.get((Channel.SMS, Metric.SENT), 0),
        sms_price=account if account is not None else DEFAULT_SMS_PRICE_TWD,
    )


def _delivery_totals(brand: Brand, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    rows = (
        DeliveryStat.objects.filter(
            brand=brand, hour__gte=hour_of(start), hour__lt=hour_of(end), metric__in=[Metric.SENT, Metric.DELIVERED]
        )
        .values("channel", "metric")
        .order_by()
        .annotate(total=Sum("count"))
    )
    return {(row["channel"], row["metric"]): int(row["total"] or 0) for row in rows}
