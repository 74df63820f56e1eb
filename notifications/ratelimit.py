"""A rate limit per LINE channel and endpoint, shared by every worker on every machine.

LINE allows 2,000 requests per second per channel and endpoint. Celery's own ``rate_limit``
counts per worker process, so the bucket lives in Redis: one Lua script refills and takes a
token atomically, using Redis's clock so machines with skewed clocks agree. Without Redis
(the zero-setup default) the bucket is per process, which is enough for one local worker.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from django.conf import settings

_TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
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

    def take(self, key: str, rate: float, burst: float) -> float:
        with self.lock:
            now = time.monotonic()
            tokens, ts = self.state.get(key, (burst, now))
            tokens = min(burst, tokens + (now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self.state[key] = (tokens, now)
            return wait


_local_bucket = _LocalBucket()


def take_token(*, channel_id: str, endpoint: str) -> float:
    """Take one request token for this channel and endpoint; return seconds to wait before sending.

    A positive answer means the token is NOT taken: wait that long, then ask again.
    """
    rate, burst = _limits()
    key = f"line-rate:{channel_id}:{endpoint}"
    if settings.REDIS_URL:
        micros = int(_redis_script()(keys=[key], args=[rate, burst]))
        return micros / 1_000_000
    return _local_bucket.take(key, rate, burst)


def acquire(*, channel_id: str, endpoint: str, max_wait: float = 5.0) -> bool:
    """Block until a token is taken (True), or give up after ``max_wait`` seconds (False)."""
    deadline = time.monotonic() + max_wait
    while True:
        wait = take_token(channel_id=channel_id, endpoint=endpoint)
        if wait <= 0:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)
