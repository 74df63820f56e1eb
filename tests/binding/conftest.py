"""Fixtures for binding: a brand with a binding page, approved templates, members, the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from binding.models import BindingSettings
from compliance.choices import UseCase
from compliance.demo import OTP, WELCOME
from compliance.models import TemplateVersion
from portal.models import Brand
from tests.notifications.conftest import approve_template, make_member, start_pipeline  # noqa: F401

PAGE_URL = "https://liff.line.me/1650000000-bind?token={token}"

BIND_INVITE: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨。綁定 LINE 帳號即可在 LINE 收到通知：{bind_link}\n"
    "Your order {order_id} shipped at {event_time}. Bind your LINE account: {bind_link}\n"
    "若您已收到商品，請忽略此訊息。",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A20260101"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
        {"name": "bind_link", "type": "url", "max_length": 300, "sample": "https://liff.line.me/1650000000-bind"},
    ],
    "sms_text": "【Acme】訂單 {order_id} 已於 {event_time} 出貨。綁定 LINE：{bind_link} 若已收到商品，請忽略此訊息。",
}


LOGIN_CHANNEL_ID = "2000000001"


@pytest.fixture
def binding_settings(brand: Brand) -> BindingSettings:
    return BindingSettings.objects.create(
        brand=brand,
        page_url_template=PAGE_URL,
        otp_template_code="binding_otp",
        welcome_template_code="welcome_bind",
        welcome_user_name="朋友",
        # The tests of tokens and codes post a uid the way a brand's backend that verified the
        # LIFF ID token itself does; tests/binding/test_id_token.py covers the ID token path.
        backend_verifies_uid=True,
        login_channel_id=LOGIN_CHANNEL_ID,
    )


@pytest.fixture
def binding_templates(approve_template: Callable[..., TemplateVersion]) -> dict[str, TemplateVersion]:  # noqa: F811
    """The three templates binding uses, approved: a notice with a bind link, the OTP, the welcome."""
    return {
        "invite": approve_template("shipping_bind", **BIND_INVITE),
        "otp": approve_template(
            "binding_otp", use_case=UseCase.SIGNUP_OTP, **{**OTP, "sms_fallback_delay_minutes": None}
        ),
        "welcome": approve_template(
            "welcome_bind",
            use_case=UseCase.REGISTRATION_COMPLETED,
            **{**WELCOME, "sms_text": "", "sms_fallback_delay_minutes": None},
        ),
    }


@pytest.fixture(autouse=True)
def _forget_cached_webhook_secrets() -> None:
    """The webhook receiver keeps brand secrets per slug for 30 s; each test's brand is a new row."""
    from notifications.api import webhooks

    webhooks._secrets.clear()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English; the portal's default language is Traditional Chinese."""
    with translation.override("en"):
        yield
