"""Billing workflows: compute statements from rollups, reconcile with LINE, close a month with four eyes.

Rounding: every line amount is ``quantity × unit price`` kept to 4 decimal places (half-up);
the statement total (the net) is the sum of its lines rounded half-up to whole TWD; the 5 %
business tax is the net × 5 % rounded half-up to whole TWD (``billing.invoicing``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import (
    CLOSED_STATUSES,
    ExplanationReason,
    LineCountStatus,
    LineKind,
    PnpKind,
    StatementStatus,
)
from billing.exceptions import (
    BillingError,
    BillingProfileMissingError,
    FourEyesError,
    InvoiceDifferenceError,
    LineCountsUnsettledError,
    MissingPriceError,
    MonthNotEndedError,
    StatementFrozenError,
    TransitionNotAllowed,
    UnexplainedDifferencesError,
)
from billing.invoicing import business_tax, month_end_utc, profile_of, three_way, unsettled_line_days
from billing.models import LineDailyCount, ReconciliationDay, Statement, StatementDay, StatementLine, UnitPrice
from billing.periods import JST, TAIWAN, day_start_utc, days, jst_today, month_last_day
from billing.selectors import daily_counts, hour_count, price_table, sms_prices
from integrations import line as line_client
from notifications.choices import Channel, Metric
from notifications.models import DeliveryStat
from portal.actors import Actor
from portal.models import Brand
from portal.services import audit_record
from portal.text import storable

logger = logging.getLogger(__name__)

LINE_PLACES = Decimal("0.0001")
TOTAL_PLACES = Decimal("1")

# Allowed status moves (anything else raises TransitionNotAllowed).
TRANSITIONS: dict[str, set[str]] = {
    StatementStatus.DRAFT: {StatementStatus.FINALISED},
    StatementStatus.FINALISED: {StatementStatus.CONFIRMED, StatementStatus.VOID},
    StatementStatus.CONFIRMED: {StatementStatus.VOID},
    StatementStatus.VOID: set(),
}


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """Return a line's amount: quantity × price, half-up to 4 decimal places."""
    return (Decimal(quantity) * unit_price).quantize(LINE_PLACES, rounding=ROUND_HALF_UP)


def statement_total(amounts: list[Decimal]) -> Decimal:
    """Return a statement's total: the sum of its lines, half-up to whole TWD."""
    return sum(amounts, Decimal(0)).quantize(TOTAL_PLACES, rounding=ROUND_HALF_UP)


def difference_flagged(*, portal: int, line: int) -> bool:
    """Is the gap between the portal's and LINE's count beyond the tolerance (settings)?"""
    tolerance = max(settings.BILLING_RECONCILIATION_TOLERANCE, settings.BILLING_RECONCILIATION_TOLERANCE_SHARE * line)
    return abs(portal - line) > tolerance


def _move(statement: Statement, to: str) -> None:
    if to not in TRANSITIONS[statement.status]:
        raise TransitionNotAllowed(
            _("A %(status)s statement cannot become %(to)s.")
            % {"status": statement.get_status_display(), "to": StatementStatus(to).label},
            code="transition_not_allowed",
            field="status",
        )
    statement.status = to


def _require_finance(actor: User) -> None:
    if not actor.has_perm("billing.close_statement"):
        raise BillingError(
            _("Only finance may close, confirm or void a month."), code="permission_denied", field="actor"
        )


# --- Computing a statement ----------------------------------------------------------------------------


@dataclass
class ComputedStatement:
    """A statement's figures as the rollups and LINE's counts give them now (nothing saved)."""

    header: dict[str, Any]
    days: list[StatementDay]
    reconciliation: list[ReconciliationDay]
    lines: list[StatementLine] = field(default_factory=list)

    def amount_of(self, kind: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind == kind), Decimal(0))

    def quantity_of(self, kind: str) -> int:
        return sum(line.quantity for line in self.lines if line.kind == kind)


def statement_compute(*, brand: Brand, month: date) -> ComputedStatement:
    """Compute a brand's month from the hourly rollups and the stored LINE counts."""
    first, last = month, month_last_day(month)
    taiwan = daily_counts(
        first=first,
        last=last,
        zone=TAIWAN,
        metrics=(Metric.DELIVERED, Metric.SENT, Metric.SMS_SEGMENTS),
        brand_ids=[brand.pk],
        channels=(Channel.PNP, Channel.LINE_PUSH, Channel.SMS),
    )
    # LINE counts a PNP on the JST day it was sent (docs/billing.md): the portal's side likewise.
    jst = daily_counts(
        first=first,
        last=last,
        zone=JST,
        metrics=(Metric.DELIVERED_BY_SEND, Metric.TEMPLATED_DELIVERED_BY_SEND),
        brand_ids=[brand.pk],
        channels=(Channel.PNP,),
    )
    hour = timedelta(hours=1)
    boundary_in = hour_count(
        brand_id=brand.pk,
        start_hour_utc=day_start_utc(first, TAIWAN) - hour,
        channel=Channel.PNP,
        metric=Metric.DELIVERED,
    )
    boundary_out = hour_count(
        brand_id=brand.pk,
        start_hour_utc=day_start_utc(last + timedelta(days=1), TAIWAN) - hour,
        channel=Channel.PNP,
        metric=Metric.DELIVERED,
    )
    prices = price_table(channel=Channel.PNP, first=first, last=last)
    sms_price = sms_prices([brand.pk])[brand.pk]

    def count(table: dict[tuple[int, date, str, str], int], day: date, channel: str, metric: str) -> int:
        return table.get((brand.pk, day, channel, metric), 0)

    day_rows = []
    for day in days(first, last):
        pnp = count(taiwan, day, Channel.PNP, Metric.DELIVERED)
        segments = count(taiwan, day, Channel.SMS, Metric.SMS_SEGMENTS)
        price = prices.on(day)
        day_rows.append(
            StatementDay(
                day=day,
                pnp_delivered=pnp,
                push_delivered=count(taiwan, day, Channel.LINE_PUSH, Metric.DELIVERED),
                sms_sent=count(taiwan, day, Channel.SMS, Metric.SENT),
                sms_segments=segments,
                pnp_amount=line_amount(pnp, price.price if price else Decimal(0)),
                sms_amount=line_amount(segments, sms_price),
            )
        )
    stored_counts = LineDailyCount.objects.filter(brand=brand, jst_date__range=(first, last))
    line_counts = {c.jst_date: c for c in stored_counts if c.kind == PnpKind.FLEXIBLE}
    template_counts = {c.jst_date: c for c in stored_counts if c.kind == PnpKind.TEMPLATE}
    reconciliation = []
    for day in days(first, last):
        portal = count(jst, day, Channel.PNP, Metric.DELIVERED_BY_SEND)
        stored = line_counts.get(day)
        price = prices.on(day)
        if stored is not None and stored.status == LineCountStatus.READY and stored.success is not None:
            line, billed, difference = stored.success, stored.success, portal - stored.success
            flagged = difference_flagged(portal=portal, line=stored.success)
        else:
            # No LINE figure: the portal's count is billed, and a day with deliveries needs a word.
            line, billed, difference, flagged = None, portal, None, portal > 0
        if price is None and billed:
            raise MissingPriceError(
                _("No PNP unit price covers %(day)s: add one under Billing › Unit prices.") % {"day": day},
                code="missing_price",
                field="unit_price",
            )
        reconciliation.append(
            ReconciliationDay(
                jst_date=day,
                portal_count=portal,
                line_status=stored.status if stored else "",
                line_count=line,
                billed_count=billed,
                unit_price=price.price if price else Decimal(0),
                difference=difference,
                flagged=flagged,
            )
        )
    computed = ComputedStatement(
        header={
            "pnp_delivered_taiwan": sum(d.pnp_delivered for d in day_rows),
            "pnp_delivered_jst": sum(r.portal_count for r in reconciliation),
            "pnp_boundary_in": boundary_in,
            "pnp_boundary_out": boundary_out,
            "pnp_billed": sum(r.billed_count for r in reconciliation),
            "sms_sent": sum(d.sms_sent for d in day_rows),
            "sms_segments": sum(d.sms_segments for d in day_rows),
            "sms_price": sms_price,
        },
        days=day_rows,
        reconciliation=reconciliation,
    )
    # One PNP line per price period (consecutive JST days at the same price).
    periods: list[list[ReconciliationDay]] = []
    for row in reconciliation:
        if periods and periods[-1][-1].unit_price == row.unit_price:
            periods[-1].append(row)
        else:
            periods.append([row])
    for period in periods:
        quantity = sum(r.billed_count for r in period)
        computed.lines.append(
            StatementLine(
                kind=LineKind.PNP,
                description=_("PNP delivered (LINE's count per JST day) %(first)s – %(last)s")
                % {"first": period[0].jst_date, "last": period[-1].jst_date},
                period_start=period[0].jst_date,
                period_end=period[-1].jst_date,
                quantity=quantity,
                unit_price=period[0].unit_price,
                amount=line_amount(quantity, period[0].unit_price),
            )
        )
    # Template PNP: LINE's own count per JST day (the portal's where LINE has none), its own line.
    template_quantity, template_amount = 0, Decimal(0)
    for day in days(first, last):
        portal = count(jst, day, Channel.PNP, Metric.TEMPLATED_DELIVERED_BY_SEND)
        stored = template_counts.get(day)
        ready = stored is not None and stored.status == LineCountStatus.READY and stored.success is not None
        billed = stored.success if ready and stored is not None and stored.success is not None else portal
        price = prices.on(day)
        if price is None and billed:
            raise MissingPriceError(
                _("No PNP unit price covers %(day)s: add one under Billing › Unit prices.") % {"day": day},
                code="missing_price",
                field="unit_price",
            )
        template_quantity += billed
        template_amount += line_amount(billed, price.price if price else Decimal(0))
    if template_quantity or template_counts:
        computed.lines.append(
            StatementLine(
                kind=LineKind.PNP_TEMPLATE,
                description=_("PNP template delivered (LINE's count per JST day) %(first)s – %(last)s")
                % {"first": first, "last": last},
                period_start=first,
                period_end=last,
                quantity=template_quantity,
                unit_price=(template_amount / template_quantity).quantize(LINE_PLACES, ROUND_HALF_UP)
                if template_quantity
                else Decimal(0),
                amount=template_amount,
            )
        )
    segments = computed.header["sms_segments"]
    computed.lines.append(
        StatementLine(
            kind=LineKind.SMS,
            description=_("SMS segments (Taiwan days) %(first)s – %(last)s") % {"first": first, "last": last},
            period_start=first,
            period_end=last,
            quantity=segments,
            unit_price=sms_price,
            amount=line_amount(segments, sms_price),
        )
    )
    return computed


# Each billed kind of line, and the kind of the line that carries a later change to a closed month.
_ADJUSTED_KINDS = (
    (LineKind.PNP, LineKind.ADJUSTMENT_PNP),
    (LineKind.PNP_TEMPLATE, LineKind.ADJUSTMENT_PNP_TEMPLATE),
    (LineKind.SMS, LineKind.ADJUSTMENT_SMS),
)


def _adjustment_lines(*, brand: Brand, month: date) -> list[StatementLine]:
    """Lines for what changed in earlier closed months since they were closed.

    A change goes to the first open month after the closed one, never into the closed one.
    """
    lines: list[StatementLine] = []
    closed = Statement.objects.filter(brand=brand, month__lt=month, status__in=CLOSED_STATUSES).order_by("month")
    for source in closed:
        open_between = Statement.objects.filter(
            brand=brand, month__gt=source.month, month__lt=month, status=StatementStatus.DRAFT
        ).exists()
        if open_between:
            continue  # an earlier open month carries it
        now = statement_compute(brand=brand, month=source.month)
        carried = StatementLine.objects.filter(adjusts=source, statement__status__in=CLOSED_STATUSES)
        for kind, adjustment_kind in _ADJUSTED_KINDS:
            frozen = source.lines.filter(kind=kind).aggregate(q=Sum("quantity"), a=Sum("amount"))
            already = carried.filter(kind=adjustment_kind).aggregate(q=Sum("quantity"), a=Sum("amount"))
            quantity = now.quantity_of(kind) - (frozen["q"] or 0) - (already["q"] or 0)
            amount = now.amount_of(kind) - (frozen["a"] or Decimal(0)) - (already["a"] or Decimal(0))
            if not quantity and not amount:
                continue
            unit_price = (amount / quantity).quantize(LINE_PLACES, ROUND_HALF_UP) if quantity else Decimal(0)
            lines.append(
                StatementLine(
                    kind=adjustment_kind,
                    description=_("Adjustment for %(month)s v%(version)d (closed): %(quantity)+d after closing")
                    % {"month": f"{source.month:%Y-%m}", "version": source.version, "quantity": quantity},
                    period_start=source.month,
                    period_end=month_last_day(source.month),
                    quantity=quantity,
                    unit_price=unit_price,
                    amount=amount.quantize(LINE_PLACES, ROUND_HALF_UP),
                    adjusts=source,
                )
            )
    return lines


@transaction.atomic
def statement_generate(*, brand: Brand, month: date, actor: Any) -> Statement:
    """Create or refresh the brand's draft statement for a month; a closed month is refused."""
    month = month.replace(day=1)
    current = (
        Statement.objects.select_for_update()
        .filter(brand=brand, month=month)
        .exclude(status=StatementStatus.VOID)
        .first()
    )
    if current is not None and current.is_frozen:
        raise StatementFrozenError(
            _("%(statement)s is %(status)s: void it with a reason to generate a new version.")
            % {"statement": current, "status": current.get_status_display()},
            code="statement_frozen",
            field="status",
        )
    computed = statement_compute(brand=brand, month=month)
    computed.lines.extend(_adjustment_lines(brand=brand, month=month))
    explanations: dict[date, ReconciliationDay] = {}
    if current is None:
        last = Statement.objects.filter(brand=brand, month=month).order_by("-version").first()
        current = Statement(
            brand=brand,
            month=month,
            version=(last.version + 1) if last else 1,
            replaces=last,
        )
    else:
        explanations = {r.jst_date: r for r in current.reconciliation.exclude(reason="")}
        current.lines.all().delete()
        current.days.all().delete()
        current.reconciliation.all().delete()
    for name, value in computed.header.items():
        setattr(current, name, value)
    current.generated_at = timezone.now()
    current.subtotal = sum((line.amount for line in computed.lines), Decimal(0))
    current.total = statement_total([line.amount for line in computed.lines])
    current.tax = business_tax(current.total)
    current.gross = current.total + current.tax
    current.save()
    for position, line in enumerate(computed.lines, start=1):
        line.statement, line.position = current, position
    StatementLine.objects.bulk_create(computed.lines)
    for day in computed.days:
        day.statement = current
    StatementDay.objects.bulk_create(computed.days)
    for row in computed.reconciliation:
        row.statement = current
        kept = explanations.get(row.jst_date)
        if kept is not None:
            row.reason, row.note, row.explained_by_id, row.explained_at = (
                kept.reason,
                kept.note,
                kept.explained_by_id,
                kept.explained_at,
            )
    ReconciliationDay.objects.bulk_create(computed.reconciliation)
    audit_record(
        action="billing.statement_generated",
        actor=actor,
        obj=current,
        data={"month": f"{month:%Y-%m}", "version": current.version, "total": str(current.total)},
    )
    return current


# --- Prices and exports ------------------------------------------------------------------------------

UNIT_PRICE_FIELDS = frozenset(("channel", "price", "effective_from", "effective_to", "note"))


def _price_data(unit_price: UnitPrice) -> dict[str, Any]:
    return {
        "channel": unit_price.channel,
        "price": str(unit_price.price),
        "from": unit_price.effective_from.isoformat(),
        "to": unit_price.effective_to.isoformat() if unit_price.effective_to else None,
    }


@transaction.atomic
def unit_price_create(
    *,
    channel: str,
    price: Decimal,
    effective_from: date,
    actor: Actor,
    effective_to: date | None = None,
    note: str = "",
) -> UnitPrice:
    """Add a channel's price for a period; refused when it overlaps another period of the channel."""
    unit_price = UnitPrice(
        channel=channel, price=price, effective_from=effective_from, effective_to=effective_to, note=note
    )
    unit_price.full_clean()
    unit_price.save()
    audit_record(action="billing.unit_price_added", actor=actor, obj=unit_price, data=_price_data(unit_price))
    return unit_price


@transaction.atomic
def unit_price_update(*, unit_price: UnitPrice, actor: Actor, **fields: Any) -> UnitPrice:
    """Change a price period (usually to end it); the audit row names the fields and the new period."""
    unknown = set(fields) - UNIT_PRICE_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    changed = sorted(name for name, value in fields.items() if getattr(unit_price, name) != value)
    if not changed:
        return unit_price
    for name in changed:
        setattr(unit_price, name, fields[name])
    unit_price.full_clean()
    unit_price.save(update_fields=changed)
    audit_record(
        action="billing.unit_price_changed",
        actor=actor,
        obj=unit_price,
        data={**_price_data(unit_price), "fields": changed},
    )
    return unit_price


@transaction.atomic
def statement_record_export(*, statement: Statement, report: str, fmt: str, actor: Actor) -> None:
    """Record who downloaded which report of a statement: the file leaves the portal's access control."""
    audit_record(
        action="billing.statement_exported", actor=actor, obj=statement, data={"report": report, "format": fmt}
    )


# --- Reconciliation and month close ---------------------------------------------------------------------


@transaction.atomic
def reconciliation_explain(*, day: ReconciliationDay, reason: str, note: str, actor: User) -> ReconciliationDay:
    """Record why the portal's and LINE's counts differ on a day of a draft statement."""
    day = ReconciliationDay.objects.select_for_update().select_related("statement").get(pk=day.pk)
    if day.statement.is_frozen:
        raise StatementFrozenError(
            _("The statement is closed; explanations can no longer change."), code="statement_frozen", field="reason"
        )
    if reason not in ExplanationReason.values:
        raise BillingError(
            _("Choose a reason from the list (%(choices)s).") % {"choices": ", ".join(ExplanationReason.values)},
            code="reason_invalid",
            field="reason",
        )
    if not note.strip():
        raise BillingError(_("Write a note saying what happened on this day."), code="note_missing", field="note")
    day.reason, day.note, day.explained_by, day.explained_at = reason, note.strip()[:500], actor, timezone.now()
    day.save(update_fields=["reason", "note", "explained_by", "explained_at"])
    audit_record(
        action="billing.difference_explained",
        actor=actor,
        obj=day.statement,
        data={"jst_date": day.jst_date.isoformat(), "reason": reason, "note": day.note, "difference": day.difference},
    )
    return day


@transaction.atomic
def statement_finalise(*, statement: Statement, actor: User, now: datetime | None = None) -> Statement:
    """Freeze a reviewed draft once the month is over and LINE's counts are settled.

    Refused without the brand's billing profile, before the Taiwan month has ended, while a
    JST day's LINE count is not settled, and while a flagged day lacks an explanation.
    """
    _require_finance(actor)
    now = now or timezone.now()
    statement = Statement.objects.select_for_update().select_related("brand").get(pk=statement.pk)
    _move(statement, StatementStatus.FINALISED)
    profile = profile_of(statement.brand)
    if profile is None:
        raise BillingProfileMissingError(
            _(
                "%(brand)s has no billing profile (legal name, 統一編號, billing address and e-mail): "
                "its account manager adds it under Billing › Billing profiles before the month can be finalised."
            )
            % {"brand": statement.brand},
            code="billing_profile_missing",
            field="billing_profile",
        )
    ends = month_end_utc(statement.month)
    if now < ends:
        raise MonthNotEndedError(
            _("%(month)s has not ended yet: the Taiwan month ends at %(end)s Taiwan time; finalise it after that.")
            % {"month": f"{statement.month:%Y-%m}", "end": f"{ends.astimezone(TAIWAN):%Y-%m-%d %H:%M}"},
            code="month_not_ended",
            field="month",
        )
    unsettled = unsettled_line_days(statement)
    if unsettled:
        raise LineCountsUnsettledError(
            _(
                "LINE's count is not settled yet for the JST day(s) %(days)s: use \"Re-fetch LINE's counts\" "
                "(or wait for the daily job) and finalise once LINE has answered for every day."
            )
            % {"days": ", ".join(d.isoformat() for d in unsettled)},
            code="line_counts_unsettled",
            field="line_counts",
        )
    open_days = list(statement.reconciliation.filter(flagged=True, reason="").values_list("jst_date", flat=True))
    if open_days:
        raise UnexplainedDifferencesError(
            _("Explain the flagged days first: %(days)s.") % {"days": ", ".join(d.isoformat() for d in open_days)},
            code="unexplained_differences",
            field="reconciliation",
        )
    statement.finalised_by, statement.finalised_at = actor, now
    statement.buyer_legal_name, statement.buyer_tax_id = profile.legal_name, profile.tax_id
    statement.buyer_address, statement.buyer_email = profile.address, profile.contact_email
    statement.save(
        update_fields=[
            "status",
            "finalised_by",
            "finalised_at",
            "buyer_legal_name",
            "buyer_tax_id",
            "buyer_address",
            "buyer_email",
        ]
    )
    audit_record(action="billing.statement_finalised", actor=actor, obj=statement, data={"total": str(statement.total)})
    return statement


@transaction.atomic
def statement_confirm(*, statement: Statement, actor: User) -> Statement:
    """Confirm a finalised statement as a second finance user (four eyes): the month is closed."""
    _require_finance(actor)
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    _move(statement, StatementStatus.CONFIRMED)
    if statement.finalised_by_id == actor.pk:
        raise FourEyesError(
            _("You finalised this statement: another finance user must confirm it."),
            code="four_eyes",
            field="confirmed_by",
        )
    comparison = three_way(statement)
    if comparison.invoice is None and comparison.billed_count:
        raise InvoiceDifferenceError(
            _(
                "Record LINE's invoice for %(month)s first (Billing › LINE invoices): "
                "the statement is confirmed against it."
            )
            % {"month": f"{statement.month:%Y-%m}"},
            code="line_invoice_missing",
            field="line_invoice",
        )
    if comparison.has_invoice_difference and not statement.invoice_reason:
        raise InvoiceDifferenceError(
            _(
                "LINE's invoice differs from the statement (messages %(count)s, net %(net)s TWD, tax %(tax)s TWD): "
                "explain the difference with a reason before confirming."
            )
            % {
                "count": "—" if comparison.count_difference is None else f"{comparison.count_difference:+d}",
                "net": f"{comparison.net_difference:+}",
                "tax": f"{comparison.tax_difference:+}",
            },
            code="invoice_difference_unexplained",
            field="invoice_reason",
        )
    statement.confirmed_by, statement.confirmed_at = actor, timezone.now()
    statement.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(action="billing.statement_confirmed", actor=actor, obj=statement, data={"total": str(statement.total)})
    return statement


@transaction.atomic
def statement_void(*, statement: Statement, reason: str, actor: User) -> Statement:
    """Void a closed statement with a reason and generate its next version as a draft; both are kept."""
    _require_finance(actor)
    if not reason.strip():
        raise BillingError(_("Give the reason for voiding this statement."), code="reason_missing", field="reason")
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    _move(statement, StatementStatus.VOID)
    carried_by = Statement.objects.filter(lines__adjusts=statement, status__in=CLOSED_STATUSES).distinct()
    if carried_by.exists():
        raise BillingError(
            _("%(other)s already carries an adjustment for this month: void that statement first.")
            % {"other": carried_by.first()},
            code="adjustment_carried",
            field="status",
        )
    drafts_to_refresh = list(
        Statement.objects.filter(lines__adjusts=statement, status=StatementStatus.DRAFT).distinct()
    )
    statement.voided_by, statement.voided_at = actor, timezone.now()
    statement.void_reason = reason.strip()[:300]
    statement.save(update_fields=["status", "voided_by", "voided_at", "void_reason"])
    audit_record(action="billing.statement_voided", actor=actor, obj=statement, data={"reason": statement.void_reason})
    replacement = statement_generate(brand=statement.brand, month=statement.month, actor=actor)
    for draft in drafts_to_refresh:
        statement_generate(brand=draft.brand, month=draft.month, actor=actor)
    return replacement


def statements_generate_month(*, month: date, actor: Any, brands: list[Brand] | None = None) -> list[Statement]:
    """Create or refresh the drafts of a month for every active brand (or the given ones); skip closed ones."""
    result = []
    for brand in brands if brands is not None else Brand.objects.filter(is_active=True).order_by("slug"):
        try:
            result.append(statement_generate(brand=brand, month=month, actor=actor))
        except StatementFrozenError:
            continue
    return result


# --- LINE's daily counts (Celery beat) --------------------------------------------------------------------


# LINE's reader of each kind's daily count: flexible PNP and template PNP are counted apart.
_COUNT_READERS = {PnpKind.FLEXIBLE: "pnp_delivery_count", PnpKind.TEMPLATE: "pnp_templated_delivery_count"}


def line_count_fetch(
    *, brand: Brand, jst_date: date, now: datetime | None = None, kind: str = PnpKind.FLEXIBLE
) -> LineDailyCount:
    """Ask LINE for a brand's delivered count of one PNP kind on one JST day and store the answer, whatever it is.

    Whatever LINE answers first (``ready`` included) is stored with its number; a day already
    settled with a number is never overwritten by a later request. ``ready`` without a number is
    not a settled day: it is stored as an error naming what LINE sent, and asked again next run.
    """
    now = now or timezone.now()
    status, success, error = "", None, ""
    try:
        reader = getattr(line_client, _COUNT_READERS[PnpKind(kind)])  # looked up when called: tests patch it
        answer = reader(access_token=brand.channel_access_token.reveal(), jst_day=jst_date)
        status, success = answer.status or LineCountStatus.ERROR, answer.success
        if not answer.status:
            error = f"LINE's answer has no status: {answer.raw}"[:300]
        elif status == LineCountStatus.READY and success is None:
            status, error = LineCountStatus.ERROR, f"LINE answered ready without a count: {answer.raw}"[:300]
    except line_client.LineError as exc:
        status, error = LineCountStatus.ERROR, f"{type(exc).__name__}: {exc} {exc.body}".strip()[:300]
    if error:
        logger.warning("LINE count for %s on %s: %s", brand.slug, jst_date, error)
    with transaction.atomic():
        row, created = LineDailyCount.objects.select_for_update().get_or_create(
            brand=brand, jst_date=jst_date, kind=kind, defaults={"status": status, "fetched_at": now}
        )
        if not created and row.is_settled:
            return row  # a settled day is never overwritten by a later, failed request
        row.status = status
        row.success = success if status == LineCountStatus.READY else None
        row.error = storable(error)
        row.fetched_at = now
        row.attempts += 1
        row.save()
    return row


@dataclass(frozen=True)
class RefetchDay:
    """What one re-fetch asked LINE about one JST day and kind, and what LINE answered."""

    jst_date: date
    kind: str
    before: str  # the stored status before asking ("" when LINE had never been asked)
    status: str
    success: int | None
    error: str

    def as_data(self) -> dict[str, Any]:
        return {
            "jst_date": self.jst_date.isoformat(),
            "kind": self.kind,
            "before": self.before,
            "status": self.status,
            "success": self.success,
            "error": self.error,
        }


def line_counts_refetch_month(
    *, brand: Brand, month: date, actor: Actor, now: datetime | None = None
) -> list[RefetchDay]:
    """Ask LINE again for every JST day of a month up to yesterday that is not settled; return each answer.

    Finance's "re-fetch LINE's counts" on a statement: the same request as the daily job, on
    demand, audited with LINE's answer for each day asked. Settled days keep their number
    (LINE's count of a past day does not change).
    """
    now = now or timezone.now()
    first = month.replace(day=1)
    last = min(month_last_day(first), jst_today(now) - timedelta(days=1))
    results: list[RefetchDay] = []
    kinds = [PnpKind.FLEXIBLE]
    # LINE's template count only for a month in which the brand had a template PNP delivered.
    if DeliveryStat.objects.filter(
        brand=brand,
        channel=Channel.PNP,
        metric=Metric.TEMPLATED_DELIVERED_BY_SEND,
        hour__gte=day_start_utc(first, JST),
        hour__lt=day_start_utc(month_last_day(first) + timedelta(days=1), JST),
    ).exists():
        kinds.append(PnpKind.TEMPLATE)
    stored = {
        (row.kind, row.jst_date): row
        for row in LineDailyCount.objects.filter(brand=brand, jst_date__range=(first, last), kind__in=kinds)
    }  # one query for the month, not one per day
    for kind in kinds:
        for day in days(first, last):
            row = stored.get((kind, day))
            if row is None or not row.is_settled:
                answer = line_count_fetch(brand=brand, jst_date=day, now=now, kind=kind)
                results.append(
                    RefetchDay(
                        jst_date=day,
                        kind=kind,
                        before=row.status if row is not None else "",
                        status=answer.status,
                        success=answer.success,
                        error=answer.error,
                    )
                )
    audit_record(
        actor=actor,
        action="billing.line_counts_refetch",
        obj=brand,
        data={"month": f"{first:%Y-%m}", "days_asked": len(results), "days": [r.as_data() for r in results]},
    )
    return results


def line_counts_fetch(
    *, now: datetime | None = None, first: date | None = None, last: date | None = None, brand: Brand | None = None
) -> int:
    """Fetch LINE's count for every brand and JST day not yet settled; return how many requests were made.

    Days run from ``BILLING_LINE_COUNT_LOOKBACK_DAYS`` ago to yesterday (JST); a brand is asked
    only if it sent PNP in that window. ``unready`` and failed days are asked again next run.
    """
    now = now or timezone.now()
    last = last or jst_today(now) - timedelta(days=1)
    first = first or last - timedelta(days=settings.BILLING_LINE_COUNT_LOOKBACK_DAYS)
    brands = Brand.objects.filter(is_active=True).exclude(line_channel_id="")
    if brand is not None:
        brands = brands.filter(pk=brand.pk)
    start, end = day_start_utc(first, JST), day_start_utc(last + timedelta(days=1), JST)
    window = DeliveryStat.objects.filter(hour__gte=start, hour__lt=end, channel=Channel.PNP)
    active = {
        PnpKind.FLEXIBLE: set(window.values_list("brand_id", flat=True).distinct()),
        # LINE's template count is asked only of brands that had a template PNP delivered.
        PnpKind.TEMPLATE: set(
            window.filter(metric=Metric.TEMPLATED_DELIVERED_BY_SEND).values_list("brand_id", flat=True).distinct()
        ),
    }
    requests = 0
    for kind, brand_ids in active.items():
        for candidate in brands.filter(pk__in=brand_ids).order_by("slug"):
            settled = set(
                LineDailyCount.objects.settled()
                .filter(brand=candidate, kind=kind, jst_date__range=(first, last))
                .values_list("jst_date", flat=True)
            )
            for day in days(first, last):
                if day not in settled:
                    line_count_fetch(brand=candidate, jst_date=day, now=now, kind=kind)
                    requests += 1
    return requests
