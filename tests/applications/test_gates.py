"""Eligibility gates: each one refuses the move that needs it, with a reason, and lets it pass once met."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.utils import translation

from applications.choices import DocumentKind, Stage
from applications.exceptions import GateNotMet
from applications.models import Application
from applications.services import application_move, application_update
from portal.choices import AccountType, LegalEntityType
from portal.models import AuditEvent, Brand
from tests.applications.conftest import START, at, attach, bring_to

S = Stage
LATER = date(2026, 3, 20)  # after bring_to's moves, one a day from START


def set_brand(brand: Brand, **fields: object) -> None:
    Brand.objects.filter(pk=brand.pk).update(**fields)


def test_a_blue_shield_account_is_refused_without_special_approval(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    set_brand(ready_brand, account_type=AccountType.VERIFIED_BLUE)
    application = make_application()
    with pytest.raises(GateNotMet, match=r"blue-shield.*special approval"):
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))


def test_a_blue_shield_account_passes_with_a_recorded_special_approval(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    set_brand(ready_brand, account_type=AccountType.VERIFIED_BLUE)
    application = make_application()
    application_update(
        application=application,
        actor="test",
        blue_shield_approval_reference="LINE-SALES-2026-031",
        blue_shield_approved_on=date(2026, 2, 20),
    )
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert application.stage == S.SERVICE_PLAN_REVIEW


def test_an_account_that_is_neither_green_nor_blue_is_refused(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    set_brand(ready_brand, account_type=AccountType.OTHER)
    with pytest.raises(GateNotMet, match="enterprise \\(green-shield\\)"):
        application_move(application=make_application(), to_stage=S.SERVICE_PLAN_REVIEW, actor="test")


def test_an_ineligible_legal_entity_is_refused(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    set_brand(ready_brand, legal_entity_type=LegalEntityType.OTHER)
    with pytest.raises(GateNotMet, match="legal entity type is not eligible"):
        application_move(application=make_application(), to_stage=S.SERVICE_PLAN_REVIEW, actor="test")


@pytest.mark.parametrize("entity", [LegalEntityType.MEDICAL_INSTITUTION, LegalEntityType.GOVERNMENT])
def test_medical_institutions_and_government_bodies_may_apply(
    make_application: Callable[..., Application], ready_brand: Brand, entity: str
) -> None:
    set_brand(ready_brand, legal_entity_type=entity)
    application = make_application()
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert application.stage == S.SERVICE_PLAN_REVIEW


def test_test_permission_needs_a_certified_provider(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    application = bring_to(make_application(), S.SERVICE_PLAN_REVIEW)
    set_brand(ready_brand, is_certified_provider=False)
    with pytest.raises(GateNotMet, match="not a Certified Provider"):
        application_move(application=application, to_stage=S.TEST_PERMISSION_REQUESTED, actor="test", at=at(LATER))
    set_brand(ready_brand, is_certified_provider=True)
    application_move(application=application, to_stage=S.TEST_PERMISSION_REQUESTED, actor="test", at=at(LATER))


def test_partner_testing_needs_a_certified_provider(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    application = bring_to(make_application(path="partner"), S.CERTIFIED_PROVIDER_AND_TEST_PERMISSION)
    set_brand(ready_brand, is_certified_provider=False)
    with pytest.raises(GateNotMet, match="not a Certified Provider"):
        application_move(application=application, to_stage=S.PARTNER_TESTING, actor="test")


def test_sending_the_service_plan_needs_an_nda(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    with pytest.raises(GateNotMet, match="signed NDA valid on 2026-03-02"):
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))


def test_an_nda_expired_on_the_day_of_the_move_does_not_count(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False, on=date(2026, 2, 20))
    attach(application, DocumentKind.NDA, signed_on=date(2025, 3, 1), expires_on=date(2026, 3, 1))
    with pytest.raises(GateNotMet, match="NDA valid on 2026-03-02"):
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    # The last valid day still counts.
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(date(2026, 3, 1)))


def test_an_nda_signed_after_the_day_of_the_move_does_not_count(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    attach(application, DocumentKind.NDA, signed_on=date(2026, 3, 3), expires_on=date(2027, 3, 3))
    with pytest.raises(GateNotMet, match="NDA"):
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))


def test_an_nda_that_expired_during_testing_blocks_the_next_submission(
    make_application: Callable[..., Application],
) -> None:
    application = make_application(documents=False)
    attach(application, DocumentKind.NDA, signed_on=date(2025, 6, 1), expires_on=date(2026, 3, 10))
    attach(application, DocumentKind.TEST_SCREENSHOT)
    bring_to(application, S.BRAND_TESTING)  # 3–5 March
    with pytest.raises(GateNotMet, match="NDA valid on 2026-03-16"):
        application_move(
            application=application, to_stage=S.TEST_RESULTS_REVIEW, actor="test", at=at(date(2026, 3, 16))
        )


def test_test_result_review_needs_screenshots(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    attach(application, DocumentKind.NDA)
    bring_to(application, S.BRAND_TESTING)
    with pytest.raises(GateNotMet, match="screenshots"):
        application_move(application=application, to_stage=S.TEST_RESULTS_REVIEW, actor="test", at=at(LATER))
    attach(application, DocumentKind.TEST_SCREENSHOT)
    application_move(application=application, to_stage=S.TEST_RESULTS_REVIEW, actor="test", at=at(LATER))


def test_production_permission_needs_the_io_contract(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    attach(application, DocumentKind.NDA)
    attach(application, DocumentKind.TEST_SCREENSHOT)
    bring_to(application, S.TEST_RESULTS_REVIEW)
    with pytest.raises(GateNotMet, match="IO contract"):
        application_move(
            application=application, to_stage=S.PRODUCTION_PERMISSION_REQUESTED, actor="test", at=at(LATER)
        )
    attach(application, DocumentKind.IO_CONTRACT)
    application_move(application=application, to_stage=S.PRODUCTION_PERMISSION_REQUESTED, actor="test", at=at(LATER))


def test_partner_production_permission_needs_screenshots_and_the_io_contract(
    make_application: Callable[..., Application],
) -> None:
    application = bring_to(make_application(path="partner", documents=False), S.PARTNER_TESTING)
    with pytest.raises(GateNotMet) as refused:
        application_move(application=application, to_stage=S.PRODUCTION_PERMISSION, actor="test")
    assert "screenshots" in refused.value.message and "IO contract" in refused.value.message


def test_every_unmet_gate_is_named_at_once(make_application: Callable[..., Application], ready_brand: Brand) -> None:
    set_brand(ready_brand, account_type=AccountType.VERIFIED_BLUE, legal_entity_type=LegalEntityType.OTHER)
    with pytest.raises(GateNotMet) as refused:
        application_move(application=make_application(documents=False), to_stage=S.SERVICE_PLAN_REVIEW, actor="test")
    assert "blue-shield" in refused.value.message
    assert "legal entity" in refused.value.message
    assert "NDA" in refused.value.message


def test_a_gate_refusal_writes_nothing(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    events = AuditEvent.objects.count()
    with pytest.raises(GateNotMet):
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test")
    application.refresh_from_db()
    assert application.stage == S.PREPARING_DOCUMENTS
    assert application.transitions.count() == 1
    assert AuditEvent.objects.count() == events


def test_gate_reasons_are_given_in_traditional_chinese_too(make_application: Callable[..., Application]) -> None:
    application = make_application(documents=False)
    with translation.override("zh-hant"), pytest.raises(GateNotMet) as refused:
        application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(START))
    assert "保密協議" in refused.value.message
