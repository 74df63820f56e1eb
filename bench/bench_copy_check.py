"""Precision and recall of the advertising detector on the labelled corpus, and its throughput.

Ours: ``compliance.advertising.detect`` with the lists the migrations seed. Reference, measured
in the same run on the same messages: the bare term match it replaced
(``compliance.rules.find_promotional_terms`` over the seeded term list). No database.

    .venv/bin/python bench/bench_copy_check.py [part_a|part_b ...]
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from compliance.advertising import BLOCK, PASS, detect  # noqa: E402
from compliance.rules import find_promotional_terms  # noqa: E402
from tests.compliance.corpus import Sample, load, seeded_lists  # noqa: E402

SECONDS = 2.0


def throughput(check: Callable[[Sample], object], samples: list[Sample]) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        for sample in samples:
            check(sample)
        count += len(samples)
    return count / (time.perf_counter() - started)


def main() -> None:
    samples = load(*sys.argv[1:])
    lists = seeded_lists()
    terms = [term for term, _severity in lists.terms]
    verdicts = {id(s): detect(s.text, use_case=s.use_case, lists=lists) for s in samples}
    old = {id(s): bool(find_promotional_terms(s.text, terms)) for s in samples}

    print(f"{len(samples)} messages: {sum(s.promotional for s in samples)} promotional, "
          f"{sum(not s.promotional for s in samples)} transactional")  # fmt: skip
    print("\nRecall per promotional category (flagged = block or review)")
    print(f"  {'category':16} {'n':>4} {'recall':>7} {'blocked':>8} {'old terms':>10}")
    by_category: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        if sample.promotional:
            by_category[sample.category].append(sample)
    for category, group in sorted(by_category.items()):
        flagged = sum(verdicts[id(s)].verdict != PASS for s in group)
        blocked = sum(verdicts[id(s)].verdict == BLOCK for s in group)
        print(f"  {category:16} {len(group):4} {flagged / len(group):7.2f} {blocked / len(group):8.2f} "
              f"{sum(old[id(s)] for s in group) / len(group):10.2f}")  # fmt: skip

    print("\nPrecision per finding code (messages with the code that are promotional)")
    print(f"  {'code':18} {'messages':>8} {'precision':>9}")
    per_code: dict[str, list[bool]] = defaultdict(list)
    for sample in samples:
        for code in {f.code for f in verdicts[id(sample)].findings}:
            per_code[code].append(sample.promotional)
    for code, labels in sorted(per_code.items()):
        print(f"  {code:18} {len(labels):8} {sum(labels) / len(labels):9.2f}")

    promotional = [s for s in samples if s.promotional]
    transactional = [s for s in samples if not s.promotional]
    recall = sum(verdicts[id(s)].verdict != PASS for s in promotional) / len(promotional)
    blocked = sum(verdicts[id(s)].verdict == BLOCK for s in transactional)
    flagged = sum(verdicts[id(s)].verdict != PASS for s in transactional)
    old_recall = sum(old[id(s)] for s in promotional) / len(promotional)
    old_blocked = sum(old[id(s)] for s in transactional)
    print(f"\nDetector:   recall {recall:.3f}; transactional blocked {blocked}/{len(transactional)}, "
          f"flagged {flagged}/{len(transactional)} ({flagged / len(transactional):.1%})")  # fmt: skip
    print(f"Old terms:  recall {old_recall:.3f}; transactional blocked {old_blocked}/{len(transactional)}")

    ours = throughput(lambda s: detect(s.text, use_case=s.use_case, lists=lists), samples)
    reference = throughput(lambda s: find_promotional_terms(s.text, terms), samples)
    print(f"\nThroughput: detector {ours:,.0f} messages/s, bare term match {reference:,.0f} messages/s "
          f"(ratio {reference / ours:.1f}), one process")  # fmt: skip


if __name__ == "__main__":
    main()
