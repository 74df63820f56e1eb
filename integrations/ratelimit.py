"""A rate limit per LINE channel and endpoint, shared by every worker on every machine.

LINE allows 2,000 requests per second per channel and endpoint. Celery's own ``rate_limit``
counts per worker process, so the bucket lives in Redis: one Lua script refills and takes a
token atomically, using Redis's clock so machines with skewed clocks agree. Without Redis
(the zero-setup default) the bucket is per process, which is enough for one local worker.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from functools import lru_cache

from django.conf import settings

_TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
local wait = 0
if tokens >= n then
  tokens = tokens - n
else
  wait = math.ceil((n - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
"""


def _limits() -> tuple[float, float]:
    """Return (tokens per second, burst) a little under LINE's limit, so no calendar second exceeds it."""
    limit = float(settings.LINE_RATE_LIMIT_PER_SECOND)
    return limit * 0.9, max(1.0, limit * 0.05)


@lru_cache(maxsize=1)
def _redis_script():  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.register_script(_TOKEN_BUCKET)


class _LocalBucket:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: float, n: int) -> float:
        with self.lock:
            now = time.monotonic()
            tokens, ts = self.state.get(key, (burst, now))
            tokens = min(burst, tokens + (now - ts) * rate)
            wait = 0.0
            if tokens >= n:
                tokens -= n
            else:
                wait = (n - tokens) / rate
            self.state[key] = (tokens, now)
            return wait


_local_bucket = _LocalBucket()


def ahead_limit() -> int:
    """How many tokens a worker may take ahead at once: 1 % of the limit (at least one)."""
    return max(1, int(settings.LINE_RATE_LIMIT_PER_SECOND) // 100)


class RateLimitUnavailable(Exception):
    """The shared bucket (Redis) could not be asked: no token was taken, so nothing may be sent."""


def take_token(*, channel_id: str, endpoint: str, n: int = 1) -> float:
    """Take ``n`` request tokens for this channel and endpoint; return seconds to wait before sending.

    A positive answer means the tokens are NOT taken: wait that long, then ask again. Raises
    :class:`RateLimitUnavailable` when Redis does not answer.
    """
    rate, burst = _limits()
    n = max(1, min(n, int(burst)))
    key = f"line-rate:{channel_id}:{endpoint}"
    if settings.REDIS_URL:
        import redis

        try:
            micros = int(_redis_script()(keys=[key], args=[rate, burst, n]))
        except (redis.RedisError, OSError) as exc:
            raise RateLimitUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return micros / 1_000_000
    return _local_bucket.take(key, rate, burst, n)


def acquire(*, channel_id: str, endpoint: str, max_wait: float = 5.0, n: int = 1) -> bool:
    """Block until ``n`` tokens are taken (True), or give up after ``max_wait`` seconds (False)."""
    deadline = time.monotonic() + max_wait
    while True:
        wait = take_token(channel_id=channel_id, endpoint=endpoint, n=n)
        if wait <= 0:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)


# How long tokens taken ahead stay good. Whatever the number of workers, what LINE sees in a
# calendar second was then granted within that second or the 50 ms before it: at most
# burst + rate × 1.05 = 5 % + 94.5 % of the limit.
HELD_FOR = 0.05


class Allowance:
    """Tokens a worker takes ahead for the requests it is about to send in a row.

    One round trip to Redis per :func:`ahead_limit` requests instead of one per request.
    Tokens not spent within :data:`HELD_FOR` (a slow answer from LINE) or by the end of the
    batch are dropped, never given back or carried over.
    """

    def __init__(self, wanted: Counter[tuple[str, str]]) -> None:
        self.wanted = wanted  # (channel id, endpoint) → requests still to send in this batch
        self.held: Counter[tuple[str, str]] = Counter()
        self.taken_at: dict[tuple[str, str], float] = {}

    def acquire(self, *, channel_id: str, endpoint: str, max_wait: float) -> bool:
        """Spend one token, taking a few ahead when none is held; False if the wait would be too long."""
        key = (channel_id, endpoint)
        if self.held[key] > 0 and time.monotonic() - self.taken_at[key] > HELD_FOR:
            self.held[key] = 0
        if self.held[key] <= 0:
            n = max(1, min(self.wanted[key], ahead_limit()))
            if not acquire(channel_id=channel_id, endpoint=endpoint, max_wait=max_wait, n=n):
                return False
            self.held[key], self.taken_at[key] = n, time.monotonic()
        self.held[key] -= 1
        self.wanted[key] -= 1
        return True
