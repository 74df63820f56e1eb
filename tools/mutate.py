"""`make mutate`: mutation testing of the modules whose mistakes cost money or trust.

mutmut (configured in ``[tool.mutmut]`` of pyproject.toml) copies the project into
./mutants/, mutates the modules below and, for each mutant, runs only those of the module's
fast tests that reach the mutated function. This script runs it one module at a time, times
each, and writes every mutant that survived (with its diff, and why it is harmless where we
know) to var/mutation/report.md. docs/mutation-testing.md explains the results.

    python tools/mutate.py                       # every module, from a fresh ./mutants/
    python tools/mutate.py billing.services      # one or more modules
    python tools/mutate.py --keep ...            # reuse ./mutants/ (results of unchanged code)
    python tools/mutate.py --report-only         # rewrite the report (after explaining a survivor)

Not part of .ci/run: a full run takes tens of minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
REPORT = ROOT / "var" / "mutation" / "report.md"
TIMINGS = ROOT / "var" / "mutation" / "timings.json"  # seconds per module of the last run

# Each module and the fast tests that check it. The union is pytest_add_cli_args_test_selection
# in [tool.mutmut]; mutmut records which of these tests reach each function and runs only those.
MODULES: dict[str, list[str]] = {
    "integrations.signatures": [
        "tests/notifications/test_webhooks.py",
        "tests/notifications/test_sms_reports.py",
    ],
    "notifications.services.idempotency": ["tests/notifications/test_idempotency.py"],
    "notifications.routing": ["tests/notifications/test_routing.py"],
    "billing.services": [
        "tests/billing/test_services.py",
        "tests/billing/test_prices.py",
        "tests/billing/test_line_counts.py",
    ],
    "notifications.services.outcomes": [
        "tests/notifications/test_states.py",
        "tests/notifications/test_dispatch.py",
    ],
    "notifications.services.timers": ["tests/notifications/test_timers.py"],
    "compliance.rules": ["tests/compliance/test_rules.py"],
}

# Surviving mutants we looked at and judged equivalent or harmless: mutant name -> why.
# mutmut numbers the mutants of a function in source order, so an edit of a function can
# renumber its mutants: re-read the diffs in the report after changing one of these modules.
EXPLAINED: dict[str, str] = json.loads((ROOT / "tools" / "mutation_explained.json").read_text())

# mutmut's exit codes (mutmut/stats.py), folded into the columns of the report.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 37: "killed"}
for code in (36, 24, -24, 152, 255):
    STATUS[code] = "timeout"


def _module_path(module: str) -> Path:
    return ROOT / "mutants" / (module.replace(".", "/") + ".py.meta")


def _results(module: str) -> dict[str, str]:
    meta = json.loads(_module_path(module).read_text())
    return {name: STATUS.get(code, "suspicious") for name, code in sorted(meta["exit_code_by_key"].items())}


def _show(name: str) -> str:
    done = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _check_config() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    selected = set(config["pytest_add_cli_args_test_selection"])
    wanted = {test for tests in MODULES.values() for test in tests}
    if selected != wanted:
        sys.exit(f"[tool.mutmut] pytest_add_cli_args_test_selection must be exactly {sorted(wanted)}")
    files = {m.replace(".", "/") + ".py" for m in MODULES}
    if set(config["only_mutate"]) != files:
        sys.exit(f"[tool.mutmut] only_mutate must be exactly {sorted(files)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(MODULES))
    parser.add_argument("--keep", action="store_true", help="reuse ./mutants/ instead of starting afresh")
    parser.add_argument("--max-children", default=os.environ.get("MUTATE_CHILDREN", "2"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from ./mutants/, run nothing")
    args = parser.parse_args()
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {', '.join(MODULES)}")
    _check_config()

    timings: dict[str, float] = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    if args.report_only:
        modules = [m for m in modules if _module_path(m).exists()]
    else:
        timings = _run(modules, keep=args.keep, max_children=args.max_children)
    return _report(modules, timings)


def _run(modules: list[str], *, keep: bool, max_children: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite: one file per test process
    if not keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    # Copying the project, mutating the files and recording which tests reach which function
    # happen once, on the first run: timed apart here, with one mutant (mutmut refuses none).
    start = time.monotonic()
    first = "integrations.signatures.x_line_signature__mutmut_1"
    subprocess.run([*MUTMUT, "run", "--max-children", max_children, first], cwd=ROOT, env=env, check=True)
    timings = {"setup": time.monotonic() - start}
    for module in modules:
        start = time.monotonic()
        subprocess.run([*MUTMUT, "run", "--max-children", max_children, f"{module}.*"], cwd=ROOT, env=env, check=True)
        timings[module] = time.monotonic() - start
        TIMINGS.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(timings, indent=1))
    return timings


def _report(modules: list[str], timings: dict[str, float]) -> int:
    rows: list[tuple[str, int, dict[str, int], int, float]] = []
    survivors: list[tuple[str, str, str]] = []
    for module in modules:
        seconds = timings.get(module, 0.0)
        results = _results(module)
        counts = {s: sum(1 for v in results.values() if v == s) for s in set(results.values())}
        alive = [n for n, s in results.items() if s in ("survived", "no tests", "suspicious")]
        rows.append((module, len(results), counts, sum(1 for n in alive if n in EXPLAINED), seconds))
        survivors += [(module, n, results[n]) for n in alive]

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Mutation testing report (`make mutate`)",
        "",
        f"Setup (copy, mutate, record which tests reach which function): {timings.get('setup', 0):.0f} s.",
        "",
        "| module | mutants | killed | timeout | survived | no tests | explained | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for module, total, counts, explained, seconds in rows:
        lines.append(
            f"| `{module}` | {total} | {counts.get('killed', 0)} | {counts.get('timeout', 0)} | "
            f"{counts.get('survived', 0) + counts.get('suspicious', 0)} | {counts.get('no tests', 0)} | "
            f"{explained} | {seconds:.0f} s |"
        )
    lines += ["", "## Surviving mutants", ""]
    if not survivors:
        lines.append("None.")
    # A function no mapped test reaches is one finding, not one per mutant: list it once.
    untested: dict[str, int] = {}
    for _module, name, status in survivors:
        if status == "no tests" and name not in EXPLAINED:
            function = name.rsplit("__mutmut_", 1)[0]
            untested[function] = untested.get(function, 0) + 1
            continue
        why = EXPLAINED.get(name)
        lines += [f"### `{name}` ({status})", "", f"Why it is harmless: {why}" if why else "**Not explained.**", ""]
        lines += ["```diff", _show(name), "```", ""]
    if untested:
        lines += ["## Functions no mapped test reaches (every mutant survives)", ""]
        lines += [f"* `{function}`: {count} mutants" for function, count in untested.items()]
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[: 6 + len(rows)]))
    print(f"\nReport: {REPORT.relative_to(ROOT)}")
    unexplained = [n for _, n, _ in survivors if n not in EXPLAINED]
    if unexplained:
        print(f"{len(unexplained)} surviving mutant(s) neither killed nor explained.")
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
