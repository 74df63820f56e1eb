"""Reads of the application tracker: what a user may see, and where each application stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Max, Q, QuerySet
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.choices import DocumentKind, Holder, Stage
from applications.gates import BLOCKING_GATES, gate_failures, gate_title
from applications.models import Application, StageTransition
from applications.partners import use_case_review
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
# The partner-path step in which LINE reviews the use cases the partner has no approval for.
REVIEWED_ON_PARTNER_PATH = frozenset({Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION})


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
class ForecastStep:
    """One LINE step of a forecast: when it starts and ends, and what the calendar did to it."""

    stage: Stage
    start: date
    end: date
    max_days: int
    is_current: bool
    cutoff: date | None = None  # the quarterly LINE HQ submission the step waits for
    days_off: tuple[tuple[date, str], ...] = ()  # weekdays skipped (holidays, typhoon days)
    makeup_days: tuple[date, ...] = ()  # weekend days worked (補班)
    reason: str = ""


@dataclass(frozen=True)
class Forecast:
    """The go-live forecast and how it was reached; ``blocked_by`` instead of a date when a gate stops it."""

    go_live: date | None
    steps: tuple[ForecastStep, ...] = ()
    blocked_by: tuple[str, ...] = ()  # short gate names
    blocked_reasons: tuple[str, ...] = ()  # what to do about them

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked_by)


@dataclass(frozen=True)
class ApplicationStatus:
    """Where an application stands today, in Taiwan working days."""

    holder: Holder
    waited_working_days: int
    planned_from: date | None
    due_on: date | None
    overdue_working_days: int
    forecast: Forecast
    promised_go_live: date | None = None

    @property
    def is_overdue(self) -> bool:
        return self.overdue_working_days > 0

    @property
    def forecast_go_live(self) -> date | None:
        return self.forecast.go_live

    @property
    def misses_promise(self) -> bool:
        """Whether the forecast go-live is later than the date promised to the brand."""
        go_live = self.forecast.go_live
        return bool(go_live and self.promised_go_live and go_live > self.promised_go_live)


def _step(
    *,
    stage: Stage,
    start: date,
    end: date,
    max_days: int,
    calendar: WorkCalendar,
    is_current: bool = False,
    cutoff: date | None = None,
    reason: str = "",
) -> ForecastStep:
    days = [start + timedelta(days=offset) for offset in range(1, (end - start).days + 1)]
    days_off = tuple((day, name) for day in days if (name := calendar.day_off_name(day)))
    return ForecastStep(
        stage=stage,
        start=start,
        end=end,
        max_days=max_days,
        is_current=is_current,
        cutoff=cutoff,
        days_off=days_off,
        makeup_days=tuple(day for day in days if calendar.is_makeup_workday(day)),
        reason=reason,
    )


def forecast_blockers(application: Application, *, today: date) -> list[tuple[str, str]]:
    """Return (gate name, reason) for each brand gate that stops a step still ahead today."""
    stages = PATH_STAGES[application.path]
    current = application.changes_for or application.held_from or application.stage
    if current not in stages:
        return []
    found: dict[str, str] = {}
    for later in stages[stages.index(current) + 1 :]:  # type: ignore[arg-type]
        for gate in BLOCKING_GATES.get(later, ()):
            reason = gate(application, today)
            if reason:
                found.setdefault(gate_title(gate, application), reason)
    return list(found.items())


def application_forecast(application: Application, *, today: date, calendar: WorkCalendar) -> Forecast:
    """Return the go-live forecast: every LINE step at its longest window, the brand answering at once.

    Each remaining LINE step is listed with the holidays it skips, the make-up days it counts
    and the quarterly HQ cut-off it waits for. Blocked (no date) when a brand gate stops a
    step ahead; no date while on hold or withdrawn; the live date once live.
    """
    stage = application.stage
    if stage == Stage.LIVE:
        return Forecast(go_live=application.live_on)
    if stage in (Stage.WITHDRAWN, Stage.ON_HOLD):
        return Forecast(go_live=None)
    blockers = forecast_blockers(application, today=today)
    if blockers:
        return Forecast(
            go_live=None,
            blocked_by=tuple(name for name, _reason in blockers),
            blocked_reasons=tuple(reason for _name, reason in blockers),
        )
    stages = PATH_STAGES[application.path]
    steps: list[ForecastStep] = []
    entered = localdate(application.stage_entered_at) if application.stage_entered_at else today
    if stage == Stage.CHANGES_REQUESTED_BY_LINE:
        # The brand answers today; the step LINE asked about is reviewed again.
        current = application.changes_for
        days = REREVIEW.max_days or REREVIEW.min_days
        cursor = calendar.add_working_days(today, days)
        steps.append(
            _step(stage=Stage(current), start=today, end=cursor, max_days=days, calendar=calendar, is_current=True)
        )
    else:
        current = stage
        end = application.stage_due_on or application.stage_planned_from
        cursor = max(end, today) if end else today
        window = window_for(stage, has_new_use_case=application.has_new_use_case)
        if end and window is not None:
            steps.append(
                _step(
                    stage=Stage(stage),
                    start=entered,
                    end=cursor,
                    max_days=window.max_days or window.min_days,
                    calendar=calendar,
                    is_current=True,
                )
            )
    review = None
    for later in stages[stages.index(current) + 1 : -1]:  # type: ignore[arg-type]
        if later == Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION:
            review = use_case_review(application, on=today)
        needs_review = review.needed if review is not None else application.has_new_use_case
        window = window_for(later, has_new_use_case=needs_review)
        if window is None:
            continue
        start = cursor
        cutoff = None
        if window.after_quarterly_cutoff:
            cutoff = calendar.quarterly_cutoff(cursor)
            cursor = cutoff
        days = window.max_days or window.min_days
        cursor = calendar.add_working_days(cursor, days)
        steps.append(
            _step(
                stage=later,
                start=start,
                end=cursor,
                max_days=days,
                calendar=calendar,
                cutoff=cutoff,
                reason=review.reason if review is not None and later in REVIEWED_ON_PARTNER_PATH else "",
            )
        )
    return Forecast(go_live=cursor, steps=tuple(steps))


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
        forecast=application_forecast(application, today=today, calendar=calendar),
        promised_go_live=application.expected_go_live if application.stage not in FINAL_STAGES else None,
    )


def applications_missing_promise(
    queryset: QuerySet[Application], *, today: date, calendar: WorkCalendar
) -> QuerySet[Application]:
    """Return the open applications whose forecast go-live is later than the date promised to the brand."""
    candidates = queryset.exclude(stage__in=FINAL_STAGES).filter(expected_go_live__isnull=False)
    late = [
        application.pk
        for application in candidates.select_related("brand")
        if application_status(application, today=today, calendar=calendar).misses_promise
    ]
    return queryset.filter(pk__in=late)


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


def effective_transitions(application: Application) -> list[StageTransition]:
    """Return the moves that stand, oldest first: neither corrected nor corrections."""
    transitions = list(application.transitions.order_by("at", "id"))
    corrected = {transition.corrects_id for transition in transitions if transition.corrects_id}
    return [t for t in transitions if t.corrects_id is None and t.pk not in corrected]


def application_timeline(application: Application, *, today: date) -> list[TimelineRow]:
    """Return the path's stages in order with the dates each was (last) entered and left (corrections left out)."""
    transitions = effective_transitions(application)
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


# Moves that are final or go backwards: the admin asks for confirmation first.
CONFIRMED_MOVES = frozenset({Stage.WITHDRAWN, Stage.LIVE, Stage.CHANGES_REQUESTED_BY_LINE})


def move_consequences(application: Application, to_stage: str) -> list[str]:
    """Return, in words, what a final or backward move does to the application."""
    from applications.choices import Stage as StageChoice

    current = StageChoice(application.stage).label
    if to_stage == Stage.WITHDRAWN:
        return [
            _("The application is withdrawn. This is final: no stage can follow, only a correction of this move."),
            _("It leaves the overdue list, the forecasts and the reminders; LINE is not told by the portal."),
        ]
    if to_stage == Stage.LIVE:
        return [
            _("The application is live. This is final: no stage can follow, only a correction of this move."),
            _("The live date is the effective date of this move."),
        ]
    if to_stage == Stage.CHANGES_REQUESTED_BY_LINE:
        return [
            _("The application goes back to the brand to answer LINE's questions about “%(stage)s”.")
            % {"stage": current},
            _(
                "Once answered, “%(stage)s” is reviewed again in %(min)d–%(max)d working days and the forecast "
                "moves by that much."
            )
            % {"stage": current, "min": REREVIEW.min_days, "max": REREVIEW.max_days or REREVIEW.min_days},
        ]
    return []


def correction_consequences(application: Application) -> list[str]:
    """Return, in words, what correcting the last standing move does (empty: nothing to correct)."""
    standing = effective_transitions(application)
    if len(standing) < 2:
        return []
    wrong, restored = standing[-1], standing[-2]
    return [
        _("The move “%(from)s → %(to)s” effective %(date)s is marked as corrected; it stays in the timeline.")
        % {
            "from": Stage(wrong.from_stage).label if wrong.from_stage else "—",
            "to": Stage(wrong.to_stage).label,
            "date": localdate(wrong.at).isoformat(),
        },
        _("The application is back in “%(stage)s” since %(date)s; record the right move afterwards.")
        % {"stage": Stage(restored.to_stage).label, "date": localdate(restored.at).isoformat()},
    ]


@dataclass(frozen=True)
class WeekPage:
    """What an account manager must look at this week."""

    week_start: date
    week_end: date
    due: list[tuple[Application, ApplicationStatus]]
    ndas: list[Application]
    cutoff: date
    for_cutoff: list[Application]


WEEK_NDA_DAYS = 60


def week_page(queryset: QuerySet[Application], *, today: date, calendar: WorkCalendar) -> WeekPage:
    """Return the LINE steps due or overdue by Sunday, NDAs expiring within 60 days and the next HQ cut-off."""
    week_start = today - timedelta(days=today.weekday())
    week_end = week_start + timedelta(days=6)
    open_ones = queryset.exclude(stage__in=OPEN_STAGES_EXCLUDED).select_related("brand", "owner")
    due = [
        (application, application_status(application, today=today, calendar=calendar))
        for application in open_ones.filter(stage_due_on__lte=week_end).order_by("stage_due_on", "pk")
    ]
    cutoff = calendar.quarterly_cutoff(today)
    waiting = open_ones.filter(has_new_use_case=True, path="direct").order_by("brand__name", "pk")
    for_cutoff = [
        application
        for application in waiting
        if application.stage == Stage.PREPARING_DOCUMENTS
        or (
            application.stage == Stage.SERVICE_PLAN_REVIEW
            and calendar.quarterly_cutoff(localdate(application.stage_entered_at)) == cutoff
        )
    ]
    return WeekPage(
        week_start=week_start,
        week_end=week_end,
        due=due,
        ndas=list(applications_with_nda_expiring(queryset, today=today, within_days=WEEK_NDA_DAYS)),
        cutoff=cutoff,
        for_cutoff=for_cutoff,
    )


# What each stage waits for, said to the brand.
NEXT_ACTIONS: dict[str, Any] = {
    Stage.PREPARING_DOCUMENTS: gettext_lazy(
        "Brand: sign and return LINE's NDA, the Service Plan and the permission form."
    ),
    Stage.SERVICE_PLAN_REVIEW: gettext_lazy("LINE: review the Service Plan."),
    Stage.TEST_PERMISSION_REQUESTED: gettext_lazy("LINE: grant test permission."),
    Stage.BRAND_TESTING: gettext_lazy("Brand: develop and test, then send screenshots of the test results."),
    Stage.TEST_RESULTS_REVIEW: gettext_lazy("LINE: review the test results."),
    Stage.PRODUCTION_PERMISSION_REQUESTED: gettext_lazy(
        "LINE: grant production permission; the brand announces go-live."
    ),
    Stage.PREPARING: gettext_lazy("We (with the partner): fill in the Certified Provider and permission forms."),
    Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION: gettext_lazy(
        "LINE: confirm the Certified Provider and grant test permission."
    ),
    Stage.PARTNER_TESTING: gettext_lazy("We (with the partner): test and send the screenshots."),
    Stage.PRODUCTION_PERMISSION: gettext_lazy("LINE: grant production permission; the brand announces go-live."),
    Stage.CHANGES_REQUESTED_BY_LINE: gettext_lazy(
        "Brand: answer LINE's questions; we send the answer back for re-review."
    ),
    Stage.ON_HOLD: gettext_lazy("Us: decide when the application resumes."),
    Stage.LIVE: gettext_lazy("Nothing: the application is live."),
    Stage.WITHDRAWN: gettext_lazy("Nothing: the application was withdrawn."),
}
# The documents each path needs, with the stage they must be on file before.
REQUIRED_DOCUMENTS: dict[str, tuple[tuple[DocumentKind, Stage], ...]] = {
    "direct": (
        (DocumentKind.NDA, Stage.SERVICE_PLAN_REVIEW),
        (DocumentKind.SERVICE_PLAN, Stage.SERVICE_PLAN_REVIEW),
        (DocumentKind.PERMISSION_FORM, Stage.SERVICE_PLAN_REVIEW),
        (DocumentKind.TEST_SCREENSHOT, Stage.TEST_RESULTS_REVIEW),
        (DocumentKind.IO_CONTRACT, Stage.PRODUCTION_PERMISSION_REQUESTED),
    ),
    "partner": (
        (DocumentKind.PERMISSION_FORM, Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION),
        (DocumentKind.TEST_SCREENSHOT, Stage.PRODUCTION_PERMISSION),
        (DocumentKind.IO_CONTRACT, Stage.PRODUCTION_PERMISSION),
    ),
}


@dataclass(frozen=True)
class BrandSummary:
    """What a brand reads about its application: stage, who acts next, dates, documents outstanding."""

    application: Application
    today: date
    stage: str
    since: date | None
    next_action: str
    status: ApplicationStatus
    outstanding: list[str]
    blockers: list[str]


def brand_summary(application: Application, *, today: date, calendar: WorkCalendar) -> BrandSummary:
    """Return the brand's one-page status, in the active language."""
    on_file = set(application.documents.values_list("kind", flat=True))
    nda_valid = application.documents.filter(kind=DocumentKind.NDA, signed_on__lte=today, expires_on__gte=today)
    outstanding = []
    if application.stage not in FINAL_STAGES:
        for kind, before in REQUIRED_DOCUMENTS[application.path]:
            missing = not nda_valid.exists() if kind == DocumentKind.NDA else kind not in on_file
            if missing:
                outstanding.append(
                    _("%(document)s (needed before “%(stage)s”)") % {"document": kind.label, "stage": before.label}
                )
    status = application_status(application, today=today, calendar=calendar)
    return BrandSummary(
        application=application,
        today=today,
        stage=str(Stage(application.stage).label),
        since=localdate(application.stage_entered_at) if application.stage_entered_at else None,
        next_action=str(NEXT_ACTIONS[application.stage]),
        status=status,
        outstanding=outstanding,
        blockers=list(status.forecast.blocked_reasons),
    )
