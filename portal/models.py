"""Records every app leans on: brands (the tenants), API keys and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from portal.choices import AccountType, ApplicationPath, LegalEntityType
from portal.fields import EncryptedSecretField


class Brand(models.Model):
    """A LINE Official Account the portal operates PNP for, on behalf of one legal entity.

    The channel secret and access token are LINE credentials: they are stored encrypted,
    can be replaced but never read back in the admin, and never appear in logs.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=60, unique=True, help_text=_("Used in URLs and the API, e.g. demo-shop.")
    )
    account_type = models.CharField(
        _("account type"), max_length=32, choices=AccountType.choices, default=AccountType.ENTERPRISE_GREEN
    )
    legal_entity_type = models.CharField(
        _("legal entity type"), max_length=32, choices=LegalEntityType.choices, default=LegalEntityType.MOEA_COMPANY
    )
    is_certified_provider = models.BooleanField(_("Certified Provider"), default=False)
    certified_provider_since = models.DateField(_("Certified Provider since"), null=True, blank=True)
    application_path = models.CharField(
        _("application path"), max_length=16, choices=ApplicationPath.choices, default=ApplicationPath.DIRECT
    )
    line_channel_id = models.CharField(
        _("LINE channel id"),
        max_length=32,
        blank=True,
        validators=[RegexValidator(r"^\d+$", _("A LINE channel id is made of digits only, e.g. 1657000000."))],
    )
    channel_secret = EncryptedSecretField(_("channel secret"))
    channel_access_token = EncryptedSecretField(_("channel access token"))
    credentials_updated_at = models.DateTimeField(_("credentials updated at"), null=True, blank=True, editable=False)
    account_managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account managers"),
        related_name="managed_brands",
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ("name",)
        constraints = [
            # LINE's rate limits, counts and webhooks are per channel: two brands on one channel
            # would share one limit and mix their bills.
            models.UniqueConstraint(
                fields=["line_channel_id"],
                condition=~models.Q(line_channel_id=""),
                name="brand_line_channel_id_unique",
                violation_error_message=_("Another brand already uses this LINE channel id."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.line_channel_id:
            taken = Brand.objects.exclude(pk=self.pk).filter(line_channel_id=self.line_channel_id).first()
            if taken is not None:
                raise ValidationError(
                    {
                        "line_channel_id": _(
                            "Brand %(brand)s already uses LINE channel %(channel)s; each brand needs its own "
                            "channel (check the channel id in the LINE Developers console)."
                        )
                        % {"brand": taken.slug, "channel": self.line_channel_id}
                    }
                )

    @property
    def has_channel_secret(self) -> bool:
        return bool(self.channel_secret)

    @property
    def has_channel_access_token(self) -> bool:
        return bool(self.channel_access_token)


class BrandAPIKey(AbstractAPIKey):
    """A key a brand's own system uses to call the REST API; it sees that brand only.

    Only a SHA-512 hash is stored: the key is shown once, when it is created.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("brand"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]


class AuditEvent(models.Model):
    """Who did what to which record, and when: the trail a compliance review relies on.

    Written by :func:`portal.services.audit_record` in the same transaction as the change;
    nobody may edit or delete it.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_label = models.CharField(_("actor"), max_length=150, help_text=_("User name, API key prefix or 'system'."))
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("record type")
    )
    object_id = models.CharField(_("record id"), max_length=255, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("brand")
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["brand", "-created_at"], name="audit_brand_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"


class UserPreference(models.Model):
    """What a staff user chose for themselves: the language the portal speaks to them.

    Set by the language switch in the admin header (``portal.views.language_set``), applied on
    every request once they are signed in (``portal.middleware.UserLanguageMiddleware``), on any
    device, and used for what the portal e-mails them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.language}"
