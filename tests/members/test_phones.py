import hashlib
import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from members.choices import PhoneType
from members.phones import NormalizedPhone, _clean, _normalize_parsed, mask_e164, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912-345-678",
        "0912345678",
        "+886 912 345 678",
        "886912345678",
        "０９１２３４５６７８",
        "  0912 345 678 ",
        "0912.345.678",
        "00886912345678",
        "＋８８６ ９１２ ３４５ ６７８",
    ],
)
def test_every_written_form_of_a_taiwanese_mobile_number_gives_the_same_e164(raw: str) -> None:
    phone = normalize_phone(raw)
    assert phone.e164 == "+886912345678"
    assert phone.number_type == PhoneType.MOBILE


def test_a_taipei_landline_in_brackets_is_a_fixed_line() -> None:
    phone = normalize_phone("(02) 2345-6789")
    assert phone.e164 == "+886223456789"
    assert phone.number_type == PhoneType.FIXED_LINE
    assert not phone.is_mobile


def test_the_hash_is_lowercase_sha256_of_e164_with_the_plus_as_line_documents() -> None:
    assert normalize_phone("+81 80-0000-1234").hash == (
        "d41e0ad70dddfeb68f149ad6fc61574b9c5780ab7bcb2fba5517771ffbb2409c"
    )
    assert normalize_phone("0912345678").hash == hashlib.sha256(b"+886912345678").hexdigest()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0912-34-567", "0912-34-567: too short for a Taiwanese mobile number."),
        ("09123456789", "09123456789: too long for a Taiwanese mobile number."),
        ("abc", "abc: not a phone number"),
        ("0912-345-67a", "not a phone number"),
        ("", "The phone number is empty."),
        ("   ", "The phone number is empty."),
        ("+999 1234 5678", "unknown country code"),
    ],
)
def test_what_is_not_a_usable_number_is_rejected_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw)
    assert reason in caught.value.messages[0]


def test_the_quick_path_for_mobiles_agrees_with_phonenumbers_for_every_prefix() -> None:
    for prefix in range(900, 1000):
        raw = f"0{prefix}123456"
        parsed = phonenumbers.parse(raw, "TW")
        if not phonenumbers.is_valid_number(parsed):
            with pytest.raises(ValidationError):
                normalize_phone(raw)
            continue
        phone = normalize_phone(raw)
        assert phone.e164 == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        expected_mobile = phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        assert (phone.number_type == PhoneType.MOBILE) == expected_mobile, raw


def _full_parse(raw: str) -> NormalizedPhone | str:
    """What the full phonenumbers path alone makes of a number: the result or the reason."""
    shown = raw.strip()
    text = _clean(shown)
    if text.startswith("00") and not text.startswith("0800"):
        text = "+" + text[2:]
    try:
        return _normalize_parsed(text, shown, "TW")
    except ValidationError as exc:
        return exc.messages[0]


def test_the_quick_path_for_other_taiwanese_numbers_agrees_with_the_full_parse() -> None:
    # given every two-digit start of a national number, lengths 5 to 12, in the usual spellings
    rng = random.Random(4)
    for length in range(5, 13):
        for lead in range(100):
            for _ in range(6):
                national = f"{lead:02d}" + "".join(rng.choice("0123456789") for _ in range(length - 2))
                for raw in (
                    f"0{national}",
                    f"+886{national}",
                    f"886{national}",
                    national,
                    f"(0{national[0]}) {national[1:]}",
                ):
                    # when
                    try:
                        quick: NormalizedPhone | str = normalize_phone(raw)
                    except ValidationError as exc:
                        quick = exc.messages[0]
                    # then
                    assert quick == _full_parse(raw), raw


def test_masking_keeps_the_first_four_and_last_three_digits() -> None:
    assert mask_e164("+886912345678") == "0912-***-678"
    assert "345" not in mask_e164("+886912345678")
