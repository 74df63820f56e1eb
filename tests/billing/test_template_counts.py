"""Template PNP in billing: LINE's own daily count of it, fetched apart, and its own statement line."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from billing.choices import LineKind, PnpKind
from billing.models import LineDailyCount
from billing.services import line_counts_fetch, statement_generate
from notifications.choices import Channel, Metric
from notifications.services.states import delivered_counts
from notifications.stats import stat_add
from portal.models import Brand
from tests.billing.conftest import pnp_send, taipei
from tests.sandbox.conftest import SandboxProcess

pytestmark = pytest.mark.timeout(60)


def deliver(brand: Brand, at: datetime, n: int, *, templated: bool) -> None:
    """Record deliveries as the pipeline does (the counts one delivery adds, ``n`` times)."""
    for _ in range(n):
        for (brand_id, hour, channel, metric), count in delivered_counts(
            brand_id=brand.pk, channel=Channel.PNP, at=at, sent_at=at, templated=templated
        ).items():
            stat_add(brand_id=brand_id, at=hour, channel=channel, metric=metric, n=count)


def test_a_template_pnp_delivery_is_counted_apart_from_flexible_ones_on_its_send_hour() -> None:
    at = timezone.now()
    templated = delivered_counts(brand_id=1, channel=Channel.PNP, at=at, sent_at=at, templated=True)
    flexible = delivered_counts(brand_id=1, channel=Channel.PNP, at=at, sent_at=at)
    assert templated[(1, at, Channel.PNP, Metric.TEMPLATED_DELIVERED_BY_SEND)] == 1
    assert (1, at, Channel.PNP, Metric.DELIVERED_BY_SEND) not in templated
    assert flexible[(1, at, Channel.PNP, Metric.DELIVERED_BY_SEND)] == 1
    assert (1, at, Channel.PNP, Metric.TEMPLATED_DELIVERED_BY_SEND) not in flexible


@pytest.mark.django_db
def test_lines_template_count_is_fetched_per_jst_day_apart_from_the_flexible_one(
    brand: Brand, sandbox: SandboxProcess
) -> None:
    # given two template PNP and one flexible PNP sent on 10 January (JST), per LINE and per the portal
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-template-0001", templated=True)
    pnp_send(sandbox, brand, "billing-template-0002", templated=True)
    pnp_send(sandbox, brand, "billing-flexible-0001", templated=False)
    deliver(brand, taipei("2026-01-10 11:00"), 2, templated=True)
    deliver(brand, taipei("2026-01-10 11:00"), 1, templated=False)
    day = date(2026, 1, 10)
    # when the daily job runs once LINE has aggregated the day
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-11T09:00:00+09:00"})
    assert line_counts_fetch(now=taipei("2026-01-11 09:00"), first=day, last=day) == 2
    # then each kind has its own row with LINE's own figure
    rows = {row.kind: (row.status, row.success) for row in LineDailyCount.objects.filter(brand=brand, jst_date=day)}
    assert rows == {PnpKind.FLEXIBLE: ("ready", 1), PnpKind.TEMPLATE: ("ready", 2)}
    # and settled days are not asked again
    assert line_counts_fetch(now=taipei("2026-01-12 09:00"), first=day, last=day) == 0


@pytest.mark.django_db
def test_a_brand_without_template_pnp_is_not_asked_for_lines_template_count(
    brand: Brand, sandbox: SandboxProcess
) -> None:
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-11T09:00:00+09:00"})
    deliver(brand, taipei("2026-01-10 11:00"), 1, templated=False)
    assert line_counts_fetch(now=taipei("2026-01-11 09:00"), first=date(2026, 1, 10), last=date(2026, 1, 10)) == 1
    assert list(LineDailyCount.objects.values_list("kind", flat=True)) == [PnpKind.FLEXIBLE]


def _line_says(brand: Brand, day: date, kind: str, success: int) -> None:
    LineDailyCount.objects.create(
        brand=brand, jst_date=day, kind=kind, status="ready", success=success, fetched_at=timezone.now(), attempts=1
    )


@pytest.mark.django_db
def test_template_pnp_is_billed_on_its_own_line_from_lines_template_count(brand: Brand, finance: User) -> None:
    # given 10 flexible and 4 template PNP delivered on 10 March (JST); LINE counted 10 and 3
    deliver(brand, taipei("2026-03-10 12:00"), 10, templated=False)
    deliver(brand, taipei("2026-03-10 12:00"), 4, templated=True)
    deliver(brand, taipei("2026-03-20 12:00"), 2, templated=True)  # LINE has no figure for this day yet
    _line_says(brand, date(2026, 3, 10), PnpKind.FLEXIBLE, 10)
    _line_says(brand, date(2026, 3, 10), PnpKind.TEMPLATE, 3)
    # when
    with translation.override("en"):
        statement = statement_generate(brand=brand, month=date(2026, 3, 1), actor=finance)
    # then flexible PNP reconciles against LINE's flexible count alone, without a difference
    reconciled = statement.reconciliation.get(jst_date=date(2026, 3, 10))
    assert (reconciled.portal_count, reconciled.line_count, reconciled.flagged) == (10, 10, False)
    # and template PNP is its own line: LINE's 3, plus the portal's 2 where LINE has no figure
    lines = {kind: (quantity, amount) for kind, quantity, amount in statement.lines.values_list(
        "kind", "quantity", "amount"
    )}  # fmt: skip
    assert lines[LineKind.PNP] == (10, Decimal("2.0000"))
    assert lines[LineKind.PNP_TEMPLATE] == (5, Decimal("1.0000"))
    template_line = statement.lines.get(kind=LineKind.PNP_TEMPLATE)
    assert template_line.description.startswith("PNP template delivered (LINE's count per JST day)")


@pytest.mark.django_db
def test_a_template_pnp_delivered_after_close_goes_to_its_own_adjustment_line(
    brand: Brand, finance: User, finance2: User
) -> None:
    from tests.billing.test_services import close

    # given January closed with 2 template PNP (LINE has no template figure: the portal's count billed)
    deliver(brand, taipei("2026-01-20 10:00"), 2, templated=True)
    january = close(statement_generate(brand=brand, month=date(2026, 1, 1), actor=finance), finance, finance2)
    assert january.lines.get(kind=LineKind.PNP_TEMPLATE).quantity == 2
    # when one more template PNP sent on 20 January is reported after the close
    deliver(brand, taipei("2026-01-20 18:00"), 1, templated=True)
    february = statement_generate(brand=brand, month=date(2026, 2, 1), actor=finance)
    # then February carries it on a template adjustment line, apart from flexible PNP
    adjustment = february.lines.get(kind=LineKind.ADJUSTMENT_PNP_TEMPLATE)
    assert (adjustment.quantity, adjustment.amount, adjustment.adjusts) == (1, Decimal("0.2000"), january)
    assert not february.lines.filter(kind=LineKind.ADJUSTMENT_PNP).exists()


@pytest.mark.django_db
def test_the_refetch_button_asks_line_for_the_template_count_of_a_month_with_template_pnp(
    brand: Brand, sandbox: SandboxProcess, finance: User
) -> None:
    from billing.services import line_counts_refetch_month

    # given a template PNP sent on 10 January (JST), per LINE and per the portal, and no row yet
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-10T12:00:00+09:00"})
    pnp_send(sandbox, brand, "billing-template-0003", templated=True)
    deliver(brand, taipei("2026-01-10 11:00"), 1, templated=True)
    sandbox.admin("/sandbox/clock/set", {"now": "2026-01-12T09:00:00+09:00"})
    # when finance re-fetches January on the 12th (JST): the 1st to the 11th, for each kind
    asked = line_counts_refetch_month(
        brand=brand, month=date(2026, 1, 1), actor=finance, now=taipei("2026-01-12 09:00")
    )
    # then LINE's template count of the 10th is stored beside the flexible one
    assert len(asked) == 22
    row = LineDailyCount.objects.get(brand=brand, jst_date=date(2026, 1, 10), kind=PnpKind.TEMPLATE)
    assert (row.status, row.success) == ("ready", 1)
