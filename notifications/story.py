"""One notification's whole story, read for support: timeline, attempts, routing, what the member saw, cost.

Reads only (a selector module): the admin's notification page and the evidence pack both build
on :func:`notification_story`. Every text a LINE or SMS vendor sent back goes through
:func:`redact` first, so no token or secret reaches a page or a download.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from compliance.previews import version_preview
from members.choices import ConsentPurpose
from members.models import Consent
from members.selectors import member_reachability
from notifications.choices import AttemptStatus, Channel, EventKind, NotificationStatus
from notifications.models import Attempt, Notification, NotificationEvent, SmsAccount, WebhookEvent
from notifications.routing import plan_channels

JST = ZoneInfo("Asia/Tokyo")
REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"token|secret|password|passwd|authorization|api[_-]?key|signature|cookie", re.IGNORECASE)
_SECRET_TEXT = re.compile(
    r"(?P<key>bearer\s+|(?:access_?token|channel_?secret|token|secret|password|pwd|api_?key|authorization)"
    r"[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]+)",
    re.IGNORECASE,
)


def redact(value: Any) -> Any:
    """Return ``value`` with tokens and secrets replaced: keys named like one, and ``Bearer …``/``token=…`` in text."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) and value[key] not in ("", None) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(lambda m: m.group("key") + REDACTED, value)
    return value


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Return a JSON value as ``(path, text)`` rows a person reads, e.g. ``("delivery.data", "…")``."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list):
        rows = []
        for index, item in enumerate(value):
            rows.extend(flatten(item, f"{prefix}[{index}]"))
        return rows
    return [(prefix, "" if value is None else str(value))]


@dataclass(frozen=True)
class Milestone:
    label: str
    at: datetime | None


@dataclass(frozen=True)
class AttemptStory:
    """One try as support reads it: the answer, the delivery tag and the event that settled it."""

    attempt: Attempt
    channel_label: str
    status_label: str
    code: str
    response: str
    tag: str
    settled_by: WebhookEvent | None
    settled_by_rows: list[tuple[str, str]]
    vendor_report: str


@dataclass(frozen=True)
class Routing:
    planned: list[str]
    closed: list[tuple[str, str]]


@dataclass(frozen=True)
class Cost:
    pnp_delivered: int
    pnp_count_day: date | None
    sms_segments: int
    sms_price_per_segment: Decimal | None
    sms_cost: Decimal | None


@dataclass
class Story:
    notification: Notification
    milestones: list[Milestone]
    timeline: list[NotificationEvent]
    attempts: list[AttemptStory]
    routing: Routing
    line_html: SafeString
    sms_text: str
    cost: Cost
    sms_now: tuple[bool, str] = field(default=(False, ""))


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def delivery_event_for(attempt: Attempt, brand_id: int) -> WebhookEvent | None:
    """Return LINE's first delivery event carrying this PNP's delivery tag, if one came."""
    if attempt.channel != Channel.PNP or attempt.delivered_at is None:
        return None
    return (
        WebhookEvent.objects.filter(brand_id=brand_id, event_type="delivery", payload__delivery__data=attempt.reference)
        .order_by("id")
        .first()
    )


def _attempt_story(attempt: Attempt, brand_id: int, events: list[NotificationEvent]) -> AttemptStory:
    report = next(
        (
            e.detail_text
            for e in events
            if e.attempt_id == attempt.pk and e.kind in (EventKind.SMS_DELIVERED, EventKind.SMS_FAILED)
        ),
        "",
    )
    if attempt.channel == Channel.SMS:
        code = report or (_("accepted") if attempt.accepted_at else "")
    else:
        code = str(attempt.http_status) if attempt.http_status else ""
    event = delivery_event_for(attempt, brand_id)
    rows = flatten(redact(event.payload)) if event is not None and event.payload else []
    return AttemptStory(
        attempt=attempt,
        channel_label=_label(Channel, attempt.channel),
        status_label=_label(AttemptStatus, attempt.status),
        code=code,
        response=redact(attempt.error),
        tag=attempt.reference,
        settled_by=event,
        settled_by_rows=rows,
        vendor_report=report,
    )


def routing_of(notification: Notification) -> Routing:
    """The channels planned at acceptance and, for each other channel, why the plan leaves it out.

    The reasons are worked out again from the member's record as it reads now and the template
    version sent; the plan itself is the one stored with the notification.
    """
    version = notification.template_version
    reach = member_reachability(notification.member)
    plan = plan_channels(
        open_channels=reach.open,
        closed_reasons=reach.closed,
        template_channels=version.channels,
        urgency=version.urgency,
    )
    planned = list(notification.channel_plan)
    closed = [
        (_label(Channel, channel), plan.reasons.get(channel, _("Not in the plan.")))
        for channel in Channel.values
        if channel not in planned
    ]
    return Routing(planned=[_label(Channel, c) for c in planned], closed=closed)


def pnp_count_day(notification: Notification, attempts: list[Attempt]) -> date | None:
    """The JST day LINE counts a delivered PNP on: the day it was sent (docs/billing.md)."""
    delivered = next((a for a in attempts if a.channel == Channel.PNP and a.delivered_at is not None), None)
    if delivered is None:
        return None
    return (delivered.sent_at or delivered.delivered_at or notification.created_at).astimezone(JST).date()


def cost_of(notification: Notification, attempts: list[Attempt]) -> Cost:
    """What this notification counts for: the delivered PNP (LINE bills it once) and the SMS segments."""
    segments = sum(a.sms_segments or 0 for a in attempts if a.channel == Channel.SMS and a.accepted_at is not None)
    price = None
    if segments:
        price = (
            SmsAccount.objects.filter(brand_id=notification.brand_id)
            .values_list("price_per_segment", flat=True)
            .first()
        )
    day = pnp_count_day(notification, attempts)
    return Cost(
        pnp_delivered=1 if day is not None else 0,
        pnp_count_day=day,
        sms_segments=segments,
        sms_price_per_segment=price,
        sms_cost=(price * segments).quantize(Decimal("0.01")) if price is not None else None,
    )


def milestones_of(
    notification: Notification, attempts: list[Attempt], events: list[NotificationEvent]
) -> list[Milestone]:
    """Queued → sent → delivered / expired / fallback, each with its time; only those that happened."""

    def first(kind: str) -> datetime | None:
        return next((e.at for e in events if e.kind == kind), None)

    sent = [a.sent_at for a in attempts if a.sent_at is not None]
    items = [Milestone(_("queued"), notification.created_at)]
    if sent:
        items.append(Milestone(_("sent"), min(sent)))
    if (fallback := first(EventKind.FALLBACK_DUE)) is not None:
        items.append(Milestone(_("fallback to SMS"), fallback))
    if (expired := first(EventKind.EXPIRED)) is not None:
        items.append(Milestone(_("expired (no delivery in 24 h)"), expired))
    if notification.delivered_at is not None:
        items.append(
            Milestone(
                _("delivered by %(channel)s") % {"channel": _label(Channel, notification.delivered_channel)},
                notification.delivered_at,
            )
        )
    elif notification.status in (NotificationStatus.FAILED, NotificationStatus.NOT_DELIVERED):
        items.append(Milestone(_label(NotificationStatus, notification.status), notification.updated_at))
    if notification.delivered_twice:
        items.append(Milestone(_("delivered twice"), first(EventKind.DELIVERED_TWICE)))
    return items


def seen_by_member(notification: Notification) -> tuple[SafeString, str]:
    """The LINE bubble and SMS text the member was sent, rendered like the review page's previews."""
    if notification.content_purged_at is not None:
        removed = _("The content was removed at the end of its retention period.")
        return format_html("<p>{}</p>", removed), ""
    version = notification.template_version
    if version.is_line_template:
        # LINE lays a template out itself; the page shows what the request carried, row by row.
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", flatten(redact(notification.line_messages)))
        return format_html(
            '<div class="line-bubble line-template"><table>{}</table></div>', rows
        ), notification.sms_text
    preview = version_preview(version, values=dict(notification.variables or {}))
    return preview.line_html, notification.sms_text


def notification_story(notification: Notification) -> Story:
    """Gather everything support reads about one notification, in a handful of queries."""
    attempts = list(notification.attempts.order_by("id"))
    events = list(notification.events.order_by("at", "id"))
    line_html, sms_text = seen_by_member(notification)
    return Story(
        notification=notification,
        milestones=milestones_of(notification, attempts, events),
        timeline=events,
        attempts=[_attempt_story(a, notification.brand_id, events) for a in attempts],
        routing=routing_of(notification),
        line_html=line_html,
        sms_text=sms_text,
        cost=cost_of(notification, attempts),
    )


def consents_behind(notification: Notification, channels: set[str]) -> list[Consent]:
    """The consent records in force when the notification was accepted, for each channel it used."""
    purposes: dict[str, str] = {
        Channel.PNP: ConsentPurpose.PNP_NOTIFICATION,
        Channel.SMS: ConsentPurpose.SMS_NOTIFICATION,
        Channel.LINE_PUSH: ConsentPurpose.LINE_BINDING,
    }
    records = []
    for channel in sorted(channels):
        purpose = purposes.get(channel)
        if purpose is None:
            continue
        record = (
            Consent.objects.filter(
                member_id=notification.member_id, purpose=purpose, captured_at__lte=notification.created_at
            )
            .order_by("-captured_at", "-id")
            .first()
        )
        if record is not None:
            records.append(record)
    return records


MEMBER_PAGE_ROWS = 20


def member_notifications_section(request: HttpRequest, member: Any) -> SafeString | None:
    """The member page's send history: the latest notifications, linked; only for readers of notifications.

    Registered with ``members.hooks`` in ``NotificationsConfig.ready()``: the member page is
    scoped to the reader's brands already, and the rows are the member's own.
    """
    if not request.user.has_perm("notifications.view_notification"):  # type: ignore[union-attr]
        return None
    rows = list(
        Notification.objects.filter(member_id=member.pk)
        .only("pk", "created_at", "template_code", "status", "delivered_channel", "delivered_twice")
        .order_by("-id")[: MEMBER_PAGE_ROWS + 1]
    )
    url = reverse("admin:notifications_notification_changelist")
    return render_to_string(
        "admin/notifications/_member_notifications.html",
        {
            "rows": rows[:MEMBER_PAGE_ROWS],
            "more": len(rows) > MEMBER_PAGE_ROWS,
            "all_url": f"{url}?{urlencode({'q': f'member:{member.external_id}', 'brand__id__exact': member.brand_id})}",
        },
        request=request,
    )
