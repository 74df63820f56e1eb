"""Measure how many PNP pushes per second the sandbox accepts, against a bare aiohttp server as the ceiling.

    .venv/bin/python bench/bench_sandbox.py [--requests 30000] [--processes 2] [--concurrency 32]

Both servers run as subprocesses on 127.0.0.1 and are driven by the same client processes; the bare
server answers `{}` to every request, so its rate is what the client and this machine can do at most.
The run is bounded by --requests and --max-seconds and stops both servers at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import requests
from _results import result

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "sandbox-token-demo"
PHONE_START = 900000001  # the first generated phone is +886900000001

BARE_SERVER = """
import sys
from aiohttp import web

async def answer(request):
    await request.read()
    return web.Response(body=b"{}", content_type="application/json")

app = web.Application()
app.router.add_route("*", "/{tail:.*}", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def targets(users: int, count: int, offset: int) -> list[tuple[str, str]]:
    hashes = [hashlib.sha256(f"+886{PHONE_START + i:09d}".encode()).hexdigest() for i in range(users)]
    return [(hashes[(offset + i) % users], f"bench_{offset + i:012d}_tag") for i in range(count)]


async def drive_aiohttp(url: str, jobs: list[tuple[str, str]], concurrency: int, deadline: float) -> Counter:
    import aiohttp

    statuses: Counter = Counter()
    queue = iter(jobs)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for to, tag in queue:
            if time.monotonic() > deadline:
                return
            body = json.dumps({"to": to, "messages": [{"type": "text", "text": "您的包裹已送達"}]})
            try:
                async with session.post(url, data=body, headers={**headers, "X-Line-Delivery-Tag": tag}) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except aiohttp.ClientError:
                statuses["error"] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return statuses


def drive_requests(url: str, jobs: list[tuple[str, str]], deadline: float) -> Counter:
    statuses: Counter = Counter()
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        for to, tag in jobs:
            if time.monotonic() > deadline:
                break
            resp = session.post(
                url,
                json={"to": to, "messages": [{"type": "text", "text": "您的包裹已送達"}]},
                headers={"X-Line-Delivery-Tag": tag},
                timeout=10,
            )
            statuses[resp.status_code] += 1
    return statuses


def client_process(args: tuple) -> tuple[Counter, float, float]:
    url, jobs, client, concurrency, start_at, max_seconds = args
    while time.time() < start_at:  # all processes start together
        time.sleep(0.001)
    began = time.time()
    deadline = time.monotonic() + max_seconds
    if client == "aiohttp":
        statuses = asyncio.run(drive_aiohttp(url, jobs, concurrency, deadline))
    else:
        statuses = drive_requests(url, jobs, deadline)
    return statuses, began, time.time()


def run_load(pool, url: str, opts, users: int, offset: int) -> tuple[float, Counter]:
    share = opts.requests // opts.processes
    start_at = time.time() + 0.5
    work = [
        (url, targets(users, share, offset + p * share), opts.client, opts.concurrency, start_at, opts.max_seconds)
        for p in range(opts.processes)
    ]
    results = pool.map(client_process, work)
    statuses: Counter = Counter()
    for counter, _, _ in results:
        statuses.update(counter)
    began = min(r[1] for r in results)
    ended = max(r[2] for r in results)
    answered = sum(v for k, v in statuses.items() if k != "error")
    return answered / (ended - began), statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30000, help="PNP pushes per measured run")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--concurrency", type=int, default=32, help="connections per client process (aiohttp)")
    parser.add_argument("--client", choices=("aiohttp", "requests"), default="aiohttp")
    parser.add_argument("--users", type=int, default=20000, help="generated sandbox users")
    parser.add_argument("--max-seconds", type=float, default=60, help="stop each run after this long")
    opts = parser.parse_args()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bare_port, sandbox_port = free_port(), free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)], env=env)
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "line_sandbox",
            "--port",
            str(sandbox_port),
            "--generate",
            str(opts.users),
            "--seed",
            "1",
            "--rate-limit",
            "1000000",
            "--webhook-batch",
            "100",
            "--webhook-retries",
            "0",
            "--portal-url",
            f"http://127.0.0.1:{bare_port}",
        ],  # delivery webhooks go to the bare server
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{bare_port}/", bare)
        wait_ready(f"http://127.0.0.1:{sandbox_port}/sandbox/clock", sandbox)
        sandbox_url = f"http://127.0.0.1:{sandbox_port}/bot/pnp/push"
        bare_url = f"http://127.0.0.1:{bare_port}/bot/pnp/push"
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(opts.processes) as pool:
            warm = argparse.Namespace(**{**vars(opts), "requests": min(2000, opts.requests)})
            run_load(pool, bare_url, warm, opts.users, 10**9)
            run_load(pool, sandbox_url, warm, opts.users, 10**9)
            requests.post(f"http://127.0.0.1:{sandbox_port}/sandbox/reset", timeout=60)
            ours, our_statuses = run_load(pool, sandbox_url, opts, opts.users, 0)
            reference, ref_statuses = run_load(pool, bare_url, opts, opts.users, 0)
        summary = requests.get(
            f"http://127.0.0.1:{sandbox_port}/sandbox/inspect", params={"summary": 1}, timeout=30
        ).json()["summary"]
    finally:
        for proc in (sandbox, bare):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    connections = opts.concurrency if opts.client == "aiohttp" else 1
    print(
        f"client: {opts.client}, {opts.processes} processes x {connections} connections, "
        f"{opts.requests} PNP pushes per run, {os.cpu_count()} CPUs, loopback"
    )
    print(f"sandbox   accepted {ours:8.0f} req/s   statuses {dict(our_statuses)}")
    print(f"reference bare     {reference:8.0f} req/s   statuses {dict(ref_statuses)}")
    print(f"ratio sandbox/reference: {ours / reference:.2f}")
    result(
        bench="sandbox",
        figure="sandbox PNP pushes accepted",
        ours=ours,
        unit="req/s",
        reference=reference,
        reference_label="a bare aiohttp server on the same machine",
        ratio=ours / reference,
        target="≥ 0.5 of the bare server",
        met=ours / reference >= 0.5,
    )
    print(f"sandbox outcomes: {json.dumps(summary['outcomes'])}")
    print(f"sandbox max per-second rate: {json.dumps(summary['rates']['channels'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
