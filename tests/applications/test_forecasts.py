"""Forecasts that tell the truth: blocked by a gate, compared with the promised date, explained."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from applications.choices import Stage, UseCase
from applications.exceptions import ApplicationError
from applications.models import Application, PartnerUseCase, TechnologyPartner
from applications.selectors import application_status, applications_missing_promise
from applications.services import application_move, application_update, partner_use_case_add
from applications.workdays import current_calendar
from portal.choices import AccountType
from portal.models import AuditEvent, Brand
from tests.applications.conftest import START, at


def status_on(application: Application, today: date):  # type: ignore[no-untyped-def]
    return application_status(application, today=today, calendar=current_calendar())


def test_a_blue_shield_brand_without_special_approval_has_no_forecast_date(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    ready_brand.account_type = AccountType.VERIFIED_BLUE
    ready_brand.save(update_fields=["account_type"])
    application = make_application()

    forecast = status_on(application, START).forecast
    assert forecast.go_live is None
    assert forecast.blocked_by == ("blue-shield special approval",)
    assert "special approval" in forecast.blocked_reasons[0]


def test_recording_the_special_approval_brings_the_forecast_back(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    ready_brand.account_type = AccountType.VERIFIED_BLUE
    ready_brand.save(update_fields=["account_type"])
    application = make_application()
    application_update(
        application=application,
        actor="test",
        blue_shield_approval_reference="LINE-SALES-42",
        blue_shield_approved_on=START,
    )
    forecast = status_on(application, START).forecast
    assert not forecast.is_blocked and forecast.go_live is not None


def test_a_missing_certified_provider_blocks_a_later_step(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    ready_brand.is_certified_provider = False
    ready_brand.save(update_fields=["is_certified_provider"])
    application = make_application()
    application_move(application=application, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert status_on(application, START).forecast.blocked_by == ("Certified Provider",)


def test_the_forecast_explains_each_window_and_the_quarterly_cut_off(
    make_application: Callable[..., Application],
) -> None:
    application = make_application(has_new_use_case=True, new_use_case_description="Vaccination reminder")
    forecast = status_on(application, START).forecast
    first = forecast.steps[0]
    # Preparing documents on Mon 2 Mar 2026: the Service Plan waits for the cut-off Thu 30 Apr 2026.
    assert first.stage == Stage.SERVICE_PLAN_REVIEW and first.cutoff == date(2026, 4, 30)
    names = [name for step in forecast.steps for _day, name in step.days_off]
    assert any("Tomb" in name or "Children" in name for name in names)  # 3 and 6 Apr 2026
    assert [step.stage for step in forecast.steps] == [
        Stage.SERVICE_PLAN_REVIEW,
        Stage.TEST_PERMISSION_REQUESTED,
        Stage.TEST_RESULTS_REVIEW,
        Stage.PRODUCTION_PERMISSION_REQUESTED,
    ]
    assert forecast.go_live == forecast.steps[-1].end


def test_a_forecast_later_than_the_promised_date_is_flagged_and_filtered(
    make_application: Callable[..., Application],
) -> None:
    # Direct, existing use cases, submitted Mon 2 Mar 2026. Service Plan +14: 3–6, 9–13, 16–20 Mar
    # → 20 Mar; test permission +7: 23–27, 30, 31 Mar → 31 Mar; test results +7: 1, 2 Apr, (Fri 3
    # and Mon 6 Apr are the observed Children's Day and Tomb Sweeping Day) 7–10, 13 Apr → 13 Apr;
    # production +7: 14–17, 20–22 Apr → Wed 22 Apr. A promise of 20 Apr is missed, 30 Apr is kept.
    late = make_application(expected_go_live=date(2026, 4, 20))
    kept = make_application(expected_go_live=date(2026, 4, 30))
    for application in (late, kept):
        application_move(application=application, to_stage=Stage.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert status_on(late, START).forecast_go_live == date(2026, 4, 22)
    assert status_on(late, START).misses_promise
    assert not status_on(kept, START).misses_promise
    missed = applications_missing_promise(Application.objects.all(), today=START, calendar=current_calendar())
    assert list(missed) == [late]


def test_a_promised_date_before_the_application_started_is_refused(
    make_application: Callable[..., Application],
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_application(expected_go_live=date(2026, 2, 27))
    assert "expected_go_live" in refused.value.message_dict
    application = make_application()
    with pytest.raises(ValidationError) as refused_later:
        application_update(application=application, actor="test", expected_go_live=date(2026, 3, 1))
    assert "expected_go_live" in refused_later.value.message_dict
    application.refresh_from_db()
    assert application.expected_go_live is None


@pytest.fixture
def partner(manager: User) -> TechnologyPartner:
    partner = TechnologyPartner.objects.create(name="Omnichat")
    partner_use_case_add(
        partner=partner,
        use_case=UseCase.BILL_FEE_CONFIRMATION,
        approved_on=date(2026, 1, 15),
        evidence_note="LINE e-mail 15 Jan 2026",
        actor=manager,
    )
    return partner


def test_a_catalogued_use_case_skips_the_partner_review_with_the_reason_recorded(
    make_application: Callable[..., Application], partner: TechnologyPartner
) -> None:
    application = make_application(path="partner", partner=partner, use_cases=[UseCase.BILL_FEE_CONFIRMATION])
    application_move(
        application=application, to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, actor="test", at=at(START)
    )
    # Ten working days after Mon 2 Mar 2026: Mon 16 Mar, no use-case review.
    assert application.stage_planned_from == application.stage_due_on == date(2026, 3, 16)
    move = application.transitions.get(to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION)
    assert move.plan_reason.startswith("Use-case review skipped")
    assert "LINE e-mail 15 Jan 2026" in move.plan_reason
    assert AuditEvent.objects.filter(action="application.moved", data__plan_reason=move.plan_reason).exists()


def test_a_use_case_outside_the_catalogue_takes_the_10_to_15_day_review(
    make_application: Callable[..., Application], partner: TechnologyPartner
) -> None:
    application = make_application(
        path="partner", partner=partner, use_cases=[UseCase.BILL_FEE_CONFIRMATION, UseCase.RENTAL_DUE]
    )
    application_move(
        application=application, to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, actor="test", at=at(START)
    )
    # 10 working days after 2 Mar: 16 Mar; 15: 17, 18, 19, 20, 23 Mar.
    assert (application.stage_planned_from, application.stage_due_on) == (date(2026, 3, 16), date(2026, 3, 23))
    move = application.transitions.get(to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION)
    assert "Rental due" in move.plan_reason


def test_an_approval_after_the_move_date_does_not_count(
    make_application: Callable[..., Application], manager: User
) -> None:
    partner = TechnologyPartner.objects.create(name="Late Partner")
    PartnerUseCase.objects.create(
        partner=partner, use_case=UseCase.RENTAL_DUE, approved_on=date(2026, 3, 10), evidence_note="mail"
    )
    application = make_application(path="partner", partner=partner, use_cases=[UseCase.RENTAL_DUE])
    application_move(
        application=application, to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION, actor="test", at=at(START)
    )
    assert application.stage_due_on == date(2026, 3, 23)


def test_the_catalogue_needs_evidence_and_takes_a_use_case_once(partner: TechnologyPartner, manager: User) -> None:
    with pytest.raises(ValidationError) as no_evidence:
        partner_use_case_add(partner=partner, use_case=UseCase.RENTAL_DUE, approved_on=START, actor=manager)
    assert "evidence_note" in no_evidence.value.message_dict
    with pytest.raises(ApplicationError) as twice:
        partner_use_case_add(
            partner=partner, use_case=UseCase.BILL_FEE_CONFIRMATION, approved_on=START, evidence_note="x", actor=manager
        )
    assert twice.value.field == "use_case"


def test_a_direct_application_cannot_name_a_partner(
    make_application: Callable[..., Application], partner: TechnologyPartner
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_application(partner=partner)
    assert "partner" in refused.value.message_dict
