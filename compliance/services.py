"""Writes of template review: every status move is one function, audited in its transaction.

Allowed moves are the explicit table ``ALLOWED_MOVES``; anything else raises
:class:`~compliance.exceptions.TransitionNotAllowed` with the reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.choices import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    ChangeReason,
    OverruleReason,
    Severity,
    TemplateStatus,
)
from compliance.exceptions import TransitionNotAllowed
from compliance.hooks import TemplateSendStats, send_stats_providers
from compliance.models import (
    CONTENT_FIELDS,
    AllowedPhrase,
    BrandLinkDomain,
    MessageTemplate,
    PromotionalTerm,
    RuleResult,
    SendViolation,
    TemplateVersion,
)
from compliance.rules import RULES_BY_CODE, build_context, evaluate
from compliance.selectors import advertising_lists, allowed_link_domains, promotional_terms
from portal.models import Brand
from portal.selectors import brands_editable_by
from portal.services import Actor, audit_record

S = TemplateStatus
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.CHANGES_REQUESTED: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.CHANGES_REQUESTED, S.REJECTED, S.SUBMITTED}),
    S.APPROVED: frozenset({S.SUSPENDED, S.RETIRED}),
    S.SUSPENDED: frozenset({S.IN_REVIEW, S.RETIRED}),
    S.REJECTED: frozenset(),
    S.RETIRED: frozenset(),
}
REVIEW_PERMISSION = "compliance.review_templateversion"
logger = logging.getLogger(__name__)


# --- Guards ------------------------------------------------------------------------------------


def _move(version: TemplateVersion, to: str) -> str:
    """Change the version's status if the table allows it; return the old status."""
    old = version.status
    if to not in ALLOWED_MOVES.get(old, frozenset()):
        raise TransitionNotAllowed(
            _("Version %(n)s is %(old)s; it cannot become %(new)s.")
            % {"n": version.number, "old": S(old).label, "new": S(to).label},
            field="status",
        )
    version.status = to
    return old


def _is_user(actor: Actor) -> bool:
    return isinstance(actor, AbstractBaseUser)


def _require_author(actor: Actor, brand: Brand) -> None:
    if not _is_user(actor) or not brands_editable_by(actor).filter(pk=brand.pk).exists():  # type: ignore[arg-type]
        raise TransitionNotAllowed(
            _("Only the brand's account managers write and submit its templates."), code="not_author", field="actor"
        )


def _require_reviewer(actor: Actor) -> None:
    if not _is_user(actor) or not actor.has_perm(REVIEW_PERMISSION):  # type: ignore[union-attr]
        raise TransitionNotAllowed(_("Only compliance reviewers review templates."), code="not_reviewer", field="actor")


def _require_four_eyes(version: TemplateVersion, reviewer: Actor) -> None:
    if reviewer is not None and getattr(reviewer, "pk", None) in {version.author_id, version.submitted_by_id}:
        raise TransitionNotAllowed(
            _("Four-eyes rule: the author of a version cannot review or approve it."), code="four_eyes", field="actor"
        )


def _require_lock(version: TemplateVersion, reviewer: Actor) -> None:
    if version.status != S.IN_REVIEW:
        raise TransitionNotAllowed(
            _("Start the review first (version %(n)s is %(status)s).")
            % {"n": version.number, "status": version.get_status_display()},
            field="status",
        )
    if version.locked_to_id != getattr(reviewer, "pk", None):
        raise TransitionNotAllowed(
            _("Version %(n)s is in review by %(user)s.") % {"n": version.number, "user": version.locked_to},
            code="locked",
            field="locked_to",
        )


def _locked(version: TemplateVersion) -> TemplateVersion:
    """Re-read the version under a row lock, so two reviewers cannot act on it at once."""
    return TemplateVersion.objects.select_for_update().select_related("template__brand").get(pk=version.pk)


def _refresh_template_status(template: MessageTemplate) -> None:
    current = template.current_version
    if current is not None:
        template.status = current.status
    else:
        latest = template.versions.order_by("-number").first()
        template.status = latest.status if latest else S.DRAFT
    template.save(update_fields=["status", "current_version", "updated_at"])


# --- Authoring -----------------------------------------------------------------------------------


def _apply_content(version: TemplateVersion, content: dict[str, Any]) -> list[str]:
    unknown = set(content) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"not content fields: {sorted(unknown)}")
    changed = [name for name, value in content.items() if getattr(version, name) != value]
    for name in changed:
        setattr(version, name, content[name])
    version.clean()  # a LINE template's fields within LINE's limits, each error on its field
    return changed


@transaction.atomic
def template_create(
    *,
    brand: Brand,
    code: str,
    name: str,
    use_case: str,
    author: Actor,
    language: str = "zh-hant",
    new_use_case_description: str = "",
    **content: Any,
) -> MessageTemplate:
    """Create a template and its first draft version."""
    _require_author(author, brand)
    template = MessageTemplate(
        brand=brand,
        code=code,
        name=name,
        use_case=use_case,
        language=language,
        new_use_case_description=new_use_case_description,
    )
    template.full_clean()
    template.save()
    version = TemplateVersion(template=template, number=1, author=author)  # type: ignore[misc]
    _apply_content(version, content)
    version.save()
    audit_record(action="template.created", actor=author, obj=template, data={"code": code, "use_case": use_case})
    return template


@transaction.atomic
def template_update(*, template: MessageTemplate, actor: Actor, **fields: Any) -> MessageTemplate:
    """Change a template's name, use case, language or description while nothing is approved or in review."""
    _require_author(actor, template.brand)
    allowed = {"name", "use_case", "language", "new_use_case_description"}
    if set(fields) - allowed:
        raise TypeError(f"not template fields: {sorted(set(fields) - allowed)}")
    changed = [name for name, value in fields.items() if getattr(template, name) != value]
    locked = template.versions.exclude(status__in=[*EDITABLE_STATUSES, S.REJECTED, S.RETIRED]).exists()
    if locked and set(changed) - {"name"}:
        raise TransitionNotAllowed(
            _("The use case and language are part of what was reviewed; retire this template and create a new one."),
            field="use_case",
        )
    for name in changed:
        setattr(template, name, fields[name])
    if changed:
        template.full_clean()
        template.save()
        audit_record(action="template.updated", actor=actor, obj=template, data={"fields": sorted(changed)})
    return template


@transaction.atomic
def template_update_draft(*, version: TemplateVersion, actor: Actor, **content: Any) -> TemplateVersion:
    """Change the content of a draft (or a version sent back for changes)."""
    version = _locked(version)
    _require_author(actor, version.template.brand)
    if version.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            _("Version %(n)s is %(status)s: create a new version to change it.")
            % {"n": version.number, "status": version.get_status_display()},
            code="version_locked",
            field="content",
        )
    changed = _apply_content(version, content)
    if changed:
        version.save()
        audit_record(action="template.draft_updated", actor=actor, obj=version, data={"fields": sorted(changed)})
    return version


@transaction.atomic
def template_new_version(*, template: MessageTemplate, author: Actor, **content: Any) -> TemplateVersion:
    """Start a new draft from the newest version; an approved version itself never changes."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    _require_author(author, template.brand)
    open_version = template.versions.filter(status__in=OPEN_STATUSES).first()
    if open_version is not None:
        raise TransitionNotAllowed(
            _("Version %(n)s is still %(status)s; finish it first.")
            % {"n": open_version.number, "status": open_version.get_status_display()},
            code="open_version_exists",
            field="template",
        )
    base = template.current_version or template.versions.order_by("-number").first()
    number = (template.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = TemplateVersion(template=template, number=number, author=author)  # type: ignore[misc]
    if base is not None:
        _apply_content(version, {name: getattr(base, name) for name in CONTENT_FIELDS})
    _apply_content(version, content)
    version.save()
    audit_record(
        action="template.version_created",
        actor=author,
        obj=version,
        data={"number": number, "based_on": base.number if base else None},
    )
    _refresh_template_status(template)
    return version


# --- Rules -------------------------------------------------------------------------------------------


@transaction.atomic
def template_check_rules(*, version: TemplateVersion, actor: Actor = None) -> list[RuleResult]:
    """Run every guideline rule on the version and store the results (a draft's verdicts reset)."""
    ctx = build_context(
        version,
        promotional_terms=promotional_terms(),
        allowed_domains=allowed_link_domains(version.template.brand),
        advertising=advertising_lists(),
    )
    now = timezone.now()
    reset = version.status in EDITABLE_STATUSES
    existing = {r.rule_code: r for r in version.rule_results.all()}
    results = []
    for rule, finding in evaluate(ctx):
        result = existing.pop(rule.code, None) or RuleResult(version=version, rule_code=rule.code)
        same_finding = (result.passed, result.message_code, result.message_params, result.message) == (
            finding.passed,
            finding.message,
            finding.params,
            finding.detail,
        )
        result.severity = rule.severity
        result.passed = finding.passed
        result.message_code = finding.message
        result.message_params = finding.params
        result.message = finding.detail
        result.checked_at = now
        if reset:
            result.reviewer_passed, result.reviewer_note, result.reviewed_by, result.reviewed_at = None, "", None, None
        if result.is_overruled and (not same_finding or finding.passed is True):
            # An overrule sets aside what the check found then; a different finding is looked at afresh.
            audit_record(action="template.overrule_dropped", actor=actor, obj=version, data={"rule": rule.code})
            _clear_overrule(result)
        result.save()
        results.append(result)
    RuleResult.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()  # rules that no longer exist
    failed = sorted(r.rule_code for r in results if r.passed is False)
    audit_record(action="template.rules_checked", actor=actor, obj=version, data={"failed": failed})
    if version.status == S.IN_REVIEW and getattr(actor, "pk", None) == version.locked_to_id:
        _touch_lock(version)
    return results


def _clear_overrule(result: RuleResult) -> None:
    result.overrule_reason, result.overrule_note = "", ""
    result.overruled_by, result.overruled_at = None, None
    result.overrule_confirmed_by, result.overrule_confirmed_at = None, None


def blocking_failures(version: TemplateVersion, *, automatic_only: bool = False) -> list[RuleResult]:
    """Return the blocking rules the version fails (or that still wait for a reviewer's verdict).

    ``automatic_only`` (submitting): the failed checks no reviewer overruled. Otherwise
    (approving): every blocking rule not passed, confirmed, or overruled and confirmed.
    """
    failures = []
    for result in version.rule_results.all():
        if result.severity != Severity.BLOCKING:
            continue
        if automatic_only:
            if result.passed is False and not result.is_overruled:
                failures.append(result)
        elif result.effective_passed is not True:
            failures.append(result)
    return failures


# --- Workflow ------------------------------------------------------------------------------------------


def template_submit(*, version: TemplateVersion, actor: Actor) -> TemplateVersion:
    """Check the rules and submit the version for review; blocking failures keep it a draft."""
    _require_author(actor, version.template.brand)
    if version.status not in EDITABLE_STATUSES:
        _move(version, S.SUBMITTED)  # raises with the reason
    template_check_rules(version=version, actor=actor)  # stored even when the submit is refused
    with transaction.atomic():
        version = _locked(version)
        failures = blocking_failures(version, automatic_only=True)
        if failures:
            raise TransitionNotAllowed(
                _(
                    "Fix these before submitting: %(rules)s. If a finding is wrong, a compliance reviewer "
                    "may overrule it with a reason."
                )
                % {"rules": ", ".join(r.rule_code for r in failures)},
                code="blocking_rules_failed",
                field="content",
            )
        _move(version, S.SUBMITTED)
        version.submitted_by = actor  # type: ignore[assignment]
        version.submitted_at = timezone.now()
        language = translation.get_language() or ""
        version.author_language = language if language in dict(settings.LANGUAGES) else ""
        version.save(update_fields=["status", "submitted_by", "submitted_at", "author_language", "updated_at"])
        audit_record(action="template.submitted", actor=actor, obj=version, data={"number": version.number})
        _refresh_template_status(version.template)
    return version


@transaction.atomic
def template_start_review(*, version: TemplateVersion, reviewer: Actor) -> TemplateVersion:
    """Take a submitted (or suspended) version into review; it is locked to this reviewer."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_four_eyes(version, reviewer)
    if version.status == S.IN_REVIEW:
        raise TransitionNotAllowed(
            _("Version %(n)s is already in review by %(user)s.") % {"n": version.number, "user": version.locked_to},
            code="locked",
            field="locked_to",
        )
    old = _move(version, S.IN_REVIEW)
    version.locked_to = reviewer  # type: ignore[assignment]
    version.review_started_at = version.locked_at = version.lock_active_at = timezone.now()
    version.save(
        update_fields=["status", "locked_to", "review_started_at", "locked_at", "lock_active_at", "updated_at"]
    )
    audit_record(action="template.review_started", actor=reviewer, obj=version, data={"from": old})
    if old == S.SUSPENDED:
        template_check_rules(version=version, actor=reviewer)
    _refresh_template_status(version.template)
    return version


@transaction.atomic
def template_release_review(*, version: TemplateVersion, reviewer: Actor) -> TemplateVersion:
    """Give a version in review back to the queue (by its reviewer, or a superuser)."""
    version = _locked(version)
    if not getattr(reviewer, "is_superuser", False):
        _require_lock(version, reviewer)
    _move(version, S.SUBMITTED)
    version.locked_to = version.locked_at = version.lock_active_at = None
    version.save(update_fields=["status", "locked_to", "locked_at", "lock_active_at", "updated_at"])
    audit_record(action="template.review_released", actor=reviewer, obj=version)
    _refresh_template_status(version.template)
    return version


@transaction.atomic
def template_record_rule_result(
    *, version: TemplateVersion, reviewer: Actor, rule_code: str, passed: bool, note: str = ""
) -> RuleResult:
    """Record the reviewer's pass/fail on one rule (manual rules, or overriding a check with a note)."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_lock(version, reviewer)
    result = version.rule_results.filter(rule_code=rule_code).first()
    if result is None or rule_code not in RULES_BY_CODE:
        raise TransitionNotAllowed(_("Unknown rule %(code)s.") % {"code": rule_code}, field="rule_code")
    if result.passed is False and passed and result.severity == Severity.BLOCKING:
        raise TransitionNotAllowed(
            _("%(code)s is a blocking check that failed: overrule it with a reason; a second reviewer confirms.")
            % {"code": rule_code},
            code="overrule_required",
            field=f"rule.{rule_code}",
        )
    if result.passed is False and passed and not note.strip():
        raise TransitionNotAllowed(
            _("%(code)s failed its check: say in a note why it passes.") % {"code": rule_code},
            code="note_required",
            field=f"rule.{rule_code}",
        )
    result.reviewer_passed = passed
    result.reviewer_note = note.strip()
    result.reviewed_by = reviewer  # type: ignore[assignment]
    result.reviewed_at = timezone.now()
    result.save()
    _touch_lock(version)
    audit_record(
        action="template.rule_reviewed",
        actor=reviewer,
        obj=version,
        data={"rule": rule_code, "passed": passed, "note": result.reviewer_note, "check_passed": result.passed},
    )
    return result


def _touch_lock(version: TemplateVersion) -> None:
    """Note the lock holder's activity: the idle time before a takeover counts from here."""
    if version.status == S.IN_REVIEW and version.locked_to_id is not None:
        version.lock_active_at = timezone.now()
        TemplateVersion.objects.filter(pk=version.pk).update(lock_active_at=version.lock_active_at)


def lock_idle_until(version: TemplateVersion) -> Any:
    """When another reviewer may take the review over (None: it is not locked)."""
    if version.status != S.IN_REVIEW or version.locked_to_id is None:
        return None
    since = version.lock_active_at or version.locked_at or version.review_started_at or version.updated_at
    return since + timedelta(minutes=settings.COMPLIANCE_REVIEW_LOCK_IDLE_MINUTES)


@transaction.atomic
def template_take_over_review(*, version: TemplateVersion, reviewer: Actor) -> TemplateVersion:
    """Take a review locked to another reviewer: after the idle time, or at once as a superuser."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_four_eyes(version, reviewer)
    if version.status != S.IN_REVIEW or version.locked_to_id is None:
        raise TransitionNotAllowed(
            _("Version %(n)s is not in review; start the review instead.") % {"n": version.number},
            code="not_in_review",
            field="status",
        )
    if version.locked_to_id == getattr(reviewer, "pk", None):
        raise TransitionNotAllowed(_("The review is already yours."), code="already_yours", field="locked_to")
    now = timezone.now()
    free_at = lock_idle_until(version)
    superuser = bool(getattr(reviewer, "is_superuser", False))
    if not superuser and free_at is not None and now < free_at:
        raise TransitionNotAllowed(
            _("%(user)s is working on this review; you may take it over from %(time)s (%(minutes)d idle minutes).")
            % {
                "user": version.locked_to,
                "time": timezone.localtime(free_at).strftime("%Y-%m-%d %H:%M"),
                "minutes": settings.COMPLIANCE_REVIEW_LOCK_IDLE_MINUTES,
            },
            code="lock_active",
            field="locked_to",
        )
    previous = version.locked_to
    idle_minutes = int((now - (version.lock_active_at or version.locked_at or now)).total_seconds() // 60)
    version.locked_to = reviewer  # type: ignore[assignment]
    version.locked_at = version.lock_active_at = now
    version.save(update_fields=["locked_to", "locked_at", "lock_active_at", "updated_at"])
    audit_record(
        action="template.review_taken_over",
        actor=reviewer,
        obj=version,
        data={
            "from": str(previous),
            "idle_minutes": idle_minutes,
            "as_superuser": superuser and free_at is not None and now < free_at,
        },
    )
    return version


_OVERRULE_STATUSES = frozenset({*EDITABLE_STATUSES, S.IN_REVIEW})
_CONFIRM_STATUSES = frozenset({*EDITABLE_STATUSES, S.SUBMITTED, S.IN_REVIEW, S.SUSPENDED})


def _rule_result(version: TemplateVersion, rule_code: str) -> RuleResult:
    result = version.rule_results.filter(rule_code=rule_code).first()
    if result is None:
        raise TransitionNotAllowed(_("Unknown rule %(code)s.") % {"code": rule_code}, field="rule_code")
    return result


@transaction.atomic
def rule_result_overrule(
    *, version: TemplateVersion, reviewer: Actor, rule_code: str, reason: str, note: str
) -> RuleResult:
    """Set aside what a check found, with a coded reason and a note; a blocking one waits for a second reviewer.

    Only a reviewer who did not write or submit the version may overrule; on a version in
    review, only the reviewer holding it. Overruling a draft's finding lets the author submit.
    """
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_four_eyes(version, reviewer)
    if version.status not in _OVERRULE_STATUSES:
        raise TransitionNotAllowed(
            _("Version %(n)s is %(status)s: start the review to overrule a finding.")
            % {"n": version.number, "status": version.get_status_display()},
            field="status",
        )
    if version.status == S.IN_REVIEW:
        _require_lock(version, reviewer)
    result = _rule_result(version, rule_code)
    rule = RULES_BY_CODE.get(rule_code)
    if rule is not None and rule.manual:
        raise TransitionNotAllowed(
            _("%(code)s is decided by the reviewer: record your verdict instead.") % {"code": rule_code},
            code="manual_rule",
            field=f"rule.{rule_code}",
        )
    if result.passed is True:
        raise TransitionNotAllowed(
            _("%(code)s passed its check: there is nothing to overrule.") % {"code": rule_code},
            code="nothing_to_overrule",
            field=f"rule.{rule_code}",
        )
    if reason not in OverruleReason.values:
        raise TransitionNotAllowed(
            _("Choose a reason for overruling %(code)s from the list.") % {"code": rule_code},
            code="overrule_reason_required",
            field=f"overrule_reason.{rule_code}",
        )
    if not note.strip():
        raise TransitionNotAllowed(
            _("Say in a note why %(code)s does not apply here.") % {"code": rule_code},
            code="overrule_note_required",
            field=f"overrule_note.{rule_code}",
        )
    _clear_overrule(result)
    result.overrule_reason, result.overrule_note = reason, note.strip()
    result.overruled_by = reviewer  # type: ignore[assignment]
    result.overruled_at = timezone.now()
    result.save()
    _touch_lock(version)
    audit_record(
        action="template.finding_overruled",
        actor=reviewer,
        obj=version,
        data={
            "rule": rule_code,
            "severity": result.severity,
            "reason": reason,
            "note": result.overrule_note,
            "finding": result.message,
            "needs_confirmation": result.overrule_needs_confirmation,
        },
    )
    return result


@transaction.atomic
def rule_result_confirm_overrule(*, version: TemplateVersion, reviewer: Actor, rule_code: str) -> RuleResult:
    """Confirm another reviewer's overrule of a blocking finding (the second pair of eyes)."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_four_eyes(version, reviewer)
    if version.status not in _CONFIRM_STATUSES:
        raise TransitionNotAllowed(
            _("Version %(n)s is %(status)s: its findings can no longer change.")
            % {"n": version.number, "status": version.get_status_display()},
            field="status",
        )
    result = _rule_result(version, rule_code)
    if not result.overrule_needs_confirmation:
        raise TransitionNotAllowed(
            _("No overrule of %(code)s waits for confirmation.") % {"code": rule_code},
            code="nothing_to_confirm",
            field=f"rule.{rule_code}",
        )
    if result.overruled_by_id == getattr(reviewer, "pk", None):
        raise TransitionNotAllowed(
            _("Four-eyes rule: a second reviewer, not the one who overruled %(code)s, confirms it.")
            % {"code": rule_code},
            code="four_eyes",
            field="actor",
        )
    result.overrule_confirmed_by = reviewer  # type: ignore[assignment]
    result.overrule_confirmed_at = timezone.now()
    result.save(update_fields=["overrule_confirmed_by", "overrule_confirmed_at"])
    audit_record(
        action="template.overrule_confirmed",
        actor=reviewer,
        obj=version,
        data={"rule": rule_code, "overruled_by": str(result.overruled_by), "reason": result.overrule_reason},
    )
    return result


# --- E-mail ---------------------------------------------------------------------------------------------

MAIL_LANGUAGE_DEFAULT = "zh-hant"


def _mail_author_after_commit(version: TemplateVersion, decision: str) -> None:
    version_id = version.pk
    transaction.on_commit(lambda: template_decision_mail_send(version_id=version_id, decision=decision))


def template_decision_mail_send(*, version_id: int, decision: str) -> bool:
    """E-mail the author a reviewer's decision, in the language they submitted in (else zh-Hant).

    Called after the decision is committed: a mail server that fails is logged, and the
    decision stands. Return whether a mail went out.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    version = TemplateVersion.objects.select_related("template__brand", "author", "reviewer").get(pk=version_id)
    author = version.author
    if author is None or not author.email:
        return False
    language = version.author_language or MAIL_LANGUAGE_DEFAULT
    with translation.override(language):
        context = {
            "version": version,
            "template": version.template,
            "decision": decision,
            "reasons": [ChangeReason(code).label for code in version.change_reasons if code in ChangeReason.values],
            "url": f"{settings.PORTAL_BASE_URL}/admin/compliance/templateversion/{version.pk}/change/",
        }
        subject = " ".join(render_to_string("compliance/email/decision_subject.txt", context).split())
        body = render_to_string("compliance/email/decision.txt", context).strip() + "\n"
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[author.email])
    except Exception:  # the decision is recorded; a mail server's refusal must not undo or hide it
        logger.exception("decision e-mail for template version %s failed", version_id)
        return False
    return True


def review_digest_send(*, today: Any) -> int:
    """E-mail each reviewer what waits in the review queue; return how many e-mails went out.

    A reviewer without an e-mail address, or with nothing they could act on, gets none; a
    second run on the same day sends nothing again (the cache remembers who was told).
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from compliance.selectors import overrules_awaiting_confirmation, review_queue

    waiting = list(review_queue())
    to_confirm = list(overrules_awaiting_confirmation())
    if not waiting and not to_confirm:
        return 0
    sent = 0
    for user in get_user_model().objects.filter(is_active=True).exclude(email="").order_by("pk"):
        if not user.has_perm(REVIEW_PERMISSION):
            continue
        mine = [v for v in waiting if user.pk not in (v.author_id, v.submitted_by_id)]
        confirmable = [
            r for r in to_confirm if user.pk not in (r.overruled_by_id, r.version.author_id, r.version.submitted_by_id)
        ]
        if not mine and not confirmable:
            continue
        if not cache.add(f"compliance:review_digest:{today.isoformat()}:{user.pk}", 1, timeout=2 * 24 * 3600):
            continue
        context = {
            "reviewer": user,
            "today": today,
            "waiting": mine,
            "to_confirm": confirmable,
            "queue_url": f"{settings.PORTAL_BASE_URL}/admin/compliance/reviewqueueitem/",
            "portal_url": settings.PORTAL_BASE_URL,
        }
        parts, subjects = [], []
        for language in ("zh-hant", "en"):  # reviewers' language is not recorded: both, as in other digests
            with translation.override(language):
                parts.append(render_to_string("compliance/email/review_digest.txt", context).strip())
                subjects.append(
                    " ".join(render_to_string("compliance/email/review_digest_subject.txt", context).split())
                )
        send_mail(
            subject=" / ".join(subjects),
            message="\n\n----------\n\n".join(parts) + "\n",
            from_email=None,
            recipient_list=[user.email],
        )
        sent += 1
    return sent


@transaction.atomic
def template_approve(*, version: TemplateVersion, reviewer: Actor, comment: str = "") -> TemplateVersion:
    """Approve a version in review: it becomes the one sends use; the previous one retires."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_four_eyes(version, reviewer)
    _require_lock(version, reviewer)
    failures = blocking_failures(version)
    unconfirmed = [r.rule_code for r in failures if r.overrule_needs_confirmation]
    if unconfirmed:
        raise TransitionNotAllowed(
            _("Not approvable yet: a second reviewer must confirm the overrule of %(rules)s.")
            % {"rules": ", ".join(unconfirmed)},
            code="overrule_unconfirmed",
            field="rules",
        )
    if failures:
        raise TransitionNotAllowed(
            _("Not approvable: blocking rules failed or not yet confirmed: %(rules)s")
            % {"rules": ", ".join(r.rule_code for r in failures)},
            code="blocking_rules_open",
            field="rules",
        )
    _move(version, S.APPROVED)
    now = timezone.now()
    version.reviewer = reviewer  # type: ignore[assignment]
    version.reviewed_at = now
    version.approved_at = version.approved_at or now
    version.locked_to = None
    version.review_comment = comment
    version.change_reasons = []  # the earlier request is in the audit trail
    version.hold_reason = {}
    version.locked_at = version.lock_active_at = None
    version.save()
    template = MessageTemplate.objects.select_for_update().get(pk=version.template_id)
    previous = template.current_version
    if previous is not None and previous.pk != version.pk and previous.status in (S.APPROVED, S.SUSPENDED):
        _move(previous, S.RETIRED)
        previous.save(update_fields=["status", "updated_at"])
        audit_record(action="template.superseded", actor=reviewer, obj=previous, data={"by": version.number})
    template.current_version = version
    audit_record(action="template.approved", actor=reviewer, obj=version, data={"comment": comment})
    _refresh_template_status(template)
    _mail_author_after_commit(version, "approved")
    return version


def _clean_reasons(reasons: Iterable[str]) -> list[str]:
    cleaned = sorted(set(reasons))
    if not cleaned or set(cleaned) - set(ChangeReason.values):
        raise TransitionNotAllowed(
            _("Choose at least one reason from the list."), code="reasons_required", field="reasons"
        )
    return cleaned


@transaction.atomic
def template_request_changes(
    *, version: TemplateVersion, reviewer: Actor, reasons: Iterable[str], comment: str = ""
) -> TemplateVersion:
    """Send the version back to its author with coded reasons; it becomes editable again."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_lock(version, reviewer)
    cleaned = _clean_reasons(reasons)
    if version.approved_at is not None:
        raise TransitionNotAllowed(
            _("Version %(n)s was sent to members: reject it, and the author edits a new version.")
            % {"n": version.number},
            code="was_approved",
            field="status",
        )
    _move(version, S.CHANGES_REQUESTED)
    version.reviewer = reviewer  # type: ignore[assignment]
    version.reviewed_at = timezone.now()
    version.locked_to = None
    version.change_reasons = cleaned
    version.review_comment = comment
    version.locked_at = version.lock_active_at = None
    version.save()
    audit_record(
        action="template.changes_requested", actor=reviewer, obj=version, data={"reasons": cleaned, "comment": comment}
    )
    _refresh_template_status(version.template)
    _mail_author_after_commit(version, "changes_requested")
    return version


@transaction.atomic
def template_reject(
    *, version: TemplateVersion, reviewer: Actor, reasons: Iterable[str], comment: str = ""
) -> TemplateVersion:
    """Reject the version for good; the author may start a new version."""
    version = _locked(version)
    _require_reviewer(reviewer)
    _require_lock(version, reviewer)
    cleaned = _clean_reasons(reasons)
    _move(version, S.REJECTED)
    version.reviewer = reviewer  # type: ignore[assignment]
    version.reviewed_at = timezone.now()
    version.locked_to = None
    version.change_reasons = cleaned
    version.review_comment = comment
    version.locked_at = version.lock_active_at = None
    version.save()
    template = MessageTemplate.objects.select_for_update().get(pk=version.template_id)
    if template.current_version_id == version.pk:
        template.current_version = None
    audit_record(action="template.rejected", actor=reviewer, obj=version, data={"reasons": cleaned, "comment": comment})
    _refresh_template_status(template)
    _mail_author_after_commit(version, "rejected")
    return version


@transaction.atomic
def template_suspend(*, version: TemplateVersion, actor: Actor, reason: dict[str, Any]) -> TemplateVersion:
    """Stop sends of an approved version and put it back in the review queue with the reason."""
    version = _locked(version)
    if _is_user(actor):
        _require_reviewer(actor)
    _move(version, S.SUSPENDED)
    version.hold_reason = reason
    version.submitted_at = timezone.now()  # back in the queue, at its end
    version.save(update_fields=["status", "hold_reason", "submitted_at", "updated_at"])
    audit_record(action="template.suspended", actor=actor, obj=version, data=reason)
    _refresh_template_status(version.template)
    return version


@transaction.atomic
def template_retire(*, version: TemplateVersion, actor: Actor) -> TemplateVersion:
    """Retire an approved or suspended version: it can never be sent again."""
    version = _locked(version)
    if not (_is_user(actor) and actor.has_perm(REVIEW_PERMISSION)):  # type: ignore[union-attr]
        _require_author(actor, version.template.brand)
    _move(version, S.RETIRED)
    version.locked_to = None
    version.save(update_fields=["status", "locked_to", "updated_at"])
    audit_record(action="template.retired", actor=actor, obj=version)
    _refresh_template_status(version.template)
    return version


# --- After approval ------------------------------------------------------------------------------------


def template_record_send_violation(
    *, version: TemplateVersion, rule_code: str, field: str = "", actor: Actor = "system"
) -> bool:
    """Record a send the rules refused; past the threshold, suspend the version. Return whether it was."""
    with transaction.atomic():
        SendViolation.objects.create(version=version, rule_code=rule_code, field=field)
        audit_record(action="template.send_refused", actor=actor, obj=version, data={"rule": rule_code, "field": field})
        since = timezone.now() - timedelta(hours=settings.COMPLIANCE_SEND_VIOLATION_WINDOW_HOURS)
        recent = list(version.send_violations.filter(created_at__gte=since).values_list("rule_code", flat=True))
        version.refresh_from_db(fields=["status"])
        if len(recent) < settings.COMPLIANCE_SEND_VIOLATION_THRESHOLD or version.status != S.APPROVED:
            return False
        template_suspend(
            version=version,
            actor=actor,
            reason={
                "kind": "send_violations",
                "count": len(recent),
                "window_hours": settings.COMPLIANCE_SEND_VIOLATION_WINDOW_HOURS,
                "rules": dict(Counter(recent)),
            },
        )
    return True


def template_quality_review(
    *, stats: Iterable[TemplateSendStats] | None = None, actor: Actor = "task:template_quality_review"
) -> list[int]:
    """Suspend approved versions whose SMS-fallback or block share crosses its threshold; return their ids."""
    if stats is None:
        since = timezone.now() - timedelta(days=settings.COMPLIANCE_QUALITY_WINDOW_DAYS)
        stats = [row for provider in send_stats_providers() for row in provider(since)]
    suspended = []
    for row in stats:
        if row.sends < settings.COMPLIANCE_QUALITY_MIN_SENDS:
            continue
        sms_share = row.sms_fallbacks / row.sends
        block_share = row.blocked_within_24h / row.line_deliveries_known_uid if row.line_deliveries_known_uid else 0.0
        over = []
        if sms_share > settings.COMPLIANCE_SMS_FALLBACK_SHARE_MAX:
            over.append("sms_fallback_share")
        if block_share > settings.COMPLIANCE_BLOCK_SHARE_MAX:
            over.append("block_share")
        if not over:
            continue
        version = TemplateVersion.objects.filter(pk=row.version_id, status=S.APPROVED).first()
        if version is None:
            continue
        template_suspend(
            version=version,
            actor=actor,
            reason={
                "kind": "quality",
                "over": over,
                "sends": row.sends,
                "sms_fallback_share": round(sms_share, 4),
                "block_share": round(block_share, 4),
                "sms_fallback_share_max": settings.COMPLIANCE_SMS_FALLBACK_SHARE_MAX,
                "block_share_max": settings.COMPLIANCE_BLOCK_SHARE_MAX,
            },
        )
        suspended.append(version.pk)
    return suspended


# --- The term list and the brands' link domains (reviewers' reference data) -----------------


@transaction.atomic
def promotional_term_save(*, term: PromotionalTerm, actor: Actor, changed: list[str] | None = None) -> PromotionalTerm:
    """Add or change a promotional term the guideline check looks for, with an audit row."""
    created = term.pk is None
    term.full_clean()
    term.save()
    audit_record(
        action="promotional_term.created" if created else "promotional_term.updated",
        actor=actor,
        obj=term,
        data={
            "term": term.term,
            "severity": term.severity,
            "is_active": term.is_active,
            "fields": sorted(changed or []),
        },
    )
    return term


@transaction.atomic
def allowed_phrase_save(*, phrase: AllowedPhrase, actor: Actor, changed: list[str] | None = None) -> AllowedPhrase:
    """Add or change a legitimate phrase the advertising check does not match inside, with an audit row."""
    created = phrase.pk is None
    phrase.full_clean()
    phrase.save()
    audit_record(
        action="allowed_phrase.created" if created else "allowed_phrase.updated",
        actor=actor,
        obj=phrase,
        data={"phrase": phrase.phrase, "is_active": phrase.is_active, "fields": sorted(changed or [])},
    )
    return phrase


@transaction.atomic
def brand_link_domain_save(*, domain: BrandLinkDomain, actor: Actor) -> BrandLinkDomain:
    """Allow (or correct) a domain a brand's templates may link to, with an audit row."""
    created = domain.pk is None
    domain.full_clean()
    domain.save()
    audit_record(
        action="link_domain.added" if created else "link_domain.updated",
        actor=actor,
        obj=domain,
        brand=domain.brand,
        data={"domain": domain.domain},
    )
    return domain


@transaction.atomic
def brand_link_domains_remove(*, domains: Iterable[BrandLinkDomain], actor: Actor) -> int:
    """Stop allowing these link domains, each with an audit row; return how many were removed."""
    count = 0
    for domain in domains:
        audit_record(
            action="link_domain.removed", actor=actor, obj=domain, brand=domain.brand, data={"domain": domain.domain}
        )
        domain.delete()
        count += 1
    return count
