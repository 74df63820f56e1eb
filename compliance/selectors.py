"""Reads of template review: the queue, what may be sent, previews, diffs and send-time checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import CharField, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.advertising import Lists
from compliance.choices import EDITABLE_STATUSES, QUEUE_STATUSES, Severity, TemplateStatus, UseCase
from compliance.diffs import version_diff_table
from compliance.exceptions import SendRuleViolation, TemplateNotSendable
from compliance.line_templates import filled_length_problem, render_line_content
from compliance.models import (
    AllowedPhrase,
    BrandLinkDomain,
    MessageTemplate,
    PromotionalTerm,
    RuleResult,
    TemplateVersion,
)
from compliance.rendering import fill, render_line_messages, render_sms_text, sms_segments
from compliance.rules import (
    LINE_TEXT_MAX,
    SMS_MAX_SEGMENTS,
    check_value,
    check_value_type,
)
from portal.models import Brand
from portal.selectors import brands_visible_to

__all__ = [
    "render_line_content",
    "render_line_messages",
    "render_sms_text",
    "send_check_variables",
    "sms_segments",
    "template_version_for_send",
]

# How late a notice of each use case may still go out after the event (timing rules).
SEND_WINDOWS: dict[str, timedelta] = {
    UseCase.PAYMENT_COMPLETED: timedelta(hours=24),
    UseCase.PURCHASE_COMPLETED: timedelta(hours=24),
    UseCase.SIGNUP_OTP: timedelta(minutes=10),
}
RESERVATION_REMINDER_LIMIT = 2
RESERVATION_REMINDER_PERIOD = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)


class PriorSendCounter(Protocol):
    """Count a brand's earlier sends of a template for one reservation since a moment.

    The notifications app provides it; the compliance rules only decide the limit.
    """

    def __call__(self, *, version: TemplateVersion, reservation_key: str, since: datetime) -> int: ...


def promotional_terms() -> list[str]:
    """Return the active promotional terms, lower case."""
    return list(PromotionalTerm.objects.filter(is_active=True).values_list("term", flat=True))


ALLOWED = "allowed"


def advertising_lists() -> Lists:
    """Return the lists the advertising detector reads: active terms with their severity, active allowed phrases."""
    # One query for both lists: a send pays for it on every cache miss.
    terms = PromotionalTerm.objects.filter(is_active=True).order_by().values_list("term", "severity")
    phrases = (
        AllowedPhrase.objects.filter(is_active=True)
        .order_by()
        .values_list("phrase", Value(ALLOWED, output_field=CharField()))
    )
    rows = list(terms.union(phrases, all=True))
    return Lists.of([(t, kind) for t, kind in rows if kind != ALLOWED], [t for t, kind in rows if kind == ALLOWED])


def allowed_link_domains(brand: Brand) -> set[str]:
    return set(BrandLinkDomain.objects.filter(brand=brand).values_list("domain", flat=True))


# Send-time checks run for every notification; the word list and allow-lists change rarely.
# Each process keeps them for a few seconds, and forgets them at once when this process saves one.
_SEND_CACHE_SECONDS = 10.0
_send_cache: dict[Any, tuple[float, Any]] = {}


def forget_send_caches(**kwargs: Any) -> None:
    _send_cache.clear()


def _send_cached(key: Any, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _send_cache.get(key)
    if hit is not None and now - hit[0] < _SEND_CACHE_SECONDS:
        return hit[1]
    value = load()
    _send_cache[key] = (now, value)
    return value


def templates_visible_to(user: User | AnonymousUser) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(brand__in=brands_visible_to(user)).select_related("brand", "current_version")


def review_queue() -> QuerySet[TemplateVersion]:
    """Versions waiting for a reviewer: submitted, in review or suspended, oldest first."""
    return (
        TemplateVersion.objects.filter(status__in=QUEUE_STATUSES)
        .select_related("template__brand", "author", "locked_to")
        .order_by("submitted_at", "id")
    )


def overrules_awaiting_confirmation() -> QuerySet[RuleResult]:
    """Overrules of blocking findings that wait for a second reviewer, oldest first."""
    return (
        RuleResult.objects.filter(
            severity=Severity.BLOCKING,
            overruled_at__isnull=False,
            overrule_confirmed_at__isnull=True,
            version__status__in=[*EDITABLE_STATUSES, *QUEUE_STATUSES],
        )
        .select_related("version__template__brand", "overruled_by")
        .order_by("overruled_at", "id")
    )


def previous_approved_version(version: TemplateVersion) -> TemplateVersion | None:
    """The version that was in force before this one was written (approved, suspended or retired)."""
    return (
        TemplateVersion.objects.filter(
            template_id=version.template_id,
            number__lt=version.number,
            approved_at__isnull=False,
            status__in=[TemplateStatus.APPROVED, TemplateStatus.SUSPENDED, TemplateStatus.RETIRED],
        )
        .order_by("-number")
        .first()
    )


def version_diff_html(old: TemplateVersion | None, new: TemplateVersion) -> str:
    """Return a word-level side-by-side diff of two versions' content, whitespace changes marked."""
    return version_diff_table(old, new)


def template_version_for_send(*, brand: Brand, code: str) -> TemplateVersion:
    """Return the approved, unsuspended version of the brand's template ``code``; refuse anything else."""
    template = MessageTemplate.objects.filter(brand=brand, code=code).select_related("current_version").first()
    if template is not None:
        template.brand = brand
    if template is None:
        raise TemplateNotSendable(
            _("No template with code “%(code)s” for this brand.") % {"code": code}, code="template_unknown"
        )
    version = template.current_version
    if version is None:
        raise TemplateNotSendable(
            _("Template “%(code)s” has no approved version yet.") % {"code": code}, code="template_not_approved"
        )
    if version.status == TemplateStatus.SUSPENDED:
        raise TemplateNotSendable(
            _("Template “%(code)s” is suspended pending compliance review.") % {"code": code},
            code="template_suspended",
        )
    if version.status == TemplateStatus.RETIRED:
        raise TemplateNotSendable(_("Template “%(code)s” is retired.") % {"code": code}, code="template_retired")
    if version.status != TemplateStatus.APPROVED:
        raise TemplateNotSendable(
            _("Template “%(code)s” is not approved.") % {"code": code}, code="template_not_approved"
        )
    version.template = template  # the pipeline reads the use case and brand from it: no more queries
    return version


def _check_timing(
    *,
    version: TemplateVersion,
    occurred_at: datetime,
    now: datetime,
    reservation_key: str | None,
    prior_sends: PriorSendCounter | None,
) -> None:
    if occurred_at > now + CLOCK_SKEW:
        raise SendRuleViolation(
            _("occurred_at is in the future; give the time the event happened."),
            rule_code="TIMING_FUTURE",
            field="occurred_at",
        )
    use_case = version.template.use_case
    window = SEND_WINDOWS.get(use_case)
    if window is not None and now - occurred_at > window:
        raise SendRuleViolation(
            _("A %(use_case)s notice must go out within %(window)s of the event; this one is too late.")
            % {"use_case": version.template.get_use_case_display(), "window": window},
            rule_code="TIMING_LATE",
            field="occurred_at",
        )
    if use_case == UseCase.RESERVATION_REMINDER:
        if not reservation_key:
            raise SendRuleViolation(
                _("Reservation reminders need the reservation's key to count earlier reminders."),
                rule_code="TIMING_RESERVATION_KEY",
                field="reservation_key",
            )
        if prior_sends is None:
            raise TypeError("prior_sends is required for reservation reminders")
        sent = prior_sends(version=version, reservation_key=reservation_key, since=now - RESERVATION_REMINDER_PERIOD)
        if sent >= RESERVATION_REMINDER_LIMIT:
            raise SendRuleViolation(
                _("At most %(limit)d reminders per reservation within 7 days; %(sent)d already sent.")
                % {"limit": RESERVATION_REMINDER_LIMIT, "sent": sent},
                rule_code="TIMING_REMINDER_LIMIT",
                field="reservation_key",
            )


def send_check_variables(
    *,
    version: TemplateVersion,
    variables: Mapping[str, Any],
    occurred_at: datetime,
    now: datetime | None = None,
    reservation_key: str | None = None,
    prior_sends: PriorSendCounter | None = None,
) -> dict[str, str]:
    """Check a send's variable values and timing against the rules; return the values as strings.

    Raises :class:`SendRuleViolation` with the rule code and ``field="variables.<name>"``
    (or ``occurred_at`` / ``reservation_key`` for timing rules).
    """
    now = now or timezone.now()
    declared = {v["name"]: v for v in version.variables or []}
    for name in variables:
        if name not in declared:
            raise SendRuleViolation(
                _("“%(name)s” is not a variable of this template (declared: %(declared)s).")
                % {"name": name, "declared": ", ".join(declared) or "-"},
                rule_code="VALUE_UNKNOWN",
                field=f"variables.{name}",
            )
    lists = _send_cached("advertising", advertising_lists)
    brand = version.template.brand
    domains = _send_cached(("domains", brand.pk), lambda: allowed_link_domains(brand))
    cleaned: dict[str, str] = {}
    for name, variable in declared.items():
        field = f"variables.{name}"
        raw = variables.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise SendRuleViolation(
                _("Give a value for %(name)s.") % {"name": name}, rule_code="VALUE_MISSING", field=field
            )
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise SendRuleViolation(
                _("Give %(name)s as a string.") % {"name": name}, rule_code="VALUE_TYPE", field=field
            )
        value = str(raw).strip()
        problem = check_value_type(variable, value)
        if problem:
            raise SendRuleViolation(problem, rule_code="VALUE_TYPE", field=field)
        max_length = variable.get("max_length")
        if max_length and len(value) > int(max_length):
            raise SendRuleViolation(
                _("%(name)s is %(length)d characters; at most %(max)d.")
                % {"name": name, "length": len(value), "max": max_length},
                rule_code="VALUE_MAX_LENGTH",
                field=field,
            )
        broken = check_value(
            variable,
            value,
            promotional_terms=[],  # the detector reads them from ``lists``
            allowed_domains=domains,
            advertising=lists,
            use_case=version.template.use_case,
        )
        if broken:
            raise SendRuleViolation(broken[1], rule_code=broken[0], field=field)
        cleaned[name] = value
    if len(fill(version.text, cleaned)) > LINE_TEXT_MAX:
        raise SendRuleViolation(
            _("The text is longer than 5,000 characters."), rule_code="LINE_TEXT_LENGTH", field="variables"
        )
    if version.is_line_template and (overflow := filled_length_problem(version=version, variables=cleaned)):
        raise SendRuleViolation(overflow[1], rule_code="LINE_TEMPLATE", field=overflow[0])
    if version.sms_text and sms_segments(render_sms_text(version=version, variables=cleaned)) > SMS_MAX_SEGMENTS:
        raise SendRuleViolation(
            _("The SMS would take more than %(max)d segments.") % {"max": SMS_MAX_SEGMENTS},
            rule_code="SMS_LENGTH",
            field="variables",
        )
    _check_timing(
        version=version, occurred_at=occurred_at, now=now, reservation_key=reservation_key, prior_sends=prior_sends
    )
    return cleaned
