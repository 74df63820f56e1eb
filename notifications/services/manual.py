"""Support's hand on one notification: send a PNP not delivered by SMS now, instead of waiting."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.selectors import member_reachability
from notifications.choices import Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import NotificationRefused
from notifications.models import Notification
from notifications.services.accepting import enqueue_dispatch
from notifications.services.states import notification_write, queued_fields, timeline_add
from notifications.stats import stat_add
from notifications.texts import text
from portal.actors import Actor, actor_label
from portal.choices import Role
from portal.selectors import brands_editable_by, user_roles
from portal.services import audit_record


def user_may_send_sms_now(user: Any, brand_id: int) -> bool:
    """Superusers and the brand's own account managers may; nobody else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Role.ACCOUNT_MANAGER in user_roles(user) and brands_editable_by(user).filter(pk=brand_id).exists()


def sms_now_refusal(notification: Notification) -> str:
    """Why this notification cannot be sent by SMS now; empty when it can."""
    if notification.delivered_at is not None or notification.status == NotificationStatus.DELIVERED:
        return _("It was already delivered: an SMS now would reach the member twice.")
    if notification.status != NotificationStatus.AWAITING_DELIVERY or notification.channel != Channel.PNP:
        return _("Only a PNP that was sent and is awaiting its delivery can be sent by SMS now.")
    if Channel.SMS not in notification.channel_plan or not notification.sms_text:
        return _("The channel plan has no SMS (no SMS variant, or no SMS consent when it was accepted).")
    if notification.attempts.filter(channel=Channel.SMS).exists():
        return _("An SMS was already sent for this notification.")
    reach = member_reachability(notification.member)
    if not reach.can(Channel.SMS):
        return reach.closed.get(Channel.SMS, _("SMS cannot reach this member."))
    return ""


def notification_sms_now(*, notification_id: int, actor: Actor) -> Notification:
    """Queue the SMS of a PNP not delivered now, once; refused after a delivery or a second time."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("member", "template_version")
            .get(pk=notification_id)
        )
        if (reason := sms_now_refusal(notification)) != "":
            raise NotificationRefused(reason, code="sms_now_refused", field="status")
        pnp = notification.attempts.filter(channel=Channel.PNP).order_by("-id").first()
        timeline_add(
            notification,
            EventKind.FALLBACK_DUE,
            text("sms_now.sent", actor=actor_label(actor)),
            pnp,
        )
        notification_write(notification, queued_fields())
        stat_add(brand_id=notification.brand_id, at=timezone.now(), channel=Channel.PNP, metric=Metric.SMS_FALLBACK)
        audit_record(
            action="notification.sms_now",
            actor=actor,
            obj=notification,
            brand=notification.brand,
            data={"notification": notification.pk, "pnp_delivery_tag": pnp.reference if pnp else ""},
        )
        transaction.on_commit(lambda: enqueue_dispatch([notification_id]))
    return notification
