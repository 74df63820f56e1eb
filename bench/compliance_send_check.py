"""Per-send cost of the compliance checks the send pipeline runs on every message.

Ours: ``template_version_for_send`` + ``send_check_variables`` + ``render_line_messages`` +
``render_sms_text`` for one send. Reference, measured in the same run: one indexed primary-key
read of the version (the cheapest thing a send does with the database). Bounded: ~2 s each.

    .venv/bin/python bench/compliance_send_check.py      (a throw-away SQLite DB under var/)
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
if "DATABASE_URL" not in os.environ:
    (BASE / "var").mkdir(exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(dir=BASE / 'var')}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from _results import result  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from compliance import demo  # noqa: E402
from compliance.models import TemplateVersion  # noqa: E402
from compliance.selectors import (  # noqa: E402
    render_line_messages,
    render_sms_text,
    send_check_variables,
    template_version_for_send,
)
from portal import demo as portal_demo  # noqa: E402
from portal.models import Brand  # noqa: E402

SECONDS = 2.0


def rate(step) -> float:  # type: ignore[no-untyped-def]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        step()
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    call_command("migrate", verbosity=0)
    portal_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    brand = Brand.objects.get(slug="demo-shop")
    values = {"order_id": "DS20260115001", "event_time": "2026-01-15 14:30"}
    now = timezone.now()
    pk = template_version_for_send(brand=brand, code="shipping_notice").pk

    def ours() -> None:
        version = template_version_for_send(brand=brand, code="shipping_notice")
        cleaned = send_check_variables(version=version, variables=values, occurred_at=now)
        render_line_messages(version=version, variables=cleaned)
        render_sms_text(version=version, variables=cleaned)

    def reference() -> None:
        TemplateVersion.objects.filter(pk=pk).first()

    ours_rate, reference_rate = rate(ours), rate(reference)
    print(f"send checks + render: {ours_rate:,.0f} sends/s per core")
    print(f"reference (one primary-key read): {reference_rate:,.0f} reads/s")
    print(f"ratio: one send's checks cost {reference_rate / ours_rate:.1f} primary-key reads")
    result(
        bench="compliance_send_check",
        figure="send-time checks and rendering",
        ours=ours_rate,
        unit="sends/s per core",
        reference=reference_rate,
        reference_label="one primary-key read",
        ratio=ours_rate / reference_rate,
        target="≥ 1/10 of a primary-key read (10 reads' worth per send at most)",
        met=reference_rate / ours_rate <= 10,
    )


if __name__ == "__main__":
    main()
