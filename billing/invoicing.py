"""From statement to invoice: the buyer's billing profile, the 5 % business tax, LINE's own invoice.

Rounding (a Taiwan invoice is in whole dollars): the statement's net is the sum of its lines
rounded half-up to whole TWD; the business tax is 5 % of the net, rounded half-up to whole TWD
(a tax of 0.50 is 1); the gross is net + tax. Every amount is a ``Decimal``.

LINE's invoice is compared three ways with the statement: the portal's count of the JST days,
LINE's daily counts, and LINE's invoice (its message count, net and tax against the statement's
PNP lines). Any difference needs a coded explanation before the statement is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import (
    BUSINESS_TAX_RATE,
    InvoiceDifferenceReason,
    LineCountStatus,
    LineKind,
    PnpKind,
    StatementStatus,
)
from billing.exceptions import BillingError, StatementFrozenError
from billing.models import BillingProfile, LineDailyCount, LineInvoice, Statement
from billing.periods import JST, TAIWAN, day_start_utc, month_last_day, next_month
from billing.selectors import daily_counts
from notifications.choices import Channel, Metric
from portal.actors import Actor
from portal.models import Brand
from portal.services import audit_record

WHOLE = Decimal("1")
TAX_RATE = Decimal(BUSINESS_TAX_RATE)
PNP_KINDS = (LineKind.PNP, LineKind.PNP_TEMPLATE)


def business_tax(net: Decimal) -> Decimal:
    """Return the 5 % business tax of a whole-TWD net, rounded half-up to whole TWD."""
    return (net * TAX_RATE).quantize(WHOLE, rounding=ROUND_HALF_UP)


# --- The buyer's billing profile -------------------------------------------------------------------

PROFILE_FIELDS = ("legal_name", "tax_id", "address", "contact_email")


@transaction.atomic
def billing_profile_save(
    *, brand: Brand, actor: Actor, legal_name: str, tax_id: str, address: str, contact_email: str
) -> BillingProfile:
    """Create or change a brand's billing profile; refused whole (``ValidationError`` by field) when one is bad."""
    profile = BillingProfile.objects.select_for_update().filter(brand=brand).first()
    created = profile is None
    if profile is None:
        profile = BillingProfile(brand=brand)
    values = {
        "legal_name": legal_name.strip(),
        "tax_id": tax_id.strip(),
        "address": address.strip(),
        "contact_email": contact_email.strip(),
    }
    changed = [name for name in PROFILE_FIELDS if getattr(profile, name) != values[name]]
    if not changed and not created:
        return profile
    for name, value in values.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    audit_record(
        action="billing.billing_profile_created" if created else "billing.billing_profile_changed",
        actor=actor,
        obj=profile,
        brand=brand,
        data={"fields": changed, "tax_id": profile.tax_id, "legal_name": profile.legal_name},
    )
    return profile


# --- LINE's invoice --------------------------------------------------------------------------------


def _current_statement(brand: Brand, month: date) -> Statement | None:
    return (
        Statement.objects.select_for_update()
        .filter(brand=brand, month=month)
        .exclude(status=StatementStatus.VOID)
        .first()
    )


@transaction.atomic
def line_invoice_record(
    *,
    brand: Brand,
    month: date,
    invoice_number: str,
    invoice_date: date,
    net: Decimal,
    tax: Decimal,
    gross: Decimal,
    actor: User,
    message_count: int | None = None,
) -> LineInvoice:
    """Record (or correct) LINE's invoice for a brand's month; refused whole when a figure is wrong.

    A correction clears the statement's explanation of a difference (it explained other figures);
    the invoice of a confirmed month can no longer change: void the statement first.
    """
    month = month.replace(day=1)
    statement = _current_statement(brand, month)
    if statement is not None and statement.status == StatementStatus.CONFIRMED:
        raise StatementFrozenError(
            _("%(statement)s is confirmed: void it with a reason before LINE's invoice can change.")
            % {"statement": statement},
            code="statement_frozen",
            field="month",
        )
    invoice = LineInvoice.objects.select_for_update().filter(brand=brand, month=month).first()
    created = invoice is None
    if invoice is None:
        invoice = LineInvoice(brand=brand, month=month)
    invoice.invoice_number = invoice_number.strip().upper().replace("-", "")
    invoice.invoice_date = invoice_date
    invoice.net, invoice.tax, invoice.gross = net, tax, gross
    invoice.message_count = message_count
    invoice.recorded_by, invoice.recorded_at = actor, timezone.now()
    invoice.full_clean()
    invoice.save()
    if statement is not None and statement.invoice_reason:
        statement.invoice_reason, statement.invoice_note = "", ""
        statement.invoice_explained_by, statement.invoice_explained_at = None, None
        statement.save(update_fields=["invoice_reason", "invoice_note", "invoice_explained_by", "invoice_explained_at"])
    audit_record(
        action="billing.line_invoice_recorded" if created else "billing.line_invoice_corrected",
        actor=actor,
        obj=invoice,
        brand=brand,
        data={
            "month": f"{month:%Y-%m}",
            "invoice_number": invoice.invoice_number,
            "invoice_date": invoice.invoice_date.isoformat(),
            "net": str(invoice.net),
            "tax": str(invoice.tax),
            "gross": str(invoice.gross),
            "message_count": invoice.message_count,
        },
    )
    return invoice


# --- The three-way comparison ----------------------------------------------------------------------


@dataclass
class ThreeWay:
    """The statement's PNP against LINE's daily counts and LINE's invoice, for one brand and month."""

    portal_count: int
    line_daily_count: int
    line_days_missing: int
    billed_count: int
    pnp_net: Decimal
    pnp_tax: Decimal
    invoice: LineInvoice | None

    @property
    def count_difference(self) -> int | None:
        """LINE's invoiced messages − the statement's billed PNP (when LINE states a count)."""
        if self.invoice is None or self.invoice.message_count is None:
            return None
        return self.invoice.message_count - self.billed_count

    @property
    def net_difference(self) -> Decimal | None:
        return None if self.invoice is None else self.invoice.net - self.pnp_net

    @property
    def tax_difference(self) -> Decimal | None:
        return None if self.invoice is None else self.invoice.tax - self.pnp_tax

    @property
    def portal_difference(self) -> int:
        """The portal's count − LINE's daily counts (the per-day table explains each day)."""
        return self.portal_count - self.line_daily_count

    @property
    def has_invoice_difference(self) -> bool:
        return bool(self.count_difference or self.net_difference or self.tax_difference)


def three_way(statement: Statement) -> ThreeWay:
    """Compare a statement's PNP with LINE's daily counts and LINE's invoice (read, nothing saved)."""
    first, last = statement.month, month_last_day(statement.month)
    template = daily_counts(
        first=first,
        last=last,
        zone=JST,
        metrics=(Metric.TEMPLATED_DELIVERED_BY_SEND,),
        brand_ids=[statement.brand_id],
        channels=(Channel.PNP,),
    )
    portal = sum(statement.reconciliation.values_list("portal_count", flat=True)) + sum(template.values())
    ready = LineDailyCount.objects.filter(
        brand_id=statement.brand_id,
        jst_date__range=(first, last),
        status=LineCountStatus.READY,
        success__isnull=False,
    )
    line_daily = ready.aggregate(n=Sum("success"))["n"] or 0
    missing = statement.reconciliation.filter(line_count__isnull=True, portal_count__gt=0).count()
    pnp_lines = statement.lines.filter(kind__in=PNP_KINDS).aggregate(q=Sum("quantity"), a=Sum("amount"))
    pnp_net = (pnp_lines["a"] or Decimal(0)).quantize(WHOLE, rounding=ROUND_HALF_UP)
    return ThreeWay(
        portal_count=portal,
        line_daily_count=line_daily,
        line_days_missing=missing,
        billed_count=pnp_lines["q"] or 0,
        pnp_net=pnp_net,
        pnp_tax=business_tax(pnp_net),
        invoice=LineInvoice.objects.filter(brand_id=statement.brand_id, month=statement.month).first(),
    )


@transaction.atomic
def statement_invoice_explain(*, statement: Statement, reason: str, note: str, actor: User) -> Statement:
    """Record why LINE's invoice differs from the statement (before it is confirmed)."""
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    if statement.status not in (StatementStatus.DRAFT, StatementStatus.FINALISED):
        raise StatementFrozenError(
            _("The statement is %(status)s; the explanation of LINE's invoice can no longer change.")
            % {"status": statement.get_status_display()},
            code="statement_frozen",
            field="invoice_reason",
        )
    if reason not in InvoiceDifferenceReason.values:
        raise BillingError(
            _("Choose a reason from the list (%(choices)s).") % {"choices": ", ".join(InvoiceDifferenceReason.values)},
            code="reason_invalid",
            field="invoice_reason",
        )
    if not note.strip():
        raise BillingError(
            _("Write a note saying why LINE's invoice differs."), code="note_missing", field="invoice_note"
        )
    comparison = three_way(statement)
    statement.invoice_reason, statement.invoice_note = reason, note.strip()[:500]
    statement.invoice_explained_by, statement.invoice_explained_at = actor, timezone.now()
    statement.save(update_fields=["invoice_reason", "invoice_note", "invoice_explained_by", "invoice_explained_at"])
    audit_record(
        action="billing.invoice_difference_explained",
        actor=actor,
        obj=statement,
        data={
            "reason": reason,
            "note": statement.invoice_note,
            "count_difference": comparison.count_difference,
            "net_difference": None if comparison.net_difference is None else str(comparison.net_difference),
            "tax_difference": None if comparison.tax_difference is None else str(comparison.tax_difference),
        },
    )
    return statement


# --- The month-end rule ----------------------------------------------------------------------------


def month_end_utc(month: date) -> datetime:
    """Return the instant a Taiwan calendar month ends (00:00 Taiwan time on the next month's first day)."""
    return day_start_utc(next_month(month), TAIWAN)


def unsettled_line_counts(statement: Statement) -> list[tuple[date, str]]:
    """The (JST day, PNP kind) pairs of the month whose LINE count is needed and not settled yet.

    A day needs LINE's settled count of a kind when the portal delivered PNP of that kind on it,
    or when LINE was already asked about it: every stored answer must be a final one. A day with
    no PNP that LINE was never asked about needs none (the daily job asks only about active
    brands; LINE's invoice, compared three ways, still covers the whole month).
    """
    first, last = statement.month, month_last_day(statement.month)
    rows = list(LineDailyCount.objects.filter(brand_id=statement.brand_id, jst_date__range=(first, last)))
    settled = {(row.jst_date, str(row.kind)) for row in rows if row.is_settled}
    needed = {(row.jst_date, str(row.kind)) for row in rows}
    needed |= {
        (day, str(PnpKind.FLEXIBLE))
        for day in statement.reconciliation.filter(portal_count__gt=0).values_list("jst_date", flat=True)
    }
    template = daily_counts(
        first=first,
        last=last,
        zone=JST,
        metrics=(Metric.TEMPLATED_DELIVERED_BY_SEND,),
        brand_ids=[statement.brand_id],
        channels=(Channel.PNP,),
    )
    needed |= {(day, str(PnpKind.TEMPLATE)) for (_brand, day, _channel, _metric) in template}
    return sorted(needed - settled)


def unsettled_line_days(statement: Statement) -> list[date]:
    """The JST days of the month still waiting for LINE's settled count (see ``unsettled_line_counts``)."""
    return sorted({day for day, _kind in unsettled_line_counts(statement)})


def profile_of(brand: Brand) -> BillingProfile | None:
    return BillingProfile.objects.filter(brand=brand).first()
