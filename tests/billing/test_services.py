"""Statements, reconciliation and month close, with figures computed by hand in each test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone, translation

from billing.choices import ExplanationReason, LineCountStatus, LineKind, PnpKind, StatementStatus
from billing.exceptions import (
    BillingError,
    FourEyesError,
    MissingPriceError,
    StatementFrozenError,
    TransitionNotAllowed,
    UnexplainedDifferencesError,
)
from billing.models import LineDailyCount, Statement, UnitPrice
from billing.services import (
    line_amount,
    reconciliation_explain,
    statement_confirm,
    statement_finalise,
    statement_generate,
    statement_total,
    statement_void,
    statements_generate_month,
)
from notifications.choices import Channel, Metric
from notifications.stats import stat_add
from portal.models import AuditEvent, Brand
from tests.billing.conftest import ready_to_close, taipei

JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)


def explain_all(statement: Statement, actor: User, reason: str = ExplanationReason.LINE_FIGURE_MISSING) -> None:
    for day in statement.reconciliation.filter(flagged=True, reason=""):
        reconciliation_explain(day=day, reason=reason, note="checked against the delivery log", actor=actor)


def close(statement: Statement, first: User, second: User) -> Statement:
    ready_to_close(statement, first)
    explain_all(statement, first)
    statement_finalise(statement=statement, actor=first)
    return statement_confirm(statement=statement, actor=second)


def test_line_amounts_keep_four_places_and_the_total_rounds_half_up_to_whole_twd() -> None:
    assert line_amount(3, Decimal("0.8333")) == Decimal("2.4999")
    assert statement_total([Decimal("2.2000"), Decimal("2.3000")]) == Decimal("5")  # 4.5 → 5
    assert statement_total([Decimal("2.2000"), Decimal("2.2999")]) == Decimal("4")


def test_the_last_taiwan_hour_of_a_month_is_billed_on_the_next_months_statement(
    brand: Brand, finance: User, deliver: Callable[..., None], send_sms: Callable[..., None], sms_price: Decimal
) -> None:
    # given: deliveries around both edges of January (Taiwan time)
    deliver(brand, taipei("2025-12-31 23:30"), 2)  # JST 2026-01-01 00:30: LINE counts it in January
    deliver(brand, taipei("2026-01-01 00:10"), 3)
    deliver(brand, taipei("2026-01-15 12:00"), 5)
    deliver(brand, taipei("2026-01-31 22:59"), 1)  # JST 23:59: still January 31
    deliver(brand, taipei("2026-01-31 23:30"), 4)  # JST 2026-02-01 00:30: LINE counts it in February
    send_sms(brand, taipei("2026-01-10 09:00"), segments=3, messages=2)

    # when
    january = statement_generate(brand=brand, month=JAN, actor=finance)

    # then: Taiwan month 3 + 5 + 1 + 4 = 13; JST days 2 + 3 + 5 + 1 = 11 = 13 + 2 − 4
    assert january.pnp_delivered_taiwan == 13
    assert january.pnp_delivered_jst == 11
    assert (january.pnp_boundary_in, january.pnp_boundary_out) == (2, 4)
    days = {d.day: d.pnp_delivered for d in january.days.all()}
    assert days[date(2026, 1, 1)] == 3 and days[date(2026, 1, 31)] == 5
    jst = {r.jst_date: r.portal_count for r in january.reconciliation.all()}
    assert jst[date(2026, 1, 1)] == 5 and jst[date(2026, 1, 31)] == 1
    # no LINE figure yet: the portal's JST count is billed, and each such day is flagged
    assert january.pnp_billed == 11
    assert set(january.reconciliation.values_list("line_status", flat=True)) == {""}  # LINE has no row yet
    flagged = set(january.reconciliation.filter(flagged=True).values_list("jst_date", flat=True))
    assert flagged == {date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 31)}
    lines = list(january.lines.values_list("kind", "quantity", "unit_price", "amount"))
    assert lines == [
        (LineKind.PNP, 11, Decimal("0.2000"), Decimal("2.2000")),
        (LineKind.SMS, 3, Decimal("0.8500"), Decimal("2.5500")),
    ]
    assert january.subtotal == Decimal("4.7500")
    assert january.total == Decimal("5")
    assert january.sms_sent == 2
    # the header keeps the SMS price the month was billed at, as saved (not only as computed)
    january.refresh_from_db()
    assert (january.sms_segments, january.sms_price) == (3, sms_price)

    february = statement_generate(brand=brand, month=FEB, actor=finance)
    assert february.pnp_boundary_in == 4
    assert february.pnp_billed == 4
    assert february.pnp_delivered_taiwan == 0


@pytest.mark.parametrize("server_zone", ["UTC", "America/New_York"])
def test_the_months_edges_are_taiwans_whatever_the_servers_time_zone(
    server_zone: str, brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    # given: a delivery in the last Taiwan hour before and in the last Taiwan hour of January
    deliver(brand, taipei("2025-12-31 23:10"), 2)
    deliver(brand, taipei("2026-01-31 23:20"), 3)

    # when: the server runs in another zone (Django sets the process's local time from TIME_ZONE)
    with override_settings(TIME_ZONE=server_zone):
        january = statement_generate(brand=brand, month=JAN, actor=finance)

    # then: both edges are the Taiwan hours 23:00–24:00, not the server's
    assert (january.pnp_boundary_in, january.pnp_boundary_out) == (2, 3)
    assert january.pnp_delivered_taiwan == 3


def test_a_price_change_mid_month_gives_one_line_per_price_period(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: 0.2 until 15 March, 0.25 from 16 March; LINE counted 10 and 7
    UnitPrice.objects.filter(channel="pnp", effective_to__isnull=True).update(effective_to=date(2026, 3, 15))
    UnitPrice.objects.create(channel="pnp", price=Decimal("0.25"), effective_from=date(2026, 3, 16))
    deliver(brand, taipei("2026-03-10 12:00"), 10)
    deliver(brand, taipei("2026-03-20 12:00"), 8)
    line_says(brand, date(2026, 3, 10), "ready", 10)
    line_says(brand, date(2026, 3, 20), "ready", 7)

    # when
    march = statement_generate(brand=brand, month=MAR, actor=finance)

    # then: 10 × 0.2 = 2.0000 and LINE's 7 (not the portal's 8) × 0.25 = 1.7500; 3.75 → 4
    pnp = list(march.lines.filter(kind=LineKind.PNP).values_list("period_start", "period_end", "quantity", "amount"))
    assert pnp == [
        (date(2026, 3, 1), date(2026, 3, 15), 10, Decimal("2.0000")),
        (date(2026, 3, 16), date(2026, 3, 31), 7, Decimal("1.7500")),
    ]
    assert march.pnp_billed == 17
    assert march.total == Decimal("4")
    # each line names its own period, first to last day (in the brand's language)
    descriptions = march.lines.filter(kind=LineKind.PNP).values_list("description", flat=True)
    assert [d[-23:] for d in descriptions] == ["2026-03-01 – 2026-03-15", "2026-03-16 – 2026-03-31"]


def test_a_statement_line_reads_in_the_readers_language_whoever_generated_it(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    deliver(brand, taipei("2026-03-10 12:00"), 3)
    line_says(brand, date(2026, 3, 10), "ready", 3)
    with translation.override("zh-hant"):  # November's button pressed in Chinese
        march = statement_generate(brand=brand, month=MAR, actor=finance)
    line = march.lines.get(kind=LineKind.PNP)
    sms = march.lines.get(kind=LineKind.SMS)

    assert line.description.startswith("PNP 送達")  # as generated
    assert sms.description.startswith("簡訊則數") and str(sms) == sms.description  # as generated, for the history
    with translation.override("en"):
        assert line.display_description == "PNP delivered (LINE's count per JST day) 2026-03-01 – 2026-03-31"
        assert sms.display_description == "SMS segments (Taiwan days) 2026-03-01 – 2026-03-31"
    with translation.override("zh-hant"):
        assert line.display_description == line.description


def test_a_difference_beyond_the_tolerance_is_flagged_and_blocks_finalising(
    brand: Brand,
    finance: User,
    finance2: User,
    deliver: Callable[..., None],
    line_says: Callable[..., object],
    settings: object,
) -> None:
    # given: a tolerance of 2 messages; LINE is 1 below the portal on the 5th and 3 below on the 6th
    settings.BILLING_RECONCILIATION_TOLERANCE = 2  # type: ignore[attr-defined]
    settings.BILLING_RECONCILIATION_TOLERANCE_SHARE = 0.0  # type: ignore[attr-defined]
    deliver(brand, taipei("2026-01-05 12:00"), 100)
    deliver(brand, taipei("2026-01-06 12:00"), 100)
    line_says(brand, date(2026, 1, 5), "ready", 99)
    line_says(brand, date(2026, 1, 6), "ready", 97)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    rows = {r.jst_date: r for r in statement.reconciliation.all()}
    assert (rows[date(2026, 1, 5)].difference, rows[date(2026, 1, 5)].flagged) == (1, False)
    assert (rows[date(2026, 1, 6)].difference, rows[date(2026, 1, 6)].flagged) == (3, True)
    assert statement.pnp_billed == 196  # LINE's figures

    # when / then: finalising is refused until the flagged day is explained
    ready_to_close(statement, finance)
    with pytest.raises(UnexplainedDifferencesError, match="2026-01-06"):
        statement_finalise(statement=statement, actor=finance)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    with pytest.raises(BillingError) as refused:
        reconciliation_explain(
            day=rows[date(2026, 1, 6)], reason=ExplanationReason.LATE_WEBHOOK, note=" ", actor=finance
        )
    assert refused.value.field == "note"
    reconciliation_explain(
        day=rows[date(2026, 1, 6)], reason=ExplanationReason.DUPLICATE_EVENT, note="3 redelivered tags", actor=finance
    )
    # an explanation survives recomputing the draft
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    assert statement.reconciliation.get(jst_date=date(2026, 1, 6)).reason == ExplanationReason.DUPLICATE_EVENT
    statement_finalise(statement=statement, actor=finance)
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.FINALISED


def test_closing_a_month_takes_two_different_finance_users_and_freezes_it(
    brand: Brand, finance: User, finance2: User, manager: User, deliver: Callable[..., None]
) -> None:
    deliver(brand, taipei("2026-01-20 10:00"), 7)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    ready_to_close(statement, finance)
    explain_all(statement, finance)

    with translation.override("en"), pytest.raises(BillingError) as refused:
        statement_finalise(statement=statement, actor=manager)
    assert (refused.value.code, refused.value.field) == ("permission_denied", "actor")
    assert str(refused.value) == "Only finance may close, confirm or void a month."
    statement_finalise(statement=statement, actor=finance)
    with pytest.raises(FourEyesError):
        statement_confirm(statement=statement, actor=finance)
    confirmed = statement_confirm(statement=statement, actor=finance2)

    assert confirmed.status == StatementStatus.CONFIRMED
    assert (confirmed.finalised_by, confirmed.confirmed_by) == (finance, finance2)
    with pytest.raises(StatementFrozenError):
        statement_generate(brand=brand, month=JAN, actor=finance)
    with pytest.raises(StatementFrozenError):
        reconciliation_explain(
            day=statement.reconciliation.first(),
            reason=ExplanationReason.OTHER,
            note="late",
            actor=finance,  # type: ignore[arg-type]
        )
    actions = list(
        AuditEvent.objects.filter(action__startswith="billing.statement_", object_id=str(statement.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "billing.statement_generated",
        "billing.statement_finalised",
        "billing.statement_confirmed",
    ]
    assert AuditEvent.objects.filter(action="billing.difference_explained", object_id=str(statement.pk)).count() == 1


def test_a_delivery_after_close_goes_to_an_adjustment_line_in_the_next_open_month(
    brand: Brand, finance: User, finance2: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: January closed with LINE withholding the 20th for privacy (the portal's 3 billed)
    deliver(brand, taipei("2026-01-20 10:00"), 3)
    line_says(brand, date(2026, 1, 20), "unavailable_for_privacy")
    january = close(statement_generate(brand=brand, month=JAN, actor=finance), finance, finance2)
    assert (january.pnp_billed, january.total) == (3, Decimal("1"))  # 0.6 → 1

    # when: a delivery of 20 January is reported after the close
    deliver(brand, taipei("2026-01-20 18:00"), 1)
    deliver(brand, taipei("2026-02-03 10:00"), 5)
    february = statement_generate(brand=brand, month=FEB, actor=finance)

    # then: January is unchanged; February carries +1 × 0.2
    january.refresh_from_db()
    assert january.pnp_billed == 3
    assert list(january.lines.values_list("quantity", flat=True)) == [3, 0]
    adjustment = february.lines.get(kind=LineKind.ADJUSTMENT_PNP)
    assert (adjustment.quantity, adjustment.amount, adjustment.adjusts) == (1, Decimal("0.2000"), january)
    assert february.subtotal == Decimal("1.2000")  # 5 × 0.2 + 0.2

    # and once February is closed, March does not carry it again
    close(february, finance, finance2)
    march = statement_generate(brand=brand, month=MAR, actor=finance)
    assert not march.lines.filter(kind__in=[LineKind.ADJUSTMENT_PNP, LineKind.ADJUSTMENT_SMS]).exists()


def test_another_brands_open_month_does_not_hold_back_this_brands_adjustment(
    brand: Brand,
    other_brand: Brand,
    finance: User,
    finance2: User,
    deliver: Callable[..., None],
    line_says: Callable[..., object],
) -> None:
    # given: January and February closed; then a late delivery of January
    deliver(brand, taipei("2026-01-20 10:00"), 3)
    line_says(brand, date(2026, 1, 20), "unavailable_for_privacy")
    january = close(statement_generate(brand=brand, month=JAN, actor=finance), finance, finance2)
    close(statement_generate(brand=brand, month=FEB, actor=finance), finance, finance2)
    deliver(brand, taipei("2026-01-20 18:00"), 1)
    # and another brand's February still a draft
    statement_generate(brand=other_brand, month=FEB, actor=finance)

    # when
    march = statement_generate(brand=brand, month=MAR, actor=finance)

    # then: this brand's first open month after January is March, which carries the +1
    adjustment = march.lines.get(kind=LineKind.ADJUSTMENT_PNP)
    assert (adjustment.quantity, adjustment.adjusts) == (1, january)


def test_a_later_delivery_in_a_month_still_in_draft_is_not_carried_into_the_next_month(
    brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    # January is only drafted: a late delivery of January belongs on January's next draft.
    deliver(brand, taipei("2026-01-20 10:00"), 3)
    january = statement_generate(brand=brand, month=JAN, actor=finance)
    deliver(brand, taipei("2026-01-20 18:00"), 1)
    deliver(brand, taipei("2026-02-03 10:00"), 5)
    february = statement_generate(brand=brand, month=FEB, actor=finance)
    assert not february.lines.filter(adjusts__isnull=False).exists()
    assert february.subtotal == Decimal("1.0000")  # 5 × 0.2, nothing of January
    assert statement_generate(brand=brand, month=JAN, actor=finance).pnp_billed == 4
    assert january.version == 1


def test_template_pnp_of_a_day_line_has_no_count_for_is_billed_on_the_portals_count(
    brand: Brand, finance: User
) -> None:
    at = taipei("2026-01-20 10:00")
    stat_add(brand_id=brand.pk, at=at, channel=Channel.PNP, metric=Metric.TEMPLATED_DELIVERED_BY_SEND, n=4)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    line = statement.lines.get(kind=LineKind.PNP_TEMPLATE)
    assert (line.quantity, line.unit_price, line.amount) == (4, Decimal("0.2000"), Decimal("0.8000"))


def test_a_month_line_counted_no_template_pnp_in_shows_its_template_line_at_zero(brand: Brand, finance: User) -> None:
    LineDailyCount.objects.create(
        brand=brand,
        jst_date=date(2026, 1, 20),
        kind=PnpKind.TEMPLATE,
        status=LineCountStatus.READY,
        success=0,
        fetched_at=timezone.now(),
        attempts=1,
    )
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    line = statement.lines.get(kind=LineKind.PNP_TEMPLATE)
    assert (line.quantity, line.unit_price, line.amount) == (0, Decimal(0), Decimal(0))


def test_voiding_keeps_both_versions_and_regenerates_from_current_figures(
    brand: Brand, finance: User, finance2: User, deliver: Callable[..., None]
) -> None:
    deliver(brand, taipei("2026-01-20 10:00"), 3)
    first = close(statement_generate(brand=brand, month=JAN, actor=finance), finance, finance2)
    deliver(brand, taipei("2026-01-21 10:00"), 2)

    with pytest.raises(BillingError) as refused:
        statement_void(statement=first, reason="", actor=finance)
    assert refused.value.field == "reason"
    second = statement_void(statement=first, reason="LINE corrected the 21st", actor=finance2)

    first.refresh_from_db()
    assert (first.status, first.version, first.pnp_billed) == (StatementStatus.VOID, 1, 3)
    assert (second.status, second.version, second.pnp_billed, second.replaces) == (StatementStatus.DRAFT, 2, 5, first)


@pytest.mark.parametrize("kind", ["flexible", "template"])
def test_a_billed_day_without_a_price_names_the_day_and_the_fix(
    kind: str, brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    UnitPrice.objects.filter(channel="pnp").update(effective_from=date(2026, 1, 10))
    if kind == "flexible":
        deliver(brand, taipei("2026-01-05 10:00"), 1)
    else:  # a LINE template's PNP, billed on its own line
        at = taipei("2026-01-05 10:00")
        stat_add(brand_id=brand.pk, at=at, channel=Channel.PNP, metric=Metric.TEMPLATED_DELIVERED_BY_SEND, n=1)
    with translation.override("en"), pytest.raises(MissingPriceError, match=r"2026-01-05.*Unit prices") as refused:
        statement_generate(brand=brand, month=JAN, actor=finance)
    assert (refused.value.code, refused.value.field) == ("missing_price", "unit_price")  # the API's error code
    assert str(refused.value) == "No PNP unit price covers 2026-01-05: add one under Billing › Unit prices."
    assert not Statement.objects.exists()


def test_a_months_drafts_are_made_for_each_active_brand_in_slug_order_and_closed_months_are_skipped(
    brand: Brand, other_brand: Brand, make_brand: Callable[..., Brand], finance: User, finance2: User
) -> None:
    # given: a third active brand, and one no longer active
    make_brand("zeta")
    Brand.objects.filter(pk=make_brand("dormant").pk).update(is_active=False)

    # when the month's drafts are made
    made = statements_generate_month(month=JAN, actor=finance)

    # then: one draft per active brand, by slug, each audited as the actor's
    assert [(s.brand.slug, s.month, s.status) for s in made] == [
        ("acme", JAN, StatementStatus.DRAFT),
        ("globex", JAN, StatementStatus.DRAFT),
        ("zeta", JAN, StatementStatus.DRAFT),
    ]
    generated = AuditEvent.objects.filter(action="billing.statement_generated")
    assert sorted(generated.values_list("actor_label", flat=True)) == ["finance"] * 3

    # a closed month is skipped, not refused, and the others are refreshed
    close(made[0], finance, finance2)
    again = statements_generate_month(month=JAN, actor=finance)
    assert [(s.brand.slug, s.pk) for s in again] == [("globex", made[1].pk), ("zeta", made[2].pk)]

    # only the given brands, when given, and none for an empty list
    assert [s.brand.slug for s in statements_generate_month(month=JAN, actor=finance, brands=[other_brand])] == [
        "globex"
    ]
    assert statements_generate_month(month=JAN, actor=finance, brands=[]) == []


def test_a_move_the_statement_cannot_make_is_refused_on_its_status(brand: Brand, finance: User) -> None:
    draft = statement_generate(brand=brand, month=JAN, actor=finance)
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        statement_confirm(statement=draft, actor=finance)
    assert (refused.value.code, refused.value.field) == ("transition_not_allowed", "status")
    assert str(refused.value) == "A draft statement cannot become confirmed (closed)."
    draft.refresh_from_db()
    assert draft.status == StatementStatus.DRAFT


def test_a_price_corrected_after_close_is_carried_as_an_amount_only_adjustment(
    brand: Brand, finance: User, finance2: User, deliver: Callable[..., None]
) -> None:
    # given: January closed with 3 PNP at 0.2
    deliver(brand, taipei("2026-01-20 10:00"), 3)
    january = close(statement_generate(brand=brand, month=JAN, actor=finance), finance, finance2)
    assert january.lines.get(kind=LineKind.PNP).amount == Decimal("0.6000")

    # when: January's price is corrected to 0.25 after the close
    UnitPrice.objects.filter(channel="pnp").update(price=Decimal("0.25"))
    february = statement_generate(brand=brand, month=FEB, actor=finance)

    # then: February carries the 3 × 0.05 difference, with no quantity and so no unit price
    adjustment = february.lines.get(kind=LineKind.ADJUSTMENT_PNP)
    assert (adjustment.quantity, adjustment.unit_price, adjustment.amount, adjustment.adjusts) == (
        0,
        Decimal("0"),
        Decimal("0.1500"),
        january,
    )


def test_template_pnp_of_a_day_line_has_counted_is_billed_on_lines_count_not_the_portals(
    brand: Brand, finance: User
) -> None:
    # the portal saw 4 template PNP delivered on 20 January; LINE's own count for the day says 7
    stat_add(
        brand_id=brand.pk,
        at=taipei("2026-01-20 10:00"),
        channel=Channel.PNP,
        metric=Metric.TEMPLATED_DELIVERED_BY_SEND,
        n=4,
    )
    LineDailyCount.objects.create(
        brand=brand,
        jst_date=date(2026, 1, 20),
        kind=PnpKind.TEMPLATE,
        status=LineCountStatus.READY,
        success=7,
        fetched_at=timezone.now(),
        attempts=1,
    )
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    line = statement.lines.get(kind=LineKind.PNP_TEMPLATE)
    assert (line.quantity, line.amount) == (7, Decimal("1.4000"))


def test_each_day_of_a_statement_shows_the_line_push_deliveries_beside_the_pnp_it_bills(
    brand: Brand, finance: User, deliver: Callable[..., None]
) -> None:
    # pushes to friends cost the brand nothing here, but the day shows them: they are why a PNP count is low
    deliver(brand, taipei("2026-01-20 10:00"), 2)
    stat_add(brand_id=brand.pk, at=taipei("2026-01-20 11:00"), channel=Channel.LINE_PUSH, metric=Metric.DELIVERED, n=3)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    day = statement.days.get(day=date(2026, 1, 20))
    assert (day.pnp_delivered, day.push_delivered) == (2, 3)
    assert statement.pnp_billed == 2


def test_the_template_pnp_line_is_described_in_the_language_of_whoever_generated_it(
    brand: Brand, finance: User
) -> None:
    for at in ("2026-01-20 10:00", "2026-02-20 10:00"):
        stat_add(brand_id=brand.pk, at=taipei(at), channel=Channel.PNP, metric=Metric.TEMPLATED_DELIVERED_BY_SEND, n=4)
    with translation.override("en"):
        january = statement_generate(brand=brand, month=JAN, actor=finance)
    with translation.override("zh-hant"):
        february = statement_generate(brand=brand, month=FEB, actor=finance)
    # the description names the line's period, in the words of the language it was generated in
    assert (
        january.lines.get(kind=LineKind.PNP_TEMPLATE).description
        == "PNP template delivered (LINE's count per JST day) 2026-01-01 – 2026-01-31"
    )
    assert (
        february.lines.get(kind=LineKind.PNP_TEMPLATE).description
        == "範本 PNP 送達（LINE 每日本時間日計數）2026-02-01 – 2026-02-28"
    )
