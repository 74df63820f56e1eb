"""Demo data: every review state, seeded once."""

from __future__ import annotations

import io

import pytest

from compliance import demo
from compliance.choices import TemplateStatus
from compliance.models import MessageTemplate, TemplateVersion
from compliance.selectors import template_version_for_send
from portal import demo as portal_demo


@pytest.mark.django_db
def test_the_demo_has_templates_in_every_state_and_a_second_run_adds_nothing() -> None:
    # given
    portal_demo.seed(io.StringIO())
    # when
    demo.seed(io.StringIO())
    counts = (MessageTemplate.objects.count(), TemplateVersion.objects.count())
    demo.seed(io.StringIO())
    # then
    assert (MessageTemplate.objects.count(), TemplateVersion.objects.count()) == counts
    assert set(TemplateVersion.objects.values_list("status", flat=True)) == set(TemplateStatus.values)
    blocked = TemplateVersion.objects.get(template__code="member_day")
    assert blocked.status == TemplateStatus.DRAFT
    assert blocked.rule_results.get(rule_code="PROMO_WORDING").passed is False
    shipping = template_version_for_send(brand=blocked.template.brand, code="shipping_notice")
    assert shipping.number == 2 and shipping.author.username == "manager" and shipping.reviewer.username != "manager"
    for code in ("signup_otp", "welcome_bind"):
        assert template_version_for_send(brand=blocked.template.brand, code=code).reviewer.username == "reviewer"
