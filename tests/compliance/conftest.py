"""Templates built through the services, with a valid shipping notice as the default content."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from compliance.choices import Channel, TemplateKind, Urgency, UseCase
from compliance.models import BrandLinkDomain, MessageTemplate, TemplateVersion
from compliance.services import template_approve, template_create, template_start_review, template_submit
from portal.choices import Role
from portal.models import Brand

SHIPPING_CONTENT: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨。\nYour order {order_id} shipped at {event_time}.\n"
    "若您已收到商品，請忽略此訊息。",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A20260101"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
    ],
    "channels": [Channel.PNP, Channel.SMS],
    "sms_text": "【Acme】訂單 {order_id} 已於 {event_time} 出貨。若您已收到商品，請忽略此訊息。",
    "urgency": Urgency.A_DAY,
    "sms_fallback_delay_minutes": 60,
    "button_label": "查看訂單",
    "button_url": "https://shop.acme.example/orders/{order_id}",
}

# A LINE template (LINE's own layout, filled with the brand's values) for the same shipment.
LINE_TEMPLATE_CONTENT: dict[str, Any] = {
    "kind": TemplateKind.LINE_TEMPLATE,
    "text": "",
    "button_label": "",
    "button_url": "",
    "line_template_key": "shipment_completed_ja",
    "emphasized_item_key": "date_002_ja",
    "emphasized_item": "{ship_date}",
    "line_items": [{"key": "number_001_ja", "value": "訂單 {order_id}"}],
    "line_buttons": [{"key": "contact_ja", "url": "https://shop.acme.example/orders/{order_id}"}],
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A20260101"},
        {"name": "ship_date", "type": "date", "sample": "2026-01-01"},
    ],
    "channels": [Channel.PNP],
    "sms_text": "",
    "sms_fallback_delay_minutes": None,
    "urgency": Urgency.A_DAY,
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English; the portal's default language is Traditional Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def reviewer2(make_user: Callable[..., User]) -> User:
    return make_user("reviewer2", Role.COMPLIANCE_REVIEWER)


@pytest.fixture
def link_domain(brand: Brand) -> BrandLinkDomain:
    return BrandLinkDomain.objects.create(brand=brand, domain="acme.example")


@pytest.fixture
def make_template(brand: Brand, manager: User, link_domain: BrandLinkDomain) -> Callable[..., MessageTemplate]:
    def make(code: str = "shipping_notice", use_case: str = UseCase.DELIVERY_NOTICE, **content: Any) -> MessageTemplate:
        return template_create(
            brand=brand,
            code=code,
            name=code.replace("_", " ").title(),
            use_case=use_case,
            author=manager,
            **{**SHIPPING_CONTENT, **content},
        )

    return make


@pytest.fixture
def draft(make_template: Callable[..., MessageTemplate]) -> TemplateVersion:
    return make_template().versions.get()


@pytest.fixture
def submitted(draft: TemplateVersion, manager: User) -> TemplateVersion:
    return template_submit(version=draft, actor=manager)


@pytest.fixture
def in_review(submitted: TemplateVersion, reviewer: User) -> TemplateVersion:
    return template_start_review(version=submitted, reviewer=reviewer)


def confirm_manual_rules(version: TemplateVersion, reviewer: User) -> None:
    from compliance.services import template_record_rule_result

    for result in version.rule_results.filter(passed__isnull=True):
        template_record_rule_result(version=version, reviewer=reviewer, rule_code=result.rule_code, passed=True)


@pytest.fixture
def approved(in_review: TemplateVersion, reviewer: User) -> TemplateVersion:
    confirm_manual_rules(in_review, reviewer)
    return template_approve(version=in_review, reviewer=reviewer, comment="ok")
