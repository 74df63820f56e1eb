"""Taiwan working-day arithmetic: public holidays, make-up days, overrides, quarterly cut-offs."""

from __future__ import annotations

from datetime import date

import pytest

from applications.choices import CalendarOverrideKind
from applications.models import CalendarOverride
from applications.workdays import (
    WorkCalendar,
    add_working_days,
    is_working_day,
    quarterly_cutoff,
    working_days_between,
)

TW = WorkCalendar()


# --- Lunar New Year ------------------------------------------------------------------------------
# 2026: DGPA calendar: days off Sat 14 Feb – Sun 22 Feb (Mon 16 – Fri 20 are weekdays off),
# back to work Mon 23 Feb. Fri 27 Feb is the observed Peace Memorial Day (28 Feb is a Saturday).
# 2027: Chinese New Year's Day is Sat 6 Feb; days off Thu 4 Feb (day before the eve) – Wed 10 Feb
# (Sat/Sun 6–7 Feb move to Tue/Wed 9–10 Feb), back to work Thu 11 Feb.


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the break
        (date(2026, 2, 16), False),  # day before New Year's Eve
        (date(2026, 2, 17), False),  # New Year's Day
        (date(2026, 2, 20), False),  # Friday, observed for the weekend eve
        (date(2026, 2, 23), True),  # first day back
        (date(2026, 2, 27), False),  # Peace Memorial Day observed
        (date(2027, 2, 3), True),
        (date(2027, 2, 4), False),
        (date(2027, 2, 9), False),  # observed for Saturday New Year's Day
        (date(2027, 2, 10), False),  # observed for Sunday's second day
        (date(2027, 2, 11), True),
    ],
)
def test_lunar_new_year_days_are_not_working_days(day: date, working: bool) -> None:
    assert TW.is_working_day(day) is working


def test_one_working_day_after_the_friday_before_lunar_new_year_2026_is_the_monday_after_it() -> None:
    assert TW.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_seven_working_days_from_lunar_new_years_eve_2026() -> None:
    # Mon 16 Feb: 23, 24, 25, 26 Feb (27 is off), 2, 3, 4 Mar → 4 Mar.
    assert TW.add_working_days(date(2026, 2, 16), 7) == date(2026, 3, 4)


def test_one_working_day_after_the_day_before_lunar_new_year_2027_is_the_thursday_after_it() -> None:
    assert TW.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)


def test_february_2026_has_fourteen_working_days() -> None:
    # 20 weekdays, minus 16–20 Feb (5) and 27 Feb (1) = 14.
    assert TW.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 14


def test_working_days_between_2027_new_year_break_counts_only_the_days_worked() -> None:
    # After Mon 1 Feb up to Fri 12 Feb: 2, 3, 11, 12 Feb.
    assert TW.working_days_between(date(2027, 2, 1), date(2027, 2, 12)) == 4


def test_adding_then_counting_working_days_gives_the_same_number() -> None:
    start = date(2026, 2, 10)
    for count in (0, 1, 5, 14, 20, 60):
        assert TW.working_days_between(start, TW.add_working_days(start, count)) == count


def test_negative_working_days_go_back_across_the_new_year_break() -> None:
    assert TW.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)


# --- Make-up working days and overrides -----------------------------------------------------------


def test_the_package_knows_the_make_up_saturday_of_2025() -> None:
    # The DGPA made Sat 8 Feb 2025 a working day in exchange for Mon 27 Jan 2025 off.
    assert TW.is_working_day(date(2025, 2, 8)) is True
    assert TW.is_working_day(date(2025, 1, 27)) is False
    assert TW.add_working_days(date(2025, 2, 7), 1) == date(2025, 2, 8)


@pytest.mark.django_db
def test_a_typhoon_day_override_makes_a_weekday_a_day_off() -> None:
    # given Wed 29 Jul 2026 is an ordinary working day
    assert is_working_day(date(2026, 7, 29)) is True
    # when the government announces a typhoon day off
    CalendarOverride.objects.create(date=date(2026, 7, 29), kind=CalendarOverrideKind.HOLIDAY, note="Typhoon day")
    # then the day no longer counts and deadlines move by one day
    assert is_working_day(date(2026, 7, 29)) is False
    assert add_working_days(date(2026, 7, 28), 1) == date(2026, 7, 30)
    assert working_days_between(date(2026, 7, 27), date(2026, 7, 31)) == 3


@pytest.mark.django_db
def test_a_typhoon_day_on_the_last_day_of_july_moves_the_quarterly_cutoff() -> None:
    CalendarOverride.objects.create(date=date(2026, 7, 31), kind=CalendarOverrideKind.HOLIDAY, note="Typhoon day")
    assert quarterly_cutoff(date(2026, 7, 1)) == date(2026, 7, 30)


@pytest.mark.django_db
def test_a_make_up_saturday_override_counts_as_a_working_day() -> None:
    # given Sat 7 Mar 2026 is a weekend day
    assert is_working_day(date(2026, 3, 7)) is False
    # when it is recorded as a make-up working day
    CalendarOverride.objects.create(date=date(2026, 3, 7), kind=CalendarOverrideKind.WORKING_DAY, note="補班")
    # then it counts
    assert is_working_day(date(2026, 3, 7)) is True
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 2


def test_an_override_wins_over_the_package_both_ways() -> None:
    calendar = WorkCalendar({date(2026, 2, 17): CalendarOverrideKind.WORKING_DAY, date(2026, 3, 3): "holiday"})
    assert calendar.is_working_day(date(2026, 2, 17)) is True
    assert calendar.is_working_day(date(2026, 3, 3)) is False


# --- Quarterly cut-offs: the last working day of January, April, July and October ---------------


@pytest.mark.parametrize(
    ("day", "cutoff"),
    [
        # 2026 (1 Jan 2026 is a Thursday)
        (date(2026, 1, 1), date(2026, 1, 30)),  # 31 Jan is a Saturday → Fri 30 Jan
        (date(2026, 1, 30), date(2026, 1, 30)),  # on the day itself
        (date(2026, 1, 31), date(2026, 4, 30)),  # Thu 30 Apr is a working day (Labor Day is Fri 1 May)
        (date(2026, 5, 1), date(2026, 7, 31)),  # Fri 31 Jul is a working day
        (date(2026, 8, 1), date(2026, 10, 30)),  # 31 Oct is a Saturday → Fri 30 Oct
        (date(2026, 11, 1), date(2027, 1, 29)),  # 31 Jan 2027 is a Sunday → Fri 29 Jan
        # 2027 (1 Jan 2027 is a Friday)
        (date(2027, 2, 1), date(2027, 4, 29)),  # Fri 30 Apr is Labor Day observed (1 May is a Saturday) → Thu 29
        (date(2027, 5, 1), date(2027, 7, 30)),  # 31 Jul is a Saturday → Fri 30 Jul
        (date(2027, 8, 1), date(2027, 10, 29)),  # 31 Oct is a Sunday → Fri 29 Oct
    ],
)
def test_quarterly_cutoff_is_the_last_working_day_of_the_quarters_first_month(day: date, cutoff: date) -> None:
    assert TW.quarterly_cutoff(day) == cutoff
