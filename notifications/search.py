"""Finding notifications the way support is asked: by the phone number a member reads out, and the rest.

Every lookup lands on an index: a phone number is normalised with the members' helper and
matched by its hash (``member_phone_hash_idx``), a member number by ``member_external_id_idx``,
a delivery tag by the attempts' unique reference, an id by the primary key; the notifications
are then found through their member or primary key. Callers pass a queryset already scoped to
the brands the reader may see, so another brand's id or tag finds nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from compliance.choices import TemplateKind
from compliance.models import MessageTemplate
from members.models import Member
from members.phones import normalize_phone
from notifications.choices import Channel
from notifications.exceptions import NotificationSearchError
from notifications.models import Attempt, Notification
from portal.selectors import brands_visible_to

PREFIXES = ("phone", "member", "id", "tag", "template")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# What a phone number looks like before it is checked: a leading +, 0 or 886, then digits and
# the separators people write. Member numbers that are bare digits do not start with 0 or +.
_PHONE_LIKE = re.compile(r"(\+|0|886)[\d\s\-().]{5,}")
_MAX_ID = 2**63 - 1
JST = ZoneInfo("Asia/Tokyo")


def _members(**lookup: Any) -> QuerySet[Member, Any]:
    return Member.objects.filter(**lookup).values("pk")


def phone_search_hash(term: str) -> str:
    """The hash a phone number is matched by; refuse a malformed one with the helper's reason."""
    try:
        return normalize_phone(term).hash
    except ValidationError as exc:
        raise NotificationSearchError(
            _("Phone number: %(reason)s Nothing was searched.") % {"reason": " ".join(exc.messages)}, field="phone"
        ) from None


def _id(text: str) -> int | None:
    text = text.lstrip("#")
    return int(text) if text.isdigit() and 0 < int(text) <= _MAX_ID else None


def notifications_search(queryset: QuerySet[Notification], term: str) -> QuerySet[Notification]:
    """Narrow ``queryset`` to the notifications a search term names; raise ``NotificationSearchError`` if malformed.

    ``phone:``, ``member:``, ``id:``, ``tag:`` and ``template:`` say what the term is; without a
    prefix a phone-looking term is a phone number, ``#123`` an id, a UUID a delivery tag, digits an
    id or a member number, anything else a member number.
    """
    text = unicodedata.normalize("NFKC", term or "").strip()
    if not text:
        return queryset
    kind, _sep, rest = text.partition(":")
    if _sep and kind.strip().lower() in PREFIXES:
        kind, text = kind.strip().lower(), rest.strip()
        if not text:
            return queryset.none()
    elif _PHONE_LIKE.fullmatch(text):
        kind = "phone"
    elif text.startswith("#"):
        kind = "id"
    elif _UUID.fullmatch(text):
        kind = "tag"
    else:
        kind = ""
    if kind == "phone":
        return queryset.filter(member_id__in=_members(phone_hash=phone_search_hash(text)))
    if kind == "id":
        pk = _id(text)
        if pk is None:
            raise NotificationSearchError(
                _("Notification id: %(term)s is not a number. Nothing was searched.") % {"term": text}, field="id"
            )
        return queryset.filter(pk=pk)
    if kind == "tag":
        return queryset.filter(pk__in=Attempt.objects.filter(reference=text).values("notification_id"))
    if kind == "template":
        return queryset.filter(template_code=text)
    if kind == "member":
        return queryset.filter(member_id__in=_members(external_id=text))
    pk = _id(text)
    by_member = Q(member_id__in=_members(external_id=text))
    return queryset.filter(by_member | Q(pk=pk) if pk is not None else by_member)


def notification_search_days(since: str, until: str) -> tuple[datetime | None, datetime | None]:
    """The moments two days (YYYY-MM-DD, Taiwan time, both inclusive) span; refuse a day not written so."""
    bounds: list[datetime | None] = []
    for name, label, value in (("since", _("From"), since), ("until", _("To"), until)):
        value = (value or "").strip()
        if not value:
            bounds.append(None)
            continue
        start = timezone.make_aware(datetime.combine(_day(value, field=name, label=label), time.min))
        bounds.append(start + timedelta(days=1) if name == "until" else start)
    since_at, until_at = bounds
    if since_at is not None and until_at is not None and until_at <= since_at:
        raise NotificationSearchError(_("To: the day must not be before From."), field="until")
    return since_at, until_at


def _day(value: str, *, field: str, label: str) -> date:
    day = None
    try:
        day = parse_date(value.strip())
    except ValueError:
        pass
    if day is None:
        raise NotificationSearchError(
            _("%(field)s: %(value)s is not a day; write it as YYYY-MM-DD (e.g. 2026-12-01).")
            % {"field": label, "value": value},
            field=field,
        )
    return day


# Delivery times are LINE's and the SMS vendor's clocks, acceptance times ours: a delivery can be
# stamped a little before its notification's acceptance. An hour covers any clock the portal trusts.
_CLOCK_MARGIN = timedelta(hours=1)


def notifications_delivered_on(queryset: QuerySet[Notification], day: str, channel: str) -> QuerySet[Notification]:
    """The notifications behind one Taiwan day's delivered count on ``channel`` (a statement day).

    The statement's days count deliveries by the hour each attempt was delivered (Taiwan time), so
    the notifications are found through their delivered attempts on that channel
    (``attempt_delivered``, an index on channel and delivery time).
    """
    if channel not in Channel.values:
        raise NotificationSearchError(
            _("Channel: %(value)s is not one of %(choices)s.")
            % {"value": channel, "choices": ", ".join(Channel.values)},
            field="via",
        )
    start = timezone.make_aware(datetime.combine(_day(day, field="delivered_on", label=_("Delivered on")), time.min))
    end = start + timedelta(days=1)
    attempts = Attempt.objects.filter(channel=channel, delivered_at__gte=start, delivered_at__lt=end)
    # A notification is accepted before it is delivered: the newest-first list starts at the
    # day's end instead of reading every later notification first.
    return queryset.filter(pk__in=attempts.values("notification_id"), created_at__lt=end + _CLOCK_MARGIN)


# A PNP is delivered within LINE's 24-hour window of its send, so the deliveries that LINE counts
# on one JST day (by send time) all lie within this long after that day began.
_LINE_DAY_DELIVERY_SPAN = timedelta(days=2, hours=1)


def notifications_line_day(queryset: QuerySet[Notification], day: str, *, templated: bool) -> QuerySet[Notification]:
    """The notifications behind the portal's side of LINE's count for one JST day (a reconciliation day).

    LINE counts a delivered PNP on the JST day it was sent (docs/billing.md), template PNP apart
    from flexible PNP; the delivery-time bound keeps the lookup on ``attempt_delivered``.
    """
    start = datetime.combine(_day(day, field="line_day", label=_("LINE's day (JST)")), time.min, tzinfo=JST)
    end = start + timedelta(days=1)
    attempts = Attempt.objects.filter(
        channel=Channel.PNP, delivered_at__gte=start, delivered_at__lt=start + _LINE_DAY_DELIVERY_SPAN
    ).alias(counted_at=Coalesce("sent_at", "delivered_at"))
    attempts = attempts.filter(counted_at__gte=start, counted_at__lt=end)
    kind = Q(notification__template_version__kind=TemplateKind.LINE_TEMPLATE)
    attempts = attempts.filter(kind if templated else ~kind)
    # Accepted before it was sent (or delivered), so before the day's end: see notifications_delivered_on.
    return queryset.filter(pk__in=attempts.values("notification_id"), created_at__lt=end + _CLOCK_MARGIN)


def template_codes_visible_to(user: Any) -> list[str]:
    """The template codes of the brands the user may see, for the list's template filter."""
    templates = MessageTemplate.objects.all()
    if not user.is_superuser:
        templates = templates.filter(brand__in=brands_visible_to(user))
    return sorted(set(templates.values_list("code", flat=True)))
