"""What one item costs: PostgreSQL statements and CPU milliseconds per notification, webhook event and member row.

    .venv/bin/python bench/bench_costs.py [--items 500] [--import-rows 5000]

In one process, against a throw-away PostgreSQL database (``bench_costs``) and Redis (DBs 11
and 12, the broker and the cache), through the entry points production uses:

* accepting a notification: a single ``POST /api/v1/notifications`` (Django's test client, an
  API key), and per item of a ``POST /api/v1/notifications/batch`` of ``--items`` items;
* dispatching one PNP: the worker's ``notifications_dispatch`` service in chunks of 100 (the
  task's chunk), and one at a time; LINE is the project's sandbox (``line_sandbox``) started as
  its own process, reached over HTTP as in production;
* one LINE delivery event: a signed webhook request of 10 events through the test client
  (stored, drain enqueued), then the apply step (``webhook_events_drain``);
* one member row: ``member_import_file`` on a generated CSV of ``--import-rows`` rows.

For each: statements (``CaptureQueriesContext``), this process's CPU (``time.process_time``)
the PostgreSQL backend's CPU (from ``/proc``), rows written and transactions (this database's
``pg_stat_database``; the import's COPY goes through its own cursor, so only these count it)
and the WAL written (the server's WAL position: other databases' writes meanwhile count too,
an upper bound on a shared server), per item. Reference in the same run: a bare
``INSERT`` of one notification row through a cursor. The test client skips only the WSGI
server (gunicorn's own cost is in ``bench_webhooks.py``'s ``GET /healthz`` reference).
Absolute CPU figures move with the machine's load; the statement counts do not.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import result
from _setup import BASE_DIR, drop_database, setup_database
from bench_member_import import write_file
from bench_send import CHANNEL_ID, SECRET, TOKEN, _cpu_and_parent, free_port, phone, prepare, wait_http

DB_URL = "postgres://postgres@127.0.0.1:5432/bench_costs"
BROKER_URL = "redis://127.0.0.1:6379/11"
CACHE_URL = "redis://127.0.0.1:6379/12"
DEAD_URL = "http://127.0.0.1:9"  # the sandbox's own delivery webhooks go nowhere: this script posts its own


class Cost:
    """Statements, client CPU and PostgreSQL backend CPU of one measured block, per item."""

    def __init__(self, name: str, items: int) -> None:
        self.name, self.items = name, items
        self.statements = self.writes = 0
        self.cpu_ms = self.backend_ms = self.wall_ms = 0.0
        self.wal_bytes = self.rows_written = self.transactions = 0

    def __str__(self) -> str:
        return (
            f"{self.name:<46} {self.statements / self.items:7.2f} stmts ({self.writes / self.items:5.2f} writes) "
            f"{self.cpu_ms / self.items:7.3f} ms CPU  {self.backend_ms / self.items:6.3f} ms PostgreSQL  "
            f"{self.wall_ms / self.items:7.3f} ms wall  {self.wal_bytes / self.items:7.0f} B WAL  "
            f"{self.rows_written / self.items:6.2f} rows written  {self.transactions / self.items:6.2f} transactions"
            f"  [{self.statements} statements for {self.items} items]"
        )


WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "COPY", "WITH")


def _writes(sql: str) -> bool:
    return any(verb in sql for verb in ("INSERT ", "UPDATE ", "DELETE "))


def wal_position() -> int:
    """The cluster's WAL position in bytes (every database of the server writes to it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
        return int(cursor.fetchone()[0])


def database_counters() -> tuple[int, int]:
    """Rows written and transactions committed in this database so far (this backend's own flushed first)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed when the backend goes idle, i.e. now
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT tup_inserted + tup_updated + tup_deleted, xact_commit FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        rows, commits = cursor.fetchone()
    return int(rows), int(commits)


def backend_cpu_s() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    info = _cpu_and_parent(pid)
    return info[0] if info else 0.0


PROFILE: set[str] = set()
OVERHEAD = {"transactions": 0}


def measure(name: str, items: int, work: Callable[[], Any]) -> Cost:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if any(word in name for word in PROFILE):
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting on PostgreSQL
        inner = work

        def work() -> Any:
            profiler.enable()
            try:
                return inner()
            finally:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)

    cost = Cost(name, items)
    (rows_before, commits_before), backend_before, wal_before = database_counters(), backend_cpu_s(), wal_position()
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        cost.cpu_ms = (time.process_time() - cpu) * 1000
        cost.wall_ms = (time.perf_counter() - wall) * 1000
    cost.backend_ms = (backend_cpu_s() - backend_before) * 1000
    cost.wal_bytes = wal_position() - wal_before
    rows_after, commits_after = database_counters()
    cost.rows_written = rows_after - rows_before
    cost.transactions = commits_after - commits_before - OVERHEAD["transactions"]  # less the measuring's own
    # a prepared statement is logged without its text: the dispatch's one, the mark-sending UPDATE
    sql = [(q["sql"] or "UPDATE (prepared)").lstrip().upper() for q in queries.captured_queries]
    cost.statements = len(sql)
    cost.writes = sum(1 for s in sql if s.startswith(WRITE_VERBS) and (not s.startswith("WITH") or _writes(s)))
    print(cost, flush=True)
    return cost


def reference_insert(brand_id: int, version_id: int, member_ids: list[int]) -> None:
    """The floor of a write: one notification row, one INSERT, no ORM, no transaction of its own."""
    from django.db import connection

    with connection.cursor() as cursor:
        for member_id in member_ids:
            cursor.execute(
                """
                INSERT INTO notifications_notification (
                    brand_id, member_id, template_version_id, template_code, variables, occurred_at,
                    reservation_key, line_messages, sms_text, channel_plan, status, channel, final_reason,
                    final_reason_code, final_reason_params,
                    created_at, updated_at, delivered_channel, delivered_twice, submitted_by)
                VALUES (%s, %s, %s, 'shipping_notice', '{}', now(), '', '[]', '', '["pnp"]', 'queued',
                        'pnp', '', '', '{}', now(), now(), '', false, 'bench-reference')
                """,
                [brand_id, member_id, version_id],
            )


def item(n: int) -> dict[str, Any]:
    return {
        "template": "shipping_notice",
        "member": f"B{n:07d}",
        "variables": {"order_id": f"A{n}", "event_time": "2026-11-25 10:00"},
    }


def signed_body(tags: list[str]) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "destination": "U" + "0" * 32,
            "events": [
                {
                    "type": "delivery",
                    "delivery": {"data": tag},
                    "webhookEventId": uuid.uuid4().hex[:26].upper(),
                    "deliveryContext": {"isRedelivery": False},
                    "timestamp": int(time.time() * 1000),
                    "mode": "active",
                }
                for tag in tags
            ],
        },
        separators=(",", ":"),
    ).encode()
    return body, base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=500, help="items per measured operation")
    parser.add_argument("--single", type=int, default=200, help="single API POSTs (each is a whole request)")
    parser.add_argument("--import-rows", type=int, default=5000, help="rows of the generated member CSV")
    parser.add_argument(
        "--profile", action="append", default=[], metavar="WORDS", help="print a profile of the operations so named"
    )
    options = parser.parse_args()
    n = options.items
    PROFILE.update(options.profile)

    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "CELERY_BROKER_URL": BROKER_URL,
            "REDIS_URL": CACHE_URL,
            "DEBUG": "0",
            "SECRET_KEY": f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LINE_RATE_LIMIT_PER_SECOND": "1000000",
            "CONN_MAX_AGE": "600",
        }
    )
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    os.environ["LINE_API_BASE_URL"] = sandbox_url
    setup_database(DB_URL)
    sandbox: subprocess.Popen[bytes] | None = None
    folder = Path(tempfile.mkdtemp(prefix="bench_costs_"))
    try:
        import redis
        from django.test import Client

        from compliance.models import TemplateVersion
        from members.models import Member
        from members.services import member_import_file
        from notifications.models import Attempt, Notification
        from notifications.services import notifications_dispatch, webhook_events_drain
        from portal.models import Brand

        broker, cache = redis.Redis.from_url(BROKER_URL), redis.Redis.from_url(CACHE_URL)
        broker.flushdb()
        cache.flushdb()
        members = 3 * n + 200
        print(f"preparing {members} members…", flush=True)
        key, slug = prepare(members, 0)
        brand = Brand.objects.get(slug=slug)
        # The shipping notice every timed send uses (prepare also approves a sign-up OTP template).
        version_id = TemplateVersion.objects.get(template__brand=brand, template__code="shipping_notice").pk

        world = {
            "channels": [
                {"channel_id": CHANNEL_ID, "channel_secret": SECRET, "access_token": TOKEN, "webhook_url": DEAD_URL}
            ],
            "users": [{"phone": phone(i), "consent": "on", "sms_verified_days_ago": 10} for i in range(members)],
        }
        (folder / "world.json").write_text(json.dumps(world))
        sandbox = subprocess.Popen(
            [
                *(sys.executable, "-m", "line_sandbox", "--port", str(sandbox_port)),
                *("--world", str(folder / "world.json"), "--rate-limit", "1000000", "--webhook-retries", "0"),
                *("--portal-url", DEAD_URL),
            ],
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=(folder / "sandbox.log").open("wb"),
        )
        wait_http(f"{sandbox_url}/sandbox/clock", sandbox)

        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        # warm-up: the first request loads URLconfs, serializers and the brand's caches
        client.post(
            "/api/v1/notifications",
            item(members - 1),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

        costs: dict[str, Cost] = {}
        OVERHEAD["transactions"] = measure("(the measuring itself, nothing measured)", 1, lambda: None).transactions
        member_ids = list(Member.objects.filter(brand=brand).order_by("id").values_list("id", flat=True))
        costs["reference"] = measure(
            "reference: bare INSERT of one notification row",
            n,
            lambda: reference_insert(brand.pk, version_id, member_ids[:n]),
        )
        Notification.objects.filter(submitted_by="bench-reference").delete()

        def single() -> None:
            for i in range(options.single):
                response = client.post(
                    "/api/v1/notifications",
                    item(i),
                    content_type="application/json",
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                assert response.status_code == 202, response.content[:300]

        costs["accept_single"] = measure("accept: single API POST", options.single, single)

        def batch() -> None:
            items = [{**item(i), "idempotency_key": str(uuid.uuid4())} for i in range(n, 2 * n)]  # other members
            response = client.post(
                "/api/v1/notifications/batch", {"notifications": items}, content_type="application/json"
            )
            assert response.status_code == 200 and response.json()["refused"] == 0, response.content[:300]

        costs["accept_batch"] = measure(f"accept: per item of a batch POST of {n}", n, batch)

        queued = list(Notification.objects.filter(status="queued").order_by("id").values_list("id", flat=True))
        chunked, singles = queued[:n], queued[n : n + 100]

        def dispatch_chunks() -> None:
            for start in range(0, len(chunked), 100):
                assert not notifications_dispatch(notification_ids=chunked[start : start + 100])

        costs["dispatch"] = measure("dispatch: one PNP, in chunks of 100", len(chunked), dispatch_chunks)

        def dispatch_one() -> None:
            for notification_id in singles:
                assert not notifications_dispatch(notification_ids=[notification_id])

        costs["dispatch_one"] = measure("dispatch: one PNP, a task of its own", len(singles), dispatch_one)
        sent = Attempt.objects.filter(status="accepted").count()
        print(f"    PNPs LINE accepted: {sent} of {len(chunked) + len(singles)}")

        tags = list(Attempt.objects.filter(status="accepted").order_by("id").values_list("reference", flat=True)[:n])
        bodies = [signed_body(tags[i : i + 10]) for i in range(0, len(tags), 10)]
        webhook = Client()

        def receive() -> None:
            for body, signature in bodies:
                response = webhook.post(
                    f"/webhooks/line/{slug}",
                    body,
                    content_type="application/json",
                    headers={"x-line-signature": signature},
                )
                assert response.status_code == 200, response.content[:300]

        costs["webhook_receive"] = measure("webhook: receive, per event (10 per request)", len(tags), receive)
        costs["webhook_apply"] = measure("webhook: apply one delivery event", len(tags), webhook_events_drain)
        delivered = Notification.objects.filter(status="delivered").count()
        print(f"    notifications delivered: {delivered} of {len(tags)} events")

        csv_path = folder / "members.csv"
        bad = write_file(csv_path, options.import_rows)
        imported: list[Any] = []
        costs["import"] = measure(
            f"import: one member row (file of {options.import_rows:,})",
            options.import_rows,
            lambda: imported.append(member_import_file(brand=brand, path=csv_path, actor="bench", processes=1)),
        )
        print(f"    {imported[0].summary()}; {bad} bad rows in the file")

        reference = costs["reference"]
        print("\nper item, ours / reference (a bare one-row INSERT through a cursor):")
        for name, cost in costs.items():
            if name == "reference":
                continue
            statements = cost.statements / cost.items
            cpu = cost.cpu_ms / cost.items
            ratio = cpu / (reference.cpu_ms / reference.items)
            print(f"  {cost.name:<46} statements {statements:6.2f} / 1   CPU ×{ratio:6.1f}")
            result(
                bench="costs",
                figure=f"{cost.name}: CPU per item",
                ours=cpu,
                unit="ms",
                reference=reference.cpu_ms / reference.items,
                reference_label="bare one-row INSERT via cursor",
                ratio=(reference.cpu_ms / reference.items) / cpu if cpu else None,
                target="measured for docs/capacity.md",
                met=True,
            )
            result(
                bench="costs",
                figure=f"{cost.name}: PostgreSQL statements per item",
                ours=statements,
                unit="statements",
                reference=1.0,
                reference_label="bare one-row INSERT via cursor",
                ratio=1.0 / statements if statements else None,
                target="measured for docs/capacity.md",
                met=True,
            )
        print(f"broker messages left queued (dispatch and drain tasks, nobody consumes here): {broker.dbsize()} keys")
        print("CPU figures are from this machine under its current load; statement counts do not depend on it.")
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            import redis

            redis.Redis.from_url(BROKER_URL).flushdb()
            redis.Redis.from_url(CACHE_URL).flushdb()
        finally:
            drop_database(DB_URL)


if __name__ == "__main__":
    main()
