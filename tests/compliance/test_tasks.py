"""The daily quality task reads the figures from the providers registered with compliance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from django.test import override_settings

from compliance import hooks
from compliance.choices import TemplateStatus
from compliance.hooks import TemplateSendStats
from compliance.models import TemplateVersion
from compliance.tasks import template_quality_review_task

FIGURES: list[TemplateSendStats] = []
ASKED_SINCE: list[datetime] = []


def send_stats(since: datetime) -> list[TemplateSendStats]:
    ASKED_SINCE.append(since)
    return FIGURES


@pytest.fixture
def only_these_figures() -> Iterator[None]:
    """Stand in for the registered providers (the notifications app's) with ``send_stats``."""
    registered = hooks.send_stats_providers()
    for provider in registered:
        hooks.send_stats_provider_unregister(provider)
    hooks.send_stats_provider_register(send_stats)
    yield
    hooks.send_stats_provider_unregister(send_stats)
    for provider in registered:
        hooks.send_stats_provider_register(provider)


def test_the_notifications_app_registers_its_send_figures() -> None:
    from notifications.selectors import template_send_stats

    assert template_send_stats in hooks.send_stats_providers()


@pytest.mark.usefixtures("only_these_figures")
@override_settings(COMPLIANCE_QUALITY_MIN_SENDS=10)
def test_the_task_suspends_a_template_most_of_whose_sends_fall_back_to_sms(approved: TemplateVersion) -> None:
    FIGURES[:] = [
        TemplateSendStats(approved.pk, sends=100, sms_fallbacks=90, line_deliveries_known_uid=10, blocked_within_24h=0)
    ]
    assert template_quality_review_task.apply().get() == 1
    approved.refresh_from_db()
    assert approved.status == TemplateStatus.SUSPENDED and approved.hold_reason["sms_fallback_share"] == 0.9
    assert ASKED_SINCE


@pytest.mark.usefixtures("only_these_figures")
def test_without_figures_the_task_does_nothing(approved: TemplateVersion) -> None:
    FIGURES[:] = []
    assert template_quality_review_task.apply().get() == 0
