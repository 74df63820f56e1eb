"""LINE's daily counts fetched from the sandbox over HTTP with the real client (JST days, simulated clock)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from billing.choices import PnpKind
from billing.models import LineDailyCount
from billing.services import line_count_fetch, line_counts_fetch, line_counts_refetch_month, statement_generate
from notifications.choices import Channel, Metric
from notifications.services.states import delivered_counts
from notifications.stats import stats_add
from portal.models import AuditEvent, Brand
from tests.billing.conftest import pnp_send, taipei
from tests.sandbox.conftest import SandboxProcess

pytestmark = pytest.mark.timeout(60)


def test_an_unready_day_is_asked_again_until_line_has_its_count(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None], finance: User
) -> None:
    # given: two PNP delivered on 10 January (JST) per LINE, and per the portal's rollups
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-test-tag-0001")
    pnp_send(sandbox, brand, "billing-test-tag-0002")
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


def test_a_day_line_has_ready_at_the_first_request_bills_lines_count(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None], finance: User
) -> None:
    # given: two PNP sent and delivered on 10 January (JST); the portal saw three deliveries
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-test-tag-0101")
    pnp_send(sandbox, brand, "billing-test-tag-0102")
    deliver(brand, taipei("2026-01-10 11:00"), 3)
    day = date(2026, 1, 10)

    # when: the daily job asks for yesterday, which LINE already has ready (the common path)
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-11T09:00:00+09:00"})
    assert line_counts_fetch(now=taipei("2026-01-11 09:00"), first=day, last=day) == 1

    # then: LINE's number is stored at once, the day is settled, and the bill uses LINE's figure
    row = LineDailyCount.objects.get(brand=brand, jst_date=day)
    assert (row.status, row.success, row.attempts, row.error) == ("ready", 2, 1, "")
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 0
    statement = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    reconciled = statement.reconciliation.get(jst_date=day)
    assert (reconciled.portal_count, reconciled.line_count, reconciled.difference) == (3, 2, 1)
    assert statement.lines.get(kind="pnp").quantity == 2


@pytest.mark.parametrize(
    ("clock", "count_status", "day", "first_answer"),
    [
        ("2026-01-11T09:00:00+09:00", None, date(2026, 1, 10), ("ready", 1)),
        ("2026-01-10T20:00:00+09:00", None, date(2026, 1, 10), ("unready", None)),
        ("2026-01-20T09:00:00+09:00", "unavailable_for_privacy", date(2026, 1, 10), ("unavailable_for_privacy", None)),
        ("2026-01-20T09:00:00+09:00", "paused_by_line", date(2026, 1, 10), ("paused_by_line", None)),
        ("2026-01-20T09:00:00+09:00", None, date(2018, 3, 30), ("out_of_service", None)),
    ],
)
def test_every_first_answer_is_stored_as_line_gave_it(
    brand: Brand,
    sandbox: SandboxProcess,
    clock: str,
    count_status: str | None,
    day: date,
    first_answer: tuple[str, int | None],
) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": f"{day.isoformat()}T12:00:00+09:00"})
    pnp_send(sandbox, brand, f"billing-first-{day:%Y%m%d}")
    sandbox.admin("/sandbox/clock/set", {"now": clock})
    if count_status:
        sandbox.admin("/sandbox/pnp-count-status", {"date": f"{day:%Y%m%d}", "status": count_status})

    row = line_count_fetch(brand=brand, jst_date=day, now=taipei("2026-01-20 12:00"))

    assert (row.status, row.success, row.attempts) == (*first_answer, 1)
    settled = first_answer[0] in ("ready", "unavailable_for_privacy", "out_of_service")
    assert row.is_settled is settled
    assert LineDailyCount.objects.settled().filter(pk=row.pk).exists() is settled


def test_each_later_answer_moves_an_unsettled_day_and_never_a_settled_one(
    brand: Brand, sandbox: SandboxProcess, settings: Any
) -> None:
    day = date(2026, 1, 10)
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-later-0001")
    sandbox_url = settings.LINE_API_BASE_URL

    # error → unknown status → ready: each answer replaces the last
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    assert line_count_fetch(brand=brand, jst_date=day).status == "error"
    settings.LINE_API_BASE_URL = sandbox_url
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-12T09:00:00+09:00"})
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20260110", "status": "paused_by_line"})
    assert line_count_fetch(brand=brand, jst_date=day).status == "paused_by_line"
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20260110", "status": "ready"})
    row = line_count_fetch(brand=brand, jst_date=day)
    assert (row.status, row.success, row.attempts, row.error) == ("ready", 1, 3, "")

    # ready with its number is final: a later failure or another status changes nothing
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    row = line_count_fetch(brand=brand, jst_date=day)
    settings.LINE_API_BASE_URL = sandbox_url
    sandbox.admin("/sandbox/pnp-count-status", {"date": "20260110", "status": "unready"})
    row = line_count_fetch(brand=brand, jst_date=day)
    assert (row.status, row.success, row.attempts) == ("ready", 1, 3)


def test_a_day_stored_ready_without_a_number_is_asked_again(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None]
) -> None:
    # given: a row left by the defect this replaces: "ready", no number, never asked
    day = date(2026, 1, 10)
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-legacy-0001")
    deliver(brand, taipei("2026-01-10 12:00"), 1)
    LineDailyCount.objects.create(brand=brand, jst_date=day, status="ready", fetched_at=taipei("2026-01-11 09:00"))
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-12T09:00:00+09:00"})

    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 1

    row = LineDailyCount.objects.get(brand=brand, jst_date=day)
    assert (row.status, row.success, row.attempts) == ("ready", 1, 1)


def test_finance_refetches_a_month_on_demand_and_it_is_audited(
    brand: Brand, sandbox: SandboxProcess, finance: User
) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-refetch-0001")
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-13T09:00:00+09:00"})
    LineDailyCount.objects.create(
        brand=brand, jst_date=date(2026, 1, 1), status="ready", success=0, fetched_at=taipei("2026-01-02 09:00")
    )

    asked = line_counts_refetch_month(
        brand=brand, month=date(2026, 1, 1), actor=finance, now=taipei("2026-01-13 12:00")
    )

    # 2 to 12 January (yesterday, JST) were asked; the settled 1st was not
    assert len(asked) == 11
    assert LineDailyCount.objects.get(brand=brand, jst_date=date(2026, 1, 10)).success == 1
    event = AuditEvent.objects.get(action="billing.line_counts_refetch")
    assert (event.actor_id, event.brand_id, event.data["month"], event.data["days_asked"]) == (
        finance.pk,
        brand.pk,
        "2026-01",
        11,
    )
    # LINE's answer for each day asked is kept: the 10th had the one PNP, the 2nd none
    answers = {d["jst_date"]: (d["before"], d["status"], d["success"]) for d in event.data["days"]}
    assert len(answers) == 11 and "2026-01-01" not in answers
    assert answers["2026-01-10"] == ("", "ready", 1)
    assert answers["2026-01-02"] == ("", "ready", 0)
    assert [r.jst_date.day for r in asked] == list(range(2, 13))


def test_a_month_of_settled_days_is_read_in_one_query_and_nothing_is_asked(
    brand: Brand, finance: User, django_assert_max_num_queries: Any
) -> None:
    for day in range(1, 13):
        LineDailyCount.objects.create(
            brand=brand, jst_date=date(2026, 1, day), status="ready", success=day, fetched_at=taipei("2026-01-13 09:00")
        )

    # the template-PNP check, the settled days of the month, the audit row (with its savepoint)
    with django_assert_max_num_queries(5):
        asked = line_counts_refetch_month(
            brand=brand, month=date(2026, 1, 1), actor=finance, now=taipei("2026-01-13 12:00")
        )

    assert asked == []


def test_a_refetch_skips_only_this_brands_settled_days_of_each_kind(
    brand: Brand,
    other_brand: Brand,
    finance: User,
    line_says: Callable[..., LineDailyCount],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: the brand had a template PNP delivered in January; its flexible count is settled
    # except on the 3rd (LINE was not ready), its template count only on the 1st; another brand
    # has every day of both kinds settled
    stats_add(Counter({(brand.pk, taipei("2026-01-10 12:00"), Channel.PNP, Metric.TEMPLATED_DELIVERED_BY_SEND): 1}))
    for day in range(1, 13):
        line_says(brand, date(2026, 1, day), status="unready" if day == 3 else "ready", success=day)
        for kind in PnpKind:
            LineDailyCount.objects.create(
                brand=other_brand,
                jst_date=date(2026, 1, day),
                kind=kind,
                status="ready",
                success=1,
                fetched_at=taipei("2026-01-13 09:00"),
            )
    LineDailyCount.objects.create(
        brand=brand,
        jst_date=date(2026, 1, 1),
        kind=PnpKind.TEMPLATE,
        status="ready",
        success=0,
        fetched_at=taipei("2026-01-13 09:00"),
    )
    asked: list[tuple[str, int]] = []

    def fetch(*, brand: Brand, jst_date: date, now: object, kind: str) -> LineDailyCount:
        asked.append((kind, jst_date.day))
        return LineDailyCount(brand=brand, jst_date=jst_date, kind=kind, status="ready", success=1)

    monkeypatch.setattr("billing.services.line_count_fetch", fetch)

    answers = line_counts_refetch_month(
        brand=brand, month=date(2026, 1, 1), actor=finance, now=taipei("2026-01-13 12:00")
    )

    # then: LINE is asked for the brand's unsettled days only, whatever the other brand has
    assert asked == [(PnpKind.FLEXIBLE, 3)] + [(PnpKind.TEMPLATE, day) for day in range(2, 13)]
    assert [(a.kind, a.jst_date.day, a.before) for a in answers] == [(PnpKind.FLEXIBLE, 3, "unready")] + [
        (PnpKind.TEMPLATE, day, "") for day in range(2, 13)
    ]


def test_a_template_pnp_on_the_months_last_day_has_its_template_count_asked_again(
    brand: Brand, finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the brand's only template PNP of January was sent on the 31st (JST)
    stats_add(Counter({(brand.pk, taipei("2026-01-31 20:00"), Channel.PNP, Metric.TEMPLATED_DELIVERED_BY_SEND): 1}))
    asked: list[tuple[str, int]] = []

    def fetch(*, brand: Brand, jst_date: date, now: object, kind: str) -> LineDailyCount:
        asked.append((kind, jst_date.day))
        return LineDailyCount(brand=brand, jst_date=jst_date, kind=kind, status="ready", success=1)

    monkeypatch.setattr("billing.services.line_count_fetch", fetch)

    # when: finance re-fetches January in February
    line_counts_refetch_month(brand=brand, month=date(2026, 1, 1), actor=finance, now=taipei("2026-02-03 12:00"))

    # then: LINE's template count is asked for every day of the month, the 31st too
    assert [day for kind, day in asked if kind == PnpKind.TEMPLATE] == list(range(1, 32))


def test_finance_refetches_from_the_statement_page_and_the_draft_bills_lines_count(
    brand: Brand, sandbox: SandboxProcess, deliver: Callable[..., None], finance: User, manager: User
) -> None:
    # given: a draft computed while LINE had no count for the 10th (the portal's figure is billed)
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-admin-refetch-1")
    deliver(brand, taipei("2026-01-10 12:00"), 2)
    draft = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    assert draft.reconciliation.get(jst_date=date(2026, 1, 10)).line_count is None
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-11T09:00:00+09:00"})
    url = f"/admin/billing/statement/{draft.pk}/move/refetch/"

    # a manager may read the statement but not ask LINE on finance's behalf
    manager_client = Client()
    manager_client.force_login(manager)
    assert manager_client.post(url).status_code == 403
    assert not LineDailyCount.objects.exists()

    client = Client()
    client.force_login(finance)
    page = client.get(f"/admin/billing/statement/{draft.pk}/change/")
    assert 'id="refetch"' in page.content.decode()
    response = client.post(url, follow=True)

    assert response.status_code == 200
    body = response.content.decode()
    assert "已再次向 LINE 查詢" in body, re.findall(r"<li class=\"[a-z]*\">(.*?)</li>", body)
    draft.refresh_from_db()
    assert draft.reconciliation.get(jst_date=date(2026, 1, 10)).line_count == 1
    assert draft.lines.get(kind="pnp").quantity == 1


def test_a_pnp_sent_before_jst_midnight_and_delivered_after_reconciles_on_the_day_it_was_sent(
    brand: Brand, sandbox: SandboxProcess, finance: User
) -> None:
    # given: a PNP LINE accepted at 23:59:50 JST on the 10th, delivered at 00:00:20 on the 11th
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T23:59:50+09:00"})
    pnp_send(sandbox, brand, "billing-midnight-0001")
    sent, delivered = (
        datetime.fromisoformat("2026-01-10T23:59:50+09:00"),
        datetime.fromisoformat("2026-01-11T00:00:20+09:00"),
    )
    stats_add(delivered_counts(brand_id=brand.pk, channel=Channel.PNP, at=delivered, sent_at=sent))

    # when: LINE's counts for both days are in and the month is computed
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-12T09:00:00+09:00"})
    line_counts_fetch(now=taipei("2026-01-12 09:00"), first=date(2026, 1, 10), last=date(2026, 1, 11))
    statement = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)

    # then: LINE and the portal both count it on the 10th (the day sent), and nothing is flagged
    rows = {r.jst_date.day: (r.portal_count, r.line_count, r.flagged) for r in statement.reconciliation.all()}
    assert (rows[10], rows[11]) == ((1, 1, False), (0, 0, False))


def test_the_refetch_command_asks_again_for_days_stored_ready_without_a_number(
    brand: Brand, sandbox: SandboxProcess
) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-command-0001")
    sandbox.admin("/sandbox/clock/set", {"now": "2026-02-05T09:00:00+09:00"})
    LineDailyCount.objects.create(
        brand=brand, jst_date=date(2026, 1, 10), status="ready", fetched_at=taipei("2026-01-11 09:00")
    )
    out = StringIO()

    call_command("line_counts_refetch", "--month", "2026-01", "--brand", brand.slug, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"{brand.slug}: asked LINE for 31 day(s) of 2026-01"
    assert len(lines) == 1 + 31  # LINE's answer for each day asked
    assert "  2026-01-10 flexible: ready -> ready 1" in lines
    assert LineDailyCount.objects.get(brand=brand, jst_date=date(2026, 1, 10)).success == 1
    with pytest.raises(CommandError, match="--brand: no active brand"):
        call_command("line_counts_refetch", "--month", "2026-01", "--brand", "nobody")


def test_a_brand_is_asked_only_for_a_window_it_sent_pnp_in(
    brand: Brand, deliver: Callable[..., None], settings: Any
) -> None:
    # No sandbox: a request would fail and be recorded, so none must be made.
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    day = date(2026, 1, 10)
    deliver(brand, taipei("2026-01-08 12:00"), 1)  # JST 8 January: before the window
    deliver(brand, taipei("2026-01-11 12:00"), 1)  # JST 11 January: after it
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 0
    assert not LineDailyCount.objects.filter(brand=brand).exists()


def test_the_statement_page_says_when_line_could_not_be_reached_for_a_refetch(
    brand: Brand, deliver: Callable[..., None], finance: User, settings: Any
) -> None:
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    deliver(brand, taipei("2026-01-10 12:00"), 1)
    draft = statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance)
    client = Client()
    client.force_login(finance)

    response = client.post(f"/admin/billing/statement/{draft.pk}/move/refetch/", follow=True, HTTP_ACCEPT_LANGUAGE="en")

    texts = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert len(texts) == 1 and texts[0][0] == "warning", texts
    assert texts[0][1].startswith("LINE could not be reached for 31 of the 31 day(s) asked")


def test_a_brand_without_a_line_channel_is_not_asked(brand: Brand, deliver: Callable[..., None], settings: Any) -> None:
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # a request would fail and be recorded
    deliver(brand, taipei("2026-01-10 12:00"), 1)
    Brand.objects.filter(pk=brand.pk).update(line_channel_id="")
    day = date(2026, 1, 10)
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 0
    assert not LineDailyCount.objects.filter(brand=brand).exists()


def test_a_day_settled_for_flexible_pnp_is_still_asked_for_its_template_count(
    brand: Brand, deliver: Callable[..., None], settings: Any
) -> None:
    from django.utils import timezone

    from billing.choices import LineCountStatus
    from notifications.stats import stat_add

    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    at, day = taipei("2026-01-10 12:00"), date(2026, 1, 10)
    deliver(brand, at, 1)
    stat_add(brand_id=brand.pk, at=at, channel=Channel.PNP, metric=Metric.TEMPLATED_DELIVERED_BY_SEND, n=1)
    LineDailyCount.objects.create(
        brand=brand,
        jst_date=day,
        kind=PnpKind.FLEXIBLE,
        status=LineCountStatus.READY,
        success=1,
        fetched_at=timezone.now(),
        attempts=1,
    )
    # the flexible day is settled; the template day is not, so it alone is asked
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 1
    assert LineDailyCount.objects.filter(brand=brand, kind=PnpKind.TEMPLATE, jst_date=day).exists()
