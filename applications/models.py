"""Records of the application tracker: applications, their stage history, documents, calendar."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.choices import CalendarOverrideKind, DocumentKind, Stage, UseCase
from portal.choices import ApplicationPath
from portal.models import Brand


class Application(models.Model):
    """One request of a brand to LINE for PNP use cases, tracked from documents to go-live.

    A brand may apply again (e.g. for new use cases), so a brand can have many. The stage
    changes only through :func:`applications.services.application_move`, which checks the
    stage table and the eligibility gates and writes a :class:`StageTransition` and an audit
    row. ``stage_due_on`` is the last day of LINE's window for the current stage (null when
    LINE gives no guaranteed time), stored so that "overdue" is a plain query.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="pnp_applications", verbose_name=_("brand"))
    path = models.CharField(_("path"), max_length=16, choices=ApplicationPath.choices)
    # The use cases are a closed list of 18 codes, always read and written together with the
    # application and never queried one by one, so a JSON list is enough (no join table).
    use_cases = models.JSONField(_("use cases"), default=list, blank=True)
    has_new_use_case = models.BooleanField(
        _("includes a new use case"),
        default=False,
        help_text=_("A use case outside LINE's list: it goes to LINE HQ at the next quarterly cut-off."),
    )
    new_use_case_description = models.TextField(_("new use case description"), blank=True)
    stage = models.CharField(_("stage"), max_length=48, choices=Stage.choices, editable=False)
    held_from = models.CharField(
        _("stage left for the hold"), max_length=48, choices=Stage.choices, blank=True, editable=False
    )
    changes_for = models.CharField(
        _("stage LINE asked changes in"), max_length=48, choices=Stage.choices, blank=True, editable=False
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"), editable=False)
    stage_planned_from = models.DateField(_("earliest planned end of stage"), null=True, editable=False)
    stage_due_on = models.DateField(_("stage due on"), null=True, editable=False, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_pnp_applications",
        verbose_name=_("owner (account manager)"),
    )
    partner = models.ForeignKey(
        "TechnologyPartner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("technology partner"),
        help_text=_("Partner path only: the partner whose approved use cases this application may reuse."),
    )
    expected_go_live = models.DateField(
        _("go-live date promised to the brand"),
        null=True,
        blank=True,
        help_text=_("The list flags the application when the forecast passes this date."),
    )
    blue_shield_approval_reference = models.CharField(
        _("blue-shield special approval reference"),
        max_length=100,
        blank=True,
        help_text=_("Only for verified (blue-shield) accounts: LINE sales' reference for the special approval."),
    )
    blue_shield_approved_on = models.DateField(_("blue-shield special approval date"), null=True, blank=True)
    live_on = models.DateField(_("live since"), null=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("PNP application")
        verbose_name_plural = _("PNP applications")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(has_new_use_case=False) | ~Q(new_use_case_description=""),
                name="application_new_use_case_described",
                violation_error_message=_("Describe the new use case."),
            ),
            models.CheckConstraint(
                condition=(Q(blue_shield_approval_reference="") & Q(blue_shield_approved_on__isnull=True))
                | (~Q(blue_shield_approval_reference="") & Q(blue_shield_approved_on__isnull=False)),
                name="application_blue_shield_approval_complete",
                violation_error_message=_("Give both the reference and the date of the blue-shield approval."),
            ),
        ]
        indexes = [models.Index(fields=["stage", "stage_due_on"], name="application_stage_due_idx")]

    def __str__(self) -> str:
        return f"{self.brand} #{self.pk}"

    def clean(self) -> None:
        super().clean()
        unknown = sorted(set(self.use_cases or []) - set(UseCase.values))
        if unknown:
            raise ValidationError({"use_cases": _("Unknown use cases: %(codes)s.") % {"codes": ", ".join(unknown)}})
        if not self.use_cases and not self.has_new_use_case:
            raise ValidationError({"use_cases": _("Choose at least one use case, or describe a new one.")})
        if self.has_new_use_case and not self.new_use_case_description.strip():
            raise ValidationError({"new_use_case_description": _("Describe the new use case for LINE's review.")})
        if bool(self.blue_shield_approval_reference) != bool(self.blue_shield_approved_on):
            raise ValidationError(
                {"blue_shield_approved_on": _("Give both the reference and the date of the blue-shield approval.")}
            )
        if self.partner_id is not None and self.path != ApplicationPath.PARTNER:
            raise ValidationError({"partner": _("Only a partner-path application goes through a technology partner.")})
        started = self.started_on()
        if self.expected_go_live and self.expected_go_live < started:
            raise ValidationError(
                {
                    "expected_go_live": _(
                        "The promised go-live date cannot be before the application started (%(date)s)."
                    )
                    % {"date": started.isoformat()}
                }
            )

    def started_on(self) -> date:
        """Return the effective date of the application's first move (today for a new one)."""
        first = self.transitions.order_by("at", "id").first() if self.pk else None
        if first is not None:
            return timezone.localdate(first.at)
        return timezone.localdate(self.stage_entered_at) if self.stage_entered_at else timezone.localdate()

    @property
    def has_blue_shield_approval(self) -> bool:
        return bool(self.blue_shield_approval_reference and self.blue_shield_approved_on)

    def use_case_labels(self) -> list[str]:
        labels = [str(UseCase(code).label) for code in self.use_cases if code in UseCase.values]
        if self.has_new_use_case:
            labels.append(str(_("New use case: %(text)s") % {"text": self.new_use_case_description}))
        return labels


class StageTransition(models.Model):
    """One move of an application between stages: the application's timeline.

    ``at`` is when the move happened (its effective time, e.g. the day LINE's e-mail arrived),
    ``recorded_at`` when someone recorded it; windows, waited days and forecasts count from
    ``at``. ``planned_from`` / ``planned_due_on`` are LINE's window for the stage entered, in
    Taiwan working days from ``at``; both stay empty for the brand's own stages. A mistaken
    move is never edited: a correction is a move of its own that ``corrects`` it.
    """

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("application")
    )
    from_stage = models.CharField(_("from"), max_length=48, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=48, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("effective at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    evidence = models.ForeignKey(
        "ApplicationDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("evidence"),
    )
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    planned_from = models.DateField(_("planned earliest"), null=True, blank=True)
    planned_due_on = models.DateField(_("planned latest"), null=True, blank=True)
    plan_reason = models.TextField(_("why this window"), blank=True)
    is_rereview = models.BooleanField(_("re-review"), default=False)

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


def document_upload_to(instance: ApplicationDocument, filename: str) -> str:
    name = PurePath(filename).name
    return f"applications/{instance.application_id}/{instance.kind}/v{instance.version}-{name}"


class ApplicationDocument(models.Model):
    """A file exchanged with LINE for an application (NDA scan, Service Plan, screenshots...).

    Documents are evidence: a correction is a new version, never an edit. An NDA carries the
    dates it was signed and expires; the gates check that one is valid on the day of a move.
    """

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="documents", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    version = models.PositiveIntegerField(_("version"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True, help_text=_("NDA only."))
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("NDA only."))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ("kind", "-version")
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "version"], name="application_document_version"),
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.NDA) | Q(signed_on__isnull=False, expires_on__isnull=False),
                name="application_document_nda_dates",
                violation_error_message=_("An NDA needs the date it was signed and the date it expires."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    @property
    def filename(self) -> str:
        return (self.file.name or "").rsplit("/", 1)[-1]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.kind == DocumentKind.NDA:
            if not self.signed_on:
                errors["signed_on"] = _("Enter the date the NDA was signed.")
            if not self.expires_on:
                errors["expires_on"] = _("Enter the date the NDA expires.")
            if self.signed_on and self.expires_on and self.expires_on <= self.signed_on:
                errors["expires_on"] = _("The NDA must expire after the date it was signed.")
        if errors:
            raise ValidationError(errors)


class CalendarOverride(models.Model):
    """A day whose working status differs from the public holiday calendar package.

    E.g. a typhoon day off (颱風假) announced the evening before, or a make-up working
    Saturday (補班) the package does not know yet. An override always wins.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarOverrideKind.choices)
    note = models.CharField(_("note"), max_length=200, help_text=_("E.g. 'Typhoon Krathon: Taipei day off'."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ("-date",)

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class TechnologyPartner(models.Model):
    """A LINE technology partner through which brands apply (the partner path)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("technology partner")
        verbose_name_plural = _("technology partners")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


def partner_evidence_upload_to(instance: PartnerUseCase, filename: str) -> str:
    return f"applications/partners/{instance.partner_id}/{instance.use_case}-{PurePath(filename).name}"


class PartnerUseCase(models.Model):
    """A use case LINE has approved for a technology partner: its brands need no new review of it."""

    partner = models.ForeignKey(
        TechnologyPartner, on_delete=models.PROTECT, related_name="use_cases", verbose_name=_("technology partner")
    )
    use_case = models.CharField(_("use case"), max_length=48, choices=UseCase.choices)
    approved_on = models.DateField(_("approved by LINE on"))
    evidence_note = models.CharField(
        _("evidence"), max_length=500, blank=True, help_text=_("E.g. the subject and date of LINE's e-mail.")
    )
    evidence_file = models.FileField(
        _("evidence file"), upload_to=partner_evidence_upload_to, max_length=255, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approved partner use case")
        verbose_name_plural = _("approved partner use cases")
        ordering = ("partner", "use_case")
        constraints = [
            models.UniqueConstraint(fields=["partner", "use_case"], name="partner_use_case_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_use_case_display()}"

    def clean(self) -> None:
        super().clean()
        if not self.evidence_note.strip() and not self.evidence_file:
            raise ValidationError({"evidence_note": _("Give LINE's approval as evidence: a note or a file.")})
        if self.approved_on and self.approved_on > timezone.localdate():
            raise ValidationError({"approved_on": _("The approval date cannot be in the future.")})
