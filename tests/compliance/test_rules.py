"""Each guideline rule, with passing and failing examples in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.choices import Channel, Urgency, UseCase, VariableType
from compliance.models import MessageTemplate, TemplateVersion
from compliance.rules import RULES_BY_CODE, Finding, build_context, find_promotional_terms, sample_values
from compliance.selectors import advertising_lists, promotional_terms
from portal.models import Brand

from .conftest import LINE_TEMPLATE_CONTENT, SHIPPING_CONTENT


def check(
    rule_code: str, brand: Brand, use_case: str = UseCase.DELIVERY_NOTICE, description: str = "", **content: Any
) -> Finding:
    template = MessageTemplate(brand=brand, code="t", name="T", use_case=use_case, new_use_case_description=description)
    version = TemplateVersion(template=template, number=1, **{**SHIPPING_CONTENT, **content})
    ctx = build_context(
        version,
        promotional_terms=promotional_terms(),
        allowed_domains={"acme.example"},
        advertising=advertising_lists(),
    )
    return RULES_BY_CODE[rule_code].check(ctx)


def test_the_default_shipping_notice_passes_every_automatic_rule(brand: Brand) -> None:
    for code, rule in RULES_BY_CODE.items():
        finding = check(code, brand)
        assert finding.passed is not False, (code, finding.detail)
        if rule.manual and code == "BUTTON_RELATES":
            assert finding.passed is None


@pytest.mark.parametrize(
    "text",
    [
        "全館限時特價，結帳再打折扣！",
        "會員獨享優惠券 {order_id}",
        "Flash SALE today: use coupon SAVE10",
        "Enjoy a free gift with your order",
        "買一送一 until Sunday",
        "Use code SALE2026 at checkout",
    ],
)
def test_promotional_wording_is_refused_in_chinese_and_english(brand: Brand, text: str) -> None:
    assert check("PROMO_WORDING", brand, text=text).passed is False


@pytest.mark.parametrize("text", ["您的訂單已出貨。", "Your order has shipped.", "Wholesale invoice issued."])
def test_factual_wording_passes_the_promotional_rule(brand: Brand, text: str) -> None:
    assert check("PROMO_WORDING", brand, text=text).passed is True


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Summer sales start", ["sales"]),  # "sale" is not a word of it
        ("sale and sales", ["sale", "sales"]),  # overlapping terms are each found
        ("wholesale, presales", []),
        ("SALE2026 coupon50", ["coupon", "sale"]),  # digits do not bound a word
        ("雙11限時折扣", ["折扣", "限時"]),
        ("", []),
    ],
)
def test_promotional_terms_are_found_as_words_each_on_its_own(text: str, found: list[str]) -> None:
    terms = ["sale", "sales", "coupon", "限時", "折扣"]
    assert sorted(find_promotional_terms(text, terms)) == found
    assert find_promotional_terms(text, []) == []


def test_promotional_wording_in_the_sms_text_and_flex_bubble_is_found(brand: Brand) -> None:
    assert check("PROMO_WORDING", brand, sms_text="折價券已發送").passed is False
    flex = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "text", "text": "Limited time discount"}]}}  # fmt: skip
    assert check("PROMO_WORDING", brand, flex_json=flex).passed is False


def test_a_term_added_by_a_reviewer_is_used_at_once(brand: Brand) -> None:
    from compliance.models import PromotionalTerm

    assert check("PROMO_WORDING", brand, text="週五狂歡夜").passed is True
    PromotionalTerm.objects.create(term="狂歡夜")
    assert check("PROMO_WORDING", brand, text="週五狂歡夜").passed is False


def test_a_points_template_must_not_announce_free_points(brand: Brand) -> None:
    assert (
        check("USE_CASE_POINTS", brand, UseCase.POINTS_EARNED, text="消費累積 {order_id} 點，本週加碼贈點！").passed
        is False
    )
    assert (
        check("USE_CASE_POINTS", brand, UseCase.POINTS_EARNED, text="You got double points this week").passed is False
    )
    assert check("USE_CASE_POINTS", brand, UseCase.POINTS_EARNED, text="本次消費累積 {order_id} 點。").passed is True


def test_reservation_templates_wait_for_a_reviewer_verdict(brand: Brand) -> None:
    assert check("USE_CASE_RESERVATION", brand, UseCase.RESERVATION_REMINDER).passed is None
    assert check("USE_CASE_RESERVATION", brand, UseCase.DELIVERY_NOTICE).passed is True


def test_an_otp_template_has_exactly_one_code_variable_and_no_link(brand: Brand) -> None:
    otp = {
        "text": "您的驗證碼為 {otp_code}，10 分鐘內有效。Your code is {otp_code}.",
        "variables": [{"name": "otp_code", "type": VariableType.CODE, "max_length": 8, "sample": "123456"}],
        "button_label": "",
        "button_url": "",
    }
    assert check("USE_CASE_OTP", brand, UseCase.SIGNUP_OTP, **otp).passed is True
    with_link = {**otp, "text": "驗證碼 {otp_code}，請至 https://acme.example/verify 輸入。"}
    assert check("USE_CASE_OTP", brand, UseCase.SIGNUP_OTP, **with_link).passed is False
    two_codes = {
        **otp,
        "variables": [*otp["variables"], {"name": "pin", "type": "code", "max_length": 4, "sample": "1"}],
    }
    assert check("USE_CASE_OTP", brand, UseCase.SIGNUP_OTP, **two_codes).passed is False


def test_a_new_use_case_needs_a_description_and_a_reviewer(brand: Brand) -> None:
    assert check("USE_CASE_NEW", brand, UseCase.NEW_USE_CASE).passed is False
    assert check("USE_CASE_NEW", brand, UseCase.NEW_USE_CASE, description="Library book due").passed is None


def test_links_must_be_https(brand: Brand) -> None:
    assert check("LINK_HTTPS", brand, text="詳見 http://acme.example/o 。").passed is False
    assert check("LINK_HTTPS", brand, button_url="http://acme.example/o").passed is False
    assert check("LINK_HTTPS", brand, text="See https://acme.example/o for details.").passed is True


def test_links_must_be_on_the_brands_allow_list_or_line(brand: Brand) -> None:
    assert check("LINK_DOMAIN", brand, button_url="https://evil.example/o").passed is False
    assert check("LINK_DOMAIN", brand, button_url="https://{order_id}.acme.example/").passed is False
    assert check("LINK_DOMAIN", brand, button_url="https://shop.acme.example/o/{order_id}").passed is True
    assert check("LINK_DOMAIN", brand, button_url="https://liff.line.me/1650000000-abc").passed is True


def test_url_shorteners_are_refused_even_without_a_scheme(brand: Brand) -> None:
    assert check("LINK_SHORTENER", brand, text="查詢請點 https://bit.ly/3abc 謝謝").passed is False
    assert check("LINK_SHORTENER", brand, text="Track at reurl.cc/xyz please").passed is False
    assert check("LINK_SHORTENER", brand, button_url="https://lihi.cc/AbC").passed is False
    assert check("LINK_SHORTENER", brand).passed is True
    # the finding names the shorteners under its own message, rendered in the reader's language
    finding = check("LINK_SHORTENER", brand, text="看 https://bit.ly/1 或 https://reurl.cc/2 。")
    assert (finding.message, finding.params) == ("link.shortener", {"hosts": "bit.ly, reurl.cc"})


def test_a_button_needs_a_label_and_a_url_and_a_reviewer_to_confirm_it(brand: Brand) -> None:
    assert check("BUTTON_COMPLETE", brand, button_url="").passed is False
    assert check("BUTTON_RELATES", brand).passed is None
    assert check("BUTTON_RELATES", brand, button_label="", button_url="").passed is True


def test_every_placeholder_must_be_declared_and_well_formed(brand: Brand) -> None:
    assert check("VAR_DECLARED", brand, text="訂單 {order_id} 由 {courier} 配送。").passed is False
    assert check("VAR_DECLARED", brand, text="Order { order_id} shipped.").passed is False
    assert check("VAR_DECLARED", brand, text="Order {{order_id}} shipped.").passed is False
    assert check("VAR_DECLARED", brand, text="訂單 {order_id} 已於 {event_time} 出貨。").passed is True


def test_a_variable_without_a_name_is_named_empty_in_its_finding(brand: Brand) -> None:
    finding = check("VAR_DEFINITION", brand, variables=[{"type": "text", "max_length": 20, "sample": "A1"}])
    (item,) = [item for item in finding.params["items"] if item["message"] == "var.name"]
    assert item["params"] == {"i": 1, "name": ""}


def test_variable_definitions_need_a_known_type_and_a_sample(brand: Brand) -> None:
    bad = [{"name": "Order-ID", "type": "blob", "max_length": 0}]
    finding = check("VAR_DEFINITION", brand, variables=bad)
    assert finding.passed is False
    assert "Order-ID" in finding.detail and "blob" in finding.detail


def test_no_placeholder_at_the_very_start_or_end(brand: Brand) -> None:
    finding = check("VAR_POSITION", brand, text="{order_id} 已出貨")
    assert (finding.passed, finding.message, finding.params) == (False, "var.position", {"where": "text"})
    assert check("VAR_POSITION", brand, text="Your order shipped: {order_id}").passed is False
    assert check("VAR_POSITION", brand, text="Your order {order_id} shipped.").passed is True


def test_free_text_variables_need_a_max_length(brand: Brand) -> None:
    variables = [
        {"name": "order_id", "type": "text", "sample": "A1"},
        {"name": "event_time", "type": "datetime", "sample": "x"},
    ]
    finding = check("VAR_MAX_LENGTH", brand, variables=variables)
    assert finding.passed is False
    assert (finding.message, finding.params) == ("var.no_max_length", {"names": "order_id"})
    assert "order_id" in finding.detail
    assert check("VAR_MAX_LENGTH", brand).passed is True


def test_a_variable_at_its_worst_is_its_max_length_in_wide_characters_or_else_its_sample() -> None:
    from compliance.rules import worst_case_values

    version = TemplateVersion(
        variables=[
            {"name": "order_id", "type": "text", "max_length": 3, "sample": "A1"},
            {"name": "event_time", "type": "datetime", "sample": "2026-03-01 10:00"},
        ]
    )
    assert worst_case_values(version) == {"order_id": "測測測", "event_time": "2026-03-01 10:00"}


def test_line_text_is_at_most_5000_characters_with_variables_at_their_max(brand: Brand) -> None:
    assert check("LINE_TEXT_LENGTH", brand, text="訂" * 4990 + "{order_id}。").passed is False
    assert check("LINE_TEXT_LENGTH", brand, text="訂" * 4970 + "{order_id}。").passed is True


def test_a_line_template_needs_a_message(brand: Brand) -> None:
    assert check("LINE_MESSAGE_COUNT", brand, text="", flex_json=None).passed is False
    assert check("LINE_MESSAGE_COUNT", brand, text="", channels=[Channel.SMS]).passed is True


def test_flex_json_must_be_a_bubble_without_media(brand: Brand) -> None:
    carousel = {"type": "carousel", "contents": []}
    assert check("FLEX_STRUCTURE", brand, flex_json=carousel).passed is False
    assert check("FLEX_STRUCTURE", brand, flex_json=["not", "a", "dict"]).passed is False
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "出貨"}]},
    }
    assert check("FLEX_STRUCTURE", brand, flex_json=bubble).passed is True
    assert check("FLEX_NO_MEDIA", brand, flex_json=bubble).passed is True
    with_image = {**bubble, "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "image", "url": "https://acme.example/a.png"}]}}  # fmt: skip
    assert check("FLEX_NO_MEDIA", brand, flex_json=with_image).passed is False
    assert check("FLEX_NO_MEDIA", brand, flex_json={**bubble, "hero": {"type": "video"}}).passed is False


def test_sms_fallback_states_when_the_event_happened(brand: Brand) -> None:
    assert check("SMS_EVENT_TIME", brand, sms_text="訂單 {order_id} 已出貨。若您已收到，請忽略此訊息。").passed is False
    assert check("SMS_EVENT_TIME", brand, text="Order {order_id} shipped. Please ignore if received.").passed is False
    assert check("SMS_EVENT_TIME", brand).passed is True
    assert check("SMS_EVENT_TIME", brand, sms_fallback_delay_minutes=None, sms_text="x").passed is True


def test_sms_fallback_carries_the_ignore_line(brand: Brand) -> None:
    assert check("SMS_IGNORE_LINE", brand, sms_text="訂單 {order_id} 已於 {event_time} 出貨。").passed is False
    english = "Order {order_id} shipped at {event_time}. If you already received it, please ignore this message."
    assert check("SMS_IGNORE_LINE", brand, text=english, sms_text=english).passed is True
    assert (
        check(
            "SMS_IGNORE_LINE", brand, sms_text="訂單 {order_id} 於 {event_time} 付款成功，如已完成取貨請忽略此簡訊。"
        ).passed
        is True
    )


def test_sms_channel_needs_an_sms_text(brand: Brand) -> None:
    assert check("SMS_VARIANT", brand, sms_text="").passed is False
    assert check("SMS_VARIANT", brand, channels=[Channel.PNP], sms_fallback_delay_minutes=60).passed is False
    assert check("SMS_VARIANT", brand, channels=[Channel.PNP], sms_fallback_delay_minutes=None).passed is True


def test_sms_length_counts_segments_for_chinese_and_gsm7(brand: Brand) -> None:
    short = check("SMS_LENGTH", brand, sms_text="訂單 {order_id} 已於 {event_time} 出貨。若已收到請忽略此訊息。")
    assert short.passed is True and "1 segment" in short.detail and "UCS-2" in short.detail
    long_zh = check("SMS_LENGTH", brand, sms_text="訂" * 60 + "{order_id}。")
    assert long_zh.passed is False and "2 segment" in long_zh.detail  # warning: 80 UCS-2 chars
    huge = check("SMS_LENGTH", brand, sms_text="訂" * 400 + "{order_id}。")
    assert huge.passed is False and "7 segment" in huge.detail


def test_pnp_is_flagged_for_urgent_messages(brand: Brand) -> None:
    assert check("URGENCY_CHANNEL", brand, urgency=Urgency.FIVE_MINUTES).passed is False
    assert check("URGENCY_CHANNEL", brand, urgency=Urgency.FIVE_MINUTES, channels=[Channel.SMS]).passed is True


def test_likely_advertising_waits_for_the_reviewer_with_the_evidence(brand: Brand) -> None:
    finding = check("PROMO_WORDING", brand, text="您的訂單 {order_id} 已於 {event_time} 出貨，另有會員折扣可用。")
    assert finding.passed is None
    assert [(e["code"], e["severity"], e["evidence"]["text"]) for e in finding.evidence] == [
        ("ad.discount", "review", "折扣")
    ]
    assert "折扣" in finding.detail and "LINE TW sales kit 2023" in finding.detail


def test_clear_advertising_fails_the_rule_with_the_clause_it_breaks(brand: Brand) -> None:
    finding = check("PROMO_WORDING", brand, text="本週會員日全館85折 {order_id} {event_time}")
    assert finding.passed is False
    assert {e["clause"] for e in finding.evidence} == {"pnp.no_advertising"}
    assert {e["code"] for e in finding.evidence} == {"ad.discount"}


def test_a_postal_service_name_passes_the_promotional_rule(brand: Brand) -> None:
    text = "您的包裹 {order_id} 已於 {event_time} 以限時掛號寄出。若您已收到，請忽略此訊息。"
    assert check("PROMO_WORDING", brand, text=text).passed is True


def test_promotional_points_are_reported_once_under_the_points_rule(brand: Brand) -> None:
    text = "本次累積 {order_id} 點，週末點數加倍！"
    assert check("USE_CASE_POINTS", brand, UseCase.POINTS_EARNED, text=text).passed is False
    assert check("PROMO_WORDING", brand, UseCase.POINTS_EARNED, text=text).passed is True


def test_the_preview_fills_each_variable_with_its_sample_as_text() -> None:
    version = TemplateVersion(
        variables=[
            {"name": "order_id", "type": "text", "sample": "A20260101"},
            {"name": "points", "type": "number", "sample": 30},
            {"name": "event_time", "type": "datetime"},
            {"type": "text", "sample": "unnamed draft row"},
        ]
    )
    assert sample_values(version) == {
        "order_id": "A20260101",
        "points": "30",
        "event_time": "",
        "": "unnamed draft row",
    }
    assert sample_values(TemplateVersion(variables=None)) == {}
    assert sample_values(TemplateVersion(variables=[])) == {}


def test_an_empty_text_holds_no_term_even_a_short_one_a_reviewer_added() -> None:
    assert find_promotional_terms("", ["xxxx", "xx", "折"]) == []
    assert find_promotional_terms(None, ["xx"]) == []  # type: ignore[arg-type]


def test_a_variable_declared_twice_is_named_in_the_finding(brand: Brand) -> None:
    twice = [
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A1"},
        {"name": "order_id", "type": "text", "max_length": 20, "sample": "A2"},
    ]
    finding = check("VAR_DEFINITION", brand, variables=twice)
    assert finding.passed is False
    (item,) = [item for item in finding.params["items"] if item["message"] == "var.twice"]
    assert item["params"] == {"name": "order_id"}


def test_a_malformed_placeholder_in_the_button_url_names_the_button_url(brand: Brand) -> None:
    finding = check("VAR_DECLARED", brand, button_url="https://acme.example/o/{ order_id}")
    assert finding.passed is False
    assert {item["params"]["where"] for item in finding.params["items"]} == {"button_url"}


def test_each_kind_is_checked_against_its_own_rules() -> None:
    from compliance.choices import TemplateKind
    from compliance.rules import FLEXIBLE_ONLY_RULES, LINE_TEMPLATE_ONLY_RULES, rules_for

    line_template = {rule.code for rule in rules_for(TemplateKind.LINE_TEMPLATE)}
    flexible = {rule.code for rule in rules_for(TemplateKind.FLEXIBLE)}
    assert LINE_TEMPLATE_ONLY_RULES <= line_template and not FLEXIBLE_ONLY_RULES & line_template
    assert FLEXIBLE_ONLY_RULES <= flexible and not LINE_TEMPLATE_ONLY_RULES & flexible


def test_sms_length_names_the_gsm7_alphabet_for_latin_copy(brand: Brand) -> None:
    finding = check("SMS_LENGTH", brand, sms_text="Your parcel has shipped. Ignore this if you have it.")
    assert finding.passed is True and finding.params["enc"] == "GSM-7" and "GSM-7" in finding.detail


def test_a_shortened_link_as_a_send_time_value_is_refused_naming_its_host() -> None:
    from compliance.rules import check_value

    variable = {"name": "track_url", "type": VariableType.URL}
    refused = check_value(variable, "https://bit.ly/3abc", promotional_terms=[], allowed_domains={"acme.example"})
    assert refused == ("LINK_SHORTENER", "Shortened links are not allowed: bit.ly")


def test_a_badly_named_variable_is_named_in_the_finding(brand: Brand) -> None:
    bad = [{"name": "Order-ID", "type": "text", "max_length": 20, "sample": "A1"}]
    finding = check("VAR_DEFINITION", brand, variables=bad)
    (item,) = [item for item in finding.params["items"] if item["message"] == "var.name"]
    assert item["params"] == {"i": 1, "name": "Order-ID"}


def test_a_line_templates_items_and_buttons_are_read_by_the_link_and_placeholder_rules(brand: Brand) -> None:
    line_template = LINE_TEMPLATE_CONTENT
    assert check("LINK_DOMAIN", brand, **line_template).passed is True
    assert check("VAR_DECLARED", brand, **line_template).passed is True
    elsewhere = [{"key": "contact_ja", "url": "https://shop.other.example/orders/{order_id}"}]
    assert check("LINK_DOMAIN", brand, **{**line_template, "line_buttons": elsewhere}).passed is False
    undeclared = [{"key": "number_001_ja", "value": "訂單 {parcel_id}"}]
    assert check("VAR_DECLARED", brand, **{**line_template, "line_items": undeclared}).passed is False


def test_a_passing_message_count_says_so_in_its_own_words(brand: Brand) -> None:
    finding = check("LINE_MESSAGE_COUNT", brand)
    assert (finding.passed, finding.message, finding.params) == (True, "line.message_count_ok", {"n": 1})


def test_a_button_url_without_a_scheme_is_judged_by_its_host(brand: Brand) -> None:
    # a button URL typed without https:// (LINK_HTTPS refuses it) is on the brand's domain all the same
    assert check("LINK_DOMAIN", brand, button_url="acme.example/orders").passed is True
    assert check("LINK_DOMAIN", brand, button_url="other.example/orders").passed is False


def test_a_date_value_at_send_time_is_checked_as_a_date() -> None:
    from compliance.rules import check_value_type

    assert check_value_type({"name": "ship_date", "type": VariableType.DATE}, "2026-01-05") is None
    assert check_value_type({"name": "ship_date", "type": VariableType.DATE}, "2026-13-05") is not None


def test_a_max_length_out_of_range_is_its_own_finding(brand: Brand) -> None:
    bad = [{"name": "order_id", "type": "text", "max_length": 0, "sample": "A1"}]
    finding = check("VAR_DEFINITION", brand, variables=bad)
    assert [item["message"] for item in finding.params["items"]] == ["var.max_length_range"]


def test_the_sms_length_rule_does_not_apply_to_a_template_without_the_sms_channel(brand: Brand) -> None:
    # an SMS text left over from an earlier version is not sent, so its length is nobody's concern
    finding = check("SMS_LENGTH", brand, channels=[Channel.PNP], sms_text="訂" * 400 + "{order_id}。")
    assert (finding.passed, finding.message) == (True, "not_applicable")


def test_a_passing_line_text_length_says_so_in_its_own_words(brand: Brand) -> None:
    finding = check("LINE_TEXT_LENGTH", brand)
    assert finding.passed is True and finding.message == "line.text_length_ok" and finding.params["n"] > 0


def test_a_number_value_at_send_time_may_group_its_thousands() -> None:
    from compliance.rules import check_value_type

    assert check_value_type({"name": "qty", "type": VariableType.NUMBER}, "1,234") is None
    assert check_value_type({"name": "qty", "type": VariableType.NUMBER}, "12a") is not None


def test_the_largest_allowed_max_length_is_accepted(brand: Brand) -> None:
    from compliance.rules import VARIABLE_MAX_LENGTH

    variables = [{"name": "order_id", "type": "text", "max_length": VARIABLE_MAX_LENGTH, "sample": "A1"}]
    assert check("VAR_DEFINITION", brand, variables=variables).passed is True
    variables[0]["max_length"] = VARIABLE_MAX_LENGTH + 1
    assert check("VAR_DEFINITION", brand, variables=variables).passed is False


def test_a_url_without_a_host_has_no_host() -> None:
    from compliance.rules import host_of

    assert host_of("https:///orders") == ""
    assert host_of("HTTPS://Acme.Example/orders") == "acme.example"


def test_an_advertising_finding_keeps_what_the_detector_saw_for_the_readers_language(brand: Brand) -> None:
    finding = check("PROMO_WORDING", brand, text="本週會員日全館85折 {order_id} {event_time}")
    [item, *_rest] = finding.params["items"]
    assert item["message"] == "ad.found" and item["params"]["finding"]["code"] == "ad.discount"
    assert item["params"]["where"] == "text"  # which field of the template the words are in


def test_a_button_waits_for_the_reviewer_under_its_own_message_naming_its_url(brand: Brand) -> None:
    finding = check("BUTTON_RELATES", brand, button_url="https://acme.example/orders")
    assert (finding.passed, finding.message) == (None, "button.confirm")
    assert finding.params["url"] == "https://acme.example/orders"


def test_a_malformed_placeholder_is_quoted_in_its_finding(brand: Brand) -> None:
    finding = check("VAR_DECLARED", brand, text="Order { order_id} shipped.")
    malformed = [item["params"] for item in finding.params["items"] if item["message"] == "var.malformed"]
    assert any(params["where"] == "text" and "order_id" in params["frag"] for params in malformed)


def test_an_unknown_flex_component_type_is_named_in_its_finding(brand: Brand) -> None:
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "carousel_card", "text": "出貨"}, {"type": "marquee", "text": "Shipped"}]}}  # fmt: skip
    finding = check("FLEX_STRUCTURE", brand, flex_json=bubble)
    assert (finding.passed, finding.message, finding.params) == (
        False,
        "flex.unknown_types",
        {"types": "carousel_card, marquee"},
    )
    assert finding.detail == "Unknown Flex component types: carousel_card, marquee"


def test_an_undeclared_placeholder_is_named_in_its_finding_with_where_it_is(brand: Brand) -> None:
    finding = check("VAR_DECLARED", brand, text="訂單 {order_id} 由 {courier} 於 {event_time} 配送。")
    assert finding.passed is False
    assert [(item["message"], item["params"]) for item in finding.params["items"]] == [
        ("var.undeclared", {"where": "text", "names": "{courier}"})
    ]
    assert finding.detail == "text: undeclared {courier}"


def test_a_fallback_text_without_the_ignore_line_is_named_in_its_finding(brand: Brand) -> None:
    finding = check("SMS_IGNORE_LINE", brand, sms_text="訂單 {order_id} 已於 {event_time} 出貨。")
    assert (finding.passed, finding.message, finding.params) == (False, "sms.ignore_line", {"where": "sms_text"})
    assert finding.detail.endswith(" to: sms_text")
    both = check(
        "SMS_IGNORE_LINE",
        brand,
        text="Order {order_id} shipped at {event_time}.",
        sms_text="訂單 {order_id} 已於 {event_time} 出貨。",
    )
    assert both.params == {"where": "text, sms_text"} and both.detail.endswith(" to: text, sms_text")


def test_a_rule_that_crashes_on_malformed_content_fails_with_the_error_it_raised(brand: Brand) -> None:
    from compliance.rules import evaluate

    template = MessageTemplate(brand=brand, code="t", name="T", use_case=UseCase.DELIVERY_NOTICE)
    # a variable stored as a bare name, not an object: the variable rules cannot read it
    version = TemplateVersion(template=template, number=1, **{**SHIPPING_CONTENT, "variables": ["order_id"]})
    ctx = build_context(version, promotional_terms=promotional_terms(), allowed_domains={"acme.example"})
    findings = {rule.code: finding for rule, finding in evaluate(ctx)}
    crashed = findings["VAR_DEFINITION"]
    assert (crashed.passed, crashed.message) == (False, "could_not_check")
    assert crashed.params == {"error": "'str' object has no attribute 'get'"}
    assert crashed.detail == "Could not check: 'str' object has no attribute 'get'"
