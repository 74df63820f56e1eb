"""Run every benchmark with its defaults and write one table of figures to ``bench/RESULTS.md``.

    .venv/bin/python bench/run_all.py            # make bench: every benchmark, default sizes
    .venv/bin/python bench/run_all.py --quick    # make bench-quick: small sizes, to check the wiring
    .venv/bin/python bench/run_all.py send webhooks   # only these

Benchmarks run one after another (each needs the machine to itself: two cores here) against
the local PostgreSQL and Redis. Each prints its own report, shown as it runs, and one
``BENCH-RESULT`` line per figure with a target (``bench/_results.py``); the table has the
figure, the reference measured in the same run, the ratio, the target and whether it was met.
A benchmark that fails or runs past its time is listed as such, and the run goes on.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _results import parse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# name: (script, default arguments, quick arguments, time limit in seconds at default sizes)
BENCHMARKS: dict[str, tuple[str, list[str], list[str], int]] = {
    "compliance_send_check": ("compliance_send_check.py", [], [], 300),
    "sandbox": ("bench_sandbox.py", [], ["--requests", "3000", "--users", "2000"], 300),
    "send": (
        "bench_send.py",
        [],
        ["--notifications", "1000", "--latency", "100x1,100x10", "--latency-seconds", "2"],
        900,
    ),
    "webhooks": ("bench_webhooks.py", [], ["--requests", "300", "--latency-requests", "50"], 600),
    "costs": ("bench_costs.py", [], ["--items", "200", "--single", "50", "--import-rows", "2000"], 300),
    "member_import": ("bench_member_import.py", [], ["--rows", "20000", "--sample", "500"], 900),
    "member_admin": ("bench_member_admin.py", [], ["--members", "20000", "--repeat", "5"], 900),
    "notification_search": (
        "bench_notification_search.py",
        [],
        ["--notifications", "200000", "--members", "20000", "--repeat", "5"],
        1800,
    ),
    "billing": ("bench_billing.py", [], ["--notifications", "50000", "--brands", "5", "--runs", "1"], 1200),
}


def machine() -> str:
    memory = ""
    try:
        kib = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} cores{memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run(name: str, quick: bool) -> tuple[list[dict[str, object]], str, float]:
    script, default, small, limit = BENCHMARKS[name]
    command = [sys.executable, str(BENCH / script), *(small if quick else default)]
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    try:
        with subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        ) as process:
            assert process.stdout is not None
            deadline = started + limit
            for line in process.stdout:
                print(line, end="", flush=True)
                lines.append(line)
                if time.perf_counter() > deadline:
                    process.kill()
                    return parse("".join(lines)), f"stopped after {limit} s", time.perf_counter() - started
            code = process.wait()
    except OSError as exc:
        return [], f"could not start: {exc}", 0.0
    elapsed = time.perf_counter() - started
    results = parse("".join(lines))
    if code != 0:
        return results, f"exit code {code}", elapsed
    if not results:
        return results, "printed no result", elapsed
    return results, "", elapsed


def table(rows: list[tuple[str, list[dict[str, object]], str, float]], *, quick: bool, total: float) -> str:
    def number(value: object) -> str:
        if value is None:
            return "–"
        value = float(value)  # type: ignore[arg-type]
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"

    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench{'-quick' if quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{machine()}; {total / 60:.1f} min in all. Each reference was measured in the same run as its figure; "
        "the ratio is how many times better ours is than the reference (higher is better). "
        + ("**Quick sizes: the wiring is checked, the figures are not the targets' sizes.**" if quick else ""),
        "",
        "| benchmark | figure | ours | reference | ratio | target | met | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, results, problem, elapsed in rows:
        for item in results:
            reference_unit = item["unit"] if item["reference"] is not None else ""
            out.append(
                f"| {name} | {item['figure']} | {number(item['ours'])} {item['unit']} | "
                f"{number(item['reference'])} {reference_unit} ({item['reference_label']}) | {number(item['ratio'])} | "
                f"{item['target']} | {'yes' if item['met'] else '**no**'} | {elapsed:.0f} s |"
            )
        if problem:
            out.append(f"| {name} | **{problem}** | | | | | **no** | {elapsed:.0f} s |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that every benchmark runs")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    started = time.perf_counter()
    rows = [(name, *run(name, args.quick)) for name in names]
    text = table(rows, quick=args.quick, total=time.perf_counter() - started)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"\n{text}\nwritten to {args.output}")
    return 0 if all(not problem for _name, _results, problem, _elapsed in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
