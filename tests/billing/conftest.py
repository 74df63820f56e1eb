"""Billing fixtures: deliveries written through the rollup writer the pipeline uses, prices, users."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from billing.invoicing import billing_profile_save, line_invoice_record, three_way, unsettled_line_counts
from billing.models import BillingProfile, LineDailyCount, Statement
from billing.periods import next_month
from notifications.choices import Channel, Metric
from notifications.models import SmsAccount, SmsVendor
from notifications.stats import stat_add
from portal.choices import Role
from portal.models import Brand
from tests.notifications.conftest import approve_template, make_member  # noqa: F401 - fixtures reused here
from tests.notifications.test_story import sent  # noqa: F401 - a sent PNP, for the statement-day links
from tests.sandbox.conftest import SandboxProcess

TAIPEI = ZoneInfo("Asia/Taipei")
TOKYO = ZoneInfo("Asia/Tokyo")


def taipei(text: str) -> datetime:
    """An instant written in Taiwan time, e.g. ``taipei("2026-01-31 23:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


PHONE = "+886900000001"


@pytest.fixture
def sandbox(brand: Brand, tmp_path: Path, settings: Any) -> Iterator[SandboxProcess]:
    """The sandbox with the brand's channel and one PNP-reachable user, LINE's base URL pointed at it."""
    world = {
        "channels": [
            {
                "channel_id": brand.line_channel_id,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "brand_slug": brand.slug,
            }
        ],
        "users": [{"phone": PHONE, "consent": "on", "sms_verified_days_ago": 10, "channels": {}}],
    }
    process = SandboxProcess([], tmp_path, world=world)
    settings.LINE_API_BASE_URL = process.url
    yield process
    process.stop()


def pnp_send(sandbox: SandboxProcess, brand: Brand, tag: str, *, templated: bool = False) -> None:
    """One PNP to the sandbox's user, straight over HTTP, so LINE's count has something to count."""
    to = hashlib.sha256(PHONE.encode()).hexdigest()
    headers = {"Authorization": f"Bearer {brand.channel_access_token.reveal()}", "X-Line-Delivery-Tag": tag}
    if templated:
        body: dict[str, Any] = {"to": to, "templateKey": "shipment_completed_ja", "body": {}}
        response = sandbox.post("/v2/bot/message/pnp/templated/push", json=body, headers=headers)
    else:
        body = {"to": to, "messages": [{"type": "text", "text": "hi"}]}
        response = sandbox.post("/bot/pnp/push", json=body, headers=headers)
    assert response.status_code in (200, 202), response.text


@pytest.fixture
def deliver() -> Callable[..., None]:
    """Record deliveries as the pipeline does: one rollup count per delivery, in the delivery's hour."""

    def record(brand: Brand, at: datetime, n: int = 1, channel: str = Channel.PNP) -> None:
        stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.DELIVERED, n=n)
        if channel == Channel.PNP:
            stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.SENT, n=n)
            stat_add(brand_id=brand.pk, at=at, channel=channel, metric=Metric.DELIVERED_BY_SEND, n=n)

    return record


@pytest.fixture
def send_sms() -> Callable[..., None]:
    def record(brand: Brand, at: datetime, segments: int, messages: int = 1) -> None:
        stat_add(brand_id=brand.pk, at=at, channel=Channel.SMS, metric=Metric.SENT, n=messages)
        stat_add(brand_id=brand.pk, at=at, channel=Channel.SMS, metric=Metric.SMS_SEGMENTS, n=segments)

    return record


@pytest.fixture
def line_says() -> Callable[..., LineDailyCount]:
    def store(brand: Brand, day: date, status: str = "ready", success: int | None = None) -> LineDailyCount:
        row, _ = LineDailyCount.objects.update_or_create(
            brand=brand,
            jst_date=day,
            defaults={"status": status, "success": success, "fetched_at": timezone.now(), "attempts": 1},
        )
        return row

    return store


@pytest.fixture
def sms_price(brand: Brand) -> Decimal:
    price = Decimal("0.8500")
    SmsAccount.objects.create(
        brand=brand, vendor=SmsVendor.SANDBOX, base_url="http://127.0.0.1:9/sms", price_per_segment=price
    )
    return price


@pytest.fixture
def finance2(make_user: Callable[..., User]) -> User:
    return make_user("finance2", Role.FINANCE)


def ready_to_close(statement: Statement, actor: User) -> None:
    """What a month needs before it closes, with the statement's figures unchanged.

    The brand's billing profile; LINE's final answer for every JST day that needs one (withheld
    for privacy: the portal's count stays billed, and the day still needs its explanation); and
    LINE's invoice agreeing with the statement's PNP.
    """
    brand = statement.brand
    if not BillingProfile.objects.filter(brand=brand).exists():
        billing_profile_save(
            brand=brand,
            actor="test",
            legal_name=f"{brand.name} Co., Ltd.",
            tax_id="04595257",
            address="No. 1, Section 1, Zhongxiao East Road, Taipei",
            contact_email=f"billing@{brand.slug}.example",
        )
    for day, kind in unsettled_line_counts(statement):
        LineDailyCount.objects.update_or_create(
            brand=brand,
            jst_date=day,
            kind=kind,
            defaults={"status": "unavailable_for_privacy", "success": None, "fetched_at": timezone.now()},
        )
    comparison = three_way(statement)
    if comparison.billed_count:
        line_invoice_record(
            brand=brand,
            month=statement.month,
            invoice_number="LN00000001",
            invoice_date=next_month(statement.month).replace(day=3),
            net=comparison.pnp_net,
            tax=comparison.pnp_tax,
            gross=comparison.pnp_net + comparison.pnp_tax,
            message_count=comparison.billed_count,
            actor=actor,
        )
