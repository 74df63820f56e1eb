import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from notifications import ratelimit
from tests.conftest import port_open, require


def _count_tokens_taken(seconds: float, channel_id: str) -> int:
    taken = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ratelimit.take_token(channel_id=channel_id, endpoint="pnp") <= 0:
            taken += 1
    return taken


def test_the_local_bucket_never_grants_more_than_the_limit_in_a_second(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 200  # type: ignore[attr-defined]
    taken = _count_tokens_taken(1.0, "local-test")
    assert 150 <= taken <= 200


def test_the_redis_bucket_is_shared_by_concurrent_takers(settings: object) -> None:
    require(bool(settings.REDIS_URL) and port_open("127.0.0.1", 6379), "Redis (REDIS_URL)")  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 300  # type: ignore[attr-defined]
    channel = f"shared-{time.time_ns()}"
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: _count_tokens_taken(1.0, channel), range(4)))
    # four takers together get what one limit allows, not four times it
    assert 180 <= sum(counts) <= 300, counts


@pytest.mark.parametrize("limit", [10, 2000])
def test_the_limiter_stays_under_the_configured_limit(limit: int, settings: object) -> None:
    settings.LINE_RATE_LIMIT_PER_SECOND = limit  # type: ignore[attr-defined]
    rate, burst = ratelimit._limits()
    assert rate + burst <= limit
