"""Where an application stands: holder, working days waited, lateness, forecast, visibility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib.auth.models import User

from applications.choices import DocumentKind, Holder, Stage
from applications.models import Application
from applications.selectors import (
    application_move_options,
    application_status,
    application_timeline,
    applications_overdue,
    applications_visible_to,
    applications_with_nda_expiring,
)
from applications.services import application_move
from applications.workdays import WorkCalendar
from portal.choices import AccountType
from portal.models import Brand
from tests.applications.conftest import at, attach, bring_to

S = Stage
TW = WorkCalendar()


def in_service_plan_review_since(make_application: Callable[..., Application], day: date) -> Application:
    application = make_application(on=date(2026, 1, 5))
    application_move(application=application, to_stage=S.SERVICE_PLAN_REVIEW, actor="test", at=at(day))
    return application


def test_a_service_plan_review_sent_thirty_working_days_ago_is_overdue_by_sixteen(
    make_application: Callable[..., Application],
) -> None:
    # given the Service Plan went to LINE 30 working days before today (window 7–14)
    today = date(2026, 3, 20)
    sent = TW.add_working_days(today, -30)
    application = in_service_plan_review_since(make_application, sent)
    # when
    status = application_status(application, today=today, calendar=TW)
    # then LINE holds it, 30 working days waited, 16 past the 14th
    assert status.holder == Holder.LINE
    assert status.waited_working_days == 30
    assert status.due_on == TW.add_working_days(sent, 14)
    assert status.overdue_working_days == 16 and status.is_overdue
    assert list(applications_overdue(Application.objects.all(), today=today)) == [application]


def test_a_review_within_its_window_is_not_overdue(make_application: Callable[..., Application]) -> None:
    application = in_service_plan_review_since(make_application, date(2026, 3, 2))
    today = TW.add_working_days(date(2026, 3, 2), 14)  # the last day of the window
    assert application_status(application, today=today, calendar=TW).is_overdue is False
    assert not applications_overdue(Application.objects.all(), today=today).exists()


def test_an_application_on_hold_is_never_overdue(make_application: Callable[..., Application]) -> None:
    application = in_service_plan_review_since(make_application, date(2026, 3, 2))
    application_move(application=application, to_stage=S.ON_HOLD, actor="test", at=at(date(2026, 3, 3)))
    status = application_status(application, today=date(2026, 6, 1), calendar=TW)
    assert (status.holder, status.is_overdue, status.forecast_go_live) == (Holder.US, False, None)


def test_the_forecast_adds_each_remaining_line_window_at_its_longest(
    make_application: Callable[..., Application],
) -> None:
    # Service Plan sent Mon 2 Mar 2026, due +14 = 20 Mar; then test permission +7 = 31 Mar,
    # brand testing 0, test-result review +7 = 13 Apr (3 and 6 Apr are days off), production +7 = 22 Apr.
    application = in_service_plan_review_since(make_application, date(2026, 3, 2))
    status = application_status(application, today=date(2026, 3, 3), calendar=TW)
    assert status.forecast_go_live == date(2026, 4, 22)


def test_a_partner_application_forecast_uses_ten_and_three_days(make_application: Callable[..., Application]) -> None:
    application = make_application(path="partner")
    status = application_status(application, today=date(2026, 3, 2), calendar=TW)
    # 2 Mar + 10 working days = 16 Mar; +3 = 19 Mar.
    assert status.holder == Holder.US
    assert status.forecast_go_live == date(2026, 3, 19)


def test_the_brand_holds_an_application_while_it_answers_line(make_application: Callable[..., Application]) -> None:
    application = in_service_plan_review_since(make_application, date(2026, 3, 2))
    application_move(
        application=application, to_stage=S.CHANGES_REQUESTED_BY_LINE, actor="test", at=at(date(2026, 3, 5))
    )
    assert application_status(application, today=date(2026, 3, 6), calendar=TW).holder == Holder.BRAND


def test_the_timeline_shows_planned_and_actual_dates_and_flags_a_late_step(
    make_application: Callable[..., Application],
) -> None:
    application = in_service_plan_review_since(make_application, date(2026, 3, 2))
    application_move(
        application=application, to_stage=S.TEST_PERMISSION_REQUESTED, actor="test", at=at(date(2026, 4, 1))
    )
    rows = {row.stage: row for row in application_timeline(application, today=date(2026, 4, 2))}
    review = rows[S.SERVICE_PLAN_REVIEW]
    assert (review.entered_at, review.left_at, review.planned_due_on) == (
        date(2026, 3, 2),
        date(2026, 4, 1),
        date(2026, 3, 20),
    )
    assert review.is_late is True
    assert rows[S.TEST_PERMISSION_REQUESTED].is_current and not rows[S.TEST_PERMISSION_REQUESTED].is_late
    assert rows[S.LIVE].entered_at is None


def test_nda_expiring_within_the_warning_period_is_flagged(make_application: Callable[..., Application]) -> None:
    soon = make_application(documents=False)
    attach(soon, DocumentKind.NDA, signed_on=date(2025, 4, 1), expires_on=date(2026, 4, 1))
    later = make_application(documents=False)
    attach(later, DocumentKind.NDA, signed_on=date(2025, 4, 1), expires_on=date(2026, 4, 1))
    attach(later, DocumentKind.NDA, signed_on=date(2026, 3, 1), expires_on=date(2027, 3, 1))  # renewed
    flagged = applications_with_nda_expiring(Application.objects.all(), today=date(2026, 3, 10), within_days=30)
    assert list(flagged) == [soon]
    assert flagged[0].nda_expires_on == date(2026, 4, 1)


def test_move_options_say_which_gate_blocks_a_move(
    make_application: Callable[..., Application], ready_brand: Brand
) -> None:
    Brand.objects.filter(pk=ready_brand.pk).update(account_type=AccountType.VERIFIED_BLUE)
    application = Application.objects.get(pk=make_application().pk)
    options = {
        option.stage: option.blocked_by for option in application_move_options(application, today=date(2026, 3, 2))
    }
    assert set(options) == {S.SERVICE_PLAN_REVIEW, S.ON_HOLD, S.WITHDRAWN}
    assert "blue-shield" in options[S.SERVICE_PLAN_REVIEW][0]
    assert options[S.WITHDRAWN] == []


def test_account_managers_see_their_brands_applications_reviewers_all_finance_none(
    make_application: Callable[..., Application],
    make_brand: Callable[..., Brand],
    manager: User,
    other_manager: User,
    other_brand: Brand,
    reviewer: User,
    finance: User,
) -> None:
    mine = make_application(documents=False)
    theirs = make_application(brand=other_brand, owner=other_manager, documents=False)
    assert list(applications_visible_to(manager)) == [mine]
    assert list(applications_visible_to(other_manager)) == [theirs]
    assert set(applications_visible_to(reviewer)) == {mine, theirs}
    assert not applications_visible_to(finance).exists()


def test_bring_to_walks_only_forward(make_application: Callable[..., Application]) -> None:
    assert bring_to(make_application(), S.LIVE).stage == S.LIVE
