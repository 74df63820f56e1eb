from datetime import UTC, date, datetime

import pytest

from billing.periods import JST, TAIWAN, day_start_utc, next_month, parse_month, previous_month, range_utc


def test_a_taiwan_month_starts_at_16_00_utc_the_day_before() -> None:
    assert day_start_utc(date(2026, 1, 1), TAIWAN) == datetime(2025, 12, 31, 16, tzinfo=UTC)


def test_a_jst_day_starts_one_hour_before_the_taiwan_day() -> None:
    assert day_start_utc(date(2026, 1, 1), JST) == datetime(2025, 12, 31, 15, tzinfo=UTC)


def test_a_range_of_days_ends_at_the_start_of_the_following_day() -> None:
    assert range_utc(date(2026, 2, 1), date(2026, 2, 28), TAIWAN) == (
        datetime(2026, 1, 31, 16, tzinfo=UTC),
        datetime(2026, 2, 28, 16, tzinfo=UTC),
    )


def test_months_step_over_year_ends() -> None:
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026/01", "January", ""])
def test_a_bad_month_names_the_expected_shape(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)
