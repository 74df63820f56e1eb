from compliance.rendering import fill, malformed_braces, placeholders, sms_segments


def test_sms_segments_are_70_and_67_for_chinese() -> None:
    assert sms_segments("訂" * 70) == 1
    assert sms_segments("訂" * 71) == 2
    assert sms_segments("訂" * 134) == 2
    assert sms_segments("訂" * 135) == 3


def test_sms_segments_are_160_and_153_for_gsm7() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2
    assert sms_segments("{" * 80) == 1  # extension characters take two septets
    assert sms_segments("{" * 81) == 2


def test_placeholders_are_found_and_malformed_braces_reported() -> None:
    assert placeholders("a {order_id} b {event_time}") == ["order_id", "event_time"]
    assert malformed_braces("a {order_id} b") == []
    assert malformed_braces("a {Order} b") != []
    assert fill("a {x} {y}", {"x": "1"}) == "a 1 {y}"
