"""Taiwan's business identifier (統一編號): eight digits with the Ministry of Finance's check rule.

Each digit is multiplied by its weight (1, 2, 1, 2, 1, 2, 4, 1) and the digits of each product
are summed (18 → 1 + 8 = 9). The number is valid when the total is divisible by 5: the divisor
in force since 2023, when the ministry widened it from 10 (every number valid under 10 is also
divisible by 5, so older numbers stay valid). When the seventh digit is 7, its product 7 × 4 = 28
gives 2 + 8 = 10, which the rule counts as either 1 or 0: the number is valid if either total is.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)
DIVISOR = 5


def _digit_sum(number: int) -> int:
    return sum(int(d) for d in str(number))


def tax_id_totals(value: str) -> tuple[int, ...]:
    """Return the check totals of an eight-digit number (two when the seventh digit is 7)."""
    sums = [_digit_sum(int(digit) * weight) for digit, weight in zip(value, WEIGHTS, strict=True)]
    total = sum(sums)
    if value[6] == "7":
        # 28 → 2 + 8 = 10, counted as 1 (1 + 0) or as 0 (its last digit).
        return total - 10 + 1, total - 10
    return (total,)


def tax_id_is_valid(value: str) -> bool:
    """Whether ``value`` is eight digits that pass the check rule."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return False
    return any(total % DIVISOR == 0 for total in tax_id_totals(value))


def validate_tax_id(value: str) -> None:
    """Raise a ``ValidationError`` a person can act on unless ``value`` is a valid 統一編號."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise ValidationError(
            _("A 統一編號 (tax ID) is exactly eight digits, e.g. 04595257; %(value)s is not."),
            code="tax_id_shape",
            params={"value": value},
        )
    if not tax_id_is_valid(value):
        raise ValidationError(
            _(
                "%(value)s fails the Ministry of Finance check rule for a 統一編號: "
                "check each digit against the brand's registration."
            ),
            code="tax_id_check",
            params={"value": value},
        )
