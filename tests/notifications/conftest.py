"""The send pipeline end to end: the LINE sandbox, a real worker, the portal on a live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from compliance.choices import Channel, Urgency, UseCase
from compliance.models import BrandLinkDomain, TemplateVersion
from compliance.services import (
    template_approve,
    template_create,
    template_record_rule_result,
    template_start_review,
    template_submit,
)
from members.choices import ConsentPurpose, ConsentSource
from members.models import Member
from members.services import consent_record, member_upsert
from notifications.models import SmsAccount, SmsVendor
from portal.choices import Role
from portal.models import Brand
from tests.conftest import WorkerProcess
from tests.sandbox.conftest import SandboxProcess

TIME_FACTOR = 3600  # one wall second is one hour of LINE time, on both sides

SHIPPING: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨。\nYour order {order_id} shipped at {event_time}.\n"
    "若您已收到商品，請忽略此訊息。",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A20260101"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
    ],
    "channels": [Channel.PNP, Channel.LINE_PUSH, Channel.SMS],
    "sms_text": "【Acme】訂單 {order_id} 已於 {event_time} 出貨。若您已收到商品，請忽略此訊息。",
    "urgency": Urgency.A_DAY,
    "sms_fallback_delay_minutes": 240,
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are compared in English; the portal's default language is Traditional Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def approve_template(brand: Brand, make_user: Callable[..., User]) -> Callable[..., TemplateVersion]:
    """Create a template and take it through review to approved, as two different people."""
    author = make_user("author", Role.ACCOUNT_MANAGER)
    brand.account_managers.add(author)
    approver = make_user("approver", Role.COMPLIANCE_REVIEWER)
    BrandLinkDomain.objects.get_or_create(brand=brand, domain="acme.example")

    def approve(
        code: str = "shipping_notice", use_case: str = UseCase.DELIVERY_NOTICE, **content: Any
    ) -> TemplateVersion:
        template = template_create(
            brand=brand,
            code=code,
            name=code.replace("_", " ").title(),
            use_case=use_case,
            author=author,
            **{**SHIPPING, **content},
        )
        version = template_submit(version=template.versions.get(), actor=author)
        version = template_start_review(version=version, reviewer=approver)
        for result in version.rule_results.filter(passed__isnull=True):
            template_record_rule_result(version=version, reviewer=approver, rule_code=result.rule_code, passed=True)
        return template_approve(version=version, reviewer=approver, comment="ok")

    return approve


@pytest.fixture
def make_member(brand: Brand) -> Callable[..., Member]:
    def make(external_id: str, phone: str, *, pnp: bool | None = True, sms: bool | None = True) -> Member:
        member, _ = member_upsert(
            brand=brand, external_id=external_id, name=f"Member {external_id}", phone=phone, actor="test"
        )
        for purpose, granted in ((ConsentPurpose.PNP_NOTIFICATION, pnp), (ConsentPurpose.SMS_NOTIFICATION, sms)):
            if granted is not None:
                consent_record(
                    member=member,
                    purpose=purpose,
                    granted=granted,
                    source=ConsentSource.API,
                    evidence="test",
                    actor="test",
                )
        member.refresh_from_db()
        return member

    return make


@dataclass
class Pipeline:
    sandbox: SandboxProcess
    worker: WorkerProcess
    portal_url: str


def sandbox_world(brand: Brand, portal_url: str, users: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "channels": [
            {
                "channel_id": brand.line_channel_id,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "webhook_url": f"{portal_url}/webhooks/line/{brand.slug}",
                "brand_slug": brand.slug,
            }
        ],
        "users": users,
    }


@pytest.fixture
def start_pipeline(
    live_server: Any,
    brand: Brand,
    celery_worker_factory: Callable[..., WorkerProcess],
    settings: Any,
    tmp_path: Path,
) -> Iterator[Callable[..., Pipeline]]:
    """Start the sandbox with these users, point the portal and a real worker (with beat) at it."""
    started: list[SandboxProcess] = []

    def start(
        users: list[dict[str, Any]], sandbox_args: list[str] | None = None, extra_env: dict[str, str] | None = None
    ) -> Pipeline:
        sandbox = SandboxProcess(
            [
                "--time-factor",
                str(TIME_FACTOR),
                "--portal-url",
                live_server.url,
                "--sms-report-delay",
                "60",
                *(sandbox_args or []),
            ],
            tmp_path,
            world=sandbox_world(brand, live_server.url, users),
        )
        started.append(sandbox)
        env = {
            "LINE_API_BASE_URL": sandbox.url,
            "PORTAL_BASE_URL": live_server.url,
            "LINE_TIME_FACTOR": str(TIME_FACTOR),
            "NOTIFICATION_TIMERS_EVERY": "0.5",
            "LINE_API_READ_TIMEOUT": "3",
            **(extra_env or {}),
        }
        settings.LINE_API_BASE_URL = sandbox.url
        settings.PORTAL_BASE_URL = live_server.url
        settings.LINE_TIME_FACTOR = TIME_FACTOR
        SmsAccount.objects.update_or_create(
            brand=brand,
            defaults={
                "vendor": SmsVendor.MITAKE,
                "base_url": f"{sandbox.url}/sms/mitake/b2c/mtk",
                "username": "sandbox",
                "password": "sandbox",
                "price_per_segment": "0.8",
            },
        )
        worker = celery_worker_factory(extra_env=env, beat=True)
        return Pipeline(sandbox=sandbox, worker=worker, portal_url=live_server.url)

    yield start
    for sandbox in started:
        sandbox.stop()
