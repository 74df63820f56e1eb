"""The daily reminder e-mail: overdue steps, expiring NDAs, the coming quarterly cut-off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from applications.choices import DocumentKind, Stage
from applications.models import Application
from applications.services import application_move, reminders_send
from applications.tasks import applications_send_reminders
from applications.workdays import WorkCalendar
from portal.celery import app as celery_app
from portal.models import Brand
from tests.applications.conftest import at, attach

TW = WorkCalendar()
pytestmark = pytest.mark.usefixtures("clear_cache")


@pytest.fixture
def manager_with_email(manager: User) -> User:
    manager.email = "wang@example.com"
    manager.first_name = "Wang"
    manager.save(update_fields=["email", "first_name"])
    return manager


def overdue_application(make_application: Callable[..., Application], today: date) -> Application:
    application = make_application(on=TW.add_working_days(today, -40))
    application_move(
        application=application,
        to_stage=Stage.SERVICE_PLAN_REVIEW,
        actor="test",
        at=at(TW.add_working_days(today, -30)),
    )
    return application


def test_a_manager_gets_one_e_mail_with_overdue_steps_expiring_ndas_and_the_cutoff(
    make_application: Callable[..., Application], manager_with_email: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    # given (Tue 20 Jan 2026: the cut-off Fri 30 Jan is 8 working days away)
    today = date(2026, 1, 20)
    late = overdue_application(make_application, today)
    expiring = make_application(documents=False, on=date(2026, 1, 5))
    attach(expiring, DocumentKind.NDA, signed_on=date(2025, 2, 1), expires_on=date(2026, 2, 1))
    make_application(documents=False, has_new_use_case=True, new_use_case_description="Vaccination reminder")
    # when
    sent = reminders_send(today=today)
    # then
    assert sent == 1
    message = mailoutbox[0]
    assert message.to == ["wang@example.com"]
    assert "PNP applications to follow up on 2026-01-20" in message.subject
    body = message.body
    assert f"Acme Shop #{late.pk}: Service Plan under LINE review" in body
    assert "16 working days late" in body
    assert f"Acme Shop #{expiring.pk}: NDA expires on 2026-02-01" in body
    assert "Next quarterly submission of new use cases to LINE HQ: 2026-01-30" in body
    assert f"/admin/applications/application/{late.pk}/change/" in body
    # The same e-mail carries the Traditional Chinese version first.
    assert body.index("逾期") < body.index("Overdue steps")


def test_a_second_run_on_the_same_day_sends_nothing(
    make_application: Callable[..., Application], manager_with_email: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    today = date(2026, 3, 20)
    overdue_application(make_application, today)
    assert reminders_send(today=today) == 1
    assert reminders_send(today=today) == 0
    assert len(mailoutbox) == 1


def test_nobody_is_e_mailed_when_nothing_needs_them(
    make_application: Callable[..., Application], manager_with_email: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    # Mid-quarter, nothing late, the NDA valid for a year.
    make_application(on=date(2026, 3, 2))
    assert reminders_send(today=date(2026, 3, 2)) == 0
    assert mailoutbox == []


def test_each_manager_hears_only_about_their_own_applications(
    make_application: Callable[..., Application],
    manager_with_email: User,
    other_manager: User,
    other_brand: Brand,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    today = date(2026, 3, 20)
    other_manager.email = "chang@example.com"
    other_manager.save(update_fields=["email"])
    Brand.objects.filter(pk=other_brand.pk).update(is_certified_provider=True)
    mine = overdue_application(make_application, today)
    theirs = overdue_application(
        lambda **kw: make_application(brand=Brand.objects.get(pk=other_brand.pk), owner=other_manager, **kw), today
    )
    assert reminders_send(today=today) == 2
    bodies = {message.to[0]: message.body for message in mailoutbox}
    assert f"#{mine.pk}:" in bodies["wang@example.com"] and "Globex" not in bodies["wang@example.com"]
    assert f"#{theirs.pk}:" in bodies["chang@example.com"] and "Acme" not in bodies["chang@example.com"]


def test_the_daily_task_sends_today_s_reminders(
    make_application: Callable[..., Application], manager_with_email: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    overdue_application(make_application, timezone.localdate())
    assert applications_send_reminders.apply().get() == 1
    assert len(mailoutbox) == 1


def test_the_reminders_run_every_morning_at_half_past_eight_taipei_time() -> None:
    entry = celery_app.conf.beat_schedule["applications-send-reminders"]
    assert entry["task"] == "applications.tasks.applications_send_reminders"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {30}
    assert celery_app.conf.timezone == "Asia/Taipei"
