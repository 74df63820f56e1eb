"""One line per measured figure that ``make bench`` collects into ``bench/RESULTS.md``.

Each benchmark prints its own readable report and, for each figure it has a target for, one
``BENCH-RESULT {json}`` line: the figure, the reference measured in the same run, their ratio,
the target and whether it was met. ``bench/run_all.py`` runs every benchmark and reads only
these lines, so a benchmark's own output can say as much as it likes.
"""

from __future__ import annotations

import json

PREFIX = "BENCH-RESULT "


def result(
    *,
    bench: str,
    figure: str,
    ours: float,
    unit: str,
    reference: float | None,
    reference_label: str,
    ratio: float | None,
    target: str,
    met: bool,
) -> None:
    """Print one figure for ``make bench`` (``ratio`` is "how many times better than the reference")."""
    line = {
        "bench": bench,
        "figure": figure,
        "ours": round(ours, 3),
        "unit": unit,
        "reference": None if reference is None else round(reference, 3),
        "reference_label": reference_label,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "met": bool(met),
    }
    print(PREFIX + json.dumps(line, ensure_ascii=False), flush=True)


def parse(output: str) -> list[dict[str, object]]:
    """The result lines of one benchmark's output."""
    return [json.loads(line[len(PREFIX) :]) for line in output.splitlines() if line.startswith(PREFIX)]
