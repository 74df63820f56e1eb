import logging

import pytest

from portal.logging import MaskPersonalDataFilter, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("0912-345-678", "0912-***-678"), ("0912345678", "0912-***-678"), ("+886912345678", "+8869***678")],
)
def test_phone_numbers_are_masked(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_log_records_never_carry_a_full_phone_number_or_token() -> None:
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "send to %s with %s",
        ("+886912345678", "Authorization: Bearer abc.def123"),
        None,
    )
    MaskPersonalDataFilter().filter(record)
    text = record.getMessage()
    assert "912345678" not in text and "abc.def123" not in text
    assert "+8869***678" in text
