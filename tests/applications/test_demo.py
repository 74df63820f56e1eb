"""The demo data: applications in several stages, one overdue, one partner path, one blocked."""

from __future__ import annotations

import io

from django.utils import timezone

from applications import demo
from applications.choices import Stage
from applications.models import Application
from applications.selectors import application_move_options, applications_overdue
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
