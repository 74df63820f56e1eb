"""Reads of delivery alerts: the open ones and the admin list behind each.

Apart from ``selectors`` so that billing's dashboard can show the banner without importing
what ``selectors`` reaches (compliance's hooks), which billing may not.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from django.urls import reverse

from notifications.choices import AlertKind, Channel, NotificationStatus
from notifications.models import AlertCrossing


def alerts_open(brand_ids: Iterable[int] | None) -> list[AlertCrossing]:
    """The open delivery alerts of these brands (None: every brand), the newest first."""
    crossings = AlertCrossing.objects.filter(closed_at__isnull=True).select_related("brand")
    if brand_ids is not None:
        crossings = crossings.filter(brand_id__in=list(brand_ids))
    return list(crossings.order_by("-opened_at"))


def alert_link(crossing: AlertCrossing) -> str:
    """The admin list behind a crossing: the brand's members for blocks, else its notifications."""
    if crossing.kind == AlertKind.BLOCK_RATE:
        return f"{reverse('admin:members_member_changelist')}?{urlencode({'brand': crossing.brand_id})}"
    query: dict[str, object] = {"brand__id__exact": crossing.brand_id}
    if crossing.kind == AlertKind.DELIVERY_RATE:
        query["status__exact"] = NotificationStatus.NOT_DELIVERED
    elif crossing.kind == AlertKind.SMS_FAILURE_RATE:
        query.update({"status__exact": NotificationStatus.FAILED, "channel__exact": Channel.SMS})
    elif crossing.kind == AlertKind.REFUSED_422_SHARE:
        query["channel__exact"] = Channel.SMS  # a PNP refused with 422 goes on by SMS
    return f"{reverse('admin:notifications_notification_changelist')}?{urlencode(query)}"
