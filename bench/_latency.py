"""An open-loop load generator and latency percentiles, for the send benchmark.

Open loop: request ``i`` is due at ``start + i / rate`` whatever happened to the requests
before it, as brands' systems send when their orders ship, not when the portal is ready. A
slow answer therefore shows as latency instead of lowering the offered rate (the mistake of
a closed loop, which waits for each answer before sending on).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Sent:
    """One request of the load: when it was due, when its answer came back, and the answer."""

    due: float  # epoch seconds
    answered: float  # epoch seconds
    status: int
    body: Any


def open_loop(
    requests_to_send: Sequence[Callable[[requests.Session], requests.Response]],
    *,
    per_second: float,
    threads: int = 64,
) -> list[Sent]:
    """Send each request at its due time on a pool of ``threads`` sessions; return what came back.

    Each callable gets a session of its own thread and returns the response. The clock is the
    wall clock (``time.time``), so the times compare with what other processes on this machine
    stamp (the sandbox, PostgreSQL's ``created_at``).
    """
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def run(due: float, send: Callable[[requests.Session], requests.Response]) -> Sent:
        response = send(session())
        answered = time.time()
        try:
            body = response.json()
        except ValueError:
            body = None
        return Sent(due=due, answered=answered, status=response.status_code, body=body)

    start = time.time() + 0.2
    futures = []
    with ThreadPoolExecutor(threads) as pool:
        for index, send in enumerate(requests_to_send):
            due = start + index / per_second
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            futures.append(pool.submit(run, due, send))
        return [future.result() for future in futures]


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 (nearest rank) of these milliseconds, and how many there were."""
    ordered = sorted(values_ms)
    if not ordered:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan")}

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))]

    return {"n": len(ordered), "p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99)}


def line(label: str, stats: dict[str, float]) -> str:
    """One printed row: label, count and the three percentiles."""
    return (
        f"  {label:<34} n={int(stats['n']):>6}  p50 {stats['p50']:7.1f} ms  "
        f"p95 {stats['p95']:7.1f} ms  p99 {stats['p99']:7.1f} ms"
    )
