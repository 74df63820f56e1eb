"""LINE templates (template PNP): their fields' limits, their review path and their send-time checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from compliance.choices import Channel, TemplateKind, TemplateStatus, UseCase
from compliance.exceptions import SendRuleViolation, TransitionNotAllowed
from compliance.line_templates import render_line_template
from compliance.models import MessageTemplate, TemplateVersion
from compliance.selectors import send_check_variables
from compliance.services import (
    template_approve,
    template_start_review,
    template_submit,
    template_update_draft,
)

from .conftest import LINE_TEMPLATE_CONTENT, confirm_manual_rules


@pytest.fixture
def make_line_template(make_template: Callable[..., MessageTemplate]) -> Callable[..., MessageTemplate]:
    def make(**content: Any) -> MessageTemplate:
        return make_template(code="shipped_tpl", **{**LINE_TEMPLATE_CONTENT, **content})

    return make


def _errors(make: Callable[..., MessageTemplate], **content: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        make(**content)
    return error.value.message_dict


def test_a_line_template_is_created_with_its_key_items_and_buttons(
    make_line_template: Callable[..., MessageTemplate],
) -> None:
    version = make_line_template().versions.get()
    assert version.kind == TemplateKind.LINE_TEMPLATE
    assert version.line_items == [{"key": "number_001_ja", "value": "訂單 {order_id}"}]


def test_a_line_template_needs_its_key(make_line_template: Callable[..., MessageTemplate]) -> None:
    assert "line_template_key" in _errors(make_line_template, line_template_key="")


def test_the_emphasized_item_is_at_most_15_characters_with_its_variables_at_their_longest(
    make_line_template: Callable[..., MessageTemplate],
) -> None:
    errors = _errors(make_line_template, emphasized_item="訂單 {order_id}")  # 3 + 20 characters
    assert errors["emphasized_item"] == [
        "The emphasized item can reach 23 characters with its variables; LINE allows 15."
    ]
    assert make_line_template(emphasized_item="2026年1月1日").versions.get().emphasized_item == "2026年1月1日"


def test_item_keys_are_unique_values_bounded_and_at_most_15_items(
    make_line_template: Callable[..., MessageTemplate],
) -> None:
    twice = [{"key": "number_001_ja", "value": "1"}, {"key": "number_001_ja", "value": "2"}]
    assert _errors(make_line_template, line_items=twice)["line_items"] == [
        "Item 2: the key number_001_ja is used twice."
    ]
    too_long = [{"key": "note_ja", "value": "x" * 301}]
    assert "LINE allows 300" in _errors(make_line_template, line_items=too_long)["line_items"][0]
    many = [{"key": f"k{i}", "value": "v"} for i in range(16)]
    assert _errors(make_line_template, line_items=many)["line_items"] == ["At most 15 items; there are 16."]
    assert make_line_template(line_items=[]).versions.get().line_items == []


def test_at_most_two_buttons_each_with_a_url_of_at_most_1000_characters(
    make_line_template: Callable[..., MessageTemplate],
) -> None:
    three = [{"key": f"b{i}", "url": "https://shop.acme.example/"} for i in range(3)]
    assert _errors(make_line_template, line_buttons=three)["line_buttons"] == ["At most 2 buttons; there are 3."]
    long_url = [{"key": "contact_ja", "url": "https://shop.acme.example/" + "a" * 1000}]
    assert "LINE allows 1000" in _errors(make_line_template, line_buttons=long_url)["line_buttons"][0]
    no_url = [{"key": "contact_ja"}]
    assert _errors(make_line_template, line_buttons=no_url)["line_buttons"] == [
        'Button 1: give exactly a "key" (its label) and a "url".'
    ]


def test_a_line_template_goes_out_as_pnp_only_and_carries_no_flexible_content(
    make_line_template: Callable[..., MessageTemplate],
) -> None:
    errors = _errors(make_line_template, channels=[Channel.PNP, Channel.LINE_PUSH], text="Hello")
    assert set(errors) == {"channels", "text"}


def test_a_flexible_version_carries_no_template_fields(make_template: Callable[..., MessageTemplate]) -> None:
    assert "kind" in _errors(make_template, line_template_key="shipment_completed_ja")


def test_the_field_errors_read_in_traditional_chinese(make_line_template: Callable[..., MessageTemplate]) -> None:
    with translation.override("zh-hant"):
        errors = _errors(make_line_template, line_buttons=[{"key": f"b{i}", "url": "https://a.b/"} for i in range(3)])
    assert errors["line_buttons"] == ["按鈕最多 2 個；目前有 3 個。"]


def test_a_line_template_skips_the_ux_rules_and_is_approved_without_a_button_verdict(
    make_line_template: Callable[..., MessageTemplate], manager: User, reviewer: User
) -> None:
    # given a LINE template whose item says something the UX review would refuse
    version = make_line_template(line_items=[{"key": "note_ja", "value": "限時優惠 {order_id}"}]).versions.get()
    # when it is submitted and reviewed
    template_submit(version=version, actor=manager)
    codes = set(version.rule_results.values_list("rule_code", flat=True))
    # then the UX rules did not run, and the template and link rules did
    assert {"PROMO_WORDING", "BUTTON_RELATES", "LINE_MESSAGE_COUNT", "FLEX_NO_MEDIA", "VAR_POSITION"}.isdisjoint(codes)
    assert {"LINE_TEMPLATE", "LINK_DOMAIN", "LINK_HTTPS", "VAR_DECLARED", "USE_CASE_OTP"} <= codes
    template_start_review(version=version, reviewer=reviewer)
    assert template_approve(version=version, reviewer=reviewer).status == TemplateStatus.APPROVED


def test_a_line_template_button_outside_the_brand_domains_blocks_the_submit(
    make_line_template: Callable[..., MessageTemplate], manager: User
) -> None:
    version = make_line_template(line_buttons=[{"key": "contact_ja", "url": "https://evil.example/"}]).versions.get()
    with pytest.raises(TransitionNotAllowed, match="LINK_DOMAIN"):
        template_submit(version=version, actor=manager)


def test_a_line_template_item_with_an_undeclared_variable_blocks_the_submit(
    make_line_template: Callable[..., MessageTemplate], manager: User
) -> None:
    version = make_line_template(line_items=[{"key": "number_001_ja", "value": "{order_id} {tracking}"}])
    with pytest.raises(TransitionNotAllowed, match="VAR_DECLARED"):
        template_submit(version=version.versions.get(), actor=manager)


def test_the_use_case_rules_still_apply_to_a_line_template(
    make_line_template: Callable[..., MessageTemplate], manager: User
) -> None:
    # an OTP carries one code and no button, whatever the kind
    version = make_line_template(use_case=UseCase.SIGNUP_OTP).versions.get()
    with pytest.raises(TransitionNotAllowed, match="USE_CASE_OTP"):
        template_submit(version=version, actor=manager)


def test_a_draft_line_template_edited_past_its_limits_is_refused(
    make_line_template: Callable[..., MessageTemplate], manager: User
) -> None:
    version = make_line_template().versions.get()
    with pytest.raises(ValidationError) as error:
        template_update_draft(version=version, actor=manager, line_template_key="")
    assert "line_template_key" in error.value.message_dict
    version.refresh_from_db()
    assert version.line_template_key == "shipment_completed_ja"


@pytest.fixture
def approved_line_template(
    make_line_template: Callable[..., MessageTemplate], manager: User, reviewer: User
) -> TemplateVersion:
    version = make_line_template().versions.get()
    template_submit(version=version, actor=manager)
    template_start_review(version=version, reviewer=reviewer)
    confirm_manual_rules(version, reviewer)
    return template_approve(version=version, reviewer=reviewer)


def test_a_send_fills_the_template_request_with_the_values(approved_line_template: TemplateVersion) -> None:
    values = send_check_variables(
        version=approved_line_template,
        variables={"order_id": "A123", "ship_date": "2026-01-02"},
        occurred_at=timezone.now(),
    )
    assert render_line_template(version=approved_line_template, variables=values) == {
        "templateKey": "shipment_completed_ja",
        "body": {
            "emphasizedItem": {"itemKey": "date_002_ja", "content": "2026-01-02"},
            "items": [{"itemKey": "number_001_ja", "content": "訂單 A123"}],
            "buttons": [{"buttonKey": "contact_ja", "url": "https://shop.acme.example/orders/A123"}],
        },
    }


def test_the_send_time_value_checks_apply_to_a_line_template(approved_line_template: TemplateVersion) -> None:
    with pytest.raises(SendRuleViolation) as error:
        send_check_variables(
            version=approved_line_template,
            variables={"order_id": "see bit.ly/x", "ship_date": "2026-01-02"},
            occurred_at=timezone.now(),
        )
    assert (error.value.rule_code, error.value.field) == ("VALUE_LINK", "variables.order_id")


def test_a_send_whose_values_overflow_the_emphasized_item_is_refused(
    make_line_template: Callable[..., MessageTemplate], manager: User, reviewer: User
) -> None:
    # given a number variable (no max length) as the emphasized item, which LINE caps at 15 characters
    version = make_line_template(
        emphasized_item="{points}",
        variables=[*LINE_TEMPLATE_CONTENT["variables"], {"name": "points", "type": "number", "sample": "120"}],
        line_items=[{"key": "number_001_ja", "value": "{order_id} {ship_date}"}],
    ).versions.get()
    template_submit(version=version, actor=manager)
    template_start_review(version=version, reviewer=reviewer)
    template_approve(version=version, reviewer=reviewer)
    # when a send fills it with 16 digits, then it is refused on the emphasized item
    values = {"order_id": "A1", "ship_date": "2026-01-02", "points": "1" * 16}
    with pytest.raises(SendRuleViolation) as error:
        send_check_variables(version=version, variables=values, occurred_at=timezone.now())
    assert (error.value.rule_code, error.value.field) == ("LINE_TEMPLATE", "emphasized_item")


def test_checking_values_of_a_line_template_returns_the_template_request_a_send_carries(
    api_client: APIClient, approved_line_template: TemplateVersion
) -> None:
    response = api_client.post(
        "/api/v1/templates/shipped_tpl/check",
        {"variables": {"order_id": "A1", "ship_date": "2026-01-02"}, "occurred_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    (request,) = response.json()["line_messages"]
    assert request["templateKey"] == "shipment_completed_ja"
    assert request["body"]["items"] == [{"itemKey": "number_001_ja", "content": "訂單 A1"}]
