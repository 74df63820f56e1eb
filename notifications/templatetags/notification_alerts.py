"""Filters for delivery alerts: a share as a percentage, a time in Taiwan, the list behind a crossing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template

from notifications.alerts import alert_link as _alert_link
from notifications.models import AlertCrossing

register = template.Library()
TAIPEI = ZoneInfo("Asia/Taipei")


@register.filter
def share(value: Decimal | None) -> str:
    """0.0534 → "5.3 %"."""
    if value is None:
        return "–"
    return f"{Decimal(value) * 100:.1f} %"


@register.filter
def taipei(value: datetime | None) -> str:
    return value.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M") if value else ""


@register.filter
def alert_link(crossing: AlertCrossing) -> str:
    return _alert_link(crossing)
