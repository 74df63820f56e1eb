"""Calendar arithmetic: Taiwan months (UTC+8) against LINE's JST days (UTC+9), all in UTC hours.

A Taiwan month runs from 00:00 Taiwan time on day 1 to 00:00 on day 1 of the next month,
which is 01:00 JST to 01:00 JST: LINE's JST days 1…N of the month therefore miss the last
Taiwan hour of the month (23:00–24:00 on the last day, already the next JST day) and include
the last Taiwan hour of the previous month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TAIWAN = ZoneInfo("Asia/Taipei")
JST = ZoneInfo("Asia/Tokyo")


def month_start(day: date) -> date:
    """Return the first day of the month ``day`` is in."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """Return the first day of the month after ``month``."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    """Return the first day of the month before ``month``."""
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days(first: date, last: date) -> Iterator[date]:
    """Yield every date from ``first`` to ``last`` inclusive."""
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


def day_start_utc(day: date, zone: ZoneInfo) -> datetime:
    """Return the UTC instant a calendar day starts in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def range_utc(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return ``[start, end)`` in UTC covering the calendar days ``first``…``last`` in ``zone``."""
    return day_start_utc(first, zone), day_start_utc(last + timedelta(days=1), zone)


def parse_month(value: str) -> date:
    """Parse ``YYYY-MM`` into the month's first day; raise ``ValueError`` with the expected shape."""
    try:
        parsed = datetime.strptime(value.strip(), "%Y-%m")
    except ValueError:
        raise ValueError(f"{value!r} is not a month: write it as YYYY-MM, e.g. 2026-01") from None
    return parsed.date().replace(day=1)


def jst_today(now: datetime) -> date:
    return now.astimezone(JST).date()
