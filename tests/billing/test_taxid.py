"""The 統一編號 check rule, worked by hand for each number (weights 1, 2, 1, 2, 1, 2, 4, 1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from billing.taxid import tax_id_is_valid, tax_id_totals, validate_tax_id


def test_a_published_number_is_valid_under_both_divisors() -> None:
    # 04595257: digits 0 4 5 9 5 2 5 7 × weights 1 2 1 2 1 2 4 1
    # products 0 8 5 18 5 4 20 7 → digit sums 0 8 5 9 5 4 2 7 = 40: divisible by 10 and by 5
    assert tax_id_totals("04595257") == (40,)
    assert tax_id_is_valid("04595257")


def test_a_number_valid_only_under_the_divisor_of_5_is_valid() -> None:
    # 04595252: as above, with a last digit 2 instead of 7 → 0 8 5 9 5 4 2 2 = 35
    # 35 is not divisible by 10 (the rule before 2023) but is by 5 (the rule in force)
    assert tax_id_totals("04595252") == (35,)
    assert 35 % 10 != 0
    assert tax_id_is_valid("04595252")


def test_a_seven_in_the_seventh_place_counts_its_ten_as_one_or_zero() -> None:
    # 10458575: digits 1 0 4 5 8 5 7 5 → products 1 0 4 10 8 10 28 5
    # digit sums 1 0 4 1 8 1 (2+8=10) 5; the 10 counts as 1 → 21, or as 0 → 20: 20 passes
    assert tax_id_totals("10458575") == (21, 20)
    assert tax_id_is_valid("10458575")
    # 10458574: the same with a last digit 4 → 20 (counting 1) or 19 (counting 0): 20 passes
    assert tax_id_totals("10458574") == (20, 19)
    assert tax_id_is_valid("10458574")
    # 10458576: 22 or 21: neither passes
    assert tax_id_totals("10458576") == (22, 21)
    assert not tax_id_is_valid("10458576")


def test_a_wrong_check_digit_is_refused() -> None:
    # 04595258: 0 8 5 9 5 4 2 8 = 41, not divisible by 5
    assert tax_id_totals("04595258") == (41,)
    with pytest.raises(ValidationError) as refused:
        validate_tax_id("04595258")
    assert refused.value.code == "tax_id_check"


@pytest.mark.parametrize("value", ["0459525", "045952570", "0459525A", "０４５９５２５７", "", "0459 257"])
def test_anything_but_eight_ascii_digits_is_refused_with_the_shape_expected(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_tax_id(value)
    assert refused.value.code == "tax_id_shape"
    assert not tax_id_is_valid(value)
