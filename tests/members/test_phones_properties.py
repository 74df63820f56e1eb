"""Properties of phone normalisation on input nobody wrote by hand (hypothesis)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from members.phones import normalize_phone

PROFILE = settings(max_examples=400, deadline=None, derandomize=True)

anything = st.text(max_size=30) | st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True)
tw_mobiles = st.from_regex(r"09[0-9]{8}", fullmatch=True)


@PROFILE
@given(anything)
def test_any_text_is_a_number_in_e164_or_a_validation_error(raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except ValidationError as exc:
        assert exc.messages and all(message.strip() for message in exc.messages)
        return
    assert phone.e164.startswith("+") and phone.e164[1:].isdigit() and len(phone.e164) <= 16
    assert normalize_phone(phone.e164) == phone  # normalising again changes nothing


@PROFILE
@given(tw_mobiles, st.sampled_from(["{}", "{0}-{1}-{2}", "+886 {0}{1}{2}", "886-{0}-{1}{2}", " ({0}) {1} {2} "]))
def test_a_taiwanese_mobile_in_any_common_writing_is_the_same_number(national: str, shape: str) -> None:
    parts = (national[:4], national[4:7], national[7:])
    raw = national if shape == "{}" else shape.format(parts[0].lstrip("0") if "886" in shape else parts[0], *parts[1:])
    assert normalize_phone(raw).e164 == "+886" + national[1:]
