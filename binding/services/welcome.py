"""The welcome message: a LINE user who is not bound adds the OA, the brand invites them to bind.

The follow event's handler records the welcome (one row per brand, LINE user and period,
unique) in the transaction that applies the event, and a task sends it after the commit:
by reply while the event's reply token is fresh, by push (with a retry key) otherwise.
Its bind link is a *follower* link: it names the LINE user, and the binding page asks for
the member number or phone, sends a one-time password and binds with both.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from binding.choices import BindingMetric, WelcomeStatus
from binding.links import BIND_LINK_VARIABLE, follower_token_issue, settings_for
from binding.models import BindingSettings, WelcomeMessage
from binding.stats import binding_stat_add
from compliance.rendering import render_line_messages
from compliance.selectors import send_check_variables, template_version_for_send
from integrations import line as line_client
from integrations import sending
from integrations.sending import line_send_limited, retry_is_safe
from members.models import LineLink
from notifications.choices import WebhookEventResult
from notifications.models import WebhookEvent
from notifications.texts import Text, text
from portal.exceptions import PortalError

logger = logging.getLogger(__name__)

# LINE accepts a reply token for about a minute after the event; past this age, push instead.
REPLY_TOKEN_FRESH_SECONDS = 50
# A welcome still waiting this long lost its task (a lost enqueue, or retries given up).
REQUEUE_AFTER = timedelta(minutes=2)
PERIOD_EPOCH = date(2026, 1, 1)


class WelcomeRetryLater(Exception):
    """LINE was busy or did not answer a push: nothing (or nothing twice) was sent; try again."""


def period_start(day: date, days: int) -> date:
    """Return the first day of the fixed ``days``-long period that ``day`` falls in."""
    return PERIOD_EPOCH + timedelta(days=((day - PERIOD_EPOCH).days // days) * days)


def welcome_on_follow(event: WebhookEvent) -> WelcomeMessage | None:
    """Count a follow, and queue the brand's welcome when the LINE user is not bound (once per period).

    Runs inside the transaction that applies the follow event; safe to run twice for one
    event (or for two follows at once): the unique row decides who queues the message.
    """
    uid = str((event.payload.get("source") or {}).get("userId", ""))
    if not uid:
        return None
    binding_stat_add(brand_id=event.brand_id, metric=BindingMetric.FOLLOWS, at=event.occurred_at)
    binding = settings_for(event.brand)
    if binding is None or not binding.welcome_template_code:
        return None
    if LineLink.objects.filter(brand_id=event.brand_id, uid=uid, bound_at__isnull=False).exists():
        return None
    period = period_start(timezone.localdate(event.occurred_at), binding.welcome_period_days)
    if WelcomeMessage.objects.filter(brand_id=event.brand_id, uid=uid, period_start=period).exists():
        return None
    try:
        with transaction.atomic():
            welcome = WelcomeMessage.objects.create(
                brand_id=event.brand_id,
                uid=uid,
                period_start=period,
                event_id=event.event_id,
                event_at=event.occurred_at,
                reply_token=str(event.payload.get("replyToken", ""))[:100],
                template_code=binding.welcome_template_code,
            )
    except IntegrityError:
        return None  # another worker queued this period's welcome first
    transaction.on_commit(lambda: _enqueue(welcome.pk))
    return welcome


# What the follow handler says on the webhook event, rendered in the reader's language.
TEXTS = {"welcome.queued": gettext_lazy("welcome queued")}


def welcome_follow_apply(event: WebhookEvent) -> tuple[str, Text]:
    """The follow event's handler that binding registers: queue the welcome, say whether it did."""
    welcome = welcome_on_follow(event)
    if welcome is None:
        return WebhookEventResult.IGNORED, Text()
    return WebhookEventResult.APPLIED, text("welcome.queued")


def _enqueue(welcome_id: int) -> None:
    from binding.tasks import welcome_send_task

    welcome_send_task.delay(welcome_id=welcome_id)


# A LINE display name is at most 20 characters; longer ones are cut to that.
USER_NAME_MAX = 20


def _display_name(welcome: WelcomeMessage) -> str | None:
    """The friend's LINE display name, or None when LINE gives none (not a friend any more, an error)."""
    try:
        found = line_client.profile(access_token=welcome.brand.channel_access_token.reveal(), user_id=welcome.uid)
    except line_client.LineError as exc:
        logger.info("welcome %s: no profile from LINE (%s); the settings' name is used", welcome.pk, exc)
        return None
    name = (found.display_name if found else "").strip()
    return name[:USER_NAME_MAX] or None


def _messages(welcome: WelcomeMessage, binding: BindingSettings) -> list[dict[str, Any]]:
    """Render the approved welcome template; raise a ``PortalError`` if it cannot be sent.

    ``{user_name}`` is the friend's LINE display name when LINE gives one and the send-time
    checks accept it (a name is the user's own text, it may read like an offer); otherwise
    the name in the binding settings.
    """
    version = template_version_for_send(brand=welcome.brand, code=welcome.template_code)
    if version.is_line_template:
        # A welcome goes by reply or push; LINE's predefined templates exist only for PNP by number.
        raise PortalError(
            _("Template %(code)s is a LINE template (PNP by phone number only); a welcome needs a flexible template.")
            % {"code": welcome.template_code}
        )
    declared = [variable.get("name") for variable in version.variables or []]
    available = {
        "user_name": binding.welcome_user_name,
        "brand_name": welcome.brand.name,
        BIND_LINK_VARIABLE: binding.page_url(follower_token_issue(brand_id=welcome.brand_id, uid=welcome.uid)),
    }
    display_name = _display_name(welcome) if "user_name" in declared else None
    if display_name is not None:
        variables = {name: available[name] for name in declared if name in available} | {"user_name": display_name}
        try:
            values = send_check_variables(version=version, variables=variables, occurred_at=welcome.event_at)
        except PortalError as exc:
            logger.info("welcome %s: the LINE name was refused (%s); the settings' name is used", welcome.pk, exc)
        else:
            return render_line_messages(version=version, variables=values)
    variables = {name: available[name] for name in declared if name in available}
    values = send_check_variables(version=version, variables=variables, occurred_at=welcome.event_at)
    return render_line_messages(version=version, variables=values)


def _reply_token_fresh(welcome: WelcomeMessage) -> bool:
    age = (timezone.now() - welcome.event_at).total_seconds() * settings.LINE_TIME_FACTOR
    return bool(welcome.reply_token) and age < REPLY_TOKEN_FRESH_SECONDS


def _finish(welcome: WelcomeMessage, status: str, *, via: str = "", error: str = "") -> None:
    with transaction.atomic():
        welcome.status, welcome.sent_via, welcome.error = status, via, error[:300]
        if status == WelcomeStatus.SENT:
            welcome.sent_at = timezone.now()
            binding_stat_add(brand_id=welcome.brand_id, metric=BindingMetric.WELCOMES, at=welcome.sent_at)
        welcome.save(update_fields=["status", "sent_via", "error", "sent_at"])


def welcome_send(*, welcome_id: int) -> None:
    """Send a queued welcome once: reply while the token is fresh, else push; a second run does nothing."""
    with transaction.atomic():
        welcome = (
            WelcomeMessage.objects.select_for_update(of=("self",)).select_related("brand").filter(pk=welcome_id).first()
        )
        if welcome is None or welcome.status != WelcomeStatus.PENDING:
            return
        welcome.status = WelcomeStatus.SENDING
        welcome.save(update_fields=["status"])
    binding = settings_for(welcome.brand)
    if binding is None:
        _finish(welcome, WelcomeStatus.SKIPPED, error="the brand's binding settings were removed")
        return
    try:
        messages = _messages(welcome, binding)
    except PortalError as exc:
        _finish(welcome, WelcomeStatus.SKIPPED, error=str(exc))
        return
    access_token = welcome.brand.channel_access_token.reveal()
    channel_id = welcome.brand.line_channel_id or str(welcome.brand_id)
    try:
        if _reply_token_fresh(welcome):
            try:
                line_send_limited(
                    sending.REPLY,
                    channel_id=channel_id,
                    access_token=access_token,
                    reply_token=welcome.reply_token,
                    messages=messages,
                )
            except line_client.LineRequestError as exc:
                logger.info("welcome %s: reply refused (%s), pushing instead", welcome.pk, exc.status)
            except line_client.LineAmbiguousError as exc:
                # A reply has no retry key: sending again (by push) could welcome twice.
                _finish(welcome, WelcomeStatus.SENT, via="reply", error=f"no answer from LINE: {exc}")
                return
            else:
                _finish(welcome, WelcomeStatus.SENT, via="reply")
                return
        line_send_limited(
            sending.PUSH,
            channel_id=channel_id,
            access_token=access_token,
            to=welcome.uid,
            messages=messages,
            retry_key=str(welcome.retry_key),
        )
    except line_client.LineError as exc:
        if not retry_is_safe(exc, retry_key=True):
            _finish(welcome, WelcomeStatus.FAILED, error=f"{exc}: {exc.body}")
            return
        # Nothing was accepted, or a push whose retry key makes a repeat harmless. (A reply's
        # ambiguous answer never gets here: it is settled as sent above.)
        WelcomeMessage.objects.filter(pk=welcome.pk).update(status=WelcomeStatus.PENDING, error=str(exc)[:300])
        raise WelcomeRetryLater(str(exc)) from exc
    _finish(welcome, WelcomeStatus.SENT, via="push")


def welcomes_requeue(*, now: Any = None, limit: int = 500) -> int:
    """Enqueue again the welcomes left waiting (a lost enqueue); a duplicate task does nothing."""
    now = now or timezone.now()
    ids = list(
        WelcomeMessage.objects.filter(status=WelcomeStatus.PENDING, created_at__lt=now - REQUEUE_AFTER)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for welcome_id in ids:
        _enqueue(welcome_id)
    return len(ids)
