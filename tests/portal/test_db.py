"""bulk_set: the same result as saving each object's fields, in one statement per batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.models import WebhookEvent
from portal.db import bulk_set
from portal.models import Brand

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)


def test_each_row_gets_its_own_values_and_other_rows_and_fields_stay(brand: Brand) -> None:
    events = [
        WebhookEvent.objects.create(
            brand=brand, event_id=f"e{n}", event_type="delivery", occurred_at=T0, payload={"n": n}, detail="before"
        )
        for n in range(5)
    ]
    changed = events[:4]
    for n, event in enumerate(changed):
        event.processed_at = T0 + timedelta(seconds=n) if n % 2 else None
        event.result = ["applied", "duplicate", "unmatched", ""][n]
        event.detail = f"詳細 {n} 'quoted'"
        event.is_redelivery = bool(n % 2)
        event.payload = {"n": n, "changed": [True, None]}
        event.event_type = "ignored-by-bulk-set"  # not among the fields: must stay
    bulk_set(changed, ["processed_at", "result", "detail", "is_redelivery", "payload"], batch_size=3)

    rows = {e.event_id: e for e in WebhookEvent.objects.all()}
    for n in range(4):
        row = rows[f"e{n}"]
        assert row.processed_at == (T0 + timedelta(seconds=n) if n % 2 else None)
        assert (row.result, row.detail, row.is_redelivery) == (
            ["applied", "duplicate", "unmatched", ""][n],
            f"詳細 {n} 'quoted'",
            bool(n % 2),
        )
        assert row.payload == {"n": n, "changed": [True, None]}
        assert row.event_type == "delivery"
    assert (rows["e4"].detail, rows["e4"].payload, rows["e4"].result) == ("before", {"n": 4}, "")


def test_nothing_to_save_is_no_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        bulk_set([], ["result"])


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_is_refused_not_cut(brand: Brand) -> None:
    from django.db import DataError, transaction

    event = WebhookEvent.objects.create(brand=brand, event_id="long", event_type="delivery", occurred_at=T0, payload={})
    event.detail = "x" * 201  # the column holds 200
    with pytest.raises(DataError), transaction.atomic():
        bulk_set([event], ["detail"])
    event.refresh_from_db()
    assert event.detail == ""
