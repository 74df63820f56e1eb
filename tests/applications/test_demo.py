"""The demo data: applications in several stages, one overdue, one partner path, one blocked."""

from __future__ import annotations

import io

from django.utils import timezone

from applications import demo
from applications.choices import Stage
from applications.models import Application
from applications.selectors import application_move_options, application_status, applications_overdue
from applications.workdays import current_calendar
from portal import demo as portal_demo


def test_the_demo_holds_applications_in_several_stages_and_a_second_run_adds_nothing(db: None) -> None:
    # given
    portal_demo.seed(io.StringIO())
    # when
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    # then
    stages = {(a.brand.slug, a.stage) for a in Application.objects.select_related("brand")}
    assert stages == {
        ("demo-shop", Stage.LIVE),
        ("demo-shop", Stage.SERVICE_PLAN_REVIEW),
        ("acme-telecom", Stage.PARTNER_TESTING),
        ("sunrise-clinic", Stage.PREPARING_DOCUMENTS),
    }
    today = timezone.localdate()
    overdue = applications_overdue(Application.objects.all(), today=today)
    assert [a.brand.slug for a in overdue] == ["demo-shop"]
    clinic = Application.objects.get(brand__slug="sunrise-clinic")
    blocked = {o.stage: o.blocked_by for o in application_move_options(clinic, today=today)}
    assert blocked[Stage.SERVICE_PLAN_REVIEW]


def test_the_demo_shows_back_dated_moves_corrections_promises_blockers_and_the_partner_catalogue(db: None) -> None:
    portal_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    today = timezone.localdate()
    calendar = current_calendar()
    shop = Application.objects.get(brand__slug="demo-shop", stage=Stage.SERVICE_PLAN_REVIEW)
    review = shop.transitions.get(to_stage=Stage.SERVICE_PLAN_REVIEW, corrects__isnull=True)
    assert review.evidence is not None and review.recorded_at.date() > review.at.date()
    assert shop.transitions.filter(corrects__isnull=False).count() == 1
    assert application_status(shop, today=today, calendar=calendar).misses_promise
    clinic = Application.objects.get(brand__slug="sunrise-clinic")
    assert (
        "blue-shield special approval" in application_status(clinic, today=today, calendar=calendar).forecast.blocked_by
    )
    telecom = Application.objects.get(brand__slug="acme-telecom")
    skipped = telecom.transitions.get(to_stage=Stage.CERTIFIED_PROVIDER_AND_TEST_PERMISSION)
    assert skipped.plan_reason.startswith("Use-case review skipped")
