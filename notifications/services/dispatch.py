"""Dispatch: claim queued notifications in batches and send each on its next channel."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from integrations import line as line_client
from integrations import ratelimit, sending
from integrations.sending import line_send, line_token_take, retry_is_safe
from integrations.sms import (
    SmsAmbiguousError,
    SmsRejectedError,
    SmsRetryableError,
    backend_for,
)
from integrations.sms.base import SmsAccountConfig
from notifications.choices import AttemptStatus, Channel, EventKind, Metric, NotificationStatus
from notifications.exceptions import RetryLater, StatusMoveError
from notifications.models import Attempt, Notification, SmsAccount
from notifications.services.outcomes import (
    attempt_release_for_retry,
    channel_failed,
    delivery_record,
    notification_finish,
    notification_relock,
    pnp_accepted_many,
    pnp_ambiguous,
    pnp_refused,
)
from notifications.services.states import (
    awaiting_fields,
    move_allowed,
    notification_apply,
    notification_write,
    notifications_write,
    sending_fields,
    timeline_add,
)
from notifications.stats import stat_add, stats_add
from notifications.texts import text
from portal.db import bulk_insert, execute_prepared
from portal.models import Brand

logger = logging.getLogger(__name__)


def _next_channel(notification: Notification, attempts: list[Attempt]) -> str | None:
    tried = {a.channel for a in attempts if a.status not in (AttemptStatus.PENDING,)}
    for channel in notification.channel_plan:
        if channel not in tried:
            return channel
    return None


# What sending reads: the rendered content, the plan, and how to reach the member. Any other
# field is read again, under lock, by whatever records the outcome.
_CLAIMED_FIELDS = (
    "brand_id",
    "template_version_id",
    "line_messages",
    "sms_text",
    "channel_plan",
    "status",
    "channel",
    "member__phone_hash",
    "member__phone_e164",
    "member__line_link__uid",
)


def _claim_many(notification_ids: list[int]) -> list[tuple[Notification, Attempt]]:
    """Lock the queued notifications, pick each one's next channel and write its attempt before sending.

    Rows another worker holds are skipped (it is sending them); rows no longer queued are
    skipped too, so a duplicate task does nothing.
    """
    claimed: list[tuple[Notification, Attempt]] = []
    with transaction.atomic():
        queryset = (
            Notification.objects.filter(pk__any_of=notification_ids, status=NotificationStatus.QUEUED)
            .select_related("member__line_link")  # each row its own member (and LINE link, if any)
            .only(*_CLAIMED_FIELDS)
            .order_by("pk")
        )
        # Only the notifications are locked, never their members or links.
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        else:
            queryset = queryset.select_for_update(of=("self",))
        notifications = list(queryset)
        if not notifications:
            return claimed
        # One query per relation for the whole batch: it shares a brand or two and a few template
        # versions, which a join would decode (and whose credentials it would decrypt) once per row.
        prefetch_related_objects(notifications, "brand", "template_version")
        attempts_by_notification: dict[int, list[Attempt]] = {n.pk: [] for n in notifications}
        for attempt in Attempt.objects.filter(notification_id__any_of=attempts_by_notification).order_by("pk"):
            attempts_by_notification[attempt.notification_id].append(attempt)
        now = timezone.now()
        claim = str(uuid.uuid4())
        new_attempts: list[Attempt] = []
        reused: list[Attempt] = []
        for notification in notifications:
            version = notification.template_version
            if version.status != "approved":
                notification_finish(
                    notification,
                    NotificationStatus.FAILED,
                    text("final.version_not_approved", n=version.number, status=version.status),
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
                    notification_finish(notification, NotificationStatus.FAILED, text("final.all_tried"))
                    continue
                attempt = Attempt(notification=notification, channel=channel, reference=str(uuid.uuid4()))
                new_attempts.append(attempt)
            attempt.claim = claim
            notification_apply(notification, {**sending_fields(channel=attempt.channel), "updated_at": now})
            claimed.append((notification, attempt))
        bulk_insert(new_attempts)
        if reused:
            Attempt.objects.filter(pk__in=[a.pk for a in reused]).update(claim=claim)
        # One UPDATE per channel (at most three): the same values for every row in it.
        by_channel: dict[str, list[int]] = {}
        for notification, attempt in claimed:
            by_channel.setdefault(attempt.channel, []).append(notification.pk)
        for channel, ids in by_channel.items():
            notifications_write(ids, source=NotificationStatus.QUEUED, fields=sending_fields(channel=channel), at=now)
    return claimed


def notifications_dispatch(*, notification_ids: list[int]) -> list[RetryLater]:
    """Send each queued notification on its next channel; return those LINE or the vendor asked to retry.

    The common answer (LINE accepted a PNP) is recorded for the whole batch in one transaction;
    every other answer is recorded on its own, as it comes.
    """
    retries: list[RetryLater] = []
    accepted: list[tuple[Notification, Attempt, datetime]] = []
    claimed = _claim_many(notification_ids)
    wanted = ((_channel_key(n), _endpoint(n, a)) for n, a in claimed)
    allowance = ratelimit.Allowance(Counter((key, endpoint) for key, endpoint in wanted if endpoint is not None))
    for notification, attempt in claimed:
        try:
            endpoint = _endpoint(notification, attempt)
            if endpoint is not None:
                # The token first: with none (the limit exhausted, or Redis unreachable) nothing
                # is marked sent, and the notification goes back to the queue as never sent.
                try:
                    line_token_take(endpoint, channel_id=_channel_key(notification), allowance=allowance)
                except line_client.LineRetryableError as exc:
                    attempt_release_for_retry(notification, attempt, str(exc), exc.retry_after)
            if not _mark_sending(attempt):
                continue  # the sweeper gave this one to another worker while the batch waited
            if attempt.channel == Channel.PNP:
                if _send_pnp(notification, attempt):
                    accepted.append((notification, attempt, timezone.now()))
            elif attempt.channel == Channel.LINE_PUSH:
                _send_push(notification, attempt)
            else:
                _send_sms(notification, attempt)
        except RetryLater as retry:
            retries.append(retry)
        except StatusMoveError as exc:
            # The notification moved on while its answer came back (a delivery event settled it
            # first): that outcome's transaction wrote nothing, and the rest of the batch goes on.
            logger.info("notification %s: outcome not recorded, %s", notification.pk, exc)
    if accepted:
        pnp_accepted_many(accepted)
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
    # One statement per request sent, so written out and prepared rather than compiled by the ORM
    # each time; the table names are the models' own, never user input.
    sql = (
        f"UPDATE {attempts} SET sent_at = %s WHERE id = %s AND claim = %s AND sent_at IS NULL"  # noqa: S608
        f" AND EXISTS (SELECT 1 FROM {notifications} WHERE id = %s AND status = %s)"
    )
    sent_at = Attempt._meta.get_field("sent_at").get_db_prep_save(now, connection)
    params = [sent_at, attempt.pk, attempt.claim, attempt.notification_id, str(NotificationStatus.SENDING)]
    marked = execute_prepared(sql, params)
    attempt.sent_at = now
    return bool(marked)


def notification_dispatch(*, notification_id: int) -> None:
    """Send one queued notification on its next channel; do nothing if it is not queued.

    Raises :class:`RetryLater` when LINE or the SMS vendor asked to wait (nothing was sent).
    """
    retries = notifications_dispatch(notification_ids=[notification_id])
    if retries:
        raise retries[0]


# The LINE endpoint each channel's request goes to, as the shared rate limit counts them.
ENDPOINTS: dict[str, str] = {Channel.PNP: sending.PNP, Channel.LINE_PUSH: sending.PUSH}


def _endpoint(notification: Notification, attempt: Attempt) -> str | None:
    """The LINE endpoint of this attempt's request: a LINE template's PNP goes to the template endpoint."""
    if attempt.channel == Channel.PNP and notification.template_version.is_line_template:
        return sending.TEMPLATED
    return ENDPOINTS.get(attempt.channel)


def _channel_key(notification: Notification) -> str:
    return notification.brand.line_channel_id or str(notification.brand_id)


def _send_pnp(notification: Notification, attempt: Attempt) -> bool:
    """Send one PNP, flexible or a LINE template's; return True when LINE accepted it (the caller records it)."""
    brand = notification.brand
    request = {
        "access_token": brand.channel_access_token.reveal(),
        "phone_hash": notification.member.phone_hash,
        "delivery_tag": attempt.reference,
    }
    try:
        if notification.template_version.is_line_template:
            # Accepted with 202; LINE's 5xx, 422 and delivery event mean what they mean for a flexible PNP.
            (template,) = notification.line_messages
            line_send(
                sending.TEMPLATED, template_key=template["templateKey"], body=template.get("body") or None, **request
            )
        else:
            line_send(ENDPOINTS[Channel.PNP], messages=notification.line_messages, **request)
    except line_client.LineRetryableError as exc:
        attempt_release_for_retry(notification, attempt, str(exc), exc.retry_after)
    except line_client.LineAmbiguousError as exc:
        pnp_ambiguous(notification, attempt, str(exc))
    except line_client.LineRefusedError:
        pnp_refused(notification, attempt)
    except line_client.LineRequestError as exc:
        channel_failed(notification, attempt, exc.status, f"{exc}: {exc.body}")
    else:
        return True
    return False


def _send_push(notification: Notification, attempt: Attempt) -> None:
    brand = notification.brand
    link = getattr(notification.member, "line_link", None)
    if link is None or not link.uid:
        channel_failed(notification, attempt, None, "the member has no bound LINE user id")
        return
    try:
        line_send(
            ENDPOINTS[Channel.LINE_PUSH],
            access_token=brand.channel_access_token.reveal(),
            to=link.uid,
            messages=notification.line_messages,
            retry_key=attempt.reference,
        )
    except line_client.LineError as exc:
        if retry_is_safe(exc, retry_key=True):
            # The retry key makes LINE answer a repeat with 409 and send nothing twice.
            attempt_release_for_retry(notification, attempt, str(exc), getattr(exc, "retry_after", None))
        else:
            channel_failed(notification, attempt, exc.status, f"{exc}: {exc.body}")
    else:
        with transaction.atomic():
            notification, attempt = notification_relock(notification, attempt)
            now = timezone.now()
            attempt.status = AttemptStatus.DELIVERED
            attempt.answered_at = attempt.accepted_at = attempt.delivered_at = now
            attempt.http_status = 200
            attempt.save(update_fields=["status", "answered_at", "accepted_at", "delivered_at", "http_status"])
            delivery_record(notification, attempt, now)
            stat_add(brand_id=notification.brand_id, at=now, channel=Channel.LINE_PUSH, metric=Metric.SENT)


def sms_callback_url(vendor: str, reference: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/webhooks/sms/{vendor}/{reference}"


def _sms_account(brand: Brand) -> SmsAccount | None:
    return SmsAccount.objects.filter(brand=brand, is_active=True).first()


def _send_sms(notification: Notification, attempt: Attempt) -> None:
    account = _sms_account(notification.brand)
    if account is None:
        channel_failed(notification, attempt, None, "the brand has no active SMS account")
        return
    backend = backend_for(account.vendor)
    config = SmsAccountConfig(
        base_url=account.api_base_url(), username=account.username, password=account.password.reveal()
    )
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
        attempt_release_for_retry(notification, attempt, str(exc), None)
        return
    except SmsRejectedError as exc:
        channel_failed(notification, attempt, None, str(exc))
        return
    with transaction.atomic():
        notification, attempt = notification_relock(notification, attempt)
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
        # Unless it moved past waiting meanwhile (a delivery report, or another worker's answer).
        if move_allowed(notification.status, NotificationStatus.AWAITING_DELIVERY):
            notification_write(notification, awaiting_fields(notification, channel=attempt.channel, at=now))
        timeline_add(
            notification,
            EventKind.SMS_SENT,
            text("sms.sent", vendor=account.vendor, id=result.message_id, n=result.segments),
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
