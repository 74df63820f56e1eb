"""Moves recorded after the fact: the effective date drives windows, waited days and forecasts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from applications.choices import DocumentKind, Stage
from applications.exceptions import ApplicationError, TransitionNotAllowed
from applications.models import Application, StageTransition
from applications.selectors import application_status, application_timeline
from applications.services import application_move, application_move_correct
from applications.workdays import current_calendar
from portal.models import AuditEvent, Brand
from tests.applications.conftest import at

# Around the 2025 Lunar New Year: Mon 27 Jan was a day off made up on Sat 8 Feb, 28–31 Jan
# were the holidays, and Fri 28 Feb is Peace Memorial Day.
SUBMITTED = date(2025, 1, 23)  # Thursday: LINE's e-mail confirming the Service Plan arrived
RECORDED = date(2025, 2, 10)  # Monday: the account manager records it


def service_plan_sent(make_application: Callable[..., Application], *, on: date) -> Application:
    application = make_application(on=date(2025, 1, 2))
    return application_move(
        application=application,
        to_stage=Stage.SERVICE_PLAN_REVIEW,
        actor="test",
        at=at(on),
        note="LINE's e-mail of 23 Jan",
    )


def test_a_back_dated_move_counts_its_window_from_the_effective_date_across_the_new_year(
    make_application: Callable[..., Application],
) -> None:
    application = service_plan_sent(make_application, on=SUBMITTED)

    # Window 7–14 working days after Thu 23 Jan:
    #   1 Fri 24 Jan; Mon 27 (day off, made up on 8 Feb) and Tue 28 – Fri 31 (New Year) skipped;
    #   2–6 Mon 3 – Fri 7 Feb; 7 Sat 8 Feb (make-up working day) → earliest 8 Feb;
    #   8–12 Mon 10 – Fri 14; 13 Mon 17; 14 Tue 18 Feb → latest 18 Feb.
    assert application.stage_planned_from == date(2025, 2, 8)
    assert application.stage_due_on == date(2025, 2, 18)
    status = application_status(application, today=RECORDED, calendar=current_calendar())
    # Waited on Mon 10 Feb: Fri 24 Jan (1) + Mon 3 – Fri 7 Feb (5) + Sat 8 Feb (1) + Mon 10 Feb (1) = 8.
    assert status.waited_working_days == 8
    # Forecast: review ends 18 Feb; test permission +7: 19, 20, 21, 24, 25, 26, 27 Feb (28 Feb off)
    # → 27 Feb; test results +7: 3, 4, 5, 6, 7, 10, 11 Mar → 11 Mar; production +7: 12, 13, 14,
    # 17, 18, 19, 20 Mar → 20 Mar.
    assert status.forecast_go_live == date(2025, 3, 20)
    step_days_off = {day for step in status.forecast.steps for day, _name in step.days_off}
    assert date(2025, 1, 28) in step_days_off and date(2025, 2, 28) in step_days_off
    assert date(2025, 2, 8) in status.forecast.steps[0].makeup_days


def test_the_same_move_recorded_as_of_the_day_it_is_entered_would_be_later(
    make_application: Callable[..., Application],
) -> None:
    application = service_plan_sent(make_application, on=RECORDED)

    # From Mon 10 Feb: 7th working day Wed 19 Feb; 14th: 11–14 Feb (4), 17–21 (9), 24–27 (13),
    # Fri 28 Feb off, Mon 3 Mar (14).
    assert application.stage_due_on == date(2025, 3, 3)
    status = application_status(application, today=RECORDED, calendar=current_calendar())
    assert status.waited_working_days == 0
    # 3 Mar +7 → 12 Mar, +7 → 21 Mar, +7 → 24–28, 31 Mar, 1 Apr → 1 Apr.
    assert status.forecast_go_live == date(2025, 4, 1)


def test_the_move_and_its_audit_keep_both_the_effective_and_the_recorded_time(
    make_application: Callable[..., Application],
) -> None:
    application = service_plan_sent(make_application, on=SUBMITTED)
    move = StageTransition.objects.get(application=application, to_stage=Stage.SERVICE_PLAN_REVIEW)
    assert move.at == at(SUBMITTED)
    assert timezone.now() - move.recorded_at < timedelta(minutes=1)
    event = AuditEvent.objects.filter(action="application.moved").latest("id")
    assert event.data["effective_at"] == at(SUBMITTED).isoformat()
    assert event.data["recorded_at"] == move.recorded_at.isoformat()


def test_an_effective_date_in_the_future_is_refused_naming_the_field(
    make_application: Callable[..., Application],
) -> None:
    application = make_application(on=date(2025, 1, 2))
    with pytest.raises(ApplicationError) as refused:
        application_move(
            application=application,
            to_stage=Stage.SERVICE_PLAN_REVIEW,
            actor="test",
            at=timezone.now() + timedelta(days=1),
        )
    assert refused.value.field == "effective_at"
    assert "future" in refused.value.message
    application.refresh_from_db()
    assert application.stage == Stage.PREPARING_DOCUMENTS
    assert application.transitions.count() == 1


def test_an_effective_date_before_the_previous_move_is_refused(
    make_application: Callable[..., Application],
) -> None:
    application = service_plan_sent(make_application, on=SUBMITTED)
    with pytest.raises(TransitionNotAllowed) as refused:
        application_move(
            application=application,
            to_stage=Stage.TEST_PERMISSION_REQUESTED,
            actor="test",
            at=at(SUBMITTED - timedelta(days=1)),
        )
    assert refused.value.field == "effective_at"
    assert "2025-01-23 10:00" in refused.value.message


def test_an_effective_date_the_calendar_cannot_place_is_refused(
    make_application: Callable[..., Application],
) -> None:
    application = make_application(on=date(2025, 1, 2))
    application.stage_entered_at = at(date(1990, 1, 2))  # an imported row older than the calendar
    application.save(update_fields=["stage_entered_at"])
    with pytest.raises(ApplicationError) as refused:
        application_move(
            application=application, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=at(date(1995, 3, 1))
        )
    assert refused.value.field == "effective_at"
    assert "1998" in refused.value.message


def test_an_uploaded_e_mail_becomes_the_moves_evidence(make_application: Callable[..., Application]) -> None:
    application = make_application(on=date(2025, 1, 2))
    application_move(
        application=application,
        to_stage=Stage.SERVICE_PLAN_REVIEW,
        actor="test",
        at=at(SUBMITTED),
        evidence_file=SimpleUploadedFile("line-mail.eml", b"From: LINE"),
    )
    move = application.transitions.get(to_stage=Stage.SERVICE_PLAN_REVIEW)
    assert move.evidence is not None and move.evidence.kind == DocumentKind.LINE_EMAIL
    assert move.evidence.file.name.endswith("line-mail.eml")


def test_a_correction_is_a_move_of_its_own_and_restores_the_earlier_stage(
    make_application: Callable[..., Application],
) -> None:
    application = service_plan_sent(make_application, on=SUBMITTED)
    application_move(
        application=application, to_stage=Stage.TEST_PERMISSION_REQUESTED, actor="test", at=at(date(2025, 2, 3))
    )
    application_move_correct(application=application, actor="test", note="LINE's approval was for another brand")

    application.refresh_from_db()
    assert application.stage == Stage.SERVICE_PLAN_REVIEW
    assert application.stage_entered_at == at(SUBMITTED)
    assert application.stage_due_on == date(2025, 2, 18)
    wrong = application.transitions.get(to_stage=Stage.TEST_PERMISSION_REQUESTED)
    correction = application.transitions.get(corrects=wrong)
    assert correction.from_stage == Stage.TEST_PERMISSION_REQUESTED and correction.at == wrong.at
    assert AuditEvent.objects.filter(action="application.move_corrected", data__corrected=wrong.pk).exists()
    # The timeline shows the stage as not reached, and the right move may be dated from 23 Jan.
    rows = {row.stage: row for row in application_timeline(application, today=RECORDED)}
    assert rows[Stage.TEST_PERMISSION_REQUESTED].entered_at is None
    application_move(
        application=application, to_stage=Stage.TEST_PERMISSION_REQUESTED, actor="test", at=at(date(2025, 1, 24))
    )


def test_a_correction_needs_a_note_and_a_move_to_correct(make_application: Callable[..., Application]) -> None:
    application = make_application(on=date(2025, 1, 2))
    with pytest.raises(TransitionNotAllowed):
        application_move_correct(application=application, actor="test", note="oops")
    application = service_plan_sent(make_application, on=SUBMITTED)
    with pytest.raises(ApplicationError) as refused:
        application_move_correct(application=application, actor="test", note=" ")
    assert refused.value.field == "note"


@pytest.mark.django_db(transaction=True)
def test_the_migration_dates_existing_moves_recorded_when_they_took_effect(ready_brand: Brand, manager: User) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("applications", "0002_roles")])
    old_apps = executor.loader.project_state([("applications", "0002_roles")]).apps
    # A populated database before the migration: a move as the tracker stored it then.
    OldApplication = old_apps.get_model("applications", "Application")
    OldTransition = old_apps.get_model("applications", "StageTransition")
    entered = at(date(2025, 1, 23))
    old = OldApplication.objects.create(
        brand_id=ready_brand.pk,
        path="direct",
        owner_id=manager.pk,
        stage=Stage.PREPARING_DOCUMENTS,
        stage_entered_at=entered,
    )
    OldTransition.objects.create(application=old, to_stage=Stage.PREPARING_DOCUMENTS, actor_label="x", at=entered)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = StageTransition.objects.get(application_id=old.pk)
    assert migrated.recorded_at == entered
