"""The daily quality task reads the figures from the source the notifications app names."""

from __future__ import annotations

from datetime import datetime

from django.test import override_settings

from compliance.choices import TemplateStatus
from compliance.models import TemplateVersion
from compliance.services import TemplateSendStats
from compliance.tasks import template_quality_review_task

FIGURES: list[TemplateSendStats] = []
ASKED_SINCE: list[datetime] = []


def send_stats(since: datetime) -> list[TemplateSendStats]:
    ASKED_SINCE.append(since)
    return FIGURES


@override_settings(
    COMPLIANCE_SEND_STATS_SOURCE="tests.compliance.test_tasks.send_stats", COMPLIANCE_QUALITY_MIN_SENDS=10
)
def test_the_task_suspends_a_template_most_of_whose_sends_fall_back_to_sms(approved: TemplateVersion) -> None:
    FIGURES[:] = [
        TemplateSendStats(approved.pk, sends=100, sms_fallbacks=90, line_deliveries_known_uid=10, blocked_within_24h=0)
    ]
    assert template_quality_review_task.apply().get() == 1
    approved.refresh_from_db()
    assert approved.status == TemplateStatus.SUSPENDED and approved.hold_reason["sms_fallback_share"] == 0.9
    assert ASKED_SINCE


@override_settings(COMPLIANCE_SEND_STATS_SOURCE="")
def test_without_a_source_the_task_does_nothing(approved: TemplateVersion) -> None:
    assert template_quality_review_task.apply().get() == 0
