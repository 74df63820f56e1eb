"""Members, their consent history and their LINE link: the facts every send depends on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.choices import ConsentPurpose, ConsentSource, ImportJobStatus, PhoneType
from members.phones import mask_e164
from portal.models import Brand


class Member(models.Model):
    """A brand's member and the phone number the brand holds for them.

    The brand must have obtained the number lawfully; what the member agreed to is in
    :class:`Consent` (the source of truth), mirrored here in ``pnp_consent`` and
    ``sms_consent`` so lists and the send pipeline can filter without subqueries.
    An erased member keeps its row (and consent history) with the personal data blanked.
    """

    # Indexed by the unique (brand, external_id) constraint, whose first column it is.
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="members", verbose_name=_("brand"), db_index=False
    )
    external_id = models.CharField(
        _("member number"), max_length=64, help_text=_("The brand's own member number; unique within the brand.")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone_raw = models.CharField(_("phone as given"), max_length=64, blank=True)
    phone_e164 = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    phone_type = models.CharField(_("number type"), max_length=24, choices=PhoneType.choices, default=PhoneType.UNKNOWN)
    # Indexed by member_phone_hash_idx (a plain b-tree: ``db_index`` would add a second,
    # LIKE-pattern index on PostgreSQL that no lookup uses and every import pays for).
    phone_hash = models.CharField(
        _("phone hash (SHA-256)"), max_length=64, blank=True, help_text=_("What LINE matches a PNP by.")
    )
    phone_confirmed_at = models.DateTimeField(_("phone confirmed at"), null=True, blank=True)
    needs_phone_confirmation = models.BooleanField(
        _("confirm phone number"),
        default=False,
        help_text=_("LINE refused a PNP to this number (HTTP 422): not on LINE, or PNP turned off by the user."),
    )
    phone_flag_reason = models.CharField(_("why the number was flagged"), max_length=200, blank=True)
    phone_flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True)
    duplicate_phone = models.BooleanField(
        _("shared phone number"), default=False, help_text=_("Another member of this brand has the same number.")
    )
    pnp_consent = models.BooleanField(_("PNP consent"), null=True, blank=True)
    sms_consent = models.BooleanField(_("SMS consent"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(fields=("brand", "external_id"), name="member_unique_external_id_per_brand"),
        ]
        indexes = [
            models.Index(fields=("phone_hash",), name="member_phone_hash_idx"),
            # A superuser's member-number search spans every brand: the unique constraint, which
            # starts with the brand, cannot serve it.
            models.Index(fields=("external_id",), name="member_external_id_idx"),
            models.Index(fields=("brand", "-id"), name="member_brand_recent_idx"),
            # Members with consent are the majority: the list finds them walking the primary key.
            # The partial indexes serve the rarer "withdrawn / unknown" filters.
            models.Index(
                fields=("-id",),
                condition=Q(pnp_consent=False) | Q(pnp_consent__isnull=True),
                name="member_no_pnp_consent_idx",
            ),
            models.Index(
                fields=("-id",),
                condition=Q(sms_consent=False) | Q(sms_consent__isnull=True),
                name="member_no_sms_consent_idx",
            ),
            models.Index(
                fields=("-id",), condition=Q(needs_phone_confirmation=True), name="member_needs_confirmation_idx"
            ),
            models.Index(fields=("-id",), condition=Q(duplicate_phone=True), name="member_duplicate_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def masked_phone(self) -> str:
        return mask_e164(self.phone_e164)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Consent(models.Model):
    """One statement of consent or withdrawal, as captured; never changed or deleted.

    The member's current state for a purpose is the latest record by ``captured_at``
    (then by id); a withdrawal supersedes a grant without removing it.
    """

    # Indexed by consent_member_purpose_idx, whose first column it is.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="consents", verbose_name=_("member"), db_index=False
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"), help_text=_("Unticked: the member withdrew or refused."))
    source = models.CharField(_("source"), max_length=24, choices=ConsentSource.choices)
    evidence = models.TextField(
        _("evidence"), blank=True, help_text=_("Free text, a URL or a document reference that proves it.")
    )
    notice_version = models.CharField(_("privacy notice version"), max_length=64, blank=True)
    captured_at = models.DateTimeField(_("captured at"))
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("captured by"),
        db_index=False,  # only read when a user is deleted; not worth an index on every consent
    )
    captured_by_label = models.CharField(_("captured by (label)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ("-captured_at", "-id")
        indexes = [models.Index(fields=("member", "purpose", "captured_at"), name="consent_member_purpose_idx")]

    def __str__(self) -> str:
        state = _("granted") if self.granted else _("withdrawn")
        return f"{self.get_purpose_display()}: {state}"


class LineLink(models.Model):
    """The member's LINE account as far as the brand knows it: friend, blocked, bound.

    ``bound_at`` is set only with the consent record that allowed binding the phone
    number to the UID.
    """

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="line_link", verbose_name=_("member"))
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    uid = models.CharField(_("LINE user id"), max_length=64, blank=True)
    is_friend = models.BooleanField(_("friend"), default=False)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    bound_at = models.DateTimeField(_("bound at"), null=True, blank=True)
    binding_consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("binding consent")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("LINE link")
        verbose_name_plural = _("LINE links")
        constraints = [
            models.UniqueConstraint(
                fields=("brand", "uid"), condition=Q(bound_at__isnull=False), name="linelink_unique_bound_uid"
            ),
        ]
        indexes = [
            models.Index(fields=("brand", "uid"), name="linelink_brand_uid_idx"),
            models.Index(fields=("is_friend", "bound_at"), name="linelink_friend_bound_idx"),
        ]

    def __str__(self) -> str:
        return self.uid or "-"

    @property
    def is_bound(self) -> bool:
        return self.bound_at is not None


class UnlinkedLineFollower(models.Model):
    """A LINE user who follows a brand's account but is not (yet) bound to a member."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", verbose_name=_("brand"))
    uid = models.CharField(_("LINE user id"), max_length=64)
    is_friend = models.BooleanField(_("friend"), default=True)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("LINE follower without a member")
        verbose_name_plural = _("LINE followers without a member")
        constraints = [models.UniqueConstraint(fields=("brand", "uid"), name="follower_unique_uid_per_brand")]

    def __str__(self) -> str:
        return self.uid


class ImportJob(models.Model):
    """One member import: the uploaded file, its progress and the rows it rejected."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="member_imports/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows (estimated)"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    report_file = models.FileField(_("rejected rows report"), upload_to="member_import_reports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ("-id",)

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if self.status == ImportJobStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))
