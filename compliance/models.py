"""Records of template review: templates, their versions, rule results and the word lists."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.choices import (
    EDITABLE_STATUSES,
    FindingSeverity,
    Language,
    OverruleReason,
    Severity,
    TemplateKind,
    TemplateStatus,
    Urgency,
    UseCase,
)
from compliance.exceptions import VersionLocked
from compliance.findings import render_message
from portal.models import Brand

# The fields of a LINE template version (kind "LINE template"); empty on a flexible one.
LINE_TEMPLATE_FIELDS = (
    "kind",
    "line_template_key",
    "emphasized_item_key",
    "emphasized_item",
    "line_items",
    "line_buttons",
)
# Fields that make up what a reviewer approves; their hash is stored and checked on save.
CONTENT_FIELDS = (
    "text",
    "flex_json",
    "variables",
    "button_label",
    "button_url",
    "channels",
    "sms_text",
    "urgency",
    "sms_fallback_delay_minutes",
    *LINE_TEMPLATE_FIELDS,
)


class PromotionalTerm(models.Model):
    """A word or phrase that marks advertising copy; templates and variable values containing it are refused."""

    term = models.CharField(_("term"), max_length=100, unique=True)
    severity = models.CharField(
        _("severity"),
        max_length=10,
        choices=FindingSeverity.choices,
        default=FindingSeverity.BLOCK,
        help_text=_("Block: the term alone makes copy advertising. Review: a reviewer confirms each use."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotional term")
        verbose_name_plural = _("promotional terms")
        ordering = ("term",)

    def __str__(self) -> str:
        return self.term

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.term = self.term.strip().lower()
        super().save(*args, **kwargs)


class AllowedPhrase(models.Model):
    """A legitimate phrase (a postal service, a toll-free line, 折抵 on a bill) that advertising
    patterns and promotional terms are not matched inside."""

    phrase = models.CharField(
        _("phrase"),
        max_length=100,
        unique=True,
        help_text=_("Written as members see it, e.g. 限時掛號 or toll-free; matched after normalisation."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allowed phrase")
        verbose_name_plural = _("allowed phrases")
        ordering = ("phrase",)

    def __str__(self) -> str:
        return self.phrase

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phrase = self.phrase.strip().lower()
        super().save(*args, **kwargs)


class CopyCheck(models.Model):
    """No table: the admin's copy-check page hangs here so it has a URL and a permission."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("copy check")
        verbose_name_plural = _("copy check")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class BrandLinkDomain(models.Model):
    """A domain (and its subdomains) a brand's templates and link variables may point to."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="link_domains", verbose_name=_("brand"))
    domain = models.CharField(
        _("domain"),
        max_length=253,
        validators=[
            RegexValidator(
                r"^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$",
                _("Enter a bare domain in lower case, e.g. shop.example.com (no https://, no path)."),
            )
        ],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allowed link domain")
        verbose_name_plural = _("allowed link domains")
        ordering = ("brand", "domain")
        constraints = [models.UniqueConstraint(fields=["brand", "domain"], name="compliance_link_domain_unique")]

    def __str__(self) -> str:
        return self.domain


class MessageTemplate(models.Model):
    """A notification a brand may send, identified by its code in the send API.

    What may actually be sent is ``current_version``: the version a compliance reviewer
    approved last, as long as it is not suspended or retired.
    """

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="message_templates", verbose_name=_("brand")
    )
    code = models.SlugField(
        _("code"), max_length=64, help_text=_("Used by the send API, e.g. shipping_notice. Letters, digits, _ and -.")
    )
    name = models.CharField(_("name"), max_length=200)
    use_case = models.CharField(_("use case"), max_length=32, choices=UseCase.choices)
    new_use_case_description = models.TextField(
        _("new use case description"),
        blank=True,
        help_text=_("Only for a new use case: what it is and where the brand's application describes it."),
    )
    language = models.CharField(_("language"), max_length=16, choices=Language.choices, default=Language.ZH_HANT)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TemplateStatus.choices,
        default=TemplateStatus.DRAFT,
        help_text=_("Summary: the sendable version's state, or the newest version's while none was approved."),
    )
    current_version = models.ForeignKey(
        "TemplateVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("current version"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ("brand", "code")
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="compliance_template_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} ({self.brand.slug})"


class TemplateVersion(models.Model):
    """One reviewed wording of a template; once submitted its content never changes.

    Sends record the exact version used. Editing an approved template creates a new
    draft version, which goes through review again.
    """

    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, related_name="versions", verbose_name=_("template")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT, db_index=True
    )
    # Content --------------------------------------------------------------------------------
    text = models.TextField(_("LINE text"), blank=True, help_text=_("Text message; placeholders like {order_id}."))
    flex_json = models.JSONField(
        _("Flex bubble (JSON)"), null=True, blank=True, help_text=_('A LINE Flex bubble: {"type": "bubble", ...}')
    )
    variables = models.JSONField(
        _("variables"),
        default=list,
        blank=True,
        help_text=_(
            'Declared placeholders: [{"name": "order_id", "type": "text", "max_length": 20, "sample": "A123"}]'
        ),
    )
    button_label = models.CharField(_("button label"), max_length=40, blank=True)
    button_url = models.CharField(_("button URL"), max_length=1000, blank=True, help_text=_("https URL or LIFF URL."))
    channels = models.JSONField(_("channels"), default=list, blank=True)
    sms_text = models.TextField(_("SMS text"), blank=True)
    # LINE template (template PNP) -------------------------------------------------------------
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=TemplateKind.choices,
        default=TemplateKind.FLEXIBLE,
        help_text=_("Flexible: the portal's own design, which LINE reviews. LINE template: one of LINE's templates."),
    )
    line_template_key = models.CharField(
        _("LINE template key"), max_length=100, blank=True, help_text=_("LINE's key, e.g. shipment_completed_ja.")
    )
    emphasized_item_key = models.CharField(_("emphasized item key"), max_length=100, blank=True)
    emphasized_item = models.CharField(
        _("emphasized item"),
        max_length=200,
        blank=True,
        help_text=_("At most 15 characters once the variables are filled in; placeholders like {date}."),
    )
    line_items = models.JSONField(
        _("items"),
        default=list,
        blank=True,
        help_text=_('0–15 items: [{"key": "number_001_ja", "value": "{order_id}"}], each value ≤ 300 characters.'),
    )
    line_buttons = models.JSONField(
        _("buttons"),
        default=list,
        blank=True,
        help_text=_('0–2 buttons: [{"key": "contact_ja", "url": "https://..."}]; LINE shows the label of the key.'),
    )
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.A_DAY)
    sms_fallback_delay_minutes = models.PositiveIntegerField(
        _("SMS fallback after (minutes)"),
        null=True,
        blank=True,
        help_text=_("Send the SMS variant when LINE has not delivered within this many minutes. Empty: no fallback."),
    )
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)
    # Workflow -------------------------------------------------------------------------------
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    locked_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("in review by"),
    )
    author_language = models.CharField(
        _("author's language"),
        max_length=16,
        blank=True,
        help_text=_("The language the author submitted in; e-mails to the author use it."),
    )
    locked_at = models.DateTimeField(_("in review by them since"), null=True, blank=True)
    lock_active_at = models.DateTimeField(
        _("last review activity"),
        null=True,
        blank=True,
        help_text=_("The holder's last action; after the idle time another reviewer may take the review over."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    change_reasons = models.JSONField(_("reasons"), default=list, blank=True)
    review_comment = models.TextField(_("reviewer comment"), blank=True)
    hold_reason = models.JSONField(
        _("hold reason"), default=dict, blank=True, help_text=_("Why a suspended version is back in the queue.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ("template", "-number")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="compliance_version_number_unique"),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="compliance_queue_idx")]
        permissions = [("review_templateversion", "Can review template versions")]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to change the content of a version that left the draft state."""
        new_hash = self.compute_content_hash()
        if self.pk is not None:
            stored = TemplateVersion.objects.filter(pk=self.pk).values("status", "content_hash").first()
            if stored and stored["status"] not in EDITABLE_STATUSES and stored["content_hash"] != new_hash:
                raise VersionLocked(
                    str(
                        _("Version %(version)s is %(status)s: its content cannot change. Create a new version.")
                        % {"version": self.number, "status": stored["status"]}
                    ),
                    field="content",
                )
        self.content_hash = new_hash
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "content_hash"}
        super().save(*args, **kwargs)

    @property
    def brand(self) -> Brand:
        return self.template.brand

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def clean(self) -> None:
        """Check a LINE template's fields against LINE's limits, each error on its field."""
        from compliance.line_templates import line_template_errors

        errors = line_template_errors(self)
        if errors:
            raise ValidationError(errors)

    @property
    def is_line_template(self) -> bool:
        return self.kind == TemplateKind.LINE_TEMPLATE

    def compute_content_hash(self) -> str:
        fields: tuple[str, ...] = CONTENT_FIELDS
        if not self.is_line_template:
            # A flexible version hashes as it did before template PNP existed, so the versions
            # approved then keep their stored hash (a changed hash would lock them out of saving).
            fields = tuple(name for name in CONTENT_FIELDS if name not in LINE_TEMPLATE_FIELDS)
        content = {field: getattr(self, field) for field in fields}
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()

    def variable(self, name: str) -> dict[str, Any] | None:
        return next((v for v in self.variables or [] if v.get("name") == name), None)


class ReviewQueueItem(TemplateVersion):
    """A version as it appears in the reviewers' queue (same record, the review page's admin)."""

    class Meta:
        proxy = True
        verbose_name = _("review queue item")
        verbose_name_plural = _("review queue")


class RuleResult(models.Model):
    """The outcome of one guideline rule on one version, and the reviewer's own verdict on it."""

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.CASCADE, related_name="rule_results", verbose_name=_("version")
    )
    rule_code = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    passed = models.BooleanField(_("check passed"), null=True, help_text=_("Empty: a reviewer must decide."))
    # What the check found, as a code of ``compliance.findings.MESSAGES`` and its parameters,
    # put into words in the reader's language; ``message`` is the text in the language of
    # whoever ran the check, shown only when there is no code (older rows, text-only checks).
    message_code = models.CharField(_("message code"), max_length=60, blank=True)
    message_params = models.JSONField(_("message parameters"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    checked_at = models.DateTimeField(_("checked at"))
    reviewer_passed = models.BooleanField(_("reviewer verdict"), null=True, blank=True)
    reviewer_note = models.TextField(_("reviewer note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # Overrule: a reviewer who is not the author sets a failed or open finding aside with a
    # coded reason; a blocking one needs a second reviewer's confirmation (four eyes).
    overrule_reason = models.CharField(_("overrule reason"), max_length=20, choices=OverruleReason.choices, blank=True)
    overrule_note = models.TextField(_("overrule note"), blank=True)
    overruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("overruled by"),
    )  # fmt: skip
    overruled_at = models.DateTimeField(_("overruled at"), null=True, blank=True)
    overrule_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("overrule confirmed by"),
    )  # fmt: skip
    overrule_confirmed_at = models.DateTimeField(_("overrule confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule result")
        verbose_name_plural = _("rule results")
        ordering = ("version", "rule_code")
        constraints = [models.UniqueConstraint(fields=["version", "rule_code"], name="compliance_rule_result_unique")]

    def __str__(self) -> str:
        return f"{self.version} {self.rule_code}"

    @property
    def display_message(self) -> str:
        """What the check found, in the reader's active language."""
        return (
            render_message(self.message_code, self.message_params, self.message) if self.message_code else self.message
        )

    @property
    def is_overruled(self) -> bool:
        return bool(self.overruled_at)

    @property
    def overrule_needs_confirmation(self) -> bool:
        """A blocking finding's overrule counts only once a second reviewer confirmed it."""
        return self.is_overruled and self.severity == Severity.BLOCKING and self.overrule_confirmed_at is None

    @property
    def overrule_effective(self) -> bool:
        return self.is_overruled and not self.overrule_needs_confirmation

    @property
    def effective_passed(self) -> bool | None:
        """An effective overrule, else the reviewer's verdict where given, else the automatic check's."""
        if self.overrule_effective:
            return True
        return self.reviewer_passed if self.reviewer_passed is not None else self.passed


class SendViolation(models.Model):
    """A send the guideline rules refused: enough of them put the template back in review."""

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.CASCADE, related_name="send_violations", verbose_name=_("version")
    )
    rule_code = models.CharField(_("rule"), max_length=40)
    field = models.CharField(_("field"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("refused send")
        verbose_name_plural = _("refused sends")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.version} {self.rule_code}"
