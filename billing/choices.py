"""Named choices of the billing app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PricedChannel(models.TextChoices):
    """Channels whose unit price is a portal-wide table (SMS is priced per brand, by its vendor)."""

    PNP = "pnp", _("LINE notification message (PNP)")
    LINE_PUSH = "line_push", _("LINE push (friend)")


class StatementStatus(models.TextChoices):
    """Where a monthly statement stands: draft → finalised → confirmed; a closed one may be voided."""

    DRAFT = "draft", _("draft")
    FINALISED = "finalised", _("finalised, awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed (closed)")
    VOID = "void", _("void")


CLOSED_STATUSES = (StatementStatus.FINALISED, StatementStatus.CONFIRMED)


class LineCountStatus(models.TextChoices):
    """LINE's answer for one JST day; unknown values are stored as LINE sent them."""

    READY = "ready", _("ready")
    UNREADY = "unready", _("not aggregated yet")
    OUT_OF_SERVICE = "out_of_service", _("out of service (before 2018-03-31)")
    UNAVAILABLE_FOR_PRIVACY = "unavailable_for_privacy", _("withheld for privacy (fewer than 20 messages)")
    ERROR = "error", _("request failed (will be retried)")


# LINE will not give another answer for these days: the daily job stops asking.
SETTLED_LINE_STATUSES = (
    LineCountStatus.READY,
    LineCountStatus.OUT_OF_SERVICE,
    LineCountStatus.UNAVAILABLE_FOR_PRIVACY,
)


class PnpKind(models.TextChoices):
    """LINE's two kinds of PNP, which LINE counts apart (one daily count each)."""

    FLEXIBLE = "flexible", _("flexible PNP")
    TEMPLATE = "template", _("template PNP")


class LineKind(models.TextChoices):
    PNP = "pnp", _("PNP delivered (LINE's count)")
    PNP_TEMPLATE = "pnp_tpl", _("PNP template delivered (LINE's count)")
    SMS = "sms", _("SMS segments")
    ADJUSTMENT_PNP = "adj_pnp", _("adjustment: PNP of a closed month")
    ADJUSTMENT_PNP_TEMPLATE = "adj_tpl", _("adjustment: PNP template of a closed month")
    ADJUSTMENT_SMS = "adj_sms", _("adjustment: SMS of a closed month")


class ExplanationReason(models.TextChoices):
    """Why the portal's count and LINE's differ on a day."""

    LATE_WEBHOOK = "late_webhook", _("late delivery webhook")
    DUPLICATE_EVENT = "duplicate_event", _("duplicate delivery event")
    LINE_CORRECTION = "line_correction", _("LINE corrected its count")
    LINE_FIGURE_MISSING = "line_missing", _("LINE gave no figure (privacy, out of service)")
    WEBHOOK_OUTAGE = "webhook_outage", _("webhook outage on our side")
    OTHER = "other", _("other (see note)")


class InvoiceDifferenceReason(models.TextChoices):
    """Why LINE's invoice for a month differs from the statement's PNP figures."""

    LINE_ROUNDING = "line_rounding", _("LINE rounds its invoice differently")
    LINE_CORRECTION = "line_correction", _("LINE corrected its count after the month")
    MONTH_BOUNDARY = "month_boundary", _("LINE counted days of another month")
    PRICE = "price", _("LINE billed a different unit price")
    CREDIT = "credit", _("credit or discount from LINE")
    OTHER = "other", _("other (see note)")


# The business tax (營業稅) on a Taiwan invoice: 5 % of the tax-exclusive amount.
BUSINESS_TAX_RATE = "0.05"
