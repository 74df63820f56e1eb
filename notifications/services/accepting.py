"""Accepting a brand's request: check it end to end, write the notification, queue its dispatch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.line_templates import render_line_content
from compliance.models import TemplateVersion
from compliance.rendering import render_sms_text
from compliance.selectors import PriorSendCounter, send_check_variables, template_version_for_send
from members.models import Member
from members.phones import normalize_phone
from members.selectors import member_get_for_brand, member_reachability
from notifications.choices import Channel
from notifications.exceptions import NotificationRefused
from notifications.hooks import variables_provide
from notifications.models import Notification
from notifications.routing import plan_channels
from notifications.services.states import notifications_create
from portal.models import Brand


@dataclass
class SendRequest:
    """One notification as a brand's system asked for it (already shape-checked by the API)."""

    template: str
    variables: dict[str, Any] = field(default_factory=dict)
    member: str | None = None
    phone: str | None = None
    occurred_at: datetime | None = None
    reservation_key: str | None = None


def phone_e164_for_send(raw: str) -> str:
    """The E.164 form of a phone number a send request gives; refuse it with the helper's reason."""
    try:
        return normalize_phone(raw).e164
    except Exception as exc:  # the phone helper's ValidationError carries the reason
        messages = getattr(exc, "messages", [str(exc)])
        raise NotificationRefused(" ".join(messages), code="phone_invalid", field="phone") from None


def member_for_request(brand: Brand, request: SendRequest) -> Member:
    """The member a request names, by member number or phone; refuse one that is unknown or erased."""
    if request.member:
        member = member_get_for_brand(brand=brand, external_id=request.member)
        if member is None or member.is_erased:
            raise NotificationRefused(
                _("No member %(id)s: register the member with PUT /api/v1/members/%(id)s first.")
                % {"id": request.member},
                code="member_unknown",
                field="member",
            )
        return member
    if not request.phone:
        raise NotificationRefused(_("Give the member's external id or phone."), code="member_missing", field="member")
    e164 = phone_e164_for_send(request.phone)
    member = Member.objects.filter(brand=brand, phone_e164=e164, erased_at__isnull=True).order_by("-updated_at").first()
    if member is None:
        raise NotificationRefused(
            _("No member has this phone number; register the member and their consent first."),
            code="member_unknown",
            field="phone",
        )
    return member


def prior_sends_count(*, version: Any, reservation_key: str, since: datetime) -> int:
    """How many notifications of this template were accepted for this reservation since ``since``."""
    return Notification.objects.filter(
        brand_id=version.template.brand_id,
        template_code=version.template.code,
        reservation_key=reservation_key,
        created_at__gte=since,
    ).count()


def notification_build(
    *,
    brand: Brand,
    request: SendRequest,
    version: TemplateVersion,
    member: Member,
    submitted_by: str = "",
    prior_sends: PriorSendCounter = prior_sends_count,
) -> Notification:
    """Check a request for this version and member and return its notification, not yet saved.

    Raises a ``PortalError`` naming the field at fault. The channel plan is the notification's
    ``channel_plan``; the first planned channel is its ``channel``.
    """
    occurred_at = request.occurred_at or timezone.now()
    variables = variables_provide(brand=brand, version=version, member=member, variables=request.variables)
    values = send_check_variables(
        version=version,
        variables=variables,
        occurred_at=occurred_at,
        reservation_key=request.reservation_key,
        prior_sends=prior_sends,
    )
    reach = member_reachability(member)
    plan = plan_channels(
        open_channels=reach.open,
        closed_reasons=reach.closed,
        template_channels=version.channels,
        urgency=version.urgency,
    )
    if not plan.possible:
        reasons = "; ".join(f"{channel}: {reason}" for channel, reason in plan.reasons.items())
        raise NotificationRefused(
            _("No channel can reach this member for this template (%(reasons)s).") % {"reasons": reasons},
            code="no_channel",
            field="member" if request.member else "phone",
        )
    return Notification(
        brand=brand,
        member=member,
        template_version=version,
        template_code=version.template.code,
        variables=values,
        occurred_at=occurred_at,
        reservation_key=request.reservation_key or "",
        line_messages=render_line_content(version=version, variables=values),
        sms_text=render_sms_text(version=version, variables=values) if Channel.SMS in plan.channels else "",
        channel_plan=list(plan.channels),
        channel=plan.channels[0],
        submitted_by=submitted_by[:64],
    )


def notification_accept(
    *, brand: Brand, request: SendRequest, submitted_by: str = "", enqueue: Callable[[int], None] | None = None
) -> Notification:
    """Check a request end to end and queue it; raise a ``PortalError`` naming the field at fault.

    Nothing is written when the request is refused. The dispatch is enqueued after commit, or
    handed to ``enqueue`` (a batch collects its ids and enqueues them in chunks after its commit).
    """
    version = template_version_for_send(brand=brand, code=request.template)
    member = member_for_request(brand, request)
    notification = notification_build(
        brand=brand, request=request, version=version, member=member, submitted_by=submitted_by
    )
    with transaction.atomic():
        notifications_create([notification])
        if enqueue is not None:
            enqueue(notification.pk)
        else:
            transaction.on_commit(lambda: enqueue_dispatch([notification.pk]))
    return notification


def enqueue_dispatch(notification_ids: list[int], *, chunk: int = 100) -> None:
    """Enqueue dispatch tasks in chunks (one task sends several notifications in turn)."""
    from notifications.tasks import notifications_dispatch

    for start in range(0, len(notification_ids), chunk):
        notifications_dispatch.delay(notification_ids=notification_ids[start : start + chunk])
