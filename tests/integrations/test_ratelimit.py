import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from integrations import ratelimit
from tests.conftest import redis_available, require


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
    require(redis_available(), "Redis (REDIS_URL)")
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


def test_several_tokens_are_taken_at_once_or_not_at_all(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 2000  # type: ignore[attr-defined]  # burst 100
    channel = f"n-{time.time_ns()}"
    assert ratelimit.take_token(channel_id=channel, endpoint="pnp", n=60) <= 0
    assert ratelimit.take_token(channel_id=channel, endpoint="pnp", n=60) > 0  # 40 left: none taken
    assert ratelimit.take_token(channel_id=channel, endpoint="pnp", n=35) <= 0


def test_an_allowance_takes_a_few_tokens_ahead_and_spends_them_one_by_one(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 2000  # type: ignore[attr-defined]  # 20 ahead, burst 100
    channel = f"ahead-{time.time_ns()}"
    allowance = ratelimit.Allowance(Counter({(channel, "pnp"): 50}))
    for _ in range(3):
        assert allowance.acquire(channel_id=channel, endpoint="pnp", max_wait=0)
    assert allowance.held[(channel, "pnp")] == 17
    # the bucket gave 20 of its 100: 80 remain, not 81
    assert ratelimit.take_token(channel_id=channel, endpoint="pnp", n=80) <= 0
    assert ratelimit.take_token(channel_id=channel, endpoint="pnp", n=5) > 0


def test_tokens_held_too_long_are_dropped(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 2000  # type: ignore[attr-defined]
    channel = f"stale-{time.time_ns()}"
    allowance = ratelimit.Allowance(Counter({(channel, "pnp"): 50}))
    assert allowance.acquire(channel_id=channel, endpoint="pnp", max_wait=1)
    assert allowance.held[(channel, "pnp")] == 19
    time.sleep(ratelimit.HELD_FOR * 1.5)  # LINE was slow to answer the last request
    assert allowance.acquire(channel_id=channel, endpoint="pnp", max_wait=1)
    assert allowance.held[(channel, "pnp")] == 19  # the 19 old ones dropped, 20 new taken, one spent


@pytest.mark.parametrize("workers", [4, 24])
def test_workers_taking_ahead_stay_under_the_limit_in_every_second(workers: int, settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.LINE_RATE_LIMIT_PER_SECOND = 500  # type: ignore[attr-defined]  # 5 ahead per worker
    channel = f"seconds-{workers}-{time.time_ns()}"
    spent: list[float] = []

    def worker(n: int) -> None:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            allowance = ratelimit.Allowance(Counter({(channel, "pnp"): 25}))  # one dispatch batch
            for request in range(25):
                if allowance.acquire(channel_id=channel, endpoint="pnp", max_wait=2.0):
                    spent.append(time.time())
                if (n + request) % 7 == 0:
                    time.sleep(0.03)  # now and then LINE answers slowly while tokens are held

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    per_second = Counter(int(at) for at in spent)
    full_seconds = sorted(per_second)[1:-1]  # the first and last seconds are partial
    assert full_seconds and all(per_second[s] <= 500 for s in full_seconds), per_second
    assert max(per_second.values()) >= 400, per_second  # and the limit is actually used
