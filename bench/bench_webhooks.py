"""Webhook ingestion over HTTP: signed LINE delivery events, durably stored before the 200.

    .venv/bin/python bench/bench_webhooks.py [--requests 3000] [--web-workers 2] [--clients 2]

Runs gunicorn against a throw-away PostgreSQL database (``bench_webhooks``) and Redis, and
posts pre-signed bodies from ``--clients`` processes:

* 10 events per request (target ≥ 2,000 events/s) and 1 event per request (target ≥ 300 req/s);
* reference, in the same run and through the same server: ``GET /healthz``, the cost of the
  HTTP stack alone (what no view can beat here);
* then checks that every event was stored exactly once (a replay of every body adds nothing);
* latency, receipt → applied: with a real Celery worker (no beat, so no timer helps), single-event
  requests at a steady ``--latency-rate`` per second; p50 / p99 of ``processed_at − received_at``.
  Reference in the same run: one stored event applied by the drain in-process (the work alone,
  with no queue, broker or worker in between).

Bounded by --requests; stops the server and drops the database.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import result
from _setup import BASE_DIR, drop_database, setup_database

DB_URL = "postgres://postgres@127.0.0.1:5432/bench_webhooks"
SECRET = "bench-webhook-secret"


def signed_body(events: int) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "destination": "U" + "0" * 32,
            "events": [
                {
                    "type": "delivery",
                    "delivery": {"data": f"tag-{uuid.uuid4().hex}"},
                    "webhookEventId": uuid.uuid4().hex[:26].upper(),
                    "deliveryContext": {"isRedelivery": False},
                    "timestamp": int(time.time() * 1000),
                    "mode": "active",
                }
                for _ in range(events)
            ],
        },
        separators=(",", ":"),
    ).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, signature


def _post_all(args: tuple[str, list[tuple[bytes, str]]]) -> int:
    url, bodies = args
    session = requests.Session()
    for body, signature in bodies:
        response = session.post(
            url, data=body, timeout=30, headers={"Content-Type": "application/json", "x-line-signature": signature}
        )
        response.raise_for_status()
    return len(bodies)


def _get_all(args: tuple[str, int]) -> int:
    url, count = args
    session = requests.Session()
    for _ in range(count):
        session.get(url, timeout=30).raise_for_status()
    return count


def run(pool: multiprocessing.pool.Pool, function: object, jobs: list[object]) -> tuple[int, float]:
    started = time.perf_counter()
    done = sum(pool.map(function, jobs))  # type: ignore[arg-type]
    return done, time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def receipt_to_applied(url: str, count: int, rate: float) -> tuple[float, float, int]:
    """Post ``count`` single-event requests at ``rate`` per second; return p50, p99 (s) and the unapplied."""
    from notifications.models import WebhookEvent

    session = requests.Session()
    headers = {"Content-Type": "application/json"}
    # the worker has just started: wait until it applies a first event, so its boot is not measured
    WebhookEvent.objects.all().delete()
    body, signature = signed_body(1)
    session.post(url, data=body, timeout=30, headers={**headers, "x-line-signature": signature}).raise_for_status()
    deadline = time.monotonic() + 60
    while not WebhookEvent.objects.filter(processed_at__isnull=False).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    WebhookEvent.objects.all().delete()
    start = time.perf_counter()
    for n, (body, signature) in enumerate(signed_body(1) for _ in range(count)):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        session.post(url, data=body, timeout=30, headers={**headers, "x-line-signature": signature}).raise_for_status()
    deadline = time.monotonic() + 30
    while WebhookEvent.objects.filter(processed_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = WebhookEvent.objects.filter(processed_at__isnull=False).values_list("received_at", "processed_at")
    waits = [(done - received).total_seconds() for received, done in rows if done is not None]
    late = WebhookEvent.objects.filter(processed_at__isnull=True).count()
    return _percentile(waits, 0.5), _percentile(waits, 0.99), late


def drain_floor(url: str, rounds: int = 50) -> float:
    """The median time the drain itself takes to apply one stored event (no broker, no worker)."""
    from notifications.models import WebhookEvent
    from notifications.services import webhook_events_drain

    times = []
    brand_id = WebhookEvent.objects.values_list("brand_id", flat=True).first()
    assert brand_id is not None
    for n in range(rounds):
        WebhookEvent.objects.create(
            brand_id=brand_id,
            event_id=f"FLOOR{n:021d}",
            event_type="delivery",
            occurred_at=datetime.now(tz=UTC),
            payload={"type": "delivery", "delivery": {"data": f"floor-{n}"}},
        )
        started = time.perf_counter()
        webhook_events_drain()
        times.append(time.perf_counter() - started)
    return _percentile(times, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--latency-requests", type=int, default=400)
    parser.add_argument("--latency-rate", type=float, default=100.0)
    options = parser.parse_args()
    os.environ.update(
        {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/7", "REDIS_URL": "redis://127.0.0.1:6379/8", "DEBUG": "1"}
    )
    setup_database(DB_URL)
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    try:
        import redis

        from notifications.models import WebhookEvent
        from portal.services import brand_create_or_update

        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
        brand, _ = brand_create_or_update(
            slug="bench", channel_id="1659990002", channel_secret=SECRET, access_token="t", actor="bench"
        )
        port = 18000 + os.getpid() % 1000
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(options.web_workers),
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "DATABASE_URL": DB_URL, "CONN_MAX_AGE": "600"},
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=10)  # the first request loads the application
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        url = f"{base}/webhooks/line/{brand.slug}"
        clients = options.clients
        per = options.requests // clients

        with multiprocessing.Pool(clients) as pool:
            pool.map(_get_all, [(f"{base}/healthz", 50)] * clients)  # warm up every server worker
            ten = [[signed_body(10) for _ in range(per // 2)] for _ in range(clients)]
            one = [[signed_body(1) for _ in range(per)] for _ in range(clients)]
            reference_done, reference_time = run(pool, _get_all, [(f"{base}/healthz", per)] * clients)
            ten_done, ten_time = run(pool, _post_all, [(url, bodies) for bodies in ten])
            one_done, one_time = run(pool, _post_all, [(url, bodies) for bodies in one])
            stored = WebhookEvent.objects.count()
            run(pool, _post_all, [(url, bodies) for bodies in ten + one])  # every body again
            after_replay = WebhookEvent.objects.count()

        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel=WARNING"),
                *("--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=BASE_DIR,
            env={**os.environ, "DATABASE_URL": DB_URL},
        )
        latency = receipt_to_applied(url, options.latency_requests, options.latency_rate)
        floor = drain_floor(url)

        reference = reference_done / reference_time
        events_expected = ten_done * 10 + one_done
        print(
            f"10 events/request: {ten_done / ten_time:7.0f} req/s = {ten_done * 10 / ten_time:7.0f} events/s "
            f"(target ≥ 2,000 events/s)"
        )
        print(f" 1 event/request:  {one_done / one_time:7.0f} req/s (target ≥ 300 req/s)")
        print(f"reference GET /healthz through the same server: {reference:7.0f} req/s")
        print(f"ratio, 1-event webhook / bare request: {one_done / one_time / reference:.2f}")
        print(f"stored {stored} of {events_expected} events; after replaying every body: {after_replay}")
        p50, p99, late = latency
        print(
            f"receipt → applied at {options.latency_rate:.0f} req/s: p50 {p50 * 1000:6.0f} ms, "
            f"p99 {p99 * 1000:6.0f} ms (target p99 < 1,000 ms); {late} left unapplied"
        )
        print(f"reference, one stored event applied by the drain in-process: p50 {floor * 1000:6.1f} ms")
        print(f"ratio, p50 receipt → applied / drain alone: {p50 / floor:.1f}")
        result(
            bench="webhooks",
            figure="webhook events, 10 per request",
            ours=ten_done * 10 / ten_time,
            unit="events/s",
            reference=reference * 10,
            reference_label="GET /healthz through the same server (×10 events)",
            ratio=ten_done * 10 / ten_time / (reference * 10),
            target="≥ 2,000 events/s",
            met=ten_done * 10 / ten_time >= 2000,
        )
        result(
            bench="webhooks",
            figure="webhook requests, 1 event each",
            ours=one_done / one_time,
            unit="req/s",
            reference=reference,
            reference_label="GET /healthz through the same server",
            ratio=one_done / one_time / reference,
            target="≥ 300 req/s",
            met=one_done / one_time >= 300,
        )
        result(
            bench="webhooks",
            figure=f"receipt → applied p99 at {options.latency_rate:.0f} req/s",
            ours=p99 * 1000,
            unit="ms",
            reference=floor * 1000,
            reference_label="one stored event applied by the drain in-process (p50)",
            ratio=floor / p99 if p99 else None,
            target="p99 < 1,000 ms, none left unapplied",
            met=p99 < 1.0 and late == 0,
        )
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        if web is not None:
            web.send_signal(signal.SIGTERM)
            web.wait(20)
        drop_database(DB_URL)


if __name__ == "__main__":
    main()
