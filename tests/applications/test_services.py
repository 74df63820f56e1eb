"""Moves through the one service call: what is written, what is refused, LINE's windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User

from applications.choices import Stage
from applications.exceptions import ApplicationError, GateNotMet, TransitionNotAllowed
from applications.models import Application, StageTransition
from applications.services import application_create, application_move, application_update
from applications.workdays import WorkCalendar
from applications.workflow import LINE_STAGES, PATH_STAGES
from portal.models import AuditEvent, Brand
from tests.applications.conftest import START, at, bring_to

S = Stage
TW = WorkCalendar()
FORWARD = [(path, stages[i], stages[i + 1]) for path, stages in PATH_STAGES.items() for i in range(len(stages) - 1)]


def audit_actions(application: Application) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(application.pk), action__startswith="application.")
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(("path", "stage", "to_stage"), FORWARD)
def test_each_forward_move_writes_the_stage_a_timeline_row_and_an_audit_row(
    make_application: Callable[..., Application], manager: User, path: str, stage: str, to_stage: str
) -> None:
    # given
    application = bring_to(make_application(path=path), stage)
    moves_before = application.transitions.count()
    # when
    application_move(application=application, to_stage=to_stage, actor=manager, note="sent", at=at(date(2026, 4, 1)))
    # then
    application.refresh_from_db()
    assert application.stage == to_stage
    last = application.transitions.last()
    assert last is not None
    assert (last.from_stage, last.to_stage, last.actor, last.note) == (stage, to_stage, manager, "sent")
    assert application.transitions.count() == moves_before + 1
    event = AuditEvent.objects.filter(action="application.moved", object_id=str(application.pk)).first()
    assert event is not None and event.actor == manager
    assert event.data["from"] == stage and event.data["to"] == to_stage and event.data["note"] == "sent"


@pytest.mark.parametrize("stage", [s for s in PATH_STAGES["direct"] if s != S.LIVE])
def test_on_hold_returns_to_the_stage_it_left(make_application: Callable[..., Application], stage: str) -> None:
    application = bring_to(make_application(), stage)
    application_move(application=application, to_stage=S.ON_HOLD, actor="test", note="brand asked to pause")
    assert application.held_from == stage
    with pytest.raises(TransitionNotAllowed):
        application_move(application=application, to_stage=S.LIVE if stage != S.LIVE else S.BRAND_TESTING, actor="test")
    application_move(application=application, to_stage=stage, actor="test")
    application.refresh_from_db()
    assert (application.stage, application.held_from) == (stage, "")


@pytest.mark.parametrize(("path", "stage"), [(p, s) for p, st in PATH_STAGES.items() for s in st if s in LINE_STAGES])
def test_changes_requested_by_line_comes_back_for_a_five_to_seven_day_re_review(
    make_application: Callable[..., Application], path: str, stage: str
) -> None:
    # given an application under LINE review
    application = bring_to(make_application(path=path), stage)
    # when LINE asks for changes and the brand answers on Monday 6 April 2026
    application_move(
        application=application, to_stage=S.CHANGES_REQUESTED_BY_LINE, actor="test", note="Q1", at=at(date(2026, 4, 6))
    )
    assert application.changes_for == stage
    application_move(application=application, to_stage=stage, actor="test", at=at(date(2026, 4, 7)))
    # then it is back in that review with a re-review window of 5–7 working days
    application.refresh_from_db()
    assert application.stage == stage and application.changes_for == ""
    assert application.stage_planned_from == TW.add_working_days(date(2026, 4, 7), 5)
    assert application.stage_due_on == TW.add_working_days(date(2026, 4, 7), 7)
    assert application.transitions.last().is_rereview is True  # type: ignore[union-attr]


def test_changes_requested_then_on_hold_then_back_still_knows_which_review_to_return_to(
    make_application: Callable[..., Application],
) -> None:
    application = bring_to(make_application(), S.TEST_RESULTS_REVIEW)
    application_move(application=application, to_stage=S.CHANGES_REQUESTED_BY_LINE, actor="test")
    application_move(application=application, to_stage=S.ON_HOLD, actor="test")
    application_move(application=application, to_stage=S.CHANGES_REQUESTED_BY_LINE, actor="test")
    application_move(application=application, to_stage=S.TEST_RESULTS_REVIEW, actor="test")
    assert application.stage == S.TEST_RESULTS_REVIEW


@pytest.mark.parametrize("stage", [S.PREPARING_DOCUMENTS, S.BRAND_TESTING, S.ON_HOLD, S.CHANGES_REQUESTED_BY_LINE])
def test_an_open_application_can_be_withdrawn_and_then_nothing_moves(
    make_application: Callable[..., Application], stage: str
) -> None:
    application = make_application()
    if stage == S.ON_HOLD:
        application_move(application=application, to_stage=S.ON_HOLD, actor="test")
    elif stage == S.CHANGES_REQUESTED_BY_LINE:
        bring_to(application, S.SERVICE_PLAN_REVIEW)
        application_move(application=application, to_stage=S.CHANGES_REQUESTED_BY_LINE, actor="test")
    else:
        bring_to(application, stage)
    application_move(application=application, to_stage=S.WITHDRAWN, actor="test")
    with pytest.raises(TransitionNotAllowed, match="final"):
        application_move(application=application, to_stage=S.ON_HOLD, actor="test")


@pytest.mark.parametrize(
    ("stage", "to_stage"),
    [
        (S.PREPARING_DOCUMENTS, S.BRAND_TESTING),
        (S.SERVICE_PLAN_REVIEW, S.PREPARING_DOCUMENTS),
        (S.BRAND_TESTING, S.CHANGES_REQUESTED_BY_LINE),
        (S.PREPARING_DOCUMENTS, S.PARTNER_TESTING),
        (S.LIVE, S.WITHDRAWN),
    ],
)
def test_a_refused_move_writes_nothing(make_application: Callable[..., Application], stage: str, to_stage: str) -> None:
    # given
    application = bring_to(make_application(), stage)
    moves, events = StageTransition.objects.count(), AuditEvent.objects.count()
    # when
    with pytest.raises(TransitionNotAllowed):
        application_move(application=application, to_stage=to_stage, actor="test")
    # then
    application.refresh_from_db()
    assert application.stage == stage
    assert (StageTransition.objects.count(), AuditEvent.objects.count()) == (moves, events)


def test_a_move_reaching_live_records_the_live_date(make_application: Callable[..., Application]) -> None:
    application = bring_to(make_application(), S.PRODUCTION_PERMISSION_REQUESTED)
    application_move(application=application, to_stage=S.LIVE, actor="test", at=at(date(2026, 4, 20)))
    assert application.live_on == date(2026, 4, 20)


# --- LINE's windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "stage", "min_days", "max_days"),
    [
        ("direct", S.SERVICE_PLAN_REVIEW, 7, 14),
        ("direct", S.TEST_PERMISSION_REQUESTED, 5, 7),
        ("direct", S.TEST_RESULTS_REVIEW, 5, 7),
        ("direct", S.PRODUCTION_PERMISSION_REQUESTED, 5, 7),
        ("partner", S.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, 10, 10),
        ("partner", S.PRODUCTION_PERMISSION, 3, 3),
    ],
)
def test_entering_a_line_step_plans_its_window_in_working_days(
    make_application: Callable[..., Application], path: str, stage: str, min_days: int, max_days: int
) -> None:
    stages = PATH_STAGES[path]
    application = bring_to(make_application(path=path), stages[stages.index(stage) - 1])
    entered = date(2026, 4, 1)
    application_move(application=application, to_stage=stage, actor="test", at=at(entered))
    assert application.stage_planned_from == TW.add_working_days(entered, min_days)
    assert application.stage_due_on == TW.add_working_days(entered, max_days)


def test_service_plan_review_for_existing_use_cases_spans_lunar_new_year(
    make_application: Callable[..., Application],
) -> None:
    # Sent Thu 12 Feb 2026: 13 Feb, then 23–26 Feb, 2–3 Mar = 7 (planned from 3 Mar);
    # 4, 5, 6, 9, 10, 11, 12 Mar = 14 (due 12 Mar). 16–20 and 27 Feb are days off.
    application = make_application(on=date(2026, 2, 1))
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(date(2026, 2, 12)))
    assert application.stage_planned_from == date(2026, 3, 3)
    assert application.stage_due_on == date(2026, 3, 12)


def test_a_new_use_case_waits_for_the_quarterly_cutoff_and_has_no_guaranteed_end(
    make_application: Callable[..., Application],
) -> None:
    # Sent Mon 2 Mar 2026: next cut-off is Thu 30 Apr 2026; at least 20 working days after it.
    application = make_application(has_new_use_case=True, new_use_case_description="Vaccination reminder")
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert application.stage_planned_from == TW.add_working_days(date(2026, 4, 30), 20)
    assert application.stage_due_on is None


def test_the_brands_own_stages_have_no_line_window(make_application: Callable[..., Application]) -> None:
    application = bring_to(make_application(), S.BRAND_TESTING)
    assert (application.stage_planned_from, application.stage_due_on) == (None, None)


# --- Creating and editing ------------------------------------------------------------------------


def test_a_new_application_starts_in_the_first_stage_of_its_path(
    make_application: Callable[..., Application],
) -> None:
    assert make_application(path="direct", documents=False).stage == S.PREPARING_DOCUMENTS
    partner = make_application(path="partner", documents=False)
    assert partner.stage == S.PREPARING
    assert audit_actions(partner) == ["application.created"]
    assert partner.transitions.get().to_stage == S.PREPARING


def test_the_owner_must_be_one_of_the_brands_account_managers(ready_brand: Brand, other_manager: User) -> None:
    with pytest.raises(ApplicationError, match="account manager"):
        application_create(brand=ready_brand, owner=other_manager, actor="test", use_cases=["delivery_notice"])


def test_a_new_use_case_needs_a_description(ready_brand: Brand, manager: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Describe the new use case"):
        application_create(brand=ready_brand, owner=manager, actor="test", has_new_use_case=True)


def test_unknown_use_case_codes_are_refused(ready_brand: Brand, manager: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unknown use cases: spam"):
        application_create(brand=ready_brand, owner=manager, actor="test", use_cases=["spam"])


def test_editing_an_application_is_audited_with_the_fields_changed(
    make_application: Callable[..., Application], manager: User
) -> None:
    application = make_application(documents=False)
    application_update(application=application, actor=manager, expected_go_live=date(2026, 6, 1))
    event = AuditEvent.objects.filter(action="application.updated").get()
    assert event.data == {"fields": ["expected_go_live"]}


def test_the_stage_cannot_be_edited_outside_a_move(make_application: Callable[..., Application]) -> None:
    with pytest.raises(ApplicationError, match="only through a move"):
        application_update(application=make_application(documents=False), actor="test", stage=S.LIVE)


def test_gate_refusals_are_a_kind_of_refused_move() -> None:
    assert issubclass(GateNotMet, TransitionNotAllowed)


def test_a_move_cannot_be_dated_before_the_current_stage_began(make_application: Callable[..., Application]) -> None:
    application = bring_to(make_application(), S.SERVICE_PLAN_REVIEW)  # reached on 3 March 2026
    with pytest.raises(TransitionNotAllowed, match="cannot be dated before"):
        application_move(
            application=application, to_stage=S.TEST_PERMISSION_REQUESTED, actor="test", at=at(date(2026, 3, 2))
        )
