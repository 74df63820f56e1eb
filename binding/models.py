"""LINE binding: each brand's binding page, the codes and links that prove a member, welcomes sent."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from binding.choices import BindingMetric, TokenKind, WelcomeStatus
from portal.models import Brand

TOKEN_PLACEHOLDER = "{token}"


class BindingSettings(models.Model):
    """How a brand binds members: its binding page, the OTP and welcome templates, the periods.

    The binding page (the brand's LIFF page or website) receives the bind link's token and
    posts it back to the binding API with the member's LINE user id and consent.
    """

    brand = models.OneToOneField(
        Brand, on_delete=models.CASCADE, related_name="binding_settings", verbose_name=_("brand")
    )
    page_url_template = models.CharField(
        _("binding page URL"),
        max_length=300,
        help_text=_(
            "An https URL on the brand's allowed link domains (or a LIFF URL) with {token} where the "
            "bind token goes, e.g. https://liff.line.me/1650000000-abcd?token={token}"
        ),
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("bind links valid for (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("A PNP may arrive up to 24 hours late, so give members a few days."),
    )
    otp_template_code = models.CharField(
        _("OTP template"),
        max_length=64,
        blank=True,
        help_text=_("Code of an approved template of use case 11 (sign-up OTP) with the variable {otp_code}."),
    )
    welcome_template_code = models.CharField(
        _("welcome template"),
        max_length=64,
        blank=True,
        help_text=_(
            "Code of an approved template with {user_name}, {brand_name} and {bind_link}, sent when a LINE "
            "user who is not bound adds the account as a friend. Empty: no welcome message."
        ),
    )
    welcome_period_days = models.PositiveSmallIntegerField(
        _("one welcome per LINE user every (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    welcome_user_name = models.CharField(
        _("name in the welcome"),
        max_length=20,
        default="朋友",
        help_text=_(
            "Used for {user_name} when LINE gives no display name for the friend "
            "(or the name fails the send-time checks)."
        ),
    )
    login_channel_id = models.CharField(
        _("LINE Login channel ID"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\d+$", _("Give the digits of the channel ID (LINE Developers console)."))],
        help_text=_(
            "The LINE Login channel of the binding page's LIFF app. The portal asks LINE whom the "
            "page's ID token (liff.getIDToken()) names, for this channel, before it binds."
        ),
    )
    backend_verifies_uid = models.BooleanField(
        _("the brand's backend verifies the LINE user"),
        default=False,
        help_text=_(
            "Accept a LINE user id posted without an ID token, because the brand's backend verified the "
            "ID token with LINE itself. Each such binding is recorded as verified by the brand."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("binding settings")
        verbose_name_plural = _("binding settings")
        ordering = ("brand__slug",)

    def __str__(self) -> str:
        return str(self.brand)

    def clean(self) -> None:
        from binding.links import page_url_problem

        if self.brand_id is not None:
            problem = page_url_problem(brand=self.brand, template=self.page_url_template)
            if problem:
                raise ValidationError({"page_url_template": problem})

    def page_url(self, token: str) -> str:
        """Return the binding page URL carrying ``token``."""
        return self.page_url_template.replace(TOKEN_PLACEHOLDER, token)


class UsedBindToken(models.Model):
    """A bind link that was used to bind: kept so the same link can never bind again.

    Bind links are signed and carry their own expiry, so only used ones need a row; the row
    holds the token's SHA-256, never the token.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", verbose_name=_("brand"))
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TokenKind.choices)
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("member bound")
    )
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        verbose_name = _("used bind link")
        verbose_name_plural = _("used bind links")

    def __str__(self) -> str:
        return self.token_hash[:12]


class BindOtp(models.Model):
    """A one-time password sent to a member's phone to prove the number before binding.

    Only an HMAC of the code is stored. A code expires after five minutes and locks after
    five wrong tries; a newer code replaces every older one.
    """

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    code_hash = models.CharField(_("code hash (HMAC-SHA256)"), max_length=64)
    salt = models.CharField(_("salt"), max_length=32)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    notification = models.ForeignKey(
        "notifications.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("notification"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("binding one-time password")
        verbose_name_plural = _("binding one-time passwords")
        indexes = [models.Index(fields=("member", "-created_at"), name="bindotp_member_recent_idx")]

    def __str__(self) -> str:
        return f"OTP #{self.pk}"


class WelcomeMessage(models.Model):
    """The welcome a LINE user who is not bound got on following: at most one per period.

    The unique (brand, uid, period) row is written in the transaction that applies the follow
    event, before anything is sent, so a follow processed twice welcomes once.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", verbose_name=_("brand"))
    uid = models.CharField(_("LINE user id"), max_length=64)
    period_start = models.DateField(_("period starts"))
    status = models.CharField(_("status"), max_length=16, choices=WelcomeStatus.choices, default=WelcomeStatus.PENDING)
    event_id = models.CharField(_("webhook event id"), max_length=64)
    event_at = models.DateTimeField(_("followed at"))
    reply_token = models.CharField(_("reply token"), max_length=100, blank=True)
    retry_key = models.UUIDField(_("push retry key"), default=uuid.uuid4, editable=False)
    sent_via = models.CharField(_("sent by"), max_length=8, blank=True)
    template_code = models.CharField(_("template"), max_length=64)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("welcome message")
        verbose_name_plural = _("welcome messages")
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(fields=("brand", "uid", "period_start"), name="welcome_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.uid[:9]}… {self.period_start}"


class BindingStat(models.Model):
    """A daily count per brand (Taiwan days) of follows, welcomes and bindings: the funnel's source."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", verbose_name=_("brand"))
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=16, choices=BindingMetric.choices)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("binding statistic")
        verbose_name_plural = _("binding statistics")
        constraints = [models.UniqueConstraint(fields=("brand", "day", "metric"), name="binding_stat_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}={self.count}"
