"""Idempotency keys: the same key and body replay the first answer; another body is refused.

The key row is written in the same transaction as the work, so two concurrent requests with
one key cannot both create a notification: the second fails on the unique key, its work is
rolled back, and it replays the first one's answer. A refused request (4xx) stores nothing,
so the brand may fix it and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.exceptions import IdempotencyConflict
from notifications.models import IdempotencyKey
from portal.models import Brand

KEEP_FOR = timedelta(hours=48)  # at least the 24 h brands are promised


def fingerprint(data: Any) -> str:
    """A stable hash of a request body."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def key_reused() -> IdempotencyConflict:
    """The refusal of a key that came back with another body."""
    return IdempotencyConflict(
        "This Idempotency-Key was already used with a different body; use a new key for a new notification."
    )


def _replay(existing: IdempotencyKey, request_hash: str) -> tuple[int, dict[str, Any], bool]:
    if existing.request_hash != request_hash:
        raise key_reused()
    return existing.status_code, existing.response, True


def run_idempotent(
    *, brand: Brand, key: str, request_hash: str, work: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any], bool]:
    """Return (status, body, replayed): the stored answer for this key, or the answer of ``work()``.

    The work and the key row commit together; a concurrent request with the same key fails on
    the unique key, rolls its work back and replays the answer that won.
    """
    existing = IdempotencyKey.objects.filter(brand=brand, key=key).first()
    if existing is not None:
        return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            status, body = work()
            IdempotencyKey.objects.create(
                brand=brand, key=key, request_hash=request_hash, status_code=status, response=body
            )
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(brand=brand, key=key).first()
        if existing is None:
            raise
        return _replay(existing, request_hash)
    return status, body, False


# Keys are deleted this many at a time: one statement over a day's keys would hold its locks
# (and grow the write-ahead log) for as long as it runs, while sends keep writing new keys.
PRUNE_CHUNK = 5000


def idempotency_keys_prune(*, older_than: timedelta = KEEP_FOR, now: datetime | None = None) -> int:
    """Forget the keys older than their promised life; return how many were deleted."""
    cutoff = (now or timezone.now()) - older_than
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:PRUNE_CHUNK]
        )
        if not ids:
            return deleted
        count, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
        deleted += count
