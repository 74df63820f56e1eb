"""Reads of the application tracker: what a user may see, and where each application stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Max, Q, QuerySet
from django.utils.timezone import localdate

from applications.choices import DocumentKind, Holder, Stage
from applications.gates import gate_failures
from applications.models import Application
from applications.workdays import WorkCalendar
from applications.workflow import (
    FINAL_STAGES,
    HOLDERS,
    PATH_STAGES,
    REREVIEW,
    structural_targets,
    window_for,
)
from portal.selectors import brands_visible_to

OPEN_STAGES_EXCLUDED = (*FINAL_STAGES, Stage.ON_HOLD)


def applications_visible_to(user: User | AnonymousUser) -> QuerySet[Application]:
    """Return the applications this user may read: reviewers all, account managers their brands'."""
    if not user.is_authenticated or not user.has_perm("applications.view_application"):
        return Application.objects.none()
    queryset = Application.objects.select_related("brand", "owner")
    if user.is_superuser:
        return queryset
    return queryset.filter(brand__in=brands_visible_to(user))


def applications_overdue(queryset: QuerySet[Application], *, today: date) -> QuerySet[Application]:
    """Return the open applications whose current LINE step is past its window's last day."""
    return queryset.filter(stage_due_on__lt=today).exclude(stage__in=OPEN_STAGES_EXCLUDED)


def applications_with_nda_expiring(
    queryset: QuerySet[Application], *, today: date, within_days: int
) -> QuerySet[Application]:
    """Return open applications whose latest NDA has expired or expires within ``within_days`` days."""
    return (
        queryset.exclude(stage__in=FINAL_STAGES)
        .annotate(nda_expires_on=Max("documents__expires_on", filter=Q(documents__kind=DocumentKind.NDA)))
        .filter(nda_expires_on__isnull=False, nda_expires_on__lte=date.fromordinal(today.toordinal() + within_days))
        .order_by("nda_expires_on")
    )


@dataclass(frozen=True)
class ApplicationStatus:
    """Where an application stands today, in Taiwan working days."""

    holder: Holder
    waited_working_days: int
    planned_from: date | None
    due_on: date | None
    overdue_working_days: int
    forecast_go_live: date | None

    @property
    def is_overdue(self) -> bool:
        return self.overdue_working_days > 0


def application_forecast(application: Application, *, today: date, calendar: WorkCalendar) -> date | None:
    """Return the go-live date if every LINE step takes its longest window and the brand answers at once.

    None while the application is on hold or withdrawn; the live date once live.
    """
    stage = application.stage
    if stage == Stage.LIVE:
        return application.live_on
    if stage in (Stage.WITHDRAWN, Stage.ON_HOLD):
        return None
    stages = PATH_STAGES[application.path]
    if stage == Stage.CHANGES_REQUESTED_BY_LINE:
        # The brand answers today; the step LINE asked about is reviewed again.
        cursor = calendar.add_working_days(today, REREVIEW.max_days or REREVIEW.min_days)
        current = application.changes_for
    else:
        current = stage
        end = application.stage_due_on or application.stage_planned_from
        cursor = max(end, today) if end else today
    for later in stages[stages.index(current) + 1 : -1]:  # type: ignore[arg-type]
        window = window_for(later, has_new_use_case=application.has_new_use_case)
        if window is not None:
            if window.after_quarterly_cutoff:
                cursor = calendar.quarterly_cutoff(cursor)
            cursor = calendar.add_working_days(cursor, window.max_days or window.min_days)
    return cursor


def application_status(application: Application, *, today: date, calendar: WorkCalendar) -> ApplicationStatus:
    """Return holder, working days waited in the stage, its window, lateness and the forecast go-live."""
    entered = localdate(application.stage_entered_at) if application.stage_entered_at else today
    due = application.stage_due_on
    overdue = calendar.working_days_between(due, today) if due and today > due else 0
    if application.stage in OPEN_STAGES_EXCLUDED:
        overdue = 0
    return ApplicationStatus(
        holder=HOLDERS.get(application.stage, Holder.NOBODY),
        waited_working_days=max(calendar.working_days_between(entered, today), 0),
        planned_from=application.stage_planned_from,
        due_on=due,
        overdue_working_days=overdue,
        forecast_go_live=application_forecast(application, today=today, calendar=calendar),
    )


@dataclass(frozen=True)
class MoveOption:
    """A move the stage table allows from here, and why a gate would refuse it today (if so)."""

    stage: Stage
    blocked_by: list[str]


def application_move_options(application: Application, *, today: date) -> list[MoveOption]:
    """Return each move allowed from the current stage, with any gate that would block it today."""
    return [
        MoveOption(stage=stage, blocked_by=gate_failures(application, stage, today))
        for stage in structural_targets(
            path=application.path,
            stage=application.stage,
            held_from=application.held_from,
            changes_for=application.changes_for,
        )
    ]


@dataclass(frozen=True)
class TimelineRow:
    """One stage of the path with its planned and actual dates."""

    stage: Stage
    entered_at: date | None
    left_at: date | None
    planned_from: date | None
    planned_due_on: date | None
    is_current: bool
    is_late: bool


def application_timeline(application: Application, *, today: date) -> list[TimelineRow]:
    """Return the path's stages in order with the dates each was (last) entered and left."""
    transitions = list(application.transitions.all())
    rows = []
    for stage in PATH_STAGES[application.path]:
        entered = [t for t in transitions if t.to_stage == stage]
        last = entered[-1] if entered else None
        left = None
        if last is not None:
            later = [t for t in transitions if t.at > last.at or (t.at == last.at and t.pk > last.pk)]
            left = localdate(later[0].at) if later else None
        finished_on = left or today
        rows.append(
            TimelineRow(
                stage=stage,
                entered_at=localdate(last.at) if last else None,
                left_at=left,
                planned_from=last.planned_from if last else None,
                planned_due_on=last.planned_due_on if last else None,
                is_current=application.stage == stage,
                is_late=bool(last and last.planned_due_on and finished_on > last.planned_due_on),
            )
        )
    return rows
