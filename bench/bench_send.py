"""End-to-end send rate: API acceptance → Celery worker → the request reaching the LINE sandbox.

    .venv/bin/python bench/bench_send.py [--notifications 10000] [--batch 500] [--workers 4]

Runs on PostgreSQL (a throw-away ``bench_send`` database), Redis (DBs 5 and 6), the LINE
sandbox, gunicorn and real Celery workers, all on this machine. Prints:

* ours: notifications per second from the first API call to the last PNP request the sandbox
  received (sustained over the whole run), and the same for the acceptance alone;
* reference: a bare pool of ``requests`` sessions (one per core) sending PNPs straight to the
  same sandbox in the same run — what this machine can push at all;
* the ratio, and the highest per-second PNP rate the sandbox saw for the channel against the
  shared rate limit (which it must never exceed);
* where the CPU went, in milliseconds per notification: Celery workers, web, sandbox and the
  PostgreSQL backends (with two cores busy, the rate is two seconds divided by that total).
* latency, phase by phase (``--latency 50x1,250x25,500x50``: notifications/s x per
  request, each for ``--latency-seconds``): an open-loop load of shipping notices by PNP with
  one sign-up code by SMS in ``--sms-every``; p50/p95/p99 from acceptance (the notification's
  ``created_at``) and from each request's due time to the sandbox's record of the PNP or SMS
  request, beside the bare pool's own p99 at the same rate (target: p99 < 300 ms at 500/s).

Bounded by --notifications and --max-seconds; stops every process and drops the database.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _latency import Sent, line, open_loop, percentiles
from _results import result
from _setup import BASE_DIR, drop_database, setup_database

DB_URL = "postgres://postgres@127.0.0.1:5432/bench_send"
BROKER_URL = "redis://127.0.0.1:6379/5"
CACHE_URL = "redis://127.0.0.1:6379/6"
CHANNEL_ID = "1659990001"
TOKEN = "bench-access-token"
SECRET = "bench-channel-secret"
SMS_KEY = "sandbox-sms-key"  # the sandbox's JSON SMS API credential (its default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def phone(n: int) -> str:
    return f"+8869{n:08d}"


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def _reference_worker(args: tuple[str, int, int]) -> int:
    url, start, count = args
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for n in range(start, start + count):
        body = json.dumps(
            {
                "to": hashlib.sha256(phone(n).encode()).hexdigest(),
                "messages": [{"type": "text", "text": "您的訂單已出貨 Your order shipped"}],
            }
        )
        response = session.post(
            f"{url}/bot/pnp/push",
            data=body,
            headers={**headers, "X-Line-Delivery-Tag": f"ref-{uuid.uuid4().hex}"},
            timeout=10,
        )
        response.raise_for_status()
    return count


def reference_rate(sandbox_url: str, total: int, processes: int) -> float:
    per = total // processes
    started = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        done = sum(pool.map(_reference_worker, [(sandbox_url, i * per, per) for i in range(processes)]))
    return done / (time.perf_counter() - started)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_and_parent(pid: int) -> tuple[float, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[1])


def cpu_by_group(roots: dict[str, int], postgres_pids: set[int]) -> dict[str, float]:
    """CPU seconds used so far by each process tree in ``roots`` and by the PostgreSQL backends."""
    processes = {int(p): _cpu_and_parent(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    children: dict[int, list[int]] = {}
    for pid, info in processes.items():
        if info is not None:
            children.setdefault(info[1], []).append(pid)
    totals: dict[str, float] = {}
    for name, root in roots.items():
        stack, total = [root], 0.0
        while stack:
            pid = stack.pop()
            info = processes.get(pid)
            if info is not None:
                total += info[0]
                stack.extend(children.get(pid, []))
        totals[name] = total
    totals["PostgreSQL"] = sum(info[0] for pid in postgres_pids if (info := processes.get(pid)) is not None)
    return totals


def postgres_backends() -> set[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


def submit(web_url: str, key: str, numbers: list[int]) -> None:
    items = [
        {
            "idempotency_key": str(uuid.uuid4()),
            "template": "shipping_notice",
            "member": f"B{n:07d}",
            "variables": {"order_id": f"A{n}", "event_time": "2026-11-25 10:00"},
        }
        for n in numbers
    ]
    response = requests.post(
        f"{web_url}/api/v1/notifications/batch",
        json={"notifications": items},
        headers={"Authorization": f"Bearer {key}"},
        timeout=300,
    )
    response.raise_for_status()
    assert response.json()["refused"] == 0, response.json()["results"][:3]


def prepare(count: int, history: int) -> tuple[str, str]:
    """Create the brand, an approved template, ``count`` members with PNP consent and their history.

    Returns the API key and the brand slug.
    """
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from compliance.models import BrandLinkDomain
    from compliance.services import (
        template_approve,
        template_create,
        template_record_rule_result,
        template_start_review,
        template_submit,
    )
    from members.choices import ConsentPurpose, ConsentSource, PhoneType
    from members.models import Consent, Member
    from portal.choices import Role
    from portal.services import api_key_create, brand_create_or_update

    brand, _ = brand_create_or_update(
        slug="bench", name="Bench", channel_id=CHANNEL_ID, channel_secret=SECRET, access_token=TOKEN, actor="bench"
    )
    author = User.objects.create_user("bench-author", is_staff=True)
    author.groups.add(Group.objects.get(name=str(Role.ACCOUNT_MANAGER)))
    brand.account_managers.add(author)
    reviewer = User.objects.create_user("bench-reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=str(Role.COMPLIANCE_REVIEWER)))
    BrandLinkDomain.objects.create(brand=brand, domain="bench.example")
    template = template_create(
        brand=brand,
        code="shipping_notice",
        name="Shipping notice",
        use_case="delivery_notice",
        author=author,
        text="您的訂單 {order_id} 已於 {event_time} 出貨。\nYour order {order_id} shipped at {event_time}.",
        variables=[
            {"name": "order_id", "type": "text", "max_length": 20, "sample": "A1"},
            {"name": "event_time", "type": "datetime", "sample": "2026-01-01 10:00"},
        ],
        channels=["pnp"],
        urgency="a_day",
    )
    version = template_submit(version=template.versions.get(), actor=author)
    version = template_start_review(version=version, reviewer=reviewer)
    for rule_result in version.rule_results.filter(passed__isnull=True):
        template_record_rule_result(version=version, reviewer=reviewer, rule_code=rule_result.rule_code, passed=True)
    template_approve(version=version, reviewer=reviewer, comment="bench")
    # A sign-up code goes by SMS: too urgent for PNP (the latency phases send some of these).
    otp = template_create(
        brand=brand,
        code="signup_code",
        name="Sign-up code",
        use_case="signup_otp",
        author=author,
        text="您的註冊驗證碼為 {code}，10 分鐘內有效。Your sign-up code is {code}.",
        sms_text="您的註冊驗證碼為 {code}，10 分鐘內有效。",
        variables=[{"name": "code", "type": "code", "max_length": 8, "sample": "123456"}],
        channels=["sms"],
        urgency="five_minutes",
    )
    otp_version = template_submit(version=otp.versions.get(), actor=author)
    otp_version = template_start_review(version=otp_version, reviewer=reviewer)
    for rule_result in otp_version.rule_results.filter(passed__isnull=True):
        template_record_rule_result(
            version=otp_version, reviewer=reviewer, rule_code=rule_result.rule_code, passed=True
        )
    template_approve(version=otp_version, reviewer=reviewer, comment="bench")
    from notifications.services.accounts import sms_account_create_or_update

    sms_account_create_or_update(brand=brand, actor="bench", vendor="sandbox", username="bench", password=SMS_KEY)

    now = timezone.now()
    members = [
        Member(
            brand=brand,
            external_id=f"B{n:07d}",
            name=f"Member {n}",
            phone_raw=phone(n),
            phone_e164=phone(n),
            phone_type=PhoneType.MOBILE,
            phone_hash=hashlib.sha256(phone(n).encode()).hexdigest(),
            pnp_consent=True,
            sms_consent=True,
        )
        for n in range(count)
    ]
    Member.objects.bulk_create(members, batch_size=2000)
    Consent.objects.bulk_create(
        [
            Consent(
                member=m,
                purpose=ConsentPurpose.PNP_NOTIFICATION,
                granted=True,
                source=ConsentSource.IMPORT,
                captured_at=now,
                captured_by_label="bench",
            )
            for m in Member.objects.filter(brand=brand)
        ],
        batch_size=2000,
    )
    history_create(brand_id=brand.pk, version_id=version.pk, per_member=history)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics, as autovacuum would have them in production
        cursor.execute("ANALYZE")
    return api_key_create(brand=brand, name="bench", actor="bench")[1], brand.slug


def history_create(*, brand_id: int, version_id: int, per_member: int) -> None:
    """Earlier days' delivered notifications, as a portal in production has them.

    Without them every table starts empty, and the planner's statistics of empty tables lead it
    to scan whole tables that fill up during the run: a state no running portal is in.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO notifications_notification (
                brand_id, member_id, template_version_id, template_code, variables, occurred_at,
                reservation_key, line_messages, sms_text, channel_plan, status, channel, final_reason,
                final_reason_code, final_reason_params,
                created_at, updated_at, delivered_at, delivered_channel, delivered_twice, submitted_by)
            SELECT %s, m.id, %s, 'shipping_notice', '{}', t.at, '', '[]', '', '["pnp"]', 'delivered',
                   'pnp', '', '', '{}', t.at, t.at, t.at, 'pnp', false, 'bench'
            FROM members_member m
            CROSS JOIN generate_series(1, %s) AS g(day)
            CROSS JOIN LATERAL (SELECT now() - g.day * interval '1 day' + m.id * interval '1 second') AS t(at)
            WHERE m.brand_id = %s
            ORDER BY t.at
            """,
            [brand_id, version_id, per_member, brand_id],
        )
        cursor.execute(
            """
            INSERT INTO notifications_attempt (
                notification_id, channel, status, reference, claim, created_at, sent_at, answered_at,
                accepted_at, delivered_at, http_status, retries, error, vendor, vendor_message_id)
            SELECT id, 'pnp', 'delivered', gen_random_uuid()::text, '', created_at, created_at, created_at,
                   created_at, delivered_at, 200, 0, '', '', ''
            FROM notifications_notification ORDER BY id
            """
        )
        cursor.execute(
            """
            INSERT INTO notifications_notificationevent (
                notification_id, attempt_id, kind, at, detail, detail_code, detail_params)
            SELECT notification_id, id, kind, created_at, '', '', '{}'
            FROM notifications_attempt CROSS JOIN unnest(ARRAY['queued', 'sent_to_line', 'delivered']) AS k(kind)
            ORDER BY notification_id
            """
        )


def notification_item(n: int, *, sms: bool) -> dict:
    """One API item for member ``n``: a shipping notice by PNP, or a sign-up code by SMS."""
    if sms:
        return {
            "idempotency_key": str(uuid.uuid4()),
            "template": "signup_code",
            "member": f"B{n:07d}",
            "variables": {"code": f"{n % 1_000_000:06d}"},
        }
    return {
        "idempotency_key": str(uuid.uuid4()),
        "template": "shipping_notice",
        "member": f"B{n:07d}",
        "variables": {"order_id": f"L{n}", "event_time": "2026-11-25 10:00"},
    }


def sandbox_arrivals(sandbox_url: str, kind: str, offset: int) -> dict[str, float]:
    """Delivery tag (or SMS client reference) → when the sandbox first accepted its request."""
    records = requests.get(
        f"{sandbox_url}/sandbox/inspect", params={"kind": kind, "offset": str(offset)}, timeout=60
    ).json()["records"]
    arrivals: dict[str, float] = {}
    for record in records:
        if record["status"] in (200, 202) and record["tag"] and record["tag"] not in arrivals:
            arrivals[record["tag"]] = record["time_ms"] / 1000
    return arrivals


def sandbox_totals(sandbox_url: str) -> tuple[int, int, int]:
    """Records so far, PNP requests accepted so far, SMS accepted so far."""
    summary = requests.get(f"{sandbox_url}/sandbox/inspect", params={"summary": "1"}, timeout=10).json()["summary"]
    return (
        summary["records"],
        sum(summary["outcomes"].get("pnp", {}).values()),
        summary["sms"]["messages"],
    )


def wait_quiet(sandbox_url: str, seconds: float = 60) -> None:
    """Wait until the sandbox has sent every delivery webhook it owes and nothing is due."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        summary = requests.get(f"{sandbox_url}/sandbox/inspect", params={"summary": "1"}, timeout=10).json()
        if summary["summary"]["webhooks"]["pending"] == 0 and summary["summary"]["due"] == 0:
            break
        time.sleep(0.5)
    time.sleep(2)  # the portal applies the last webhooks


def reference_latency(sandbox_url: str, *, rate: int, seconds: float) -> dict[str, float]:
    """The bare pool at the same offered rate: PNP requests straight to the sandbox, due → answered."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def push(n: int):
        body = json.dumps(
            {
                "to": hashlib.sha256(phone(n).encode()).hexdigest(),
                "messages": [{"type": "text", "text": "您的訂單已出貨 Your order shipped"}],
            }
        )
        return lambda session: session.post(
            f"{sandbox_url}/bot/pnp/push",
            data=body,
            headers={**headers, "X-Line-Delivery-Tag": f"ref-{uuid.uuid4().hex}"},
            timeout=30,
        )

    sent = open_loop([push(n) for n in range(int(rate * seconds))], per_second=rate)
    return percentiles([(s.answered - s.due) * 1000 for s in sent if s.status == 200])


def latency_phase(
    web_url: str, sandbox_url: str, key: str, *, rate: int, batch: int, seconds: float, members: int, sms_every: int
) -> dict[str, dict[str, float]]:
    """Offer ``rate`` notifications/s in requests of ``batch`` for ``seconds``; return the latencies.

    One notification in ``sms_every`` is a sign-up code (SMS), the rest shipping notices (PNP).
    Latency is measured from acceptance (the notification's ``created_at``, stamped by the API
    when it stores the notification) and from the request's due time, to the sandbox's record
    of the request reaching it (its first 200 for the attempt's delivery tag or SMS reference).
    """
    from django.db import connection

    total = int(rate * seconds)
    items = [notification_item(n % members, sms=n % sms_every == sms_every - 1) for n in range(total)]
    auth = {"Authorization": f"Bearer {key}"}

    def post(chunk: list[dict]):
        if batch == 1:  # the single endpoint takes the idempotency key as a header
            item = {name: value for name, value in chunk[0].items() if name != "idempotency_key"}
            headers = {**auth, "Idempotency-Key": chunk[0]["idempotency_key"]}
            return lambda session: session.post(
                f"{web_url}/api/v1/notifications", json=item, headers=headers, timeout=60
            )
        return lambda session: session.post(
            f"{web_url}/api/v1/notifications/batch", json={"notifications": chunk}, headers=auth, timeout=60
        )

    records_before, pnp_before, sms_before = sandbox_totals(sandbox_url)
    sent: list[Sent] = open_loop(
        [post(items[first : first + batch]) for first in range(0, total, batch)], per_second=rate / batch
    )
    due_by_id: dict[int, float] = {}
    api_ms: list[float] = []
    for answer in sent:
        api_ms.append((answer.answered - answer.due) * 1000)
        if batch == 1:
            bodies = [answer.body] if answer.status == 202 else []
        else:
            bodies = [r["body"] for r in answer.body["results"] if r and r["status"] == 202]
        for body in bodies:
            due_by_id[body["id"]] = answer.due
    sms_expected = sum(1 for item in items if item["template"] == "signup_code")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, pnp_now, sms_now = sandbox_totals(sandbox_url)
        if pnp_now - pnp_before >= total - sms_expected and sms_now - sms_before >= sms_expected:
            break
        time.sleep(0.2)
    arrivals = {
        "pnp": sandbox_arrivals(sandbox_url, "pnp", records_before),
        "sms": sandbox_arrivals(sandbox_url, "sms", records_before),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.id, extract(epoch FROM n.created_at), a.channel, a.reference
            FROM notifications_notification n JOIN notifications_attempt a ON a.notification_id = n.id
            WHERE n.id = ANY(%s)
            """,
            [list(due_by_id)],
        )
        rows = cursor.fetchall()
    accepted: dict[str, list[float]] = {"pnp": [], "sms": []}
    due: dict[str, list[float]] = {"pnp": [], "sms": []}
    missing = 0
    for notification_id, created_at, channel, reference in rows:
        arrived = arrivals.get(channel, {}).get(reference)
        if arrived is None:
            missing += 1
            continue
        accepted[channel].append((arrived - float(created_at)) * 1000)
        due[channel].append((arrived - due_by_id[notification_id]) * 1000)
    return {
        "api answer (due → 202)": percentiles(api_ms),
        "PNP, acceptance → sandbox": percentiles(accepted["pnp"]),
        "PNP, due → sandbox": percentiles(due["pnp"]),
        "SMS, acceptance → sandbox": percentiles(accepted["sms"]),
        "SMS, due → sandbox": percentiles(due["sms"]),
        "_accepted": {"n": len(due_by_id), "p50": 0, "p95": 0, "p99": 0},
        "_missing": {"n": missing + total - len(due_by_id), "p50": 0, "p95": 0, "p99": 0},
    }


def latency_report(options, phases, *, web_url: str, sandbox_url: str, key: str) -> None:
    """Offer each phase's steady load and print its latencies beside the bare pool's at that rate."""
    print()
    print(f"latency under a steady offered load ({options.latency_seconds:.0f} s per phase, open loop;")
    print(f"one notification in {options.sms_every} an SMS sign-up code, the rest PNP shipping notices):")
    wait_quiet(sandbox_url)
    references = {}
    for rate in sorted({rate for rate, _ in phases}):
        references[rate] = reference_latency(sandbox_url, rate=rate, seconds=options.latency_seconds)
        print(line(f"reference at {rate}/s, bare pool", references[rate]))
    for rate, batch in phases:
        wait_quiet(sandbox_url)
        stats = latency_phase(
            web_url,
            sandbox_url,
            key,
            rate=rate,
            batch=batch,
            seconds=options.latency_seconds,
            members=options.notifications,
            sms_every=options.sms_every,
        )
        shape = "single requests" if batch == 1 else f"batches of {batch}"
        accepted, missing = stats["_accepted"]["n"], stats["_missing"]["n"]
        print(f" {rate}/s in {shape}: {accepted} accepted, {missing} refused or not seen at the sandbox")
        for label, figures in stats.items():
            if not label.startswith("_"):
                print(line(label, figures))
        if rate < 500:
            continue
        for channel in ("PNP", "SMS"):
            p99 = stats[f"{channel}, acceptance → sandbox"]["p99"]
            reference = references[rate]["p99"]
            result(
                bench="send",
                figure=f"{channel} latency p99 at {rate}/s in {shape}, acceptance → request at LINE / vendor",
                ours=p99,
                unit="ms",
                reference=reference,
                reference_label=f"bare requests pool's p99 at {rate}/s",
                ratio=reference / p99 if p99 else None,
                target="p99 < 300 ms",
                met=p99 < 300 and stats["_missing"]["n"] == 0,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--workers", type=int, default=4, help="Celery worker processes (they mostly wait on PostgreSQL and LINE)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent API clients")
    parser.add_argument("--rate-limit", type=int, default=2000, help="LINE requests/s per channel (both sides)")
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument(
        "--history", type=int, default=5, help="earlier delivered notifications per member already in the database"
    )
    parser.add_argument(
        "--latency",
        default="50x1,250x25,500x50",
        help="latency phases after the rate run, comma-separated: notifications/s x per request ('' for none)",
    )
    parser.add_argument("--latency-seconds", type=float, default=10, help="how long each phase offers its load")
    parser.add_argument("--sms-every", type=int, default=10, help="one notification in N of a phase is an SMS code")
    options = parser.parse_args()
    count = options.notifications
    phases = [tuple(int(part) for part in phase.split("x")) for phase in options.latency.split(",") if phase]

    from cryptography.fernet import Fernet

    # Production settings (DEBUG off: no query log, no debug pages), served over plain HTTP locally.
    os.environ.update(
        {
            "CELERY_BROKER_URL": BROKER_URL,
            "REDIS_URL": CACHE_URL,
            "DEBUG": "0",
            "SECRET_KEY": f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LINE_RATE_LIMIT_PER_SECOND": str(options.rate_limit),
        }
    )
    setup_database(DB_URL)
    processes: list[subprocess.Popen[bytes]] = []
    log_dir = BASE_DIR / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()
        redis.Redis.from_url(CACHE_URL).flushdb()
        print(f"preparing {count} members…", flush=True)
        key, slug = prepare(count, options.history)

        sandbox_port, web_port = free_port(), free_port()
        sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
        world = {
            "channels": [
                {
                    "channel_id": CHANNEL_ID,
                    "channel_secret": SECRET,
                    "access_token": TOKEN,
                    "webhook_url": f"{web_url}/webhooks/line/{slug}",
                }
            ],
            "users": [{"phone": phone(n), "consent": "on", "sms_verified_days_ago": 10} for n in range(count)],
        }
        world_path = log_dir / "world.json"
        world_path.write_text(json.dumps(world))
        env = {
            **os.environ,
            "LINE_API_BASE_URL": sandbox_url,
            "PORTAL_BASE_URL": web_url,
            "DATABASE_URL": DB_URL,
            "CONN_MAX_AGE": "600",
            "SMS_API_BASE_URL": f"{sandbox_url}/sms",
        }

        def start_sandbox(rate_limit: int) -> subprocess.Popen[bytes]:
            sandbox = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "line_sandbox",
                    "--port",
                    str(sandbox_port),
                    "--world",
                    str(world_path),
                    "--rate-limit",
                    str(rate_limit),
                    "--webhook-batch",
                    "100",
                    "--webhook-flush",
                    "0.5",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=(log_dir / "sandbox.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
            processes.append(sandbox)
            wait_http(f"{sandbox_url}/sandbox/clock", sandbox)
            return sandbox

        # The reference is what the machine can push at all: its sandbox does not throttle (on
        # a fast machine two bare sessions pass LINE's 2,000/s and would only see 429s).
        print("reference: a bare pool of requests sessions against the sandbox…", flush=True)
        sandbox = start_sandbox(rate_limit=1_000_000)
        reference = reference_rate(sandbox_url, min(count, 6000), os.cpu_count() or 2)
        sandbox.terminate()
        sandbox.wait(20)
        # Ours runs against LINE's limit, with the delivery webhooks coming back as in production.
        sandbox = start_sandbox(rate_limit=options.rate_limit)

        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{web_port}",
                "-w",
                str(options.web_workers),
                "--timeout",
                "300",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(log_dir / "web.log").open("wb"),
        )
        processes.append(web)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={options.workers}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=(log_dir / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        wait_http(f"{web_url}/healthz", web)
        time.sleep(3)  # the worker connects to Redis

        print(f"ours: {count} notifications through the API, {options.batch} per request…", flush=True)
        batches = [list(range(first, min(count, first + options.batch))) for first in range(0, count, options.batch)]
        roots = {"Celery workers": worker.pid, "web (gunicorn)": web.pid, "sandbox": sandbox.pid}
        cpu_before = cpu_by_group(roots, postgres_backends())
        started = time.perf_counter()
        with ThreadPoolExecutor(options.clients) as pool:  # brands' systems send in parallel
            list(pool.map(lambda numbers: submit(web_url, key, numbers), batches))
        accepted_in = time.perf_counter() - started
        deadline = started + options.max_seconds
        received = 0
        while time.perf_counter() < deadline:
            summary = requests.get(f"{sandbox_url}/sandbox/inspect", params={"summary": "1"}, timeout=10).json()
            received = sum(summary["summary"]["outcomes"].get("pnp", {}).values())
            if received >= count:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        rates = summary["summary"]["rates"]
        ours = received / elapsed
        print()
        print(f"accepted by the API:       {count / accepted_in:8.0f} notifications/s ({accepted_in:.1f} s)")
        print(f"ours, API → sandbox:       {ours:8.0f} notifications/s ({received} of {count} in {elapsed:.1f} s)")
        print(f"reference, bare requests:  {reference:8.0f} PNP requests/s ({os.cpu_count()} sessions)")
        print(f"ratio ours / reference:    {ours / reference:8.2f}   (target ≥ 0.75, and ours ≥ 500/s)")
        result(
            bench="send",
            figure="notifications end to end, API → sandbox",
            ours=ours,
            unit="notifications/s",
            reference=reference,
            reference_label="bare requests pool to the sandbox",
            ratio=ours / reference,
            target="≥ 500/s and ≥ 0.75 of the reference",
            met=ours >= 500 and ours / reference >= 0.75,
        )
        print(f"rate limit {options.rate_limit}/s per channel; sandbox saw at most: {json.dumps(rates)}")
        # Where the machine's time went: backends that came and went during the run are missed.
        cpu_after = cpu_by_group(roots, postgres_backends())
        spent = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
        per = ", ".join(f"{name} {seconds / max(received, 1) * 1000:.2f}" for name, seconds in spent.items())
        print(f"CPU ms per notification: {per}; total {sum(spent.values()) / max(received, 1) * 1000:.2f}", end="")
        print(f" ({sum(spent.values()) / elapsed:.1f} of {os.cpu_count()} cores busy)")
        if phases:
            latency_report(options, phases, web_url=web_url, sandbox_url=sandbox_url, key=key)
    finally:
        for proc in reversed(processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_database(DB_URL)


if __name__ == "__main__":
    main()
