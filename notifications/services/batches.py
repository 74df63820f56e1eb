"""Accepting a batch of up to 1,000 notifications with a handful of queries, whatever its size.

Item by item, acceptance costs about ten queries per notification. A batch instead reads its
idempotency keys, its templates and its members once each, checks every item in memory with
the same rules as a single request (:func:`notification_build`), then writes the accepted
notifications, their first timeline event, their idempotency keys and the hourly counts in
one transaction. Each item gets the answer a single request would have got.

A key that another request stores while the batch is being checked makes the write fail on
the unique key; the batch is then accepted item by item, which replays whatever won.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from compliance.models import TemplateVersion
from compliance.selectors import template_version_for_send
from members.models import Member
from notifications.exceptions import NotificationRefused
from notifications.models import IdempotencyKey, Notification
from notifications.services.accepting import (
    SendRequest,
    enqueue_dispatch,
    member_for_request,
    notification_accept,
    notification_build,
    notifications_create,
    phone_e164_for_send,
    prior_sends_count,
)
from notifications.services.idempotency import key_reused, run_idempotent
from portal.db import bulk_insert
from portal.exceptions import PortalError
from portal.models import Brand

ACCEPTED = 202

Respond = Callable[[Notification], dict[str, Any]]


@dataclass(frozen=True)
class BatchItem:
    """One shape-checked item of a batch: its idempotency key, the hash of its body, the request."""

    key: str
    request_hash: str
    request: SendRequest


@dataclass
class BatchOutcome:
    """What one item came to: accepted (202 and the body) or refused (the error)."""

    status: int
    body: dict[str, Any] | None = None
    error: PortalError | None = None
    replayed: bool = False


def notifications_accept_batch(
    *, brand: Brand, items: list[BatchItem], submitted_by: str, respond: Respond
) -> list[BatchOutcome]:
    """Accept each item on its own terms; return one outcome per item, in order.

    ``respond`` renders an accepted notification as the API answers it (and stores it with
    the idempotency key, so a replay answers the same).
    """
    try:
        return _accept_together(brand, items, submitted_by, respond)
    except IntegrityError:  # another request stored one of these keys first
        return _accept_one_by_one(brand, items, submitted_by, respond)


def _refused(exc: PortalError) -> BatchOutcome:
    return BatchOutcome(status=getattr(exc, "status_code", 422), error=exc)


def _conflict() -> BatchOutcome:
    return _refused(key_reused())


class _Members:
    """The batch's members, read in two queries: by member number and by phone number."""

    def __init__(self, brand: Brand, requests: Iterable[SendRequest]) -> None:
        self.brand = brand
        requests = list(requests)
        self.phone_errors: dict[str, NotificationRefused] = {}
        self.e164_of: dict[str, str] = {}
        for request in requests:
            if request.phone and request.phone not in self.e164_of and request.phone not in self.phone_errors:
                try:
                    self.e164_of[request.phone] = phone_e164_for_send(request.phone)
                except NotificationRefused as refusal:
                    self.phone_errors[request.phone] = refusal
        queryset = Member.objects.select_related("line_link").filter(brand=brand)
        external_ids = {r.member for r in requests if r.member}
        self.by_external_id = {m.external_id: m for m in queryset.filter(external_id__any_of=external_ids)}
        self.by_e164: dict[str, Member] = {}
        numbers = set(self.e164_of.values())
        if numbers:
            live = queryset.filter(phone_e164__any_of=numbers, erased_at__isnull=True).order_by(
                "phone_e164", "-updated_at"
            )
            for member in live:
                self.by_e164.setdefault(member.phone_e164, member)  # the most recently updated, as one by one
        for member in (*self.by_external_id.values(), *self.by_e164.values()):
            member.brand = brand

    def get(self, request: SendRequest) -> Member:
        """The member a request names; the same refusals as one request (see ``member_for_request``)."""
        if request.member:
            member = self.by_external_id.get(request.member)
            if member is None or member.is_erased:
                return member_for_request(self.brand, request)  # raises the single request's refusal
            return member
        if request.phone in self.phone_errors:
            raise self.phone_errors[request.phone]
        member = self.by_e164.get(self.e164_of.get(request.phone or "", ""))
        if member is None:
            return member_for_request(self.brand, request)  # raises the single request's refusal
        return member


def _accept_together(brand: Brand, items: list[BatchItem], submitted_by: str, respond: Respond) -> list[BatchOutcome]:
    stored = {row.key: row for row in IdempotencyKey.objects.filter(brand=brand, key__any_of={i.key for i in items})}
    members = _Members(brand, (item.request for item in items if item.key not in stored))
    versions: dict[str, TemplateVersion | PortalError] = {}
    outcomes: list[BatchOutcome | None] = [None] * len(items)
    accepted: dict[str, tuple[int, Notification]] = {}  # key → (item index, notification)
    repeats: list[int] = []  # items whose key an earlier item of this batch holds
    # Reservation reminders of this batch count towards the limit like committed ones.
    reminders: Counter[tuple[str, str]] = Counter()

    def prior_sends(*, version: TemplateVersion, reservation_key: str, since: datetime) -> int:
        pending = reminders[(version.template.code, reservation_key)]
        return prior_sends_count(version=version, reservation_key=reservation_key, since=since) + pending

    for index, item in enumerate(items):
        row = stored.get(item.key)
        if row is not None:
            same = row.request_hash == item.request_hash
            outcomes[index] = (
                BatchOutcome(status=row.status_code, body=row.response, replayed=True) if same else _conflict()
            )
            continue
        if item.key in accepted:
            repeats.append(index)
            continue
        code = item.request.template
        if code not in versions:
            try:
                versions[code] = template_version_for_send(brand=brand, code=code)
            except PortalError as exc:
                versions[code] = exc
        version = versions[code]
        try:
            if isinstance(version, PortalError):
                raise version
            notification = notification_build(
                brand=brand,
                request=item.request,
                version=version,
                member=members.get(item.request),
                submitted_by=submitted_by,
                prior_sends=prior_sends,
            )
        except PortalError as exc:
            outcomes[index] = _refused(exc)
            continue
        accepted[item.key] = (index, notification)
        if notification.reservation_key:
            reminders[(notification.template_code, notification.reservation_key)] += 1

    if accepted:
        _write(brand, items, accepted, respond, outcomes)
    for index in repeats:
        first_index, _notification = accepted[items[index].key]
        first = outcomes[first_index]
        assert first is not None  # written above
        same = items[first_index].request_hash == items[index].request_hash
        outcomes[index] = BatchOutcome(status=ACCEPTED, body=first.body, replayed=True) if same else _conflict()
    return [outcome for outcome in outcomes if outcome is not None]


def _write(
    brand: Brand,
    items: list[BatchItem],
    accepted: dict[str, tuple[int, Notification]],
    respond: Respond,
    outcomes: list[BatchOutcome | None],
) -> None:
    notifications = [notification for _index, notification in accepted.values()]
    with transaction.atomic():
        notifications_create(notifications)
        keys = []
        for key, (index, notification) in accepted.items():
            body = respond(notification)
            outcomes[index] = BatchOutcome(status=ACCEPTED, body=body)
            keys.append(
                IdempotencyKey(
                    brand=brand, key=key, request_hash=items[index].request_hash, status_code=ACCEPTED, response=body
                )
            )
        # In key order, so two batches sharing keys wait for each other instead of deadlocking.
        bulk_insert(sorted(keys, key=lambda row: row.key))
        ids = [n.pk for n in notifications]
        transaction.on_commit(lambda: enqueue_dispatch(ids))


def _accept_one_by_one(brand: Brand, items: list[BatchItem], submitted_by: str, respond: Respond) -> list[BatchOutcome]:
    outcomes = []
    # One commit for the whole batch (each item in its own savepoint): on PostgreSQL the
    # commit's flush to disk, not the work, is what limits a per-item transaction.
    with transaction.atomic():
        queued: list[int] = []
        # Registered outside the items' savepoints, so a refused item cannot drop it.
        transaction.on_commit(lambda: enqueue_dispatch(queued))
        for item in items:

            def work(request: SendRequest = item.request) -> tuple[int, dict[str, Any]]:
                notification = notification_accept(
                    brand=brand, request=request, submitted_by=submitted_by, enqueue=queued.append
                )
                return ACCEPTED, respond(notification)

            try:
                code, body, replayed = run_idempotent(
                    brand=brand, key=item.key, request_hash=item.request_hash, work=work
                )
            except PortalError as exc:
                outcomes.append(_refused(exc))
            else:
                outcomes.append(BatchOutcome(status=code, body=body, replayed=replayed))
    return outcomes
