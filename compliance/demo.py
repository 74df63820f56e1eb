"""Demo templates for demo-shop, one in every review state. Safe to run again."""

from __future__ import annotations

from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.db import transaction

from compliance.choices import ChangeReason, Channel, Urgency, UseCase
from compliance.exceptions import TransitionNotAllowed
from compliance.models import BrandLinkDomain, MessageTemplate, TemplateVersion
from compliance.services import (
    TemplateSendStats,
    template_approve,
    template_create,
    template_new_version,
    template_quality_review,
    template_record_rule_result,
    template_reject,
    template_request_changes,
    template_start_review,
    template_submit,
)
from portal.models import Brand

BRAND = "demo-shop"
LINK_DOMAINS = ("demo-shop.example",)

SHIPPING_V1: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨。\nYour order {order_id} shipped at {event_time}.\n"
    "若您已收到商品，請忽略此訊息。If you have already received it, please ignore this message.",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "DS20260115001"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-15 14:30"},
    ],
    "channels": [Channel.PNP, Channel.LINE_PUSH, Channel.SMS],
    "sms_text": "【示範商店】訂單 {order_id} 已於 {event_time} 出貨。若您已收到商品，請忽略此訊息。",
    "urgency": Urgency.A_DAY,
    "sms_fallback_delay_minutes": 60,
}
SHIPPING_V2: dict[str, Any] = {
    **SHIPPING_V1,
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨，預計 1–2 天送達。\n"
    "Your order {order_id} shipped at {event_time} and should arrive in 1–2 days.\n"
    "若您已收到商品，請忽略此訊息。If you have already received it, please ignore this message.",
    "button_label": "查看配送進度 Track",
    "button_url": "https://www.demo-shop.example/orders/{order_id}",
}
# The shipping notice with a bind link (filled in by the portal): make run's way to try binding.
SHIPPING_BIND: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已於 {event_time} 出貨。綁定 LINE 帳號即可在 LINE 收到通知：{bind_link}\n"
    "Your order {order_id} shipped at {event_time}. Bind your LINE account: {bind_link}\n"
    "若您已收到商品，請忽略此訊息。If you have already received it, please ignore this message.",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "DS20260115001"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-15 14:30"},
        {"name": "bind_link", "type": "url", "max_length": 300, "sample": "https://liff.line.me/1650000001-bind"},
    ],
    "channels": [Channel.PNP, Channel.LINE_PUSH, Channel.SMS],
    "sms_text": "【示範商店】訂單 {order_id} 已於 {event_time} 出貨。綁定 LINE：{bind_link} "
    "若已收到商品，請忽略此訊息。",
    "urgency": Urgency.A_DAY,
    "sms_fallback_delay_minutes": 60,
}
OTP: dict[str, Any] = {
    "text": "您的示範商店會員註冊驗證碼為 {otp_code}，10 分鐘內有效，請勿提供給他人。\n"
    "Your Demo Shop sign-up code is {otp_code}. It expires in 10 minutes.",
    "variables": [{"name": "otp_code", "type": "code", "max_length": 8, "sample": "482913"}],
    "channels": [Channel.PNP, Channel.SMS],
    "sms_text": "【示範商店】會員註冊驗證碼 {otp_code}，10 分鐘內有效，請勿提供給他人。",
    "urgency": Urgency.FIVE_MINUTES,
}
WELCOME: dict[str, Any] = {
    "text": "歡迎 {user_name} 加入 {brand_name}！請點選 {bind_link} 完成會員綁定，即可在 LINE 收到訂單通知。\n"
    "Welcome {user_name} to {brand_name}! Bind your membership at {bind_link} to get order notices in LINE.",
    "variables": [
        {"name": "user_name", "type": "text", "max_length": 20, "sample": "王小明"},
        {"name": "brand_name", "type": "text", "max_length": 20, "sample": "示範商店"},
        {"name": "bind_link", "type": "url", "max_length": 200, "sample": "https://liff.line.me/1650000001-bind"},
    ],
    "channels": [Channel.LINE_PUSH],
    "urgency": Urgency.A_DAY,
}
PAYMENT: dict[str, Any] = {
    "text": "",
    "flex_json": {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": "付款完成 Payment completed", "weight": "bold", "size": "lg"}],
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "box", "layout": "horizontal", "contents": [
                    {"type": "text", "text": "訂單 Order", "color": "#888888", "size": "sm"},
                    {"type": "text", "text": "{order_id}", "size": "sm"}]},
                {"type": "box", "layout": "horizontal", "contents": [
                    {"type": "text", "text": "金額 Amount", "color": "#888888", "size": "sm"},
                    {"type": "text", "text": "{amount}", "size": "sm", "weight": "bold"}]},
                {"type": "box", "layout": "horizontal", "contents": [
                    {"type": "text", "text": "付款時間 Paid at", "color": "#888888", "size": "sm"},
                    {"type": "text", "text": "{event_time}", "size": "sm"}]},
                {"type": "separator"},
                {"type": "text", "text": "若您已確認此筆付款，請忽略此訊息。", "size": "xs", "wrap": True},
            ],
        },
    },
    "button_label": "查看訂單 View order",
    "button_url": "https://www.demo-shop.example/orders/{order_id}",
    "variables": [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "DS20260115001"},
        {"name": "event_time", "type": "datetime", "sample": "2026-01-15 14:30"},
        {"name": "amount", "type": "amount", "sample": "NT$1,280"},
    ],
    "channels": [Channel.PNP],
    "urgency": Urgency.A_DAY,
}  # fmt: skip
POINTS: dict[str, Any] = {
    "text": "您於 {event_time} 消費累積 {points} 點，目前共 {balance} 點。\n"
    "You earned {points} points on {event_time}; your balance is {balance} points.",
    "variables": [
        {"name": "event_time", "type": "datetime", "sample": "2026-01-15 14:30"},
        {"name": "points", "type": "number", "sample": "128"},
        {"name": "balance", "type": "number", "sample": "1024"},
    ],
    "channels": [Channel.PNP],
    "urgency": Urgency.A_DAY,
}
PICKUP: dict[str, Any] = {
    "text": "您的訂單 {order_id} 已可至門市取貨。Your order {order_id} is ready for pickup at the store.",
    "variables": [{"name": "order_id", "type": "text", "max_length": 20, "sample": "DS20260115001"}],
    "channels": [Channel.PNP],
    "urgency": Urgency.A_DAY,
}
MEMBER_DAY: dict[str, Any] = {
    "text": "會員日限時優惠！全館折扣 8 折，訂單 {order_id} 加購享好康。Member day sale: 20% discount today.",
    "variables": [{"name": "order_id", "type": "text", "max_length": 20, "sample": "DS20260115001"}],
    "channels": [Channel.PNP],
    "urgency": Urgency.A_DAY,
}
NEWSLETTER: dict[str, Any] = {
    "text": "親愛的 {member_name} 您好，本月的示範商店電子報已出刊，歡迎閱讀。The monthly Demo Shop newsletter is out.",
    "variables": [{"name": "member_name", "type": "text", "max_length": 20, "sample": "王小明"}],
    "channels": [Channel.PNP],
    "urgency": Urgency.MORE_THAN_A_DAY,
}
BILL: dict[str, Any] = {
    "text": "您 {month} 月的會員服務費帳單已於 {event_time} 產生，金額 {amount}。\n"
    "Your membership bill for month {month} of {amount} was issued at {event_time}.",
    "variables": [
        {"name": "month", "type": "number", "sample": "1"},
        {"name": "event_time", "type": "datetime", "sample": "2026-02-01 09:00"},
        {"name": "amount", "type": "amount", "sample": "NT$99"},
    ],
    "channels": [Channel.PNP],
    "urgency": Urgency.MORE_THAN_A_DAY,
}


def _approve(version: TemplateVersion, reviewer: Any) -> TemplateVersion:
    version = template_start_review(version=version, reviewer=reviewer)
    for result in version.rule_results.filter(passed__isnull=True):
        template_record_rule_result(
            version=version, reviewer=reviewer, rule_code=result.rule_code, passed=True, note="demo: checked"
        )
    return template_approve(version=version, reviewer=reviewer, comment="符合通知型訊息規範 Fits the guideline.")


@transaction.atomic
def seed(stdout: TextIO) -> None:
    """Create demo-shop's templates that are missing; change nothing that exists."""
    brand = Brand.objects.filter(slug=BRAND).first()
    if brand is None:
        return
    users = get_user_model().objects.in_bulk(["manager", "reviewer", "reviewer2"], field_name="username")
    manager, reviewer, reviewer2 = users["manager"], users["reviewer"], users["reviewer2"]
    for domain in LINK_DOMAINS:
        BrandLinkDomain.objects.get_or_create(brand=brand, domain=domain)
    existing = set(MessageTemplate.objects.filter(brand=brand).values_list("code", flat=True))

    def create(code: str, name: str, use_case: str, content: dict[str, Any], **extra: Any) -> TemplateVersion | None:
        if code in existing:
            return None
        template = template_create(
            brand=brand, code=code, name=name, use_case=use_case, author=manager, **extra, **content
        )
        stdout.write(f"  template {BRAND}/{code}\n")
        return template.versions.get()

    # Approved, with a retired first wording (shows the diff between versions).
    if version := create("shipping_notice", "出貨通知 Shipping notice", UseCase.DELIVERY_NOTICE, SHIPPING_V1):
        _approve(template_submit(version=version, actor=manager), reviewer)
        v2 = template_new_version(template=version.template, author=manager, **SHIPPING_V2)
        _approve(template_submit(version=v2, actor=manager), reviewer2)
    if version := create(
        "shipping_bind", "出貨通知與綁定 Shipping notice, bind LINE", UseCase.DELIVERY_NOTICE, SHIPPING_BIND
    ):
        _approve(template_submit(version=version, actor=manager), reviewer)
    if version := create("signup_otp", "會員註冊驗證碼 Sign-up OTP", UseCase.SIGNUP_OTP, OTP):
        _approve(template_submit(version=version, actor=manager), reviewer)
    # Use case 6: the welcome follows a completed registration (adding the OA) and asks to bind.
    if version := create("welcome_bind", "歡迎與會員綁定 Welcome and bind", UseCase.REGISTRATION_COMPLETED, WELCOME):
        _approve(template_submit(version=version, actor=manager), reviewer)
    if version := create("payment_completed", "付款完成 Payment completed", UseCase.PAYMENT_COMPLETED, PAYMENT):
        template_submit(version=version, actor=manager)  # waiting in the queue
    if version := create("points_earned", "點數累積 Points earned", UseCase.POINTS_EARNED, POINTS):
        template_start_review(version=template_submit(version=version, actor=manager), reviewer=reviewer2)
    if version := create("pickup_ready", "到店取貨 Ready for pickup", UseCase.DELIVERY_NOTICE, PICKUP):
        version = template_start_review(version=template_submit(version=version, actor=manager), reviewer=reviewer)
        template_request_changes(
            version=version,
            reviewer=reviewer,
            reasons=[ChangeReason.WORDING],
            comment="請寫出取貨門市與取貨期限。Name the store and the pickup deadline.",
        )
    if version := create("member_day", "會員日 Member day", UseCase.PURCHASE_COMPLETED, MEMBER_DAY):
        try:  # blocked by the promotional-wording rule: stays a draft, with the results stored
            template_submit(version=version, actor=manager)
        except TransitionNotAllowed:
            pass
    if version := create(
        "newsletter",
        "電子報 Newsletter",
        UseCase.NEW_USE_CASE,
        NEWSLETTER,
        new_use_case_description="Monthly newsletter to members.",
    ):
        version = template_start_review(version=template_submit(version=version, actor=manager), reviewer=reviewer)
        template_reject(
            version=version,
            reviewer=reviewer,
            reasons=[ChangeReason.USE_CASE, ChangeReason.PROMOTIONAL],
            comment="電子報屬行銷內容，不是通知。A newsletter is marketing, not a notification.",
        )
    if version := create("membership_bill", "會員服務費帳單 Membership bill", UseCase.BILL, BILL):
        version = _approve(template_submit(version=version, actor=manager), reviewer2)
        stats = TemplateSendStats(version.pk, sends=1200, sms_fallbacks=780, line_deliveries_known_uid=400,
                                  blocked_within_24h=9)  # fmt: skip
        template_quality_review(stats=[stats], actor="command:seed_demo")
