"""Command line: `python -m line_sandbox --port 8090 [--world FILE | --generate N] ...`."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from .faults import FaultSpecError, parse_spec
from .server import SANDBOX, Options, create_app
from .world import WorldError

WEBHOOK_FLAGS = {
    "webhook_batch": "batch_size",
    "webhook_flush": "flush_interval",
    "webhook_duplicates": "duplicate_share",
    "webhook_reorder": "reorder_share",
    "webhook_retries": "retries",
    "webhook_retry_interval": "retry_interval",
    "webhook_timeout": "timeout",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to `parser` (shared by `python -m line_sandbox` and the management command)."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8090, help="port to listen on (default 8090)")
    add("--world", metavar="FILE", help="JSON world file with channels and users (see line_sandbox/README.md)")
    add("--generate", type=int, metavar="N", help="generate N users with seeded randomness")
    add("--seed", type=int, default=1, help="seed for generated users, faults and webhook shuffling (default 1)")
    add(
        "--channels",
        default="",
        metavar="SLUGS",
        help="comma-separated brand slugs for generated channels when the world file has none (default: demo)",
    )
    add(
        "--time-factor",
        type=float,
        default=1.0,
        metavar="F",
        help="simulated LINE time runs F times wall time; 0 freezes it (default 1)",
    )
    add("--start-time", metavar="ISO", help="simulated time at start, e.g. 2025-01-31T23:30:00+08:00 (default now)")
    add("--faults", default="", metavar="SPEC", help="fault rules, e.g. pnp:429=0.1,pnp:500:next=3,sms:500=0.1")
    add("--rate-limit", type=int, default=2000, help="requests per second per channel and endpoint (default 2000)")
    add(
        "--portal-url",
        default="http://127.0.0.1:8000",
        help="portal base URL for default webhook URLs {portal}/webhooks/line/{brand_slug}",
    )
    add("--sms-callback-url", help="SMS delivery-report URL (default {portal}/webhooks/sms/sandbox)")
    add("--sms-report-delay", type=float, default=2.0, help="simulated seconds before an SMS report (default 2)")
    add("--sms-api-key", default="sandbox-sms-key", help="Bearer credential of the JSON SMS API")
    add("--mitake-username", default="sandbox", help="username accepted by the Mitake SmSend emulation")
    add("--mitake-password", default="sandbox", help="password accepted by the Mitake SmSend emulation")
    add("--webhook-batch", type=int, default=10, help="max events per webhook request (default 10)")
    add("--webhook-flush", type=float, default=0.1, help="seconds to wait to fill a batch (default 0.1)")
    add("--webhook-duplicates", type=float, default=0.0, help="share of events sent twice (default 0)")
    add("--webhook-reorder", type=float, default=0.0, help="share of webhook requests held back (default 0)")
    add("--webhook-retries", type=int, default=3, help="redeliveries on a non-2xx answer; 0 turns it off")
    add("--webhook-retry-interval", type=float, default=1.0, help="seconds between redeliveries (default 1)")
    add("--webhook-timeout", type=float, default=5.0, help="seconds before a webhook request times out")
    add(
        "--phone-view",
        action="store_true",
        help="keep what each user received and serve the phone view at /sandbox/phone/{uid or phone}",
    )
    add("--liff-endpoint", help="where the phone view opens liff.line.me links (default {portal}/demo/bind/)")
    add("--max-records", type=int, default=2_000_000, help="records kept for inspection (counters go on)")
    add("--log-level", default="WARNING", help="logging level (default WARNING)")


def options_from(ns: dict) -> Options:
    return Options(
        host=ns["host"],
        port=ns["port"],
        world=ns.get("world"),
        generate=ns.get("generate"),
        seed=ns["seed"],
        time_factor=ns["time_factor"],
        start_time=ns.get("start_time"),
        faults=ns.get("faults") or "",
        portal_url=ns["portal_url"],
        sms_callback_url=ns.get("sms_callback_url"),
        sms_report_delay=ns["sms_report_delay"],
        sms_api_key=ns["sms_api_key"],
        mitake_username=ns["mitake_username"],
        mitake_password=ns["mitake_password"],
        rate_limit=ns["rate_limit"],
        channels=[s.strip() for s in (ns.get("channels") or "").split(",") if s.strip()],
        webhook={field: ns[flag] for flag, field in WEBHOOK_FLAGS.items() if ns.get(flag) is not None},
        max_records=ns["max_records"],
        phone_view=bool(ns.get("phone_view")),
        liff_endpoint=ns.get("liff_endpoint"),
    )


def run(ns: dict) -> int:
    """Start the server with parsed options and serve until interrupted."""
    logging.basicConfig(
        level=getattr(logging, str(ns.get("log_level", "WARNING")).upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # dropped connections are on purpose
    try:
        parse_spec(ns.get("faults") or "")
        app = create_app(options_from(ns))
    except (FaultSpecError, WorldError, OSError) as exc:
        print(f"line_sandbox: {exc}", file=sys.stderr)
        return 2
    sandbox = app[SANDBOX]
    world = sandbox.world

    def announce(_message: str) -> None:
        print(
            f"line_sandbox listening on http://{ns['host']}:{ns['port']} "
            f"({len(world.channels)} channels, {len(world.users_by_hash)} users, "
            f"time factor {sandbox.clock.time_factor})",
            flush=True,
        )

    web.run_app(
        app,
        host=ns["host"],
        port=ns["port"],
        access_log=None,
        print=announce,
        handler_cancellation=False,
        shutdown_timeout=1.0,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m line_sandbox", description="LINE PNP platform and SMS gateway simulator"
    )
    add_arguments(parser)
    return run(vars(parser.parse_args(argv)))
