"""LINE's webhook receiver: verify, store, answer 200 fast; processing happens in a worker."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrations.signatures import line_signature_valid
from integrations.sms import mitake, sandbox
from notifications.api.line_events import BodyError, ReadEvent, events_read
from notifications.choices import WebhookEventResult
from notifications.models import Attempt, SmsAccount, WebhookEvent
from notifications.services import sms_report_apply, webhook_drain_claim, webhook_drain_release
from portal.db import bulk_insert
from portal.models import Brand

logger = logging.getLogger(__name__)

# A brand's channel secret, kept briefly per process: a webhook burst must not decrypt it per request.
_SECRET_TTL = 30.0
_secrets: dict[str, tuple[float, int, str]] = {}


def forget_brand_secrets(**kwargs: object) -> None:
    """Drop this process's cached secrets (a brand was saved: its secret may have changed)."""
    _secrets.clear()


def _brand_secret(slug: str, *, fresh: bool = False) -> tuple[int, str] | None:
    cached = _secrets.get(slug)
    now = time.monotonic()
    if cached is not None and not fresh and now - cached[0] < _SECRET_TTL:
        return cached[1], cached[2]
    brand = Brand.objects.filter(slug=slug, is_active=True).only("id", "channel_secret").first()
    if brand is None:
        return None
    _secrets[slug] = (now, brand.pk, brand.channel_secret.reveal())
    return brand.pk, _secrets[slug][2]


def _event_rows(brand_id: int, events: list[ReadEvent], now: datetime) -> list[WebhookEvent]:
    rows = []
    for event in events:
        row = WebhookEvent(
            brand_id=brand_id,
            event_id=event.event_id,
            event_type=event.event_type,
            is_redelivery=event.is_redelivery,
            occurred_at=event.occurred_at,
            payload=event.payload,
        )
        if event.reason:
            # Kept as evidence and never applied: the drain takes only unprocessed rows.
            row.result, row.detail, row.processed_at = WebhookEventResult.REJECTED, event.reason[:200], now
            logger.warning("LINE webhook event rejected for brand %s: %s", brand_id, event.reason)
        rows.append(row)
    return rows


def schedule_webhook_processing() -> None:
    """Make sure a drain runs after these events were stored (``webhook_drain_claim``: one at a time)."""
    from notifications.tasks import webhook_events_process

    try:
        if not webhook_drain_claim():
            return
    except Exception:  # the events are stored: the beat timer drains them if the cache is away
        logger.exception("could not claim the webhook drain; the timer will apply the stored events")
        return
    try:
        webhook_events_process.delay()
    except Exception:  # the events are stored: the beat timer drains them if the broker is away
        logger.exception("could not enqueue the webhook drain; the timer will apply the stored events")
        try:
            webhook_drain_release()  # so the next receiver enqueues one instead of waiting out the claim
        except Exception:
            logger.exception("could not release the webhook drain claim; it expires on its own")


@csrf_exempt
@require_POST
def line_webhook(request: HttpRequest, brand_slug: str) -> HttpResponse:
    """Receive LINE's events for one brand: 403 on a bad signature, 200 once stored."""
    found = _brand_secret(brand_slug)
    if found is None:
        return JsonResponse({"message": "unknown brand"}, status=404)
    brand_id, secret = found
    body = request.body  # the raw bytes LINE signed, before any parsing
    signature = request.headers.get("x-line-signature")
    if not line_signature_valid(channel_secret=secret, body=body, signature=signature):
        # The secret may have been replaced in another process since it was cached.
        found = _brand_secret(brand_slug, fresh=True)
        if found is not None:
            brand_id, secret = found
    if found is None or not line_signature_valid(channel_secret=secret, body=body, signature=signature):
        logger.warning("LINE webhook for %s refused: bad or missing signature", brand_slug)
        return JsonResponse({"message": "invalid signature"}, status=403)
    now = datetime.now(tz=UTC)
    try:
        events = events_read(body, now=now)
    except BodyError as exc:
        return JsonResponse({"message": str(exc)}, status=400)
    rows = _event_rows(brand_id, events, now)
    if rows:
        with transaction.atomic():
            bulk_insert(rows, ignore_conflicts=True)
            transaction.on_commit(schedule_webhook_processing)
    return JsonResponse({})


# --- SMS vendors' delivery reports -------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def mitake_report(request: HttpRequest, reference: str) -> HttpResponse:
    """Mitake's delivery report, acknowledged as Mitake requires.

    Mitake documents a GET with query parameters; a POST with the same fields as a form is
    taken too, and keeps the recipient's number out of every access log's request line
    (the portal's own logs print paths without their query: ``gunicorn.conf.py``, LOGGING).
    Mitake signs nothing: the unguessable per-message reference in the URL is the credential.
    """
    reference = str(reference)
    report = mitake.parse_delivery_report(request.POST if request.method == "POST" else request.GET)
    if report is None:
        return HttpResponse("missing msgid or StatusFlag", status=400, content_type="text/plain")
    if not sms_report_apply(vendor="mitake", reference=reference, report=report):
        return HttpResponse("unknown message", status=404, content_type="text/plain")
    return HttpResponse(mitake.CALLBACK_REPLY.format(msgid=report.message_id), content_type="text/plain")


@csrf_exempt
@require_POST
def sandbox_sms_report(request: HttpRequest, reference: str) -> HttpResponse:
    """The sandbox gateway's JSON delivery report, signed with the account's API key."""
    reference = str(reference)
    attempt = Attempt.objects.filter(reference=reference).select_related("notification").first()
    account = SmsAccount.objects.filter(brand_id=attempt.notification.brand_id).first() if attempt else None
    if attempt is None or account is None:
        return JsonResponse({"message": "unknown message"}, status=404)
    body = request.body
    signature = request.headers.get("X-Sandbox-Signature")
    if not line_signature_valid(channel_secret=account.password.reveal(), body=body, signature=signature):
        return JsonResponse({"message": "invalid signature"}, status=403)
    report = sandbox.parse_delivery_report(body)
    if report is None:
        return JsonResponse({"message": "body must carry message_id and status"}, status=400)
    sms_report_apply(vendor="sandbox", reference=reference, report=report)
    return JsonResponse({})
