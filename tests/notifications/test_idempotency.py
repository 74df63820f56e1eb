"""Idempotency keys live 48 hours: beat prunes older ones, in chunks, and keeps the young."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import IdempotencyKey
from notifications.services import idempotency
from notifications.tasks import idempotency_keys_prune
from portal.celery import app as celery_app
from portal.models import Brand


def _key(brand: Brand, name: str, age: timedelta) -> IdempotencyKey:
    key = IdempotencyKey.objects.create(brand=brand, key=name, request_hash="h", status_code=202, response={})
    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - age)
    return key


def test_keys_older_than_their_life_are_pruned_and_younger_ones_kept(
    brand: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given keys either side of the 48-hour life, more old ones than one chunk holds
    monkeypatch.setattr(idempotency, "PRUNE_CHUNK", 2)
    old = [_key(brand, f"old-{i}", timedelta(hours=48, minutes=1 + i)) for i in range(5)]
    young = [_key(brand, "young", timedelta(hours=47, minutes=59)), _key(brand, "new", timedelta(0))]
    # when beat's task runs
    assert idempotency_keys_prune.apply().get() == len(old)
    # then
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {k.key for k in young}
    assert idempotency_keys_prune.apply().get() == 0


def test_a_replay_within_48_hours_still_finds_its_key(brand: Brand) -> None:
    _key(brand, "k-1", timedelta(hours=47))
    idempotency.idempotency_keys_prune()
    status, _body, replayed = idempotency.run_idempotent(
        brand=brand, key="k-1", request_hash="h", work=lambda: (500, {"never": "run"})
    )
    assert (status, replayed) == (202, True)


def test_beat_prunes_the_keys_every_hour() -> None:
    entry = celery_app.conf.beat_schedule["notifications-idempotency-keys-prune"]
    assert entry["task"] == "notifications.tasks.idempotency_keys_prune"
    assert entry["schedule"].minute == {40} and len(entry["schedule"].hour) == 24
