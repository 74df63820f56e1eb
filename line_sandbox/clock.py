"""Simulated time: LINE time runs `time_factor` times faster than wall time and can jump ahead."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
JST_OFFSET = 9 * 3600
DAY = 86400


class SimClock:
    """Return simulated epoch seconds; advance or set them on demand."""

    def __init__(self, time_factor: float = 1.0, start: float | None = None) -> None:
        self.time_factor = float(time_factor)
        self._wall0 = time.monotonic()
        self._sim0 = time.time() if start is None else float(start)

    def now(self) -> float:
        return self._sim0 + (time.monotonic() - self._wall0) * self.time_factor

    def advance(self, seconds: float) -> float:
        self._sim0 += float(seconds)
        return self.now()

    def set(self, now: float | None = None, time_factor: float | None = None) -> float:
        current = self.now() if now is None else float(now)
        self._wall0 = time.monotonic()
        self._sim0 = current
        if time_factor is not None:
            self.time_factor = float(time_factor)
        return current

    def wall_seconds(self, sim_seconds: float) -> float:
        """Return how long `sim_seconds` of simulated time take in wall time (inf when frozen)."""
        if self.time_factor <= 0:
            return float("inf")
        return sim_seconds / self.time_factor

    def as_dict(self) -> dict:
        now = self.now()
        return {
            "now": iso(now),
            "now_ms": int(now * 1000),
            "now_jst": datetime.fromtimestamp(now, JST).isoformat(timespec="milliseconds"),
            "jst_date": jst_day_string(now),
            "time_factor": self.time_factor,
        }


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jst_day_index(ts: float) -> int:
    """Return the number of JST calendar days since 1970-01-01 (JST) for epoch seconds `ts`."""
    return int((ts + JST_OFFSET) // DAY)


def jst_day_string(ts: float) -> str:
    return datetime.fromtimestamp(ts, JST).strftime("%Y%m%d")


def parse_time(value: str | float) -> float:
    """Parse an ISO 8601 timestamp (naive means UTC) or epoch milliseconds into epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value) / 1000.0
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
