"""Taiwan working days: public holidays and make-up working days, plus our own overrides.

The base calendar is the ``holidays`` package (``holidays.TW``), which follows the DGPA work
calendar: days off, observed days off and the make-up working Saturdays (補班) it records as
``weekend_workdays``. Days the government announces late (typhoon days 颱風假, a make-up day
the package does not know yet) are rows of :class:`applications.models.CalendarOverride`, and
an override always wins over the package.

Every function takes an optional ``calendar``; pass one :class:`WorkCalendar` to many calls
(a list page, a reminder run) so the override table is read once.
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays

from applications.choices import CalendarOverrideKind

QUARTER_FIRST_MONTHS = (1, 4, 7, 10)
# The years holidays.TW knows; a date outside them cannot be placed in working days.
FIRST_YEAR = holidays.TW.start_year
LAST_YEAR = holidays.TW.end_year


@lru_cache(maxsize=64)
def _public_calendar(year: int) -> holidays.HolidayBase:
    return holidays.TW(years=year)


class WorkCalendar:
    """Taiwan's working days with a fixed set of overrides (date → CalendarOverrideKind)."""

    def __init__(self, overrides: Mapping[date, str] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind == CalendarOverrideKind.HOLIDAY:
            return False
        if kind == CalendarOverrideKind.WORKING_DAY:
            return True
        return bool(_public_calendar(day.year).is_working_day(day))

    def can_place(self, day: date) -> bool:
        """Whether the calendar knows the year of ``day`` (the package covers 1998–2100)."""
        return FIRST_YEAR <= day.year <= LAST_YEAR

    def day_off_name(self, day: date) -> str | None:
        """Return why a weekday is not worked (holiday name, override note), or None."""
        kind = self.overrides.get(day)
        if kind == CalendarOverrideKind.HOLIDAY:
            return str(CalendarOverrideKind.HOLIDAY.label)
        if kind == CalendarOverrideKind.WORKING_DAY or day.weekday() >= 5:
            return None
        name = _public_calendar(day.year).get(day)
        return str(name) if name and not self.is_working_day(day) else None

    def is_makeup_workday(self, day: date) -> bool:
        """Whether a Saturday or Sunday is worked (補班)."""
        return day.weekday() >= 5 and self.is_working_day(day)

    def add_working_days(self, start: date, count: int) -> date:
        """Return the ``count``-th working day after ``start`` (before it when negative; 0 → start)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        day = start
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for offset in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(offset)))

    def last_working_day_of_month(self, year: int, month: int) -> date:
        day = date(year, month, pycalendar.monthrange(year, month)[1])
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def quarterly_cutoff(self, day: date) -> date:
        """Return LINE's next quarterly submission day on or after ``day``.

        New use cases go to LINE HQ on the last working day of the first month of each
        quarter (January, April, July, October).
        """
        year = day.year
        for month in QUARTER_FIRST_MONTHS:
            cutoff = self.last_working_day_of_month(year, month)
            if cutoff >= day:
                return cutoff
        return self.last_working_day_of_month(year + 1, QUARTER_FIRST_MONTHS[0])


def current_calendar() -> WorkCalendar:
    """Return the working-day calendar with today's override table (one query)."""
    from applications.models import CalendarOverride

    return WorkCalendar(dict(CalendarOverride.objects.values_list("date", "kind")))


def is_working_day(day: date, *, calendar: WorkCalendar | None = None) -> bool:
    return (calendar or current_calendar()).is_working_day(day)


def add_working_days(day: date, count: int, *, calendar: WorkCalendar | None = None) -> date:
    return (calendar or current_calendar()).add_working_days(day, count)


def working_days_between(start: date, end: date, *, calendar: WorkCalendar | None = None) -> int:
    return (calendar or current_calendar()).working_days_between(start, end)


def quarterly_cutoff(day: date, *, calendar: WorkCalendar | None = None) -> date:
    return (calendar or current_calendar()).quarterly_cutoff(day)
