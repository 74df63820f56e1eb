"""Writes of the application tracker; each one leaves an audit row in its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.choices import DocumentKind, Stage
from applications.exceptions import ApplicationError, GateNotMet, TransitionNotAllowed
from applications.gates import gate_failures
from applications.models import (
    Application,
    ApplicationDocument,
    CalendarOverride,
    PartnerUseCase,
    StageTransition,
    TechnologyPartner,
)
from applications.partners import use_case_review
from applications.selectors import effective_transitions
from applications.workdays import FIRST_YEAR, LAST_YEAR, WorkCalendar, current_calendar
from applications.workflow import check_move, first_stage, window_for
from portal.actors import Actor, actor_label, actor_user
from portal.models import Brand
from portal.services import audit_record


def _planned_window(
    *, application: Application, stage: str, on: date, is_rereview: bool, calendar: WorkCalendar
) -> tuple[date | None, date | None, str]:
    """Return LINE's window for entering ``stage`` on ``on`` and, where it matters, why that window."""
    review = use_case_review(application, on=on)
    window = window_for(stage, has_new_use_case=review.needed, is_rereview=is_rereview)
    if window is None:
        return None, None, ""
    start = calendar.quarterly_cutoff(on) if window.after_quarterly_cutoff else on
    planned_from = calendar.add_working_days(start, window.min_days)
    due = calendar.add_working_days(start, window.max_days) if window.max_days is not None else None
    reason = review.reason if stage == Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION and not is_rereview else ""
    if window.after_quarterly_cutoff:
        reason = _(
            "New use case: sent to LINE HQ at the quarterly cut-off %(date)s, then at least %(days)d working days."
        ) % {"date": start.isoformat(), "days": window.min_days}
    return planned_from, due, reason


def _check_effective(at: datetime, *, entered_at: datetime, calendar: WorkCalendar) -> None:
    """Refuse an effective time in the future, before the current stage began, or off the calendar."""
    if not calendar.can_place(timezone.localdate(at)):
        raise ApplicationError(
            _("Effective date: the working-day calendar covers %(first)d–%(last)d only; enter a date in those years.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            field="effective_at",
        )
    if at > timezone.now():
        raise ApplicationError(
            _("Effective date: a move cannot be dated in the future; enter when it happened (now at the latest)."),
            field="effective_at",
        )
    if at < entered_at:
        raise TransitionNotAllowed(
            _("Effective date: a move cannot be dated before the application reached its current stage (%(date)s).")
            % {"date": timezone.localtime(entered_at).strftime("%Y-%m-%d %H:%M")},
            field="effective_at",
        )


@transaction.atomic
def application_create(
    *,
    brand: Brand,
    owner: AbstractBaseUser,
    actor: Actor,
    use_cases: Iterable[str] = (),
    path: str | None = None,
    has_new_use_case: bool = False,
    new_use_case_description: str = "",
    expected_go_live: date | None = None,
    partner: TechnologyPartner | None = None,
    blue_shield_approval_reference: str = "",
    blue_shield_approved_on: date | None = None,
    at: datetime | None = None,
) -> Application:
    """Open an application for the brand in the first stage of its path."""
    at = at or timezone.now()
    if not brand.account_managers.filter(pk=owner.pk).exists():
        raise ApplicationError(
            f"{owner.get_username()} is not an account manager of {brand}: choose one of the brand's account managers.",
            field="owner",
        )
    path = path or brand.application_path
    stage = first_stage(path)
    application = Application(
        brand=brand,
        path=path,
        use_cases=sorted(set(use_cases)),
        has_new_use_case=has_new_use_case,
        new_use_case_description=new_use_case_description,
        owner=owner,  # type: ignore[misc]
        expected_go_live=expected_go_live,
        partner=partner,
        blue_shield_approval_reference=blue_shield_approval_reference,
        blue_shield_approved_on=blue_shield_approved_on,
        stage=stage,
        stage_entered_at=at,
    )
    application.full_clean()
    application.save()
    StageTransition.objects.create(
        application=application, to_stage=stage, actor=actor_user(actor), actor_label=actor_label(actor), at=at
    )
    audit_record(
        action="application.created",
        actor=actor,
        obj=application,
        data={"path": path, "use_cases": application.use_cases, "has_new_use_case": has_new_use_case},
    )
    return application


APPLICATION_EDITABLE_FIELDS = (
    "use_cases",
    "has_new_use_case",
    "new_use_case_description",
    "owner",
    "expected_go_live",
    "partner",
    "blue_shield_approval_reference",
    "blue_shield_approved_on",
)


@transaction.atomic
def application_update(*, application: Application, actor: Actor, **fields: Any) -> Application:
    """Change what an application applies for, its owner, go-live date or blue-shield approval."""
    unknown = set(fields) - set(APPLICATION_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields change only through a move: {', '.join(sorted(unknown))}.")
    changed = sorted(name for name, value in fields.items() if getattr(application, name) != value)
    for name in changed:
        setattr(application, name, fields[name])
    if "owner" in changed and not application.brand.account_managers.filter(pk=application.owner.pk).exists():
        raise ApplicationError("The owner must be one of the brand's account managers.", field="owner")
    application.full_clean()
    if changed:
        application.save(update_fields=[*changed, "updated_at"])
        audit_record(action="application.updated", actor=actor, obj=application, data={"fields": changed})
    return application


@transaction.atomic
def application_move(
    *,
    application: Application,
    to_stage: str,
    actor: Actor,
    note: str = "",
    at: datetime | None = None,
    evidence: ApplicationDocument | None = None,
    evidence_file: File | None = None,
) -> Application:
    """Move the application to ``to_stage`` if the stage table and every gate allow it.

    ``at`` is when the move happened (default now): never in the future, never before the
    current stage began; windows and gates count from it, and the time it was recorded is
    kept beside it. ``evidence`` (a document on file) or ``evidence_file`` (uploaded now as
    LINE's e-mail) backs the move. Raises :class:`~applications.exceptions.TransitionNotAllowed`
    (or its subclass :class:`~applications.exceptions.GateNotMet`) with the reason otherwise;
    nothing is written then.
    """
    recorded_at = timezone.now()
    at = at or recorded_at
    locked = Application.objects.select_for_update().select_related("brand").get(pk=application.pk)
    calendar = current_calendar()
    _check_effective(at, entered_at=locked.stage_entered_at, calendar=calendar)
    on = timezone.localdate(at)
    from_stage = locked.stage
    check_move(
        path=locked.path,
        stage=from_stage,
        to_stage=to_stage,
        held_from=locked.held_from,
        changes_for=locked.changes_for,
    )
    reasons = gate_failures(locked, to_stage, on)
    if reasons:
        raise GateNotMet(" ".join(reasons))
    if evidence is not None and evidence.application_id != locked.pk:
        raise ApplicationError(_("Evidence: choose a document of this application."), field="evidence")

    is_rereview = from_stage == Stage.CHANGES_REQUESTED_BY_LINE and to_stage == locked.changes_for
    if to_stage == Stage.ON_HOLD:
        locked.held_from = from_stage
    elif from_stage == Stage.ON_HOLD:
        locked.held_from = ""
    if to_stage == Stage.CHANGES_REQUESTED_BY_LINE and from_stage != Stage.ON_HOLD:
        locked.changes_for = from_stage
    elif from_stage == Stage.CHANGES_REQUESTED_BY_LINE and to_stage != Stage.ON_HOLD:
        locked.changes_for = ""
    planned_from, due, plan_reason = _planned_window(
        application=locked, stage=to_stage, on=on, is_rereview=is_rereview, calendar=calendar
    )
    locked.stage = to_stage
    locked.stage_entered_at = at
    locked.stage_planned_from = planned_from
    locked.stage_due_on = due
    if to_stage == Stage.LIVE:
        locked.live_on = on
    locked.save(update_fields=[*MOVE_FIELDS, "updated_at"])
    if evidence_file is not None:
        evidence = application_document_add(
            application=locked, kind=DocumentKind.LINE_EMAIL, file=evidence_file, uploaded_by=actor, note=note[:500]
        )
    transition = StageTransition.objects.create(
        application=locked,
        from_stage=from_stage,
        to_stage=to_stage,
        actor=actor_user(actor),
        actor_label=actor_label(actor),
        at=at,
        recorded_at=recorded_at,
        note=note,
        evidence=evidence,
        planned_from=planned_from,
        planned_due_on=due,
        plan_reason=plan_reason,
        is_rereview=is_rereview,
    )
    audit_record(
        action="application.moved",
        actor=actor,
        obj=locked,
        data={
            "from": from_stage,
            "to": to_stage,
            "effective_at": at.isoformat(),
            "recorded_at": recorded_at.isoformat(),
            "note": note,
            "evidence": evidence.file.name if evidence is not None else None,
            "planned_due_on": due.isoformat() if due else None,
            "plan_reason": plan_reason,
            "transition": transition.pk,
        },
    )
    _copy_move_fields(locked, application)
    return application


MOVE_FIELDS = (
    "stage",
    "held_from",
    "changes_for",
    "stage_entered_at",
    "stage_planned_from",
    "stage_due_on",
    "live_on",
)


def _copy_move_fields(source: Application, target: Application) -> None:
    """The caller's object reflects the move too."""
    for name in MOVE_FIELDS:
        setattr(target, name, getattr(source, name))


@transaction.atomic
def application_move_correct(
    *, application: Application, actor: Actor, note: str, evidence_file: File | None = None
) -> Application:
    """Undo the last move that stands, as a move of its own: the application is back where it was.

    The wrong move stays in the timeline marked as corrected; the correction takes its
    effective time, so the next move may be dated from when the earlier stage really began.
    """
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not note.strip():
        raise ApplicationError(_("Note: say what was wrong with the move being corrected."), field="note")
    standing = effective_transitions(locked)
    if len(standing) < 2:
        raise TransitionNotAllowed(_("There is no move to correct: the application is in its first stage."))
    wrong, restored = standing[-1], standing[-2]
    held_from, changes_for = _replay_side_stages(standing[:-1])
    recorded_at = timezone.now()
    locked.stage = restored.to_stage
    locked.held_from = held_from
    locked.changes_for = changes_for
    locked.stage_entered_at = restored.at
    locked.stage_planned_from = restored.planned_from
    locked.stage_due_on = restored.planned_due_on
    if wrong.to_stage == Stage.LIVE:
        locked.live_on = None
    locked.save(update_fields=[*MOVE_FIELDS, "updated_at"])
    evidence = None
    if evidence_file is not None:
        evidence = application_document_add(
            application=locked, kind=DocumentKind.LINE_EMAIL, file=evidence_file, uploaded_by=actor, note=note[:500]
        )
    correction = StageTransition.objects.create(
        application=locked,
        from_stage=wrong.to_stage,
        to_stage=restored.to_stage,
        actor=actor_user(actor),
        actor_label=actor_label(actor),
        at=wrong.at,
        recorded_at=recorded_at,
        note=note,
        evidence=evidence,
        corrects=wrong,
        planned_from=restored.planned_from,
        planned_due_on=restored.planned_due_on,
        plan_reason=restored.plan_reason,
        is_rereview=restored.is_rereview,
    )
    audit_record(
        action="application.move_corrected",
        actor=actor,
        obj=locked,
        data={
            "corrected": wrong.pk,
            "from": wrong.to_stage,
            "back_to": restored.to_stage,
            "effective_at": wrong.at.isoformat(),
            "recorded_at": recorded_at.isoformat(),
            "note": note,
            "transition": correction.pk,
        },
    )
    _copy_move_fields(locked, application)
    return application


def _replay_side_stages(transitions: list[StageTransition]) -> tuple[str, str]:
    """Return ``held_from`` and ``changes_for`` after these moves (the rules of application_move)."""
    held_from = changes_for = ""
    for transition in transitions:
        from_stage, to_stage = transition.from_stage, transition.to_stage
        if to_stage == Stage.ON_HOLD:
            held_from = from_stage
        elif from_stage == Stage.ON_HOLD:
            held_from = ""
        if to_stage == Stage.CHANGES_REQUESTED_BY_LINE and from_stage != Stage.ON_HOLD:
            changes_for = from_stage
        elif from_stage == Stage.CHANGES_REQUESTED_BY_LINE and to_stage != Stage.ON_HOLD:
            changes_for = ""
    return held_from, changes_for


@transaction.atomic
def application_document_add(
    *,
    application: Application,
    kind: str,
    file: File,
    uploaded_by: Actor,
    signed_on: date | None = None,
    expires_on: date | None = None,
    note: str = "",
) -> ApplicationDocument:
    """Attach a document as the next version of its kind; earlier versions stay as evidence."""
    Application.objects.select_for_update().filter(pk=application.pk).first()
    latest = application.documents.filter(kind=kind).aggregate(latest=Max("version"))["latest"] or 0
    document = ApplicationDocument(
        application=application,
        kind=kind,
        version=latest + 1,
        uploaded_by=actor_user(uploaded_by),
        signed_on=signed_on if kind == DocumentKind.NDA else None,
        expires_on=expires_on if kind == DocumentKind.NDA else None,
        note=note,
    )
    document.file = file  # type: ignore[assignment]
    document.full_clean(exclude=["file"] if not getattr(file, "name", "") else None)
    document.save()
    audit_record(
        action="application.document_added",
        actor=uploaded_by,
        obj=application,
        data={"kind": kind, "version": document.version, "file": document.file.name},
    )
    return document


@transaction.atomic
def partner_save(*, partner: TechnologyPartner, actor: Actor) -> TechnologyPartner:
    """Create or rename a technology partner."""
    partner.full_clean()
    created = partner.pk is None
    partner.save()
    action = "partner.created" if created else "partner.updated"
    audit_record(action=action, actor=actor, obj=partner, data={"name": partner.name})
    return partner


@transaction.atomic
def partner_use_case_add(
    *,
    partner: TechnologyPartner,
    use_case: str,
    approved_on: date,
    actor: Actor,
    evidence_note: str = "",
    evidence_file: File | None = None,
) -> PartnerUseCase:
    """Record that LINE approved ``use_case`` for the partner (evidence: a note or LINE's file)."""
    if PartnerUseCase.objects.filter(partner=partner, use_case=use_case).exists():
        raise ApplicationError(
            _("Use case: %(partner)s already has this use case in its catalogue.") % {"partner": partner},
            field="use_case",
        )
    entry = PartnerUseCase(
        partner=partner,
        use_case=use_case,
        approved_on=approved_on,
        evidence_note=evidence_note,
        recorded_by=actor_user(actor),
    )
    if evidence_file is not None:
        entry.evidence_file = evidence_file  # type: ignore[assignment]
    entry.full_clean()
    entry.save()
    audit_record(
        action="partner.use_case_added",
        actor=actor,
        obj=partner,
        data={
            "use_case": use_case,
            "approved_on": approved_on.isoformat(),
            "evidence": evidence_note or entry.evidence_file.name,
        },
    )
    return entry


@transaction.atomic
def calendar_override_save(*, override: CalendarOverride, actor: Actor) -> CalendarOverride:
    """Record a day that is off (typhoon) or worked (make-up Saturday) against the package calendar."""
    override.full_clean()
    created = override.pk is None
    override.save()
    audit_record(
        action="calendar_override.created" if created else "calendar_override.updated",
        actor=actor,
        obj=override,
        data={"date": override.date.isoformat(), "kind": override.kind, "note": override.note},
    )
    return override


@transaction.atomic
def calendar_override_delete(*, override: CalendarOverride, actor: Actor) -> None:
    """Remove an override; the package's calendar applies to that day again."""
    audit_record(
        action="calendar_override.deleted",
        actor=actor,
        obj=override,
        data={"date": override.date.isoformat(), "kind": override.kind},
    )
    override.delete()


def nda_warning_days() -> int:
    """How many days ahead an expiring NDA is flagged (``APPLICATIONS_NDA_WARNING_DAYS``, default 30)."""
    return int(getattr(settings, "APPLICATIONS_NDA_WARNING_DAYS", 30))


REMINDER_CUTOFF_LOOKAHEAD_WORKING_DAYS = 10


def reminders_send(*, today: date) -> int:
    """E-mail each account manager their overdue steps, expiring NDAs and the coming quarterly cut-off.

    Return the number of e-mails sent. A manager with nothing to act on gets none; a second
    run on the same day sends nothing again (the cache remembers who was told), so a
    redelivered task does not spam anyone.
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from applications.selectors import (
        application_status,
        applications_overdue,
        applications_with_nda_expiring,
    )
    from applications.workflow import FINAL_STAGES

    calendar = current_calendar()
    cutoff = calendar.quarterly_cutoff(today)
    cutoff_near = calendar.working_days_between(today, cutoff) <= REMINDER_CUTOFF_LOOKAHEAD_WORKING_DAYS
    warning_days = nda_warning_days()
    open_applications = Application.objects.exclude(stage__in=FINAL_STAGES).select_related("brand", "owner")
    owner_ids = open_applications.values_list("owner_id", flat=True).distinct()
    sent = 0
    for owner in get_user_model().objects.filter(pk__in=owner_ids, is_active=True).exclude(email="").order_by("pk"):
        mine = open_applications.filter(owner=owner)
        overdue = [
            (application, application_status(application, today=today, calendar=calendar))
            for application in applications_overdue(mine, today=today).order_by("stage_due_on")
        ]
        ndas = list(applications_with_nda_expiring(mine, today=today, within_days=warning_days))
        waiting_for_cutoff = (
            list(mine.filter(has_new_use_case=True, stage__in=(Stage.PREPARING_DOCUMENTS, Stage.SERVICE_PLAN_REVIEW)))
            if cutoff_near
            else []
        )
        if not (overdue or ndas or waiting_for_cutoff):
            continue
        if not cache.add(f"applications:reminders:{today.isoformat()}:{owner.pk}", 1, timeout=2 * 24 * 3600):
            continue
        context = {
            "owner": owner,
            "today": today,
            "overdue": overdue,
            "ndas": ndas,
            "cutoff": cutoff,
            "waiting_for_cutoff": waiting_for_cutoff,
            "portal_url": settings.PORTAL_BASE_URL,
        }
        parts = []
        for language in ("zh-hant", "en"):
            with translation.override(language):
                parts.append(render_to_string("applications/email/reminders.txt", context).strip())
        with translation.override("zh-hant"):
            subject_zh = render_to_string("applications/email/reminders_subject.txt", context).strip()
        with translation.override("en"):
            subject_en = render_to_string("applications/email/reminders_subject.txt", context).strip()
        send_mail(
            subject=f"{subject_zh} / {subject_en}",
            message="\n\n----------\n\n".join(parts) + "\n",
            from_email=None,
            recipient_list=[owner.email],
        )
        sent += 1
    return sent
