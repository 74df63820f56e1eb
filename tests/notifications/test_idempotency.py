"""Idempotency keys: one answer per key and body, a race replays the winner, and keys live 48 hours."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from notifications.exceptions import IdempotencyConflict
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


def test_a_body_hashes_the_same_whatever_the_order_of_its_keys() -> None:
    # A brand's retry may serialise the same JSON object in another key order or spacing.
    first = idempotency.fingerprint({"template": "t-1", "variables": {"b": 2, "a": 1}, "phone": "+886912345678"})
    again = idempotency.fingerprint({"phone": "+886912345678", "variables": {"a": 1, "b": 2}, "template": "t-1"})
    assert first == again
    assert first != idempotency.fingerprint(
        {"template": "t-1", "variables": {"a": 2, "b": 1}, "phone": "+886912345678"}
    )


def test_a_bodys_hash_is_the_sha256_of_its_compact_sorted_json() -> None:
    # Stored hashes outlive a deploy (48 hours): a retry after one must still match, so the
    # form is fixed: sorted keys, no spaces, anything not JSON (a date, a Decimal) as str().
    body = {"b": [1, "二"], "a": Decimal("1.50"), "at": date(2026, 1, 2)}
    expected = '{"a":"1.50","at":"2026-01-02","b":[1,"\\u4e8c"]}'
    assert idempotency.fingerprint(body) == hashlib.sha256(expected.encode()).hexdigest()


def test_a_key_replayed_with_another_body_is_refused_with_409_and_stores_nothing(brand: Brand) -> None:
    _key(brand, "k-2", timedelta(minutes=1))
    with pytest.raises(IdempotencyConflict) as refused:
        idempotency.run_idempotent(brand=brand, key="k-2", request_hash="other", work=lambda: (202, {"never": "run"}))
    assert refused.value.status_code == 409 and refused.value.code == "idempotency_key_reused"
    assert str(refused.value) == (
        "This Idempotency-Key was already used with a different body; use a new key for a new notification."
    )
    assert IdempotencyKey.objects.filter(brand=brand).count() == 1


def test_a_new_key_runs_the_work_once_and_stores_its_answer(brand: Brand) -> None:
    runs: list[int] = []

    def work() -> tuple[int, dict[str, str]]:
        runs.append(1)
        return 202, {"id": "n-1"}

    first = idempotency.run_idempotent(brand=brand, key="k-3", request_hash="h", work=work)
    again = idempotency.run_idempotent(brand=brand, key="k-3", request_hash="h", work=work)
    assert (first, again) == ((202, {"id": "n-1"}, False), (202, {"id": "n-1"}, True))
    assert len(runs) == 1


def _first_lookup_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key row a concurrent request commits after this one looked for it."""
    real_filter = IdempotencyKey.objects.filter
    calls: list[int] = []

    def filter_(*args: object, **kwargs: object) -> QuerySet[IdempotencyKey]:
        calls.append(1)
        found = real_filter(*args, **kwargs)
        return found.none() if len(calls) == 1 else found

    monkeypatch.setattr(IdempotencyKey.objects, "filter", filter_)


def test_the_loser_of_a_race_on_one_key_replays_the_winners_answer(
    brand: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the winner's key, committed after the loser looked for it
    IdempotencyKey.objects.create(brand=brand, key="k-race", request_hash="h", status_code=202, response={"id": "won"})
    _first_lookup_misses(monkeypatch)
    # when the loser's work tries to store the same key, it fails on the unique key
    status, body, replayed = idempotency.run_idempotent(
        brand=brand, key="k-race", request_hash="h", work=lambda: (202, {"id": "lost"})
    )
    # then its work is rolled back and it answers what the winner answered
    assert (status, body, replayed) == (202, {"id": "won"}, True)
    assert list(IdempotencyKey.objects.filter(brand=brand).values_list("response", flat=True)) == [{"id": "won"}]


def test_an_integrity_error_of_the_work_itself_is_not_taken_for_a_race(brand: Brand) -> None:
    def work() -> tuple[int, dict[str, str]]:
        raise IntegrityError("some other unique constraint")

    with pytest.raises(IntegrityError, match="some other unique constraint"):
        idempotency.run_idempotent(brand=brand, key="k-4", request_hash="h", work=work)
    assert not IdempotencyKey.objects.filter(brand=brand).exists()
