"""Prices, LINE's daily counts, and the monthly statements finance closes and sends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.choices import (
    SETTLED_LINE_STATUSES,
    ExplanationReason,
    InvoiceDifferenceReason,
    LineCountStatus,
    LineKind,
    PnpKind,
    PricedChannel,
    StatementStatus,
)
from billing.periods import month_last_day, next_month
from billing.taxid import validate_tax_id
from portal.models import Brand


class UnitPrice(models.Model):
    """The price of one delivered message on a channel between two dates (inclusive).

    The dates are those of the day billed: LINE's JST day for PNP (LINE counts per JST day).
    """

    channel = models.CharField(_("channel"), max_length=16, choices=PricedChannel.choices)
    price = models.DecimalField(
        _("price per delivered message (TWD)"), max_digits=8, decimal_places=4, validators=[MinValueValidator(0)]
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to (inclusive)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit price")
        verbose_name_plural = _("unit prices")
        ordering = ("channel", "effective_from")
        constraints = [
            models.UniqueConstraint(fields=["channel", "effective_from"], name="unit_price_unique_start"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="unit_price_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{self.get_channel_display()} {self.price} TWD ({self.effective_from.isoformat()} – {end})"

    def clean(self) -> None:
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The end date must be on or after the start date.")})
        if self.effective_from is None:
            return
        overlapping = UnitPrice.objects.filter(channel=self.channel).exclude(pk=self.pk)
        overlapping = overlapping.filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from)
        )
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        if overlapping.exists():
            raise ValidationError(
                {
                    "effective_from": _(
                        "This period overlaps %(other)s: end the other price the day before this one starts."
                    )
                    % {"other": overlapping.first()}
                }
            )


class LineDailyCountQuerySet(models.QuerySet["LineDailyCount"]):
    def settled(self) -> LineDailyCountQuerySet:
        """Days LINE will not answer differently: a number, or a final "no number" status."""
        return self.filter(
            Q(status=LineCountStatus.READY, success__isnull=False)
            | Q(status__in=[s for s in SETTLED_LINE_STATUSES if s != LineCountStatus.READY])
        )


class LineDailyCount(models.Model):
    """LINE's own count of PNP of one kind delivered for a brand on one JST (UTC+9) day: the figure LINE bills."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    jst_date = models.DateField(_("JST date"))
    kind = models.CharField(_("PNP kind"), max_length=16, choices=PnpKind.choices, default=PnpKind.FLEXIBLE)
    status = models.CharField(_("LINE status"), max_length=32)
    success = models.BigIntegerField(_("delivered (LINE)"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"))
    attempts = models.PositiveIntegerField(_("requests made"), default=0)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    objects = LineDailyCountQuerySet.as_manager()

    class Meta:
        verbose_name = _("LINE daily count")
        verbose_name_plural = _("LINE daily counts")
        ordering = ("-jst_date", "brand")
        constraints = [
            models.UniqueConstraint(fields=["brand", "jst_date", "kind"], name="line_daily_count_kind_unique")
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.jst_date.isoformat()} {self.status}"

    @property
    def is_settled(self) -> bool:
        """LINE will not answer differently for this day (a ``ready`` day must carry its number)."""
        if self.status == LineCountStatus.READY:
            return self.success is not None
        return self.status in SETTLED_LINE_STATUSES

    @property
    def status_label(self) -> str:
        try:
            return str(LineCountStatus(self.status).label)
        except ValueError:
            return self.status


class DailyStat(models.Model):
    """The hourly delivery counts summed into calendar days at a fixed UTC offset (8 = Taiwan, 9 = JST).

    Kept by database triggers on ``notifications_deliverystat`` (migration 0004): every insert,
    update or delete of an hourly count moves the two daily counts it belongs to, in the same
    transaction, so the two can never disagree. Taiwan and Japan keep no daylight saving time,
    so a fixed offset is exact. Statements and the dashboard read this table: a month for every
    brand is a few thousand rows instead of hundreds of thousands of hourly ones.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    zone = models.PositiveSmallIntegerField(_("UTC offset (hours)"))
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=16)
    metric = models.CharField(_("metric"), max_length=20)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily delivery statistic")
        verbose_name_plural = _("daily delivery statistics")
        constraints = [
            models.UniqueConstraint(fields=["zone", "day", "brand", "channel", "metric"], name="daily_stat_unique"),
        ]

    def __str__(self) -> str:
        return f"UTC+{self.zone} {self.day.isoformat()} {self.channel} {self.metric}={self.count}"


class Dashboard(models.Model):
    """No table: the admin's delivery dashboard hangs here so it has a URL and a permission."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("delivery dashboard")
        verbose_name_plural = _("delivery dashboard")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Statement(models.Model):
    """One brand's bill for one Taiwan calendar month, in one version.

    A draft is recomputed from the hourly rollups on demand; once finalised its lines are
    frozen (never recomputed). A closed statement can be voided with a reason and a new
    version generated: both versions stay.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    month = models.DateField(_("month"), help_text=_("First day of the Taiwan calendar month."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    generated_at = models.DateTimeField(_("computed at"))
    pnp_delivered_taiwan = models.BigIntegerField(_("PNP delivered, Taiwan month (portal)"), default=0)
    pnp_delivered_jst = models.BigIntegerField(_("PNP delivered, JST days (portal)"), default=0)
    pnp_boundary_in = models.BigIntegerField(_("PNP 23:00–24:00 on the previous month's last day"), default=0)
    pnp_boundary_out = models.BigIntegerField(_("PNP 23:00–24:00 on this month's last day"), default=0)
    pnp_billed = models.BigIntegerField(_("PNP billed"), default=0)
    sms_sent = models.BigIntegerField(_("SMS sent"), default=0)
    sms_segments = models.BigIntegerField(_("SMS segments"), default=0)
    sms_price = models.DecimalField(_("SMS price per segment (TWD)"), max_digits=8, decimal_places=4, null=True)
    subtotal = models.DecimalField(_("sum of lines (TWD)"), max_digits=14, decimal_places=4, default=Decimal(0))
    total = models.DecimalField(_("net (TWD, whole)"), max_digits=14, decimal_places=0, default=Decimal(0))
    tax = models.DecimalField(_("business tax 5 % (TWD, whole)"), max_digits=14, decimal_places=0, default=Decimal(0))
    gross = models.DecimalField(_("gross (TWD, whole)"), max_digits=14, decimal_places=0, default=Decimal(0))
    # The buyer as the billing profile read when the statement was finalised (a closed bill never changes).
    buyer_legal_name = models.CharField(_("buyer's legal name"), max_length=200, blank=True)
    buyer_tax_id = models.CharField(_("buyer's 統一編號"), max_length=8, blank=True)
    buyer_address = models.CharField(_("buyer's billing address"), max_length=300, blank=True)
    buyer_email = models.EmailField(_("buyer's billing e-mail"), blank=True)
    invoice_reason = models.CharField(
        _("reason LINE's invoice differs"), max_length=20, choices=InvoiceDifferenceReason.choices, blank=True
    )
    invoice_note = models.CharField(_("note on LINE's invoice"), max_length=500, blank=True)
    invoice_explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invoice difference explained by"),
    )
    invoice_explained_at = models.DateTimeField(_("invoice difference explained at"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("finalised by"),
    )
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("voided by"),
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        verbose_name = _("monthly statement")
        verbose_name_plural = _("monthly statements")
        ordering = ("-month", "brand", "-version")
        permissions = [
            ("close_statement", _("Can finalise, confirm and void monthly statements")),
            ("export_statement", _("Can export statements and reconciliations")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["brand", "month", "version"], name="statement_unique_version"),
            models.UniqueConstraint(
                fields=["brand", "month"],
                condition=~models.Q(status=StatementStatus.VOID),
                name="statement_one_current_per_month",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="statement_month")]

    def __str__(self) -> str:
        return f"{self.brand} {self.month:%Y-%m} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status != StatementStatus.DRAFT


class StatementLine(models.Model):
    """One priced line of a statement: PNP for one price period, SMS, or an adjustment of a closed month."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    quantity = models.BigIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price (TWD)"), max_digits=8, decimal_places=4)
    amount = models.DecimalField(_("amount (TWD)"), max_digits=14, decimal_places=4)
    adjusts = models.ForeignKey(
        Statement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjusted_by",
        verbose_name=_("adjusts"),
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ("statement", "position")

    def __str__(self) -> str:
        return self.description

    @property
    def display_description(self) -> str:
        """The line's description in the reader's language, from its kind and figures.

        ``description`` keeps the words as generated, in the language of whoever pressed the
        button; a reader sees them in their own. A kind this does not know shows the stored text.
        """
        from django.utils.translation import gettext

        period = {"first": self.period_start, "last": self.period_end}
        if self.kind == LineKind.PNP:
            return gettext("PNP delivered (LINE's count per JST day) %(first)s – %(last)s") % period
        if self.kind == LineKind.PNP_TEMPLATE:
            return gettext("PNP template delivered (LINE's count per JST day) %(first)s – %(last)s") % period
        if self.kind == LineKind.SMS:
            return gettext("SMS segments (Taiwan days) %(first)s – %(last)s") % period
        if self.kind in ADJUSTMENT_KINDS and self.adjusts is not None:
            return gettext("Adjustment for %(month)s v%(version)d (closed): %(quantity)+d after closing") % {
                "month": f"{self.adjusts.month:%Y-%m}",
                "version": self.adjusts.version,
                "quantity": self.quantity,
            }
        return self.description


ADJUSTMENT_KINDS = frozenset({LineKind.ADJUSTMENT_PNP, LineKind.ADJUSTMENT_PNP_TEMPLATE, LineKind.ADJUSTMENT_SMS})


class StatementDay(models.Model):
    """The portal's figures for one Taiwan calendar day of a statement (from the hourly rollups)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day (Taiwan)"))
    pnp_delivered = models.BigIntegerField(_("PNP delivered"), default=0)
    push_delivered = models.BigIntegerField(_("LINE push delivered"), default=0)
    sms_sent = models.BigIntegerField(_("SMS sent"), default=0)
    sms_segments = models.BigIntegerField(_("SMS segments"), default=0)
    pnp_amount = models.DecimalField(_("PNP at unit price (TWD)"), max_digits=14, decimal_places=4, default=Decimal(0))
    sms_amount = models.DecimalField(_("SMS cost (TWD)"), max_digits=14, decimal_places=4, default=Decimal(0))

    class Meta:
        verbose_name = _("statement day")
        verbose_name_plural = _("statement days")
        ordering = ("statement", "day")
        constraints = [models.UniqueConstraint(fields=["statement", "day"], name="statement_day_unique")]

    def __str__(self) -> str:
        return self.day.isoformat()


class ReconciliationDay(models.Model):
    """The portal's delivered PNP against LINE's count for one JST day; a flagged day needs an explanation."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="reconciliation")
    jst_date = models.DateField(_("JST date"))
    portal_count = models.BigIntegerField(_("delivered (portal)"))
    line_status = models.CharField(_("LINE status"), max_length=32, blank=True)
    line_count = models.BigIntegerField(_("delivered (LINE)"), null=True, blank=True)
    billed_count = models.BigIntegerField(_("billed"))
    unit_price = models.DecimalField(_("unit price (TWD)"), max_digits=8, decimal_places=4)
    difference = models.BigIntegerField(_("portal − LINE"), null=True, blank=True)
    flagged = models.BooleanField(_("needs an explanation"), default=False)
    reason = models.CharField(_("reason"), max_length=20, choices=ExplanationReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("explained by"),
    )
    explained_at = models.DateTimeField(_("explained at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation day")
        verbose_name_plural = _("reconciliation days")
        ordering = ("statement", "jst_date")
        constraints = [models.UniqueConstraint(fields=["statement", "jst_date"], name="reconciliation_day_unique")]

    def __str__(self) -> str:
        return self.jst_date.isoformat()

    @property
    def needs_explanation(self) -> bool:
        return self.flagged and not self.reason

    @property
    def line_status_label(self) -> str:
        if not self.line_status:
            return str(_("not fetched"))
        try:
            return str(LineCountStatus(self.line_status).label)
        except ValueError:
            return self.line_status


class BillingProfile(models.Model):
    """The legal entity a brand's monthly statement is addressed to: the buyer on the invoice.

    Kept by the brand's account manager; a statement cannot be finalised without one. The
    統一編號 passes the Ministry of Finance check rule (:mod:`billing.taxid`).
    """

    brand = models.OneToOneField(
        Brand, on_delete=models.PROTECT, related_name="billing_profile", verbose_name=_("brand")
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(
        _("統一編號 (tax ID)"),
        max_length=8,
        validators=[validate_tax_id],
        help_text=_("Eight digits, as on the company's registration, e.g. 04595257."),
    )
    address = models.CharField(_("billing address"), max_length=300)
    contact_email = models.EmailField(_("billing contact e-mail"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        ordering = ("brand__name",)

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.tax_id})"


class LineInvoice(models.Model):
    """LINE's own invoice to us for one brand's PNP of one Taiwan month, as finance typed it in.

    LINE settles at month end and issues its invoice at the start of the next month; the
    statement compares it with the portal's count and LINE's daily counts (three ways).
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    month = models.DateField(_("month"), help_text=_("First day of the Taiwan calendar month invoiced."))
    invoice_number = models.CharField(
        _("invoice number"),
        max_length=10,
        validators=[
            RegexValidator(
                r"^[A-Z]{2}[0-9]{8}$",
                _("A Taiwan invoice number is two capital letters and eight digits, e.g. AB12345678."),
            )
        ],
    )
    invoice_date = models.DateField(_("invoice date"))
    net = models.DecimalField(_("net (TWD)"), max_digits=14, decimal_places=0, validators=[MinValueValidator(0)])
    tax = models.DecimalField(_("tax (TWD)"), max_digits=14, decimal_places=0, validators=[MinValueValidator(0)])
    gross = models.DecimalField(_("gross (TWD)"), max_digits=14, decimal_places=0, validators=[MinValueValidator(0)])
    message_count = models.BigIntegerField(
        _("messages (as LINE states)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("LINE invoice")
        verbose_name_plural = _("LINE invoices")
        ordering = ("-month", "brand")
        constraints = [models.UniqueConstraint(fields=["brand", "month"], name="line_invoice_one_per_month")]

    def __str__(self) -> str:
        return f"{self.invoice_number} ({self.month:%Y-%m})"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.net is not None and self.tax is not None and self.gross is not None:
            if self.net + self.tax != self.gross:
                errors["gross"] = _(
                    "Net %(net)s + tax %(tax)s = %(sum)s, not the gross %(gross)s: "
                    "check the three figures on LINE's invoice."
                ) % {"net": self.net, "tax": self.tax, "sum": self.net + self.tax, "gross": self.gross}
        if self.month and self.invoice_date:
            first, last = invoice_date_window(self.month)
            if not first <= self.invoice_date <= last:
                errors["invoice_date"] = _(
                    "LINE's invoice for %(month)s is dated between %(first)s and %(last)s "
                    "(LINE issues it at the start of the next month); %(date)s is outside that."
                ) % {"month": f"{first:%Y-%m}", "first": first, "last": last, "date": self.invoice_date}
        if errors:
            raise ValidationError(errors)


def invoice_date_window(month: date) -> tuple[date, date]:
    """Return the dates LINE's invoice for ``month`` may carry: the month itself through the next one.

    LINE settles at month end and issues its invoice at the start of the next month.
    """
    first = month.replace(day=1)
    return first, month_last_day(next_month(first))
