"""From statement to invoice: billing profile, 5 % tax, the month-end rule, LINE's invoice three ways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import translation

from billing.choices import ExplanationReason, InvoiceDifferenceReason, StatementStatus
from billing.exceptions import (
    BillingProfileMissingError,
    InvoiceDifferenceError,
    LineCountsUnsettledError,
    MonthNotEndedError,
)
from billing.invoicing import (
    billing_profile_save,
    business_tax,
    line_invoice_record,
    statement_invoice_explain,
    three_way,
)
from billing.models import BillingProfile, LineInvoice, Statement, UnitPrice
from billing.services import reconciliation_explain, statement_confirm, statement_finalise, statement_generate
from portal.models import AuditEvent, Brand
from tests.billing.conftest import taipei

JAN = date(2026, 1, 1)
MAR = date(2026, 3, 1)


def profile(brand: Brand, **fields: str) -> BillingProfile:
    values = {
        "legal_name": "Acme Shop Co., Ltd.",
        "tax_id": "04595257",
        "address": "No. 7, Xinyi Road, Taipei",
        "contact_email": "billing@acme.example",
    }
    values.update(fields)
    return billing_profile_save(brand=brand, actor="test", **values)


def invoice(brand: Brand, actor: User, month: date = JAN, **fields: object) -> LineInvoice:
    values: dict[str, object] = {
        "invoice_number": "AB12345678",
        "invoice_date": date(month.year, month.month + 1, 3),
        "net": Decimal("10"),
        "tax": Decimal("1"),
        "gross": Decimal("11"),
        "message_count": 50,
    }
    values.update(fields)
    return line_invoice_record(brand=brand, month=month, actor=actor, **values)  # type: ignore[arg-type]


# --- tax and totals ----------------------------------------------------------------------------------


def test_the_business_tax_rounds_half_up_to_whole_twd() -> None:
    assert business_tax(Decimal("10")) == Decimal("1")  # 0.50 → 1 (half-up, not to even)
    assert business_tax(Decimal("30")) == Decimal("2")  # 1.50 → 2
    assert business_tax(Decimal("29")) == Decimal("1")  # 1.45 → 1
    assert business_tax(Decimal("49")) == Decimal("2")  # 2.45 → 2
    assert business_tax(Decimal("0")) == Decimal("0")


def test_a_statement_of_exactly_half_a_dollar_of_tax_rounds_up(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: 50 PNP on 5 January, LINE counts 50
    deliver(brand, taipei("2026-01-05 12:00"), 50)
    line_says(brand, date(2026, 1, 5), "ready", 50)

    statement = statement_generate(brand=brand, month=JAN, actor=finance)

    # then: 50 × 0.2 = 10.0000 net; 5 % = 0.50 → 1; gross 11
    statement.refresh_from_db()
    assert (statement.subtotal, statement.total, statement.tax, statement.gross) == (
        Decimal("10.0000"),
        Decimal("10"),
        Decimal("1"),
        Decimal("11"),
    )


def test_a_month_with_a_price_change_is_taxed_on_its_rounded_net(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: 0.2 until 15 March, 0.25 from 16 March; LINE counts 101 on the 10th and 61 on the 20th
    UnitPrice.objects.filter(channel="pnp", effective_to__isnull=True).update(effective_to=date(2026, 3, 15))
    UnitPrice.objects.create(channel="pnp", price=Decimal("0.25"), effective_from=date(2026, 3, 16))
    deliver(brand, taipei("2026-03-10 12:00"), 101)
    deliver(brand, taipei("2026-03-20 12:00"), 61)
    line_says(brand, date(2026, 3, 10), "ready", 101)
    line_says(brand, date(2026, 3, 20), "ready", 61)

    statement = statement_generate(brand=brand, month=MAR, actor=finance)

    # then: 101 × 0.2 = 20.2000 and 61 × 0.25 = 15.2500; sum 35.4500 → net 35 (half-up at the dollar)
    # tax 35 × 5 % = 1.75 → 2; gross 37
    amounts = list(statement.lines.filter(kind="pnp").values_list("amount", flat=True))
    assert amounts == [Decimal("20.2000"), Decimal("15.2500")]
    assert (statement.subtotal, statement.total, statement.tax, statement.gross) == (
        Decimal("35.4500"),
        Decimal("35"),
        Decimal("2"),
        Decimal("37"),
    )


# --- the billing profile ---------------------------------------------------------------------------------


def test_a_billing_profile_is_saved_and_audited_and_an_invalid_tax_id_saves_nothing(brand: Brand) -> None:
    with pytest.raises(ValidationError) as refused:
        profile(brand, tax_id="04595258")  # digit sums 41: fails the check rule
    assert set(refused.value.message_dict) == {"tax_id"}
    assert not BillingProfile.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="billing.billing_profile").exists()

    saved = profile(brand)
    profile(brand, address="No. 8, Xinyi Road, Taipei")
    profile(brand, address="No. 8, Xinyi Road, Taipei")  # nothing changed: no audit row

    events = list(
        AuditEvent.objects.filter(action__startswith="billing.billing_profile")
        .order_by("id")
        .values_list("action", "data")
    )
    assert [action for action, _ in events] == ["billing.billing_profile_created", "billing.billing_profile_changed"]
    assert events[1][1]["fields"] == ["address"]
    saved.refresh_from_db()
    assert saved.address == "No. 8, Xinyi Road, Taipei"


def test_a_bad_email_is_refused_on_its_field_and_leaves_the_profile_as_it_was(brand: Brand) -> None:
    profile(brand)
    with pytest.raises(ValidationError) as refused:
        profile(brand, tax_id="10458575", contact_email="not-an-address")
    assert set(refused.value.message_dict) == {"contact_email"}
    assert BillingProfile.objects.get(brand=brand).tax_id == "04595257"


# --- finalise: profile, month end, LINE's settled counts -------------------------------------------------


def test_finalising_needs_the_billing_profile(brand: Brand, finance: User) -> None:
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    with translation.override("en"), pytest.raises(BillingProfileMissingError) as refused:
        statement_finalise(statement=statement, actor=finance)
    assert refused.value.field == "billing_profile"
    assert "Acme Shop has no billing profile" in str(refused.value)
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.DRAFT


def test_finalising_is_refused_before_the_taiwan_month_has_ended(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: a month whose every delivered day LINE has settled
    profile(brand)
    deliver(brand, taipei("2026-01-05 12:00"), 5)
    line_says(brand, date(2026, 1, 5), "ready", 5)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)

    # when: one minute before midnight Taiwan time on 31 January (already 1 February in JST)
    with translation.override("en"), pytest.raises(MonthNotEndedError) as refused:
        statement_finalise(statement=statement, actor=finance, now=taipei("2026-01-31 23:59"))

    # then: refused, naming the end of the month; at midnight Taiwan time it goes through
    assert refused.value.field == "month"
    assert "2026-02-01 00:00 Taiwan time" in str(refused.value)
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.DRAFT
    statement_finalise(statement=statement, actor=finance, now=taipei("2026-02-01 00:00"))
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.FINALISED


def test_finalising_waits_for_lines_settled_count_of_every_day_that_needs_one(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    # given: PNP on the 5th (LINE ready) and the 6th (LINE not aggregated yet), and the 7th asked and failed
    profile(brand)
    deliver(brand, taipei("2026-01-05 12:00"), 5)
    deliver(brand, taipei("2026-01-06 12:00"), 4)
    line_says(brand, date(2026, 1, 5), "ready", 5)
    line_says(brand, date(2026, 1, 6), "unready")
    line_says(brand, date(2026, 1, 7), "error")
    statement = statement_generate(brand=brand, month=JAN, actor=finance)

    with translation.override("en"), pytest.raises(LineCountsUnsettledError) as refused:
        statement_finalise(statement=statement, actor=finance)

    assert refused.value.field == "line_counts"
    assert "2026-01-06, 2026-01-07" in str(refused.value) and "2026-01-05" not in str(refused.value)
    # once LINE answers (the 6th withheld for privacy, the 7th ready with 0) the month can close
    line_says(brand, date(2026, 1, 6), "unavailable_for_privacy")
    line_says(brand, date(2026, 1, 7), "ready", 0)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    day = statement.reconciliation.get(jst_date=date(2026, 1, 6))
    reconciliation_explain(day=day, reason=ExplanationReason.LINE_FIGURE_MISSING, note="fewer than 20", actor=finance)
    statement_finalise(statement=statement, actor=finance)
    statement.refresh_from_db()
    # the buyer is frozen on the statement as the profile read at finalise
    assert (statement.status, statement.buyer_tax_id, statement.buyer_legal_name) == (
        StatementStatus.FINALISED,
        "04595257",
        "Acme Shop Co., Ltd.",
    )


# --- LINE's invoice -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"gross": Decimal("12")}, "gross"),  # 10 + 1 ≠ 12
        ({"net": Decimal("-10"), "gross": Decimal("-9")}, "net"),
        ({"invoice_date": date(2025, 12, 31)}, "invoice_date"),  # before January
        ({"invoice_date": date(2026, 3, 1)}, "invoice_date"),  # after February
        ({"invoice_number": "12345678"}, "invoice_number"),
        ({"message_count": -1}, "message_count"),
    ],
)
def test_a_line_invoice_with_a_bad_figure_is_refused_on_its_field_and_nothing_is_saved(
    brand: Brand, finance: User, fields: dict[str, object], field: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        invoice(brand, finance, **fields)
    assert field in refused.value.message_dict
    assert not LineInvoice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="billing.line_invoice").exists()


def test_net_plus_tax_not_gross_names_the_sum(brand: Brand, finance: User) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        invoice(brand, finance, gross=Decimal("12"))
    assert refused.value.message_dict["gross"] == [
        "Net 10 + tax 1 = 11, not the gross 12: check the three figures on LINE's invoice."
    ]


def test_lines_invoice_differing_from_the_statement_needs_a_coded_explanation_before_confirm(
    brand: Brand,
    finance: User,
    finance2: User,
    deliver: Callable[..., None],
    line_says: Callable[..., object],
) -> None:
    # given: 162 PNP on 10 January, LINE's daily count 162 → 162 × 0.2 = 32.4000 → net 32, tax 1.60 → 2
    profile(brand)
    deliver(brand, taipei("2026-01-10 12:00"), 162)
    line_says(brand, date(2026, 1, 10), "ready", 162)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    statement_finalise(statement=statement, actor=finance)
    # no invoice from LINE yet: confirm is refused
    with translation.override("en"), pytest.raises(InvoiceDifferenceError) as refused:
        statement_confirm(statement=statement, actor=finance2)
    assert (refused.value.code, refused.value.field) == ("line_invoice_missing", "line_invoice")

    # when: LINE invoices 165 messages, net 33, tax 2, gross 35
    invoice(brand, finance, net=Decimal("33"), tax=Decimal("2"), gross=Decimal("35"), message_count=165)

    # then: three ways: portal 162, LINE's daily 162, invoice 165 → +3 messages, net +1, tax 0
    comparison = three_way(statement)
    assert (comparison.portal_count, comparison.line_daily_count, comparison.billed_count) == (162, 162, 162)
    assert (comparison.pnp_net, comparison.pnp_tax) == (Decimal("32"), Decimal("2"))
    assert (comparison.count_difference, comparison.net_difference, comparison.tax_difference) == (
        3,
        Decimal("1"),
        Decimal("0"),
    )
    with translation.override("en"), pytest.raises(InvoiceDifferenceError) as refused:
        statement_confirm(statement=statement, actor=finance2)
    assert refused.value.field == "invoice_reason"
    assert "messages +3, net +1 TWD, tax +0 TWD" in str(refused.value)

    statement_invoice_explain(
        statement=statement,
        reason=InvoiceDifferenceReason.MONTH_BOUNDARY,
        note="LINE counted 3 messages of 1 February JST in January",
        actor=finance,
    )
    confirmed = statement_confirm(statement=statement, actor=finance2)
    assert confirmed.status == StatementStatus.CONFIRMED
    event = AuditEvent.objects.get(action="billing.invoice_difference_explained")
    assert (event.data["reason"], event.data["count_difference"], event.data["net_difference"]) == (
        "month_boundary",
        3,
        "1",
    )
    # the invoice of a confirmed month can no longer change
    with pytest.raises(Exception) as frozen:
        invoice(brand, finance, net=Decimal("32"), tax=Decimal("2"), gross=Decimal("34"))
    assert getattr(frozen.value, "field", "") == "month"
    assert LineInvoice.objects.get(brand=brand).net == Decimal("33")


def test_correcting_lines_invoice_clears_the_explanation_of_the_old_figures(
    brand: Brand, finance: User, deliver: Callable[..., None], line_says: Callable[..., object]
) -> None:
    deliver(brand, taipei("2026-01-10 12:00"), 50)
    line_says(brand, date(2026, 1, 10), "ready", 50)
    statement = statement_generate(brand=brand, month=JAN, actor=finance)
    invoice(brand, finance, net=Decimal("11"), tax=Decimal("1"), gross=Decimal("12"))
    statement_invoice_explain(statement=statement, reason=InvoiceDifferenceReason.OTHER, note="typo?", actor=finance)

    invoice(brand, finance)  # corrected: net 10, tax 1, gross 11, 50 messages: no difference left

    statement.refresh_from_db()
    assert statement.invoice_reason == ""
    assert not three_way(statement).has_invoice_difference
    actions = list(
        AuditEvent.objects.filter(action__startswith="billing.line_invoice")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["billing.line_invoice_recorded", "billing.line_invoice_corrected"]
