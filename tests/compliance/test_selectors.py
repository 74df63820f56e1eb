"""Send-time checks on variable values, timing rules and rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from compliance.exceptions import SendRuleViolation
from compliance.models import MessageTemplate, TemplateVersion
from compliance.selectors import render_line_messages, render_sms_text, send_check_variables

NOW = timezone.now()


def good(**values: Any) -> dict[str, Any]:
    return {"order_id": "A20260101", "event_time": "2026-01-01 10:00", **values}


def refused(
    version: TemplateVersion, variables: dict[str, Any], occurred_at: datetime = NOW, **kwargs: Any
) -> SendRuleViolation:
    with pytest.raises(SendRuleViolation) as error:
        send_check_variables(version=version, variables=variables, occurred_at=occurred_at, now=NOW, **kwargs)
    return error.value


def test_good_values_pass_and_come_back_as_strings(approved: TemplateVersion) -> None:
    assert send_check_variables(version=approved, variables=good(), occurred_at=NOW, now=NOW) == good()


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("限時優惠碼 SAVE", "PROMO_WORDING"),
        ("coupon SAVE10", "PROMO_WORDING"),
        ("https://acme.example", "VALUE_LINK"),
        ("see bit.ly/x", "VALUE_LINK"),
        ("x" * 21, "VALUE_MAX_LENGTH"),
    ],
)
def test_copy_smuggled_through_a_variable_is_refused_with_the_rule_code(
    approved: TemplateVersion, value: str, rule: str
) -> None:
    error = refused(approved, good(order_id=value))
    assert error.code == rule and error.field == "variables.order_id"


def test_missing_unknown_and_badly_typed_values_are_refused(approved: TemplateVersion) -> None:
    assert refused(approved, {"order_id": "A1"}).field == "variables.event_time"
    assert refused(approved, good(promo="x")).code == "VALUE_UNKNOWN"
    assert refused(approved, good(event_time="tomorrow")).code == "VALUE_TYPE"


def test_url_variables_must_be_https_on_the_allow_list_and_not_shortened(
    make_template: Callable[..., MessageTemplate],
) -> None:
    version = make_template(
        code="bill",
        text="帳單已於 {event_time} 產生，請至 {bill_link} 查看。若已繳費請忽略此訊息。",
        sms_text="帳單已於 {event_time} 產生，請至 {bill_link} 查看。若已繳費請忽略此訊息。",
        variables=[
            {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
            {"name": "bill_link", "type": "url", "max_length": 200, "sample": "https://acme.example/b/1"},
        ],
        button_label="",
        button_url="",
    ).versions.get()
    base = {"event_time": "2026-01-01 10:00"}
    assert refused(version, {**base, "bill_link": "http://acme.example/b"}).code == "LINK_HTTPS"
    assert refused(version, {**base, "bill_link": "https://reurl.cc/abc"}).code == "LINK_SHORTENER"
    assert refused(version, {**base, "bill_link": "https://evil.example/b"}).code == "LINK_DOMAIN"
    ok = send_check_variables(
        version=version, variables={**base, "bill_link": "https://pay.acme.example/b"}, occurred_at=NOW
    )
    assert ok["bill_link"] == "https://pay.acme.example/b"


def test_a_payment_notice_must_go_out_within_24_hours(make_template: Callable[..., MessageTemplate]) -> None:
    version = make_template(code="paid", use_case="payment_completed").versions.get()
    error = refused(version, good(), occurred_at=NOW - timedelta(hours=25))
    assert error.code == "TIMING_LATE" and error.field == "occurred_at"
    send_check_variables(version=version, variables=good(), occurred_at=NOW - timedelta(hours=23), now=NOW)


def test_an_event_in_the_future_is_refused(approved: TemplateVersion) -> None:
    assert refused(approved, good(), occurred_at=NOW + timedelta(hours=1)).code == "TIMING_FUTURE"


def test_reservation_reminders_are_limited_to_two_per_reservation_in_seven_days(
    make_template: Callable[..., MessageTemplate],
) -> None:
    version = make_template(code="remind", use_case="reservation_reminder").versions.get()
    calls: list[dict[str, Any]] = []

    def prior(count: int) -> Callable[..., int]:
        def counter(**kwargs: Any) -> int:
            calls.append(kwargs)
            return count

        return counter

    assert refused(version, good(), prior_sends=prior(0)).code == "TIMING_RESERVATION_KEY"
    send_check_variables(
        version=version, variables=good(), occurred_at=NOW, now=NOW, reservation_key="R1", prior_sends=prior(1)
    )
    error = refused(version, good(), reservation_key="R1", prior_sends=prior(2))
    assert error.code == "TIMING_REMINDER_LIMIT" and error.field == "reservation_key"
    assert calls[0]["reservation_key"] == "R1" and calls[0]["since"] == NOW - timedelta(days=7)


def test_line_messages_carry_the_values_and_the_button(approved: TemplateVersion) -> None:
    messages = render_line_messages(version=approved, variables=good())
    assert len(messages) == 1 and messages[0]["type"] == "flex"
    bubble = messages[0]["contents"]
    assert "A20260101" in bubble["body"]["contents"][0]["text"]
    action = bubble["footer"]["contents"][0]["action"]
    assert action == {"type": "uri", "label": "查看訂單", "uri": "https://shop.acme.example/orders/A20260101"}
    assert "A20260101" in messages[0]["altText"]


def test_a_text_without_button_is_a_text_message_and_flex_gets_the_button(
    make_template: Callable[..., MessageTemplate],
) -> None:
    plain = make_template(code="plain", button_label="", button_url="").versions.get()
    assert render_line_messages(version=plain, variables=good())[0]["type"] == "text"
    flex = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "訂單 {order_id}"}]},
    }
    both = make_template(code="both", flex_json=flex).versions.get()
    messages = render_line_messages(version=both, variables=good())
    assert [m["type"] for m in messages] == ["text", "flex"]
    assert messages[1]["contents"]["body"]["contents"][0]["text"] == "訂單 A20260101"
    assert messages[1]["contents"]["footer"]["contents"][0]["type"] == "button"


def test_the_sms_text_is_rendered(approved: TemplateVersion) -> None:
    assert render_sms_text(version=approved, variables=good()).startswith(
        "【Acme】訂單 A20260101 已於 2026-01-01 10:00"
    )


def test_a_send_check_costs_three_queries(approved: TemplateVersion, django_assert_num_queries: Any) -> None:
    from compliance.selectors import template_version_for_send

    brand = approved.template.brand
    with django_assert_num_queries(3):  # the template and version, the word list, the link allow-list
        version = template_version_for_send(brand=brand, code="shipping_notice")
        send_check_variables(version=version, variables=good(), occurred_at=NOW, now=NOW)
        render_line_messages(version=version, variables=good())


@pytest.mark.parametrize(
    "value",
    ["全館五折", "買就送", "50% OFF buy now!", "優\u200b惠", "優 惠", "折\u3000扣", "ＳＡＬＥ", "S.A.L.E"],
)
def test_advertising_in_a_value_is_refused_at_send_time_in_any_disguise(approved: TemplateVersion, value: str) -> None:
    error = refused(approved, good(order_id=value))
    assert error.code == "PROMO_WORDING" and error.field == "variables.order_id"
    assert "advertising" in str(error)


@pytest.mark.parametrize("value", ["A20260101", "限時掛號", "王小明"])
def test_ordinary_values_pass_the_advertising_check(approved: TemplateVersion, value: str) -> None:
    assert send_check_variables(version=approved, variables=good(order_id=value), occurred_at=NOW, now=NOW)
