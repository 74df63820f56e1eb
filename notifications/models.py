"""Records of what the portal sent, through which channel, and what LINE and SMS vendors said."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.choices import (
    ALERT_LOW_IS_BAD,
    FINAL_STATUSES,
    AlertKind,
    AlertWindow,
    AttemptStatus,
    Channel,
    EventKind,
    NotificationStatus,
    WebhookEventResult,
)
from notifications.texts import render_text
from portal.fields import EncryptedSecretField
from portal.models import Brand

_OPEN = models.Q(
    status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING, NotificationStatus.AWAITING_DELIVERY]
)


class Notification(models.Model):
    """One notice a brand asked the portal to deliver to one member, whatever the channel.

    It is the source of truth of the send (a transactional outbox): the row is written with
    the API call, and workers move it forward; a sweeper re-enqueues rows left behind.
    The exact template version used and the rendered content are kept as evidence.
    """

    # Indexed by notification_brand_recent, whose first column it is.
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"), db_index=False
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="notifications", verbose_name=_("member")
    )
    template_version = models.ForeignKey(
        "compliance.TemplateVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("template version")
    )
    template_code = models.CharField(_("template"), max_length=64)
    variables = models.JSONField(_("variables"), default=dict)
    occurred_at = models.DateTimeField(_("event occurred at"), null=True, blank=True)
    reservation_key = models.CharField(_("reservation"), max_length=100, blank=True)
    line_messages = models.JSONField(_("LINE messages"), default=list)
    sms_text = models.TextField(_("SMS text"), blank=True)
    channel_plan = models.JSONField(_("channel plan"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    channel = models.CharField(_("current channel"), max_length=16, choices=Channel.choices, blank=True)
    final_reason = models.CharField(_("reason"), max_length=200, blank=True)
    final_reason_code = models.CharField(_("reason code"), max_length=40, blank=True, default="")
    final_reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("accepted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    fallback_due_at = models.DateTimeField(_("SMS fallback due at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("delivery window ends at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_channel = models.CharField(_("delivered by"), max_length=16, choices=Channel.choices, blank=True)
    delivered_twice = models.BooleanField(_("delivered twice"), default=False)
    submitted_by = models.CharField(_("submitted by"), max_length=64, blank=True)
    content_purged_at = models.DateTimeField(
        _("content removed at"),
        null=True,
        blank=True,
        help_text=_("Variables and rendered texts are removed after the retention period; counts and bills stay."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["brand", "-created_at"], name="notification_brand_recent"),
            # The notification list's order (newest first): page 1, a date range and a statement
            # day read the newest rows of a time span from here instead of scanning all ids back.
            models.Index(fields=["-created_at", "-id"], name="notification_recent"),
            # What support filters for most, "failed" or "not delivered" in a span: a few percent
            # of the rows, each entering once when it ends.
            models.Index(
                fields=["-created_at", "-id"],
                name="notification_unsuccessful",
                condition=models.Q(status__in=[NotificationStatus.FAILED, NotificationStatus.NOT_DELIVERED]),
            ),
            models.Index(
                fields=["brand", "template_code", "reservation_key", "created_at"],
                name="notification_reservation",
                condition=~models.Q(reservation_key=""),
            ),
            models.Index(fields=["status", "updated_at"], name="notification_open", condition=_OPEN),
            # The retention job's work list: final notifications whose content is still there. A
            # row enters it when it ends (it is updated then anyway) and leaves when purged.
            models.Index(
                fields=["created_at"],
                name="notification_to_purge",
                condition=models.Q(content_purged_at__isnull=True, status__in=FINAL_STATUSES),
            ),
            models.Index(
                fields=["fallback_due_at"],
                name="notification_fallback_due",
                condition=models.Q(fallback_due_at__isnull=False),
            ),
            models.Index(
                fields=["expires_at"], name="notification_expiry", condition=models.Q(expires_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template_code}"

    @property
    def reason_text(self) -> str:
        """Why it ended without a delivery, in the reader's language (the stored wording when it has no code)."""
        return render_text(self.final_reason_code, self.final_reason_params, self.final_reason)

    @property
    def is_final(self) -> bool:
        return self.status in (
            NotificationStatus.DELIVERED,
            NotificationStatus.NOT_DELIVERED,
            NotificationStatus.FAILED,
        )


class Attempt(models.Model):
    """One try on one channel: a PNP, a LINE push or an SMS, and what came of it.

    ``reference`` is unique and goes out with the request: the ``X-Line-Delivery-Tag`` of a
    PNP (the delivery webhook comes back with it), the ``X-Line-Retry-Key`` of a push, the
    vendor's client id of an SMS. It is written before the request leaves, so a worker that
    dies mid-request leaves a trace.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.PENDING)
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    # The worker batch that holds the attempt: only that batch may mark it sent and send it.
    claim = models.CharField(_("claimed by"), max_length=36, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(_("retries"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    vendor = models.CharField(_("SMS vendor"), max_length=32, blank=True)
    vendor_message_id = models.CharField(_("vendor message id"), max_length=64, blank=True)
    sms_segments = models.PositiveSmallIntegerField(_("SMS segments"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        indexes = [
            # Only SMS attempts carry a vendor's message id: LINE attempts stay out of this index.
            models.Index(
                fields=["vendor", "vendor_message_id"],
                name="attempt_vendor_message",
                condition=~models.Q(vendor_message_id=""),
            ),
            models.Index(
                fields=["channel", "delivered_at"],
                name="attempt_delivered",
                condition=models.Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.reference}"


class NotificationEvent(models.Model):
    """One line of a notification's timeline: what happened, when; never changed afterwards."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    detail_code = models.CharField(_("detail code"), max_length=40, blank=True, default="")
    detail_params = models.JSONField(_("detail parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("notification event")
        verbose_name_plural = _("notification events")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def detail_text(self) -> str:
        """The detail in the reader's language (the stored wording when it has no code)."""
        return render_text(self.detail_code, self.detail_params, self.detail)


class IdempotencyKey(models.Model):
    """The first answer to a brand's request with this ``Idempotency-Key``, replayed for 24 h or more."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["brand", "key"], name="idempotency_key_unique_per_brand")]

    def __str__(self) -> str:
        return self.key


class SmsVendor(models.TextChoices):
    MITAKE = "mitake", _("Mitake 三竹資訊")
    SANDBOX = "sandbox", _("Sandbox gateway (development)")


# Under SMS_API_BASE_URL the gateway serves each vendor's API at its own path (the sandbox does
# so), so an account without its own URL follows the deployment's setting, never a frozen copy.
GATEWAY_VENDOR_PATHS: dict[str, str] = {SmsVendor.MITAKE: "/mitake/b2c/mtk", SmsVendor.SANDBOX: ""}


class SmsAccount(models.Model):
    """A brand's account with its SMS vendor: where fallback SMS go and what each segment costs."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="sms_account")
    vendor = models.CharField(_("vendor"), max_length=16, choices=SmsVendor.choices, default=SmsVendor.SANDBOX)
    base_url = models.URLField(
        _("API base URL"),
        blank=True,
        help_text=_(
            "e.g. https://smsb2c.mitake.com.tw/b2c/mtk. Empty: the deployment's SMS gateway "
            "(SMS_API_BASE_URL; the sandbox in the demo), looked up at each send."
        ),
    )
    username = models.CharField(_("username"), max_length=64, blank=True)
    password = EncryptedSecretField(_("password"))
    price_per_segment = models.DecimalField(
        _("price per segment (TWD)"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.8000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS account")
        verbose_name_plural = _("SMS accounts")

    def __str__(self) -> str:
        return f"{self.brand} · {self.get_vendor_display()}"

    def api_base_url(self) -> str:
        """Return where this account's SMS go: its own URL, else the deployment's gateway at send time."""
        if self.base_url:
            return self.base_url
        return settings.SMS_API_BASE_URL.rstrip("/") + GATEWAY_VENDOR_PATHS[self.vendor]


class WebhookEvent(models.Model):
    """One event LINE sent to a brand's webhook, stored before the 200 and processed once.

    ``webhookEventId`` is unique per brand: a redelivered or duplicated event is not stored
    twice, so it cannot be applied twice. The payload is kept as evidence for reconciliation.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    event_id = models.CharField(_("webhook event id"), max_length=64)
    event_type = models.CharField(_("type"), max_length=32)
    is_redelivery = models.BooleanField(_("redelivery"), default=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=WebhookEventResult.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    detail_code = models.CharField(_("detail code"), max_length=40, blank=True, default="")
    detail_params = models.JSONField(_("detail parameters"), default=dict, blank=True)
    payload_purged_at = models.DateTimeField(_("payload removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("LINE webhook event")
        verbose_name_plural = _("LINE webhook events")
        constraints = [models.UniqueConstraint(fields=["brand", "event_id"], name="webhook_event_unique_per_brand")]
        indexes = [
            models.Index(
                fields=["id"], name="webhook_event_unprocessed", condition=models.Q(processed_at__isnull=True)
            ),
            models.Index(
                fields=["processed_at"],
                name="webhook_event_to_purge",
                condition=models.Q(processed_at__isnull=False, payload_purged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def detail_text(self) -> str:
        """What the portal made of the event, in the reader's language."""
        return render_text(self.detail_code, self.detail_params, self.detail)


class DeliveryStat(models.Model):
    """An hourly count per brand, channel and metric: what dashboards and bills read.

    Hours are UTC, so Taiwan days (UTC+8) and LINE's JST days (UTC+9) are both exact sums.
    Each count is added in the same transaction as the state change it counts, and can be
    recomputed from the raw attempts (``notifications.stats.recompute``).
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(_("hour (UTC)"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    metric = models.CharField(_("metric"), max_length=20)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("delivery statistic")
        verbose_name_plural = _("delivery statistics")
        constraints = [
            models.UniqueConstraint(fields=["brand", "hour", "channel", "metric"], name="delivery_stat_unique"),
        ]
        indexes = [models.Index(fields=["hour", "brand"], name="delivery_stat_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} {self.metric}={self.count}"


class BrandAlertThresholds(models.Model):
    """A brand's own alert thresholds; an empty one takes the setting's default (``NOTIFICATION_ALERT_*``)."""

    brand = models.OneToOneField(
        Brand, on_delete=models.CASCADE, related_name="alert_thresholds", verbose_name=_("brand")
    )
    delivery_rate_min = models.DecimalField(
        _("lowest delivery rate"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("A share from 0 to 1, e.g. 0.9 for 90 %."),
    )
    refused_422_share_max = models.DecimalField(
        _("highest share of PNP refused (422)"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("A share from 0 to 1; a jump usually means a bad member import."),
    )
    block_rate_max = models.DecimalField(
        _("highest block rate"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Blocks of the official account per LINE message delivered, from 0 to 1."),
    )
    sms_failure_rate_max = models.DecimalField(
        _("highest SMS failure rate"), max_digits=4, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Failed SMS per SMS sent, from 0 to 1."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")

    def __str__(self) -> str:
        return str(self.brand)


class AlertCrossing(models.Model):
    """One crossing of a threshold: opened when a figure crosses it (the account managers are told once),
    closed when the figure is back on the right side."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", verbose_name=_("brand"))
    kind = models.CharField(_("figure"), max_length=24, choices=AlertKind.choices)
    window = models.CharField(_("window"), max_length=8, choices=AlertWindow.choices)
    value = models.DecimalField(_("value when crossed"), max_digits=5, decimal_places=4)
    threshold = models.DecimalField(_("threshold"), max_digits=4, decimal_places=3)
    volume = models.PositiveIntegerField(_("messages in the window"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    opened_at = models.DateTimeField(_("crossed at"))
    notified = models.PositiveSmallIntegerField(_("account managers e-mailed"), default=0)
    closed_at = models.DateTimeField(_("back within threshold at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery alert")
        verbose_name_plural = _("delivery alerts")
        ordering = ("-opened_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "kind", "window"],
                condition=models.Q(closed_at__isnull=True),
                name="alert_crossing_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.kind} {self.window}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_low_bad(self) -> bool:
        """True for a figure that alerts when it falls (the delivery rate), False when it rises."""
        return self.kind in ALERT_LOW_IS_BAD
