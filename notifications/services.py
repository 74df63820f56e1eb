"""The send pipeline: accept a brand's request, send on the planned channels, record outcomes.

A notification row is the source of truth (a transactional outbox). Workers move it forward
one step at a time; every step checks the state first, so a task that runs twice, or a
worker that dies mid-step, never sends twice what may not be sent twice:

* A PNP has no retry key. Its attempt is written first, and marked sent (committed) just
  before the request leaves; if no answer comes, the attempt is *ambiguous* and is not blindly retried
  (``PNP_AMBIGUOUS_POLICY``): the delivery webhook, the SMS fallback delay and the 24-hour
  window settle it.
* A LINE push carries ``X-Line-Retry-Key`` and an SMS the vendor's client id, so both are
  retried with the same reference: the other side answers with the first result.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from binding.links import fill_bind_link
from binding.welcome import welcome_on_follow
from compliance.models import TemplateVersion
from compliance.rendering import render_line_messages, render_sms_text
from compliance.selectors import PriorSendCounter, send_check_variables, template_version_for_send
from members.models import Member
from members.phones import normalize_phone
from members.selectors import member_get_for_brand, member_reachability
from members.services import line_link_update, member_flag_phone_unreachable
from notifications import ratelimit
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus, WebhookEventResult
from notifications.clients import line as line_client
from notifications.clients.sms import (
    SmsAmbiguousError,
    SmsDeliveryReport,
    SmsRejectedError,
    SmsRetryableError,
    backend_for,
)
from notifications.clients.sms.base import SmsAccountConfig
from notifications.exceptions import NotificationRefused, RetryLater
from notifications.models import Attempt, Notification, NotificationEvent, SmsAccount, WebhookEvent
from notifications.routing import plan_channels
from notifications.stats import latency_bucket, stat_add, stats_add
from notifications.webhook_handlers import apply_event, handles
from portal.db import bulk_set
from portal.models import Brand

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
DELIVERY_WINDOW_SECONDS = 24 * 3600


def line_time(seconds: float) -> timedelta:
    """A span of LINE time in wall time (``LINE_TIME_FACTOR`` > 1 only in tests and demos)."""
    return timedelta(seconds=seconds / settings.LINE_TIME_FACTOR)


def _event(notification: Notification, kind: str, detail: str = "", attempt: Attempt | None = None) -> None:
    NotificationEvent.objects.create(notification=notification, kind=kind, detail=detail[:300], attempt=attempt)


# --- Accepting a brand's request ---------------------------------------------------------------


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
    variables = fill_bind_link(brand=brand, version=version, member=member, variables=request.variables)
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
        line_messages=render_line_messages(version=version, variables=values),
        sms_text=render_sms_text(version=version, variables=values) if Channel.SMS in plan.channels else "",
        channel_plan=list(plan.channels),
        channel=plan.channels[0],
        submitted_by=submitted_by[:64],
    )


def queued_event(notification: Notification) -> NotificationEvent:
    """The first line of a notification's timeline: accepted, with its channel plan."""
    return NotificationEvent(
        notification=notification,
        kind=EventKind.QUEUED,
        detail=_("channel plan: %(plan)s") % {"plan": " → ".join(notification.channel_plan)},
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
        notification.save(force_insert=True)
        queued_event(notification).save(force_insert=True)
        stat_add(brand_id=brand.pk, at=notification.created_at, channel=notification.channel, metric=Metric.ACCEPTED)
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


# --- Dispatch ------------------------------------------------------------------------------------


def _next_channel(notification: Notification, attempts: list[Attempt]) -> str | None:
    tried = {a.channel for a in attempts if a.status not in (AttemptStatus.PENDING,)}
    for channel in notification.channel_plan:
        if channel not in tried:
            return channel
    return None


def _attach_related(notifications: list[Notification]) -> None:
    """Give each notification its brand, member and template version, each row read once.

    A batch's notifications share a brand or two and a few template versions: joined to every
    notification, the same credentials were decrypted and the same JSON decoded once per row.
    """
    # The base managers, as Django's own related-object access uses: no default filter applies.
    brands = Brand._base_manager.in_bulk({n.brand_id for n in notifications})
    versions = TemplateVersion._base_manager.in_bulk({n.template_version_id for n in notifications})
    members = Member._base_manager.in_bulk({n.member_id for n in notifications})
    for notification in notifications:
        notification.brand = brands[notification.brand_id]
        notification.template_version = versions[notification.template_version_id]
        notification.member = members[notification.member_id]


def _claim_many(notification_ids: list[int]) -> list[tuple[Notification, Attempt]]:
    """Lock the queued notifications, pick each one's next channel and write its attempt before sending.

    Rows another worker holds are skipped (it is sending them); rows no longer queued are
    skipped too, so a duplicate task does nothing.
    """
    claimed: list[tuple[Notification, Attempt]] = []
    with transaction.atomic():
        queryset = (
            Notification.objects.filter(pk__in=notification_ids, status=NotificationStatus.QUEUED)
            .defer("variables")  # rendered already: sending never reads them
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        else:
            queryset = queryset.select_for_update()
        notifications = list(queryset)
        if not notifications:
            return claimed
        _attach_related(notifications)
        attempts_by_notification: dict[int, list[Attempt]] = {n.pk: [] for n in notifications}
        for attempt in Attempt.objects.filter(notification_id__in=attempts_by_notification).order_by("pk"):
            attempts_by_notification[attempt.notification_id].append(attempt)
        now = timezone.now()
        claim = str(uuid.uuid4())
        new_attempts: list[Attempt] = []
        reused: list[Attempt] = []
        for notification in notifications:
            version = notification.template_version
            if version.status != "approved":
                _finish(
                    notification,
                    NotificationStatus.FAILED,
                    _("Template version %(n)d is %(status)s: not sent.")
                    % {"n": version.number, "status": version.status},
                )
                continue
            attempts = attempts_by_notification[notification.pk]
            # A request refused as retryable left its attempt pending and unsent: reuse its reference.
            unsent = next((a for a in attempts if a.status == AttemptStatus.PENDING and a.sent_at is None), None)
            if unsent is not None:
                attempt = unsent
                reused.append(attempt)
            else:
                channel = _next_channel(notification, attempts)
                if channel is None:
                    _finish(notification, NotificationStatus.FAILED, _("Every planned channel has been tried."))
                    continue
                attempt = Attempt(notification=notification, channel=channel, reference=str(uuid.uuid4()))
                new_attempts.append(attempt)
            attempt.claim = claim
            notification.status, notification.channel, notification.updated_at = (
                NotificationStatus.SENDING,
                attempt.channel,
                now,
            )
            claimed.append((notification, attempt))
        Attempt.objects.bulk_create(new_attempts)
        if reused:
            Attempt.objects.filter(pk__in=[a.pk for a in reused]).update(claim=claim)
        # One UPDATE per channel (at most three): the same values for every row in it.
        by_channel: dict[str, list[int]] = {}
        for notification, attempt in claimed:
            by_channel.setdefault(attempt.channel, []).append(notification.pk)
        for channel, ids in by_channel.items():
            Notification.objects.filter(pk__in=ids).update(
                status=NotificationStatus.SENDING, channel=channel, updated_at=now
            )
    return claimed


def notifications_dispatch(*, notification_ids: list[int]) -> list[RetryLater]:
    """Send each queued notification on its next channel; return those LINE or the vendor asked to retry.

    The common answer (LINE accepted a PNP) is recorded for the whole batch in one transaction;
    every other answer is recorded on its own, as it comes.
    """
    retries: list[RetryLater] = []
    accepted: list[tuple[Notification, Attempt, datetime]] = []
    claimed = _claim_many(notification_ids)
    allowance = ratelimit.Allowance(
        Counter((_channel_key(n), ENDPOINTS[a.channel]) for n, a in claimed if a.channel in ENDPOINTS)
    )
    for notification, attempt in claimed:
        if not _mark_sending(attempt):
            continue  # the sweeper gave this one to another worker while the batch waited
        try:
            if attempt.channel == Channel.PNP:
                if _send_pnp(notification, attempt, allowance):
                    accepted.append((notification, attempt, timezone.now()))
            elif attempt.channel == Channel.LINE_PUSH:
                _send_push(notification, attempt, allowance)
            else:
                _send_sms(notification, attempt)
        except RetryLater as retry:
            retries.append(retry)
    if accepted:
        _pnp_accepted_many(accepted)
    return retries


def _mark_sending(attempt: Attempt) -> bool:
    """Record, committed, that this attempt's request is about to leave; False if the claim was lost.

    Only from here on can LINE have it: a worker that dies before this line left nothing
    ambiguous behind, and its notification is simply queued again. The claim is lost when the
    sweeper gave the attempt to another worker, or the notification moved on meanwhile (a late
    delivery event settled it): then nothing is sent.
    """
    now = timezone.now()
    attempts, notifications = Attempt._meta.db_table, Notification._meta.db_table
    # One statement per request sent, so written out rather than compiled by the ORM each time;
    # the table names are the models' own, never user input.
    sql = (
        f"UPDATE {attempts} SET sent_at = %s WHERE id = %s AND claim = %s AND sent_at IS NULL"  # noqa: S608
        f" AND EXISTS (SELECT 1 FROM {notifications} WHERE id = %s AND status = %s)"
    )
    sent_at = Attempt._meta.get_field("sent_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [sent_at, attempt.pk, attempt.claim, attempt.notification_id, NotificationStatus.SENDING])
        marked = cursor.rowcount
    attempt.sent_at = now
    return bool(marked)


def notification_dispatch(*, notification_id: int) -> None:
    """Send one queued notification on its next channel; do nothing if it is not queued.

    Raises :class:`RetryLater` when LINE or the SMS vendor asked to wait (nothing was sent).
    """
    retries = notifications_dispatch(notification_ids=[notification_id])
    if retries:
        raise retries[0]


def _release_for_retry(notification: Notification, attempt: Attempt, error: str, retry_after: float | None) -> None:
    """Nothing was sent: put the notification back in the queue and ask Celery to retry later."""
    with transaction.atomic():
        notification, attempt = _relock(notification, attempt)
        attempt.sent_at = None
        attempt.retries += 1
        attempt.error = error[:300]
        gave_up = attempt.retries > MAX_RETRIES
        if gave_up:
            attempt.status = AttemptStatus.FAILED
            attempt.answered_at = timezone.now()
        attempt.save()
        notification.status = NotificationStatus.QUEUED
        notification.save(update_fields=["status", "updated_at"])
        if gave_up:
            _event(
                notification,
                EventKind.LINE_ERROR if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
                _("gave up after %(n)d retries: %(error)s") % {"n": MAX_RETRIES, "error": error},
                attempt,
            )
            _move_on(notification, attempt)
            return
        _event(
            notification,
            EventKind.LINE_RETRY if attempt.channel != Channel.SMS else EventKind.SMS_FAILED,
            error,
            attempt,
        )
    raise RetryLater(notification_id=notification.pk, retries=attempt.retries, retry_after=retry_after)


def _move_on(notification: Notification, attempt: Attempt) -> None:
    """After a channel failed for good: queue the next planned channel, or fail the notification."""
    remaining = [
        c for c in notification.channel_plan if c not in set(notification.attempts.values_list("channel", flat=True))
    ]
    if remaining:
        notification.status = NotificationStatus.QUEUED
        notification.fallback_due_at = None
        notification.save(update_fields=["status", "fallback_due_at", "updated_at"])
        if remaining[0] == Channel.SMS:
            stat_add(
                brand_id=notification.brand_id, at=timezone.now(), channel=attempt.channel, metric=Metric.SMS_FALLBACK
            )
        transaction.on_commit(lambda: enqueue_dispatch([notification.pk]))
    elif not notification.is_final:
        _finish(notification, NotificationStatus.FAILED, attempt.error or _("Not delivered on any channel."))


def _finish(notification: Notification, status: str, reason: str) -> None:
    notification.status = status
    notification.final_reason = reason[:200]
    notification.fallback_due_at = None
    notification.expires_at = None
    notification.save(update_fields=["status", "final_reason", "fallback_due_at", "expires_at", "updated_at"])
    if status == NotificationStatus.FAILED:
        _event(notification, EventKind.FAILED, reason)
        stat_add(
            brand_id=notification.brand_id, at=timezone.now(), channel=notification.channel or "", metric=Metric.FAILED
        )


# The LINE endpoint each channel's request goes to, as the shared rate limit counts them.
ENDPOINTS: dict[str, str] = {Channel.PNP: "pnp", Channel.LINE_PUSH: "push"}


def _channel_key(notification: Notification) -> str:
    return notification.brand.line_channel_id or str(notification.brand_id)


def _line_limit(notification: Notification, endpoint: str, allowance: ratelimit.Allowance) -> None:
    if not allowance.acquire(channel_id=_channel_key(notification), endpoint=endpoint, max_wait=2.0):
        raise line_client.LineRetryableError("the channel's shared rate limit is exhausted", retry_after=1.0)


def _send_pnp(notification: Notification, attempt: Attempt, allowance: ratelimit.Allowance) -> bool:
    """Send one PNP; return True when LINE accepted it (recorded by the caller, in bulk)."""
    brand = notification.brand
    try:
        _line_limit(notification, ENDPOINTS[Channel.PNP], allowance)
        line_client.pnp_push(
            access_token=brand.channel_access_token.reveal(),
            phone_hash=notification.member.phone_hash,
            messages=notification.line_messages,
            delivery_tag=attempt.reference,
        )
    except line_client.LineRetryableError as exc:
        _release_for_retry(notification, attempt, str(exc), exc.retry_after)
    except line_client.LineAmbiguousError as exc:
        _pnp_ambiguous(notification, attempt, str(exc))
    except line_client.LineRefusedError:
        _pnp_refused(notification, attempt)
    except line_client.LineRequestError as exc:
        _channel_failed(notification, attempt, exc.status, f"{exc}: {exc.body}")
    else:
        return True
    return False


def _relock(notification: Notification, attempt: Attempt) -> tuple[Notification, Attempt]:
    """Re-read both rows under lock: a webhook may have moved them while the request was in flight."""
    # of=("self",): lock the notification only, never the brand, member or template version it
    # joins (two workers locking those shared rows in different orders deadlock).
    fresh = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("brand", "member", "template_version")
        .get(pk=notification.pk)
    )
    return fresh, Attempt.objects.select_for_update().get(pk=attempt.pk)


def _await_delivery(notification: Notification, attempt: Attempt, now: datetime, *, save: bool = True) -> None:
    if notification.status != NotificationStatus.SENDING:
        return  # the delivery event was faster than LINE's answer: nothing left to wait for
    notification.status = NotificationStatus.AWAITING_DELIVERY
    notification.expires_at = now + line_time(DELIVERY_WINDOW_SECONDS)
    delay = notification.template_version.sms_fallback_delay_minutes
    has_sms_next = Channel.SMS in notification.channel_plan[notification.channel_plan.index(attempt.channel) + 1 :]
    notification.fallback_due_at = now + line_time(delay * 60) if delay and has_sms_next else None
    if save:
        notification.save(update_fields=["status", "expires_at", "fallback_due_at", "updated_at"])


def _lock_in_order(model: type[Notification] | type[Attempt], ids: list[int]) -> None:
    """Lock these rows for the transaction, in id order."""
    list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _pnp_accepted_many(items: list[tuple[Notification, Attempt, datetime]]) -> None:
    """Record LINE's 200 for a batch of PNPs: waiting for each one's delivery event from now on.

    One answer time for the batch (its last answer, a few milliseconds after the first); the
    send time of each attempt stays its own. The updates re-check each row's state, so a
    delivery event that was faster than LINE's answer is kept.
    """
    answered_at = max(at for _n, _a, at in items)
    expires_at = answered_at + line_time(DELIVERY_WINDOW_SECONDS)
    fallback_groups: dict[datetime | None, list[int]] = {}
    for notification, attempt, _at in items:
        delay = notification.template_version.sms_fallback_delay_minutes
        plan = notification.channel_plan
        has_sms_next = Channel.SMS in plan[plan.index(attempt.channel) + 1 :]
        due = answered_at + line_time(delay * 60) if delay and has_sms_next else None
        fallback_groups.setdefault(due, []).append(notification.pk)
    attempt_ids = [a.pk for _n, a, _t in items]
    with transaction.atomic():
        # Locked as every other writer locks them: notifications, then attempts, each by id.
        # The grouped UPDATEs below would otherwise take the rows group by group.
        _lock_in_order(Notification, [n.pk for n, _a, _t in items])
        _lock_in_order(Attempt, attempt_ids)
        for due, ids in fallback_groups.items():
            Notification.objects.filter(pk__in=ids, status=NotificationStatus.SENDING).update(
                status=NotificationStatus.AWAITING_DELIVERY,
                expires_at=expires_at,
                fallback_due_at=due,
                updated_at=answered_at,
            )
        Attempt.objects.filter(pk__in=attempt_ids).update(
            # A delivery event faster than LINE's answer already made it "delivered": kept.
            status=Case(When(delivered_at__isnull=True, then=Value(AttemptStatus.ACCEPTED)), default=F("status")),
            answered_at=answered_at,
            accepted_at=answered_at,
            http_status=200,
        )
        detail = _("LINE answered 200; waiting for the delivery event")
        NotificationEvent.objects.bulk_create(
            NotificationEvent(notification=n, attempt=a, kind=EventKind.SENT_TO_LINE, detail=detail)
            for n, a, _t in items
        )
        counts: Counter[tuple[int, datetime, str, str]] = Counter(
            (n.brand_id, answered_at, str(Channel.PNP), str(Metric.SENT)) for n, _a, _t in items
        )
        stats_add(counts)


def _pnp_ambiguous(notification: Notification, attempt: Attempt, error: str) -> None:
    with transaction.atomic():
        notification, attempt = _relock(notification, attempt)
        now = timezone.now()
        attempt.answered_at, attempt.error = now, error[:300]
        if attempt.delivered_at is None:
            attempt.status = AttemptStatus.AMBIGUOUS
        attempt.save(update_fields=["status", "answered_at", "error"])
        _await_delivery(notification, attempt, now)
        _event(
            notification,
            EventKind.AMBIGUOUS,
            _("%(error)s; policy %(policy)s") % {"error": error, "policy": settings.PNP_AMBIGUOUS_POLICY},
            attempt,
        )
        if settings.PNP_AMBIGUOUS_POLICY == "fallback_now" and notification.fallback_due_at is not None:
            notification.fallback_due_at = now
            notification.save(update_fields=["fallback_due_at"])


def _pnp_refused(notification: Notification, attempt: Attempt) -> None:
    with transaction.atomic():
        notification, attempt = _relock(notification, attempt)
        now = timezone.now()
        attempt.status, attempt.answered_at, attempt.http_status = AttemptStatus.REFUSED, now, 422
        attempt.error = "LINE 422: no LINE user for this number, or PNP consent off"
        attempt.save(update_fields=["status", "answered_at", "http_status", "error"])
        _event(notification, EventKind.LINE_REFUSED, attempt.error, attempt)
        stat_add(brand_id=notification.brand_id, at=now, channel=Channel.PNP, metric=Metric.REFUSED_422)
        member_flag_phone_unreachable(member=notification.member, reason=attempt.error)
        _move_on(notification, attempt)


def _channel_failed(notification: Notification, attempt: Attempt, status: int | None, error: str) -> None:
    with transaction.atomic():
        notification, attempt = _relock(notification, attempt)
        attempt.status, attempt.answered_at, attempt.http_status = AttemptStatus.FAILED, timezone.now(), status
        attempt.error = error[:300]
        attempt.save(update_fields=["status", "answered_at", "http_status", "error"])
        _event(
            notification,
            EventKind.SMS_FAILED if attempt.channel == Channel.SMS else EventKind.LINE_ERROR,
            error,
            attempt,
        )
        _move_on(notification, attempt)


def _send_push(notification: Notification, attempt: Attempt, allowance: ratelimit.Allowance) -> None:
    brand = notification.brand
    link = getattr(notification.member, "line_link", None)
    if link is None or not link.uid:
        _channel_failed(notification, attempt, None, "the member has no bound LINE user id")
        return
    try:
        _line_limit(notification, ENDPOINTS[Channel.LINE_PUSH], allowance)
        line_client.message_push(
            access_token=brand.channel_access_token.reveal(),
            to=link.uid,
            messages=notification.line_messages,
            retry_key=attempt.reference,
        )
    except (line_client.LineRetryableError, line_client.LineAmbiguousError) as exc:
        # The retry key makes LINE answer a repeat with 409 and send nothing twice.
        _release_for_retry(notification, attempt, str(exc), getattr(exc, "retry_after", None))
    except line_client.LineError as exc:
        _channel_failed(notification, attempt, exc.status, f"{exc}: {exc.body}")
    else:
        with transaction.atomic():
            notification, attempt = _relock(notification, attempt)
            now = timezone.now()
            attempt.status = AttemptStatus.DELIVERED
            attempt.answered_at = attempt.accepted_at = attempt.delivered_at = now
            attempt.http_status = 200
            attempt.save(update_fields=["status", "answered_at", "accepted_at", "delivered_at", "http_status"])
            _mark_delivered(notification, attempt, now)
            stat_add(brand_id=notification.brand_id, at=now, channel=Channel.LINE_PUSH, metric=Metric.SENT)


def sms_callback_url(vendor: str, reference: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/webhooks/sms/{vendor}/{reference}"


def _sms_account(brand: Brand) -> SmsAccount | None:
    return SmsAccount.objects.filter(brand=brand, is_active=True).first()


def _send_sms(notification: Notification, attempt: Attempt) -> None:
    account = _sms_account(notification.brand)
    if account is None:
        _channel_failed(notification, attempt, None, "the brand has no active SMS account")
        return
    backend = backend_for(account.vendor)
    config = SmsAccountConfig(base_url=account.base_url, username=account.username, password=account.password.reveal())
    try:
        result = backend.send(
            account=config,
            to_e164=notification.member.phone_e164,
            text=notification.sms_text,
            client_id=attempt.reference,
            callback_url=sms_callback_url(account.vendor, attempt.reference),
        )
    except (SmsRetryableError, SmsAmbiguousError) as exc:
        # Both vendors deduplicate on the client id: a resend returns the first result.
        _release_for_retry(notification, attempt, str(exc), None)
        return
    except SmsRejectedError as exc:
        _channel_failed(notification, attempt, None, str(exc))
        return
    with transaction.atomic():
        notification, attempt = _relock(notification, attempt)
        now = timezone.now()
        attempt.status, attempt.answered_at, attempt.accepted_at = AttemptStatus.ACCEPTED, now, now
        attempt.vendor, attempt.vendor_message_id, attempt.sms_segments = (
            account.vendor,
            result.message_id,
            result.segments,
        )
        attempt.save(
            update_fields=["status", "answered_at", "accepted_at", "vendor", "vendor_message_id", "sms_segments"]
        )
        if notification.status != NotificationStatus.DELIVERED:
            notification.status = NotificationStatus.AWAITING_DELIVERY
            notification.expires_at = now + timedelta(seconds=DELIVERY_WINDOW_SECONDS / settings.LINE_TIME_FACTOR)
            notification.fallback_due_at = None
            notification.save(update_fields=["status", "expires_at", "fallback_due_at", "updated_at"])
        _event(
            notification,
            EventKind.SMS_SENT,
            _("%(vendor)s message %(id)s, %(n)d segment(s)")
            % {"vendor": account.vendor, "id": result.message_id, "n": result.segments},
            attempt,
        )
        stats_add(
            Counter(
                {
                    (notification.brand_id, now, Channel.SMS, Metric.SENT): 1,
                    (notification.brand_id, now, Channel.SMS, Metric.SMS_SEGMENTS): result.segments,
                }
            )
        )


# --- Outcomes ----------------------------------------------------------------------------------------


def _mark_delivered(notification: Notification, attempt: Attempt, at: datetime) -> None:
    """Record a delivery on ``attempt``; a second channel's delivery is 'delivered twice'."""
    other_delivered = notification.attempts.exclude(pk=attempt.pk).filter(delivered_at__isnull=False).exists()
    latency = int((at - attempt.sent_at).total_seconds()) if attempt.sent_at else 0
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    counts[(notification.brand_id, at, attempt.channel, Metric.DELIVERED)] += 1
    counts[(notification.brand_id, at, attempt.channel, Metric.LATENCY_SECONDS)] += max(0, latency)
    counts[(notification.brand_id, at, attempt.channel, latency_bucket(max(0, latency)))] += 1  # billing: median
    if notification.status == NotificationStatus.DELIVERED or other_delivered:
        if not notification.delivered_twice:
            notification.delivered_twice = True
            counts[(notification.brand_id, at, attempt.channel, Metric.DELIVERED_TWICE)] += 1
            _event(
                notification,
                EventKind.DELIVERED_TWICE,
                _("%(channel)s delivered too; the member may have received the notice twice")
                % {"channel": attempt.get_channel_display()},
                attempt,
            )
    if notification.status != NotificationStatus.DELIVERED:
        notification.status = NotificationStatus.DELIVERED
        notification.delivered_at = at
        notification.delivered_channel = attempt.channel
        notification.final_reason = ""
        _event(notification, EventKind.DELIVERED, attempt.get_channel_display(), attempt)
    notification.fallback_due_at = None
    notification.expires_at = None
    notification.save(
        update_fields=[
            "status",
            "delivered_at",
            "delivered_channel",
            "delivered_twice",
            "final_reason",
            "fallback_due_at",
            "expires_at",
            "updated_at",
        ]
    )
    stats_add(counts)


@handles("delivery")
def delivery_event_apply(event: WebhookEvent) -> tuple[str, str]:
    """A PNP reached the member: match it by its delivery tag and record the delivery once."""
    tag = str((event.payload.get("delivery") or {}).get("data", ""))
    attempt = (
        Attempt.objects.select_related("notification")
        .filter(reference=tag, channel=Channel.PNP, notification__brand_id=event.brand_id)
        .first()
    )
    if attempt is None:
        return WebhookEventResult.UNMATCHED, f"no PNP with delivery tag {tag[:40]!r}"
    notification = Notification.objects.select_for_update().get(pk=attempt.notification_id)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.delivered_at is not None:
        # A second delivery event for one tag: LINE delivered the same request twice.
        if not notification.delivered_twice:
            notification.delivered_twice = True
            notification.save(update_fields=["delivered_twice", "updated_at"])
            stat_add(
                brand_id=notification.brand_id, at=event.occurred_at, channel=Channel.PNP, metric=Metric.DELIVERED_TWICE
            )
            _event(notification, EventKind.DELIVERED_TWICE, _("a second delivery event for the same PNP"), attempt)
        return WebhookEventResult.DUPLICATE, f"tag {tag[:40]} already delivered"
    if attempt.status == AttemptStatus.EXPIRED and attempt.answered_at is not None:
        # The 24-hour inference was wrong: take back the "expired" count it added.
        stat_add(
            brand_id=notification.brand_id, at=attempt.answered_at, channel=Channel.PNP, metric=Metric.EXPIRED, n=-1
        )
    attempt.status, attempt.delivered_at = AttemptStatus.DELIVERED, event.occurred_at
    attempt.save(update_fields=["status", "delivered_at"])
    _mark_delivered(notification, attempt, event.occurred_at)
    return WebhookEventResult.APPLIED, f"notification {notification.pk} delivered"


@handles("follow")
def follow_event_apply(event: WebhookEvent) -> tuple[str, str]:
    """A LINE user added the OA as a friend (or unblocked it)."""
    uid = str((event.payload.get("source") or {}).get("userId", ""))
    if not uid:
        return WebhookEventResult.IGNORED, "follow without a user id"
    line_link_update(brand=event.brand, uid=uid, is_friend=True, is_blocked=False, actor="line:webhook")
    welcome_on_follow(event)
    # For billing's dashboard (the OA's block rate).
    stat_add(brand_id=event.brand_id, at=event.occurred_at, channel=Channel.LINE_PUSH, metric=Metric.FOLLOW)
    return WebhookEventResult.APPLIED, f"{uid[:8]}… follows"


@handles("unfollow")
def unfollow_event_apply(event: WebhookEvent) -> tuple[str, str]:
    """A LINE user blocked the OA."""
    uid = str((event.payload.get("source") or {}).get("userId", ""))
    if not uid:
        return WebhookEventResult.IGNORED, "unfollow without a user id"
    line_link_update(brand=event.brand, uid=uid, is_friend=False, is_blocked=True, actor="line:webhook")
    # For billing's dashboard (the OA's block rate).
    stat_add(brand_id=event.brand_id, at=event.occurred_at, channel=Channel.LINE_PUSH, metric=Metric.UNFOLLOW)
    return WebhookEventResult.APPLIED, f"{uid[:8]}… blocked the account"


def sms_report_apply(*, vendor: str, reference: str, report: SmsDeliveryReport) -> bool:
    """Record an SMS vendor's delivery report for the attempt with this reference; False if unknown."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .filter(reference=reference, channel=Channel.SMS, vendor_message_id=report.message_id)
            .first()
        )
        if attempt is None:
            return False
        if attempt.status in (AttemptStatus.DELIVERED, AttemptStatus.FAILED) or not report.final:
            return True  # already final, or an intermediate state: nothing to record
        notification = Notification.objects.select_for_update().get(pk=attempt.notification_id)
        now = timezone.now()
        if report.delivered:
            attempt.status, attempt.delivered_at = AttemptStatus.DELIVERED, now
            attempt.save(update_fields=["status", "delivered_at"])
            _event(notification, EventKind.SMS_DELIVERED, report.status, attempt)
            _mark_delivered(notification, attempt, now)
        else:
            attempt.status, attempt.answered_at, attempt.error = AttemptStatus.FAILED, now, f"SMS {report.status}"
            attempt.save(update_fields=["status", "answered_at", "error"])
            _event(notification, EventKind.SMS_FAILED, report.status, attempt)
            if notification.status != NotificationStatus.DELIVERED:
                _finish(notification, NotificationStatus.FAILED, _("SMS not delivered: %(s)s") % {"s": report.status})
        return True


# --- Timers (Celery beat) -----------------------------------------------------------------------------


def fallbacks_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue the SMS for every PNP not delivered within its template's fallback delay."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=NotificationStatus.AWAITING_DELIVERY, fallback_due_at__lte=now)
        .order_by("fallback_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = []
    for notification_id in ids:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().get(pk=notification_id)
            if notification.status != NotificationStatus.AWAITING_DELIVERY or notification.fallback_due_at is None:
                continue
            pnp = notification.attempts.filter(channel=Channel.PNP).order_by("-id").first()
            _event(
                notification,
                EventKind.FALLBACK_DUE,
                _("no delivery event within %(m)d minutes; sending the SMS")
                % {"m": notification.template_version.sms_fallback_delay_minutes or 0},
                pnp,
            )
            notification.status = NotificationStatus.QUEUED
            notification.fallback_due_at = None
            notification.save(update_fields=["status", "fallback_due_at", "updated_at"])
            stat_add(brand_id=notification.brand_id, at=now, channel=Channel.PNP, metric=Metric.SMS_FALLBACK)
            queued.append(notification_id)
    if queued:
        enqueue_dispatch(queued)
    return len(queued)


def deliveries_expire(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Close every notification with no delivery within the 24-hour window: 'not delivered' (inferred)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=NotificationStatus.AWAITING_DELIVERY, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().get(pk=notification_id)
            if notification.status != NotificationStatus.AWAITING_DELIVERY or notification.expires_at is None:
                continue
            open_attempts = notification.attempts.filter(
                status__in=[AttemptStatus.ACCEPTED, AttemptStatus.AMBIGUOUS], delivered_at__isnull=True
            )
            for attempt in open_attempts:
                attempt.status, attempt.answered_at = AttemptStatus.EXPIRED, attempt.answered_at or now
                attempt.save(update_fields=["status", "answered_at"])
                stat_add(
                    brand_id=notification.brand_id,
                    at=attempt.answered_at,
                    channel=attempt.channel,
                    metric=Metric.EXPIRED,
                )
            reason = _(
                "not delivered: no delivery event in 24 h (inferred: blocked, no consent or no SMS verification)"
            )
            _event(notification, EventKind.EXPIRED, reason)
            notification.status = NotificationStatus.NOT_DELIVERED
            notification.final_reason = reason[:200]
            notification.expires_at = None
            notification.fallback_due_at = None
            notification.save(update_fields=["status", "final_reason", "expires_at", "fallback_due_at", "updated_at"])
    return len(ids)


def outbox_sweep(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Re-enqueue notifications left queued (a lost enqueue) and settle sends a dead worker left behind."""
    now = now or timezone.now()
    queued_after_seconds = settings.NOTIFICATION_REQUEUE_AFTER_SECONDS
    stale_queued = list(
        Notification.objects.filter(
            status=NotificationStatus.QUEUED, updated_at__lt=now - timedelta(seconds=queued_after_seconds)
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    timeout = sum(settings.LINE_API_TIMEOUT) + settings.NOTIFICATION_STALE_SENDING_SECONDS
    stale_sending = list(
        Notification.objects.filter(
            status=NotificationStatus.SENDING, updated_at__lt=now - timedelta(seconds=timeout)
        ).values_list("pk", flat=True)[:limit]
    )
    for notification_id in stale_sending:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("template_version")
                .get(pk=notification_id)
            )
            if notification.status != NotificationStatus.SENDING:
                continue
            attempt = notification.attempts.filter(status=AttemptStatus.PENDING).order_by("-id").first()
            if attempt is not None and attempt.sent_at is not None and attempt.channel == Channel.PNP:
                # The request left (or was leaving) when the worker stopped: LINE may have it.
                _pnp_ambiguous(notification, attempt, "the sending worker stopped before LINE answered")
                continue
            if attempt is not None:
                # Never sent, or a push / SMS whose idempotency key makes a resend safe.
                attempt.sent_at, attempt.claim = None, ""
                attempt.save(update_fields=["sent_at", "claim"])
            notification.status = NotificationStatus.QUEUED
            notification.save(update_fields=["status", "updated_at"])
            stale_queued.append(notification_id)
    if stale_queued:
        enqueue_dispatch(stale_queued)
    return len(stale_queued)


# --- Webhook inbox ---------------------------------------------------------------------------------------


def webhook_events_drain(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Apply stored, unprocessed webhook events in arrival order; return how many were processed.

    Several workers may drain at once: each batch is claimed with SKIP LOCKED on PostgreSQL.
    The common delivery events of a batch are applied together (:func:`_deliveries_apply`);
    every other event, one by one with its type's handler.
    """
    processed = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            queryset = WebhookEvent.objects.filter(processed_at__isnull=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                queryset = queryset.select_for_update(skip_locked=True)
            batch = list(queryset[:batch_size])
            if not batch:
                break
            brands = Brand._base_manager.in_bulk({event.brand_id for event in batch})  # a brand or two per batch
            for event in batch:
                event.brand = brands[event.brand_id]
            results = _deliveries_apply_or_none([event for event in batch if event.event_type == "delivery"])
            for event in batch:
                if event.pk in results:
                    result, detail = results[event.pk]
                else:
                    try:
                        with transaction.atomic():
                            result, detail = apply_event(event)
                    except Exception as exc:  # one bad event must not block the others
                        logger.exception("webhook event %s failed", event.event_id)
                        result, detail = WebhookEventResult.FAILED, f"{type(exc).__name__}: {exc}"[:200]
                event.result, event.detail, event.processed_at = result, detail[:200], timezone.now()
            bulk_set(batch, ["result", "detail", "processed_at"])
            processed += len(batch)
    return processed


def _delivery_tag(event: WebhookEvent) -> str:
    return str((event.payload.get("delivery") or {}).get("data", ""))


def _deliveries_apply_or_none(events: list[WebhookEvent]) -> dict[int, tuple[str, str]]:
    """Apply plain deliveries together; if that fails, leave every event to its own handler."""
    try:
        with transaction.atomic():
            return _deliveries_apply(events)
    except Exception:  # e.g. a malformed payload: the handlers mark that one event failed
        logger.exception("delivery events could not be applied together; applying them one by one")
        return {}


def _deliveries_apply(events: list[WebhookEvent]) -> dict[int, tuple[str, str]]:
    """Apply the batch's plain deliveries together; return the result of each event it settled.

    Plain: the first event for a PNP that is neither delivered nor expired, of a notification
    no channel has delivered yet. Those are the same few writes each, done for all at once;
    every other delivery event (a second one, a late one after the 24-hour inference or after
    an SMS) is left to :func:`delivery_event_apply`, which runs after this.
    """
    if not events:
        return {}
    tags = {_delivery_tag(event) for event in events}
    found = Attempt.objects.filter(reference__in=tags, channel=Channel.PNP).values_list("pk", "notification_id")
    attempt_ids = [pk for pk, _notification_id in found]
    # Locked in the order every other writer uses: notifications, then their attempts.
    # Only the columns read here: the rendered messages and variables are not needed to settle.
    notifications = {
        n.pk: n
        for n in Notification.objects.select_for_update()
        .filter(pk__in={notification_id for _pk, notification_id in found})
        .only("pk", "brand_id", "status")
        .order_by("pk")
    }
    by_tag = {
        a.reference: a
        for a in Attempt.objects.select_for_update()
        .filter(pk__in=attempt_ids)
        .only("pk", "notification_id", "reference", "status", "sent_at", "delivered_at")
        .order_by("pk")
    }
    delivered_before = set(
        Attempt.objects.filter(notification_id__in=notifications, delivered_at__isnull=False).values_list(
            "notification_id", flat=True
        )
    )
    now = timezone.now()
    results: dict[int, tuple[str, str]] = {}
    settled: list[tuple[Notification, Attempt]] = []
    counts: Counter[tuple[int, datetime, str, str]] = Counter()
    for event in events:
        tag = _delivery_tag(event)
        attempt = by_tag.get(tag)
        notification = notifications.get(attempt.notification_id) if attempt is not None else None
        if attempt is None or notification is None or notification.brand_id != event.brand_id:
            results[event.pk] = (WebhookEventResult.UNMATCHED, f"no PNP with delivery tag {tag[:40]!r}")
            continue
        if (
            attempt.delivered_at is not None
            or attempt.status == AttemptStatus.EXPIRED
            or notification.status == NotificationStatus.DELIVERED
            or notification.pk in delivered_before
        ):
            continue  # not plain: its own handler decides
        at = event.occurred_at
        attempt.status, attempt.delivered_at = AttemptStatus.DELIVERED, at
        notification.status, notification.delivered_at, notification.delivered_channel = (
            NotificationStatus.DELIVERED,
            at,
            Channel.PNP,
        )
        notification.final_reason, notification.fallback_due_at, notification.expires_at = "", None, None
        notification.updated_at = now
        delivered_before.add(notification.pk)  # a second event for it in this batch is not plain
        settled.append((notification, attempt))
        latency = max(0, int((at - attempt.sent_at).total_seconds())) if attempt.sent_at else 0
        counts[(notification.brand_id, at, Channel.PNP, Metric.DELIVERED)] += 1
        counts[(notification.brand_id, at, Channel.PNP, Metric.LATENCY_SECONDS)] += latency
        counts[(notification.brand_id, at, Channel.PNP, latency_bucket(latency))] += 1
        results[event.pk] = (WebhookEventResult.APPLIED, f"notification {notification.pk} delivered")
    if settled:
        bulk_set(
            [n for n, _a in settled],
            [
                "status",
                "delivered_at",
                "delivered_channel",
                "final_reason",
                "fallback_due_at",
                "expires_at",
                "updated_at",
            ],
        )
        bulk_set([a for _n, a in settled], ["status", "delivered_at"])
        label = Channel.PNP.label
        NotificationEvent.objects.bulk_create(
            NotificationEvent(notification=n, attempt=a, kind=EventKind.DELIVERED, detail=str(label))
            for n, a in settled
        )
        stats_add(counts)
    return results
