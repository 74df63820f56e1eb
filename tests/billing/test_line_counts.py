"""LINE's daily counts fetched from the sandbox over HTTP with the real client (JST days, simulated clock)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from billing.models import LineDailyCount
from billing.services import line_counts_fetch, statement_generate
from portal.models import Brand
from tests.billing.conftest import taipei
from tests.sandbox.conftest import SandboxProcess

pytestmark = pytest.mark.timeout(60)

PHONE = "+886900000001"


@pytest.fixture
def sandbox(brand: Brand, tmp_path: Path, settings: Any) -> Iterator[SandboxProcess]:
    world = {
        "channels": [
            {
                "channel_id": brand.line_channel_id,
                "channel_secret": brand.channel_secret.reveal(),
                "access_token": brand.channel_access_token.reveal(),
                "brand_slug": brand.slug,
            }
        ],
        "users": [{"phone": PHONE, "consent": "on", "sms_verified_days_ago": 10, "channels": {}}],
    }
    process = SandboxProcess([], tmp_path, world=world)
    settings.LINE_API_BASE_URL = process.url
    yield process
    process.stop()


def pnp(sandbox: SandboxProcess, brand: Brand, tag: str) -> None:
    response = sandbox.post(
        "/bot/pnp/push",
        json={"to": hashlib.sha256(PHONE.encode()).hexdigest(), "messages": [{"type": "text", "text": "hi"}]},
        headers={"Authorization": f"Bearer {brand.channel_access_token.reveal()}", "X-Line-Delivery-Tag": tag},
    )
    assert response.status_code == 200, response.text


def test_an_unready_day_is_asked_again_until_line_has_its_count(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None], finance: User
) -> None:
    # given: two PNP delivered on 10 January (JST) per LINE, and per the portal's rollups
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp(sandbox, brand, "billing-test-tag-0001")
    pnp(sandbox, brand, "billing-test-tag-0002")
    deliver(brand, taipei("2026-01-10 11:00"), 2)
    day = date(2026, 1, 10)

    # when: the job runs while LINE's own clock is still on the 10th
    made = line_counts_fetch(now=taipei("2026-01-11 00:30"), first=day)
    row = LineDailyCount.objects.get(brand=brand, jst_date=day)
    assert (made, row.status, row.success, row.attempts) == (1, "unready", None, 1)

    # and again the next day, once LINE has aggregated it
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-11T09:00:00+09:00"})
    line_counts_fetch(now=taipei("2026-01-11 09:00"), first=day)
    row.refresh_from_db()
    assert (row.status, row.success, row.attempts) == ("ready", 2, 2)

    # then: a settled day is not asked again, and the statement reconciles without a flag
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 0
    statement = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    reconciled = statement.reconciliation.get(jst_date=day)
    assert (reconciled.portal_count, reconciled.line_count, reconciled.difference, reconciled.flagged) == (
        2,
        2,
        0,
        False,
    )


def test_unknown_statuses_and_out_of_service_days_are_recorded_as_line_sent_them(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None]
) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-20T12:00:00+09:00"})
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20260105", "status": "unavailable_for_privacy"})
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20260106", "status": "paused_by_line"})
    deliver(brand, taipei("2026-01-05 12:00"), 1)
    deliver(brand, taipei("2018-03-30 12:00"), 1)

    line_counts_fetch(now=taipei("2026-01-20 12:00"), first=date(2026, 1, 5), last=date(2026, 1, 6))
    line_counts_fetch(now=taipei("2026-01-20 12:00"), first=date(2018, 3, 30), last=date(2018, 3, 30), brand=brand)

    statuses = dict(LineDailyCount.objects.filter(brand=brand).values_list("jst_date", "status"))
    assert statuses == {
        date(2026, 1, 5): "unavailable_for_privacy",
        date(2026, 1, 6): "paused_by_line",
        date(2018, 3, 30): "out_of_service",
    }
    # privacy and out-of-service days are settled; an unknown status is asked again
    assert line_counts_fetch(now=taipei("2026-01-21 12:00"), first=date(2026, 1, 5), last=date(2026, 1, 6)) == 1
    assert LineDailyCount.objects.get(jst_date=date(2026, 1, 6)).attempts == 2


def test_a_failed_request_is_recorded_and_retried_next_run(
    brand: Brand, deliver: Callable[..., None], settings: Any
) -> None:
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    deliver(brand, taipei("2026-01-05 12:00"), 1)
    line_counts_fetch(now=taipei("2026-01-20 12:00"), first=date(2026, 1, 5), last=date(2026, 1, 5))
    row = LineDailyCount.objects.get(brand=brand)
    assert row.status == "error" and row.error and row.success is None
