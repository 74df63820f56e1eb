"""The binding funnel, read from the rollups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from binding.choices import BindingMetric
from binding.selectors import binding_funnel
from binding.stats import binding_stat_add
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record, line_link_bind
from notifications.choices import Channel, Metric
from notifications.models import SmsAccount
from notifications.stats import stats_add
from portal.models import Brand

pytestmark = pytest.mark.django_db


def test_the_funnel_counts_pnp_delivered_follows_bindings_and_push_savings(
    brand: Brand, other_brand: Brand, make_member: Callable[..., Member]
) -> None:
    # given: a week of rollups for the brand, and noise outside the range and in another brand
    now = timezone.now()
    stats_add(
        Counter(
            {
                (brand.pk, now, Channel.PNP, Metric.DELIVERED): 40,
                (brand.pk, now, Channel.PNP, Metric.SENT): 50,
                (brand.pk, now, Channel.LINE_PUSH, Metric.SENT): 30,
                (brand.pk, now, Channel.SMS, Metric.SENT): 20,
                (brand.pk, now - timedelta(days=40), Channel.LINE_PUSH, Metric.SENT): 999,
                (other_brand.pk, now, Channel.LINE_PUSH, Metric.SENT): 7,
            }
        )
    )
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.FOLLOWS, n=10)
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.BOUND, n=4)
    binding_stat_add(brand_id=brand.pk, metric=BindingMetric.BOUND)
    binding_stat_add(brand_id=other_brand.pk, metric=BindingMetric.BOUND, n=50)
    member = make_member("M1", "0912-345-678")
    consent = consent_record(
        member=member, purpose=ConsentPurpose.LINE_BINDING, granted=True, source=ConsentSource.APP, actor="test"
    )
    line_link_bind(member=member, uid="U" + "e" * 32, consent=consent, actor="test")
    SmsAccount.objects.create(brand=brand, base_url="https://sms.example", price_per_segment=Decimal("1.5"))

    # when
    funnel = binding_funnel(brand=brand, start=now - timedelta(days=7), end=now + timedelta(days=1))

    # then
    assert (funnel.pnp_delivered, funnel.follows, funnel.bound, funnel.bound_now) == (40, 10, 5, 1)
    assert (funnel.push_sent, funnel.pnp_sent, funnel.sms_sent, funnel.sends) == (30, 50, 20, 100)
    assert funnel.push_share == pytest.approx(0.3)
    assert funnel.follow_rate == pytest.approx(0.25)
    assert funnel.bind_rate == pytest.approx(0.5)
    assert funnel.saved_vs_pnp == Decimal("6.0")
    assert funnel.saved_vs_sms == Decimal("45.0")


def test_an_empty_funnel_has_no_division_by_zero(brand: Brand) -> None:
    now = timezone.now()

    funnel = binding_funnel(brand=brand, start=now - timedelta(days=1), end=now)

    assert (funnel.sends, funnel.push_share, funnel.follow_rate, funnel.bind_rate) == (0, 0.0, 0.0, 0.0)
    assert funnel.saved_vs_sms == Decimal("0")
